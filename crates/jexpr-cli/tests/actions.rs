//! Actions over HTTP (SERVICE.md section 2) against a real receiver started
//! by the test (axum on a free port): the statuses and retries of the
//! reference's rules, Standard Webhooks headers and signature, capping, a
//! response read by a later condition, and a call made again after `kill
//! -9` under the same `webhook-id`.

use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use base64::Engine as _;
use hmac::Mac;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Received {
    path: String,
    method: String,
    query: String,
    headers: BTreeMap<String, String>,
    body: String,
}

#[derive(Default)]
struct Log {
    requests: Vec<Received>,
}

type Shared = Arc<Mutex<Log>>;

/// The receiver: what each path answers (`/ok`, `/flaky`, …).
async fn hook(
    State(log): State<Shared>,
    UrlPath(mode): UrlPath<String>,
    method: axum::http::Method,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let received = Received {
        path: mode.clone(),
        method: method.to_string(),
        query: uri.query().unwrap_or("").to_string(),
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let id = received
        .headers
        .get("webhook-id")
        .cloned()
        .unwrap_or_default();
    // How many times this call (by id) came before this one.
    let seen = {
        let mut log = log.lock().expect("log");
        let seen = log
            .requests
            .iter()
            .filter(|r| r.headers.get("webhook-id") == Some(&id))
            .count();
        log.requests.push(received);
        seen
    };
    let json = |status: u16, v: Value| {
        (
            StatusCode::from_u16(status).expect("status"),
            [("content-type", "application/json")],
            v.to_string(),
        )
            .into_response()
    };
    match mode.as_str() {
        "ok" => json(200, json!({"points": 250, "tier": "gold"})),
        "flaky" if seen < 2 => json(500, json!({"error": "try again"})),
        "flaky" => json(200, json!({"points": 3})),
        "unauthorized" => json(401, json!({"error": "who are you"})),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            json(200, json!({}))
        }
        "limited" if seen == 0 => (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "1")],
            "slow down",
        )
            .into_response(),
        "limited" => json(200, json!({"points": 1})),
        "notjson" => (StatusCode::OK, "hello").into_response(),
        "huge" => json(200, json!({"blob": "x".repeat(2 << 20)})),
        // The first request of a call is held long enough for the test to
        // kill the caller; the call made again is answered at once.
        "hold" if seen == 0 => {
            tokio::time::sleep(Duration::from_secs(20)).await;
            json(200, json!({"points": 9}))
        }
        "hold" => json(200, json!({"points": 9})),
        // A data source: the profile's tier by `id`; ids starting with `x`
        // fail.
        "crm" => {
            let id = uri
                .query()
                .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("id=")))
                .unwrap_or("")
                .to_string();
            if id.starts_with('x') {
                json(500, json!({"error": "down"}))
            } else {
                let tier = if id.starts_with('g') { "gold" } else { "basic" };
                json(200, json!({"tier": tier}))
            }
        }
        _ => json(404, json!({"error": "no such hook"})),
    }
}

/// Starts the receiver on a free port; its base URL and log.
fn receiver() -> (String, Shared) {
    let log: Shared = Arc::default();
    let app = Router::new()
        .route("/{mode}", any(hook))
        .with_state(log.clone());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            tx.send(listener.local_addr().expect("addr")).expect("send");
            axum::serve(listener, app).await.expect("serve");
        });
    });
    let addr = rx.recv().expect("address");
    (format!("http://{addr}"), log)
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn catalog(base: &str) -> Value {
    let action = |path: &str| {
        json!({"params": {"customerId": "string"},
               "response": {"fields": {"points": "integer", "tier": "string"}},
               "endpoint": {"url": format!("{base}/{path}"), "method": "POST",
                            "headers": {"X-Source": "jexpr"},
                            "auth": {"type": "bearer", "tokenEnv": "JEXPR_TEST_TOKEN"},
                            "signingSecretEnv": "JEXPR_TEST_SECRET"}})
    };
    let mut actions = serde_json::Map::new();
    for path in [
        "ok",
        "flaky",
        "unauthorized",
        "slow",
        "limited",
        "notjson",
        "huge",
        "hold",
    ] {
        actions.insert(path.to_string(), action(path));
    }
    actions.insert(
        "refused".into(),
        json!({"params": {"customerId": "string"},
               "endpoint": {"url": format!("http://127.0.0.1:{}/x", closed_port())}}),
    );
    actions.insert(
        "capped".into(),
        json!({"params": {"customerId": "string"},
               "endpoint": {"url": format!("{base}/ok"), "capping": {"maxCalls": 1, "period": "PT1H"}}}),
    );
    actions.insert(
        "lookup".into(),
        json!({"params": {"customerId": "string", "n": "integer"},
               "endpoint": {"url": format!("{base}/ok"), "method": "GET",
                            "auth": {"type": "apiKey", "query": "key", "valueEnv": "JEXPR_TEST_TOKEN"}}}),
    );
    actions.insert("note".into(), json!({"params": {"text": "string"}}));
    json!({"events": {"Go": {"fields": {"who": "string", "case": "string"}, "profileId": "@{Go.who}"}},
           "actions": actions})
}

