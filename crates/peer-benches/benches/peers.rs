//! jexpr against the Rust expression engines a user would otherwise pick
//! (`cel`, `evalexpr`) and hand-written Rust floors, in one run, so ratios
//! come from the same machine and moment. See BENCHMARKS.md.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use evalexpr::{ContextWithMutableVariables, DefaultNumericTypes, HashMapContext};
use serde::Deserialize;
use std::hint::black_box;

/// One ~1 KB nested event.
const EVENT: &str = r#"{
  "id": "8f2c1e7a-4b9d-4c1a-9e33-2f6b8d1c0a55",
  "timestamp": "2024-05-01T09:58:12.345Z",
  "channel": "web",
  "Origin": "MOW", "Country": "RU", "Value": 100, "Adults": 1,
  "device": {"type": "desktop", "os": "macOS", "browser": "Firefox", "screen": {"width": 2560, "height": 1440}},
  "page": {"url": "https://shop.example.com/checkout/confirm", "referrer": "https://shop.example.com/cart", "title": "Confirm your order"},
  "user": {"id": "u-1029384756", "email": "vip.ada@example.com", "tags": ["newsletter", "loyalty", "beta"], "locale": "fr-FR"},
  "commerce": {"order": {"id": "ORD-20240501-0042", "total": 249.9, "currency": "EUR", "paymentType": "credit_card"}},
  "products": [
    {"sku": "SKU-1", "name": "Trail running shoes", "price": 129.9, "qty": 1},
    {"sku": "SKU-2", "name": "Merino running socks", "price": 12.0, "qty": 5},
    {"sku": "SKU-3", "name": "Packable rain jacket", "price": 60.0, "qty": 1}
  ],
  "marketing": {"campaign": "spring-sale", "source": "newsletter", "medium": "email"}
}"#;

fn event_json() -> serde_json::Value {
    serde_json::from_str(EVENT).expect("event JSON")
}

fn jexpr_program(src: &str) -> jexpr::Program {
    let doc = serde_json::json!({"events": {"E": event_json()}});
    let catalog = jexpr::Catalog::infer(&doc);
    jexpr::Compiler::new(&catalog)
        .compile(src)
        .expect("jexpr compiles")
}

fn cel_context(event: &serde_json::Value) -> cel::Context<'static> {
    let mut ctx = cel::Context::default();
    ctx.add_variable_from_value("event", cel::to_value(event).expect("cel value"));
    ctx
}

