//! Hostile input never panics or overflows the stack: every outcome is a
//! tree or diagnostics with spans inside the source.

mod common;

use jexpr::{parse, MAX_DEPTH};

fn must_not_panic(src: &str) {
    match parse(src) {
        Ok(_) => {}
        Err(diags) => {
            assert!(
                !diags.is_empty(),
                "an error without diagnostics for {src:?}"
            );
            for d in &diags {
                assert!(
                    d.span.start <= d.span.end && d.span.end as usize <= src.len(),
                    "bad span {d:?} for {src:?}"
                );
                assert!(!d.message.is_empty());
            }
        }
    }
}

fn corpus() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/inputs");
    let mut out: Vec<String> = common::spec_examples()
        .into_iter()
        .map(|e| e.expr)
        .collect();
    for sub in ["parse", "syntax-errors"] {
        let entries = std::fs::read_dir(dir.join(sub)).expect("inputs folder");
        for entry in entries.flatten() {
            out.push(common::read_input(&entry.path()));
        }
    }
    out
}

#[test]
fn truncations_of_every_input() {
    for src in corpus() {
        for (i, _) in src.char_indices() {
            must_not_panic(&src[..i]);
            must_not_panic(&src[i..]);
        }
    }
}

#[test]
fn random_bytes_and_token_soup() {
    let mut rng = common::Rng(0x5eed);
    for _ in 0..3000 {
        let len = rng.below(40);
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        must_not_panic(&String::from_utf8_lossy(&bytes));
    }
    let pieces = [
        "@{",
        "#{",
        "}",
        "(",
        ")",
        "[",
        "]",
        ".",
        ",",
        "'",
        "\"",
        "\\",
        "and",
        "or",
        "not",
        "if",
        "then",
        "else",
        "is",
        "null",
        "has",
        "==",
        "<",
        "-",
        "+",
        "*",
        "1",
        "2.5",
        "E",
        "x",
        "all(",
        "first(",
        "at(",
        "entry(",
        "keys()",
        "defaultValue:",
        "params:",
        "{",
        "currentEventField",
        "é",
        "\n",
        " ",
    ];
    for _ in 0..5000 {
        let n = rng.below(16);
        let src: String = (0..n).map(|_| *rng.pick(&pieces)).collect();
        must_not_panic(&src);
    }
}

#[test]
fn mutations_of_valid_inputs() {
    let mut rng = common::Rng(42);
    let inputs = corpus();
    let alphabet: Vec<char> = "(){}[]@#.,:'\"\\ -+*/%<>=!abnotz019é".chars().collect();
    for _ in 0..4000 {
        let mut chars: Vec<char> = rng.pick(&inputs).chars().collect();
        for _ in 0..1 + rng.below(3) {
            let at = rng.below(chars.len() + 1);
            match rng.below(3) {
                0 if at < chars.len() => {
                    chars.remove(at);
                }
                1 if at < chars.len() => chars[at] = *rng.pick(&alphabet),
                _ => chars.insert(at, *rng.pick(&alphabet)),
            }
        }
        must_not_panic(&chars.into_iter().collect::<String>());
    }
}

fn assert_too_deep(src: &str) {
    let diags = parse(src).expect_err("deep nesting must be rejected");
    assert_eq!(diags[0].code, "E0121", "{:?}", diags[0]);
}

#[test]
fn deep_nesting_is_a_diagnostic() {
    assert_too_deep(&format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000)));
    assert_too_deep(&format!("{}true", "not ".repeat(10_000)));
    assert_too_deep(&format!("{}1", "-".repeat(10_000)));
    assert_too_deep(&format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000)));
    assert_too_deep(&format!("{}1{}", "f(".repeat(10_000), ")".repeat(10_000)));
    assert_too_deep(&vec!["1"; 10_000].join(" + "));
    assert_too_deep(&format!(
        "@{{E.a{}}}",
        ".all(currentEventField.b".repeat(5_000) + &")".repeat(5_000)
    ));
    // Unbalanced deep input is still reported, not recursed into.
    must_not_panic(&"(".repeat(100_000));
    must_not_panic(&"not ".repeat(100_000));
}

#[test]
fn nesting_just_under_the_limit_parses() {
    let depth = MAX_DEPTH - 2;
    let src = format!("{}1{}", "(".repeat(depth), ")".repeat(depth));
    assert!(parse(&src).is_ok());
    let src = format!("{}true", "not ".repeat(depth));
    assert!(parse(&src).is_ok());
}

#[test]
fn huge_inputs() {
    let big = format!("\"{}\"", "a".repeat(1 << 20));
    let ast = parse(&big).expect("a 1 MB string literal parses");
    assert_eq!(ast.span.end as usize, big.len());
    must_not_panic(&format!("\"{}", "a".repeat(1 << 20)));
    must_not_panic(&"9".repeat(1 << 16));
    must_not_panic(&format!("{}.5", "9".repeat(400)));
    let too_long = "1".repeat(jexpr::MAX_SOURCE_LEN + 1);
    assert_eq!(parse(&too_long).expect_err("too long")[0].code, "E0120");
}
