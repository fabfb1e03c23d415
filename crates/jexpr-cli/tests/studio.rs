//! `jexpr studio` in a real headless browser (Debian's chromium, driven
//! through chromedriver's WebDriver HTTP API): the canvas of every example
//! journey with the report's counts on its nodes, a node's definition on a
//! click, a profile's path lit up, no request leaving the machine and no
//! console error. Without chromedriver the test says so and passes
//! (`.ci/run` installs it).

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

/// A WebDriver session.
struct Browser {
    http: reqwest::blocking::Client,
    base: String,
}

impl Browser {
    fn call(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.base);
        let req = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body),
        };
        let v: Value = req.send().expect("webdriver").json().expect("json");
        v["value"].clone()
    }

    fn script(&self, js: &str) -> Value {
        self.call("POST", "/execute/sync", json!({"script": js, "args": []}))
    }

    fn wait_for(&self, js: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let v = self.script(js);
            if !v.is_null() && v != json!(false) {
                return v;
            }
            assert!(Instant::now() < deadline, "never true: {js}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Starts chromedriver and a headless Chromium session through it.
fn chrome(
    chromedriver: &Path,
    http: reqwest::blocking::Client,
    extra: &[&str],
) -> (Browser, Killed) {
    let port = free_port();
    let driver = Killed(
        Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver"),
    );
    let wd = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while http.get(format!("{wd}/status")).send().is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut args = vec![
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
    ];
    args.extend(extra);
    let session: Value = http
        .post(format!("{wd}/session"))
        .json(&json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}}}}))
        .send()
        .expect("session")
        .json()
        .expect("json");
    let id = session["value"]["sessionId"]
        .as_str()
        .expect("session id")
        .to_string();
    let b = Browser {
        http,
        base: format!("{wd}/session/{id}"),
    };
    (b, driver)
}

/// A started studio's address (from its first line), and the studio,
/// killed when dropped.
fn listening(mut studio: Child) -> (String, Killed) {
    let stderr = studio.stderr.take().expect("stderr");
    let studio = Killed(studio);
    let mut lines = BufReader::new(stderr).lines();
    let url = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            l.strip_prefix("studio on ")
                .and_then(|r| r.split_whitespace().next())
                .map(str::to_string)
        })
        .expect("the studio said where it listens");
    std::thread::spawn(move || for _ in lines {});
    (url, studio)
}

fn driver() -> Option<PathBuf> {
    let path = std::env::var_os("JEXPR_CHROMEDRIVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromedriver"));
    if path.exists() && Path::new("/usr/bin/chromium").exists() {
        return Some(path);
    }
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "skipped: the studio's browser test needs chromium and chromedriver (apt-get install chromium chromium-driver; .ci/run does)"
    );
    None
}

