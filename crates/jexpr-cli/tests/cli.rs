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
    format!("{}/../../tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"))
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
        "{}/../../tests/data/spec-context.json",
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

fn data(path: &str) -> String {
    format!("{}/../../tests/data/{path}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn eval_prints_values_and_json() {
    let out = jexpr(&["eval", "1 + 2"]);
    assert_eq!(
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).as_ref()
        ),
        (Some(0), "3\n")
    );
    let out = jexpr(&["eval", "--format", "json", "avg([10,3,8])"]);
    assert_eq!(
        stdout_json(&out),
        serde_json::json!({"type": "decimal", "value": 7.0})
    );
    let out = jexpr(&[
        "eval",
        "--format",
        "json",
        "toDateTime(\"2011-12-03T15:15:30Z\") + toDuration(\"PT15M\")",
    ]);
    assert_eq!(
        stdout_json(&out),
        serde_json::json!({"type": "dateTime", "value": "2011-12-03T15:30:30Z"})
    );
    let out = jexpr(&[
        "eval",
        "--format",
        "json",
        "distinctWithNull([10,2,10,null])",
    ]);
    assert_eq!(
        stdout_json(&out),
        serde_json::json!({"type": "listInteger", "value": [10, 2, null]})
    );
    // Strings are bare at top level in text, quoted inside lists.
    let out = jexpr(&["eval", "split(\"a,b\", \",\")"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "[\"a\", \"b\"]\n");
    let out = jexpr(&["eval", "upper(\"b\")"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "B\n");
}

#[test]
fn eval_null_result_keeps_the_static_type() {
    let out = jexpr(&[
        "eval",
        "--context",
        &data("spec-context.json"),
        "--format",
        "json",
        "#{ACP.Profile.person.lastName} + @{OrderEvent.productId}",
    ]);
    // `productId` is not in the sample: it reads null (so `+` gives the other
    // string) and a warning says so (issue 11), without changing the exit code.
    let v = stdout_json(&out);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        (&v["type"], &v["value"]),
        (&serde_json::json!("string"), &serde_json::json!("Snow"))
    );
    assert_eq!(v["warnings"][0]["code"], "W0201");
    assert_eq!(v["warnings"][0]["span"], serde_json::json!([46, 55]));
    let catalog = fixture("catalog.json");
    let context = data("spec-context.json");
    let out = jexpr(&[
        "eval",
        "--catalog",
        &catalog,
        "--context",
        &context,
        "--format",
        "json",
        "@{OrderEvent.email}",
    ]);
    assert_eq!(
        stdout_json(&out),
        serde_json::json!({"type": "string", "value": null})
    );
}

