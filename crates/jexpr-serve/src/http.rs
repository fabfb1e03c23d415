//! The HTTP API of SERVICE.md section 1: routes, authentication, limits and
//! graceful shutdown. Handlers only read requests and ask the engine.

use crate::engine::Command;
use crate::events;
use crate::metrics::Metrics;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use jexpr_journey::engine::Journeys;
use jexpr_journey::runner::input::Decoder;
use jexpr_journey::store::Fingerprint;
use jexpr_journey::{CompiledJourney, JourneyCatalog};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// What publishing changes: the journeys served, the request decoder for
/// them, and their sources (a new version is checked with all of them).
pub struct Served {
    journeys: Journeys,
    decoder: Decoder<'static>,
    sources: Vec<(String, String)>,
}

/// The journeys served, shared by the handlers and (on PostgreSQL, where
/// another process may publish) the engine.
pub type SharedServed = Arc<std::sync::RwLock<Served>>;

impl Served {
    pub fn new(
        journeys: Journeys,
        sources: Vec<(String, String)>,
        catalog: &'static JourneyCatalog,
    ) -> SharedServed {
        Arc::new(std::sync::RwLock::new(Served {
            decoder: Decoder::new(&journeys, catalog),
            journeys,
            sources,
        }))
    }

    /// The sources of every journey served.
    pub fn sources(&self) -> &[(String, String)] {
        &self.sources
    }

    /// Adds a published version (once: a process told of its own
    /// publication by the inbox keeps the first).
    pub fn add(&mut self, text: String, cj: CompiledJourney) {
        if self
            .journeys
            .version(&cj.journey.id, cj.journey.version)
            .is_some()
        {
            return;
        }
        self.sources.push((cj.journey.file.clone(), text));
        self.journeys.add(cj);
        self.decoder = self.decoder.for_journeys(&self.journeys);
    }
}

/// What every handler shares.
pub struct AppState {
    served: SharedServed,
    catalog: &'static JourneyCatalog,
    /// One publication at a time.
    publishing: tokio::sync::Mutex<()>,
    event_ids: BTreeMap<String, String>,
    commands: Sender<Command>,
    /// Where `Accept` goes: the engine (SQLite), or the acceptor
    /// (PostgreSQL, where acceptance does not wait for handling).
    acceptor: Sender<Command>,
    metrics: Arc<Metrics>,
    healthy: Arc<AtomicBool>,
    draining: AtomicBool,
    token: Option<String>,
}

impl AppState {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        served: SharedServed,
        catalog: &'static JourneyCatalog,
        event_ids: BTreeMap<String, String>,
        commands: Sender<Command>,
        acceptor: Sender<Command>,
        metrics: Arc<Metrics>,
        healthy: Arc<AtomicBool>,
        token: Option<String>,
    ) -> Arc<AppState> {
        Arc::new(AppState {
            served,
            catalog,
            publishing: tokio::sync::Mutex::new(()),
            event_ids,
            commands,
            acceptor,
            metrics,
            healthy,
            draining: AtomicBool::new(false),
            token,
        })
    }

    /// Sends `command` built around a reply channel and waits for the answer.
    async fn ask<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, Response> {
        let (tx, rx) = oneshot::channel();
        let command = command(tx);
        let to = match command {
            Command::Accept { .. } => &self.acceptor,
            _ => &self.commands,
        };
        if to.send(command).is_err() {
            return Err(unavailable("the engine has stopped"));
        }
        rx.await.map_err(|_| unavailable("the engine has stopped"))
    }
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

fn unavailable(message: &str) -> Response {
    error(StatusCode::SERVICE_UNAVAILABLE, message)
}

/// The routes.
pub fn router(state: Arc<AppState>) -> Router {
    let api = Router::new()
        .route("/events", post(post_events))
        .route("/metrics", get(metrics))
        .route("/journeys", get(journeys).post(publish))
        .route("/journeys/{id}/report", get(report))
        .route("/profiles/{id}", get(profile))
        .route("/trace", get(trace))
        .route("/", get(studio_page))
        .route("/node", get(studio_node))
        .route("/profile", get(studio_profile))
        .layer(middleware::from_fn_with_state(state.clone(), authenticate));
    Router::new()
        .route("/healthz", get(healthz))
        .merge(api)
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such path: see docs/serve.md") })
        .with_state(state)
}

/// Equal without saying where they differ (the time taken does not depend
/// on the first difference).
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

