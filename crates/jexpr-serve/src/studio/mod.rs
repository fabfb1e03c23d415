//! `jexpr studio`: the journeys as canvases in a browser, with the counts
//! of a trace (or a state's trace) on every node and edge, the problems of
//! `journey check` marked on their nodes, a node's definition with each
//! expression's type, and a profile's path lit up. Every asset is in the
//! page: nothing is fetched from anywhere else.

pub mod editor;
pub mod layout;
pub mod page;
pub mod sandbox;

use crate::ServeError;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use jexpr_journey::report::{Report, ReportBuilder};
use jexpr_journey::{CompiledJourney, JourneyCatalog, Problem};
use page::escape;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

/// What the studio shows.
pub struct Studio {
    pub journeys: Vec<CompiledJourney>,
    /// The catalog (it lives as long as the process: the test mode's
    /// request decoder borrows it).
    pub catalog: &'static JourneyCatalog,
    /// Problems of `journey check` (warnings: the journeys are valid).
    pub problems: Vec<Problem>,
    /// Trace records, in order.
    pub records: Vec<Value>,
    /// Where the records came from, for the header.
    pub source: String,
    /// The profiles file, for the test mode's profiles.
    pub profiles: Option<Vec<u8>>,
    /// The journey files given: (path, text). The editor checks with them
    /// and saves beside the first.
    pub sources: Vec<(String, String)>,
}

struct App {
    studio: Studio,
    report: Report,
    page: String,
    sandbox: sandbox::Sandbox,
}

/// Serves the studio on `listen` until SIGINT or SIGTERM.
pub fn serve(
    studio: Studio,
    listen: SocketAddr,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    let mut builder = ReportBuilder::new(None);
    for r in &studio.records {
        let _ = builder.add(r);
    }
    let report = builder.snapshot();
    let page = {
        let refs: Vec<&CompiledJourney> = studio.journeys.iter().collect();
        page::page(
            &refs,
            &report.journeys,
            &studio.problems,
            &studio.source,
            Some(&page::templates(&studio.catalog.core)),
        )
    };
    // The test mode's own copy of the journeys and catalog, for its thread.
    let catalog = studio.catalog;
    let start = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(
        chrono::Utc::now().timestamp_millis(),
    )
    .unwrap_or_else(chrono::Utc::now);
    let sandbox = sandbox::Sandbox::start(
        jexpr_journey::engine::Journeys::new(studio.journeys.clone()),
        catalog,
        studio.profiles.clone(),
        start,
    );
    let app = Arc::new(App {
        studio,
        report,
        page,
        sandbox,
    });
    let router = Router::new()
        .route("/", get(index))
        .route("/healthz", get(|| async { Json(json!({"ok": true})) }))
        .route("/node", get(node))
        .route("/profile", get(profile))
        .route("/test/event", axum::routing::post(test_event))
        .route("/test/advance", axum::routing::post(test_advance))
        .route("/test/reset", axum::routing::post(test_reset))
        .route("/edit", get(edit_page))
        .route("/edit/check", axum::routing::post(edit_check))
        .route("/edit/complete", axum::routing::post(edit_complete))
        .route("/edit/save", axum::routing::post(edit_save))
        .with_state(app);
    crate::http::serve_small(router, listen, ready, "the studio")
}

async fn index(State(app): State<Arc<App>>) -> Html<String> {
    Html(app.page.clone())
}

/// A node's definition, its expressions with their types or problems, and
/// its figures.
async fn node(State(app): State<Arc<App>>, Query(q): Query<BTreeMap<String, String>>) -> Response {
    let (Some(id), Some(version), Some(node)) = (
        q.get("journey"),
        q.get("version").and_then(|v| v.parse::<i64>().ok()),
        q.get("node"),
    ) else {
        return (StatusCode::BAD_REQUEST, "give journey, version and node").into_response();
    };
    let Some(cj) = app
        .studio
        .journeys
        .iter()
        .find(|cj| cj.journey.id == *id && cj.journey.version == version)
    else {
        return (StatusCode::NOT_FOUND, "no such journey").into_response();
    };
    let text = std::fs::read_to_string(&cj.journey.file).ok();
    let figures = app
        .report
        .journeys
        .iter()
        .find(|r| r.journey == *id && r.version == version)
        .and_then(|r| r.total.get(node));
    let html = node_panel(cj, text.as_deref(), node, &app.studio.problems, figures);
    Html(html).into_response()
}

