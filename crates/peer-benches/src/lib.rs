//! The workloads of the peer benchmarks, shared by two bench binaries:
//! `peer-benches/benches/peers.rs` (jexpr, which needs serde_json's
//! `preserve_order`, beside cel, evalexpr and hand-written floors) and
//! `floor-benches` (the same peers and floors built without
//! `preserve_order`, which slows every `serde_json::Value` they touch).
//! This library does not depend on jexpr, so `floor-benches` never enables
//! the feature. See BENCHMARKS.md and scripts/peer-bench.sh.

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId};
use evalexpr::{ContextWithMutableVariables, DefaultNumericTypes, HashMapContext};
use serde::Deserialize;
use std::hint::black_box;

/// One ~1 KB nested event.
pub const EVENT: &str = r#"{
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

pub fn event_json() -> serde_json::Value {
    serde_json::from_str(EVENT).expect("event JSON")
}

pub fn cel_context(event: &serde_json::Value) -> cel::Context<'static, 'static> {
    let mut ctx = cel::Context::default();
    ctx.add_variable_from_value("event", cel::to_value(event).expect("cel value"));
    ctx
}

/// evalexpr has no objects: the fields it needs, flattened.
pub fn evalexpr_context(event: &serde_json::Value) -> HashMapContext<DefaultNumericTypes> {
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

pub const YARDSTICK_JEXPR: &str =
    r#"(@{E.Origin} == "MOW" or @{E.Country} == "RU") and (@{E.Value} >= 100 or @{E.Adults} == 1)"#;
pub const YARDSTICK_CEL: &str = r#"(event.Origin == "MOW" || event.Country == "RU") && (event.Value >= 100 || event.Adults == 1)"#;
pub const YARDSTICK_EVALEXPR: &str =
    r#"(Origin == "MOW" || Country == "RU") && (Value >= 100 || Adults == 1)"#;

pub const CONDITION_JEXPR: &str = r#"@{E.commerce.order.total} > 100.0 and @{E.channel} == "web" and startWith(@{E.user.email}, "vip")"#;
pub const CONDITION_CEL: &str = r#"event.commerce.order.total > 100.0 && event.channel == "web" && event.user.email.startsWith("vip")"#;
pub const CONDITION_EVALEXPR: &str =
    r#"order_total > 100.0 && channel == "web" && str::substring(user_email, 0, 3) == "vip""#;

pub const COLLECTION_JEXPR: &str =
    "count(@{E.products.all(currentEventField.price > 50.0).sku}) > 1";
pub const COLLECTION_CEL: &str = "event.products.filter(p, p.price > 50.0).size() > 1";

pub const NESTED_JEXPR: &str = r#"count(@{E.products.all(currentEventField.price > 50.0 and currentEventField.qty >= 1 and startWith(currentEventField.sku, "SKU")).name}) > 1 and @{E.channel} == "web""#;
pub const NESTED_CEL: &str = r#"event.products.filter(p, p.price > 50.0 && p.qty >= 1 && p.sku.startsWith("SKU")).size() > 1 && event.channel == "web""#;

/// The floor: direct `get` chains on the parsed event, no interpretation.
pub fn hand_written_condition(event: &serde_json::Value) -> bool {
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

pub fn hand_written_collection(event: &serde_json::Value) -> bool {
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
pub struct Needed<'a> {
    pub channel: &'a str,
    pub user: NeededUser<'a>,
    pub commerce: NeededCommerce,
}

#[derive(Deserialize)]
pub struct NeededUser<'a> {
    pub email: &'a str,
}

#[derive(Deserialize)]
pub struct NeededCommerce {
    pub order: NeededOrder,
}

#[derive(Deserialize)]
pub struct NeededOrder {
    pub total: f64,
}

/// cel on the event as a parsed `serde_json::Value`, then converted.
pub fn cel_decide(program: &cel::Program, bytes: &[u8]) -> bool {
    let Ok(event) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return false;
    };
    let ctx = cel_context(&event);
    program.execute(&ctx).is_ok_and(|v| v == true.into())
}

