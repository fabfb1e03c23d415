//! Every example in the builtin table's documentation (what `jexpr
//! functions` prints and `docs/functions.md` is generated from) evaluates
//! to what it says: "`expr` → value".

use jexpr::{Catalog, Compiler, Context};

/// The ("expr", "value") pairs written as "`expr` → value" in `doc`.
fn examples(doc: &str) -> Vec<(String, String)> {
    let pattern =
        regex::Regex::new(r#"`([^`]+)` → (`[^`]*`|"(?:[^"\\]|\\.)*"|[^;,\s)]+)"#).expect("pattern");
    pattern
        .captures_iter(doc)
        .map(|c| (c[1].to_string(), c[2].trim_matches('`').to_string()))
        .collect()
}

fn normalized(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

#[test]
fn every_documented_example_holds() {
    let catalog = Catalog::no_data();
    let now = jexpr::time::parse_instant("2024-05-01T06:30:00Z").expect("now");
    let ctx = Context::builder().now(now).build();
    let mut checked = 0;
    let mut wrong = Vec::new();
    for f in jexpr::authoring::functions() {
        for (expr, expected) in examples(f.doc) {
            if expr.contains('…') || expected.contains('…') {
                continue; // an elided example, not an expression
            }
            let program = match Compiler::new(&catalog).compile(&expr) {
                Ok(p) => p,
                Err(d) => {
                    wrong.push(format!(
                        "{}: `{expr}` does not compile: {}",
                        f.name,
                        d.first().message
                    ));
                    continue;
                }
            };
            let got = match program.eval(&ctx) {
                Ok(v) => v.display_quoted(),
                Err(e) => format!("error: {}", e.message),
            };
            if normalized(&got) != normalized(&expected) {
                wrong.push(format!(
                    "{}: `{expr}` gives {got}, the doc says {expected}",
                    f.name
                ));
            }
            checked += 1;
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    eprintln!("{checked} examples hold");
    assert!(checked >= 60, "only {checked} examples found");
}
