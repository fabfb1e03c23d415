//! Any bytes as an event payload for fixed programs: reading straight from
//! the bytes (`eval_event_bytes`) agrees with parsing them first.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const PROGRAMS: &[&str] = &[
    r#"@{E.o.r} == "a""#,
    r#"@{E.n} > 3 and startWith(@{E.s}, "x") or @{E.b}"#,
    r#"count(@{E.l.all(currentEventField.p > 1.5).k}) > 0"#,
    r#"@{E.o.r, defaultValue: "z"}"#,
];

fn programs() -> &'static Vec<jexpr::Program> {
    static P: OnceLock<Vec<jexpr::Program>> = OnceLock::new();
    P.get_or_init(|| {
        let catalog = jexpr::Catalog::from_text(
            r#"{"events": {"E": {"fields": {"o": {"r": "string"}, "n": "integer", "s": "string", "b": "boolean",
                 "l": [{"p": "decimal", "k": "string"}]}}}}"#,
        )
        .expect("catalog");
        PROGRAMS.iter().map(|src| jexpr::Compiler::new(&catalog).compile(src).expect("compiles")).collect()
    })
}

fuzz_target!(|data: &[u8]| {
    let ctx = jexpr::Context::default();
    for program in programs() {
        let fast = program.eval_event_bytes(&ctx, "E", data);
        let slow = serde_json::from_slice::<serde_json::Value>(data).map(|payload| {
            let ctx = jexpr::Context::builder().event("E", &payload).build();
            program.eval(&ctx).map(|v| v.to_json())
        });
        match (fast, slow) {
            (Ok(a), Ok(Ok(b))) => assert_eq!(a, b, "{}: bytes and parsed JSON disagree", program.source()),
            (Err(_), Err(_)) | (Err(_), Ok(Err(_))) => {}
            (a, b) => panic!("{}: bytes gave {a:?}, parsed JSON gave {b:?}", program.source()),
        }
    }
});
