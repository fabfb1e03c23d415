//! `jexpr serve`: journeys on the wall clock. Events arrive over HTTP, are
//! handled by the same engine and runner as `jexpr run`, and are answered
//! `202` only once durable in the state; timers fire on the wall clock.
//!
//! ```text
//! HTTP (axum, many tasks) --commands--> engine thread (owns Runner + store) --> state
//!                         <--answers---       sleeps until the next due time or command
//! ```
//!
//! I/O lives here and in the runner's store; the engine stays pure.

pub mod deliver;
mod engine;
mod events;
mod http;
mod metrics;
pub mod receiver;
mod shared;
pub mod studio;

use jexpr_journey::engine::Journeys;
use jexpr_journey::store::{PostgresOptions, PostgresStore, SqliteStore};
use jexpr_journey::{CompiledJourney, JourneyCatalog};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// What `jexpr serve` was asked.
pub struct Options {
    /// The journey files given: (file name, text).
    pub sources: Vec<(String, String)>,
    /// The catalog, its text (for the state's fingerprint) and its JSON
    /// (for `eventID`).
    pub catalog: JourneyCatalog,
    pub catalog_text: String,
    pub catalog_json: serde_json::Value,
    /// The profiles file's bytes, for a new state.
    pub profiles: Option<Vec<u8>>,
    /// The state: a SQLite file, or a PostgreSQL URL (several processes).
    pub state: String,
    /// PostgreSQL: this process's name in the lease table.
    pub process_name: String,
    /// PostgreSQL: how long a partition lease lasts without renewal.
    pub lease: std::time::Duration,
    /// Where to listen.
    pub listen: SocketAddr,
    /// The bearer token every request but `/healthz` must carry.
    pub token: Option<String>,
    /// Actions are recorded with status `dryRun`.
    pub dry_run: bool,
    /// No wait or reaction timeout lasts longer (milliseconds).
    pub wait_override: Option<i64>,
}

/// Why the server could not start or stopped.
#[derive(Debug)]
pub struct ServeError(pub String);

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Opens the state, starts the engine, listens, and serves until SIGTERM
/// or SIGINT (then drains and stops within 10 s). `ready` is called with the
/// address listened on once requests are taken.
pub fn serve(options: Options, ready: impl FnOnce(SocketAddr)) -> Result<(), ServeError> {
    let postgres = jexpr_journey::store::export::is_postgres(&options.state);
    let (compiled, sources) = with_published(&options, postgres)?;
    let fingerprint =
        jexpr_journey::check::fingerprint(&sources, &compiled, Some(&options.catalog_text));
    // Lives as long as the process: the request decoder borrows it.
    let catalog: &'static JourneyCatalog = Box::leak(Box::new(options.catalog));
    // Actions with an endpoint are called (unless --dry-run); their secrets
    // are read now, so a missing one stops the start.
    let deliverer = if options.dry_run {
        None
    } else {
        Some(deliver::HttpDeliverer::new(catalog).map_err(ServeError)?)
    };
    let journeys = Journeys::new(compiled)
        .with_wait_cap(options.wait_override)
        .dry_run(options.dry_run)
        .delivering(deliverer.as_ref().map(|d| d.actions()).unwrap_or_default())
        .fetching(deliverer.as_ref().map(|d| d.sources()).unwrap_or_default());
    let metrics = Arc::new(metrics::Metrics::new());
    let healthy = Arc::new(AtomicBool::new(true));
    let served = http::Served::new(journeys.clone(), sources, catalog);
    let (commands, acceptor, threads) = if postgres {
        let store = PostgresStore::open(
            &PostgresOptions {
                url: options.state.clone(),
                process: options.process_name.clone(),
                lease: options.lease,
                partitions: None,
                served: true,
            },
            &fingerprint,
        )
        .map_err(|e| ServeError(e.to_string()))?;
        let started = shared::start(shared::Setup {
            journeys: journeys.clone(),
            catalog,
            store,
            url: options.state.clone(),
            served: served.clone(),
            deliverer,
            profiles: options.profiles,
            metrics: metrics.clone(),
            healthy: healthy.clone(),
            stopped: Arc::new(AtomicBool::new(false)),
        })
        .map_err(ServeError)?;
        (started.engine, started.acceptor, started.threads)
    } else {
        let store = SqliteStore::open(&PathBuf::from(&options.state), &fingerprint)
            .and_then(SqliteStore::sync_every_flush)
            .and_then(SqliteStore::index_trace)
            .map_err(|e| ServeError(e.to_string()))?;
        let (commands, engine) = engine::start(engine::Setup {
            journeys: journeys.clone(),
            catalog,
            store,
            deliverer,
            profiles: options.profiles,
            metrics: metrics.clone(),
            healthy: healthy.clone(),
        })
        .map_err(ServeError)?;
        (commands.clone(), commands, vec![engine])
    };
    let event_ids = event_ids(&options.catalog_json);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| ServeError(format!("cannot start the runtime: {e}")))?;
    let state = http::AppState::new(
        served,
        catalog,
        event_ids,
        commands.clone(),
        acceptor.clone(),
        metrics,
        healthy,
        options.token,
    );
    let served = runtime.block_on(http::listen(state, options.listen, ready));
    // The engine finishes what it was sent and flushes.
    let _ = commands.send(engine::Command::Stop);
    drop(commands);
    drop(acceptor);
    for thread in threads {
        let _ = thread.join();
    }
    served
}

/// The journeys given and those published into the state over HTTP before
/// (which a restart serves too), checked together: the compiled journeys
/// and every source (file name, text).
/// Journey sources: (file name, text).
type Sources = Vec<(String, String)>;

fn with_published(
    options: &Options,
    postgres: bool,
) -> Result<(Vec<CompiledJourney>, Sources), ServeError> {
    let (report, given) = jexpr_journey::check(&options.sources, &options.catalog);
    if report.has_errors() {
        return Err(ServeError(report.render()));
    }
    let mut sources = options.sources.clone();
    let mut published_at = Vec::new();
    let stored = if postgres {
        jexpr_journey::store::postgres_published(&options.state)
            .map_err(|e| ServeError(e.to_string()))?
    } else {
        SqliteStore::published_journeys(&PathBuf::from(&options.state))
            .map_err(|e| ServeError(e.to_string()))?
    };
    for (id, version, text, at) in stored {
        let is_given = given
            .iter()
            .any(|cj| cj.journey.id == id && cj.journey.version == version);
        if !is_given {
            sources.push((format!("(published {id} v{version})"), text));
            published_at.push((id, version, at));
        }
    }
    let (report, mut compiled) = jexpr_journey::check(&sources, &options.catalog);
    if report.has_errors() {
        return Err(ServeError(format!(
            "the journeys published into the state no longer check with these files:\n{}",
            report.render()
        )));
    }
    for cj in &mut compiled {
        let stored_at = published_at
            .iter()
            .find(|(id, v, _)| *id == cj.journey.id && *v == cj.journey.version);
        if let Some((_, _, at)) = stored_at {
            http::live_from(cj, *at);
        }
    }
    Ok((compiled, sources))
}

/// `events.<E>.eventID` of the catalog: envelope event id → event name.
fn event_ids(catalog: &serde_json::Value) -> BTreeMap<String, String> {
    catalog
        .get("events")
        .and_then(serde_json::Value::as_object)
        .map(|events| {
            events
                .iter()
                .filter_map(|(name, decl)| {
                    decl.get("eventID")
                        .and_then(serde_json::Value::as_str)
                        .map(|id| (id.to_string(), name.clone()))
                })
                .collect()
        })
        .unwrap_or_default()
}
