//! `serve` on a PostgreSQL state shared by several processes. Three threads,
//! each with its own connection:
//!
//! ```text
//! HTTP --accept--> acceptor: inbox insert (one transaction per group of requests), 202 once committed
//!                  listener: LISTEN for accepted events (any process's) --wake--> engine
//! HTTP --ask-----> engine: owns Runner<PostgresStore>; pumps the inbox for its leased partitions,
//!                  fires their timers, renews leases; sleeps until the next due time, wake or command
//! ```
//!
//! Any process accepts any event; the one leasing the event's partition
//! handles it. A process killed at any instant leaves accepted events in the
//! inbox and its partitions to the others once its leases expire.

use crate::engine::{abort_after_flush, pause_until, refuse, Command, Pending, Seen, Tap};
use crate::http::{PublishRefused, SharedServed};
use crate::metrics::Metrics;
use jexpr_journey::engine::Journeys;
use jexpr_journey::report::ReportBuilder;
use jexpr_journey::runner::{Compile, Runner};
use jexpr_journey::store::{
    Inbox, Leases, Offer, PostgresInbox, PostgresListener, PostgresStore, Publication, StateStore,
};
use jexpr_journey::{CompiledJourney, JourneyCatalog};
use serde_json::Value as Json;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What the shared engine needs to start.
pub struct Setup {
    pub journeys: Journeys,
    pub catalog: &'static JourneyCatalog,
    pub store: PostgresStore,
    pub url: String,
    /// The journeys served (a version another process publishes joins them).
    pub served: SharedServed,
    /// Makes the calls of actions with an endpoint (none under --dry-run).
    pub deliverer: Option<crate::deliver::HttpDeliverer>,
    pub profiles: Option<Vec<u8>>,
    pub metrics: Arc<Metrics>,
    pub healthy: Arc<AtomicBool>,
    /// Set when the engine has stopped (the listener then ends).
    pub stopped: Arc<AtomicBool>,
}

/// The running threads and where to send commands.
pub struct Started {
    /// The engine: everything but acceptance.
    pub engine: Sender<Command>,
    /// The acceptor: `Command::Accept`.
    pub acceptor: Sender<Command>,
    pub threads: Vec<JoinHandle<()>>,
}

/// How often the waiting count (a sum over the shared table) is refreshed.
const WAITING_EVERY: Duration = Duration::from_secs(5);

/// How often handled events and old ids are removed from the inbox.
const TRIM_EVERY: Duration = Duration::from_secs(60);

/// Starts the engine, the acceptor and the listener; returns once the state
/// is set up and this process holds its share of the partitions.
pub fn start(setup: Setup) -> Result<Started, String> {
    let url = setup.url.clone();
    let url_for_listener = setup.url.clone();
    let stopped = setup.stopped.clone();
    let inbox = PostgresInbox::connect(&url).map_err(|e| e.to_string())?;
    let (engine_tx, engine) = crate::engine::spawn_engine(move |rx, ready| run(setup, rx, ready))?;
    let (acceptor_tx, acceptor_rx) = std::sync::mpsc::channel::<Command>();
    let acceptor = std::thread::Builder::new()
        .name("jexpr-acceptor".into())
        .spawn(move || accept_loop(inbox, &url, acceptor_rx))
        .map_err(|e| format!("cannot start the acceptor: {e}"))?;
    let wake = engine_tx.clone();
    let listen_url = url_for_listener;
    let listener = std::thread::Builder::new()
        .name("jexpr-listener".into())
        .spawn(move || listen_loop(&listen_url, wake, stopped))
        .map_err(|e| format!("cannot start the listener: {e}"))?;
    Ok(Started {
        engine: engine_tx,
        acceptor: acceptor_tx,
        threads: vec![engine, acceptor, listener],
    })
}

