//! Any text, compiled against types inferred from the edge-case context and
//! evaluated with a small work limit: a value or an error, never a panic,
//! and never more than the work limit allows.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn doc() -> &'static serde_json::Value {
    static DOC: OnceLock<serde_json::Value> = OnceLock::new();
    DOC.get_or_init(|| serde_json::from_str(include_str!("../../tests/data/edge-context.json")).expect("fixture"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    let catalog = jexpr::Catalog::infer(doc());
    let Ok(program) = jexpr::Compiler::new(&catalog).compile(src) else { return };
    let Ok(mut ctx) = jexpr::Context::from_json(doc()) else { return };
    ctx.fuel = 100_000;
    let _ = program.eval(&ctx);
});