/// One journey: the event's `case` picks the action called; a success
/// notes the response's points (read with `@action{…}`), a failure notes
/// the status.
fn journey(cases: &[&str]) -> Value {
    let mut nodes = serde_json::Map::new();
    nodes.insert(
        "go".into(),
        json!({"type": "event", "event": "Go", "next": "pick"}),
    );
    let paths: Vec<Value> = cases
        .iter()
        .map(|c| json!({"label": c, "when": format!("@{{Go.case}} == \"{c}\""), "next": format!("call_{c}")}))
        .collect();
    nodes.insert(
        "pick".into(),
        json!({"type": "condition", "paths": paths, "otherwise": "done"}),
    );
    for c in cases {
        let params = if *c == "lookup" {
            json!({"customerId": "@{Go.who}", "n": "7"})
        } else {
            json!({"customerId": "@{Go.who}"})
        };
        nodes.insert(
            format!("call_{c}"),
            json!({"type": "action", "action": c, "params": params,
                   "next": format!("ok_{c}"), "onError": format!("failed_{c}")}),
        );
        let points = if ["ok", "flaky", "limited", "hold"].contains(c) {
            format!("toString(@action{{{c}.points}})")
        } else {
            "\"-\"".to_string()
        };
        nodes.insert(
            format!("ok_{c}"),
            json!({"type": "action", "action": "note", "params": {"text": points}, "next": "done"}),
        );
        nodes.insert(
            format!("failed_{c}"),
            json!({"type": "action", "action": "note",
                   "params": {"text": format!("@action{{{c}.jo_status_code}}")}, "next": "done"}),
        );
    }
    nodes.insert("done".into(), json!({"type": "end"}));
    json!({"id": "calls", "version": 1, "start": "go", "actionTimeout": "PT2S",
           "reentrance": {"allowed": true}, "nodes": nodes})
}

