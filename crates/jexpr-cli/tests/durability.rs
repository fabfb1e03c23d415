//! `jexpr run --state FILE` (JOURNEYS.md section 7): a run killed with
//! SIGKILL at any instant and started again produces, together, the trace of
//! an uninterrupted run; a state that belongs to another run is refused and
//! left unchanged.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
const JOURNEYS: [&str; 3] = [
    "examples/journeys/cart.journey.json",
    "examples/journeys/welcome.journey.json",
    "examples/journeys/winback.journey.json",
];

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("jexpr-durability-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn run_args(events: &Path, trace: &Path, state: Option<&Path>, batch: &str) -> Vec<String> {
    let mut args: Vec<String> = vec!["run".into()];
    args.extend(JOURNEYS.iter().map(|j| j.to_string()));
    args.extend(
        [
            "--catalog",
            "examples/journeys/catalog.json",
            "--profiles",
            "examples/journeys/profiles.jsonl",
            "--until",
            "2024-06-15T00:00:00Z",
            "--commit-every",
            batch,
        ]
        .map(String::from),
    );
    args.push("--events".into());
    args.push(events.display().to_string());
    args.push("--trace".into());
    args.push(trace.display().to_string());
    if let Some(s) = state {
        args.push("--state".into());
        args.push(s.display().to_string());
    }
    args
}

fn jexpr(args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jexpr"))
        .current_dir(ROOT)
        .args(args)
        .output()
        .expect("run jexpr")
}

