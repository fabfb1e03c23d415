//! Properties of runs: split shares hold over many profiles, and a profile's
//! records do not depend on which other profiles share the run.

mod common;

use std::collections::BTreeMap;

const CATALOG: &str = r#"{"events": {"Signup": {"fields": {"n": "integer"}}}}"#;
const JOURNEY: &str = r#"{"id": "ab", "version": 1, "start": "s", "seed": 11,
 "nodes": {"s": {"type": "event", "event": "Signup", "next": "split"},
  "split": {"type": "split", "paths": [{"label": "A", "percent": 20, "next": "e"},
                                       {"label": "B", "percent": 30, "next": "w"},
                                       {"label": "C", "percent": 50, "next": "e"}]},
  "w": {"type": "wait", "duration": "PT1H", "next": "e"},
  "e": {"type": "end"}}}"#;

fn events(profiles: impl Iterator<Item = usize>) -> String {
    profiles
        .map(|i| {
            format!(
                "{{\"time\": \"2024-05-01T10:{:02}:{:02}Z\", \"event\": \"Signup\", \"profileId\": \"p{i}\", \"payload\": {{\"n\": {i}}}}}\n",
                (i / 60) % 60,
                i % 60
            )
        })
        .collect()
}

fn scenario(events: String) -> common::Scenario {
    common::Scenario {
        catalog: CATALOG.into(),
        journeys: vec![JOURNEY.into()],
        profiles: String::new(),
        events,
        until: Some("2024-05-02T00:00:00Z".into()),
        explain: false,
        responses: None,
    }
}

fn by_profile(trace: &str) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in trace.lines().filter(|l| l.starts_with('{')) {
        let v: serde_json::Value = serde_json::from_str(line).expect("record");
        let p = v["profileId"].as_str().unwrap_or("").to_string();
        out.entry(p).or_default().push(line.to_string());
    }
    out
}

#[test]
fn split_shares_hold_over_ten_thousand_profiles() {
    // Times must not decrease: 10,000 profiles over one hour, several per second.
    let text: String = (0..10_000)
        .map(|i| {
            format!(
                "{{\"time\": \"2024-05-01T10:{:02}:{:02}Z\", \"event\": \"Signup\", \"profileId\": \"p{i}\"}}\n",
                i * 60 / 10_000,
                (i * 3600 / 10_000) % 60
            )
        })
        .collect();
    let trace = common::run(&scenario(text));
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for line in trace.lines().filter(|l| l.contains("\"type\":\"split\"")) {
        let v: serde_json::Value = serde_json::from_str(line).expect("record");
        *counts
            .entry(v["path"].as_str().unwrap_or("").to_string())
            .or_default() += 1;
    }
    assert_eq!(counts.values().sum::<usize>(), 10_000, "{counts:?}");
    for (label, percent) in [("A", 20.0), ("B", 30.0), ("C", 50.0)] {
        let share = counts.get(label).copied().unwrap_or(0) as f64 / 100.0;
        assert!(
            (share - percent).abs() < 2.0,
            "path {label}: {share}% instead of {percent}% ({counts:?})"
        );
    }
}

#[test]
fn a_profiles_records_do_not_depend_on_the_others_in_the_run() {
    let all = common::run(&scenario(events(0..400)));
    let even = common::run(&scenario(events((0..400).filter(|i| i % 2 == 0))));
    let odd = common::run(&scenario(events((0..400).filter(|i| i % 2 == 1))));
    let mut split = by_profile(&even);
    split.extend(by_profile(&odd));
    let whole = by_profile(&all);
    assert_eq!(whole.len(), 400);
    assert_eq!(whole, split);
}
