//! `jexpr journey check` and `jexpr run` through the binary (JOURNEYS.md
//! sections 3 and 6): exit codes, JSON shapes, and the example run.

use std::path::Path;
use std::process::{Command, Output};

fn jexpr(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jexpr"))
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .args(args)
        .output()
        .expect("run jexpr")
}

const EXAMPLES: [&str; 3] = [
    "examples/journeys/cart.journey.json",
    "examples/journeys/welcome.journey.json",
    "examples/journeys/winback.journey.json",
];

/// `jexpr run` of the example journeys, catalog and profiles over `events`,
/// with `extra` arguments.
fn run_examples(events: &str, extra: &[&str]) -> Output {
    let mut args = vec!["run"];
    args.extend(EXAMPLES);
    args.extend([
        "--catalog",
        "examples/journeys/catalog.json",
        "--profiles",
        "examples/journeys/profiles.jsonl",
        "--events",
        events,
    ]);
    args.extend(extra);
    jexpr(&args)
}

#[test]
fn the_examples_check_clean() {
    let mut args = vec!["journey", "check"];
    args.extend(EXAMPLES);
    args.extend([
        "--catalog",
        "examples/journeys/catalog.json",
        "--format",
        "json",
    ]);
    let out = jexpr(&args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v, serde_json::json!({"errors": [], "warnings": []}));
}