/// evalexpr has no objects: the fields it needs, flattened.
fn evalexpr_context(event: &serde_json::Value) -> HashMapContext<DefaultNumericTypes> {
    let mut ctx = HashMapContext::<DefaultNumericTypes>::new();
    let s = |p: &str| {
        event
            .pointer(p)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    let set = |ctx: &mut HashMapContext<DefaultNumericTypes>,
               k: &str,
               v: evalexpr::Value<DefaultNumericTypes>| {
        ctx.set_value(k.to_string(), v).expect("set");
    };
    set(&mut ctx, "Origin", s("/Origin").into());
    set(&mut ctx, "Country", s("/Country").into());
    set(
        &mut ctx,
        "Value",
        evalexpr::Value::Int(
            event
                .pointer("/Value")
                .and_then(|v| v.as_i64())
                .unwrap_or(0),
        ),
    );
    set(
        &mut ctx,
        "Adults",
        evalexpr::Value::Int(
            event
                .pointer("/Adults")
                .and_then(|v| v.as_i64())
                .unwrap_or(0),
        ),
    );
    set(&mut ctx, "channel", s("/channel").into());
    set(&mut ctx, "user_email", s("/user/email").into());
    set(
        &mut ctx,
        "order_total",
        evalexpr::Value::Float(
            event
                .pointer("/commerce/order/total")
                .and_then(|v| v.as_f64())
                .unwrap_or(0.0),
        ),
    );
    ctx
}

const YARDSTICK_JEXPR: &str =
    r#"(@{E.Origin} == "MOW" or @{E.Country} == "RU") and (@{E.Value} >= 100 or @{E.Adults} == 1)"#;
const YARDSTICK_CEL: &str = r#"(event.Origin == "MOW" || event.Country == "RU") && (event.Value >= 100 || event.Adults == 1)"#;
const YARDSTICK_EVALEXPR: &str =
    r#"(Origin == "MOW" || Country == "RU") && (Value >= 100 || Adults == 1)"#;

const CONDITION_JEXPR: &str = r#"@{E.commerce.order.total} > 100.0 and @{E.channel} == "web" and startWith(@{E.user.email}, "vip")"#;
const CONDITION_CEL: &str = r#"event.commerce.order.total > 100.0 && event.channel == "web" && event.user.email.startsWith("vip")"#;
const CONDITION_EVALEXPR: &str =
    r#"order_total > 100.0 && channel == "web" && str::substring(user_email, 0, 3) == "vip""#;

const COLLECTION_JEXPR: &str = "count(@{E.products.all(currentEventField.price > 50.0).sku}) > 1";
const COLLECTION_CEL: &str = "event.products.filter(p, p.price > 50.0).size() > 1";

const NESTED_JEXPR: &str = r#"count(@{E.products.all(currentEventField.price > 50.0 and currentEventField.qty >= 1 and startWith(currentEventField.sku, "SKU")).name}) > 1 and @{E.channel} == "web""#;
const NESTED_CEL: &str = r#"event.products.filter(p, p.price > 50.0 && p.qty >= 1 && p.sku.startsWith("SKU")).size() > 1 && event.channel == "web""#;

/// The floor: direct `get` chains on the parsed event, no interpretation.
fn hand_written_condition(event: &serde_json::Value) -> bool {
    event
        .get("commerce")
        .and_then(|c| c.get("order"))
        .and_then(|o| o.get("total"))
        .and_then(|v| v.as_f64())
        .is_some_and(|t| t > 100.0)
        && event.get("channel").and_then(|v| v.as_str()) == Some("web")
        && event
            .get("user")
            .and_then(|u| u.get("email"))
            .and_then(|v| v.as_str())
            .is_some_and(|e| e.starts_with("vip"))
}

fn hand_written_collection(event: &serde_json::Value) -> bool {
    event
        .get("products")
        .and_then(|p| p.as_array())
        .map_or(0, |items| {
            items
                .iter()
                .filter(|i| {
                    i.get("price")
                        .and_then(|p| p.as_f64())
                        .is_some_and(|p| p > 50.0)
                })
                .filter(|i| i.get("sku").is_some_and(|s| !s.is_null()))
                .count()
        })
        > 1
}

/// The floor for end to end: deserialize only the three fields the condition reads.
#[derive(Deserialize)]
struct Needed<'a> {
    channel: &'a str,
    user: NeededUser<'a>,
    commerce: NeededCommerce,
}

#[derive(Deserialize)]
struct NeededUser<'a> {
    email: &'a str,
}

#[derive(Deserialize)]
struct NeededCommerce {
    order: NeededOrder,
}

#[derive(Deserialize)]
struct NeededOrder {
    total: f64,
}