fn setup(name: &str, base: &str, cases: &[&str], events: &[(&str, &str)]) -> PathBuf {
    let d = std::env::temp_dir().join(format!("jexpr-actions-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("dir");
    std::fs::write(d.join("catalog.json"), catalog(base).to_string()).expect("catalog");
    std::fs::write(d.join("calls.json"), journey(cases).to_string()).expect("journey");
    let lines: Vec<String> = events
        .iter()
        .enumerate()
        .map(|(i, (who, case))| {
            json!({"time": format!("2024-05-01T10:00:{:02}Z", i), "event": "Go",
                   "payload": {"who": who, "case": case}})
            .to_string()
        })
        .collect();
    std::fs::write(d.join("events.jsonl"), lines.join("\n") + "\n").expect("events");
    d
}

fn jexpr(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jexpr"))
        .current_dir(dir)
        .env("JEXPR_TEST_TOKEN", "s3cret-token")
        .env("JEXPR_TEST_SECRET", SECRET)
        .args(args)
        .output()
        .expect("jexpr")
}

/// `jexpr run` of the calls journey over its events (with `extra`): the
/// records and the trace's text.
fn run_calls(dir: &Path, extra: &[&str]) -> (Vec<Value>, String) {
    let mut args = vec![
        "run",
        "calls.json",
        "--catalog",
        "catalog.json",
        "--events",
        "events.jsonl",
    ];
    args.extend(extra);
    let out = jexpr(dir, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (records(&text), text)
}

fn records(trace: &str) -> Vec<Value> {
    trace
        .lines()
        .map(|l| serde_json::from_str(l).expect("record"))
        .collect()
}

/// The `action` record of `action` for `who`, and the note that followed.
fn outcome(records: &[Value], who: &str, action: &str) -> (Value, String) {
    let call = records
        .iter()
        .find(|r| r["kind"] == "action" && r["profileId"] == who && r["action"] == action)
        .unwrap_or_else(|| panic!("no action record for {who}"))
        .clone();
    let note = records
        .iter()
        .find(|r| r["kind"] == "action" && r["profileId"] == who && r["action"] == "note")
        .map(|r| r["params"]["text"].as_str().unwrap_or("").to_string())
        .unwrap_or_default();
    (call, note)
}

#[test]
fn calls_follow_the_reference_rules() {
    let (base, log) = receiver();
    let cases = [
        "ok",
        "flaky",
        "unauthorized",
        "slow",
        "limited",
        "notjson",
        "huge",
        "refused",
        "capped",
        "lookup",
    ];
    let mut events: Vec<(&str, &str)> = cases.iter().map(|c| (*c, *c)).collect();
    events.push(("capped2", "capped"));
    let d = setup("rules", &base, &cases, &events);
    let started = Instant::now();
    let (rs, trace_text) = run_calls(&d, &["--deliver"]);
    let check = |who: &str, status: &str, attempts: u64, note: &str| {
        let (call, got) = outcome(&rs, who, who.trim_end_matches('2'));
        assert_eq!(call["status"], status, "{who}: {call}");
        assert_eq!(call["attempts"], attempts, "{who}: {call}");
        assert_eq!(got, note, "{who}");
    };
    // Success: the response is read by the next node.
    check("ok", "http_200", 1, "250");
    // 500, 500, 200: three requests, one call.
    check("flaky", "http_200", 3, "3");
    // 401 is not retried; the error path reads the status.
    check("unauthorized", "http_401", 1, "http_401");
    // Slower than actionTimeout (2 s).
    check("slow", "timedout", 1, "timedout");
    // 429 with Retry-After: 1 → waited, then 200.
    check("limited", "http_200", 2, "1");
    // A 2xx that is not a JSON object, or larger than 1 MiB: an error.
    check("notjson", "internalError", 1, "internalError");
    check("huge", "internalError", 1, "internalError");
    // Nothing listens: retried within the budget, then an error.
    let (call, note) = outcome(&rs, "refused", "refused");
    assert_eq!(call["status"], "internalError");
    assert!(call["attempts"].as_u64().expect("attempts") >= 2, "{call}");
    assert_eq!(note, "internalError");
    // Capping: one call per hour; the second is not made.
    check("capped", "http_200", 1, "-");
    check("capped2", "capped", 0, "capped");
    check("lookup", "http_200", 1, "-");
    // The error record says why, without secrets.
    let errors: Vec<&Value> = rs.iter().filter(|r| r["kind"] == "error").collect();
    let huge = errors
        .iter()
        .find(|r| r["profileId"] == "huge")
        .expect("huge error");
    assert!(
        huge["message"]
            .as_str()
            .expect("m")
            .contains("larger than 1 MiB"),
        "{huge}"
    );
    assert!(!trace_text.contains("s3cret-token") && !trace_text.contains(SECRET));
    assert!(started.elapsed() < Duration::from_secs(30));

    let log = log.lock().expect("log");
    let by_path =
        |p: &str| -> Vec<&Received> { log.requests.iter().filter(|r| r.path == p).collect() };
    // Every retry of a call carries the same id.
    let flaky = by_path("flaky");
    assert_eq!(flaky.len(), 3);
    assert!(flaky
        .iter()
        .all(|r| r.headers["webhook-id"] == flaky[0].headers["webhook-id"]));
    assert_eq!(by_path("unauthorized").len(), 1);
    // Headers: auth, the endpoint's own, JSON body of the parameters.
    let ok = by_path("ok");
    let first = ok.first().expect("ok request");
    assert_eq!(first.method, "POST");
    assert_eq!(first.headers["authorization"], "Bearer s3cret-token");
    assert_eq!(first.headers["x-source"], "jexpr");
    assert_eq!(first.headers["content-type"], "application/json");
    assert_eq!(
        serde_json::from_str::<Value>(&first.body).expect("body"),
        json!({"customerId": "ok"})
    );
    // Standard Webhooks: recompute the signature from the secret.
    let key = base64::engine::general_purpose::STANDARD
        .decode(SECRET.trim_start_matches("whsec_"))
        .expect("key");
    let id = &first.headers["webhook-id"];
    let ts = &first.headers["webhook-timestamp"];
    let age = chrono::Utc::now().timestamp() - ts.parse::<i64>().expect("timestamp");
    assert!((0..60).contains(&age), "a current timestamp: {ts}");
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).expect("hmac");
    mac.update(format!("{id}.{ts}.{}", first.body).as_bytes());
    let expected = format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    );
    assert_eq!(first.headers["webhook-signature"], expected);
    // GET sends the parameters (and the API key) in the query string.
    let lookup = log
        .requests
        .iter()
        .find(|r| r.method == "GET")
        .expect("a GET");
    assert!(
        lookup.query.contains("customerId=lookup"),
        "{}",
        lookup.query
    );
    assert!(lookup.query.contains("n=7") && lookup.query.contains("key=s3cret-token"));
    assert!(lookup.body.is_empty());
}

/// `--dry-run`-like runs make no call: `run` without `--deliver` records.
#[test]
fn without_deliver_nothing_is_called() {
    let (base, log) = receiver();
    let d = setup("record", &base, &["ok"], &[("ok", "ok")]);
    let (rs, _) = run_calls(&d, &[]);
    let (call, note) = outcome(&rs, "ok", "ok");
    assert!(call.get("status").is_none(), "{call}");
    // A recorded action's response is empty: the read is null.
    assert_eq!(note, "");
    assert!(log.lock().expect("log").requests.is_empty());
}

/// A secret named by an endpoint and missing from the environment stops
/// the run before anything happens, naming the variable, not its value.
#[test]
fn a_missing_secret_is_named() {
    let d = setup("secret", "http://127.0.0.1:9", &["ok"], &[("ok", "ok")]);
    let out = Command::new(env!("CARGO_BIN_EXE_jexpr"))
        .current_dir(&d)
        .env_remove("JEXPR_TEST_TOKEN")
        .env("JEXPR_TEST_SECRET", SECRET)
        .args([
            "run",
            "calls.json",
            "--catalog",
            "catalog.json",
            "--events",
            "events.jsonl",
            "--deliver",
        ])
        .output()
        .expect("jexpr");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("JEXPR_TEST_TOKEN is not set"), "{err}");
}

