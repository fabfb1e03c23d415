//! Several runner processes sharing a PostgreSQL state (JOURNEYS.md section
//! 7, last bullet): per profile, the exported trace is the single-process
//! in-memory trace whatever happens to the processes or the server.
//!
//! Needs a real server: `JEXPR_TEST_POSTGRES` is a URL of a database the
//! tests may create databases from (`.ci/run` starts a throwaway cluster and
//! sets it). `JEXPR_TEST_PG_CTL` is the `pg_ctl` command line (with `-D`)
//! that stops and starts that server, for the test of a server going away.
//! Without them the tests say so and pass.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
const JOURNEYS: [&str; 3] = [
    "examples/journeys/cart.journey.json",
    "examples/journeys/welcome.journey.json",
    "examples/journeys/winback.journey.json",
];
const UNTIL: &str = "2024-08-01T00:00:00Z";

/// One test at a time: they share the server, and one of them stops it.
static SERVER: Mutex<()> = Mutex::new(());

fn server() -> Option<String> {
    match std::env::var("JEXPR_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            skipped("set JEXPR_TEST_POSTGRES to a PostgreSQL URL to run the PostgreSQL tests (.ci/run does)");
            None
        }
    }
}

/// A new empty database; its URL.
fn database(base: &str, name: &str) -> String {
    let name = format!("jexpr_test_{name}");
    let mut client = postgres::Client::connect(base, postgres::NoTls).expect("connect");
    client
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .expect("drop database");
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create database");
    match base.rfind('/') {
        Some(i) if base[..i].contains("://") && i > base.find("://").unwrap_or(0) + 2 => {
            let (head, tail) = base.split_at(i);
            let query = tail.find('?').map(|q| &tail[q..]).unwrap_or("");
            format!("{head}/{name}{query}")
        }
        _ => format!("{base}/{name}"),
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("jexpr-pg-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A small deterministic generator.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Profiles and `lines` events for the example journeys (the shapes of
/// examples/journeys/generate.py): subscriptions, opens, carts, orders and
/// audience changes of 2,000 profiles over some weeks.
fn input(dir: &Path, lines: usize) -> (PathBuf, PathBuf) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let countries = ["FR", "DE", "ES", "US", "GB", "IT"];
    let mut profiles = String::new();
    for i in 0..2000 {
        let tier = ["gold", "silver", "bronze"][rng.below(3) as usize];
        let lapsed = if rng.below(7) == 0 {
            r#"{"lapsed customers": "realized"}"#
        } else {
            "{}"
        };
        profiles.push_str(&format!(
            r#"{{"profileId": "user{i:04}@example.com", "dataSources": {{"ExperiencePlatform": {{"Profile": {{"person": {{"name": {{"firstName": "U{i}"}}}}, "homeAddress": {{"country": "{}"}}, "loyalty": {{"tier": "{tier}", "points": {}}}}}}}}}, "audiences": {lapsed}}}"#,
            countries[rng.below(6) as usize],
            rng.below(5000)
        ));
        profiles.push('\n');
    }
    let mut events = String::new();
    let mut t = chrono::DateTime::parse_from_rfc3339("2024-05-01T08:00:00Z")
        .expect("start")
        .with_timezone(&chrono::Utc);
    for i in 0..lines {
        t += chrono::TimeDelta::seconds(20 + rng.below(160) as i64);
        let time = t.format("%Y-%m-%dT%H:%M:%S%.3fZ");
        let p = format!("user{:04}@example.com", rng.below(2000));
        let line = match rng.below(100) {
            0..30 => format!(
                r#"{{"time": "{time}", "event": "Subscribed", "payload": {{"email": "{p}", "consent": {}, "country": "{}"}}}}"#,
                rng.below(10) != 0,
                countries[rng.below(6) as usize]
            ),
            30..50 => format!(
                r#"{{"time": "{time}", "event": "EmailOpened", "payload": {{"email": "{p}", "campaign": "welcome"}}}}"#
            ),
            50..78 => {
                let price = 5 + rng.below(115);
                format!(
                    r#"{{"time": "{time}", "event": "CartUpdated", "payload": {{"email": "{p}", "total": {price}.5, "items": [{{"sku": "SKU-{}", "price": {price}.5, "qty": 1}}]}}}}"#,
                    rng.below(100)
                )
            }
            78..95 => format!(
                r#"{{"time": "{time}", "event": "OrderPlaced", "payload": {{"email": "{p}", "orderId": "o{i}", "total": {}.25}}}}"#,
                10 + rng.below(290)
            ),
            95..99 => format!(
                r#"{{"time": "{time}", "profileId": "{p}", "audiences": {{"lapsed customers": "{}"}}}}"#,
                if rng.below(2) == 0 {
                    "realized"
                } else {
                    "exited"
                }
            ),
            // Input errors: traced once, by the holder of partition 0.
            _ if i % 2 == 0 => format!(r#"{{"time": "{time}", "event": "Nope"}}"#),
            _ => format!(r#"{{"time": "{time}", "profileId": "{p}", "profile": 5}}"#),
        };
        events.push_str(&line);
        events.push('\n');
    }
    let (pf, ef) = (dir.join("profiles.jsonl"), dir.join("events.jsonl"));
    std::fs::write(&pf, profiles).expect("write profiles");
    std::fs::write(&ef, events).expect("write events");
    (pf, ef)
}

fn run_args(profiles: &Path, events: &Path) -> Vec<String> {
    let mut args: Vec<String> = vec!["run".into()];
    args.extend(JOURNEYS.iter().map(|j| j.to_string()));
    args.extend(
        [
            "--catalog",
            "examples/journeys/catalog.json",
            "--until",
            UNTIL,
        ]
        .map(String::from),
    );
    args.extend(["--profiles".into(), profiles.display().to_string()]);
    args.extend(["--events".into(), events.display().to_string()]);
    args
}

fn jexpr(args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jexpr"))
        .current_dir(ROOT)
        .args(args)
        .output()
        .expect("run jexpr")
}

/// A runner process on the shared state.
fn spawn(base: &[String], url: &str, name: &str, extra: &[&str]) -> Child {
    let mut args = base.to_vec();
    args.extend(["--state".into(), url.to_string()]);
    args.extend(["--process-name".into(), name.to_string()]);
    args.extend(["--lease-seconds".into(), "2".into()]);
    args.extend(["--commit-every".into(), "100".into()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    Command::new(env!("CARGO_BIN_EXE_jexpr"))
        .current_dir(ROOT)
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn jexpr")
}

fn finish(child: Child) -> (bool, String) {
    let out = child.wait_with_output().expect("wait");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Each profile's records, in order ("" for records about the input).
fn per_profile(trace: &str) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in trace.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("trace line is JSON");
        let who = v["profileId"].as_str().unwrap_or("").to_string();
        map.entry(who).or_default().push(line.to_string());
    }
    map
}

/// The single-process in-memory trace of the input.
fn reference(base: &[String]) -> BTreeMap<String, Vec<String>> {
    let out = jexpr(base);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let trace = String::from_utf8(out.stdout).expect("utf-8");
    assert!(trace.lines().count() > 20_000, "a trace worth comparing");
    per_profile(&trace)
}

fn exported(url: &str) -> BTreeMap<String, Vec<String>> {
    let out = jexpr(&["trace".into(), "--state".into(), url.into()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    per_profile(&String::from_utf8(out.stdout).expect("utf-8"))
}

fn assert_same(expected: &BTreeMap<String, Vec<String>>, got: &BTreeMap<String, Vec<String>>) {
    let differing: Vec<&String> = expected
        .keys()
        .chain(got.keys())
        .filter(|k| expected.get(*k) != got.get(*k))
        .collect();
    assert!(
        differing.is_empty(),
        "{} profiles differ from the single-process trace, e.g. {:?}: expected {:?}, got {:?}",
        differing.len(),
        differing[0],
        expected.get(differing[0]).map(|v| v.len()),
        got.get(differing[0]).map(|v| v.len())
    );
}

/// Waits until `query` (a count) is positive; false on timeout.
fn wait_for(url: &str, query: &str, timeout: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if let Ok(mut c) = postgres::Client::connect(url, postgres::NoTls) {
            if let Ok(row) = c.query_one(query, &[]) {
                if row.get::<_, i64>(0) > 0 {
                    return true;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

fn signal(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .expect("kill")
        .success();
    assert!(ok, "kill {sig}");
}

fn lock() -> std::sync::MutexGuard<'static, ()> {
    SERVER.lock().unwrap_or_else(|e| e.into_inner())
}

/// A test's input, its single-process trace, and a fresh database.
struct Setup {
    base: Vec<String>,
    expected: BTreeMap<String, Vec<String>>,
    url: String,
}

fn setup(base_url: &str, name: &str) -> Setup {
    let dir = temp_dir(name);
    let (profiles, events) = input(&dir, 20_000);
    let base = run_args(&profiles, &events);
    let expected = reference(&base);
    let url = database(base_url, &name.replace('-', "_"));
    Setup {
        base,
        expected,
        url,
    }
}

/// Processes w1..w`n` on the shared state.
fn start(s: &Setup, n: usize) -> Vec<Child> {
    (1..=n)
        .map(|i| spawn(&s.base, &s.url, &format!("w{i}"), &[]))
        .collect()
}

/// Waits until `owner` holds a partition it has taken past `line`.
fn wait_for_progress(url: &str, owner: &str, line: u64) {
    let query =
        format!("SELECT count(*) FROM jexpr_partitions WHERE owner = '{owner}' AND line > {line}");
    assert!(
        wait_for(url, &query, Duration::from_secs(60)),
        "{owner} made no progress"
    );
}

#[test]
fn three_processes_give_each_profile_the_single_process_trace() {
    let Some(base_url) = server() else { return };
    let _guard = lock();
    let s = setup(&base_url, "three");
    let (base, expected, url) = (&s.base, &s.expected, &s.url);
    let children: Vec<Child> = (1..=3)
        .map(|i| spawn(base, url, &format!("w{i}"), &[]))
        .collect();
    let mut held = Vec::new();
    for c in children {
        let (ok, stderr) = finish(c);
        assert!(ok, "{stderr}");
        assert!(stderr.contains("read 20000 lines"), "{stderr}");
        held.push(stderr);
    }
    // Every process held some partitions.
    for stderr in &held {
        assert!(stderr.contains("partitions:"), "{stderr}");
    }
    assert_same(expected, &exported(url));
    // The export of one profile is that profile's records only.
    let (who, records) = expected
        .iter()
        .find(|(k, v)| !k.is_empty() && v.len() > 3)
        .expect("a busy profile");
    let out = jexpr(&[
        "trace".into(),
        "--state".into(),
        url.clone(),
        "--profile".into(),
        who.clone(),
    ]);
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert_eq!(&text.lines().map(String::from).collect::<Vec<_>>(), records);
    // Running again over the finished state adds nothing.
    let (ok, stderr) = finish(spawn(base, url, "w1", &[]));
    assert!(ok, "{stderr}");
    assert!(stderr.contains("wrote 0 trace records"), "{stderr}");
    assert_same(expected, &exported(url));
}

#[test]
fn a_killed_process_is_taken_over_after_its_lease() {
    let Some(base_url) = server() else { return };
    let _guard = lock();
    let s = setup(&base_url, "kill-one");
    let mut children = start(&s, 3);
    // Kill w2 once it has committed work of its own.
    wait_for_progress(&s.url, "w2", 2000);
    let victim = children.remove(1);
    signal(&victim, "-KILL");
    let _ = victim.wait_with_output();
    for c in children {
        let (ok, stderr) = finish(c);
        assert!(ok, "{stderr}");
    }
    assert_same(&s.expected, &exported(&s.url));
}

#[test]
fn a_paused_process_cannot_write_over_its_successor() {
    let Some(base_url) = server() else { return };
    let _guard = lock();
    let s = setup(&base_url, "pause");
    let mut children = start(&s, 3);
    wait_for_progress(&s.url, "w2", 2000);
    let paused = children.remove(1);
    signal(&paused, "-STOP");
    // Its leases expire and the others take its partitions over.
    assert!(
        wait_for(
            &s.url,
            "SELECT (count(*) = 0)::int::bigint FROM jexpr_partitions WHERE owner = 'w2'",
            Duration::from_secs(60)
        ),
        "w2's partitions were not taken over"
    );
    for c in children {
        let (ok, stderr) = finish(c);
        assert!(ok, "{stderr}");
    }
    // Resumed, it finds its writes refused and finishes without writing.
    signal(&paused, "-CONT");
    let (ok, stderr) = finish(paused);
    assert!(ok, "{stderr}");
    assert_same(&s.expected, &exported(&s.url));
}

#[test]
fn all_killed_then_restarted_lose_and_repeat_nothing() {
    let Some(base_url) = server() else { return };
    let _guard = lock();
    let s = setup(&base_url, "kill-all");
    let (base, expected, url) = (&s.base, &s.expected, &s.url);
    let children: Vec<Child> = (1..=3)
        .map(|i| spawn(base, url, &format!("w{i}"), &[]))
        .collect();
    assert!(
        wait_for(
            url,
            "SELECT count(*) FROM jexpr_partitions WHERE line > 5000",
            Duration::from_secs(60)
        ),
        "no progress"
    );
    for c in &children {
        signal(c, "-KILL");
    }
    for c in children {
        let _ = c.wait_with_output();
    }
    let children: Vec<Child> = (1..=3)
        .map(|i| spawn(base, url, &format!("w{i}"), &[]))
        .collect();
    for c in children {
        let (ok, stderr) = finish(c);
        assert!(ok, "{stderr}");
    }
    assert_same(expected, &exported(url));
}

#[test]
fn a_server_that_goes_away_stops_the_run_and_a_restart_finishes_it() {
    let Some(base_url) = server() else { return };
    let Ok(pg_ctl) = std::env::var("JEXPR_TEST_PG_CTL") else {
        skipped("set JEXPR_TEST_PG_CTL to the pg_ctl command (with -D) of the test server");
        return;
    };
    let _guard = lock();
    let s = setup(&base_url, "server");
    let (base, expected, url) = (&s.base, &s.expected, &s.url);
    let child = spawn(base, url, "w1", &[]);
    assert!(
        wait_for(
            url,
            "SELECT count(*) FROM jexpr_partitions WHERE line > 3000",
            Duration::from_secs(60)
        ),
        "no progress"
    );
    let ctl = |action: &str| {
        let status = Command::new("sh")
            .args(["-c", &format!("{pg_ctl} {action}")])
            .stdout(Stdio::null())
            .status()
            .expect("pg_ctl");
        assert!(status.success(), "pg_ctl {action}");
    };
    ctl("stop -m fast");
    let (ok, stderr) = finish(child);
    ctl("start -w");
    assert!(!ok, "the run must stop when the server goes away");
    assert!(stderr.contains("PostgreSQL"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let (ok, stderr) = finish(spawn(base, url, "w1", &[]));
    assert!(ok, "{stderr}");
    assert_same(expected, &exported(url));
}

#[test]
fn a_state_of_other_journeys_or_format_is_refused() {
    let Some(base_url) = server() else { return };
    let _guard = lock();
    let dir = temp_dir("refuse");
    let (profiles, events) = input(&dir, 300);
    let base = run_args(&profiles, &events);
    let url = database(&base_url, "refuse");
    let (ok, stderr) = finish(spawn(&base, &url, "w1", &["--partitions", "8"]));
    assert!(ok, "{stderr}");
    assert!(stderr.contains("held 8 of 8 partitions: 0-7"), "{stderr}");
    // Another partition count.
    let (ok, stderr) = finish(spawn(&base, &url, "w1", &["--partitions", "16"]));
    assert!(!ok);
    assert!(stderr.contains("this state has 8 partitions"), "{stderr}");
    // Other journeys.
    let mut fewer = base.clone();
    fewer.retain(|a| a != JOURNEYS[2]);
    let (ok, stderr) = finish(spawn(&fewer, &url, "w1", &[]));
    assert!(!ok);
    assert!(
        stderr.contains("journey `winback` version 1 is not given now"),
        "{stderr}"
    );
    // A trace file next to a shared state.
    let mut with_trace = base.clone();
    with_trace.extend(["--trace".into(), dir.join("t.jsonl").display().to_string()]);
    let (ok, stderr) = finish(spawn(&with_trace, &url, "w1", &[]));
    assert!(!ok);
    assert!(stderr.contains("jexpr trace --state"), "{stderr}");
    // Another format.
    let mut c = postgres::Client::connect(&url, postgres::NoTls).expect("connect");
    c.execute(
        "UPDATE jexpr_meta SET value = '99' WHERE key = 'format'",
        &[],
    )
    .expect("update");
    let (ok, stderr) = finish(spawn(&base, &url, "w1", &[]));
    assert!(!ok);
    assert!(stderr.contains("format 99"), "{stderr}");
    // Inspect shows the leases; an unreachable server is a clear error.
    c.execute(
        "UPDATE jexpr_meta SET value = '1' WHERE key = 'format'",
        &[],
    )
    .expect("update");
    // Tables changed behind jexpr's back are refused, not read.
    c.execute(
        "ALTER TABLE jexpr_partitions ALTER COLUMN line TYPE text",
        &[],
    )
    .expect("alter");
    let (ok, stderr) = finish(spawn(&base, &url, "w1", &[]));
    assert!(!ok);
    assert!(
        stderr.contains(
            "jexpr_partitions is not the one this jexpr made (column line should be bigint"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    c.execute(
        "ALTER TABLE jexpr_partitions ALTER COLUMN line TYPE bigint USING line::bigint",
        &[],
    )
    .expect("alter back");

    let out = jexpr(&["state".into(), "inspect".into(), url.clone()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("partitions: 8"), "{text}");
    assert!(text.contains("(free)"), "{text}");
    let out = jexpr(&[
        "trace".into(),
        "--state".into(),
        "postgres://nobody@127.0.0.1:1/none".into(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot connect to PostgreSQL"));
}

/// A server error is shown in the server's words (the driver's own text is
/// only "db error"): here, a database that does not exist.
#[test]
fn the_servers_own_message_is_shown() {
    let Some(base) = server() else { return };
    let _guard = lock();
    let url = match base.rfind('/') {
        Some(i) => format!("{}/jexpr_no_such_database", &base[..i]),
        None => return,
    };
    let out = jexpr(&["state".into(), "inspect".into(), url]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("database \"jexpr_no_such_database\" does not exist (3D000)"),
        "{stderr}"
    );
    assert!(!stderr.contains("db error\n"), "{stderr}");
}

/// Says a test was skipped where a person sees it: straight to standard
/// error (the test harness captures `eprintln!` and shows it only when a
/// test fails).
fn skipped(why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "skipped: {why}");
}