/// A small deterministic generator for kill delays.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// The examples' events file and the trace of an uninterrupted in-memory run.
fn uninterrupted(dir: &Path) -> (PathBuf, Vec<u8>) {
    let events = Path::new(ROOT).join("examples/journeys/events.jsonl");
    let reference = dir.join("reference.jsonl");
    let out = jexpr(&run_args(&events, &reference, None, "1000"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = std::fs::read(&reference).expect("reference trace");
    (events, expected)
}

#[test]
fn killed_at_random_instants_the_trace_is_the_uninterrupted_one() {
    let dir = temp_dir("kill");
    let (events, expected) = uninterrupted(&dir);

    // How long an uninterrupted durable run takes, to spread kills over it.
    let probe_state = dir.join("probe.db");
    let probe_trace = dir.join("probe.jsonl");
    let started = Instant::now();
    let out = jexpr(&run_args(&events, &probe_trace, Some(&probe_state), "5"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let whole = started.elapsed().as_millis().max(50) as u64;
    assert_eq!(
        std::fs::read(&probe_trace).expect("probe trace"),
        expected,
        "a durable run differs from a memory run"
    );

    let state = dir.join("state.db");
    let trace = dir.join("trace.jsonl");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut kills = 0;
    let mut runs = 0;
    loop {
        runs += 1;
        assert!(runs < 400, "the run never finished");
        let mut child = Command::new(env!("CARGO_BIN_EXE_jexpr"))
            .current_dir(ROOT)
            .args(run_args(&events, &trace, Some(&state), "5"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start jexpr");
        // Kill at a random instant within the first eighth of a whole run's
        // time, so progress is made in small steps and the kills fall in
        // every phase: start-up (trace repair, resume), input, timers, and
        // the final advance to --until. After 40 kills, let it finish.
        let delay = if kills < 40 {
            rng.below(whole / 8 + 1)
        } else {
            whole * 10
        };
        let deadline = Instant::now() + Duration::from_millis(delay);
        let finished = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break Some(status);
            }
            if Instant::now() >= deadline {
                break None;
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        match finished {
            Some(status) => {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut e, &mut err);
                }
                assert!(status.success(), "run {runs} failed: {err}");
                break;
            }
            None => {
                child.kill().expect("SIGKILL");
                let _ = child.wait();
                kills += 1;
                // Damage the trace file as a crash may: a torn last write, or
                // writes that never reached the disk.
                match rng.below(3) {
                    0 => {
                        use std::io::Write;
                        if let Ok(mut f) = std::fs::OpenOptions::new().append(true).open(&trace) {
                            let _ = f.write_all(b"{\"time\":\"2024-05-0");
                        }
                    }
                    1 => {
                        if let Ok(f) = std::fs::OpenOptions::new().write(true).open(&trace) {
                            let len = f.metadata().map(|m| m.len()).unwrap_or(0);
                            let _ = f.set_len(len.saturating_sub(rng.below(5000)));
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    assert!(
        kills >= 10,
        "only {kills} kills before the run finished (a whole run takes {whole} ms)"
    );
    eprintln!("{kills} kills over {runs} runs; a whole run takes {whole} ms");
    let got = std::fs::read(&trace).expect("trace");
    assert!(
        got == expected,
        "after {kills} kills the trace differs from the uninterrupted run"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs once to completion with a state, then tries `args` and checks the
/// refusal and that the state file's bytes did not change.
fn refused(name: &str, change: impl FnOnce(&Path, &mut Vec<String>)) -> String {
    let dir = temp_dir(name);
    let events = dir.join("events.jsonl");
    std::fs::copy(
        Path::new(ROOT).join("examples/journeys/events.jsonl"),
        &events,
    )
    .expect("copy");
    let state = dir.join("state.db");
    let trace = dir.join("trace.jsonl");
    let mut args = run_args(&events, &trace, Some(&state), "1000");
    let out = jexpr(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    change(&dir, &mut args);
    let before = std::fs::read(&state).expect("state");
    let out = jexpr(&args);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read(&state).expect("state"),
        before,
        "the refused state was changed"
    );
    let _ = std::fs::remove_dir_all(&dir);
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_state_for_other_journeys_is_refused() {
    let message = refused("journeys", |dir, args| {
        let changed = dir.join("welcome.journey.json");
        let text = std::fs::read_to_string(Path::new(ROOT).join(JOURNEYS[1])).expect("journey");
        std::fs::write(&changed, text.replace("\"seed\": 7", "\"seed\": 8")).expect("write");
        for a in args.iter_mut() {
            if a == JOURNEYS[1] {
                *a = changed.display().to_string();
            }
        }
    });
    assert!(
        message.contains("journey `welcome` version 1 has changed"),
        "{message}"
    );
    // A refusal is said as one (issue 26), not as a failure of the store.
    assert!(message.contains("the state was refused: "), "{message}");
    assert!(!message.contains("the store failed"), "{message}");
}

#[test]
fn a_state_of_another_format_is_refused() {
    // Format 1 kept one trace row per record; this jexpr writes one per input.
    let message = refused("format", |dir, _| {
        let conn = rusqlite::Connection::open(dir.join("state.db")).expect("sqlite");
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'format'", [])
            .expect("update");
    });
    assert!(
        message.contains("was written in state format 1 by jexpr")
            && message.contains("this jexpr reads format 2"),
        "{message}"
    );
    // Reading it says the same.
    let dir = temp_dir("format-read");
    let state = dir.join("state.db");
    let events = Path::new(ROOT).join("examples/journeys/events.jsonl");
    assert!(jexpr(&run_args(
        &events,
        &dir.join("t.jsonl"),
        Some(&state),
        "1000"
    ))
    .status
    .success());
    let conn = rusqlite::Connection::open(&state).expect("sqlite");
    conn.execute("UPDATE meta SET value = '1' WHERE key = 'format'", [])
        .expect("update");
    drop(conn);
    for args in [
        vec!["state", "inspect", "state.db"],
        vec!["trace", "--state", "state.db"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_jexpr"))
            .current_dir(&dir)
            .args(&args)
            .output()
            .expect("run jexpr");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("state.db was written in state format 1 by jexpr"),
            "{args:?}: {stderr}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_state_in_use_by_another_run_is_refused() {
    // The other run is this test, holding the lock a run holds.
    let mut lock = None;
    let message = refused("in-use", |dir, _| {
        // The lock is on the database itself, so a link to it is refused too.
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(dir.join("state.db"))
            .expect("state file");
        file.try_lock().expect("lock");
        lock = Some(file);
    });
    assert!(
        message.contains("state.db is in use by another jexpr run"),
        "{message}"
    );
    drop(lock);
}

#[test]
fn a_changed_events_prefix_is_refused() {
    let message = refused("prefix", |dir, _| {
        let events = dir.join("events.jsonl");
        let text = std::fs::read_to_string(&events).expect("events");
        std::fs::write(
            &events,
            text.replacen("Subscribed", "Subscribed ", 1)
                .replacen("Subscribed ", "CartUpdated", 1),
        )
        .expect("write");
    });
    assert!(
        message.contains("are not the ones this state handled"),
        "{message}"
    );
}

#[test]
fn appended_lines_are_read_on_from_where_the_run_stopped() {
    let dir = temp_dir("append");
    let all = std::fs::read_to_string(Path::new(ROOT).join("examples/journeys/events.jsonl"))
        .expect("events");
    let lines: Vec<&str> = all.lines().collect();
    let events = dir.join("events.jsonl");
    let state = dir.join("state.db");
    let trace = dir.join("trace.jsonl");
    let reference = dir.join("reference.jsonl");
    // No --until here: the clock must not run past the lines still to come.
    let args = |events: &Path, trace: &Path, state: Option<&Path>| {
        let mut a = run_args(events, trace, state, "50");
        let at = a.iter().position(|x| x == "--until").expect("until");
        a.drain(at..at + 2);
        a
    };
    let out = jexpr(&args(
        &Path::new(ROOT).join("examples/journeys/events.jsonl"),
        &reference,
        None,
    ));
    assert!(out.status.success());
    for part in [&lines[..1000], &lines[1000..2500], &lines[2500..]] {
        let mut text = std::fs::read_to_string(&events).unwrap_or_default();
        for l in part {
            text.push_str(l);
            text.push('\n');
        }
        std::fs::write(&events, text).expect("append");
        let out = jexpr(&args(&events, &trace, Some(&state)));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(std::fs::read(&trace).expect("trace") == std::fs::read(&reference).expect("reference"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn foreign_and_corrupt_files_are_errors() {
    let dir = temp_dir("foreign");
    let events = Path::new(ROOT).join("examples/journeys/events.jsonl");
    let trace = dir.join("trace.jsonl");
    // Another program's SQLite database.
    let foreign = dir.join("foreign.db");
    let conn = rusqlite::Connection::open(&foreign).expect("sqlite");
    conn.execute_batch("CREATE TABLE accounts(id INTEGER); INSERT INTO accounts VALUES (1);")
        .expect("create");
    drop(conn);
    let before = std::fs::read(&foreign).expect("foreign");
    let out = jexpr(&run_args(&events, &trace, Some(&foreign), "100"));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a jexpr state database"));
    assert_eq!(std::fs::read(&foreign).expect("foreign"), before);
    // Not a database at all.
    let junk = dir.join("junk.db");
    std::fs::write(&junk, vec![0x5a; 8192]).expect("junk");
    let out = jexpr(&run_args(&events, &trace, Some(&junk), "100"));
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a jexpr state database"));
    // A state cut in half.
    let state = dir.join("state.db");
    let out = jexpr(&run_args(&events, &trace, Some(&state), "100"));
    assert!(out.status.success());
    let bytes = std::fs::read(&state).expect("state");
    std::fs::write(&state, &bytes[..bytes.len() / 2]).expect("cut");
    let out = jexpr(&run_args(&events, &trace, Some(&state), "100"));
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn state_inspect_shows_where_the_run_is() {
    let dir = temp_dir("inspect");
    let events = Path::new(ROOT).join("examples/journeys/events.jsonl");
    let state = dir.join("state.db");
    let trace = dir.join("trace.jsonl");
    let mut args = run_args(&events, &trace, Some(&state), "1000");
    let at = args.iter().position(|x| x == "--until").expect("until");
    args.drain(at..at + 2);
    assert!(jexpr(&args).status.success());
    let inspect = |extra: &[&str]| {
        let mut a: Vec<String> = vec![
            "state".into(),
            "inspect".into(),
            state.display().to_string(),
        ];
        a.extend(extra.iter().map(|s| s.to_string()));
        jexpr(&a)
    };
    let out = inspect(&["--format", "json", "--profile", "user0049@example.com"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["cursor"]["line"], 4000);
    // Instances by node add up to the waiting count, which the trace agrees with.
    let by_node: i64 = v["byNode"]
        .as_array()
        .expect("byNode")
        .iter()
        .map(|r| r["instances"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(serde_json::json!(by_node), v["waiting"]);
    let text = std::fs::read_to_string(&trace).expect("trace");
    let enters = text
        .lines()
        .filter(|l| l.contains("\"kind\":\"enter\""))
        .count() as i64;
    let exits = text
        .lines()
        .filter(|l| l.contains("\"kind\":\"exit\""))
        .count() as i64;
    assert_eq!(enters - exits, by_node);
    // Every record of the trace file is counted (they are stored by input).
    assert_eq!(v["traceRecords"], text.lines().count() as i64);
    assert_eq!(v["profile"]["profileId"], "user0049@example.com");
    // Text for people; a missing file is a usage error.
    let out = inspect(&[]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("instances by node:"));
    // Issue 22: `--profile` shows only that profile, its data with it (as
    // the profiles file gives it: loyalty tier gold).
    assert_eq!(
        v["profile"]["dataSources"]["ExperiencePlatform"]["Profile"]["loyalty"]["tier"],
        "gold"
    );
    let out = inspect(&["--profile", "user0049@example.com"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("profile user0049@example.com:\n"),
        "{text}"
    );
    assert!(
        text.contains("  data ExperiencePlatform: {\"Profile\""),
        "{text}"
    );
    assert!(!text.contains("instances by node:"), "{text}");
    // Issue 22: the next audience read is listed under next due: winback
    // reads at 2024-05-02T08:00Z every P7D and the clock stopped on
    // 2024-05-10, so the next read is 2024-05-16T08:00Z; the list stays in
    // due order.
    let out = inspect(&["--format", "json", "--next", "1000"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let due = v["nextDue"].as_array().expect("nextDue");
    let reads: Vec<&serde_json::Value> = due.iter().filter(|d| d["audienceRead"] == true).collect();
    assert_eq!(reads.len(), 1, "{due:?}");
    assert_eq!(reads[0]["journey"], "winback");
    assert_eq!(reads[0]["due"], "2024-05-16T08:00:00.000Z");
    let times: Vec<&str> = due.iter().filter_map(|d| d["due"].as_str()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    let out = inspect(&["--next", "1000"]);
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("2024-05-16T08:00:00.000Z  winback v1 reads its audience"));
    let out = jexpr(&[
        "state".into(),
        "inspect".into(),
        dir.join("nope.db").display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn trace_export_orders_the_stored_trace_by_time_then_profile() {
    let dir = temp_dir("export");
    let events = Path::new(ROOT).join("examples/journeys/events.jsonl");
    let trace = dir.join("trace.jsonl");
    let state = dir.join("state.db");
    let out = jexpr(&run_args(&events, &trace, Some(&state), "1000"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = std::fs::read_to_string(&trace).expect("trace");
    let out = jexpr(&[
        "trace".into(),
        "--state".into(),
        state.display().to_string(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let exported = String::from_utf8(out.stdout).expect("utf-8");
    // The same records...
    let mut a: Vec<&str> = written.lines().collect();
    let mut b: Vec<&str> = exported.lines().collect();
    assert_eq!(a.len(), b.len());
    // ...ordered by (time, profile id), each profile's in the order written.
    let key = |l: &str| {
        let v: serde_json::Value = serde_json::from_str(l).expect("JSON");
        (
            v["time"].as_str().unwrap_or("").to_string(),
            v["profileId"].as_str().unwrap_or("").to_string(),
        )
    };
    assert!(b.windows(2).all(|w| key(w[0]) <= key(w[1])));
    let of = |lines: &[&str], who: &str| -> Vec<String> {
        lines
            .iter()
            .filter(|l| key(l).1 == who)
            .map(|l| l.to_string())
            .collect()
    };
    for who in ["user0282@example.com", "user0001@example.com", ""] {
        assert_eq!(of(&a, who), of(&b, who), "{who}");
    }
    a.sort();
    b.sort();
    assert_eq!(a, b);
    // One profile's records only.
    let out = jexpr(&[
        "trace".into(),
        "--state".into(),
        state.display().to_string(),
        "--profile".into(),
        "user0282@example.com".into(),
    ]);
    let one = String::from_utf8(out.stdout).expect("utf-8");
    assert_eq!(
        one.lines().map(String::from).collect::<Vec<_>>(),
        of(&written.lines().collect::<Vec<_>>(), "user0282@example.com")
    );
    assert!(!one.is_empty());
}

/// A crash may tear the last record and leave the start of another after
/// it: the resumed run compares the file's end with the outbox and rewrites
/// from the first byte that differs.
#[test]
fn a_torn_record_followed_by_another_start_is_repaired() {
    let dir = temp_dir("torn");
    let (events, expected) = uninterrupted(&dir);
    let trace = dir.join("trace.jsonl");
    let state = dir.join("state.db");
    let out = jexpr(&run_args(&events, &trace, Some(&state), "1000"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (cut, garbage) in [
        (5u64, &b"{\"time\":\"2024-05-0"[..]),
        (1, b"xx"),
        (40, b"\n{"),
    ] {
        // Tear the last record `cut` bytes before its end, then append.
        let len = std::fs::metadata(&trace).expect("trace").len();
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(&trace)
            .expect("open");
        f.set_len(len - cut).expect("truncate");
        drop(f);
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&trace)
            .expect("open");
        std::io::Write::write_all(&mut f, garbage).expect("append");
        drop(f);
        let out = jexpr(&run_args(&events, &trace, Some(&state), "1000"));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            std::fs::read(&trace).expect("trace") == expected,
            "cut {cut}, then {:?}: the trace is not the uninterrupted one",
            String::from_utf8_lossy(garbage)
        );
    }
}

/// A run killed while it creates its state (every millisecond of its
/// first 40) leaves either no state or a whole one: the next run starts
/// or resumes, and is never refused.
#[test]
fn killed_while_creating_its_state_the_next_run_starts() {
    let dir = temp_dir("create");
    let all = std::fs::read_to_string(Path::new(ROOT).join("examples/journeys/events.jsonl"))
        .expect("events");
    let events = dir.join("events.jsonl");
    let first: String = all.lines().take(20).map(|l| format!("{l}\n")).collect();
    std::fs::write(&events, first).expect("events");
    let reference = dir.join("reference.jsonl");
    assert!(jexpr(&run_args(&events, &reference, None, "5"))
        .status
        .success());
    let expected = std::fs::read(&reference).expect("reference");
    for delay in 0..40 {
        let state = dir.join(format!("state-{delay}.db"));
        let trace = dir.join(format!("trace-{delay}.jsonl"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_jexpr"))
            .current_dir(ROOT)
            .args(run_args(&events, &trace, Some(&state), "5"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start jexpr");
        std::thread::sleep(Duration::from_millis(delay));
        let _ = child.kill();
        let _ = child.wait();
        let args = run_args(&events, &trace, Some(&state), "5");
        assert_run_writes(
            &args,
            &trace,
            &expected,
            &format!("killed after {delay} ms"),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A profile stepped again before its batch commits is handed back as the
/// store wrote it, not read again: any batch size gives the memory run's
/// trace (one input per transaction never reuses a state, one transaction
/// for the whole run reuses them most).
#[test]
fn every_batch_size_gives_the_memory_runs_trace() {
    let dir = temp_dir("batches");
    let (events, expected) = uninterrupted(&dir);
    for batch in ["1", "100000"] {
        let state = dir.join(format!("state-{batch}.db"));
        let trace = dir.join(format!("trace-{batch}.jsonl"));
        let args = run_args(&events, &trace, Some(&state), batch);
        assert_run_writes(&args, &trace, &expected, &format!("--commit-every {batch}"));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs jexpr with `args` and checks it succeeds and writes `expected` to
/// `trace`; `what` names the case in a failure.
fn assert_run_writes(args: &[String], trace: &Path, expected: &[u8], what: &str) {
    let out = jexpr(args);
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        std::fs::read(trace).expect("trace") == expected,
        "{what}: the trace differs from the uninterrupted memory run's"
    );
}

/// SERVICE.md section 1: `run` over an existing state accepts new journeys
/// and new versions (published into the state), and refuses a changed
/// version, saying which version number to publish it as.
#[test]
fn a_resumed_run_publishes_new_versions_and_refuses_changed_ones() {
    let dir = temp_dir("publish");
    let events = dir.join("events.jsonl");
    let original = std::fs::read_to_string(Path::new(ROOT).join("examples/journeys/events.jsonl"))
        .expect("events");
    std::fs::write(&events, &original).expect("events");
    let trace = dir.join("trace.jsonl");
    let state = dir.join("state.db");
    let mut args = run_args(&events, &trace, Some(&state), "1000");
    let at = args.iter().position(|x| x == "--until").expect("until");
    args.drain(at..at + 2);
    let out = jexpr(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Version 2 goes live after the input so far; a newcomer after that enters it.
    let v1 = std::fs::read_to_string(Path::new(ROOT).join(JOURNEYS[1])).expect("journey");
    let v2 = v1
        .replace("\"version\": 1", "\"version\": 2")
        .replace("2024-05-01T00:00:00Z", "2024-05-11T00:00:00Z");
    assert_ne!(v1, v2);
    let v2_path = dir.join("welcome-v2.json");
    std::fs::write(&v2_path, &v2).expect("v2");
    std::fs::write(
        &events,
        format!("{original}{}\n", r#"{"time": "2024-05-12T09:00:00Z", "event": "Subscribed", "payload": {"email": "late@example.com", "consent": true, "country": "FR"}}"#),
    )
    .expect("events");
    let mut with_v2 = args.clone();
    with_v2.insert(1, v2_path.display().to_string());
    let out = jexpr(&with_v2);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&trace).expect("trace");
    let enter = text
        .lines()
        .find(|l| l.contains(r#""kind":"enter""#) && l.contains("late@example.com"))
        .expect("the newcomer entered");
    assert!(
        enter.contains(r#""journey":"welcome","version":2"#),
        "{enter}"
    );
    // Instances of version 1 finish on it: some resume after v2 went live.
    assert!(
        text.lines().any(
            |l| l.contains(r#""kind":"resume","journey":"welcome","version":1"#)
                && l.starts_with(r#"{"time":"2024-05-12"#)
        ),
        "no version 1 instance went on"
    );
    // Changing a published version is refused, with the number to use.
    std::fs::write(&v2_path, v2.replace("\"seed\": 7", "\"seed\": 9")).expect("v2");
    let out = jexpr(&with_v2);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr
            .contains("journey `welcome` version 2 has changed (publish the change as version 3)"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
