//! Every documented example of LANGUAGE.md evaluates to its documented
//! result (tests/data/spec-examples.txt), with and without constant folding.

mod common;

use jexpr::{Catalog, Compiler, Context};
use std::path::Path;

fn context(name: &str) -> serde_json::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).expect("context")).expect("context JSON")
}

/// The result as the examples file writes it: the REPL display, `error`, or
/// `compile error CODE`.
fn outcome(src: &str, doc: &serde_json::Value, now: &str, fold: bool) -> String {
    let catalog = Catalog::infer(doc);
    let program = match Compiler::new(&catalog).fold_constants(fold).compile(src) {
        Ok(p) => p,
        Err(d) => return format!("compile error {}", d[0].code),
    };
    let mut ctx = Context::from_json(doc).expect("context");
    ctx.now = jexpr::time::parse_instant(now).expect("@now");
    match program.eval(&ctx) {
        Ok(v) => v.display_quoted(),
        Err(_) => "error".to_string(),
    }
}

fn run_file(examples: &str, context_file: &str) {
    let doc = context(context_file);
    let mut failures = Vec::new();
    for ex in common::examples(examples) {
        for fold in [true, false] {
            let got = outcome(&ex.expr, &doc, &ex.now, fold);
            let ok = if ex.expected == "parses" {
                !got.starts_with("compile error") && got != "error"
            } else {
                got == ex.expected
            };
            if !ok {
                failures.push(format!(
                    "line {} (fold={fold}): {}\n    expected {}\n    got      {got}",
                    ex.line, ex.expr, ex.expected
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn documented_results() {
    run_file("spec-examples.txt", "spec-context.json");
}

#[test]
fn edge_cases() {
    run_file("edge-cases.txt", "edge-context.json");
}