#[test]
fn a_broken_journey_is_exit_1_with_pointers_and_spans() {
    let dir = std::env::temp_dir().join(format!("jexpr-journey-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("broken.json");
    std::fs::write(
        &file,
        r#"{"id": "b", "version": 1, "start": "s", "nodes": {
            "s": {"type": "event", "event": "Subscribed", "when": "@{Subscribed.consnt}", "next": "x"},
            "e": {"type": "end"}}}"#,
    )
    .expect("write");
    let path = file.to_string_lossy().into_owned();
    let out = jexpr(&[
        "journey",
        "check",
        &path,
        "--catalog",
        "examples/journeys/catalog.json",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let errors = v["errors"].as_array().expect("errors");
    let by_code = |c: &str| {
        errors
            .iter()
            .find(|e| e["code"] == c)
            .unwrap_or_else(|| panic!("no {c} in {v}"))
    };
    assert_eq!(by_code("J010")["pointer"], "/nodes/s/next");
    assert_eq!(by_code("E0205")["pointer"], "/nodes/s/when");
    assert_eq!(by_code("E0205")["span"], serde_json::json!([13, 19]));
    assert_eq!(v["warnings"][0]["code"], "J023");
    // Text goes to stderr with the expression's snippet.
    let out = jexpr(&[
        "journey",
        "check",
        &path,
        "--catalog",
        "examples/journeys/catalog.json",
    ]);
    let text = String::from_utf8_lossy(&out.stderr);
    // The file's line and column (editors jump there), then the pointer
    // and the place in the expression.
    assert!(
        text.contains("broken.json:2:81 #/nodes/s/when:1:14"),
        "{text}"
    );
    assert!(text.contains("did you mean `consent`?"), "{text}");
    // `run` refuses it too, with the same exit code.
    let out = jexpr(&[
        "run",
        &path,
        "--catalog",
        "examples/journeys/catalog.json",
        "--events",
        "examples/journeys/events.jsonl",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_example_run_is_deterministic_and_summarised() {
    let run = || {
        run_examples(
            "examples/journeys/events.jsonl",
            &["--until", "2024-06-15T00:00:00Z"],
        )
    };
    let first = run();
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(
        first.stdout,
        run().stdout,
        "two runs of the same input differ"
    );
    let summary = String::from_utf8_lossy(&first.stderr);
    assert!(summary.contains("read 4000 lines"), "{summary}");
    let records = first
        .stdout
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .count();
    assert!(
        summary.contains(&format!("wrote {records} trace records")),
        "{summary}"
    );
    // Every record is JSON with the fields of section 5.
    for line in first
        .stdout
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
    {
        let v: serde_json::Value = serde_json::from_slice(line).expect("record");
        assert!(
            v["time"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z') && t.len() == 24),
            "{v}"
        );
        assert!(v["kind"].is_string());
    }
}

/// SERVICE.md section 4: the run summary adds errors and exits by reason
/// (a run whose every instance failed said only "0 instances still
/// waiting", exit 0); `--fail-on-error` makes failed steps an exit code.
#[test]
fn the_summary_counts_errors_and_exits_and_can_fail_the_run() {
    let out = run_examples(
        "examples/journeys/events.jsonl",
        &["--until", "2024-06-15T00:00:00Z", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines: Vec<&str> = text.lines().collect();
    let summary: serde_json::Value =
        serde_json::from_str(lines.pop().expect("summary")).expect("summary JSON");
    // Counted from the trace itself.
    let mut errors = 0;
    let mut exited = serde_json::Map::new();
    for line in lines {
        let r: serde_json::Value = serde_json::from_str(line).expect("record");
        match r["kind"].as_str() {
            Some("error") => errors += 1,
            Some("exit") => {
                let reason = r["reason"].as_str().expect("reason").to_string();
                let n = exited.get(&reason).and_then(|v| v.as_u64()).unwrap_or(0);
                exited.insert(reason, (n + 1).into());
            }
            _ => {}
        }
    }
    assert!(errors > 0, "the example has jumps its target refuses");
    assert_eq!(summary["errors"], errors);
    assert_eq!(summary["exited"], serde_json::Value::Object(exited));
    // In text, and as an exit code when asked.
    let out = run_examples(
        "examples/journeys/events.jsonl",
        &["--until", "2024-06-15T00:00:00Z", "--fail-on-error"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(&format!("{errors} steps failed (error records); exited: ")),
        "{stderr}"
    );
}

#[test]
fn an_unreadable_events_file_is_a_usage_error() {
    let out = jexpr(&[
        "run",
        EXAMPLES[1],
        "--catalog",
        "examples/journeys/catalog.json",
        "--events",
        "nope.jsonl",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("nope.jsonl")),
        "{v}"
    );
}

/// README: "`--until` moves the clock and is remembered: lines appended
/// later with earlier times are out of order." With `--state`, a resumed
/// run must know the clock `--until` moved, not the last line's time.
#[test]
fn until_is_remembered_by_a_state_file() {
    let dir = std::env::temp_dir().join(format!("jexpr-until-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let events = dir.join("events.jsonl");
    let mut text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/journeys/events.jsonl"
    ))
    .expect("events");
    std::fs::write(&events, &text).expect("write");
    let (events, state, trace) = (
        events.to_string_lossy().into_owned(),
        dir.join("run.db").to_string_lossy().into_owned(),
        dir.join("trace.jsonl").to_string_lossy().into_owned(),
    );
    let run = |until: Option<&str>| {
        let mut extra = vec!["--state", &state, "--trace", &trace];
        if let Some(u) = until {
            extra.extend(["--until", u]);
        }
        let out = run_examples(&events, &extra);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    run(Some("2024-06-15T00:00:00Z"));
    text.push_str(r#"{"time": "2024-05-20T00:00:00Z", "event": "EmailOpened", "payload": {"email": "user0001@example.com", "campaign": "welcome"}}"#);
    text.push('\n');
    std::fs::write(&events, &text).expect("append");
    let summary = run(None);
    assert!(
        summary.contains("clock at 2024-06-15T00:00:00.000Z"),
        "{summary}"
    );
    let written = std::fs::read_to_string(&trace).expect("trace");
    let last = written.lines().last().unwrap_or("");
    assert!(
        last.contains(r#""kind":"inputError","line":4001,"message":"out of time order: 2024-05-20T00:00:00.000Z is before 2024-06-15T00:00:00.000Z""#),
        "{last}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn journey_schema_prints_the_json_schema() {
    let out = jexpr(&["journey", "schema"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(
        v,
        serde_json::from_str::<serde_json::Value>(jexpr_journey::JOURNEY_SCHEMA).expect("schema")
    );
}

/// Issue 26, item 4: without a catalog, one leading problem instead of one
/// per unknown name; a run that reads profile data without --profiles warns.
#[test]
fn a_missing_catalog_or_profiles_file_is_said_once() {
    let journey = "docs/first-journey/journey.json";
    let out = jexpr(&["journey", "check", journey, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let codes = error_codes(&v);
    assert_eq!(codes, ["J006"], "{v}");
    // A syntax error needs no catalog to be one: it still shows.
    let dir = std::env::temp_dir().join(format!("jexpr-no-catalog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let broken = dir.join("broken.json");
    std::fs::write(
        &broken,
        r#"{"id": "b", "version": 1, "start": "s", "nodes": {
            "s": {"type": "event", "event": "E", "when": "1 +", "next": "e"}, "e": {"type": "end"}}}"#,
    )
    .expect("write");
    let out = jexpr(&[
        "journey",
        "check",
        &broken.display().to_string(),
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let codes = error_codes(&v);
    assert_eq!(codes, ["J006", "E0108"], "{v}");
    let out = jexpr(&["journey", "check", journey]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("--context"), "{stderr}");
    assert!(stderr.contains("no --catalog given"), "{stderr}");
    let run = |profiles: bool| {
        let mut args = vec![
            "run",
            journey,
            "--catalog",
            "docs/first-journey/catalog.json",
            "--events",
            "docs/first-journey/events.jsonl",
        ];
        if profiles {
            args.extend(["--profiles", "docs/first-journey/profiles.jsonl"]);
        }
        let out = jexpr(&args);
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    assert!(
        run(false).contains("warning: the journeys read profile data (#{Crm.Profile.tier}) but no --profiles was given"),
        "{}",
        run(false)
    );
    assert!(!run(true).contains("warning"));
}

/// The codes of a JSON report's errors, in order.
fn error_codes(report: &serde_json::Value) -> Vec<&str> {
    report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["code"].as_str())
        .collect()
}

/// Issue 26 item 7: `journey check` is coloured on a terminal like `check`
/// (forced here with `CLICOLOR_FORCE`), and without the colour codes it is
/// exactly the plain text.
#[test]
fn journey_check_is_coloured_like_check() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../jexpr-journey/tests/check");
    let run = |force: bool| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_jexpr"));
        c.current_dir(&dir)
            .args([
                "journey",
                "check",
                "null-reads-actions.journey.json",
                "references.journey.json",
            ])
            .args(["--catalog", "catalog.json"]);
        if force {
            c.env("CLICOLOR_FORCE", "1");
        } else {
            c.env_remove("CLICOLOR_FORCE");
        }
        let out = c.output().expect("jexpr");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let coloured = run(true);
    let plain = run(false);
    assert!(coloured.contains("\x1b["), "{coloured}");
    assert!(!plain.contains("\x1b["));
    let stripped = regex_free_strip(&coloured);
    assert_eq!(stripped, plain);
    // Both kinds of problem are in it: an expression's and a structural one.
    assert!(
        plain.contains("warning[J070]") && plain.contains("error["),
        "{plain}"
    );
}

/// The text without ANSI colour sequences (`ESC [ … m`).
fn regex_free_strip(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            for d in chars.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
