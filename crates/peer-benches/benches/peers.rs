//! jexpr against the Rust expression engines a user would otherwise pick
//! (`cel` 0.15, `evalexpr`) and hand-written Rust floors, in one run, so
//! ratios come from the same machine and moment. The workloads, peers and
//! floors are in `src/lib.rs`; `crates/floor-benches` measures those again
//! without serde_json's `preserve_order` (scripts/peer-bench.sh runs both).
//! See BENCHMARKS.md.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use peer_benches::*;
use std::hint::black_box;

fn jexpr_program(src: &str) -> jexpr::Program {
    let doc = serde_json::json!({"events": {"E": event_json()}});
    let catalog = jexpr::Catalog::infer(&doc);
    jexpr::Compiler::new(&catalog)
        .compile(src)
        .expect("jexpr compiles")
}

/// jexpr's part of a group: `src` evaluated on the bound event, checked to
/// answer `true` first.
fn bench_jexpr(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    id: BenchmarkId,
    src: &str,
    event: &serde_json::Value,
) {
    let doc = serde_json::json!({"events": {"E": event}});
    let ctx = jexpr::Context::from_json(&doc).expect("context");
    let program = jexpr_program(src);
    assert!(program.eval(&ctx).expect("jexpr").truthy(), "jexpr: {src}");
    group.bench_function(id, |b| {
        b.iter(|| program.eval(black_box(&ctx)).map(|v| v.truthy()))
    });
}

fn yardstick(c: &mut Criterion) {
    let mut group = c.benchmark_group("yardstick");
    bench_jexpr(
        &mut group,
        BenchmarkId::from_parameter("jexpr"),
        YARDSTICK_JEXPR,
        &event_json(),
    );
    yardstick_peers(&mut group);
    group.finish();
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
            evalexpr::build_operator_tree::<evalexpr::DefaultNumericTypes>(black_box(
                YARDSTICK_EVALEXPR,
            ))
        })
    });
    group.finish();
}

fn event_condition(c: &mut Criterion) {
    let mut group = c.benchmark_group("event_condition");
    bench_jexpr(
        &mut group,
        BenchmarkId::from_parameter("jexpr"),
        CONDITION_JEXPR,
        &event_json(),
    );
    event_condition_peers(&mut group);
    group.finish();
}

fn collection(c: &mut Criterion) {
    let mut group = c.benchmark_group("collection");
    bench_jexpr(
        &mut group,
        BenchmarkId::from_parameter("jexpr"),
        COLLECTION_JEXPR,
        &event_json(),
    );
    collection_peers(&mut group);
    group.finish();
}

/// The collection condition at 10 to 10,000 elements: cost per element.
fn collection_size(c: &mut Criterion) {
    let mut group = c.benchmark_group("collection_size");
    for n in COLLECTION_SIZES {
        group.throughput(criterion::Throughput::Elements(n as u64));
        bench_jexpr(
            &mut group,
            BenchmarkId::new("jexpr", n),
            COLLECTION_JEXPR,
            &products_event(n),
        );
        collection_size_peers(&mut group, n);
    }
    group.finish();
}

fn end_to_end(c: &mut Criterion) {
    let bytes = EVENT.as_bytes();
    let program = jexpr_program(CONDITION_JEXPR);
    // jexpr evaluates from the bytes, reading only the leaves it compares.
    let base = jexpr::Context::default();
    let jexpr_decide = |bytes: &[u8]| -> bool {
        program
            .eval_event_bytes(&base, "E", bytes)
            .is_ok_and(|v| v == serde_json::Value::Bool(true))
    };
    assert!(jexpr_decide(bytes));
    let mut group = c.benchmark_group("end_to_end");
    group.bench_function("jexpr", |b| b.iter(|| jexpr_decide(black_box(bytes))));
    end_to_end_peers(&mut group);
    group.finish();
}

/// Three decisions and the mapped parameters by name.
type StepOutcome<'a> = ([bool; 3], Vec<(&'a str, serde_json::Value)>);

/// The collection condition from the event's bytes: jexpr reads only each
/// product's price and sku (the filter's and projection's fields).
fn collection_end_to_end(c: &mut Criterion) {
    let bytes = EVENT.as_bytes();
    let program = jexpr_program(COLLECTION_JEXPR);
    let base = jexpr::Context::default();
    let decide = |bytes: &[u8]| {
        program
            .eval_event_bytes(&base, "E", bytes)
            .is_ok_and(|v| v == serde_json::Value::Bool(true))
    };
    assert!(decide(bytes));
    let mut group = c.benchmark_group("collection_end_to_end");
    group.bench_function("jexpr", |b| b.iter(|| decide(black_box(bytes))));
    collection_end_to_end_peers(&mut group);
    group.finish();
}

