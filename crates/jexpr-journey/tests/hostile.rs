//! Hostile journeys and inputs: no panic, bounded work, a clear error or
//! record for each.

use jexpr_journey::engine::Journeys;
use jexpr_journey::runner::Runner;
use jexpr_journey::store::MemoryStore;
use jexpr_journey::JourneyCatalog;
use serde_json::json;
use std::io::Read;
use std::path::Path;

fn catalog() -> JourneyCatalog {
    let doc = json!({"events": {"E": {"fields": {"s": "string"}}}});
    JourneyCatalog::from_json(&doc, Path::new("catalog.json")).expect("catalog")
}

fn chain(len: usize, cyclic: bool) -> String {
    let mut nodes = serde_json::Map::new();
    nodes.insert(
        "s".into(),
        json!({"type": "event", "event": "E", "next": "n0"}),
    );
    for i in 0..len {
        let next = if i + 1 < len {
            format!("n{}", i + 1)
        } else if cyclic {
            "n0".into()
        } else {
            "end".into()
        };
        nodes.insert(format!("n{i}"), json!({"type": "condition", "paths": [{"when": "false", "next": "end"}], "otherwise": next}));
    }
    nodes.insert("end".into(), json!({"type": "end"}));
    json!({"id": "chain", "version": 1, "start": "s", "nodes": nodes}).to_string()
}

fn run(journeys: Vec<String>, events: impl std::io::BufRead) -> String {
    let catalog = catalog();
    let files: Vec<(String, String)> = journeys
        .into_iter()
        .enumerate()
        .map(|(i, j)| (format!("j{i}.json"), j))
        .collect();
    let (report, compiled) = jexpr_journey::check(&files, &catalog);
    assert!(!report.has_errors(), "{}", report.render());
    let mut out = Vec::new();
    let runner = Runner::new(
        Journeys::new(compiled),
        &catalog,
        MemoryStore::default(),
        &mut out,
    );
    runner.run(None, events, None).expect("run");
    String::from_utf8(out).expect("utf-8")
}

#[test]
fn ten_thousand_nodes_stop_at_the_step_limit() {
    let trace = run(
        vec![chain(10_000, false)],
        &b"{\"time\": \"2024-05-01T10:00:00Z\", \"event\": \"E\", \"profileId\": \"p\"}\n"[..],
    );
    let last = trace.lines().last().unwrap_or("");
    assert!(last.contains("\"reason\":\"stepLimit\""), "{last}");
    assert_eq!(
        trace
            .lines()
            .filter(|l| l.contains("\"kind\":\"path\""))
            .count(),
        1000
    );
}

