//! Syntax: every input file is parsed; the snapshot shows the input and
//! either the tree and canonical text, or the diagnostics as a user sees them.

mod common;

use jexpr::diagnostic::render;
use jexpr::parse;

/// parse(print(ast)) must give back the same tree, and printing is idempotent.
fn assert_round_trip(src: &str) {
    let ast = parse(src).unwrap_or_else(|d| panic!("{src:?} does not parse: {d:?}"));
    let printed = jexpr::print(&ast);
    let reparsed = parse(&printed)
        .unwrap_or_else(|d| panic!("printed form {printed:?} of {src:?} does not parse: {d:?}"));
    assert_eq!(
        jexpr::sexpr(&reparsed),
        jexpr::sexpr(&ast),
        "round trip of {src:?} via {printed:?}"
    );
    assert_eq!(
        jexpr::print(&reparsed),
        printed,
        "printing {src:?} is not idempotent"
    );
}

#[test]
fn parse_inputs() {
    insta::glob!("inputs/parse/*.jexpr", |path| {
        let src = common::read_input(path);
        let output = match parse(&src) {
            Ok(ast) => {
                assert_round_trip(&src);
                format!(
                    "tree:    {}\nprinted: {}",
                    jexpr::sexpr(&ast),
                    jexpr::print(&ast)
                )
            }
            Err(diags) => render("expr", &src, &diags),
        };
        insta::assert_snapshot!(format!("input:\n{src}\n\noutput:\n{output}"));
    });
}

#[test]
fn syntax_errors() {
    insta::glob!("inputs/syntax-errors/*.jexpr", |path| {
        let src = common::read_input(path);
        let diags = match parse(&src) {
            Ok(ast) => panic!(
                "{} should not parse, got {}",
                path.display(),
                jexpr::sexpr(&ast)
            ),
            Err(diags) => diags,
        };
        for d in &diags {
            assert!(
                d.code.starts_with("E01"),
                "syntax errors use E01xx codes: {d:?}"
            );
            assert!(
                d.span.end as usize <= src.len(),
                "span outside the source: {d:?}"
            );
        }
        insta::assert_snapshot!(format!(
            "input:\n{src}\n\noutput:\n{}",
            render("expr", &src, &diags)
        ));
    });
}

#[test]
fn every_spec_example_parses_and_round_trips() {
    let examples = common::spec_examples();
    assert!(
        examples.len() > 100,
        "the spec examples file looks truncated"
    );
    for ex in examples {
        assert_round_trip(&ex.expr);
    }
}

#[test]
fn precedence_follows_section_5() {
    let cases = [
        ("not 3.15 < 1", "(not (< 3.15 1))"),
        ("4 + 2 * 10", "(+ 4 (* 2 10))"),
        ("(4 + 2) * 10", "(* (+ 4 2) 10)"),
        (
            "a() or b() and c()",
            "(or (call a) (and (call b) (call c)))",
        ),
        ("not a() and b()", "(and (not (call a)) (call b))"),
        ("1 - 2 - 3", "(- (- 1 2) 3)"),
        ("8 / 4 % 3", "(% (/ 8 4) 3)"),
        ("-2 * 3", "(* -2 3)"),
        ("- a() * 3", "(* (neg (call a)) 3)"),
        ("1 + 2 is null", "(is null (+ 1 2))"),
        ("a() == 1 + 2", "(== (call a) (+ 1 2))"),
        ("-9223372036854775808", "-9223372036854775808"),
        ("- 5", "-5"),
        ("- -5", "(neg -5)"),
        ("not a() == b()", "(not (== (call a) (call b)))"),
        (
            "a() or not b() and c()",
            "(or (call a) (and (not (call b)) (call c)))",
        ),
        ("-a() is null", "(is null (neg (call a)))"),
        ("not not a()", "(not (not (call a)))"),
        ("1 - -2 * 3", "(- 1 (* -2 3))"),
    ];
    for (src, tree) in cases {
        let ast = parse(src).unwrap_or_else(|d| panic!("{src}: {d:?}"));
        assert_eq!(jexpr::sexpr(&ast), tree, "{src}");
    }
}

#[test]
fn spans_cover_the_nodes() {
    let src = "@{E.a} == 'x' and f(1, 2)";
    let ast = parse(src).expect("parses");
    assert_eq!(ast.span.text(src), src);
    let jexpr::ast::ExprKind::Binary(_, lhs, rhs) = &ast.kind else {
        panic!("not binary")
    };
    assert_eq!(lhs.span.text(src), "@{E.a} == 'x'");
    assert_eq!(rhs.span.text(src), "f(1, 2)");
}

#[test]
fn escapes_are_decoded() {
    let cases = [
        (r#""\\.""#, "\\."),
        (r#""a\"b""#, "a\"b"),
        (r"'it\'s'", "it's"),
        (r#""\n\r\t""#, "\n\r\t"),
        (r#""\u00e9""#, "é"),
        (r#""\uD83D\uDE00""#, "😀"),
        ("'Grüße 東京'", "Grüße 東京"),
    ];
    for (src, value) in cases {
        let ast = parse(src).unwrap_or_else(|d| panic!("{src}: {d:?}"));
        assert_eq!(
            ast.kind,
            jexpr::ast::ExprKind::String(value.to_string()),
            "{src}"
        );
    }
}