/// One group: the same condition in jexpr, cel and (when it can say it)
/// evalexpr, plus a hand-written floor, all checked to answer `true` first.
fn compare_engines(
    c: &mut Criterion,
    group_name: &str,
    jexpr_src: &str,
    cel_src: &str,
    evalexpr_src: Option<&str>,
    floor: Option<fn(&serde_json::Value) -> bool>,
) {
    let event = event_json();
    let doc = serde_json::json!({"events": {"E": event.clone()}});
    let ctx = jexpr::Context::from_json(&doc).expect("context");
    let program = jexpr_program(jexpr_src);
    let cel_program = cel::Program::compile(cel_src).expect("cel compiles");
    let cel_ctx = cel_context(&event);
    let evalexpr = evalexpr_src.map(|src| {
        let tree =
            evalexpr::build_operator_tree::<DefaultNumericTypes>(src).expect("evalexpr parses");
        (tree, evalexpr_context(&event))
    });
    assert!(
        program.eval(&ctx).expect("jexpr").truthy(),
        "{group_name}: jexpr"
    );
    assert_eq!(
        cel_program.execute(&cel_ctx).expect("cel"),
        true.into(),
        "{group_name}: cel"
    );
    if let Some((tree, ee_ctx)) = &evalexpr {
        assert!(
            tree.eval_boolean_with_context(ee_ctx).expect("evalexpr"),
            "{group_name}: evalexpr"
        );
    }
    if let Some(floor) = floor {
        assert!(floor(&event), "{group_name}: hand-written");
    }

    let mut group = c.benchmark_group(group_name);
    group.bench_function("jexpr", |b| {
        b.iter(|| program.eval(black_box(&ctx)).map(|v| v.truthy()))
    });
    group.bench_function("cel", |b| {
        b.iter(|| cel_program.execute(black_box(&cel_ctx)))
    });
    if let Some((tree, ee_ctx)) = &evalexpr {
        group.bench_function("evalexpr", |b| {
            b.iter(|| tree.eval_boolean_with_context(black_box(ee_ctx)))
        });
    }
    if let Some(floor) = floor {
        group.bench_function("hand_written", |b| b.iter(|| floor(black_box(&event))));
    }
    group.finish();
}

fn yardstick(c: &mut Criterion) {
    compare_engines(
        c,
        "yardstick",
        YARDSTICK_JEXPR,
        YARDSTICK_CEL,
        Some(YARDSTICK_EVALEXPR),
        None,
    );
}

fn compile(c: &mut Criterion) {
    let doc = serde_json::json!({"events": {"E": event_json()}});
    let catalog = jexpr::Catalog::infer(&doc);
    let mut group = c.benchmark_group("compile");
    for (name, jexpr_src, cel_src) in [
        ("yardstick", YARDSTICK_JEXPR, YARDSTICK_CEL),
        ("nested_all", NESTED_JEXPR, NESTED_CEL),
    ] {
        group.bench_function(BenchmarkId::new("jexpr", name), |b| {
            b.iter(|| jexpr::Compiler::new(&catalog).compile(black_box(jexpr_src)))
        });
        group.bench_function(BenchmarkId::new("cel", name), |b| {
            b.iter(|| cel::Program::compile(black_box(cel_src)))
        });
    }
    group.bench_function(BenchmarkId::new("evalexpr", "yardstick"), |b| {
        b.iter(|| {
            evalexpr::build_operator_tree::<DefaultNumericTypes>(black_box(YARDSTICK_EVALEXPR))
        })
    });
    group.finish();
}

fn event_condition(c: &mut Criterion) {
    compare_engines(
        c,
        "event_condition",
        CONDITION_JEXPR,
        CONDITION_CEL,
        Some(CONDITION_EVALEXPR),
        Some(hand_written_condition),
    );
}

fn collection(c: &mut Criterion) {
    compare_engines(
        c,
        "collection",
        COLLECTION_JEXPR,
        COLLECTION_CEL,
        None,
        Some(hand_written_collection),
    );
}