/// Killed while the receiver holds the request: the call is durable before
/// it is made, so the resumed run makes it again with the same
/// `webhook-id`, and the instance moves on exactly once.
#[test]
fn a_call_cut_by_kill_9_is_made_again_with_the_same_id() {
    let (base, log) = receiver();
    let d = setup("kill", &base, &["hold"], &[("h1", "hold")]);
    let args = [
        "run",
        "calls.json",
        "--catalog",
        "catalog.json",
        "--events",
        "events.jsonl",
        "--deliver",
        "--state",
        "run.db",
        "--trace",
        "trace.jsonl",
    ];
    let mut child = Command::new(env!("CARGO_BIN_EXE_jexpr"))
        .current_dir(&d)
        .env("JEXPR_TEST_TOKEN", "s3cret-token")
        .env("JEXPR_TEST_SECRET", SECRET)
        .args(args)
        .spawn()
        .expect("run");
    let deadline = Instant::now() + Duration::from_secs(20);
    while log.lock().expect("log").requests.is_empty() {
        assert!(Instant::now() < deadline, "the call never came");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("kill -9");
    let _ = child.wait();
    let out = jexpr(&d, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let trace = std::fs::read_to_string(d.join("trace.jsonl")).expect("trace");
    let rs = records(&trace);
    let calls: Vec<&Value> = rs
        .iter()
        .filter(|r| r["kind"] == "action" && r["action"] == "hold")
        .collect();
    assert_eq!(calls.len(), 1, "{trace}");
    assert_eq!(calls[0]["status"], "http_200");
    let notes: Vec<&Value> = rs.iter().filter(|r| r["action"] == "note").collect();
    assert_eq!(notes.len(), 1, "{trace}");
    assert_eq!(notes[0]["params"]["text"], "9");
    let enters = rs.iter().filter(|r| r["kind"] == "enter").count();
    assert_eq!(enters, 1, "the event was handled once: {trace}");
    let log = log.lock().expect("log");
    assert_eq!(log.requests.len(), 2);
    assert_eq!(
        log.requests[0].headers["webhook-id"],
        log.requests[1].headers["webhook-id"]
    );
}

/// `jexpr serve` on `dir`'s journey; its base URL (the child is killed on drop).
struct Serve(std::process::Child, String);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(dir: &Path, extra: &[&str]) -> Serve {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_jexpr"))
        .current_dir(dir)
        .env("JEXPR_TEST_TOKEN", "s3cret-token")
        .env("JEXPR_TEST_SECRET", SECRET)
        .args([
            "serve",
            "calls.json",
            "--catalog",
            "catalog.json",
            "--state",
            "serve.db",
        ])
        .args(["--listen", "127.0.0.1:0"])
        .args(extra)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("serve");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = std::io::BufReader::new(stderr).lines();
    let base = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            l.strip_prefix("listening on ")
                .and_then(|r| r.split_whitespace().next())
                .map(str::to_string)
        })
        .expect("the server said where it listens");
    std::thread::spawn(move || for _ in lines {});
    Serve(child, base)
}