#[test]
fn eval_error_is_exit_3_with_span() {
    let out = jexpr(&["eval", "--format", "json", "1 + (9223372036854775807 + 1)"]);
    assert_eq!(out.status.code(), Some(3));
    let v = stdout_json(&out);
    // The parenthesised sum, brackets included.
    assert_eq!(v["error"]["span"], serde_json::json!([4, 29]));
    assert!(v["error"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("overflow")));
    let out = jexpr(&["eval", "setDays(toDateTime(\"2023-02-01T00:00:00Z\"), 30)"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("day 30 does not exist in 2023-02"));
}

#[test]
fn now_and_tz_override_the_context() {
    let out = jexpr(&[
        "eval",
        "--now",
        "2024-07-01T06:30:00Z",
        "now(\"Europe/Paris\")",
    ]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "2024-07-01T08:30:00+02:00\n"
    );
    assert_eq!(
        jexpr(&["eval", "--now", "yesterday", "now()"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        jexpr(&["eval", "--tz", "Mars/Base", "1"]).status.code(),
        Some(2)
    );
    assert_eq!(
        jexpr(&[
            "eval",
            "--context",
            &fixture("bad/malformed-catalog.json"),
            "1"
        ])
        .status
        .code(),
        Some(2)
    );
}

#[test]
fn every_spec_example_through_the_binary() {
    // A sample of the conformance file, end to end through `jexpr eval --format json`.
    let context = data("spec-context.json");
    let cases = [
        ("count(@{LobbyBeacon._experience.campaign.message.profile.pushNotificationTokens.token})", serde_json::json!(3)),
        ("#{ACP.Profile.emails.at(1).email}", serde_json::json!("snow@thewall.westeros")),
        ("toDuration(\"P2D\")", serde_json::json!("PT48H")),
        ("sum([10.5,null,8.1])", serde_json::json!(18.6)),
    ];
    for (src, value) in cases {
        let out = jexpr(&[
            "eval",
            "--context",
            &context,
            "--now",
            "2024-05-01T10:00:00Z",
            "--format",
            "json",
            src,
        ]);
        assert_eq!(stdout_json(&out)["value"], value, "{src}");
    }
}

#[test]
fn expression_from_stdin_and_file() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_jexpr"))
        .args(["eval", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start jexpr");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"upper('a')\n + 'b'\n")
        .expect("write");
    let out = child.wait_with_output().expect("output");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "Ab\n");

    let file = std::env::temp_dir().join(format!("jexpr-cli-{}.jexpr", std::process::id()));
    std::fs::write(&file, "listSize([1, 2, 3])").expect("write expression file");
    let out = jexpr(&[
        "eval",
        "--format",
        "json",
        "--file",
        file.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(
        stdout_json(&out),
        serde_json::json!({"type": "integer", "value": 3})
    );
    let _ = std::fs::remove_file(&file);
}

#[test]
fn eval_prints_null_as_null_and_the_empty_string_as_an_empty_line() {
    let out = jexpr(&["eval", "null"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "null\n");
    let out = jexpr(&["eval", "\"\""]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "\n");
}

fn jexpr_stdin(args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_jexpr"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn jexpr");
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input.as_bytes()).expect("write stdin");
    }
    child.wait_with_output().expect("wait")
}

/// Every expression input of the test suite that parses.
fn input_files() -> Vec<std::path::PathBuf> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/inputs");
    let mut dirs = vec![root];
    let mut files = Vec::new();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("inputs").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "jexpr") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn fmt_is_idempotent_over_every_input_file() {
    let mut formatted = 0;
    for path in input_files() {
        let out = jexpr(&["fmt", "--file", path.to_str().expect("utf-8 path")]);
        if out.status.code() == Some(1) {
            // A syntax error: reported with the file's name, nothing printed.
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains(path.to_str().unwrap_or("")), "{err}");
            assert!(out.stdout.is_empty());
            continue;
        }
        assert_eq!(out.status.code(), Some(0), "{}", path.display());
        let once = String::from_utf8(out.stdout).expect("utf-8");
        let twice = jexpr_stdin(&["fmt", "-"], &once);
        assert_eq!(
            String::from_utf8_lossy(&twice.stdout),
            once,
            "{}",
            path.display()
        );
        let check = jexpr_stdin(&["fmt", "--check", "-"], &once);
        assert_eq!(check.status.code(), Some(0), "{}", path.display());
        formatted += 1;
    }
    assert!(formatted > 100, "only {formatted} inputs formatted");
    let out = jexpr(&["fmt", "--check", "1+2"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 + 2"));
}

#[test]
fn functions_lists_shows_and_suggests() {
    let out = jexpr(&["functions", "substr"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("substr(string, integer, integer) → string"),
        "{text}"
    );
    assert!(
        text.contains("null: a null argument makes the result null"),
        "{text}"
    );
    assert!(
        text.contains(r#"`substr("Hello World", 6)` → "World""#),
        "{text}"
    );
    // A prefix lists the functions it starts, by group.
    let text = String::from_utf8(jexpr(&["functions", "inLast"]).stdout).expect("utf-8");
    assert!(text.starts_with("dates:\n"), "{text}");
    assert!(
        text.contains("inLastDays(dateTime, integer) → boolean"),
        "{text}"
    );
    assert!(!text.contains("substr"), "{text}");
    // Every function has its documentation.
    let v = stdout_json(&jexpr(&["functions", "--format", "json"]));
    let list = v["functions"].as_array().expect("list");
    assert!(list.len() > 60);
    for f in list {
        assert!(!f["doc"].as_str().unwrap_or("").is_empty(), "{f}");
        assert!(!f["signatures"].as_array().expect("sigs").is_empty(), "{f}");
    }
    let out = jexpr(&["functions", "lenght"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `length`?"));
}

#[test]
fn usage_errors_are_json_under_format_json() {
    for args in [
        &["eval", "--format", "json", "--bogus", "1"][..],
        &[
            "eval",
            "--format",
            "json",
            "--context",
            "/nonexistent/c.json",
            "1",
        ],
        &["check", "--format", "json", "--expect", "bool", "true"],
        &["check", "--format=json"],
    ] {
        let out = jexpr(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let v = stdout_json(&out);
        assert!(v["error"]["message"].is_string(), "{args:?}: {v}");
        assert!(out.stderr.is_empty(), "{args:?}");
    }
    let v = stdout_json(&jexpr(&[
        "check", "--format", "json", "--expect", "bool", "true",
    ]));
    assert_eq!(
        v["error"]["message"],
        "--expect: unknown type `bool` (did you mean `boolean`?)"
    );
    // Without JSON, clap's own message and exit code 2; help is not an error.
    assert_eq!(jexpr(&["eval", "--bogus", "1"]).status.code(), Some(2));
    assert_eq!(jexpr(&[]).status.code(), Some(2));
    assert_eq!(jexpr(&["--help"]).status.code(), Some(0));
}

#[test]
fn eval_events_gives_one_result_per_line() {
    let dir = std::env::temp_dir().join(format!("jexpr-cli-events-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let events = dir.join("events.jsonl");
    std::fs::write(
        &events,
        concat!(
            r#"{"time": "2024-05-01T10:00:00Z", "event": "Order", "payload": {"total": 120.5}}"#,
            "\n",
            r#"{"time": "2024-05-01T11:00:00Z", "event": "Order", "payload": {"total": 80.0}}"#,
            "\n\nnot json\n",
            r#"{"time": "2024-05-01T12:00:00Z", "event": "Order", "payload": {}}"#,
            "\n",
            // A profile update (issue 26): not an event, skipped.
            r#"{"time": "2024-05-01T13:00:00Z", "profileId": "p", "audiences": {"gold": "realized"}}"#,
            "\n"
        ),
    )
    .expect("write");
    let path = events.to_str().expect("utf-8");
    // Types are inferred from the events; `now` is each line's time.
    let out = jexpr(&[
        "eval",
        "--events",
        path,
        r#"@{Order.total} > 100.0 and now() > toDateTime("2024-05-01T10:30:00Z")"#,
    ]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "1: false\n2: false\n4: error: not valid JSON: expected ident at line 1 column 2\n5: false\n"
    );
    assert_eq!(out.status.code(), Some(3));
    let out = jexpr(&[
        "eval",
        "--format",
        "json",
        "--events",
        path,
        "@{Order.total}",
    ]);
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines[0], serde_json::json!({"line": 1, "value": 120.5}));
    assert_eq!(lines[3], serde_json::json!({"line": 5, "value": null}));
    assert!(lines[2]["error"]["message"].is_string());
}

#[test]
fn evaluation_errors_have_a_code_and_name_the_data() {
    let dir = std::env::temp_dir().join(format!("jexpr-cli-evalcode-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let catalog = dir.join("catalog.json");
    let context = dir.join("context.json");
    std::fs::write(
        &catalog,
        r#"{"events": {"E": {"fields": {"a": "integer"}}}}"#,
    )
    .expect("w");
    std::fs::write(&context, r#"{"events": {"E": {"a": "x"}}}"#).expect("w");
    let (c, x) = (catalog.to_str().expect("p"), context.to_str().expect("p"));
    let out = jexpr(&["eval", "--catalog", c, "--context", x, "@{E.a} + 1"]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error[E0501]: evaluation failed"), "{err}");
    assert!(err.contains("the data read by `@{E.a}`"), "{err}");
    let v = stdout_json(&jexpr(&[
        "eval",
        "--format",
        "json",
        "--catalog",
        c,
        "--context",
        x,
        "@{E.a} + 1",
    ]));
    assert_eq!(v["error"]["code"], "E0501");
    assert_eq!(v["error"]["kind"], "invalidData");
    assert_eq!(v["error"]["span"], serde_json::json!([0, 6]));
}

#[test]
fn eval_warns_of_events_without_sample_data() {
    let catalog = fixture("catalog.json");
    let out = jexpr(&["eval", "--catalog", &catalog, "@{OrderEvent.total} > 100.0"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "false\n");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning[W0501]: no sample data for event `OrderEvent`"),
        "{err}"
    );
    // `check` does not evaluate: no such warning there.
    let out = jexpr(&[
        "check",
        "--catalog",
        &catalog,
        "@{OrderEvent.total} > 100.0",
    ]);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `eval --explain` over the example catalog and context: what an author
/// reads to see why a condition came out as it did.
#[test]
fn explain_trees() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    insta::glob!("inputs/explain/*.jexpr", |path| {
        let src = std::fs::read_to_string(path).expect("input");
        let out = Command::new(env!("CARGO_BIN_EXE_jexpr"))
            .current_dir(root)
            .args([
                "eval",
                "--explain",
                "--catalog",
                "examples/catalog.json",
                "--context",
                "examples/context.json",
                src.trim_end(),
            ])
            .output()
            .expect("run jexpr");
        insta::assert_snapshot!(format!(
            "input:\n{src}\n\nexit: {:?}\n{}{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    });
}

#[test]
fn context_errors_name_the_place_and_suggest() {
    let dir = std::env::temp_dir().join(format!("jexpr-cli-ctxerr-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let cases = [
        (
            r#"{"event": {"E": {}}}"#,
            "at /event: unknown context key `event` (did you mean `events`?)",
        ),
        (
            r#"{"events": {"E": 5}}"#,
            "at /events/E: the payload of event `E` must be an object, found a number",
        ),
        (
            r#"{"audiences": {"gold": "realised"}}"#,
            "at /audiences/gold: `realised` is not an audience status (did you mean `realized`?)",
        ),
        (
            r#"{"dataSources": {"D": {"G": [1]}}}"#,
            "at /dataSources/D/G: field group `G` must be an object, found a list",
        ),
        (
            r#"{"timeZone": "PST"}"#,
            "at /timeZone: unknown time zone `PST`: `PST` is an abbreviation",
        ),
    ];
    for (i, (doc, expected)) in cases.iter().enumerate() {
        let path = dir.join(format!("c{i}.json"));
        std::fs::write(&path, doc).expect("write");
        let out = jexpr(&["eval", "--context", path.to_str().expect("p"), "1"]);
        assert_eq!(out.status.code(), Some(2), "{doc}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expected), "{doc}: {err}");
        assert!(err.contains(path.to_str().expect("p")), "{err}");
    }
}

/// Issue 22: `eval --context` accepts a line of a journey run's profiles
/// file, so an author can ask why a condition on that profile is false.
#[test]
fn a_profiles_line_is_a_context() {
    let dir = std::env::temp_dir().join(format!("jexpr-profile-context-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let line = r#"{"profileId": "p1", "dataSources": {"Crm": {"Profile": {"tier": "gold"}}}, "audiences": {"vip": "realized"}}"#;
    let path = dir.join("p1.json");
    std::fs::write(&path, line).expect("write");
    let context = path.to_string_lossy().into_owned();
    let out = jexpr(&[
        "eval",
        "--context",
        &context,
        r#"#{Crm.Profile.tier} == "gold" and inAudience("vip")"#,
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "true");
    // Fetches are for journeys; said so, not read as nothing.
    let with_fetches = r#"{"profileId": "p1", "fetches": []}"#;
    std::fs::write(&path, with_fetches).expect("write");
    let out = jexpr(&["eval", "--context", &context, "1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("`fetches` are read by journeys"));
    let _ = std::fs::remove_dir_all(&dir);
}