fn run(setup: Setup, rx: Receiver<Command>, ready: Sender<Result<(), String>>) {
    let Setup {
        journeys,
        catalog,
        store,
        url: _,
        served,
        deliverer,
        profiles,
        metrics,
        healthy,
        stopped,
    } = setup;
    let seen = Rc::new(RefCell::new(Seen::new(metrics.clone())));
    seen.borrow_mut().live = true;
    let mut tap = Tap::new(seen.clone());
    let mut runner = Runner::new(journeys, catalog, store, &mut tap);
    if let Some(d) = deliverer {
        runner = runner.deliverer(Box::new(d));
    }
    let mut profiles = profiles.map(std::io::Cursor::new);
    let started = runner
        .start_shared(profiles.as_mut().map(|p| p as &mut dyn std::io::BufRead))
        .and_then(|()| {
            let mut compile = |id: &str, version: i64, text: &str, at| {
                compile(&served, catalog, id, version, text, at)
            };
            runner.pump(&mut compile).map(|_| ())
        })
        .map_err(|e| e.to_string());
    if let Err(e) = started {
        let _ = ready.send(Err(e));
        return;
    }
    let _ = ready.send(Ok(()));
    let result = serve_commands(&mut runner, &rx, &metrics, &served, catalog);
    stopped.store(true, Ordering::SeqCst);
    if let Err(e) = result {
        tracing::error!("the engine stopped: {e}");
        healthy.store(false, Ordering::SeqCst);
        while let Ok(c) = rx.try_recv() {
            refuse(c, &e);
        }
    }
}

fn serve_commands(
    runner: &mut Runner<'_, PostgresStore>,
    rx: &Receiver<Command>,
    metrics: &Metrics,
    served: &SharedServed,
    catalog: &'static JourneyCatalog,
) -> Result<(), String> {
    let mut compile =
        |id: &str, version: i64, text: &str, at| compile(served, catalog, id, version, text, at);
    let mut counted = Instant::now() - WAITING_EVERY;
    let mut trimmed = Instant::now();
    let renew = runner
        .store()
        .renew_every()
        .unwrap_or(Duration::from_secs(10));
    loop {
        if counted.elapsed() >= WAITING_EVERY {
            if let Ok(n) = runner.store().waiting() {
                metrics.set_waiting(n);
            }
            counted = Instant::now();
        }
        if trimmed.elapsed() >= TRIM_EVERY {
            runner.store().inbox_trim().map_err(|e| e.to_string())?;
            trimmed = Instant::now();
        }
        // The next due time (at most a second away), and the leases'
        // renewal: nothing else wakes the engine but a command.
        let wait = pause_until(runner)?.min(renew);
        let first = match rx.recv_timeout(wait) {
            Ok(c) => Some(c),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => return stop(runner, &mut compile),
        };
        let mut commands: Vec<Command> = first.into_iter().collect();
        while commands.len() < 512 {
            match rx.try_recv() {
                Ok(c) => commands.push(c),
                Err(_) => break,
            }
        }
        runner.pump(&mut compile).map_err(|e| e.to_string())?;
        for c in commands {
            match c {
                Command::Wake => {}
                Command::Profile { id, reply } => {
                    let state = runner
                        .store()
                        .peek_profile(&id)
                        .map_err(|e| e.to_string())?;
                    let shown = jexpr_journey::store::profile_view::profile_detail(&id, state);
                    let _ = reply.send(Ok(shown));
                }
                Command::Trace { profile, reply } => {
                    let lines = runner
                        .store()
                        .profile_trace(&profile)
                        .map_err(|e| e.to_string())?;
                    let _ = reply.send(Ok(lines));
                }
                Command::Report { reply } => {
                    // The whole state's figures, every process's partitions.
                    let lines = runner.store().all_trace().map_err(|e| e.to_string())?;
                    let mut report = ReportBuilder::new(None);
                    for line in lines {
                        if let Ok(v) = serde_json::from_str::<Json>(&line) {
                            let _ = report.add(&v);
                        }
                    }
                    let _ = reply.send(report.snapshot());
                }
                Command::Ping { reply } => {
                    let _ = reply.send(runner.store().ping());
                }
                Command::Publish {
                    journey,
                    text,
                    at,
                    reply,
                } => {
                    let (id, version) = (&journey.journey.id, journey.journey.version);
                    let answer = match runner.store().publish_shared(id, version, &text, at) {
                        Ok(Publication::New | Publication::Same) => Ok(()),
                        Ok(Publication::Conflict) => Err(PublishRefused::Conflict),
                        Err(e) => Err(PublishRefused::Failed(e.to_string())),
                    };
                    // Taken from the inbox like everyone else's (the
                    // marker is there now), before the answer.
                    runner.pump(&mut compile).map_err(|e| e.to_string())?;
                    let _ = reply.send(answer);
                }
                Command::Accept { reply, .. } => {
                    let _ = reply.send(Err("internal error: an event sent to the engine".into()));
                }
                Command::Stop => return stop(runner, &mut compile),
            }
        }
    }
}

