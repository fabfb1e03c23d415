//! `jexpr serve` (SERVICE.md section 1) over real sockets: the binary is
//! started on a free port and spoken to with a real HTTP client; killed with
//! SIGKILL under load, restarted, and checked for exactly-once handling.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CATALOG: &str = r#"{
  "events": {
    "Ping": {"fields": {"who": "string", "n": "integer"}, "profileId": "@{Ping.who}",
             "eventID": "ping-event-id"},
    "Pong": {"fields": {"who": "string"}, "profileId": "@{Pong.who}"}
  },
  "actions": {"note": {"params": {"n": "integer"}}}
}"#;

/// Each Ping enters, notes its number, waits an hour (or the override) and ends.
const JOURNEY: &str = r#"{"id": "ping", "version": 1, "name": "Ping", "start": "s",
  "reentrance": {"allowed": true},
  "nodes": {
    "s": {"type": "event", "event": "Ping", "next": "note"},
    "note": {"type": "action", "action": "note", "params": {"n": "@{Ping.n}"}, "next": "w"},
    "w": {"type": "wait", "duration": "PT1H", "next": "e"},
    "e": {"type": "end"}}}"#;

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("jexpr-serve-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("dir");
    std::fs::write(d.join("catalog.json"), CATALOG).expect("catalog");
    std::fs::write(d.join("ping.json"), JOURNEY).expect("journey");
    d
}