fn post_and_trace(s: &Serve, who: &str, case: &str) -> Vec<Value> {
    let client = reqwest::blocking::Client::new();
    let r = client
        .post(format!("{}/events", s.1))
        .json(&json!({"event": "Go", "payload": {"who": who, "case": case}}))
        .send()
        .expect("post");
    assert_eq!(r.status().as_u16(), 202);
    let v: Value = client
        .get(format!("{}/trace?profile={who}", s.1))
        .send()
        .expect("trace")
        .json()
        .expect("json");
    v["records"].as_array().expect("records").clone()
}

/// `serve` calls endpoints as `run --deliver` does; `serve --dry-run`
/// makes no call and records `dryRun`.
#[test]
fn serve_calls_endpoints_unless_dry_run() {
    let (base, log) = receiver();
    let d = setup("serve", &base, &["ok"], &[]);
    {
        let s = serve(&d, &[]);
        let rs = post_and_trace(&s, "s1", "ok");
        let (call, note) = outcome(&rs, "s1", "ok");
        assert_eq!(call["status"], "http_200", "{rs:?}");
        assert_eq!(note, "250");
        assert_eq!(log.lock().expect("log").requests.len(), 1);
    }
    let _ = std::fs::remove_file(d.join("serve.db"));
    let s = serve(&d, &["--dry-run"]);
    let rs = post_and_trace(&s, "s2", "ok");
    let (call, note) = outcome(&rs, "s2", "ok");
    assert_eq!(call["status"], "dryRun", "{rs:?}");
    // A dry run's response is empty: the points read null.
    assert_eq!(note, "");
    assert_eq!(log.lock().expect("log").requests.len(), 1, "no call");
}

/// The README's delivery example uses a copy of the example catalog with
/// an endpoint on `email`: the copy may differ in nothing else.
#[test]
fn the_delivery_example_catalog_is_the_example_catalog_with_an_endpoint() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/journeys");
    let read = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(root.join(name)).expect("catalog"))
            .expect("json")
    };
    let plain = read("catalog.json");
    let mut deliver = read("catalog.deliver.json");
    let endpoint = deliver["actions"]["email"]
        .as_object_mut()
        .and_then(|a| a.remove("endpoint"))
        .expect("an endpoint on email");
    assert_eq!(endpoint["url"], "http://127.0.0.1:9000/email");
    assert_eq!(deliver, plain);
}