/// A profile's timeline, and the nodes and edges of its path.
async fn profile(
    State(app): State<Arc<App>>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let Some(who) = q.get("id") else {
        return (StatusCode::BAD_REQUEST, "give id").into_response();
    };
    let mine: Vec<&Value> = app
        .studio
        .records
        .iter()
        .filter(|r| r.get("profileId").and_then(Value::as_str) == Some(who.as_str()))
        .collect();
    let (list, nodes, edges) = timeline(&mine);
    let html = format!("<h3>Profile {}</h3>{list}", escape(who));
    Json(json!({"html": html, "nodes": nodes, "edges": edges})).into_response()
}

/// Records as a list a person reads, with the nodes and edges they went
/// through (to light up): `(html, nodes, edges)`.
pub fn timeline(mine: &[&Value]) -> (String, Vec<Value>, Vec<Value>) {
    let mut nodes: Vec<Value> = Vec::new();
    let mut edges: Vec<Value> = Vec::new();
    let mut last: BTreeMap<(String, i64), String> = BTreeMap::new();
    let mut html = String::new();
    if mine.is_empty() {
        html.push_str("<p>No record.</p>");
    } else {
        html.push_str("<ol class=\"timeline\">");
    }
    for r in mine {
        let journey = r
            .get("journey")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let version = r.get("version").and_then(Value::as_i64).unwrap_or(0);
        let node = r
            .get("node")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let kind = r.get("kind").and_then(Value::as_str).unwrap_or("");
        if !node.is_empty() {
            let key = (journey.clone(), version);
            if let Some(prev) = last.get(&key).filter(|p| **p != node) {
                edges.push(json!([journey, version, prev, node]));
            }
            last.insert(key, node.clone());
            nodes.push(json!([journey, version, node]));
        }
        let detail = match kind {
            "path" => r
                .get("path")
                .and_then(Value::as_str)
                .map(|p| format!(" → {p}")),
            "action" => r
                .get("action")
                .and_then(Value::as_str)
                .map(|a| format!(" {a}")),
            "exit" => r
                .get("reason")
                .and_then(Value::as_str)
                .map(|a| format!(" ({a})")),
            "error" => r
                .get("message")
                .and_then(Value::as_str)
                .map(|m| format!(": {m}")),
            _ => None,
        }
        .unwrap_or_default();
        let why = r
            .get("why")
            .map(|w| {
                format!(
                    "<pre>{}</pre>",
                    escape(&serde_json::to_string_pretty(w).unwrap_or_default())
                )
            })
            .unwrap_or_default();
        html.push_str(&format!(
            "<li><time>{}</time> {} v{} <b>{}</b> {}{}{}</li>",
            escape(r.get("time").and_then(Value::as_str).unwrap_or("")),
            escape(&journey),
            version,
            escape(&node),
            escape(kind),
            escape(&detail),
            why
        ));
    }
    if !mine.is_empty() {
        html.push_str("</ol>");
    }
    (html, nodes, edges)
}

/// The test mode's answer as the page uses it.
fn test_answer(answer: Result<Value, String>) -> Response {
    match answer {
        Ok(v) => {
            let records: Vec<Value> = v["records"].as_array().cloned().unwrap_or_default();
            let refs: Vec<&Value> = records.iter().collect();
            let (list, nodes, edges) = timeline(&refs);
            let html = format!(
                "<h3>Test mode</h3><p>clock <time id=\"test-clock\">{}</time></p>{list}",
                escape(v["clock"].as_str().unwrap_or(""))
            );
            Json(json!({"clock": v["clock"], "records": records, "html": html, "nodes": nodes, "edges": edges}))
                .into_response()
        }
        Err(e) => (StatusCode::BAD_REQUEST, Json(json!({"error": e}))).into_response(),
    }
}

/// `{"event", "profileId"?, "payload"}`: sent at the test clock.
async fn test_event(State(app): State<Arc<App>>, Json(body): Json<Value>) -> Response {
    let Some(line) = body.as_object().cloned() else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "send an event object"})),
        )
            .into_response();
    };
    if line.contains_key("time") {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "the test clock gives the time: advance it instead"})),
        )
            .into_response();
    }
    test_answer(app.sandbox.ask(sandbox::Ask::Event(line)).await)
}