fn end_to_end(c: &mut Criterion) {
    let bytes = EVENT.as_bytes();
    let program = jexpr_program(CONDITION_JEXPR);
    let cel_program = cel::Program::compile(CONDITION_CEL).expect("cel compiles");
    let ee_tree =
        evalexpr::build_operator_tree::<DefaultNumericTypes>(CONDITION_EVALEXPR).expect("evalexpr");

    // jexpr evaluates from the bytes, reading only the leaves it compares.
    let base = jexpr::Context::default();
    let jexpr_decide = |bytes: &[u8]| -> bool {
        program
            .eval_event_bytes(&base, "E", bytes)
            .is_ok_and(|v| v == serde_json::Value::Bool(true))
    };
    let cel_decide = |bytes: &[u8]| -> bool {
        let Ok(event) = serde_json::from_slice::<serde_json::Value>(bytes) else {
            return false;
        };
        let ctx = cel_context(&event);
        cel_program.execute(&ctx).is_ok_and(|v| v == true.into())
    };
    let evalexpr_decide = |bytes: &[u8]| -> bool {
        let Ok(event) = serde_json::from_slice::<serde_json::Value>(bytes) else {
            return false;
        };
        let ctx = evalexpr_context(&event);
        ee_tree.eval_boolean_with_context(&ctx).unwrap_or(false)
    };
    let floor_needed = |bytes: &[u8]| -> bool {
        let Ok(n) = serde_json::from_slice::<Needed<'_>>(bytes) else {
            return false;
        };
        n.commerce.order.total > 100.0 && n.channel == "web" && n.user.email.starts_with("vip")
    };
    assert!(
        jexpr_decide(bytes) && cel_decide(bytes) && evalexpr_decide(bytes) && floor_needed(bytes)
    );

    let mut group = c.benchmark_group("end_to_end");
    group.bench_function("jexpr", |b| b.iter(|| jexpr_decide(black_box(bytes))));
    group.bench_function("cel", |b| b.iter(|| cel_decide(black_box(bytes))));
    group.bench_function("evalexpr", |b| b.iter(|| evalexpr_decide(black_box(bytes))));
    group.bench_function("floor_parse_value", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(bytes)).is_ok())
    });
    group.bench_function("floor_parse_needed", |b| {
        b.iter(|| floor_needed(black_box(bytes)))
    });
    group.finish();
}

fn functions(c: &mut Criterion) {
    let event = event_json();
    let doc = serde_json::json!({"now": "2024-05-01T10:00:00Z", "events": {"E": event.clone()}});
    let ctx = jexpr::Context::from_json(&doc).expect("context");
    let cel_ctx = cel_context(&event);
    let mut group = c.benchmark_group("functions");
    let cases = [
        (
            "matchRegExp",
            r#"matchRegExp(@{E.user.email}, "^vip\\.[a-z]+@example\\.com$")"#,
            Some(r#"event.user.email.matches("^vip\\.[a-z]+@example\\.com$")"#),
        ),
        ("inLastDays", "inLastDays(@{E.timestamp}, 7)", None),
        (
            "lower_contain",
            r#"contain(lower(@{E.page.title}), "order")"#,
            Some(r#"event.page.title.contains("order")"#),
        ),
        (
            "updateTimeZone",
            r#"updateTimeZone(@{E.timestamp}, "Europe/Paris") > toDateTime("2024-05-01T00:00:00Z")"#,
            None,
        ),
    ];
    for (name, jexpr_src, cel_src) in cases {
        let program = jexpr_program(jexpr_src);
        assert!(program.eval(&ctx).expect("jexpr").truthy(), "{name}");
        group.bench_function(BenchmarkId::new("jexpr", name), |b| {
            b.iter(|| program.eval(black_box(&ctx)).map(|v| v.truthy()))
        });
        if let Some(cel_src) = cel_src {
            let cel_program = cel::Program::compile(cel_src).expect("cel compiles");
            assert_eq!(
                cel_program.execute(&cel_ctx).expect("cel"),
                true.into(),
                "{name}"
            );
            group.bench_function(BenchmarkId::new("cel", name), |b| {
                b.iter(|| cel_program.execute(black_box(&cel_ctx)))
            });
        }
    }
    group.finish();
}

criterion_group!(
    benches,
    yardstick,
    compile,
    event_condition,
    collection,
    end_to_end,
    functions
);
criterion_main!(benches);
