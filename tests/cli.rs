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
        panic!("stdout is not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout))
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
    assert!(err.contains("error[E0108]: expected an expression after `<`"), "{err}");
    assert!(err.contains("1 │ 1 <"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn double_dash_ends_options() {
    let out = jexpr(&["check", "--format", "json", "--", "-1 + 2"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn missing_expression_is_a_usage_error() {
    assert_eq!(jexpr(&["check"]).status.code(), Some(2));
    assert_eq!(jexpr(&["check", "--file", "/nonexistent/x.jexpr"]).status.code(), Some(2));
    assert_eq!(jexpr(&["check", "--bogus-flag", "1"]).status.code(), Some(2));
}