/// Issue 21: a chain of 40,000 one-second waits took 26 s (5,000: 0.09 s):
/// each walk scanned every node for a jump. 20,000 here; quadratic, this
/// test would take minutes.
#[test]
fn a_long_chain_of_waits_runs_in_linear_time() {
    let n = 20_000;
    let mut nodes = serde_json::Map::new();
    nodes.insert(
        "s".into(),
        json!({"type": "event", "event": "E", "next": "w0"}),
    );
    for i in 0..n {
        let next = if i + 1 < n {
            format!("w{}", i + 1)
        } else {
            "end".into()
        };
        nodes.insert(
            format!("w{i}"),
            json!({"type": "wait", "duration": "PT1S", "next": next}),
        );
    }
    nodes.insert("end".into(), json!({"type": "end"}));
    let journey = json!({"id": "chain", "version": 1, "start": "s", "nodes": nodes}).to_string();
    let events = b"{\"time\": \"2024-05-01T10:00:00Z\", \"event\": \"E\", \"profileId\": \"p\"}\n\
{\"time\": \"2024-05-02T10:00:00Z\", \"event\": \"E\", \"profileId\": \"q\"}\n";
    let trace = run(vec![journey], &events[..]);
    // p: enter, 20,000 × (wait, resume), exit; q: enter, wait.
    let of_p = trace
        .lines()
        .filter(|l| l.contains("\"profileId\":\"p\""))
        .count();
    assert_eq!(of_p, 2 * n + 2);
    assert!(trace.contains(r#""time":"2024-05-01T15:33:20.000Z","kind":"exit","journey":"chain","version":1,"profileId":"p","node":"end","reason":"end""#));
}

#[test]
fn a_ten_thousand_node_cycle_is_reported_not_followed() {
    let (report, _) = jexpr_journey::check(&[("c.json".into(), chain(10_000, true))], &catalog());
    assert!(
        report.problems.iter().any(|p| p.code == "J024"),
        "{}",
        report.render()
    );
}

#[test]
fn a_deep_chain_of_jumps_is_bounded() {
    let journeys: Vec<String> = (0..300)
        .map(|i| {
            json!({"id": format!("j{i:03}"), "version": 1, "start": "s", "nodes": {
                "s": {"type": "event", "event": "E", "when": "false", "next": "jump"},
                "jump": {"type": "jump", "journey": format!("j{:03}", (i + 1) % 300), "next": "w"},
                "w": {"type": "wait", "duration": "PT1H", "next": "end"},
                "end": {"type": "end"}}})
            .to_string()
        })
        .collect();
    // A cycle of 300 jumps is a check error …
    let files: Vec<(String, String)> = journeys
        .iter()
        .enumerate()
        .map(|(i, j)| (format!("j{i}.json"), j.clone()))
        .collect();
    let (report, _) = jexpr_journey::check(&files, &catalog());
    assert!(report.problems.iter().any(|p| p.code == "J022"));
    // … and a chain of 300 (the last one jumps nowhere) runs, bounded.
    let mut chain = journeys;
    chain[299] = json!({"id": "j299", "version": 1, "start": "s", "nodes": {
        "s": {"type": "event", "event": "E", "when": "false", "next": "end"}, "end": {"type": "end"}}})
    .to_string();
    chain[0] = chain[0].replace("\"when\":\"false\",", "");
    let trace = run(
        chain,
        &b"{\"time\": \"2024-05-01T10:00:00Z\", \"event\": \"E\", \"profileId\": \"p\"}\n"[..],
    );
    let records: Vec<serde_json::Value> = trace
        .lines()
        .map(|l| serde_json::from_str(l).expect("a trace record"))
        .collect();
    let of_kind = |kind: &'static str| records.iter().filter(move |r| r["kind"] == kind);
    // j000 by the event, then one entry per jump up to the limit; every
    // traced jump's target is entered (none is silently lost) …
    assert_eq!(of_kind("enter").count(), 1 + jexpr_journey::JUMP_LIMIT);
    assert_eq!(of_kind("jump").count(), jexpr_journey::JUMP_LIMIT);
    for jump in of_kind("jump") {
        let to = &jump["to"];
        assert!(
            of_kind("enter").any(|e| e["journey"] == *to),
            "{to} not entered"
        );
    }
    // … and the jump past the limit is an error at its node.
    let errors: Vec<_> = of_kind("error").collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["journey"], "j100");
    assert_eq!(errors[0]["node"], "jump");
    assert!(errors[0]["message"]
        .as_str()
        .is_some_and(|m| m.contains("more than 100 jumps")));
}

/// A reader of `n` lines produced on demand: a 100 MB stream is never held whole.
struct Lines {
    line: Vec<u8>,
    left: usize,
    pos: usize,
}

impl Read for Lines {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Ok(0);
        }
        let rest = &self.line[self.pos..];
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.pos += n;
        if self.pos == self.line.len() {
            self.pos = 0;
            self.left -= 1;
        }
        Ok(n)
    }
}

#[test]
fn a_hundred_megabyte_stream_of_ten_megabyte_lines() {
    let big = "x".repeat(10 * 1024 * 1024);
    let line = format!("{{\"time\": \"2024-05-01T10:00:00Z\", \"event\": \"E\", \"profileId\": \"p\", \"payload\": {{\"s\": \"{big}\"}}}}\n");
    let reader = std::io::BufReader::new(Lines {
        line: line.into_bytes(),
        left: 10,
        pos: 0,
    });
    let journey = json!({"id": "j", "version": 1, "start": "s", "nodes": {
        "s": {"type": "event", "event": "E", "when": "length(@{E.s}) > 5", "next": "w"},
        "w": {"type": "wait", "duration": "P1D", "next": "end"}, "end": {"type": "end"}}})
    .to_string();
    let trace = run(vec![journey], reader);
    assert_eq!(
        trace
            .lines()
            .filter(|l| l.contains("\"kind\":\"enter\""))
            .count(),
        1
    );
    assert_eq!(
        trace
            .lines()
            .filter(|l| l.contains("\"reason\":\"alreadyIn\""))
            .count(),
        9
    );
}

#[test]
fn over_long_lines_and_bad_bytes_are_input_errors() {
    let mut input = Vec::new();
    input.extend_from_slice(b"{\"time\": \"2024-05-01T10:00:00Z\", \"event\": \"E\", \"profileId\": \"p\", \"payload\": {\"s\": \"");
    input.extend(std::iter::repeat_n(b'y', 17 * 1024 * 1024));
    input.extend_from_slice(b"\"}}\n");
    input.extend_from_slice(
        b"{\"time\": \"2024-05-01T10:00:00Z\", \"event\": \"E\", \"profileId\": \"\xff\xfe\"}\n",
    );
    input.extend_from_slice(b"\x00\x01\x02\n");
    input.extend_from_slice(
        b"{\"time\": \"2024-05-01T10:00:01Z\", \"event\": \"E\", \"profileId\": \"ok\"}\n",
    );
    let journey = json!({"id": "j", "version": 1, "start": "s", "nodes": {
        "s": {"type": "event", "event": "E", "next": "end"}, "end": {"type": "end"}}})
    .to_string();
    let trace = run(vec![journey], &input[..]);
    let kinds: Vec<String> = trace
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("record");
            format!(
                "{}{}",
                v["kind"].as_str().unwrap_or(""),
                v["line"]
                    .as_u64()
                    .map(|n| format!("@{n}"))
                    .unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "inputError@1",
            "inputError@2",
            "inputError@3",
            "enter",
            "exit"
        ]
    );
    assert!(trace.contains("longer than 16 MiB"));
}

