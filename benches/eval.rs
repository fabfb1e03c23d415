//! Evaluation speed of compiled programs (issue 4; issue 6 grows this into a
//! comparison with other engines). Programs are compiled once, data bound once.

use criterion::{criterion_group, criterion_main, Criterion};
use jexpr::{Catalog, Compiler, Context};
use std::hint::black_box;

/// expr-lang's benchmark expression, written as an event condition.
const YARDSTICK: &str =
    r#"(@{E.Origin} == "MOW" or @{E.Country} == "RU") and (@{E.Value} >= 100 or @{E.Adults} == 1)"#;

fn event() -> serde_json::Value {
    serde_json::json!({"events": {"E": {
        "Origin": "MOW", "Country": "RU", "Value": 100, "Adults": 1,
        "channel": "web",
        "user": {"email": "vip.ada@example.com", "tags": ["a", "b"]},
        "commerce": {"order": {"total": 249.9}},
        "products": [
            {"sku": "SKU-1", "name": "Trail shoes", "price": 129.9, "qty": 1},
            {"sku": "SKU-2", "name": "Socks", "price": 12.0, "qty": 5},
            {"sku": "SKU-3", "name": "Rain jacket", "price": 60.0, "qty": 1}
        ]
    }}})
}

fn eval(c: &mut Criterion) {
    let doc = event();
    let catalog = Catalog::infer(&doc);
    let ctx = Context::from_json(&doc).expect("context");
    let cases = [
        ("yardstick", YARDSTICK),
        (
            "event_condition",
            r#"@{E.commerce.order.total} > 100.0 and @{E.channel} == "web" and startWith(@{E.user.email}, "vip")"#,
        ),
        (
            "collection",
            "count(@{E.products.all(currentEventField.price > 50.0).sku}) > 1",
        ),
        ("regex", r#"matchRegExp(@{E.user.email}, "^vip\\.[a-z]+@")"#),
    ];
    let mut group = c.benchmark_group("eval");
    for (name, src) in cases {
        let program = Compiler::new(&catalog).compile(src).expect("compiles");
        assert!(
            program.eval(&ctx).expect("evaluates").truthy(),
            "{name} should be true"
        );
        group.bench_function(name, |b| {
            b.iter(|| program.eval(black_box(&ctx)).map(|v| v.truthy()))
        });
    }
    group.finish();
    c.bench_function("compile/yardstick", |b| {
        b.iter(|| Compiler::new(&catalog).compile(black_box(YARDSTICK)))
    });
}

criterion_group!(benches, eval);
criterion_main!(benches);