/// evalexpr on the fields it needs, flattened from a parsed event.
pub fn evalexpr_decide(tree: &evalexpr::Node<DefaultNumericTypes>, bytes: &[u8]) -> bool {
    let Ok(event) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return false;
    };
    let ctx = evalexpr_context(&event);
    tree.eval_boolean_with_context(&ctx).unwrap_or(false)
}

/// The end-to-end floor: deserialize only the three fields the condition reads.
pub fn floor_needed(bytes: &[u8]) -> bool {
    let Ok(n) = serde_json::from_slice::<Needed<'_>>(bytes) else {
        return false;
    };
    n.commerce.order.total > 100.0 && n.channel == "web" && n.user.email.starts_with("vip")
}

/// cel's program and context for `src` on `event`, checked to answer `true`.
fn cel_ready(
    src: &str,
    event: &serde_json::Value,
) -> (cel::Program, cel::Context<'static, 'static>) {
    let program = cel::Program::compile(src).expect("cel compiles");
    let ctx = cel_context(event);
    assert_eq!(
        program.execute(&ctx).expect("cel"),
        true.into(),
        "cel: {src}"
    );
    (program, ctx)
}

/// evalexpr's tree and context for `src` on `event`, checked to answer `true`.
fn evalexpr_ready(
    src: &str,
    event: &serde_json::Value,
) -> (
    evalexpr::Node<DefaultNumericTypes>,
    HashMapContext<DefaultNumericTypes>,
) {
    let tree = evalexpr::build_operator_tree::<DefaultNumericTypes>(src).expect("evalexpr parses");
    let ctx = evalexpr_context(event);
    assert!(
        tree.eval_boolean_with_context(&ctx).expect("evalexpr"),
        "evalexpr: {src}"
    );
    (tree, ctx)
}

/// The peers' and floors' part of group `yardstick`.
pub fn yardstick_peers(group: &mut BenchmarkGroup<'_, WallTime>) {
    let event = event_json();
    let (cel_program, cel_ctx) = cel_ready(YARDSTICK_CEL, &event);
    let (tree, ee_ctx) = evalexpr_ready(YARDSTICK_EVALEXPR, &event);
    group.bench_function("cel", |b| {
        b.iter(|| cel_program.execute(black_box(&cel_ctx)))
    });
    group.bench_function("evalexpr", |b| {
        b.iter(|| tree.eval_boolean_with_context(black_box(&ee_ctx)))
    });
}

/// The peers' and floors' part of group `event_condition`.
pub fn event_condition_peers(group: &mut BenchmarkGroup<'_, WallTime>) {
    let event = event_json();
    let (cel_program, cel_ctx) = cel_ready(CONDITION_CEL, &event);
    let (tree, ee_ctx) = evalexpr_ready(CONDITION_EVALEXPR, &event);
    assert!(hand_written_condition(&event));
    group.bench_function("cel", |b| {
        b.iter(|| cel_program.execute(black_box(&cel_ctx)))
    });
    group.bench_function("evalexpr", |b| {
        b.iter(|| tree.eval_boolean_with_context(black_box(&ee_ctx)))
    });
    group.bench_function("hand_written", |b| {
        b.iter(|| hand_written_condition(black_box(&event)))
    });
}

/// The peers' and floors' part of group `collection`.
pub fn collection_peers(group: &mut BenchmarkGroup<'_, WallTime>) {
    let event = event_json();
    let (cel_program, cel_ctx) = cel_ready(COLLECTION_CEL, &event);
    assert!(hand_written_collection(&event));
    group.bench_function("cel", |b| {
        b.iter(|| cel_program.execute(black_box(&cel_ctx)))
    });
    group.bench_function("hand_written", |b| {
        b.iter(|| hand_written_collection(black_box(&event)))
    });
}