#[test]
fn timestamps_at_the_ends_of_the_calendar() {
    let journey = json!({"id": "j", "version": 1, "start": "s", "reentrance": {"allowed": true}, "nodes": {
        "s": {"type": "event", "event": "E", "next": "w"},
        "w": {"type": "wait", "duration": "P3D", "next": "r"},
        "r": {"type": "reaction", "events": [{"event": "E", "next": "end"}], "timeout": "P90D", "onTimeout": "end"},
        "end": {"type": "end"}}})
    .to_string();
    let input =
        b"{\"time\": \"0001-01-01T00:00:00Z\", \"event\": \"E\", \"profileId\": \"early\"}\n\
{\"time\": \"9999-12-31T23:59:59Z\", \"event\": \"E\", \"profileId\": \"late\"}\n";
    let trace = run(vec![journey], &input[..]);
    // The early profile waits, reacts, and leaves after 91 days in the journey.
    assert!(
        trace.contains(r#"{"time":"0001-04-02T00:00:00.000Z","kind":"exit","journey":"j","version":1,"profileId":"early","node":"r","reason":"timeout"}"#),
        "{trace}"
    );
    // A late wait past the calendar's end is an error at the node, not a crash.
    assert!(
        trace.contains("\"profileId\":\"late\",\"node\":\"w\",\"message\""),
        "{trace}"
    );
    // So is a wait `until` computed past it: the trace never shows a time
    // RFC 3339 cannot write (`+10000-…`).
    let until = json!({"id": "u", "version": 1, "start": "s", "nodes": {
        "s": {"type": "event", "event": "E", "next": "w"},
        "w": {"type": "wait", "until": "now() + toDuration(\"P2D\")", "next": "end"},
        "end": {"type": "end"}}})
    .to_string();
    let input =
        b"{\"time\": \"9999-12-31T00:00:00Z\", \"event\": \"E\", \"profileId\": \"late\"}\n";
    let trace = run(vec![until], &input[..]);
    assert!(!trace.contains("+10000"), "{trace}");
    assert!(
        trace.contains(r#""node":"w","message":"the wait would end after the last date the calendar has (9999-12-31)""#),
        "{trace}"
    );
}

/// Issue 21: a condition of costly list work took ~175 ms per step with no
/// budget per step. Each evaluation in a journey has EVAL_FUEL: a filter
/// over two million elements is an error at its node, which takes onError.
#[test]
fn one_evaluation_is_bounded_by_the_journey_work_limit() {
    let catalog = JourneyCatalog::from_json(
        &json!({"events": {"E": {"fields": {"l": "listInteger"}}}}),
        Path::new("catalog.json"),
    )
    .expect("catalog");
    let journey = json!({"id": "j", "version": 1, "start": "s", "nodes": {
        "s": {"type": "event", "event": "E", "next": "c"},
        "c": {"type": "condition", "paths": [{"when": "distinctCount(@{E.l}) > 0", "next": "end"}],
              "otherwise": "end", "onError": "slow"},
        "slow": {"type": "end"},
        "end": {"type": "end"}}})
    .to_string();
    let list = vec!["1"; 2_000_000].join(",");
    let events = format!(
        "{{\"time\": \"2024-05-01T10:00:00Z\", \"event\": \"E\", \"profileId\": \"p\", \"payload\": {{\"l\": [{list}]}}}}\n"
    );
    let (report, compiled) = jexpr_journey::check(&[("j.json".into(), journey)], &catalog);
    assert!(!report.has_errors(), "{}", report.render());
    let mut out = Vec::new();
    Runner::new(
        Journeys::new(compiled),
        &catalog,
        MemoryStore::default(),
        &mut out,
    )
    .run(None, events.as_bytes(), None)
    .expect("run");
    let trace = String::from_utf8(out).expect("utf-8");
    assert!(trace.contains(r#""kind":"error","journey":"j","version":1,"profileId":"p","node":"c","message":"evaluation stopped: the work limit (1000000 steps) was reached""#), "{trace}");
    assert!(trace.contains(r#""node":"slow","reason":"end""#), "{trace}");
}