/// `{"by": "PT1H"}`: the test clock moves on, firing what falls due.
async fn test_advance(State(app): State<Arc<App>>, Json(body): Json<Value>) -> Response {
    let by = body.get("by").and_then(Value::as_str).unwrap_or("");
    let Some(ms) = jexpr::time::parse_duration(by).filter(|ms| *ms > 0) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(
                json!({"error": format!("`{by}` is not a positive ISO-8601 duration (PT1H, P1D)")}),
            ),
        )
            .into_response();
    };
    test_answer(app.sandbox.ask(sandbox::Ask::Advance(ms)).await)
}

/// `{"responses": "…"?}`: the test mode starts again, with these mocked
/// action responses (`run --responses` lines).
async fn test_reset(State(app): State<Arc<App>>, Json(body): Json<Value>) -> Response {
    let responses = body
        .get("responses")
        .and_then(Value::as_str)
        .filter(|r| !r.trim().is_empty())
        .map(str::to_string);
    test_answer(app.sandbox.ask(sandbox::Ask::Reset(responses)).await)
}

/// A node's panel: its definition (from the journey file's `text`), each
/// expression's type, its problems and its figures.
pub fn node_panel(
    cj: &CompiledJourney,
    text: Option<&str>,
    node: &str,
    problems: &[Problem],
    figures: Option<&jexpr_journey::report::NodeFigures>,
) -> String {
    let prefix = format!("/nodes/{node}");
    let definition = text
        .and_then(|t| serde_json::from_str::<Value>(t).ok())
        .and_then(|v| v.get("nodes")?.get(node).cloned())
        .map(|v| serde_json::to_string_pretty(&v).unwrap_or_default())
        .unwrap_or_default();
    let mut html = format!(
        "<h3>{} <small>{} v{}</small></h3><pre>{}</pre>",
        escape(node),
        escape(&cj.journey.id),
        cj.journey.version,
        escape(&definition)
    );
    let expressions: Vec<(&String, &std::sync::Arc<jexpr::Program>)> = cj
        .programs
        .iter()
        .filter(|(p, _)| p.starts_with(&format!("{prefix}/")))
        .collect();
    if !expressions.is_empty() {
        html.push_str("<h4>Expressions</h4><ul>");
        for (pointer, program) in expressions {
            html.push_str(&format!(
                "<li><code>{}</code>: <code>{}</code></li>",
                escape(pointer.trim_start_matches(&prefix)),
                escape(&program.ty().to_string())
            ));
        }
        html.push_str("</ul>");
    }
    let problems: Vec<&Problem> = problems
        .iter()
        .filter(|p| {
            p.file == cj.journey.file
                && (p.pointer == prefix || p.pointer.starts_with(&format!("{prefix}/")))
        })
        .collect();
    if !problems.is_empty() {
        html.push_str("<h4>Problems</h4><ul class=\"problems\">");
        for p in problems {
            html.push_str(&format!(
                "<li>{}[{}] {}: {}</li>",
                match p.severity {
                    jexpr_journey::Severity::Error => "error",
                    jexpr_journey::Severity::Warning => "warning",
                },
                escape(&p.code),
                escape(&p.pointer),
                escape(&p.message)
            ));
        }
        html.push_str("</ul>");
    }
    if let Some(f) = figures {
        html.push_str(&format!(
            "<h4>Counts</h4><p>entered {} · errors {} · waiting {}</p>",
            f.entered, f.errors, f.waiting
        ));
    }
    html
}

/// `GET /edit[?journey=ID]`: the editor, on that journey's file or a new one.
async fn edit_page(
    State(app): State<Arc<App>>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let (doc, file) = match q.get("journey") {
        Some(id) => {
            let found = app.studio.sources.iter().find_map(|(path, text)| {
                let v: Value = serde_json::from_str(text).ok()?;
                (v.get("id").and_then(Value::as_str) == Some(id.as_str()))
                    .then(|| (v, path.clone()))
            });
            match found {
                Some((v, path)) => {
                    let name = std::path::Path::new(&path)
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    (v, name)
                }
                None => {
                    return (StatusCode::NOT_FOUND, format!("no journey `{id}`")).into_response()
                }
            }
        }
        None => (json!({"id": "", "version": 1, "nodes": {}}), String::new()),
    };
    Html(editor::page(
        &doc,
        &file,
        &editor::choices(app.studio.catalog),
    ))
    .into_response()
}

