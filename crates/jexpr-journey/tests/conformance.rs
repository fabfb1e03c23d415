//! The store conformance suite (as river's driver tests): every backend —
//! memory, SQLite, PostgreSQL — passes the same checks of the store's
//! contract, so the runner can rely on it whatever keeps the state. The
//! durable backends also pass flush atomicity and refusal; PostgreSQL also
//! claiming, fencing and loss. PostgreSQL runs when JEXPR_TEST_POSTGRES is
//! set (`.ci/run` sets it), and says it was skipped otherwise.

use chrono::{DateTime, Utc};
use jexpr_journey::state::{History, Instance, ProfileState, Waiting};
use jexpr_journey::store::{
    Commit, Fingerprint, Leases, MemoryStore, PostgresOptions, PostgresStore, SqliteStore,
    StateStore, Store, StoreErrorKind, TimerKey, TraceOutbox,
};
use std::path::PathBuf;
use std::time::Duration;

fn at(text: &str) -> DateTime<Utc> {
    jexpr::time::parse_instant(text).expect("instant")
}

/// A profile with one instance in `journey` waiting until `due` (or none),
/// its entry history and audience statuses.
fn profile(id: &str, waits: &[(&str, &str)], audiences: &[(&str, &str)]) -> ProfileState {
    let mut state = ProfileState {
        id: id.to_string(),
        ..Default::default()
    };
    for (journey, due) in waits {
        let entered = at("2024-05-01T10:00:00Z");
        state.instances.insert(
            journey.to_string(),
            Instance {
                id: format!("{journey}:1:{id}"),
                journey: journey.to_string(),
                version: 1,
                node: "w".into(),
                previous_node: Some("s".into()),
                entered_at: entered,
                entry: 1,
                events: [("E".to_string(), serde_json::json!({"n": 1}))]
                    .into_iter()
                    .collect(),
                waiting: Some(Waiting {
                    due: at(due),
                    reaction: false,
                }),
                last_error: None,
                delivery: None,
                calls: 0,
            },
        );
        state.history.insert(
            journey.to_string(),
            History {
                entries: 1,
                last_entry: entered,
            },
        );
    }
    for (audience, status) in audiences {
        state
            .profile
            .audiences
            .insert(audience.to_string(), status.to_string());
    }
    state
}

fn commit(store: &mut impl Store, profiles: Vec<ProfileState>, trace: &[&str]) {
    store
        .commit(Commit {
            profiles,
            trace: trace.iter().map(|t| t.to_string()).collect(),
            ..Default::default()
        })
        .expect("commit");
}

/// Reads a profile and commits it back unchanged, as the runner must (a
/// store may hand over the state it holds).
fn read(store: &mut impl Store, id: &str) -> Option<ProfileState> {
    let state = store.profile(id).expect("read")?;
    commit(store, vec![state.clone()], &[]);
    Some(state)
}

fn read_back(store: &mut impl Store) {
    let state = profile(
        "p1",
        &[("j", "2024-05-02T10:00:00Z")],
        &[("gold", "realized")],
    );
    commit(store, vec![state.clone()], &[]);
    store.flush().expect("flush");
    assert_eq!(read(store, "p1"), Some(state));
    assert_eq!(store.profile("nobody").expect("read"), None);
    assert_eq!(store.waiting().expect("waiting"), 1);
}

fn hand_back_within_a_batch(store: &mut impl Store) {
    let first = profile("p1", &[("j", "2024-05-02T10:00:00Z")], &[]);
    commit(store, vec![first.clone()], &[]);
    // Not flushed: the store hands back what the batch wrote.
    let got = store.profile("p1").expect("read").expect("p1");
    assert_eq!(got, first);
    let mut second = got;
    second.instances.remove("j");
    commit(store, vec![second.clone()], &[]);
    store.flush().expect("flush");
    assert_eq!(read(store, "p1"), Some(second));
    assert_eq!(store.waiting().expect("waiting"), 0);
}