#[test]
fn the_canvas_in_a_browser() {
    let Some(chromedriver) = driver() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("jexpr-studio-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let trace = dir.join("trace.jsonl");
    let journeys = [
        "examples/journeys/cart.journey.json",
        "examples/journeys/welcome.journey.json",
        "examples/journeys/winback.journey.json",
    ];
    let run = Command::new(env!("CARGO_BIN_EXE_jexpr"))
        .current_dir(ROOT)
        .arg("run")
        .args(journeys)
        .args(["--catalog", "examples/journeys/catalog.json"])
        .args(["--profiles", "examples/journeys/profiles.jsonl"])
        .args(["--events", "examples/journeys/events.jsonl"])
        .args(["--until", "2024-06-15T00:00:00Z", "--trace"])
        .arg(&trace)
        .output()
        .expect("run");
    assert!(run.status.success());
    let report = Command::new(env!("CARGO_BIN_EXE_jexpr"))
        .args(["report", "--format", "json", "--trace"])
        .arg(&trace)
        .output()
        .expect("report");
    let report: Value = serde_json::from_slice(&report.stdout).expect("report json");

    // The studio.
    let studio = Command::new(env!("CARGO_BIN_EXE_jexpr"))
        .current_dir(ROOT)
        .arg("studio")
        .args(journeys)
        .args([
            "--catalog",
            "examples/journeys/catalog.json",
            "--listen",
            "127.0.0.1:0",
            "--trace",
        ])
        .arg(&trace)
        .stderr(Stdio::piped())
        .spawn()
        .expect("studio");
    let (url, studio) = listening(studio);
    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    assert_eq!(
        http.get(format!("{url}/healthz"))
            .send()
            .expect("healthz")
            .status()
            .as_u16(),
        200
    );

    // The browser.
    let (b, _driver) = chrome(&chromedriver, http, &["--window-size=1600,1200"]);
    b.call("POST", "/url", json!({"url": url}));

    // Every node of every journey, with the report's figures.
    let shown = b.script(
        "return [...document.querySelectorAll('[data-node]')].map(e => [e.dataset.journey, e.dataset.node, +e.dataset.entered, +e.dataset.errors, +e.dataset.waiting])",
    );
    let shown = shown.as_array().expect("nodes");
    let mut expected = 0;
    for j in report["journeys"].as_array().expect("journeys") {
        let journey = j["journey"].as_str().expect("id");
        for (node, f) in j["nodes"].as_object().expect("nodes") {
            expected += 1;
            let found = shown
                .iter()
                .find(|s| s[0] == journey && s[1] == node.as_str())
                .unwrap_or_else(|| panic!("{journey}/{node} is not on the canvas"));
            assert_eq!(found[2], f["entered"], "{journey}/{node} entered");
            assert_eq!(found[3], f["errors"], "{journey}/{node} errors");
            assert_eq!(
                found[4],
                f.get("waiting").cloned().unwrap_or(json!(0)),
                "{journey}/{node} waiting"
            );
        }
    }
    assert!(
        expected > 20 && shown.len() >= expected,
        "{} nodes shown",
        shown.len()
    );
    let edges = b.script("return document.querySelectorAll('[data-edge][data-count]').length");
    assert!(edges.as_u64().expect("edges") > 10);

    // Clicking a node shows its definition and its expressions' types.
    b.script("document.querySelector('[data-journey=\"welcome\"][data-node=\"tier\"]').dispatchEvent(new MouseEvent('click', {bubbles: true}))");
    let panel = b.wait_for(
        "const t = document.getElementById('panel').innerText; return t.includes('Expressions') ? t : null",
    );
    let panel = panel.as_str().expect("panel");
    assert!(
        panel.contains("tier") && panel.contains("boolean"),
        "{panel}"
    );

    // A profile's path lights up: the nodes its trace records name.
    let who = "user0282@example.com";
    b.script(&format!(
        "document.getElementById('profile').value = '{who}'; document.getElementById('profile-form').requestSubmit()"
    ));
    let lit = b.wait_for(
        "const n = [...document.querySelectorAll('.node.on-path')].map(e => e.dataset.journey + '/' + e.dataset.node); return n.length ? n : null",
    );
    let mut lit: Vec<String> = lit
        .as_array()
        .expect("lit")
        .iter()
        .map(|v| v.as_str().expect("s").to_string())
        .collect();
    lit.sort();
    let mut want: Vec<String> = std::fs::read_to_string(&trace)
        .expect("trace")
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|r| r["profileId"] == who)
        .filter_map(|r| {
            Some(format!(
                "{}/{}",
                r["journey"].as_str()?,
                r["node"].as_str()?
            ))
        })
        .collect();
    want.sort();
    want.dedup();
    assert_eq!(lit, want);

    // Test mode: an event typed from the catalog's form lights its path on
    // the virtual clock, and advancing the clock fires the wait.
    b.script(
        "const s = document.getElementById('test-event'); s.value = 'Subscribed'; s.dispatchEvent(new Event('change'));\
         const t = JSON.parse(document.getElementById('test-payload').value);\
         if (!('email' in t) || !('consent' in t)) throw new Error('no template: ' + JSON.stringify(t));\
         document.getElementById('test-payload').value = JSON.stringify({email: 'tess@example.com', consent: true, country: 'FR'});\
         document.getElementById('test-form').requestSubmit()",
    );
    let lit = b.wait_for(
        "const t = document.getElementById('panel').innerText; const n = [...document.querySelectorAll('[data-journey=\"welcome\"].node.on-path')].map(e => e.dataset.node); return t.includes('Test mode') && n.length ? n : null",
    );
    let lit: Vec<&str> = lit
        .as_array()
        .expect("lit")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    // Consent, no gold tier (no profile data), FR: the EU path, then the split.
    for node in ["subscribed", "tier", "ab", "pause"] {
        assert!(lit.contains(&node), "{node} not lit: {lit:?}");
    }
    assert!(!lit.contains(&"sendVip"), "{lit:?}");
    b.script("document.querySelector('[data-advance=\"P3D\"]').click()");
    let panel = b.wait_for(
        "const t = document.getElementById('panel').innerText; return t.includes('resume') ? t : null",
    );
    assert!(panel.as_str().expect("panel").contains("pause"), "{panel}");

    // Nothing was fetched from elsewhere, and the console stayed clean.
    let origins = b.script(
        "return [location.origin, ...performance.getEntriesByType('resource').map(e => new URL(e.name).origin)]",
    );
    let origins = origins.as_array().expect("origins");
    assert!(origins.iter().all(|o| *o == origins[0]), "{origins:?}");
    let log = b.call("POST", "/se/log", json!({"type": "browser"}));
    let severe: Vec<&Value> = log
        .as_array()
        .map(|l| l.iter().filter(|e| e["level"] == "SEVERE").collect())
        .unwrap_or_default();
    assert!(severe.is_empty(), "console errors: {severe:?}");

    if std::env::var_os("JEXPR_UPDATE_SCREENSHOT").is_some() {
        let png = b.call("GET", "/screenshot", Value::Null);
        let bytes = base64_decode(png.as_str().expect("png"));
        std::fs::write(Path::new(ROOT).join("docs/studio.png"), bytes).expect("screenshot");
    }
    b.call("DELETE", "", Value::Null);
    drop(studio);
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .expect("base64")
}