async fn authenticate(State(s): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    if let Some(token) = &s.token {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !same(given.as_bytes(), token.as_bytes()) {
            return error(
                StatusCode::UNAUTHORIZED,
                "missing or wrong token: send `Authorization: Bearer <token>`",
            );
        }
    }
    next.run(request).await
}

async fn healthz(State(s): State<Arc<AppState>>) -> Response {
    let alive = s.healthy.load(Ordering::SeqCst)
        && tokio::time::timeout(
            Duration::from_secs(2),
            s.ask(|reply| Command::Ping { reply }),
        )
        .await
        .is_ok_and(|r| r.unwrap_or(false));
    if alive {
        (StatusCode::OK, Json(json!({"ok": true}))).into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"ok": false}))).into_response()
    }
}

async fn post_events(State(s): State<Arc<AppState>>, headers: HeaderMap, body: Body) -> Response {
    let started = Instant::now();
    if s.draining.load(Ordering::SeqCst) {
        return unavailable("the server is stopping");
    }
    let bytes = match axum::body::to_bytes(body, events::MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the body is larger than {} MiB: send fewer events per request",
                    events::MAX_BODY >> 20
                ),
            )
        }
    };
    let ndjson = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-ndjson"));
    let read = match s.served.read() {
        Ok(served) => events::read(&bytes, ndjson, &served.decoder, &s.event_ids),
        Err(_) => return unavailable("the server is in an inconsistent state"),
    };
    let pending = match read {
        Ok(p) => p,
        Err(refused) => {
            s.metrics.rejected(1);
            let status = StatusCode::from_u16(refused.status).unwrap_or(StatusCode::BAD_REQUEST);
            return (status, Json(refused.body)).into_response();
        }
    };
    let answer = s
        .ask(|reply| Command::Accept {
            events: pending,
            reply,
        })
        .await;
    match answer {
        Ok(Ok((accepted, duplicates))) => {
            s.metrics.accepted(accepted, duplicates);
            s.metrics.ingest(started.elapsed().as_secs_f64());
            (
                StatusCode::ACCEPTED,
                Json(json!({"accepted": accepted, "duplicates": duplicates})),
            )
                .into_response()
        }
        Ok(Err(e)) => unavailable(&e),
        Err(response) => response,
    }
}

async fn metrics(State(s): State<Arc<AppState>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        s.metrics.encode(),
    )
        .into_response()
}

async fn journeys(State(s): State<Arc<AppState>>) -> Response {
    let report = match s.ask(|reply| Command::Report { reply }).await {
        Ok(r) => r,
        Err(response) => return response,
    };
    let now = crate::engine::wall_now();
    let Ok(served) = s.served.read() else {
        return unavailable("the server is in an inconsistent state");
    };
    let list: Vec<Value> = served
        .journeys
        .all()
        .map(|cj| {
            let j = &cj.journey;
            let live = served
                .journeys
                .live(&j.id, now)
                .is_some_and(|l| l.journey.version == j.version);
            let figures = report
                .journeys
                .iter()
                .find(|r| r.journey == j.id && r.version == j.version);
            let summary = figures.map_or(
                json!({"entered": 0, "waiting": 0, "errors": 0, "exited": {}}),
                |r| {
                    json!({"entered": r.total.entered, "waiting": r.total.waiting,
                           "errors": r.total.errors, "exited": r.total.exited})
                },
            );
            json!({"journey": j.id, "version": j.version, "name": j.name, "live": live, "report": summary})
        })
        .collect();
    Json(json!({ "journeys": list })).into_response()
}

/// A journey whose file gives no `publishedAt` goes live when published.
pub fn live_from(cj: &mut CompiledJourney, at: chrono::DateTime<chrono::Utc>) {
    if cj.journey.published_at == chrono::DateTime::<chrono::Utc>::MIN_UTC {
        cj.journey.published_at = at;
    }
}

/// Why the engine did not publish a version.
pub enum PublishRefused {
    /// Another process published that version with other content.
    Conflict,
    /// The state could not be written.
    Failed(String),
}