/// A running server and the address it listens on.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(dir: &Path, extra: &[&str]) -> Server {
        Server::start_with(dir, extra, None)
    }

    /// With `abort_after`, the server aborts right after that many flushes
    /// of accepted events, before answering them.
    fn start_with(dir: &Path, extra: &[&str], abort_after: Option<u32>) -> Server {
        Server::start_on(dir, "serve.db", extra, abort_after)
    }

    /// On the state `state` (a file in `dir`, or a PostgreSQL URL).
    fn start_on(dir: &Path, state: &str, extra: &[&str], abort_after: Option<u32>) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_jexpr"));
        if let Some(n) = abort_after {
            command.env("JEXPR_FAULT_ABORT_AFTER_FLUSH", n.to_string());
        }
        let mut child = command
            .current_dir(dir)
            .args([
                "serve",
                "ping.json",
                "--catalog",
                "catalog.json",
                "--state",
                state,
            ])
            .args(["--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start jexpr serve");
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines();
        let mut base = None;
        for line in lines.by_ref() {
            let line = line.expect("stderr line");
            if let Some(rest) = line.strip_prefix("listening on ") {
                base = rest.split_whitespace().next().map(str::to_string);
                break;
            }
        }
        // Keep draining stderr so the server never blocks on it.
        std::thread::spawn(move || for _ in lines {});
        Server {
            child,
            base: base.expect("the server said where it listens"),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

fn post(s: &Server, body: &Value) -> (u16, Value) {
    let r = client()
        .post(s.url("/events"))
        .json(body)
        .send()
        .expect("post");
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

fn get(s: &Server, path: &str) -> (u16, Value) {
    let r = client().get(s.url(path)).send().expect("get");
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

fn ping(who: &str, n: i64) -> Value {
    json!({"event": "Ping", "payload": {"who": who, "n": n}})
}

#[test]
fn the_api_answers_as_service_md_says() {
    let d = dir("api");
    let s = Server::start(&d, &[]);
    assert_eq!(get(&s, "/healthz"), (200, json!({"ok": true})));
    // One object, an array, NDJSON.
    assert_eq!(
        post(&s, &ping("a", 1)),
        (202, json!({"accepted": 1, "duplicates": 0}))
    );
    assert_eq!(
        post(&s, &json!([ping("b", 2), ping("c", 3)])),
        (202, json!({"accepted": 2, "duplicates": 0}))
    );
    let ndjson = format!("{}\n\n{}\n", ping("d", 4), ping("e", 5));
    let r = client()
        .post(s.url("/events"))
        .header("Content-Type", "application/x-ndjson")
        .body(ndjson)
        .send()
        .expect("post");
    assert_eq!(r.status().as_u16(), 202);
    assert_eq!(r.json::<Value>().expect("json")["accepted"], 2);
    // Ids: a retry is a duplicate, within a batch too.
    let with_id = json!({"event": "Ping", "payload": {"who": "f", "n": 6}, "id": "evt-6"});
    assert_eq!(
        post(&s, &with_id),
        (202, json!({"accepted": 1, "duplicates": 0}))
    );
    assert_eq!(
        post(&s, &json!([with_id, with_id])),
        (202, json!({"accepted": 0, "duplicates": 2}))
    );
    // A streaming-ingestion envelope: the event by its eventID, the id by _id.
    let envelope = json!({"header": {"schemaRef": {}}, "body": {"xdmEntity": {
        "_id": "xdm-1", "who": "g", "n": 7,
        "_experience": {"campaign": {"orchestration": {"eventID": "ping-event-id"}}}}}});
    assert_eq!(
        post(&s, &envelope),
        (202, json!({"accepted": 1, "duplicates": 0}))
    );
    assert_eq!(
        post(&s, &envelope),
        (202, json!({"accepted": 0, "duplicates": 1}))
    );
    // All or nothing: one bad event refuses the batch, each error by index.
    let (status, body) = post(
        &s,
        &json!([ping("h", 8), {"event": "Pnig", "payload": {"who": "h"}},
                {"event": "Ping", "time": "2024-01-01T00:00:00Z", "payload": {"who": "h"}},
                {"event": "Ping", "payload": {"n": 1}}, 7, {"event": "Ping", "payload": []}]),
    );
    assert_eq!(status, 400, "{body}");
    let errors = body["errors"].as_array().expect("errors");
    let indexes: Vec<i64> = errors.iter().filter_map(|e| e["index"].as_i64()).collect();
    assert_eq!(indexes, [1, 2, 3, 4, 5], "{body}");
    assert!(errors[0]["message"]
        .as_str()
        .expect("m")
        .contains("did you mean `Ping`?"));
    assert!(errors[1]["message"]
        .as_str()
        .expect("m")
        .contains("leave `time` out"));
    assert_eq!(
        get(&s, "/profiles/h").0,
        404,
        "nothing of the refused batch was accepted"
    );
    // Limits.
    let many: Vec<Value> = (0..1001).map(|i| ping("m", i)).collect();
    assert_eq!(post(&s, &Value::Array(many)).0, 413);
    let big = json!({"event": "Ping", "payload": {"who": "x".repeat(1 << 20)}});
    assert_eq!(post(&s, &big).0, 413);
    // Reading.
    let (status, profile) = get(&s, "/profiles/a");
    assert_eq!(status, 200);
    assert_eq!(profile["instances"][0]["node"], "w");
    let (status, trace) = get(&s, "/trace?profile=a");
    assert_eq!(status, 200);
    let kinds: Vec<&str> = trace["records"]
        .as_array()
        .expect("records")
        .iter()
        .filter_map(|r| r["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["enter", "action", "wait"]);
    assert_eq!(get(&s, "/trace").0, 400);
    let (_, journeys) = get(&s, "/journeys");
    assert_eq!(journeys["journeys"][0]["journey"], "ping");
    assert_eq!(journeys["journeys"][0]["live"], true);
    // a to g: seven events accepted.
    assert_eq!(journeys["journeys"][0]["report"]["entered"], 7);
    assert_eq!(journeys["journeys"][0]["report"]["waiting"], 7);
    let (status, report) = get(&s, "/journeys/ping/report");
    assert_eq!(status, 200);
    assert_eq!(
        report["journeys"][0]["nodes"]["note"]["status"]["recorded"],
        7
    );
    assert_eq!(get(&s, "/journeys/nope/report").0, 404);
    let metrics = client()
        .get(s.url("/metrics"))
        .send()
        .expect("metrics")
        .text()
        .expect("text");
    assert!(
        metrics.contains("jexpr_events_accepted_total 7"),
        "{metrics}"
    );
    assert!(
        metrics.contains("jexpr_events_duplicate_total 3"),
        "{metrics}"
    );
    // The waiting gauge is a count over the state, refreshed at the first
    // quiet moment after work (within about a second), not per request.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let metrics = client()
            .get(s.url("/metrics"))
            .send()
            .expect("metrics")
            .text()
            .expect("text");
        if metrics.contains("jexpr_instances_waiting 7") {
            break;
        }
        assert!(Instant::now() < deadline, "{metrics}");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        metrics.contains(r#"jexpr_actions_total{action="note",status="recorded"} 7"#),
        "{metrics}"
    );
    assert_eq!(get(&s, "/nowhere").0, 404);
    s.kill();
}

#[test]
fn a_token_guards_everything_but_healthz() {
    let d = dir("token");
    std::fs::write(d.join("token"), "s3cret\n").expect("token");
    let s = Server::start(&d, &["--token-file", "token"]);
    assert_eq!(get(&s, "/healthz").0, 200);
    assert_eq!(post(&s, &ping("a", 1)).0, 401);
    assert_eq!(get(&s, "/metrics").0, 401);
    let r = client()
        .post(s.url("/events"))
        .bearer_auth("wrong")
        .json(&ping("a", 1))
        .send()
        .expect("post");
    assert_eq!(r.status().as_u16(), 401);
    let r = client()
        .post(s.url("/events"))
        .bearer_auth("s3cret")
        .json(&ping("a", 1))
        .send()
        .expect("post");
    assert_eq!(r.status().as_u16(), 202);
}

#[test]
fn waits_fire_on_the_wall_clock_and_sigterm_stops_cleanly() {
    let d = dir("clock");
    let s = Server::start(&d, &["--wait-override", "PT1S", "--dry-run"]);
    assert_eq!(post(&s, &ping("a", 1)).0, 202);
    let started = Instant::now();
    let ended = loop {
        let (_, trace) = get(&s, "/trace?profile=a");
        let records = trace["records"].as_array().cloned().unwrap_or_default();
        if records.iter().any(|r| r["kind"] == "exit") {
            break records;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the wait never fired: {records:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    // The one-hour wait lasted the override, and the action was not delivered.
    let action = ended
        .iter()
        .find(|r| r["kind"] == "action")
        .expect("action");
    assert_eq!(action["status"], "dryRun");
    let wait = ended.iter().find(|r| r["kind"] == "wait").expect("wait");
    let resume = ended
        .iter()
        .find(|r| r["kind"] == "resume")
        .expect("resume");
    let ms = |r: &Value| {
        jexpr::time::parse_instant(r["time"].as_str().unwrap_or(""))
            .expect("time")
            .timestamp_millis()
    };
    assert_eq!(ms(resume) - ms(wait), 1000);
    let mut s = s;
    let pid = s.child.id() as i32;
    // SAFETY: sending a signal to our own child process.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let status = wait_for_exit(&mut s.child, Duration::from_secs(12));
    assert_eq!(status.and_then(|s| s.code()), Some(0));
}

fn wait_for_exit(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// A client posts numbered events in batches, each with an id, retrying
/// every batch until it is acknowledged; the server dies several times
/// meanwhile — SIGKILL at random moments, and aborts right after a flush
/// before answering (the window where only the id saves the retry from being
/// handled twice) — and is restarted. At the end every event was handled
/// exactly once: one `enter` and one `note` action carrying its number.
#[test]
fn kill_9_under_load_loses_and_repeats_nothing() {
    let d = dir("kill");
    const EVENTS: i64 = 3000;
    const BATCH: i64 = 20;
    // Every other start aborts after a few acknowledged-to-be flushes.
    let aborts = [Some(3), None, Some(5), None, Some(2), None, Some(7)];
    let mut starts = 0;
    let mut server = Some(Server::start_with(&d, &[], aborts[0]));
    let mut next = 0;
    let mut kills = 0;
    let mut posted_since_start = 0;
    let quick = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
        .expect("client");
    while next < EVENTS {
        let s = server.as_ref().expect("server");
        let batch: Vec<Value> = (next..(next + BATCH).min(EVENTS))
            .map(|i| json!({"event": "Ping", "payload": {"who": format!("p{i}"), "n": i}, "id": format!("e{i}")}))
            .collect();
        // Kill in the middle of the traffic: from another thread, while the
        // request may be in flight.
        let killer = (posted_since_start == 17).then(|| {
            let pid = s.child.id() as i32;
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(3));
                // SAFETY: our own child process.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            })
        });
        let answer = quick.post(s.url("/events")).json(&batch).send();
        if let Some(k) = killer {
            let _ = k.join();
        }
        match answer {
            Ok(r) if r.status().as_u16() == 202 => {
                next += BATCH;
                posted_since_start += 1;
            }
            _ => {
                // Not acknowledged: restart if it died, and send it again.
                let mut dead = server.take().expect("server");
                let _ = dead.child.kill();
                let _ = dead.child.wait();
                kills += 1;
                posted_since_start = 0;
                starts += 1;
                server = Some(Server::start_with(
                    &d,
                    &[],
                    aborts.get(starts).copied().flatten(),
                ));
            }
        }
        if kills >= aborts.len() {
            // Enough kills: finish without more.
            posted_since_start = 1000;
        }
    }
    assert!(kills >= 3, "only {kills} kills happened");
    server.take().expect("server").kill();
    let (enters, notes) = handled_per_event(&d, "serve.db", EVENTS as usize);
    let wrong: Vec<usize> = (0..EVENTS as usize)
        .filter(|&i| enters[i] != 1 || notes[i] != 1)
        .collect();
    assert!(
        wrong.is_empty(),
        "events not handled exactly once: {:?}",
        &wrong[..wrong.len().min(20)]
    );
    // No wait was lost: every profile still waits its hour.
    let out = Command::new(env!("CARGO_BIN_EXE_jexpr"))
        .current_dir(&d)
        .args(["state", "inspect", "serve.db", "--format", "json"])
        .output()
        .expect("inspect");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["waiting"], EVENTS);
}

/// POST /journeys publishes a version while serving: checked (422), the
/// same again (200), changed (409 with the next number); new events enter
/// it, and a restart with only the old file serves it from the state.
#[test]
fn journeys_are_published_while_serving_and_kept_across_restarts() {
    let d = dir("publish");
    let s = Server::start(&d, &[]);
    assert_eq!(post(&s, &ping("before", 1)).0, 202);
    let v2 = JOURNEY.replace(r#""version": 1"#, r#""version": 2"#);
    let publish = |s: &Server, text: &str| {
        let r = client()
            .post(s.url("/journeys"))
            .body(text.to_string())
            .send()
            .expect("post");
        let status = r.status().as_u16();
        (status, r.json::<Value>().unwrap_or(Value::Null))
    };
    let (status, body) = publish(&s, &v2);
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["published"], true);
    assert_eq!(publish(&s, &v2).0, 200);
    let (status, body) = publish(&s, &v2.replace("PT1H", "PT2H"));
    assert_eq!(status, 409, "{body}");
    assert!(body["error"]
        .as_str()
        .expect("error")
        .contains("publish the change as version 3"));
    let (status, body) = publish(
        &s,
        &JOURNEY
            .replace(r#""version": 1"#, r#""version": 3"#)
            .replace(r#""event": "Ping""#, r#""event": "Pnig""#),
    );
    assert_eq!(status, 422, "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .expect("m")
            .contains("Pnig"),
        "{body}"
    );
    assert_eq!(post(&s, &ping("after", 2)).0, 202);
    let (_, trace) = get(&s, "/trace?profile=after");
    assert_eq!(trace["records"][0]["version"], 2, "{trace}");
    let (_, trace) = get(&s, "/trace?profile=before");
    assert_eq!(trace["records"][0]["version"], 1);
    // Killed, and started again with the version 1 file only.
    s.kill();
    let s = Server::start(&d, &[]);
    let (_, journeys) = get(&s, "/journeys");
    let versions: Vec<i64> = journeys["journeys"]
        .as_array()
        .expect("journeys")
        .iter()
        .filter_map(|j| j["version"].as_i64())
        .collect();
    assert_eq!(versions, [1, 2]);
    assert_eq!(post(&s, &ping("later", 3)).0, 202);
    let (_, trace) = get(&s, "/trace?profile=later");
    assert_eq!(trace["records"][0]["version"], 2, "{trace}");
}

/// On the wall clock, audience reads missed before the server started (or
/// while it was down) are one read, not one per period: a daily read from
/// 2024 enters its member once, and the next read is the next occurrence.
#[test]
fn missed_audience_reads_are_one_read() {
    let d = dir("audience");
    std::fs::write(
        d.join("catalog.json"),
        r#"{"events": {"Ping": {"fields": {"who": "string"}}}, "audiences": ["fans"],
            "actions": {"note": {"params": {"n": "integer"}}}}"#,
    )
    .expect("catalog");
    std::fs::write(
        d.join("ping.json"),
        r#"{"id": "daily", "version": 1, "start": "a", "reentrance": {"allowed": true},
            "nodes": {"a": {"type": "audience", "audience": "fans", "at": "2024-01-01T06:00:00Z", "every": "P1D", "next": "e"},
                      "e": {"type": "end"}}}"#,
    )
    .expect("journey");
    std::fs::write(
        d.join("profiles.jsonl"),
        r#"{"profileId": "m", "audiences": {"fans": "realized"}}"#,
    )
    .expect("profiles");
    let s = Server::start(&d, &["--profiles", "profiles.jsonl"]);
    assert_eq!(get(&s, "/healthz").0, 200);
    let (_, trace) = get(&s, "/trace?profile=m");
    let enters = trace["records"]
        .as_array()
        .expect("records")
        .iter()
        .filter(|r| r["kind"] == "enter")
        .count();
    assert_eq!(enters, 1, "{trace}");
    s.kill();
    let out = Command::new(env!("CARGO_BIN_EXE_jexpr"))
        .current_dir(&d)
        .args(["state", "inspect", "serve.db", "--format", "json"])
        .output()
        .expect("inspect");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    let due = v["nextDue"][0]["due"].as_str().expect("a next read");
    let due = jexpr::time::parse_instant(due).expect("instant");
    let now = chrono::Utc::now();
    assert!(due > now && due <= now + chrono::Duration::days(1), "{due}");
}

/// A new empty PostgreSQL database for one test (its URL), or `None` when
/// no server was given (`.ci/run` gives one).
fn postgres_database(name: &str) -> Option<String> {
    let base = match std::env::var("JEXPR_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "skipped: set JEXPR_TEST_POSTGRES to a PostgreSQL URL to run the PostgreSQL serve tests (.ci/run does)"
            );
            return None;
        }
    };
    let name = format!("jexpr_serve_{name}");
    let mut client = postgres::Client::connect(&base, postgres::NoTls).expect("connect");
    // Two statements: neither may run inside a transaction block.
    for statement in [
        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        format!("CREATE DATABASE {name}"),
    ] {
        client.batch_execute(&statement).expect("database");
    }
    let (head, tail) = base.rsplit_once('/').expect("a URL with a database");
    let query = tail.find('?').map(|q| &tail[q..]).unwrap_or("");
    Some(format!("{head}/{name}{query}"))
}

/// Every `enter`/`reject` and `action` record of the exported trace, per
/// event number (profile `p<i>`, action param `n`).
fn handled_per_event(dir: &Path, state: &str, events: usize) -> (Vec<u32>, Vec<u32>) {
    let out = Command::new(env!("CARGO_BIN_EXE_jexpr"))
        .current_dir(dir)
        .args(["trace", "--state", state])
        .output()
        .expect("export");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut enters = vec![0u32; events];
    let mut notes = vec![0u32; events];
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let r: Value = serde_json::from_str(line).expect("record");
        match r["kind"].as_str() {
            Some("enter" | "reject") => {
                let who = r["profileId"].as_str().expect("who");
                let i: usize = who[1..].parse().expect("number");
                enters[i] += 1;
            }
            Some("action") => {
                let i = r["params"]["n"].as_u64().expect("n") as usize;
                notes[i] += 1;
            }
            _ => {}
        }
    }
    (enters, notes)
}

/// SERVICE.md section 1 with PostgreSQL: three processes behind one
/// "load balancer" (the client posts to each in turn) on one database. One
/// is killed with SIGKILL mid-load, one aborts right after committing an
/// acceptance it never answers (the client's retry, sent to another
/// process, must be a duplicate), and one is stopped with SIGTERM. Every
/// acknowledged event is handled exactly once, by whichever process leases
/// its partition, and every wait is kept.
#[test]
fn several_processes_on_postgres_handle_every_event_once() {
    let Some(url) = postgres_database("kill") else {
        return;
    };
    let d = dir("pg-kill");
    const EVENTS: usize = 2000;
    const BATCH: usize = 20;
    let lease = ["--lease-seconds", "2"];
    let start = |name: &str, abort: Option<u32>| {
        let mut args = vec!["--process-name", name];
        args.extend(lease);
        Server::start_on(&d, &url, &args, abort)
    };
    let mut servers: Vec<Option<Server>> = vec![
        Some(start("a", None)),
        Some(start("b", Some(9))),
        Some(start("c", None)),
    ];
    let quick = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let (mut next, mut turn, mut failures) = (0, 0, 0);
    let mut killed = false;
    let mut stopped = false;
    let mut duplicates = 0;
    while next < EVENTS {
        turn += 1;
        let live: Vec<usize> = (0..servers.len())
            .filter(|i| servers[*i].is_some())
            .collect();
        let i = live[turn % live.len()];
        let s = servers[i].as_ref().expect("server");
        if next == 400 && !killed {
            killed = true;
            let pid = s.child.id() as i32;
            // SAFETY: our own child process.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        if next == 1200 && !stopped && i == 2 {
            stopped = true;
            let mut c = servers[2].take().expect("c");
            // SAFETY: our own child process.
            unsafe { libc::kill(c.child.id() as i32, libc::SIGTERM) };
            let status = wait_for_exit(&mut c.child, Duration::from_secs(15)).expect("c stops");
            assert!(status.success(), "SIGTERM ends with 0: {status}");
            continue;
        }
        let batch: Vec<Value> = (next..(next + BATCH).min(EVENTS))
            .map(|i| json!({"event": "Ping", "payload": {"who": format!("p{i}"), "n": i}, "id": format!("e{i}")}))
            .collect();
        match quick.post(s.url("/events")).json(&batch).send() {
            Ok(r) if r.status().as_u16() == 202 => {
                let v: Value = r.json().expect("json");
                duplicates += v["duplicates"].as_u64().expect("duplicates");
                next += BATCH;
            }
            _ => {
                // Not acknowledged: that process is gone; the batch goes to
                // another. A new process (another name: the dead one's
                // leases must expire and be taken over) replaces it.
                failures += 1;
                let dead = servers[i].take().expect("server");
                dead.kill();
                servers[i] = Some(start(&format!("new{failures}"), None));
            }
        }
    }
    assert!(
        failures >= 2,
        "the kill and the abort both refused a batch: {failures}"
    );
    assert!(
        duplicates >= 1,
        "the retry of the unanswered acceptance is a duplicate"
    );
    // Handled by the partitions' holders: wait until every action is there.
    let deadline = Instant::now() + Duration::from_secs(60);
    let (enters, notes) = loop {
        let (enters, notes) = handled_per_event(&d, &url, EVENTS);
        if notes.iter().all(|n| *n >= 1) || Instant::now() > deadline {
            break (enters, notes);
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    let wrong: Vec<usize> = (0..EVENTS)
        .filter(|&i| enters[i] != 1 || notes[i] != 1)
        .collect();
    assert!(
        wrong.is_empty(),
        "events not handled exactly once: {:?}",
        &wrong[..wrong.len().min(20)]
    );
    let out = Command::new(env!("CARGO_BIN_EXE_jexpr"))
        .args(["state", "inspect", &url, "--format", "json"])
        .output()
        .expect("inspect");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["waiting"], EVENTS);
    // Its positions count accepted events, not lines of a file: `run`
    // refuses it.
    std::fs::write(d.join("events.jsonl"), "").expect("events");
    let out = Command::new(env!("CARGO_BIN_EXE_jexpr"))
        .current_dir(&d)
        .args(["run", "ping.json", "--catalog", "catalog.json"])
        .args(["--events", "events.jsonl", "--state", &url])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("run by `jexpr serve`"), "{stderr}");
}

/// Publishing with several processes on PostgreSQL: a version posted to
/// one process is taken by every process at the same point of the input
/// (later events enter it whichever process handles them), a changed
/// version is a 409 at any process, and a process started later with only
/// the old file serves it from the state.
#[test]
fn a_version_published_to_one_process_is_served_by_all() {
    let Some(url) = postgres_database("publish") else {
        return;
    };
    let d = dir("pg-publish");
    let a = Server::start_on(&d, &url, &["--process-name", "a"], None);
    let b = Server::start_on(&d, &url, &["--process-name", "b"], None);
    let v2 = JOURNEY.replace(r#""version": 1"#, r#""version": 2"#);
    let publish = |s: &Server, text: &str| {
        let r = client()
            .post(s.url("/journeys"))
            .body(text.to_string())
            .send()
            .expect("post");
        (
            r.status().as_u16(),
            r.json::<Value>().unwrap_or(Value::Null),
        )
    };
    let (status, body) = publish(&a, &v2);
    assert_eq!(status, 201, "{body}");
    // b learns of it through the inbox: the same is 200 there, a change 409.
    let deadline = Instant::now() + Duration::from_secs(10);
    while publish(&b, &v2).0 != 200 {
        assert!(Instant::now() < deadline, "b never served version 2");
        std::thread::sleep(Duration::from_millis(100));
    }
    let (status, body) = publish(&b, &v2.replace("PT1H", "PT2H"));
    assert_eq!(status, 409, "{body}");
    // Events accepted by either process after the publication enter
    // version 2, whichever process leases their profile's partition.
    for i in 0..40 {
        let s = if i % 2 == 0 { &a } else { &b };
        assert_eq!(post(s, &ping(&format!("q{i}"), i)).0, 202);
    }
    let c = Server::start_on(&d, &url, &["--process-name", "c"], None);
    let (_, journeys) = get(&c, "/journeys");
    let versions: Vec<i64> = journeys["journeys"]
        .as_array()
        .expect("journeys")
        .iter()
        .filter_map(|j| j["version"].as_i64())
        .collect();
    assert_eq!(versions, [1, 2], "{journeys}");
    let deadline = Instant::now() + Duration::from_secs(20);
    for i in 0..40 {
        let path = format!("/trace?profile=q{i}");
        let trace = loop {
            let (_, trace) = get(&c, &path);
            if trace["records"][0].is_object() || Instant::now() > deadline {
                break trace;
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        assert_eq!(trace["records"][0]["version"], 2, "q{i}: {trace}");
    }
}

/// SERVICE.md section 5: `serve` serves the studio at `/` with the live
/// counts of its state, a node's panel and a profile's path.
#[test]
fn the_studio_is_at_the_root_with_live_counts() {
    let d = dir("studio");
    let s = Server::start(&d, &[]);
    for i in 0..3 {
        assert_eq!(post(&s, &ping(&format!("s{i}"), i)).0, 202);
    }
    let page = client()
        .get(s.url("/"))
        .send()
        .expect("page")
        .text()
        .expect("html");
    assert!(page.contains("<svg"), "{page}");
    for (node, entered) in [("s", 3), ("note", 3), ("w", 3)] {
        let hook = format!(r#"data-node="{node}" data-entered="{entered}""#);
        assert!(page.contains(&hook), "{hook} not in the page");
    }
    assert!(page.contains(r#"data-waiting="3""#));
    // No test mode on a live server.
    assert!(!page.contains("test-form"));
    let panel = client()
        .get(s.url("/node?journey=ping&version=1&node=note"))
        .send()
        .expect("node")
        .text()
        .expect("html");
    assert!(
        panel.contains("params") && panel.contains("integer"),
        "{panel}"
    );
    let (_, path) = get(&s, "/profile?id=s1");
    // Entered at s, noted, waiting at w: three nodes, two edges.
    assert_eq!(path["nodes"].as_array().map(Vec::len), Some(3), "{path}");
    assert_eq!(
        path["edges"],
        json!([["ping", 1, "s", "note"], ["ping", 1, "note", "w"]])
    );
}