/// Timers fire in the order of JOURNEYS.md section 3: due time, journey,
/// version, profile (an audience read, with none, first).
fn due_order(store: &mut impl Store) {
    let t1 = "2024-05-02T09:00:00Z";
    let t2 = "2024-05-02T10:00:00Z";
    commit(store, vec![profile("pb", &[("x", t2)], &[])], &[]);
    commit(store, vec![profile("pa", &[("x", t2)], &[])], &[]);
    commit(store, vec![profile("pc", &[("y", t1)], &[])], &[]);
    let read_key = TimerKey {
        due: at(t2),
        journey: "x".into(),
        version: 1,
        profile: String::new(),
        instance: String::new(),
        partition: 0,
    };
    store
        .commit(Commit {
            reads_scheduled: vec![read_key.clone()],
            ..Default::default()
        })
        .expect("schedule");
    store.flush().expect("flush");
    assert_eq!(
        store
            .next_due(at("2024-05-02T08:59:59Z"), &[0])
            .expect("due"),
        None,
        "nothing is due before the first timer"
    );
    let mut fired = Vec::new();
    while let Some(key) = store.next_due(at(t2), &[0]).expect("due") {
        fired.push((
            jexpr::time::format_instant(&key.due),
            key.journey.clone(),
            key.profile.clone(),
        ));
        assert!(fired.len() <= 4, "{fired:?}");
        if key.profile.is_empty() {
            store
                .commit(Commit {
                    reads_done: vec![key],
                    ..Default::default()
                })
                .expect("read done");
        } else {
            let mut state = store.profile(&key.profile).expect("read").expect("profile");
            state.instances.remove(&key.journey);
            commit(store, vec![state], &[]);
        }
    }
    let t1 = "2024-05-02T09:00:00.000Z";
    let t2 = "2024-05-02T10:00:00.000Z";
    let expected: Vec<(String, String, String)> = [
        (t1, "y", "pc"),
        (t2, "x", ""),
        (t2, "x", "pa"),
        (t2, "x", "pb"),
    ]
    .iter()
    .map(|(t, j, p)| (t.to_string(), j.to_string(), p.to_string()))
    .collect();
    assert_eq!(fired, expected);
    store.flush().expect("flush");
    assert_eq!(store.waiting().expect("waiting"), 0);
}

fn audience_members(store: &mut impl Store) {
    commit(
        store,
        vec![
            profile("p2", &[], &[("gold", "existing")]),
            profile("p1", &[], &[("gold", "realized"), ("silver", "exited")]),
            profile("p3", &[], &[("gold", "exited")]),
            profile("p4", &[], &[("silver", "realized")]),
        ],
        &[],
    );
    store.flush().expect("flush");
    assert_eq!(
        store.audience_members("gold", 0).expect("members"),
        ["p1", "p2"]
    );
    assert_eq!(
        store.audience_members("silver", 0).expect("members"),
        ["p4"]
    );
    // A status that changes moves the profile out of the audience.
    let mut p1 = store.profile("p1").expect("read").expect("p1");
    p1.profile.audiences.insert("gold".into(), "exited".into());
    commit(store, vec![p1], &[]);
    store.flush().expect("flush");
    assert_eq!(store.audience_members("gold", 0).expect("members"), ["p2"]);
}

fn trace_offsets(store: &mut impl Store) {
    commit(store, vec![], &["a", "bb"]);
    commit(store, vec![], &["ccc"]);
    store.flush().expect("flush");
    assert_eq!(store.trace_bytes().expect("bytes"), 9);
    let joined = |rows: Vec<(u64, String)>| -> (Option<u64>, String) {
        (
            rows.first().map(|(o, _)| *o),
            rows.into_iter().map(|(_, l)| l + "\n").collect(),
        )
    };
    assert_eq!(
        joined(store.trace_from(0).expect("trace")).1,
        "a\nbb\nccc\n"
    );
    // From inside "ccc" (bytes 5-8): its record (or a row that holds it) on.
    let (first, text) = joined(store.trace_from(6).expect("trace"));
    assert!(first.is_some_and(|o| o <= 5), "{first:?}");
    assert!(text.ends_with("ccc\n"), "{text:?}");
    assert!(store.trace_from(9).expect("trace").is_empty());
}

fn initialization(store: &mut impl Store) {
    assert!(!store.initialized().expect("initialized"));
    store
        .commit(Commit {
            profiles: vec![profile("p1", &[], &[])],
            initialize: true,
            ..Default::default()
        })
        .expect("commit");
    store.flush().expect("flush");
    assert!(store.initialized().expect("initialized"));
}

