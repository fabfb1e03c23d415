fn main() {
    let which: usize = std::env::args().nth(1).unwrap().parse().unwrap();
    let srcs = [
        format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000)),
        format!("{}true", "not ".repeat(10_000)),
        format!("{}1", "-".repeat(10_000)),
        vec!["1"; 10_000].join(" + "),
        format!(
            "@{{E.a{}}}",
            ".all(currentEventField.b".repeat(5_000) + &")".repeat(5_000)
        ),
        "(".repeat(100_000),
        "not ".repeat(100_000),
    ];
    let src = srcs[which].clone();
    let h = std::thread::Builder::new()
        .stack_size(2048 * 1024)
        .spawn(move || jexpr::syntax::parse(&src).map_err(|d| d[0].code))
        .unwrap();
    println!("{which} -> {:?}", h.join().unwrap().map(|_| ()));
}
