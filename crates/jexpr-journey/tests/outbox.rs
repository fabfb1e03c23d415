//! Issue 21: an audience read whose members' actions make one input's trace
//! larger than SQLite stores in one value wedged the state ("string or blob
//! too big" on every resume). The outbox splits an input's records into
//! rows; here SQLite's limit is lowered to 64 KiB so the test stays small.

use jexpr_journey::engine::Journeys;
use jexpr_journey::runner::Runner;
use jexpr_journey::store::{Fingerprint, MemoryStore, SqliteStore, TraceOutbox};
use jexpr_journey::JourneyCatalog;
use serde_json::json;
use std::path::Path;

#[test]
fn an_audience_read_tracing_more_than_one_value_holds_commits_whole() {
    let catalog = JourneyCatalog::from_json(
        &json!({"events": {"E": {"fields": {}}}, "audiences": ["gold"],
                "dataSources": {"Crm": {"Profile": {"fields": {"note": "string"}}}},
                "actions": {"email": {"params": {"text": "string"}}}}),
        Path::new("catalog.json"),
    )
    .expect("catalog");
    let journey = json!({"id": "j", "version": 1, "start": "a", "nodes": {
        "a": {"type": "audience", "audience": "gold", "at": "2024-05-01T10:00:00Z", "next": "send"},
        "send": {"type": "action", "action": "email", "params": {"text": "#{Crm.Profile.note}"}, "next": "e"},
        "e": {"type": "end"}}})
    .to_string();
    // 80 members with a 4 KiB note each: the read's trace is over 320 KiB,
    // five times the 64 KiB SQLite now takes in one value.
    let profiles: String = (0..80)
        .map(|i| {
            json!({"profileId": format!("p{i:02}"), "audiences": {"gold": "realized"},
                   "dataSources": {"Crm": {"Profile": {"note": "n".repeat(4096)}}}})
            .to_string()
                + "\n"
        })
        .collect();
    let events = "{\"time\": \"2024-05-01T11:00:00Z\", \"event\": \"E\", \"profileId\": \"x\"}\n";
    let (report, compiled) = jexpr_journey::check(&[("j.json".into(), journey)], &catalog);
    assert!(!report.has_errors(), "{}", report.render());

    let mut expected = Vec::new();
    Runner::new(
        Journeys::new(compiled.clone()),
        &catalog,
        MemoryStore::default(),
        &mut expected,
    )
    .run(Some(&mut profiles.as_bytes()), events.as_bytes(), None)
    .expect("memory run");
    let expected = String::from_utf8(expected).expect("utf-8");
    assert_eq!(expected.matches("\"kind\":\"action\"").count(), 80);

    let dir = std::env::temp_dir().join(format!("jexpr-outbox-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("state.db");
    let open = || {
        SqliteStore::open(&path, &Fingerprint::new(&[], None))
            .expect("state")
            .with_value_limit(64 << 10)
    };
    let mut out = Vec::new();
    Runner::new(Journeys::new(compiled), &catalog, open(), &mut out)
        .run(Some(&mut profiles.as_bytes()), events.as_bytes(), None)
        .expect("the read commits although its trace passes one value's limit");
    assert_eq!(String::from_utf8(out).expect("utf-8"), expected);
    // What the store kept is the same trace, whole, in order.
    let mut store = open();
    let kept: String = store
        .trace_from(0)
        .expect("outbox")
        .into_iter()
        .map(|(_, lines)| lines + "\n")
        .collect();
    assert_eq!(kept, expected);
    assert_eq!(store.trace_bytes().expect("bytes"), expected.len() as u64);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `serve`'s `GET /trace?profile=…` reads one profile's records through
/// the trace index; records written before the state was indexed are
/// still found (scanned), and no other profile's record comes back.
#[test]
fn one_profiles_trace_comes_from_the_index_and_the_rows_before_it() {
    use jexpr_journey::state::ProfileState;
    use jexpr_journey::store::{Commit, StateStore};
    let dir = std::env::temp_dir().join(format!("jexpr-trace-index-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("s.db");
    let fp = Fingerprint::new(&[], None);
    let record =
        |who: &str, n: u32| format!("{{\"kind\":\"action\",\"profileId\":\"{who}\",\"n\":{n}}}");
    let commit = |store: &mut SqliteStore, who: &str, n: u32| {
        store
            .commit(Commit {
                profiles: vec![ProfileState {
                    id: who.to_string(),
                    ..Default::default()
                }],
                trace: vec![record(who, n)],
                ..Default::default()
            })
            .expect("commit");
        store.flush().expect("flush");
    };
    let mut store = SqliteStore::open(&path, &fp).expect("open");
    commit(&mut store, "a", 1);
    commit(&mut store, "b", 2);
    drop(store);
    let mut store = SqliteStore::open(&path, &fp)
        .and_then(SqliteStore::index_trace)
        .expect("indexed");
    commit(&mut store, "a", 3);
    commit(&mut store, "b", 4);
    commit(&mut store, "ab", 5);
    assert_eq!(
        store.profile_trace("a").expect("a"),
        [record("a", 1), record("a", 3)]
    );
    assert_eq!(
        store.profile_trace("b").expect("b"),
        [record("b", 2), record("b", 4)]
    );
    assert_eq!(store.profile_trace("ab").expect("ab"), [record("ab", 5)]);
    assert!(store.profile_trace("nobody").expect("none").is_empty());
    // Opened again, the index goes on from where it started.
    drop(store);
    let mut store = SqliteStore::open(&path, &fp)
        .and_then(SqliteStore::index_trace)
        .expect("indexed again");
    commit(&mut store, "a", 6);
    assert_eq!(
        store.profile_trace("a").expect("a"),
        [record("a", 1), record("a", 3), record("a", 6)]
    );
}

/// The SQLite store skips rewriting a profile row a step did not change;
/// a change of history, audiences or data is written (read back by a new
/// store with nothing cached).
#[test]
fn a_changed_profile_row_is_written_and_an_unchanged_one_kept() {
    use jexpr_journey::state::{History, ProfileState};
    use jexpr_journey::store::{Commit, StateStore};
    let dir = std::env::temp_dir().join(format!("jexpr-profile-rows-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("s.db");
    let fp = Fingerprint::new(&[], None);
    let at = jexpr::time::parse_instant("2024-05-01T10:00:00Z").expect("time");
    let mut store = SqliteStore::open(&path, &fp).expect("open");
    let commit = |store: &mut SqliteStore, state: ProfileState| {
        store
            .commit(Commit {
                profiles: vec![state],
                ..Default::default()
            })
            .expect("commit");
        store.flush().expect("flush");
    };
    commit(
        &mut store,
        ProfileState {
            id: "p".into(),
            ..Default::default()
        },
    );
    // Read, unchanged, committed: still there.
    let state = store.profile("p").expect("read").expect("p");
    commit(&mut store, state);
    // Read, history changed: written.
    let mut state = store.profile("p").expect("read").expect("p");
    state.history.insert(
        "j".into(),
        History {
            entries: 2,
            last_entry: at,
        },
    );
    commit(&mut store, state);
    // Read, data replaced and an audience set: written.
    let mut state = store.profile("p").expect("read").expect("p");
    let mut data = serde_json::Map::new();
    data.insert("Crm".into(), json!({"Profile": {"tier": "gold"}}));
    state.profile.data_sources = std::sync::Arc::new(data);
    state
        .profile
        .audiences
        .insert("vip".into(), "realized".into());
    commit(&mut store, state);
    drop(store);
    let mut store = SqliteStore::open(&path, &fp).expect("reopen");
    let state = store.profile("p").expect("read").expect("p");
    assert_eq!(state.history.get("j").map(|h| h.entries), Some(2));
    assert_eq!(
        state.profile.audiences.get("vip").map(String::as_str),
        Some("realized")
    );
    assert_eq!(
        state.profile.data_sources.get("Crm"),
        Some(&json!({"Profile": {"tier": "gold"}}))
    );
}