/// A graceful stop: what was handled is flushed and the leases are given
/// up, so the other processes take the partitions over at once.
fn stop(runner: &mut Runner<'_, PostgresStore>, compile: &mut Compile<'_>) -> Result<(), String> {
    runner.pump(compile).map_err(|e| e.to_string())?;
    runner.release().map_err(|e| e.to_string())
}

/// Compiles a version published into the state (by any process) with the
/// journeys served, and serves it.
fn compile(
    served: &SharedServed,
    catalog: &'static JourneyCatalog,
    id: &str,
    version: i64,
    text: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<CompiledJourney, String> {
    let mut sources = served
        .read()
        .map_err(|_| "the server is in an inconsistent state".to_string())?
        .sources()
        .to_vec();
    sources.push((format!("(published {id} v{version})"), text.to_string()));
    let (report, compiled) = jexpr_journey::check(&sources, catalog);
    if report.has_errors() {
        return Err(format!(
            "journey `{id}` version {version}, published into the state, does not check with the journeys served here:\n{}",
            report.render()
        ));
    }
    let mut cj = compiled
        .into_iter()
        .find(|cj| cj.journey.id == id && cj.journey.version == version)
        .ok_or_else(|| format!("journey `{id}` version {version} is not in its source"))?;
    crate::http::live_from(&mut cj, at);
    if let Ok(mut served) = served.write() {
        served.add(text.to_string(), cj.clone());
    }
    Ok(cj)
}

/// Accepts events: every request that arrived together shares one
/// transaction, and each is answered once it committed.
fn accept_loop(mut inbox: PostgresInbox, url: &str, rx: Receiver<Command>) {
    let mut abort_after = abort_after_flush();
    while let Ok(first) = rx.recv() {
        let mut commands = vec![first];
        while commands.len() < 512 {
            match rx.try_recv() {
                Ok(c) => commands.push(c),
                Err(_) => break,
            }
        }
        let mut groups = Vec::new();
        let mut replies = Vec::new();
        for c in commands {
            match c {
                Command::Accept { events, reply } => {
                    groups.push(
                        events
                            .into_iter()
                            .map(|Pending { line, id }| Offer { line, id })
                            .collect(),
                    );
                    replies.push(reply);
                }
                other => refuse(other, "internal error: a command sent to the acceptor"),
            }
        }
        match inbox.accept(groups) {
            Ok(counts) => {
                if let Some(n) = abort_after.as_mut() {
                    *n = n.saturating_sub(1);
                    if *n == 0 {
                        std::process::abort();
                    }
                }
                for (reply, c) in replies.into_iter().zip(counts) {
                    let _ = reply.send(Ok(c));
                }
            }
            Err(e) => {
                tracing::error!("cannot accept events: {e}");
                for reply in replies {
                    let _ = reply.send(Err(format!("the events were not accepted: {e}")));
                }
                // The connection may be gone: a new one for the next batch.
                if let Ok(again) = PostgresInbox::connect(url) {
                    inbox = again;
                }
            }
        }
    }
}

/// Wakes the engine whenever events were accepted (by any process);
/// reconnects after a failure. Ends when the engine has stopped.
fn listen_loop(url: &str, engine: Sender<Command>, stopped: Arc<AtomicBool>) {
    while !stopped.load(Ordering::SeqCst) {
        let mut listener = match PostgresListener::connect(url) {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!("cannot listen for accepted events: {e}");
                std::thread::sleep(Duration::from_secs(1));
                if engine.send(Command::Wake).is_err() {
                    return;
                }
                continue;
            }
        };
        // After (re)connecting, events may have come meanwhile.
        if engine.send(Command::Wake).is_err() {
            return;
        }
        loop {
            match listener.wait(Duration::from_secs(1)) {
                Ok(true) => {
                    if engine.send(Command::Wake).is_err() {
                        return;
                    }
                }
                Ok(false) if stopped.load(Ordering::SeqCst) => return,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!("listening for accepted events failed: {e}");
                    break;
                }
            }
        }
    }
}