/// Every case, each on a fresh store from `fresh` (named for the case).
fn contract<S: Store>(mut fresh: impl FnMut(&str) -> S) {
    read_back(&mut fresh("read-back"));
    hand_back_within_a_batch(&mut fresh("hand-back"));
    due_order(&mut fresh("due-order"));
    audience_members(&mut fresh("audience"));
    initialization(&mut fresh("init"));
}

/// The trace outbox of a durable store (the memory store keeps none: its
/// one process writes the trace straight through, and a run in memory is
/// never resumed).
fn outbox<S: Store>(mut fresh: impl FnMut(&str) -> S) {
    trace_offsets(&mut fresh("trace"));
}

/// A durable store: what a flush made durable is there when the state is
/// opened again, what was committed after it is not, and a state opened
/// for other journeys is refused.
fn durability<S: Store>(
    location: &str,
    mut open: impl FnMut(&Fingerprint) -> Result<S, jexpr_journey::store::StoreError>,
) {
    let ours = Fingerprint::new(&[("j".into(), 1, "{}".into())], None);
    let record = |what: &str| {
        format!(
            r#"{{"time":"2024-05-01T10:00:00.000Z","kind":"inputError","line":1,"message":"{what}"}}"#
        )
    };
    let (kept, lost) = (record("kept"), record("lost"));
    {
        let mut store = open(&ours).expect("open");
        commit(
            &mut store,
            vec![profile("kept", &[("j", "2024-05-02T10:00:00Z")], &[])],
            &[kept.as_str()],
        );
        store.flush().expect("flush");
        commit(
            &mut store,
            vec![profile("lost", &[("j", "2024-05-02T10:00:00Z")], &[])],
            &[lost.as_str()],
        );
        // Dropped without a flush: as a process killed here.
    }
    let mut store = open(&ours).expect("open again");
    assert!(read(&mut store, "kept").is_some());
    assert_eq!(store.profile("lost").expect("read"), None);
    assert_eq!(store.waiting().expect("waiting"), 1);
    drop(store);
    let trace = jexpr_journey::store::export::export(location, None).expect("export");
    assert_eq!(trace, [kept]);
    let theirs = Fingerprint::new(&[("other".into(), 1, "{}".into())], None);
    match open(&theirs) {
        Ok(_) => panic!("a state of other journeys was opened"),
        Err(e) => assert_eq!(e.kind, StoreErrorKind::Refused, "{e}"),
    }
}

/// Event ids `serve` accepted: seen once committed, durable once flushed,
/// forgotten with the commit that a crash loses (the client was not
/// answered, so its retry is handled). PostgreSQL does not keep them yet.
fn event_ids<S: Store>(mut open: impl FnMut() -> S, durable: bool) {
    let accept = |store: &mut S, id: &str| {
        store
            .commit(jexpr_journey::store::Commit {
                event_ids: vec![id.to_string()],
                ..Default::default()
            })
            .expect("commit");
    };
    let mut store = open();
    assert!(!store.event_seen("a").expect("seen"));
    accept(&mut store, "a");
    assert!(store.event_seen("a").expect("seen"));
    assert!(!store.event_seen("b").expect("seen"));
    store.flush().expect("flush");
    accept(&mut store, "b");
    assert!(store.event_seen("b").expect("seen"));
    if durable {
        drop(store); // no flush: as a process killed here
        let mut store = open();
        assert!(store.event_seen("a").expect("seen"));
        assert!(!store.event_seen("b").expect("seen"));
    }
}