/// The sources to check an edited journey with: the given files but the
/// edited journey's own version, and the edited text.
fn edited_sources(app: &App, doc: &Value) -> Vec<(String, String)> {
    let id = doc.get("id").and_then(Value::as_str);
    let version = doc.get("version").and_then(Value::as_i64);
    let mut files: Vec<(String, String)> = app
        .studio
        .sources
        .iter()
        .filter(|(_, text)| {
            let v: Value = serde_json::from_str(text).unwrap_or_default();
            !(v.get("id").and_then(Value::as_str) == id
                && v.get("version").and_then(Value::as_i64) == version)
        })
        .cloned()
        .collect();
    files.push((
        EDITED.to_string(),
        serde_json::to_string_pretty(doc).unwrap_or_default(),
    ));
    files
}

const EDITED: &str = "(edited)";

/// `POST /edit/check`: the edited journey's problems and canvas.
async fn edit_check(State(app): State<Arc<App>>, Json(doc): Json<Value>) -> Response {
    let files = edited_sources(&app, &doc);
    let (report, compiled) = jexpr_journey::check(&files, app.studio.catalog);
    let mine: Vec<&Problem> = report
        .problems
        .iter()
        .filter(|p| p.file == EDITED)
        .collect();
    let problems: Vec<Value> = mine
        .iter()
        .map(|p| {
            let message = match &p.expression {
                Some((_, d)) => format!("{} ({})", p.message, d.message),
                None => p.message.clone(),
            };
            json!({"code": p.code, "pointer": p.pointer, "message": message,
                   "severity": match p.severity { jexpr_journey::Severity::Error => "error", jexpr_journey::Severity::Warning => "warning" }})
        })
        .collect();
    let canvas = compiled
        .iter()
        .find(|cj| cj.journey.file == EDITED)
        .map(|cj| page::canvas(cj, None, &mine))
        .unwrap_or_default();
    Json(json!({"problems": problems, "canvas": canvas})).into_response()
}

/// `POST /edit/complete {text, cursor}`: what may be typed at the cursor.
async fn edit_complete(State(app): State<Arc<App>>, Json(body): Json<Value>) -> Response {
    let text = body.get("text").and_then(Value::as_str).unwrap_or("");
    let cursor = body
        .get("cursor")
        .and_then(Value::as_u64)
        .map_or(text.len(), |c| usize::try_from(c).unwrap_or(text.len()));
    let (start, words) = jexpr::authoring::complete(&app.studio.catalog.core, text, cursor);
    Json(json!({"start": start, "words": words})).into_response()
}

/// `POST /edit/save {file, journey}`: writes the journey beside the first
/// journey file (a new `NAME.journey.json`, or one of the files given).
async fn edit_save(State(app): State<Arc<App>>, Json(body): Json<Value>) -> Response {
    let refuse = |m: String| (StatusCode::BAD_REQUEST, Json(json!({"error": m}))).into_response();
    let name = body.get("file").and_then(Value::as_str).unwrap_or("");
    let valid = name.ends_with(".journey.json")
        && name.len() > ".journey.json".len()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if !valid {
        return refuse(format!(
            "`{name}` is not a journey file name: give NAME.journey.json (letters, digits, . _ -)"
        ));
    }
    let Some(doc) = body.get("journey") else {
        return refuse("no journey to save".into());
    };
    let dir = app
        .studio
        .sources
        .first()
        .and_then(|(p, _)| {
            std::path::Path::new(p)
                .parent()
                .map(std::path::Path::to_path_buf)
        })
        .unwrap_or_default();
    let path = dir.join(name);
    let given = app
        .studio
        .sources
        .iter()
        .any(|(p, _)| std::path::Path::new(p).file_name() == path.file_name());
    if path.exists() && !given {
        return refuse(format!(
            "{} exists and is not one of the journeys the studio was given",
            path.display()
        ));
    }
    let text = serde_json::to_string_pretty(doc).unwrap_or_default() + "\n";
    if let Err(e) = std::fs::write(&path, &text) {
        return refuse(format!("cannot write {}: {e}", path.display()));
    }
    let (report, _) = jexpr_journey::check(&edited_sources(&app, doc), app.studio.catalog);
    let errors = report
        .problems
        .iter()
        .filter(|p| p.file == EDITED && p.severity == jexpr_journey::Severity::Error)
        .count();
    Json(json!({"file": path.display().to_string(), "errors": errors})).into_response()
}
