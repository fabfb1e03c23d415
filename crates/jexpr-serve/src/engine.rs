//! The engine thread: the one owner of the runner and its store. HTTP
//! handlers send it commands; it handles them in arrival order, fires the
//! timers that are due on the wall clock, and answers an `accept` only once
//! the events are durable (one flush for every command that arrived
//! together: a group commit). Between commands it sleeps until the next due
//! time or the next command, never polling.

use crate::metrics::Metrics;
use chrono::{DateTime, Utc};
use jexpr_journey::engine::Journeys;
use jexpr_journey::report::{Report, ReportBuilder};
use jexpr_journey::runner::{Offered, Runner};
use jexpr_journey::store::{SqliteStore, StateStore, Store, TraceOutbox};
use jexpr_journey::JourneyCatalog;
use serde_json::{Map, Value as Json};
use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;

/// One valid event of an accepted request: an events-file line without its
/// `time` (given at acceptance), and its id.
pub struct Pending {
    pub line: Map<String, Json>,
    pub id: Option<String>,
}

/// What handlers ask the engine.
pub enum Command {
    /// Accept a batch: `(accepted, duplicates)` once durable.
    Accept {
        events: Vec<Pending>,
        reply: oneshot::Sender<Result<(usize, usize), String>>,
    },
    /// One profile's state as JSON (`null` if unknown).
    Profile {
        id: String,
        reply: oneshot::Sender<Result<Json, String>>,
    },
    /// One profile's trace records.
    Trace {
        profile: String,
        reply: oneshot::Sender<Result<Vec<String>, String>>,
    },
    /// The journey report so far.
    Report { reply: oneshot::Sender<Report> },
    /// Whether the state answers.
    Ping { reply: oneshot::Sender<bool> },
    /// Publish a journey version (checked): durable when answered.
    Publish {
        journey: Box<jexpr_journey::CompiledJourney>,
        text: String,
        at: DateTime<Utc>,
        reply: oneshot::Sender<Result<(), crate::http::PublishRefused>>,
    },
    /// Events were accepted into a shared state: look at the inbox.
    Wake,
    /// Finish what arrived, flush, and stop.
    Stop,
}

/// What the engine needs to start.
pub struct Setup {
    pub journeys: Journeys,
    pub catalog: &'static JourneyCatalog,
    pub store: SqliteStore,
    pub deliverer: Option<crate::deliver::HttpDeliverer>,
    pub profiles: Option<Vec<u8>>,
    pub metrics: Arc<Metrics>,
    pub healthy: Arc<AtomicBool>,
}

/// Trace records as the runner writes them, fed to the live report and
/// the metrics.
pub(crate) struct Tap {
    seen: Rc<RefCell<Seen>>,
}

impl Tap {
    pub fn new(seen: Rc<RefCell<Seen>>) -> Tap {
        Tap { seen }
    }
}

pub(crate) struct Seen {
    report: ReportBuilder,
    metrics: Arc<Metrics>,
    /// Off while the stored trace is read at startup (metrics count this
    /// process's work).
    pub live: bool,
    partial: Vec<u8>,
}

impl Seen {
    pub fn new(metrics: Arc<Metrics>) -> Seen {
        Seen {
            report: ReportBuilder::new(None),
            metrics,
            live: false,
            partial: Vec::new(),
        }
    }

    fn record(&mut self, line: &[u8]) {
        let Ok(v) = serde_json::from_slice::<Json>(line) else {
            return;
        };
        let _ = self.report.add(&v);
        if self.live {
            self.metrics.record(&v, Utc::now());
        }
    }
}

impl Write for Tap {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut seen = self.seen.borrow_mut();
        seen.partial.extend_from_slice(buf);
        while let Some(at) = seen.partial.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = seen.partial.drain(..=at).collect();
            seen.record(&line[..line.len() - 1]);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The wall clock, to the millisecond (as every instant of a run).
pub fn wall_now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::<Utc>::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
}

/// Starts the engine thread; returns once the state is open and set up (or
/// with why it cannot be).
pub fn start(setup: Setup) -> Result<(Sender<Command>, std::thread::JoinHandle<()>), String> {
    spawn_engine(move |rx, ready| run(setup, rx, ready))
}

/// Starts an engine thread running `body` with its command channel and a
/// channel to say it is ready; returns once it said so (or why not).
pub(crate) fn spawn_engine(
    body: impl FnOnce(Receiver<Command>, Sender<Result<(), String>>) + Send + 'static,
) -> Result<(Sender<Command>, std::thread::JoinHandle<()>), String> {
    let (tx, rx) = std::sync::mpsc::channel::<Command>();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), String>>();
    let handle = std::thread::Builder::new()
        .name("jexpr-engine".into())
        .spawn(move || body(rx, ready_tx))
        .map_err(|e| format!("cannot start the engine: {e}"))?;
    match ready_rx.recv() {
        Ok(Ok(())) => Ok((tx, handle)),
        Ok(Err(e)) => {
            let _ = handle.join();
            Err(e)
        }
        Err(_) => Err("the engine stopped while starting".into()),
    }
}

