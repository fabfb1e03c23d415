//! The `jexpr` binary honours ../shared/spec/CLI.md: exit codes and JSON shapes.

use std::process::{Command, Output};

fn jexpr(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jexpr"))
        .args(args)
        .output()
        .expect("run jexpr")
}

fn stdout_json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

#[test]
fn check_syntax_error_is_exit_1_with_located_json() {
    let out = jexpr(&["check", "--format", "json", "@{E.a} == 1 AND true"]);
    assert_eq!(out.status.code(), Some(1));
    let v = stdout_json(&out);
    assert_eq!(v["errors"][0]["code"], "E0105");
    assert_eq!(v["errors"][0]["span"], serde_json::json!([12, 15]));
    assert_eq!(v["errors"][0]["help"], "write `and`");
}

#[test]
fn check_text_error_goes_to_stderr_with_snippet() {
    let out = jexpr(&["check", "1 <"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("error[E0108]: expected an expression after `<`"),
        "{err}"
    );
    assert!(err.contains("1 │ 1 <"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn double_dash_ends_options() {
    let out = jexpr(&["check", "--format", "json", "--", "-1 + 2"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn missing_expression_is_a_usage_error() {
    assert_eq!(jexpr(&["check"]).status.code(), Some(2));
    assert_eq!(
        jexpr(&["check", "--file", "/nonexistent/x.jexpr"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        jexpr(&["check", "--bogus-flag", "1"]).status.code(),
        Some(2)
    );
}

fn fixture(path: &str) -> String {
    format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn check_prints_the_type() {
    let catalog = fixture("catalog.json");
    let out = jexpr(&["check", "--catalog", &catalog, "@{OrderEvent.items.sku}"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "listString\n");
    let out = jexpr(&[
        "check",
        "--catalog",
        &catalog,
        "--format",
        "json",
        "@{OrderEvent.total} > 1.0",
    ]);
    assert_eq!(stdout_json(&out), serde_json::json!({"type": "boolean"}));
}

#[test]
fn expect_rejects_a_non_boolean_condition() {
    let catalog = fixture("catalog.json");
    let out = jexpr(&[
        "check",
        "--catalog",
        &catalog,
        "--expect",
        "boolean",
        "--format",
        "json",
        "@{OrderEvent.email}",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v = stdout_json(&out);
    assert_eq!(v["errors"][0]["code"], "E0309");
    assert_eq!(v["errors"][0]["span"], serde_json::json!([0, 19]));
    let ok = jexpr(&[
        "check",
        "--catalog",
        &catalog,
        "--expect",
        "dateTimeOnly",
        "@{OrderEvent.pickupTime}",
    ]);
    assert_eq!(ok.status.code(), Some(0));
    let bad_type = jexpr(&["check", "--expect", "bool", "true"]);
    assert_eq!(bad_type.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad_type.stderr).contains("unknown type `bool`"));
}

#[test]
fn catalog_problems_are_usage_errors() {
    for bad in [
        "bad/cycle-catalog.json",
        "bad/malformed-catalog.json",
        "no-such.json",
    ] {
        let out = jexpr(&["check", "--catalog", &fixture(bad), "true"]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("invalid catalog"),
            "{bad}"
        );
    }
}

#[test]
fn fields_without_catalog_or_context_say_what_to_pass() {
    let out = jexpr(&["check", "--format", "json", "@{E.a} == 1"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout_json(&out)["errors"][0]["code"], "E0213");
}

#[test]
fn context_types_fields_by_inference() {
    let context = format!(
        "{}/tests/data/spec-context.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = jexpr(&[
        "check",
        "--context",
        &context,
        "#{ACP.Profile.emails.at(1).email}",
    ]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "string\n");
}