/// A journey step on a ~2 KB event: three conditions and three action
/// parameters. `jexpr` is the expressions' part, from the bytes (one read
/// for all six programs, then each evaluated); `jexpr_engine` is the whole
/// engine step (instance, trace records) from the parsed payload, for scale.
fn journey_step(c: &mut Criterion) {
    let text = step_event();
    let bytes = text.as_bytes();
    let event: serde_json::Value = serde_json::from_str(&text).expect("step event");
    let doc = serde_json::json!({"events": {"E": event}});
    let catalog = jexpr::Catalog::infer(&doc);
    let compile = |src: &str| {
        jexpr::Compiler::new(&catalog)
            .compile(src)
            .expect("compiles")
    };
    let conditions: Vec<jexpr::Program> = STEP_CONDITIONS.iter().map(|s| compile(s)).collect();
    let params: Vec<(&str, jexpr::Program)> =
        STEP_PARAMS.iter().map(|(k, s)| (*k, compile(s))).collect();
    let mut reader = jexpr::EventReader::new("E");
    for p in conditions.iter().chain(params.iter().map(|(_, p)| p)) {
        reader.add(p);
    }
    let step = |bytes: &[u8]| -> Option<StepOutcome<'_>> {
        let payload = reader.read(bytes).ok()?;
        let ctx = jexpr::Context::builder().event("E", &payload).build();
        let mut decisions = [false; 3];
        for (d, p) in decisions.iter_mut().zip(&conditions) {
            *d = p.eval(&ctx).ok()?.truthy();
        }
        let mut mapped = Vec::with_capacity(params.len());
        for (name, p) in &params {
            mapped.push((*name, p.eval(&ctx).ok()?.to_json()));
        }
        Some((decisions, mapped))
    };
    let (decisions, mapped) = step(bytes).expect("step");
    let (floor_decisions, floor_params) = step_floor(bytes).expect("floor");
    assert_eq!(decisions, floor_decisions);
    let mapped: Vec<serde_json::Value> = mapped.into_iter().map(|(_, v)| v).collect();
    assert_eq!(mapped, floor_params);

    let engine = journey_engine();
    let now = chrono::DateTime::parse_from_rfc3339("2024-05-01T10:00:00Z")
        .expect("now")
        .to_utc();
    let engine_step = |payload: &serde_json::Value| {
        let state = jexpr_journey::state::ProfileState {
            id: "p1".into(),
            ..Default::default()
        };
        let input = jexpr_journey::engine::Input::Event { name: "E", payload };
        jexpr_journey::engine::step(&engine, state, input, now)
    };
    let engine_reader = engine_reader(&engine);
    let engine_payload = |bytes: &[u8]| engine_reader.read(bytes).unwrap_or_default();
    let (_, records) = engine_step(&engine_payload(bytes));
    let kinds: Vec<&str> = records.iter().map(|r| r.kind()).collect();
    assert_eq!(
        kinds,
        ["enter", "path", "path", "action", "exit"],
        "{records:?}"
    );

    let mut group = c.benchmark_group("journey_step");
    group.bench_function("jexpr", |b| b.iter(|| step(black_box(bytes))));
    group.bench_function("jexpr_engine", |b| {
        b.iter(|| engine_step(&engine_payload(black_box(bytes))))
    });
    step_peers(&mut group);
    group.finish();
}

/// The step's journey: entry `when`, two condition nodes, an action.
fn journey_engine() -> jexpr_journey::engine::Journeys {
    let catalog = serde_json::json!({
        "events": {"E": {"fields": {
            "channel": "string",
            "customer": {"email": "string", "firstName": "string", "tier": "string",
                         "country": "string", "consent": "boolean"},
            "order": {"id": "string", "total": "decimal"}}}},
        "actions": {"send": {"params": {"to": "string", "greeting": "string", "order": "string"}}}
    });
    let catalog =
        jexpr_journey::JourneyCatalog::from_json(&catalog, std::path::Path::new("catalog.json"))
            .expect("catalog");
    let [c1, c2, c3] = STEP_CONDITIONS;
    let journey = serde_json::json!({
        "id": "step", "version": 1, "start": "s",
        "nodes": {
            "s": {"type": "event", "event": "E", "when": c1, "next": "c1"},
            "c1": {"type": "condition", "paths": [{"label": "a", "when": c2, "next": "c2"}], "otherwise": "e"},
            "c2": {"type": "condition", "paths": [{"label": "b", "when": c3, "next": "act"}], "otherwise": "e"},
            "act": {"type": "action", "action": "send",
                    "params": STEP_PARAMS.iter().map(|(k, v)| (k.to_string(), serde_json::json!(v))).collect::<serde_json::Map<_, _>>(),
                    "next": "e"},
            "e": {"type": "end"}
        }
    });
    let files = [("step.journey.json".to_string(), journey.to_string())];
    let (report, compiled) = jexpr_journey::check(&files, &catalog);
    assert!(!report.has_errors(), "{}", report.render());
    jexpr_journey::engine::Journeys::new(compiled)
}

/// What the runner reads of the payload before the engine runs: what the
/// journeys read.
fn engine_reader(journeys: &jexpr_journey::engine::Journeys) -> jexpr::EventReader {
    let mut reader = jexpr::EventReader::new("E");
    for cj in journeys.all() {
        for p in cj.programs.values() {
            reader.add(p);
        }
    }
    reader
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
    collection_size,
    end_to_end,
    collection_end_to_end,
    journey_step,
    functions
);
criterion_main!(benches);