/// The peers' and floors' part of group `end_to_end` (from the event's bytes).
pub fn end_to_end_peers(group: &mut BenchmarkGroup<'_, WallTime>) {
    let bytes = EVENT.as_bytes();
    let cel_program = cel::Program::compile(CONDITION_CEL).expect("cel compiles");
    let tree = evalexpr::build_operator_tree::<DefaultNumericTypes>(CONDITION_EVALEXPR)
        .expect("evalexpr parses");
    assert!(
        cel_decide(&cel_program, bytes) && evalexpr_decide(&tree, bytes) && floor_needed(bytes)
    );
    group.bench_function("cel", |b| {
        b.iter(|| cel_decide(&cel_program, black_box(bytes)))
    });
    group.bench_function("evalexpr", |b| {
        b.iter(|| evalexpr_decide(&tree, black_box(bytes)))
    });
    group.bench_function("floor_parse_value", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(bytes)).is_ok())
    });
    group.bench_function("floor_parse_needed", |b| {
        b.iter(|| floor_needed(black_box(bytes)))
    });
}

/// Sizes of the collection-size group.
pub const COLLECTION_SIZES: [usize; 4] = [10, 100, 1_000, 10_000];

/// An event whose `products` list has `n` elements; prices cycle through
/// 0.5–99.5 so about half pass `price > 50.0`.
pub fn products_event(n: usize) -> serde_json::Value {
    let products: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({
                "sku": format!("SKU-{i}"),
                "name": "Item",
                "price": (i * 37 % 100) as f64 + 0.5,
                "qty": 1 + i % 3,
            })
        })
        .collect();
    serde_json::json!({"channel": "web", "products": products})
}

/// The peers' and floors' part of group `collection_size` at `n` elements.
pub fn collection_size_peers(group: &mut BenchmarkGroup<'_, WallTime>, n: usize) {
    let event = products_event(n);
    let (cel_program, cel_ctx) = cel_ready(COLLECTION_CEL, &event);
    assert!(hand_written_collection(&event));
    group.bench_with_input(BenchmarkId::new("cel", n), &n, |b, _| {
        b.iter(|| cel_program.execute(black_box(&cel_ctx)))
    });
    group.bench_with_input(BenchmarkId::new("hand_written", n), &n, |b, _| {
        b.iter(|| hand_written_collection(black_box(&event)))
    });
}

/// A ~2 KB order event for the journey step: a customer, an order with
/// items, and the context a real event carries that no expression reads.
pub fn step_event() -> String {
    let items: Vec<serde_json::Value> = (0..6)
        .map(|i| {
            serde_json::json!({"sku": format!("SKU-{i:04}"), "name": "Merino running socks, pack of three",
                "price": 12.5 + i as f64, "qty": 1 + i % 2, "category": "apparel/running/socks"})
        })
        .collect();
    let event = serde_json::json!({
        "id": "8f2c1e7a-4b9d-4c1a-9e33-2f6b8d1c0a55",
        "timestamp": "2024-05-01T09:58:12.345Z",
        "channel": "web",
        "customer": {"id": "c-1029384756", "email": "vip.ada@example.com", "firstName": "Ada",
            "tier": "gold", "country": "FR", "consent": true, "locale": "fr-FR",
            "tags": ["newsletter", "loyalty", "beta"]},
        "order": {"id": "ORD-20240501-0042", "total": 249.9, "currency": "EUR",
            "paymentType": "credit_card", "items": items},
        "device": {"type": "desktop", "os": "macOS", "browser": "Firefox",
            "screen": {"width": 2560, "height": 1440}},
        "page": {"url": "https://shop.example.com/checkout/confirm",
            "referrer": "https://shop.example.com/cart", "title": "Confirm your order"},
        "marketing": {"campaign": "spring-sale", "source": "newsletter", "medium": "email",
            "content": "hero-banner-variant-b", "term": "running shoes"},
        "session": {"id": "s-5b1f0c2e9d", "start": "2024-05-01T09:41:02.000Z", "pages": 14,
            "landing": "https://shop.example.com/landing/spring-sale?utm_source=newsletter"}
    });
    serde_json::to_string_pretty(&event).expect("event text")
}