/// SERVICE.md section 3: a data source with an endpoint is fetched when a
/// node reads it — once per instance, field group and parameters (a second
/// read of the same data is not a second request) — and a failed fetch is
/// an evaluation error at the node that read it (`onError`).
#[test]
fn data_sources_with_an_endpoint_are_fetched_once_per_instance() {
    let (base, log) = receiver();
    let d = std::env::temp_dir().join(format!("jexpr-actions-fetch-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("dir");
    let catalog = json!({
        "events": {"Go": {"fields": {"who": "string"}, "profileId": "@{Go.who}"}},
        "dataSources": {"Crm": {
            "endpoint": {"url": format!("{base}/crm"), "method": "GET",
                         "auth": {"type": "bearer", "tokenEnv": "JEXPR_TEST_TOKEN"}},
            "Profile": {"fields": {"tier": "string"}}}},
        "actions": {"note": {"params": {"text": "string"}}}
    });
    let read = "#{Crm.Profile.tier, params: {id: @{Go.who}}}";
    let journey = json!({"id": "tiers", "version": 1, "start": "go", "actionTimeout": "PT2S",
        "nodes": {
            "go": {"type": "event", "event": "Go", "next": "tier"},
            "tier": {"type": "condition", "paths": [
                {"label": "gold", "when": format!("{read} == \"gold\""), "next": "gold"}],
                "otherwise": "other", "onError": "failed"},
            "gold": {"type": "action", "action": "note", "params": {"text": read}, "next": "done"},
            "other": {"type": "action", "action": "note", "params": {"text": read}, "next": "done"},
            "failed": {"type": "action", "action": "note",
                       "params": {"text": "@{journey.lastErrorCode}"}, "next": "done"},
            "done": {"type": "end"}}});
    std::fs::write(d.join("catalog.json"), catalog.to_string()).expect("catalog");
    std::fs::write(d.join("tiers.json"), journey.to_string()).expect("journey");
    let events: Vec<String> = ["gina", "bob", "xavier"]
        .iter()
        .enumerate()
        .map(|(i, who)| {
            json!({"time": format!("2024-05-01T10:00:0{i}Z"), "event": "Go", "payload": {"who": who}})
                .to_string()
        })
        .collect();
    std::fs::write(d.join("events.jsonl"), events.join("\n") + "\n").expect("events");
    let out = jexpr(
        &d,
        &[
            "run",
            "tiers.json",
            "--catalog",
            "catalog.json",
            "--events",
            "events.jsonl",
            "--deliver",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let trace = String::from_utf8_lossy(&out.stdout);
    let rs = records(&trace);
    let note = |who: &str| -> String {
        rs.iter()
            .find(|r| r["profileId"] == who && r["action"] == "note")
            .map(|r| r["params"]["text"].as_str().unwrap_or("").to_string())
            .unwrap_or_default()
    };
    let path = |who: &str| -> String {
        rs.iter()
            .find(|r| r["profileId"] == who && r["kind"] == "path")
            .map(|r| r["path"].as_str().unwrap_or("").to_string())
            .unwrap_or_default()
    };
    assert_eq!(
        (path("gina").as_str(), note("gina").as_str()),
        ("gold", "gold"),
        "{trace}"
    );
    assert_eq!(
        (path("bob").as_str(), note("bob").as_str()),
        ("otherwise", "basic"),
        "{trace}"
    );
    // The fetch failed (500, retried within the 2 s): the condition's error.
    assert_eq!(note("xavier"), "dataSource", "{trace}");
    let error = rs
        .iter()
        .find(|r| r["kind"] == "error" && r["profileId"] == "xavier")
        .expect("an error record");
    assert!(
        error["message"]
            .as_str()
            .expect("m")
            .contains("could not be fetched: http_500"),
        "{error}"
    );
    let log = log.lock().expect("log");
    let calls = |id: &str| {
        log.requests
            .iter()
            .filter(|r| r.query.contains(&format!("id={id}")))
            .count()
    };
    // Read twice (the condition and the note), fetched once.
    assert_eq!(calls("gina"), 1);
    assert_eq!(calls("bob"), 1);
    assert!(calls("xavier") >= 2, "a 500 is retried");
    let first = log.requests.first().expect("a request");
    assert_eq!(first.method, "GET");
    assert_eq!(first.headers["jexpr-field-group"], "Profile");
    assert_eq!(first.headers["authorization"], "Bearer s3cret-token");
}