/// `POST /journeys`: checks the version with every journey served, and
/// publishes it (live at its `publishedAt`, default now).
async fn publish(State(s): State<Arc<AppState>>, body: Body) -> Response {
    let _one_at_a_time = s.publishing.lock().await;
    let Ok(bytes) = axum::body::to_bytes(body, events::MAX_BODY).await else {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "a journey file is at most 1 MiB",
        );
    };
    let Ok(text) = String::from_utf8(bytes.to_vec()) else {
        return error(StatusCode::BAD_REQUEST, "a journey file is UTF-8 text");
    };
    let doc: Value = match serde_json::from_str(&text) {
        Ok(d) => d,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("not a JSON journey file: {e}"),
            )
        }
    };
    let (id, version) = match (
        doc.get("id").and_then(Value::as_str),
        doc.get("version").and_then(Value::as_i64),
    ) {
        (Some(id), Some(v)) => (id.to_string(), v),
        _ => {
            return error(
                StatusCode::UNPROCESSABLE_ENTITY,
                "a journey file has an `id` and a `version`",
            )
        }
    };
    let checked = {
        let Ok(served) = s.served.read() else {
            return unavailable("the server is in an inconsistent state");
        };
        let highest = served
            .journeys
            .all()
            .filter(|cj| cj.journey.id == id)
            .map(|cj| cj.journey.version)
            .max();
        let existing = served
            .journeys
            .all()
            .find(|cj| cj.journey.id == id && cj.journey.version == version)
            .and_then(|cj| served.sources.iter().find(|(f, _)| *f == cj.journey.file))
            .map(|(_, t)| t.clone());
        if let Some(existing) = existing {
            if Fingerprint::hash(&existing) == Fingerprint::hash(&text) {
                return (
                    StatusCode::OK,
                    Json(json!({"journey": id, "version": version, "published": false})),
                )
                    .into_response();
            }
            let next = highest.unwrap_or(version) + 1;
            return error(
                StatusCode::CONFLICT,
                format!("journey `{id}` version {version} is published with other content: publish the change as version {next}"),
            );
        }
        let mut sources = served.sources.clone();
        let file = format!("(published {id} v{version})");
        sources.push((file.clone(), text.clone()));
        jexpr_journey::check(&sources, s.catalog)
    };
    let (report, compiled) = checked;
    if report.has_errors() {
        return (StatusCode::UNPROCESSABLE_ENTITY, Json(report.to_json())).into_response();
    }
    let Some(mut cj) = compiled
        .into_iter()
        .find(|cj| cj.journey.id == id && cj.journey.version == version)
    else {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the checked journey is missing",
        );
    };
    let at = crate::engine::wall_now();
    live_from(&mut cj, at);
    let live = jexpr::time::format_instant(&cj.journey.published_at.max(at));
    let answer = s
        .ask(|reply| Command::Publish {
            journey: Box::new(cj.clone()),
            text: text.clone(),
            at,
            reply,
        })
        .await;
    match answer {
        Ok(Ok(())) => {}
        Ok(Err(PublishRefused::Conflict)) => {
            return error(
                StatusCode::CONFLICT,
                format!("journey `{id}` version {version} was published meanwhile with other content: publish the change as version {}", version + 1),
            )
        }
        Ok(Err(PublishRefused::Failed(e))) => return unavailable(&e),
        Err(response) => return response,
    }
    if let Ok(mut served) = s.served.write() {
        served.add(text, cj);
    }
    (
        StatusCode::CREATED,
        Json(json!({"journey": id, "version": version, "published": true, "liveFrom": live})),
    )
        .into_response()
}

async fn report(
    State(s): State<Arc<AppState>>,
    Path(id): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let known = s
        .served
        .read()
        .is_ok_and(|served| served.journeys.all().any(|cj| cj.journey.id == id));
    if !known {
        return error(
            StatusCode::NOT_FOUND,
            format!("no journey `{id}` is served"),
        );
    }
    let version = match q.get("version").map(|v| v.parse::<i64>()) {
        None => None,
        Some(Ok(v)) => Some(v),
        Some(Err(_)) => return error(StatusCode::BAD_REQUEST, "`version` is a number"),
    };
    let mut report = match s.ask(|reply| Command::Report { reply }).await {
        Ok(r) => r,
        Err(response) => return response,
    };
    report
        .journeys
        .retain(|r| r.journey == id && version.is_none_or(|v| r.version == v));
    Json(report.to_json(false)).into_response()
}

async fn profile(State(s): State<Arc<AppState>>, Path(id): Path<String>) -> Response {
    match s
        .ask(|reply| Command::Profile {
            id: id.clone(),
            reply,
        })
        .await
    {
        Ok(Ok(Value::Null)) => error(StatusCode::NOT_FOUND, format!("no profile `{id}`")),
        Ok(Ok(v)) => Json(v).into_response(),
        Ok(Err(e)) => unavailable(&e),
        Err(response) => response,
    }
}