#[test]
fn memory_store() {
    contract(|_| MemoryStore::default());
    event_ids(MemoryStore::default, false);
    // Keeps no outbox, and says so.
    let mut store = MemoryStore::default();
    commit(&mut store, vec![], &["a"]);
    store.flush().expect("flush");
    assert_eq!(store.trace_bytes().expect("bytes"), 0);
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("jexpr-conformance-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn sqlite_store() {
    let dir = temp_dir("sqlite");
    let fingerprint = Fingerprint::new(&[], None);
    let fresh = |name: &str| {
        SqliteStore::open(&dir.join(format!("{name}.db")), &fingerprint).expect("open")
    };
    contract(fresh);
    outbox(fresh);
    let path = dir.join("durable.db");
    durability(&path.to_string_lossy(), |f| SqliteStore::open(&path, f));
    let ids = dir.join("ids.db");
    event_ids(
        || SqliteStore::open(&ids, &fingerprint).expect("open"),
        true,
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn postgres_base() -> Option<String> {
    match std::env::var("JEXPR_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            skipped("set JEXPR_TEST_POSTGRES to a PostgreSQL URL to run the PostgreSQL conformance (.ci/run does)");
            None
        }
    }
}

/// A new empty database on the server of `base`; its URL.
fn database(base: &str, name: &str) -> String {
    let name = format!("jexpr_conf_{}", name.replace('-', "_"));
    let mut client = postgres::Client::connect(base, postgres::NoTls).expect("connect");
    client
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .expect("drop");
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create");
    let (head, tail) = base.rsplit_once('/').expect("a URL with a database");
    let query = tail.find('?').map(|q| &tail[q..]).unwrap_or("");
    format!("{head}/{name}{query}")
}

fn open_postgres(
    url: &str,
    process: &str,
    partitions: u32,
    lease: Duration,
    fingerprint: &Fingerprint,
) -> Result<PostgresStore, jexpr_journey::store::StoreError> {
    let options = PostgresOptions {
        url: url.to_string(),
        process: process.to_string(),
        lease,
        partitions: Some(partitions),
        served: false,
    };
    let mut store = PostgresStore::open(&options, fingerprint)?;
    store.claim()?;
    Ok(store)
}

#[test]
fn postgres_store() {
    let Some(base) = postgres_base() else { return };
    let fingerprint = Fingerprint::new(&[], None);
    contract(|name| {
        let url = database(&base, name);
        open_postgres(
            &url,
            "conformance",
            1,
            Duration::from_secs(30),
            &fingerprint,
        )
        .expect("open")
    });
    let url = database(&base, "durable");
    durability(&url, |f| {
        open_postgres(&url, "conformance", 1, Duration::from_secs(30), f)
    });
}

/// PostgreSQL's leases: two processes split the partitions; a process whose
/// lease expired is fenced (its batch is not written, it must claim again)
/// and the other takes its partition over; it then knows it lost it.
#[test]
fn postgres_claim_fencing_and_loss() {
    let Some(base) = postgres_base() else { return };
    let url = database(&base, "fencing");
    let fingerprint = Fingerprint::new(&[], None);
    let lease = Duration::from_secs(1);
    let mut a = open_postgres(&url, "a", 2, lease, &fingerprint).expect("a");
    // Alone, a holds both partitions.
    let held: Vec<u32> = a
        .claim()
        .expect("claim")
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    assert_eq!(held, [0, 1]);
    // A profile of each partition.
    let of = |p: u32| {
        (0..)
            .map(|i| format!("p{i}"))
            .find(|id| jexpr_journey::store::partition_of(id, 2) == p)
            .expect("an id")
    };
    let (p0, p1) = (of(0), of(1));
    // b joins; a's lease runs out without renewal, so b takes what it can.
    let mut b = open_postgres(&url, "b", 2, lease, &fingerprint).expect("b");
    std::thread::sleep(lease + Duration::from_millis(300));
    let taken: Vec<u32> = b
        .claim()
        .expect("claim")
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    assert!(!taken.is_empty(), "b took nothing over");
    let fenced = taken[0];
    let id = if fenced == 0 { &p0 } else { &p1 };
    // a, unaware, writes to the partition b took: refused as a whole.
    a.commit(Commit {
        partition: fenced,
        profiles: vec![profile(id, &[("j", "2024-05-02T10:00:00Z")], &[])],
        trace: vec!["from a".into()],
        ..Default::default()
    })
    .expect("commit is in memory");
    a.flush().expect("a refused flush is not an error");
    assert!(a.must_claim(), "a was not told to claim again");
    assert_eq!(
        b.profile(id).expect("read"),
        None,
        "a's fenced write landed"
    );
    assert_eq!(b.trace_bytes().expect("bytes"), 0);
    assert!(
        a.lost(fenced).expect("lost"),
        "a does not know it lost partition {fenced}"
    );
    // b writes there, and a claiming again does not take it back.
    commit(&mut b, vec![profile(id, &[], &[])], &[]);
    b.flush().expect("b flush");
    let again: Vec<u32> = a
        .claim()
        .expect("claim")
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    assert!(!again.contains(&fenced), "{again:?}");
    assert!(b.profile(id).expect("read").is_some());
}

/// Says a test was skipped where a person sees it: straight to standard
/// error (the test harness captures `eprintln!` and shows it only when a
/// test fails).
fn skipped(why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "skipped: {why}");
}