/// The step's three conditions (an entry `when` and two splits) and three
/// action parameters, in jexpr; they read 8 fields of the event.
pub const STEP_CONDITIONS: [&str; 3] = [
    "@{E.order.total} > 100.0 and @{E.customer.consent} == true",
    r#"@{E.customer.country} == "FR" or @{E.customer.tier} == "gold""#,
    r#"startWith(@{E.customer.email}, "vip") and @{E.channel} == "web""#,
];
/// See [`STEP_CONDITIONS`].
pub const STEP_PARAMS: [(&str, &str); 3] = [
    ("to", "@{E.customer.email}"),
    ("greeting", r#""Hello " + @{E.customer.firstName}"#),
    ("order", "@{E.order.id}"),
];

#[derive(Deserialize)]
struct StepNeeded<'a> {
    channel: &'a str,
    #[serde(borrow)]
    customer: StepCustomer<'a>,
    #[serde(borrow)]
    order: StepOrder<'a>,
}

#[derive(Deserialize)]
struct StepCustomer<'a> {
    email: &'a str,
    #[serde(rename = "firstName")]
    first_name: &'a str,
    tier: &'a str,
    country: &'a str,
    consent: bool,
}

#[derive(Deserialize)]
struct StepOrder<'a> {
    id: &'a str,
    total: f64,
}

/// The step's floor: deserialize only the 8 fields, decide the three
/// conditions, build the three parameters as JSON values.
pub fn step_floor(bytes: &[u8]) -> Option<([bool; 3], [serde_json::Value; 3])> {
    let n: StepNeeded<'_> = serde_json::from_slice(bytes).ok()?;
    let decisions = [
        n.order.total > 100.0 && n.customer.consent,
        n.customer.country == "FR" || n.customer.tier == "gold",
        n.customer.email.starts_with("vip") && n.channel == "web",
    ];
    let params = [
        serde_json::Value::String(n.customer.email.to_string()),
        serde_json::Value::String(format!("Hello {}", n.customer.first_name)),
        serde_json::Value::String(n.order.id.to_string()),
    ];
    Some((decisions, params))
}

/// The floors' part of group `journey_step`.
pub fn step_peers(group: &mut BenchmarkGroup<'_, WallTime>) {
    let text = step_event();
    let bytes = text.as_bytes();
    assert_eq!(step_floor(bytes).map(|(d, _)| d), Some([true; 3]));
    group.bench_function("hand_written", |b| b.iter(|| step_floor(black_box(bytes))));
}

#[derive(Deserialize)]
struct CollectionNeeded<'a> {
    #[serde(borrow)]
    products: Vec<NeededProduct<'a>>,
}

#[derive(Deserialize)]
struct NeededProduct<'a> {
    price: Option<f64>,
    #[serde(borrow)]
    sku: Option<&'a str>,
}

/// The collection condition's floor from bytes: deserialize each product's
/// price and sku only, then count.
pub fn collection_floor_needed(bytes: &[u8]) -> bool {
    let Ok(n) = serde_json::from_slice::<CollectionNeeded<'_>>(bytes) else {
        return false;
    };
    n.products
        .iter()
        .filter(|p| p.price.is_some_and(|x| x > 50.0) && p.sku.is_some())
        .count()
        > 1
}

/// The floors' part of group `collection_end_to_end` (from the event's bytes).
pub fn collection_end_to_end_peers(group: &mut BenchmarkGroup<'_, WallTime>) {
    let bytes = EVENT.as_bytes();
    assert!(collection_floor_needed(bytes));
    group.bench_function("floor_parse_needed", |b| {
        b.iter(|| collection_floor_needed(black_box(bytes)))
    });
}
