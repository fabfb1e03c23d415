//! What each fuzz target checks, shared with `tests/fuzz_regressions.rs` so
//! every input the fuzzer ever crashed on is checked again by `cargo test`
//! on stable Rust.

use std::sync::OnceLock;

fn fixture_catalog() -> &'static jexpr::Catalog {
    static CATALOG: OnceLock<jexpr::Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        jexpr::Catalog::from_text(include_str!("../tests/fixtures/catalog.json")).expect("fixture")
    })
}

fn edge_doc() -> &'static serde_json::Value {
    static DOC: OnceLock<serde_json::Value> = OnceLock::new();
    DOC.get_or_init(|| {
        serde_json::from_str(include_str!("../tests/data/edge-context.json")).expect("fixture")
    })
}

/// Any text, compiled against the compact fixture catalog: a program or
/// diagnostics, never a panic; what parses prints to text that parses to
/// the same tree.
pub fn compile(data: &[u8]) {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(ast) = jexpr::parse(src) {
        let printed = jexpr::print(&ast);
        let again = jexpr::parse(&printed).expect("printed text parses");
        assert_eq!(
            jexpr::sexpr(&ast),
            jexpr::sexpr(&again),
            "print round trip: {printed}"
        );
    }
    let _ = jexpr::Compiler::new(fixture_catalog()).compile(src);
}

/// Any text, compiled against types inferred from the edge-case context and
/// evaluated with a small work limit: a value or an error, never a panic.
pub fn eval(data: &[u8]) {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    let catalog = jexpr::Catalog::infer(edge_doc());
    let Ok(program) = jexpr::Compiler::new(&catalog).compile(src) else {
        return;
    };
    let Ok(mut ctx) = jexpr::Context::from_json(edge_doc()) else {
        return;
    };
    ctx.fuel = 100_000;
    let _ = program.eval(&ctx);
}

/// Any bytes as a catalog: a catalog or an error, never a panic.
pub fn catalog(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(catalog) = jexpr::Catalog::from_text(text) {
        let _ = jexpr::check(
            "@{E.a.b} == 1 and count(@{E.l.all(currentEventField.x > 1)}) > 0",
            &catalog,
        );
    }
}

const EVENT_PROGRAMS: &[&str] = &[
    r#"@{E.o.r} == "a""#,
    r#"@{E.n} > 3 and startWith(@{E.s}, "x") or @{E.b}"#,
    r#"count(@{E.l.all(currentEventField.p > 1.5).k}) > 0"#,
    r#"@{E.o.r, defaultValue: "z"}"#,
];

fn event_programs() -> &'static Vec<jexpr::Program> {
    static P: OnceLock<Vec<jexpr::Program>> = OnceLock::new();
    P.get_or_init(|| {
        let catalog = jexpr::Catalog::from_text(
            r#"{"events": {"E": {"fields": {"o": {"r": "string"}, "n": "integer", "s": "string", "b": "boolean",
                 "l": [{"p": "decimal", "k": "string"}]}}}}"#,
        )
        .expect("catalog");
        EVENT_PROGRAMS.iter().map(|src| jexpr::Compiler::new(&catalog).compile(src).expect("compiles")).collect()
    })
}

/// Any bytes as an event payload for fixed programs: reading straight from
/// the bytes agrees with parsing them first.
pub fn event_bytes(data: &[u8]) {
    let ctx = jexpr::Context::default();
    for program in event_programs() {
        let fast = program.eval_event_bytes(&ctx, "E", data);
        let slow = serde_json::from_slice::<serde_json::Value>(data).map(|payload| {
            let ctx = jexpr::Context::builder().event("E", &payload).build();
            program.eval(&ctx).map(|v| v.to_json())
        });
        match (fast, slow) {
            (Ok(a), Ok(Ok(b))) => {
                assert_eq!(a, b, "{}: bytes and parsed JSON disagree", program.source())
            }
            (Err(_), Err(_)) | (Err(_), Ok(Err(_))) => {}
            (a, b) => panic!(
                "{}: bytes gave {a:?}, parsed JSON gave {b:?}",
                program.source()
            ),
        }
    }
}