fn run(setup: Setup, rx: Receiver<Command>, ready: Sender<Result<(), String>>) {
    let Setup {
        journeys,
        catalog,
        store,
        deliverer,
        profiles,
        metrics,
        healthy,
    } = setup;
    let seen = Rc::new(RefCell::new(Seen::new(metrics.clone())));
    let mut tap = Tap { seen: seen.clone() };
    let mut runner = Runner::new(journeys, catalog, store, &mut tap);
    if let Some(d) = deliverer {
        runner = runner.deliverer(Box::new(d));
    }
    let mut profiles = profiles.map(std::io::Cursor::new);
    let started = runner
        .start_live(profiles.as_mut().map(|p| p as &mut dyn std::io::BufRead))
        .map_err(|e| e.to_string())
        .and_then(|()| replay_stored_trace(runner.store(), &seen));
    if let Err(e) = started {
        let _ = ready.send(Err(e));
        return;
    }
    seen.borrow_mut().live = true;
    if let Ok(n) = runner.store().waiting() {
        metrics.set_waiting(n);
    }
    let _ = ready.send(Ok(()));
    if let Err(e) = serve_commands(&mut runner, &rx, &seen, &metrics) {
        tracing::error!("the engine stopped: {e}");
        healthy.store(false, Ordering::SeqCst);
        // Whatever was not flushed was not acknowledged: answer the rest.
        while let Ok(c) = rx.try_recv() {
            refuse(c, &e);
        }
    }
}

/// Feeds the trace already in the state to the live report.
fn replay_stored_trace(store: &mut SqliteStore, seen: &Rc<RefCell<Seen>>) -> Result<(), String> {
    let rows = store.trace_from(0).map_err(|e| e.to_string())?;
    let mut seen = seen.borrow_mut();
    for (_, lines) in rows {
        for line in lines.split('\n') {
            seen.record(line.as_bytes());
        }
    }
    Ok(())
}

pub(crate) fn refuse(c: Command, why: &str) {
    let why = format!("the state cannot be written: {why}");
    match c {
        Command::Accept { reply, .. } => {
            let _ = reply.send(Err(why));
        }
        Command::Profile { reply, .. } => {
            let _ = reply.send(Err(why));
        }
        Command::Trace { reply, .. } => {
            let _ = reply.send(Err(why));
        }
        Command::Ping { reply } => {
            let _ = reply.send(false);
        }
        Command::Publish { reply, .. } => {
            let _ = reply.send(Err(crate::http::PublishRefused::Failed(why)));
        }
        Command::Report { .. } | Command::Stop | Command::Wake => {}
    }
}

/// How long to sleep at most: the next due time, else a second (a timer
/// due far away is looked at again, in case the clock jumped).
pub(crate) fn pause_until<S: Store>(runner: &mut Runner<'_, S>) -> Result<Duration, String> {
    let now = wall_now();
    let next = runner.next_due().map_err(|e| e.to_string())?;
    Ok(match next {
        Some(due) if due <= now => Duration::ZERO,
        Some(due) => (due - now)
            .to_std()
            .unwrap_or(Duration::ZERO)
            .min(Duration::from_secs(1)),
        None => Duration::from_secs(1),
    })
}

/// Fault injection for the crash tests: `JEXPR_FAULT_ABORT_AFTER_FLUSH=N`
/// makes the process abort right after the Nth flush that accepted events,
/// before any answer is sent — the window where a client must retry and its
/// retry must be recognised as a duplicate.
pub(crate) fn abort_after_flush() -> Option<u64> {
    std::env::var("JEXPR_FAULT_ABORT_AFTER_FLUSH")
        .ok()
        .and_then(|n| n.parse().ok())
}

