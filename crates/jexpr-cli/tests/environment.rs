//! Hostile environments for the binary (issue 21): an output that is an
//! input, standard output closed or full, a file size limit. Each ends in a
//! clear error with exit 2, never a panic (exit 101) or a silent kill, and
//! destroys no input.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const JOURNEY: &str = r#"{"id": "j", "version": 1, "start": "s", "nodes": {
  "s": {"type": "event", "event": "E", "next": "w"},
  "w": {"type": "wait", "duration": "PT1H", "next": "e"}, "e": {"type": "end"}}}"#;
const CATALOG: &str = r#"{"events": {"E": {"fields": {"n": "integer"}}}}"#;

/// A fresh directory with a journey, a catalog and `lines` events.
fn workdir(name: &str, lines: usize) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("jexpr-env-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("j.json"), JOURNEY).expect("journey");
    std::fs::write(dir.join("catalog.json"), CATALOG).expect("catalog");
    let events: String = (0..lines)
        .map(|i| format!("{{\"time\": \"2024-05-01T10:00:00Z\", \"event\": \"E\", \"profileId\": \"p{i}\"}}\n"))
        .collect();
    std::fs::write(dir.join("events.jsonl"), events).expect("events");
    dir
}

fn jexpr(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_jexpr"));
    c.current_dir(dir).args(args);
    c
}

const RUN: [&str; 6] = [
    "run",
    "j.json",
    "--catalog",
    "catalog.json",
    "--events",
    "events.jsonl",
];