/// The editor: a small journey built from the palette and forms in the
/// browser (an expression completed from the catalog), checked as it is
/// built, saved, and the file passes `journey check`.
#[test]
fn a_journey_built_in_the_editor_checks() {
    let Some(chromedriver) = driver() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("jexpr-editor-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    for f in ["catalog.json", "welcome.journey.json"] {
        std::fs::copy(
            Path::new(ROOT).join("examples/journeys").join(f),
            dir.join(f),
        )
        .expect("copy");
    }
    let studio = Command::new(env!("CARGO_BIN_EXE_jexpr"))
        .current_dir(&dir)
        .args([
            "studio",
            "welcome.journey.json",
            "--catalog",
            "catalog.json",
            "--listen",
            "127.0.0.1:0",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .expect("studio");
    let (url, _studio) = listening(studio);
    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let (b, _driver) = chrome(&chromedriver, http, &[]);
    b.call("POST", "/url", json!({"url": format!("{url}/edit")}));
    // Typing is setting a field and firing its input/change event.
    let set = |selector: &str, value: &str, event: &str| {
        b.script(&format!(
            "const e = document.querySelector({sel}); e.value = {val}; e.dispatchEvent(new Event('{event}', {{bubbles: true}}))",
            sel = json!(selector),
            val = json!(value)
        ));
    };
    let add = |id: &str, kind: &str| {
        set("#new-id", id, "input");
        b.script(&format!(
            "document.querySelector('[data-add=\"{kind}\"]').click()"
        ));
    };
    set("#j-id", "hello", "input");
    set("#j-name", "Hello", "input");
    add("s", "event");
    add("send", "action");
    add("done", "end");
    set("[data-pointer='/nodes/s/event']", "Subscribed", "change");
    set("[data-pointer='/nodes/send/action']", "email", "change");
    set("[data-pointer='/nodes/s/next']", "send", "change");
    set("[data-pointer='/nodes/send/next']", "done", "change");
    // Completion: the catalog's fields of Subscribed, one click to insert.
    set(
        "[data-pointer='/nodes/send/params/to']",
        "@{Subscribed.em",
        "input",
    );
    b.wait_for(
        "const b = [...document.querySelectorAll('.suggest button')].find(b => b.textContent === 'email'); if (b) { b.click(); return true; } return null",
    );
    let to =
        b.script("return document.querySelector(\"[data-pointer='/nodes/send/params/to']\").value");
    assert_eq!(to, "@{Subscribed.email");
    set(
        "[data-pointer='/nodes/send/params/to']",
        "@{Subscribed.email}",
        "input",
    );
    // A problem shows while a parameter is missing…
    b.wait_for("return document.getElementById('problems').innerText.includes('subject') || null");
    set(
        "[data-pointer='/nodes/send/params/subject']",
        "\"Hello\"",
        "input",
    );
    set(
        "[data-pointer='/nodes/send/params/greeting']",
        "\"Hi\"",
        "input",
    );
    // …and none once the journey is whole; the preview draws it.
    b.wait_for(
        "return document.getElementById('problems').innerText.trim() === 'no problems' || null",
    );
    let nodes = b.script("return document.querySelectorAll('#preview [data-node]').length");
    assert_eq!(nodes, 3);
    set("#file", "hello.journey.json", "input");
    b.script("document.getElementById('save').click()");
    b.wait_for("return document.getElementById('saved').textContent.startsWith('saved') || null");
    // The example welcome journey opened in the editor and saved unchanged
    // is the same journey: every key it has, the editor holds.
    let before: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("welcome.journey.json")).expect("welcome"),
    )
    .expect("json");
    b.call(
        "POST",
        "/url",
        json!({"url": format!("{url}/edit?journey=welcome")}),
    );
    b.wait_for(
        "return document.getElementById('problems').innerText.trim() === 'no problems' || null",
    );
    b.script("document.getElementById('save').click()");
    b.wait_for("return document.getElementById('saved').textContent.startsWith('saved') || null");
    let after: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("welcome.journey.json")).expect("welcome"),
    )
    .expect("json");
    assert_eq!(after, before);
    b.call("DELETE", "", Value::Null);
    let check = Command::new(env!("CARGO_BIN_EXE_jexpr"))
        .current_dir(&dir)
        .args([
            "journey",
            "check",
            "hello.journey.json",
            "welcome.journey.json",
            "--catalog",
            "catalog.json",
        ])
        .output()
        .expect("check");
    assert!(
        check.status.success(),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    let saved: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("hello.journey.json")).expect("saved"),
    )
    .expect("json");
    assert_eq!(saved["start"], "s");
    assert_eq!(
        saved["nodes"]["send"]["params"]["to"],
        "@{Subscribed.email}"
    );
}

/// `studio --events`: the counts of a replay in memory, no trace needed —
/// the README's one command.
#[test]
fn the_studio_replays_events_for_its_counts() {
    let studio = Command::new(env!("CARGO_BIN_EXE_jexpr"))
        .current_dir(ROOT)
        .arg("studio")
        .args([
            "examples/journeys/cart.journey.json",
            "examples/journeys/welcome.journey.json",
            "examples/journeys/winback.journey.json",
        ])
        .args(["--catalog", "examples/journeys/catalog.json"])
        .args(["--profiles", "examples/journeys/profiles.jsonl"])
        .args([
            "--events",
            "examples/journeys/events.jsonl",
            "--listen",
            "127.0.0.1:0",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .expect("studio");
    let (url, _studio) = listening(studio);
    let page = reqwest::blocking::get(format!("{url}/"))
        .expect("page")
        .text()
        .expect("html");
    // 502 entered welcome (497 subscribers and 5 shoppers by a jump from
    // cart), as the README's run says.
    assert!(page.contains(r#"data-node="subscribed" data-entered="502""#));
}