async fn trace(
    State(s): State<Arc<AppState>>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let Some(profile) = q.get("profile").cloned() else {
        return error(
            StatusCode::BAD_REQUEST,
            "give the profile: /trace?profile=ID",
        );
    };
    match s.ask(|reply| Command::Trace { profile, reply }).await {
        Ok(Ok(lines)) => {
            let records: Vec<Value> = lines
                .iter()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect();
            Json(json!({ "records": records })).into_response()
        }
        Ok(Err(e)) => unavailable(&e),
        Err(response) => response,
    }
}

/// SIGTERM or SIGINT.
pub(crate) async fn stop_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = terminate => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

/// Serves `router` on `listen` with a small runtime until SIGINT or
/// SIGTERM (the receiver, the studio); `ready` gets the address.
pub(crate) fn serve_small(
    router: Router,
    listen: SocketAddr,
    ready: impl FnOnce(SocketAddr),
    what: &str,
) -> Result<(), crate::ServeError> {
    use crate::ServeError;
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
            .with_graceful_shutdown(stop_signal())
            .await
            .map_err(|e| ServeError(format!("{what} failed: {e}")))
    })
}

/// Serves until a stop signal, then stops taking events (503), lets the
/// requests in flight finish, and returns within 10 s.
pub async fn listen(
    state: Arc<AppState>,
    addr: SocketAddr,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), crate::ServeError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| crate::ServeError(format!("cannot listen on {addr}: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| crate::ServeError(e.to_string()))?;
    let app = router(state.clone());
    let stopping = Arc::new(tokio::sync::Notify::new());
    let notified = stopping.clone();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { notified.notified().await })
            .await
    });
    ready(local);
    stop_signal().await;
    tracing::info!("stopping: finishing the requests in flight");
    state.draining.store(true, Ordering::SeqCst);
    stopping.notify_one();
    tokio::select! {
        _ = server => {}
        _ = tokio::time::sleep(Duration::from_secs(10)) => {}
        _ = stop_signal() => {}
    }
    Ok(())
}

/// `GET /`: the studio, with the state's live counts (no test mode: this
/// is the real thing).
async fn studio_page(State(s): State<Arc<AppState>>) -> Response {
    let report = match s.ask(|reply| Command::Report { reply }).await {
        Ok(r) => r,
        Err(response) => return response,
    };
    let Ok(served) = s.served.read() else {
        return unavailable("the server is in an inconsistent state");
    };
    let journeys: Vec<&CompiledJourney> = served.journeys.all().collect();
    let html = crate::studio::page::page(&journeys, &report.journeys, &[], "live", None);
    axum::response::Html(html).into_response()
}

/// `GET /node?journey=…&version=…&node=…`: a node's panel.
async fn studio_node(
    State(s): State<Arc<AppState>>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let (Some(id), Some(version), Some(node)) = (
        q.get("journey"),
        q.get("version").and_then(|v| v.parse::<i64>().ok()),
        q.get("node"),
    ) else {
        return error(StatusCode::BAD_REQUEST, "give journey, version and node");
    };
    let report = match s.ask(|reply| Command::Report { reply }).await {
        Ok(r) => r,
        Err(response) => return response,
    };
    let Ok(served) = s.served.read() else {
        return unavailable("the server is in an inconsistent state");
    };
    let Some(cj) = served.journeys.version(id, version) else {
        return error(
            StatusCode::NOT_FOUND,
            format!("no journey `{id}` version {version}"),
        );
    };
    let text = served
        .sources
        .iter()
        .find(|(f, _)| *f == cj.journey.file)
        .map(|(_, t)| t.as_str());
    let figures = report
        .journeys
        .iter()
        .find(|r| r.journey == *id && r.version == version)
        .and_then(|r| r.total.get(node));
    axum::response::Html(crate::studio::node_panel(cj, text, node, &[], figures)).into_response()
}

/// `GET /profile?id=…`: a profile's timeline and path, for the studio.
async fn studio_profile(
    State(s): State<Arc<AppState>>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let Some(id) = q.get("id").cloned() else {
        return error(StatusCode::BAD_REQUEST, "give id");
    };
    let lines = match s
        .ask(|reply| Command::Trace {
            profile: id.clone(),
            reply,
        })
        .await
    {
        Ok(Ok(lines)) => lines,
        Ok(Err(e)) => return unavailable(&e),
        Err(response) => return response,
    };
    let records: Vec<Value> = lines
        .iter()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let refs: Vec<&Value> = records.iter().collect();
    let (list, nodes, edges) = crate::studio::timeline(&refs);
    let html = format!(
        "<h3>Profile {}</h3>{list}",
        crate::studio::page::escape(&id)
    );
    Json(json!({"html": html, "nodes": nodes, "edges": edges})).into_response()
}