#[test]
fn a_trace_that_names_an_input_is_refused_and_the_input_kept() {
    let dir = workdir("trace-is-input", 3);
    let before = std::fs::read(dir.join("events.jsonl")).expect("events");
    std::os::unix::fs::symlink("events.jsonl", dir.join("link.jsonl")).expect("symlink");
    for trace in [
        "events.jsonl",
        "./link.jsonl",
        "../{dir}/catalog.json",
        "j.json",
    ] {
        let trace = trace.replace("{dir}", &dir.file_name().expect("name").to_string_lossy());
        let mut args = RUN.to_vec();
        args.extend(["--trace", &trace]);
        let out = jexpr(&dir, &args).output().expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{trace}: {stderr}");
        assert!(stderr.contains("the output would overwrite it"), "{stderr}");
    }
    assert_eq!(
        std::fs::read(dir.join("events.jsonl")).expect("events"),
        before
    );
    // The state file too, and `jexpr trace --output` over its own state.
    let mut args = RUN.to_vec();
    args.extend(["--state", "run.db"]);
    assert_eq!(
        jexpr(&dir, &args).output().expect("run").status.code(),
        Some(0)
    );
    let out = jexpr(&dir, &["trace", "--state", "run.db", "--output", "run.db"])
        .output()
        .expect("trace");
    assert_eq!(out.status.code(), Some(2));
    let out = jexpr(&dir, &["state", "inspect", "run.db"])
        .output()
        .expect("inspect");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_empty_state_path_is_refused() {
    let dir = workdir("empty-state", 1);
    let mut args = RUN.to_vec();
    args.extend(["--state", ""]);
    let out = jexpr(&dir, &args).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--state is empty"));
    let left: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(left.len(), 3, "{left:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_full_standard_output_is_an_error_not_a_panic() {
    let dir = workdir("full", 2);
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full")
    };
    let commands: [&[&str]; 3] = [
        &["journey", "check", "j.json", "--catalog", "catalog.json"],
        &RUN,
        &["eval", "1 + 1"],
    ];
    for args in commands {
        let out = jexpr(&dir, args).stdout(full()).output().expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(stderr.contains("No space left on device"), "{stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_closed_pipe_is_an_error_not_a_panic() {
    let dir = workdir("pipe", 20_000);
    let mut child = jexpr(&dir, &RUN)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // The reader goes away at once: the trace (megabytes) cannot be written.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("Broken pipe"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_file_size_limit_is_an_error_and_the_run_resumes() {
    let dir = workdir("ulimit", 200);
    let script = format!(
        "ulimit -f 8; exec {} run j.json --catalog catalog.json --events events.jsonl --state run.db --trace trace.jsonl",
        env!("CARGO_BIN_EXE_jexpr")
    );
    let out = Command::new("sh")
        .current_dir(&dir)
        .args(["-c", &script])
        .output()
        .expect("sh");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Exit 2 with the reason, not killed by SIGXFSZ (no exit code).
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("File too large") || stderr.contains("disk I/O error"),
        "{stderr}"
    );
    // Without the limit the same command completes the run: every profile
    // entered and waits, once.
    let mut args = RUN.to_vec();
    args.extend(["--state", "run.db", "--trace", "trace.jsonl"]);
    let out = jexpr(&dir, &args).output().expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let trace = std::fs::read_to_string(dir.join("trace.jsonl")).expect("trace");
    assert_eq!(
        trace
            .lines()
            .filter(|l| l.contains("\"kind\":\"enter\""))
            .count(),
        200
    );
    assert_eq!(trace.lines().count(), 400);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_state_in_use_through_another_path_is_refused() {
    let dir = workdir("lock-link", 2);
    let mut args = RUN.to_vec();
    args.extend(["--state", "run.db"]);
    assert_eq!(
        jexpr(&dir, &args).output().expect("run").status.code(),
        Some(0)
    );
    std::os::unix::fs::symlink("run.db", dir.join("link.db")).expect("symlink");
    std::fs::create_dir(dir.join("sub")).expect("sub");
    let before = std::fs::read(dir.join("run.db")).expect("state");
    // Another run holds the state (this test, as a run holds it: the lock is
    // on the database file) under one name; runs under others are refused.
    let held = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(dir.join("run.db"))
        .expect("state");
    held.try_lock().expect("lock");
    for state in ["link.db", "./sub/../run.db"] {
        let mut args = RUN.to_vec();
        args.extend(["--state", state]);
        let out = jexpr(&dir, &args).output().expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{state}: {stderr}");
        assert!(
            stderr.contains("is in use by another jexpr run"),
            "{stderr}"
        );
    }
    drop(held);
    assert_eq!(std::fs::read(dir.join("run.db")).expect("state"), before);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_state_that_is_not_a_database_says_so() {
    let dir = workdir("not-db", 1);
    std::fs::write(dir.join("notes.txt"), "shopping list\n".repeat(100)).expect("write");
    let mut args = RUN.to_vec();
    args.extend(["--state", "notes.txt"]);
    let out = jexpr(&dir, &args).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("notes.txt is not a jexpr state database"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// An unfinished last line is left for the next run; `--until` must not
/// move the clock past it, or the completed line is out of time order (lost).
#[test]
fn an_unfinished_last_line_is_not_lost_to_until() {
    let dir = workdir("unfinished", 1);
    let first = std::fs::read_to_string(dir.join("events.jsonl")).expect("events");
    let second = r#"{"time": "2024-05-01T11:00:00Z", "event": "E", "profileId": "late"}"#;
    let (head, tail) = second.split_at(40);
    std::fs::write(dir.join("events.jsonl"), format!("{first}{head}")).expect("write");
    let mut args = RUN.to_vec();
    args.extend([
        "--state",
        "run.db",
        "--trace",
        "trace.jsonl",
        "--until",
        "2024-05-02T00:00:00Z",
    ]);
    let out = jexpr(&dir, &args).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("left for the next run (the clock stays"),
        "{stderr}"
    );
    assert!(
        stderr.contains("clock at 2024-05-01T10:00:00.000Z"),
        "{stderr}"
    );
    std::fs::write(dir.join("events.jsonl"), format!("{first}{head}{tail}\n")).expect("write");
    let out = jexpr(&dir, &args).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let trace = std::fs::read_to_string(dir.join("trace.jsonl")).expect("trace");
    assert!(!trace.contains("inputError"), "{trace}");
    assert!(
        trace.contains(r#"{"time":"2024-05-01T11:00:00.000Z","kind":"enter","journey":"j","version":1,"profileId":"late","node":"s","event":"E","instance":"j:1:late"}"#),
        "{trace}"
    );
    // p0's wait fired at 11:00, before the line; late's at 12:00, by --until.
    assert!(trace.contains(r#"{"time":"2024-05-01T11:00:00.000Z","kind":"resume","journey":"j","version":1,"profileId":"p0""#), "{trace}");
    assert!(trace.contains(r#"{"time":"2024-05-01T12:00:00.000Z","kind":"resume","journey":"j","version":1,"profileId":"late""#), "{trace}");
    assert!(
        stderr.contains("clock at 2024-05-02T00:00:00.000Z"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A journey file that is not UTF-8 is a content problem (J001, exit 1), as
/// invalid JSON is, not an unreadable file (exit 2).
#[test]
fn a_journey_file_that_is_not_utf8_is_j001() {
    let dir = workdir("not-utf8", 1);
    std::fs::write(dir.join("latin1.json"), b"{\"id\": \"caf\xe9\"}").expect("write");
    let out = jexpr(
        &dir,
        &["journey", "check", "latin1.json", "--format", "json"],
    )
    .output()
    .expect("check");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
    assert_eq!(report["errors"][0]["code"], "J001", "{report}");
    assert_eq!(report["errors"][0]["file"], "latin1.json", "{report}");
    assert!(
        report["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("not UTF-8 text (at byte offset 11)")),
        "{report}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A "PostgreSQL server" that accepts connections and never answers hung
/// `run` and `state inspect` forever, also with `connect_timeout`. Now
/// they give up after the timeout, with a message saying so.
#[test]
fn a_server_that_never_answers_is_an_error_in_bounded_time() {
    let dir = workdir("silent-pg", 1);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream); // accepted, never answered
        }
    });
    let url = format!("postgres://jexpr@127.0.0.1:{port}/jexpr?connect_timeout=1");
    let mut run = RUN.to_vec();
    run.extend(["--state", &url]);
    let commands: [&[&str]; 2] = [&["state", "inspect", &url], &run];
    for args in commands {
        let started = std::time::Instant::now();
        let out = jexpr(&dir, args).output().expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("no answer within 2 s"), "{stderr}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "{:?}",
            started.elapsed()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn run_with_stdin(dir: &Path, args: &[&str], input: &[u8]) -> std::process::Output {
    use std::io::Write;
    let mut child = jexpr(dir, args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(input).expect("write stdin");
    drop(stdin);
    child.wait_with_output().expect("wait")
}

/// `--events -` reads the events from standard input; with a SQLite state a
/// later run given the stream again (grown) goes on where the first stopped.
#[test]
fn events_from_standard_input() {
    let dir = workdir("stdin", 6);
    let events = std::fs::read(dir.join("events.jsonl")).expect("events");
    let mut from_file = RUN.to_vec();
    from_file.extend(["--trace", "file.jsonl", "--until", "2024-05-02T00:00:00Z"]);
    let out = jexpr(&dir, &from_file).output().expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = std::fs::read_to_string(dir.join("file.jsonl")).expect("trace");

    let stdin_args = |extra: &[&'static str]| {
        let mut args = vec![
            "run",
            "j.json",
            "--catalog",
            "catalog.json",
            "--events",
            "-",
        ];
        args.extend_from_slice(extra);
        args
    };
    let out = run_with_stdin(
        &dir,
        &stdin_args(&["--until", "2024-05-02T00:00:00Z"]),
        &events,
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);

    // Half the stream, then the whole stream again: one run's trace.
    let half = events
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(2)
        .map(|(i, _)| i + 1)
        .expect("3 lines");
    let durable = ["--state", "run.db", "--trace", "stdin.jsonl"];
    let out = run_with_stdin(&dir, &stdin_args(&durable), &events[..half]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut whole = durable.to_vec();
    whole.extend(["--until", "2024-05-02T00:00:00Z"]);
    let out = run_with_stdin(&dir, &stdin_args(&whole), &events);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("read 6 lines"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(dir.join("stdin.jsonl")).expect("trace"),
        expected
    );

    // PostgreSQL processes read the file again: a stream is refused at once.
    let out = run_with_stdin(
        &dir,
        &stdin_args(&["--state", "postgres://nobody@127.0.0.1:1/none"]),
        b"",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("give a file, not standard input"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A state its reader cannot write (a copy kept for support, read by
/// another user): `run` says it needs to write it, `state inspect` and
/// `jexpr trace` read it. Run as `nobody` (root may write anything); skipped
/// where that cannot be done.
#[test]
fn a_read_only_state_is_read_and_a_run_says_why_not() {
    let runuser = Path::new("/usr/sbin/runuser");
    // SAFETY: getuid has no preconditions.
    if unsafe { libc::getuid() } != 0 || !runuser.exists() {
        eprintln!("skipped: needs root and runuser to act as another user");
        return;
    }
    // The binary must be reachable by that user (a checkout under /root is not).
    let reachable = Command::new(runuser)
        .args([
            "-u",
            "nobody",
            "--",
            env!("CARGO_BIN_EXE_jexpr"),
            "--version",
        ])
        .output()
        .is_ok_and(|o| o.status.success());
    if !reachable {
        eprintln!(
            "skipped: user nobody cannot run {}",
            env!("CARGO_BIN_EXE_jexpr")
        );
        return;
    }
    let dir = workdir("read-only", 3);
    let mut args = RUN.to_vec();
    args.extend(["--state", "run.db"]);
    assert_eq!(
        jexpr(&dir, &args).output().expect("run").status.code(),
        Some(0)
    );
    let as_nobody = |args: &[&str]| {
        Command::new(runuser)
            .current_dir(&dir)
            .args(["-u", "nobody", "--", env!("CARGO_BIN_EXE_jexpr")])
            .args(args)
            .output()
            .expect("runuser")
    };
    let out = as_nobody(&["state", "inspect", "run.db"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("profiles: 3"), "{stdout}");
    let out = as_nobody(&["trace", "--state", "run.db"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 6);
    let out = as_nobody(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot open the state run.db for writing (permission denied)"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
