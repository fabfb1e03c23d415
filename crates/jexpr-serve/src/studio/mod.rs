//! `jexpr studio`: the journeys as canvases in a browser, with the counts
//! of a trace (or a state's trace) on every node and edge, the problems of
//! `journey check` marked on their nodes, a node's definition with each
//! expression's type, and a profile's path lit up. Every asset is in the
//! page: nothing is fetched from anywhere else.

pub mod layout;
pub mod page;

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
    pub catalog: JourneyCatalog,
    /// Problems of `journey check` (warnings: the journeys are valid).
    pub problems: Vec<Problem>,
    /// Trace records, in order.
    pub records: Vec<Value>,
    /// Where the records came from, for the header.
    pub source: String,
}

struct App {
    studio: Studio,
    report: Report,
    page: String,
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
        page::page(&refs, &report.journeys, &studio.problems, &studio.source)
    };
    let app = Arc::new(App {
        studio,
        report,
        page,
    });
    let router = Router::new()
        .route("/", get(index))
        .route("/healthz", get(|| async { Json(json!({"ok": true})) }))
        .route("/node", get(node))
        .route("/profile", get(profile))
        .with_state(app);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| ServeError(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|e| ServeError(format!("cannot listen on {listen}: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| ServeError(format!("cannot listen: {e}")))?;
        ready(addr);
        axum::serve(listener, router)
            .with_graceful_shutdown(crate::http::stop_signal())
            .await
            .map_err(|e| ServeError(format!("the studio failed: {e}")))
    })
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
    let prefix = format!("/nodes/{node}");
    let definition = std::fs::read_to_string(&cj.journey.file)
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|v| v.get("nodes")?.get(node.as_str()).cloned())
        .map(|v| serde_json::to_string_pretty(&v).unwrap_or_default())
        .unwrap_or_default();
    let mut html = format!(
        "<h3>{} <small>{} v{}</small></h3><pre>{}</pre>",
        escape(node),
        escape(id),
        version,
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
    let problems: Vec<&Problem> = app
        .studio
        .problems
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
    let figures = app
        .report
        .journeys
        .iter()
        .find(|r| r.journey == *id && r.version == version)
        .and_then(|r| r.total.get(node));
    if let Some(f) = figures {
        html.push_str(&format!(
            "<h4>Counts</h4><p>entered {} · errors {} · waiting {}</p>",
            f.entered, f.errors, f.waiting
        ));
    }
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
    let mut nodes: Vec<Value> = Vec::new();
    let mut edges: Vec<Value> = Vec::new();
    let mut last: BTreeMap<(String, i64), String> = BTreeMap::new();
    let mut html = format!("<h3>Profile {}</h3>", escape(who));
    if mine.is_empty() {
        html.push_str("<p>No record of this profile.</p>");
    } else {
        html.push_str("<ol class=\"timeline\">");
    }
    for r in &mine {
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
    Json(json!({"html": html, "nodes": nodes, "edges": edges})).into_response()
}
