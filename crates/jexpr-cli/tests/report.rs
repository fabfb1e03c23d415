//! `jexpr report` (SERVICE.md section 4) over the examples' run: the figures
//! agree with counts made here directly from the trace, every node keeps
//! entered = ways out + errors + waiting, and a state gives the same report
//! as the trace file of the same run.

use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn jexpr(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jexpr"))
        .current_dir(ROOT)
        .args(args)
        .output()
        .expect("run jexpr")
}

/// `jexpr run` of the examples until 2024-06-15, with `extra` arguments.
fn run_examples(extra: &[&str]) -> Output {
    let mut args = vec![
        "run",
        "examples/journeys/cart.journey.json",
        "examples/journeys/welcome.journey.json",
        "examples/journeys/winback.journey.json",
        "--catalog",
        "examples/journeys/catalog.json",
        "--profiles",
        "examples/journeys/profiles.jsonl",
        "--events",
        "examples/journeys/events.jsonl",
        "--until",
        "2024-06-15T00:00:00Z",
    ];
    args.extend_from_slice(extra);
    jexpr(&args)
}

/// Runs the examples once (with a SQLite state), returning the directory
/// with `trace.jsonl` and `run.db`.
fn example_run(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("jexpr-report-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let trace = dir.join("trace.jsonl").display().to_string();
    let state = dir.join("run.db").display().to_string();
    let out = run_examples(&["--trace", &trace, "--state", &state]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

fn report_json(args: &[&str]) -> Json {
    let mut all = vec!["report", "--format", "json"];
    all.extend_from_slice(args);
    let out = jexpr(&all);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

fn records(trace: &Path) -> Vec<Json> {
    std::fs::read_to_string(trace)
        .expect("trace")
        .lines()
        .map(|l| serde_json::from_str(l).expect("record"))
        .collect()
}

/// How many records of `journey` match `pred`.
fn count(records: &[Json], journey: &str, pred: impl Fn(&Json) -> bool) -> u64 {
    records
        .iter()
        .filter(|r| r["journey"] == journey && pred(r))
        .count() as u64
}

#[test]
fn the_figures_are_the_traces_own_counts() {
    let dir = example_run("figures");
    let trace = dir.join("trace.jsonl");
    let recs = records(&trace);
    let report = report_json(&["--trace", &trace.display().to_string()]);
    let journeys = report["journeys"].as_array().expect("journeys");
    let ids: Vec<&str> = journeys
        .iter()
        .filter_map(|j| j["journey"].as_str())
        .collect();
    assert_eq!(ids, ["cart", "welcome", "winback"]);
    for j in journeys {
        let id = j["journey"].as_str().expect("id");
        let kind = |k: &'static str| move |r: &Json| r["kind"] == k;
        assert_eq!(j["entered"], count(&recs, id, kind("enter")), "{id}");
        assert_eq!(j["errors"], count(&recs, id, kind("error")), "{id}");
        let mut rejected = BTreeMap::new();
        let mut exited = BTreeMap::new();
        for r in recs.iter().filter(|r| r["journey"] == id) {
            let tally = match r["kind"].as_str() {
                Some("reject") => &mut rejected,
                Some("exit") => &mut exited,
                _ => continue,
            };
            *tally
                .entry(r["reason"].as_str().expect("reason").to_string())
                .or_insert(0u64) += 1;
        }
        assert_eq!(
            j["rejected"],
            serde_json::to_value(&rejected).expect("json"),
            "{id}"
        );
        assert_eq!(
            j["exited"],
            serde_json::to_value(&exited).expect("json"),
            "{id}"
        );
        // --until moved the clock past every wait: nobody is left.
        assert_eq!(j["waiting"], 0, "{id}");
        let nodes = j["nodes"].as_object().expect("nodes");
        for (node, n) in nodes {
            let at = |k: &'static str| {
                let node = node.clone();
                move |r: &Json| r["kind"] == k && r["node"] == node.as_str()
            };
            assert_eq!(n["errors"], count(&recs, id, at("error")), "{id}/{node}");
            let sum = |v: &Json| -> u64 {
                v.as_object()
                    .map_or(0, |o| o.values().filter_map(Json::as_u64).sum())
            };
            let num = |k: &str| n[k].as_u64().unwrap_or(0);
            match n["type"].as_str() {
                Some("condition" | "split") => {
                    assert_eq!(
                        sum(&n["paths"]),
                        count(&recs, id, at("path")),
                        "{id}/{node}"
                    )
                }
                Some("action") => {
                    assert_eq!(
                        sum(&n["status"]),
                        count(&recs, id, at("action")),
                        "{id}/{node}"
                    )
                }
                Some("reaction") => assert_eq!(
                    sum(&n["events"]) + num("timeout"),
                    count(&recs, id, at("resume")),
                    "{id}/{node}"
                ),
                Some("event" | "audience") => assert_eq!(n["entered"], j["entered"], "{id}/{node}"),
                _ => {}
            }
            // entered = ways out + errors + waiting (an error exit is its error).
            if !matches!(n["type"].as_str(), Some("event" | "audience")) {
                let exits: u64 = n["exited"].as_object().map_or(0, |o| {
                    o.iter()
                        .filter(|(k, _)| *k != "error")
                        .filter_map(|(_, v)| v.as_u64())
                        .sum()
                });
                let out = sum(&n["paths"])
                    + sum(&n["events"])
                    + sum(&n["status"])
                    + num("timeout")
                    + num("resumed")
                    + num("jumped")
                    + num("skipped")
                    + exits;
                assert_eq!(
                    num("entered"),
                    out + num("errors") + num("waiting"),
                    "{id}/{node}: {n}"
                );
            }
        }
    }
    // Figures a reader of the README can check: the run summary says
    // "exited: 1623 end, 5 error"; the five errors are the cart's jumps
    // back into welcome within its re-entrance wait.
    let ends: u64 = journeys
        .iter()
        .filter_map(|j| j["exited"]["end"].as_u64())
        .sum();
    assert_eq!(ends, 1623);
    assert_eq!(journeys[0]["nodes"]["thanks"]["errors"], 5);
}

#[test]
fn a_state_reports_what_its_trace_file_does() {
    let dir = example_run("state");
    let from_file = report_json(&[
        "--trace",
        &dir.join("trace.jsonl").display().to_string(),
        "--by-day",
    ]);
    let from_state = report_json(&[
        "--state",
        &dir.join("run.db").display().to_string(),
        "--by-day",
    ]);
    assert_eq!(from_file, from_state);
    let welcome = report_json(&[
        "--trace",
        &dir.join("trace.jsonl").display().to_string(),
        "--journey",
        "welcome",
    ]);
    assert_eq!(welcome["journeys"].as_array().map(Vec::len), Some(1));
    assert_eq!(welcome["journeys"][0]["name"], "Welcome new subscribers");
}

#[test]
fn the_text_report_is_a_table() {
    let dir = example_run("text");
    let out = jexpr(&[
        "report",
        "--trace",
        &dir.join("trace.jsonl").display().to_string(),
    ]);
    assert!(out.status.success());
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
}

#[test]
fn an_unreadable_trace_says_where() {
    let dir = std::env::temp_dir().join(format!("jexpr-report-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let bad = dir.join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"time\":\"2024-05-01T10:00:00.000Z\",\"kind\":\"inputError\",\"line\":1,\"message\":\"x\"}\nnot json\n",
    )
    .expect("write");
    let out = jexpr(&["report", "--trace", &bad.display().to_string()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.jsonl line 2: not a trace record"),
        "{stderr}"
    );
    let good = dir.join("good.jsonl");
    std::fs::write(&good, "{\"time\":\"2024-05-01T10:00:00.000Z\",\"kind\":\"inputError\",\"line\":1,\"message\":\"x\"}\n").expect("write");
    let out = jexpr(&[
        "report",
        "--trace",
        &good.display().to_string(),
        "--journey",
        "nope",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no record of journey `nope`"));
    let out = jexpr(&["report"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_text_trace_is_a_timeline_with_the_why() {
    let dir = std::env::temp_dir().join(format!("jexpr-report-timeline-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let trace = dir.join("trace.jsonl").display().to_string();
    let out = run_examples(&["--explain", "--trace", &trace]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = jexpr(&[
        "trace",
        "examples/journeys/cart.journey.json",
        "examples/journeys/welcome.journey.json",
        "examples/journeys/winback.journey.json",
        "--trace",
        &trace,
        "--profile",
        "user0282@example.com",
        "--format",
        "text",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
    // JSON Lines of one profile are the trace's own lines, unchanged.
    let out = jexpr(&[
        "trace",
        "--trace",
        &trace,
        "--profile",
        "user0282@example.com",
    ]);
    let expected: String = std::fs::read_to_string(&trace)
        .expect("trace")
        .lines()
        .filter(|l| l.contains(r#""profileId":"user0282@example.com""#))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
}
