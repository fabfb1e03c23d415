//! Front-end speed: source text → AST, and → typed AST against a catalog.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

const YARDSTICK: &str =
    r#"(@{E.Origin} == "MOW" or @{E.Country} == "RU") and (@{E.Value} >= 100 or @{E.Adults} == 1)"#;
const NESTED: &str = r#"count(@{E.products.all(currentEventField.price > 50.0 and startWith(currentEventField.sku, "SKU")).sku}) > 1"#;

fn catalog() -> jexpr::Catalog {
    let context = serde_json::json!({"events": {"E": {
        "Origin": "MOW", "Country": "RU", "Value": 100, "Adults": 1,
        "products": [{"sku": "SKU-1", "price": 60.0}]
    }}});
    jexpr::Catalog::infer(&context)
}

fn front_end(c: &mut Criterion) {
    let catalog = catalog();
    let mut group = c.benchmark_group("front_end");
    for (name, src) in [("yardstick", YARDSTICK), ("nested_all", NESTED)] {
        group.bench_function(format!("parse/{name}"), |b| {
            b.iter(|| jexpr::parse(black_box(src)))
        });
        group.bench_function(format!("check/{name}"), |b| {
            b.iter(|| jexpr::check(black_box(src), &catalog))
        });
    }
    // Seven and eight `and`-ed comparisons: the eighth once crossed a depth
    // at which compiling moved to a new thread (~36 µs more).
    for n in [7, 8, 16] {
        let src = vec!["@{E.Value} >= 100"; n].join(" and ");
        group.bench_function(format!("compile/{n}_ands"), |b| {
            b.iter(|| jexpr::Compiler::new(&catalog).compile(black_box(&src)))
        });
    }
    group.finish();
}

criterion_group!(benches, front_end);
criterion_main!(benches);