fn serve_commands(
    runner: &mut Runner<'_, SqliteStore>,
    rx: &Receiver<Command>,
    seen: &Rc<RefCell<Seen>>,
    metrics: &Metrics,
) -> Result<(), String> {
    let mut abort_after = abort_after_flush();
    let mut gauge = WaitingGauge::new(runner.summary().records);
    loop {
        let wait = pause_until(runner)?;
        let mut commands = Vec::new();
        match rx.recv_timeout(wait) {
            Ok(c) => commands.push(c),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                runner.flush().map_err(|e| e.to_string())?;
                return Ok(());
            }
        }
        // Everything that arrived meanwhile shares one flush.
        while commands.len() < 512 {
            match rx.try_recv() {
                Ok(c) => commands.push(c),
                Err(_) => break,
            }
        }
        let now = wall_now();
        runner.advance(now).map_err(|e| e.to_string())?;
        let mut answers: Vec<Box<dyn FnOnce()>> = Vec::new();
        let mut stop = false;
        let mut accepted_any = false;
        for c in commands {
            match c {
                Command::Accept { events, reply } => {
                    accepted_any = true;
                    let counts = accept(runner, events, now)?;
                    answers.push(Box::new(move || {
                        let _ = reply.send(Ok(counts));
                    }));
                }
                Command::Profile { id, reply } => {
                    let v = profile(runner, &id)?;
                    answers.push(Box::new(move || {
                        let _ = reply.send(Ok(v));
                    }));
                }
                Command::Trace { profile, reply } => {
                    runner.flush().map_err(|e| e.to_string())?;
                    let lines = runner
                        .store()
                        .profile_trace(&profile)
                        .map_err(|e| e.to_string())?;
                    answers.push(Box::new(move || {
                        let _ = reply.send(Ok(lines));
                    }));
                }
                Command::Report { reply } => {
                    let report = seen.borrow().report.snapshot();
                    answers.push(Box::new(move || {
                        let _ = reply.send(report);
                    }));
                }
                Command::Ping { reply } => {
                    answers.push(Box::new(move || {
                        let _ = reply.send(true);
                    }));
                }
                Command::Publish {
                    journey,
                    text,
                    at,
                    reply,
                } => {
                    let (id, version) = (journey.journey.id.clone(), journey.journey.version);
                    runner.publish(*journey).map_err(|e| e.to_string())?;
                    runner
                        .store()
                        .publish_journey(&id, version, &text, at)
                        .map_err(|e| e.to_string())?;
                    answers.push(Box::new(move || {
                        let _ = reply.send(Ok(()));
                    }));
                }
                Command::Stop => stop = true,
                Command::Wake => {}
            }
        }
        runner.flush().map_err(|e| e.to_string())?;
        if let Some(n) = abort_after.as_mut().filter(|_| accepted_any) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                std::process::abort();
            }
        }
        if gauge.due(runner.summary().records, answers.is_empty()) {
            if let Ok(n) = runner.store().waiting() {
                metrics.set_waiting(n);
            }
        }
        for answer in answers {
            answer();
        }
        if stop {
            return Ok(());
        }
    }
}

/// When to refresh the waiting gauge, a count over the whole state: after
/// work only, at most every two seconds under load and at the first quiet
/// wake-up after it — an idle server with a million waiting instances must
/// not count them at every wake-up.
struct WaitingGauge {
    refreshed: std::time::Instant,
    records: u64,
    stale: bool,
}

impl WaitingGauge {
    fn new(records: u64) -> WaitingGauge {
        WaitingGauge {
            refreshed: std::time::Instant::now(),
            records,
            stale: false,
        }
    }

    /// Whether to count now, given the trace records written so far and
    /// whether this wake-up answered nothing.
    fn due(&mut self, records: u64, quiet: bool) -> bool {
        let moved = records != self.records;
        self.records = records;
        let due = (moved && self.refreshed.elapsed() >= Duration::from_secs(2))
            || (!moved && quiet && self.stale);
        if due {
            self.refreshed = std::time::Instant::now();
            self.stale = false;
        } else if moved {
            self.stale = true;
        }
        due
    }
}

/// Handles one batch at one acceptance time: never before the clock, so
/// acceptance order is handling order.
fn accept<S: Store>(
    runner: &mut Runner<'_, S>,
    events: Vec<Pending>,
    now: DateTime<Utc>,
) -> Result<(usize, usize), String> {
    let time = runner.clock().map_or(now, |c| c.max(now));
    let text = jexpr::time::format_instant(&time);
    let (mut accepted, mut duplicates) = (0, 0);
    for Pending { mut line, id } in events {
        line.insert("time".into(), Json::String(text.clone()));
        let bytes = serde_json::to_vec(&line).map_err(|e| e.to_string())?;
        match runner
            .offer(&bytes, id.as_deref())
            .map_err(|e| e.to_string())?
        {
            Offered::Handled => accepted += 1,
            Offered::Duplicate => duplicates += 1,
        }
    }
    Ok((accepted, duplicates))
}

fn profile<S: Store>(runner: &mut Runner<'_, S>, id: &str) -> Result<Json, String> {
    let store = runner.store();
    let state = store.profile(id).map_err(|e| e.to_string())?;
    let shown = jexpr_journey::store::profile_view::profile_detail(id, state.clone());
    // A store may hand its state over on a read: give it back unchanged.
    if let Some(state) = state {
        store
            .commit(jexpr_journey::store::Commit {
                profiles: vec![state],
                ..Default::default()
            })
            .map_err(|e| e.to_string())?;
    }
    Ok(shown)
}
