//! Runs scenario files: sections `--- catalog`, `--- journey` (repeatable),
//! `--- profiles`, `--- events`, `--- until`, `--- options` (words:
//! `explain`), `--- responses` (mocked action responses, as `run
//! --responses`) in one text file.

use jexpr_journey::engine::Journeys;
use jexpr_journey::runner::{MockResponses, Runner};
use jexpr_journey::store::{Fingerprint, MemoryStore, SqliteStore};
use jexpr_journey::JourneyCatalog;
use std::path::Path;

pub struct Scenario {
    pub catalog: String,
    pub journeys: Vec<String>,
    pub profiles: String,
    pub events: String,
    pub until: Option<String>,
    /// `run --explain`.
    pub explain: bool,
    /// `run --responses`.
    pub responses: Option<String>,
}

#[allow(dead_code)] // used by the scenario test, not the property test
pub fn parse(text: &str) -> Scenario {
    let mut s = Scenario {
        catalog: "{}".into(),
        journeys: Vec::new(),
        profiles: String::new(),
        events: String::new(),
        until: None,
        explain: false,
        responses: None,
    };
    let mut section = String::new();
    let mut body = String::new();
    let flush = |section: &str, body: &mut String, s: &mut Scenario| {
        let b = std::mem::take(body);
        match section {
            "catalog" => s.catalog = b,
            "journey" => s.journeys.push(b),
            "profiles" => s.profiles = b,
            "events" => s.events = b,
            "until" => s.until = Some(b.trim().to_string()),
            "options" => s.explain = b.split_whitespace().any(|w| w == "explain"),
            "responses" => s.responses = Some(b),
            _ => {}
        }
    };
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("--- ") {
            flush(&section, &mut body, &mut s);
            section = name.trim().to_string();
        } else {
            body.push_str(line);
            body.push('\n');
        }
    }
    flush(&section, &mut body, &mut s);
    s
}

/// The trace of a run, or the check report when the journeys are invalid.
pub fn run(s: &Scenario) -> String {
    run_on(s, None)
}

/// The trace of a run with its state in a fresh SQLite file, committing
/// every `batch` inputs.
#[allow(dead_code)] // used by the scenario test, not the property test
pub fn run_on_sqlite(s: &Scenario, batch: usize) -> String {
    let dir = std::env::temp_dir().join(format!(
        "jexpr-scenario-{}-{}",
        std::process::id(),
        STATE_COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let trace = run_on(s, Some((dir.join("state.db"), batch)));
    let _ = std::fs::remove_dir_all(&dir);
    trace
}

static STATE_COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn run_on(s: &Scenario, sqlite: Option<(std::path::PathBuf, usize)>) -> String {
    let doc: serde_json::Value =
        serde_json::from_str(&s.catalog).expect("scenario catalog is JSON");
    let catalog = JourneyCatalog::from_json(&doc, Path::new("catalog.json")).unwrap_or_else(|p| {
        panic!(
            "catalog: {}",
            p.iter().map(|p| p.render()).collect::<String>()
        )
    });
    let files: Vec<(String, String)> = s
        .journeys
        .iter()
        .enumerate()
        .map(|(i, j)| (format!("journey{}.json", i + 1), j.clone()))
        .collect();
    let (report, compiled) = jexpr_journey::check(&files, &catalog);
    if report.has_errors() {
        return report.render();
    }
    let mut out = Vec::new();
    let until = s
        .until
        .as_deref()
        .map(|u| jexpr::time::parse_instant(u).expect("until"));
    let mut profiles = s.profiles.as_bytes();
    let mock = s
        .responses
        .as_deref()
        .map(|r| MockResponses::parse(r).expect("responses"));
    let mut journeys = Journeys::new(compiled).explaining(s.explain);
    if let Some(mock) = &mock {
        journeys = journeys.delivering(mock.actions());
    }
    fn with_mock<'a, S: jexpr_journey::store::Store>(
        runner: Runner<'a, S>,
        responses: Option<&str>,
    ) -> Runner<'a, S> {
        match responses {
            Some(r) => runner.deliverer(Box::new(MockResponses::parse(r).expect("responses"))),
            None => runner,
        }
    }
    let summary = match sqlite {
        None => with_mock(
            Runner::new(journeys, &catalog, MemoryStore::default(), &mut out),
            s.responses.as_deref(),
        )
        .run(Some(&mut profiles), s.events.as_bytes(), until)
        .expect("run"),
        Some((path, batch)) => {
            let sources: Vec<(String, i64, String)> = Vec::new();
            let store = SqliteStore::open(&path, &Fingerprint::new(&sources, None)).expect("state");
            with_mock(
                Runner::new(journeys, &catalog, store, &mut out),
                s.responses.as_deref(),
            )
            .batch(batch)
            .run(Some(&mut profiles), s.events.as_bytes(), until)
            .expect("run")
        }
    };
    let mut text = String::from_utf8(out).expect("utf-8 trace");
    text.push_str(&format!("# summary: {}\n", summary.to_json()));
    text
}
