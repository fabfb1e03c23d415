fn main() {
    let doc = serde_json::json!({"events": {"E": {"Origin": "MOW", "Country": "RU", "Value": 100, "Adults": 1}}});
    let catalog = jexpr::Catalog::infer(&doc);
    let ctx = jexpr::Context::from_json(&doc).unwrap();
    for src in ["true", "@{E.Origin} == \"MOW\"", "(@{E.Origin} == \"MOW\" or @{E.Country} == \"RU\") and (@{E.Value} >= 100 or @{E.Adults} == 1)"] {
        let p = jexpr::Compiler::new(&catalog).compile(src).unwrap();
        let n = 5_000_000;
        let t = std::time::Instant::now();
        let mut k = 0;
        for _ in 0..n { if std::hint::black_box(&p).eval(std::hint::black_box(&ctx)).unwrap().truthy() { k += 1; } }
        println!("{:>8.1} ns  {src} ({k})", t.elapsed().as_nanos() as f64 / n as f64);
    }
}
