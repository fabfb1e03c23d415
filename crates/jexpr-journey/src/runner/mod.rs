//! The runner: the edge where input, time and storage live. It reads the
//! events file line by line (JOURNEYS.md section 3), keeps the virtual
//! clock, fires due timers before each line, steps the engine, commits each
//! input's changes to the store as one unit, and writes the trace.

mod coordinator;
mod deliver;
mod envelope;
pub mod input;
mod live;
mod shared;
mod source;
mod summary;
mod trace_file;

pub use deliver::{Call, Deliverer, MockResponses};
pub use live::Offered;
pub use shared::Compile;
pub use summary::{RunError, Summary};
pub use trace_file::open_trace;

use coordinator::{Coordinator, Renewal};
use input::{Decoder, Line};
use source::{LineSource, Next};

use crate::catalog::JourneyCatalog;
use crate::engine::{self, Input, Journeys};
use crate::model::Node;
use crate::state::ProfileState;
use crate::store::{partition_of, Commit, Cursor, Store, TimerKey};
use crate::trace::Record;
use chrono::{DateTime, Utc};
use std::io::{BufRead, Write};
use std::time::Duration;

/// Longest events-file line accepted; a longer one is an `inputError`.
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// One run over one events stream.
pub struct Runner<'a, S: Store> {
    journeys: Journeys,
    decoder: Decoder<'a>,
    store: S,
    out: &'a mut dyn Write,
    clock: Option<DateTime<Utc>>,
    summary: Summary,
    /// Position in the events file after the last line read.
    cursor: Cursor,
    /// Commits since the last flush, and how many make a batch.
    unflushed: usize,
    batch: usize,
    /// Partitions and leases: which the scan acts on, when to renew.
    coordinator: Coordinator,
    /// The input position before the line being handled: what a flush in
    /// the middle of the line (firing the timers due before it) records.
    before: Cursor,
    /// Whether the state is freed when the run ends (see [`Runner::exiting`]).
    free_at_end: bool,
    /// Ids of the event being handled (`serve`), committed with it.
    pending_ids: Vec<String>,
    /// `serve`: the wall clock's time while due timers are fired.
    wall_clock: Option<DateTime<Utc>>,
    /// What makes the calls of delivered actions.
    deliverer: Option<Box<dyn Deliverer + 'a>>,
}

/// How a pass over the events file ended.
enum Pass {
    /// At the end of the input; the input position there.
    End(Cursor),
    /// The partitions held changed so that the scan must start again.
    Restart,
}

impl<'a, S: Store> Runner<'a, S> {
    /// A runner over checked journeys, writing the trace to `out`.
    pub fn new(
        journeys: Journeys,
        catalog: &'a JourneyCatalog,
        store: S,
        out: &'a mut dyn Write,
    ) -> Self {
        Runner {
            decoder: Decoder::new(&journeys, catalog),
            journeys,
            store,
            out,
            clock: None,
            summary: Summary::default(),
            cursor: Cursor::default(),
            unflushed: 0,
            batch: 1000,
            coordinator: Coordinator::new(),
            before: Cursor::default(),
            free_at_end: true,
            pending_ids: Vec::new(),
            wall_clock: None,
            deliverer: None,
        }
    }

    /// Makes the calls of the actions the journeys deliver
    /// ([`Journeys::delivering`]) with `deliverer`.
    pub fn deliverer(mut self, deliverer: Box<dyn Deliverer + 'a>) -> Self {
        self.deliverer = Some(deliverer);
        self
    }

    /// The process exits when the run ends: leave the state to the
    /// operating system instead of freeing it. Freeing a million small
    /// allocations one by one took a fifth of a large in-memory run.
    pub fn exiting(mut self) -> Self {
        self.free_at_end = false;
        self
    }

    /// Commits this many inputs per transaction of a durable store (at least 1).
    pub fn batch(mut self, inputs: usize) -> Self {
        self.batch = inputs.max(1);
        self
    }

    /// The store (for inspection after a run).
    pub fn store(&mut self) -> &mut S {
        &mut self.store
    }

    /// Sets a new run up: the profiles, and the first read of every
    /// audience entry node. A resumed run was set up already.
    fn initialize(&mut self, profiles: Option<&mut dyn BufRead>) -> Result<(), RunError> {
        if self.store.initialized()? {
            // Versions published into a resumed state start reading their
            // audiences (from their `at`, as a new state's do).
            let published = self.store.newly_published();
            let reads: Vec<TimerKey> = self
                .journeys
                .all()
                .filter(|cj| published.contains(&(cj.journey.id.clone(), cj.journey.version)))
                .filter_map(|cj| match cj.journey.nodes.get(&cj.journey.start) {
                    Some(Node::Audience { at, .. }) => {
                        Some(read_key(*at, &cj.journey.id, cj.journey.version, 0))
                    }
                    _ => None,
                })
                .collect();
            if !reads.is_empty() {
                self.store.commit(Commit {
                    reads_scheduled: reads,
                    ..Default::default()
                })?;
                self.store.flush()?;
            }
            return Ok(());
        }
        let profiles = match profiles {
            Some(input) => {
                input::read_profiles(input).map_err(|(n, m)| RunError::Profiles(n, m))?
            }
            None => Vec::new(),
        };
        let mut reads = Vec::new();
        for cj in self.journeys.all() {
            if let Some(Node::Audience { at, .. }) = cj.journey.nodes.get(&cj.journey.start) {
                for partition in 0..self.store.partitions() {
                    reads.push(read_key(*at, &cj.journey.id, cj.journey.version, partition));
                }
            }
        }
        self.store.commit(Commit {
            profiles,
            reads_scheduled: reads,
            initialize: true,
            ..Default::default()
        })?;
        self.store.flush()?;
        Ok(())
    }

    /// Runs the events stream, then moves the clock to `until` if given.
    /// With a durable store, a run resumes after the last line it handled;
    /// with a partitioned one, it goes on until every partition (whoever
    /// holds it) has handled the whole input, taking over partitions whose
    /// holder died.
    pub fn run(
        self,
        profiles: Option<&mut dyn BufRead>,
        events: impl BufRead,
        until: Option<DateTime<Utc>>,
    ) -> Result<Summary, RunError> {
        let mut events = Some(events);
        let open = move || {
            events.take().ok_or_else(|| {
                RunError::Io(
                    "this store needs an events file it can read again, not a stream".into(),
                )
            })
        };
        self.run_reopening(profiles, open, until)
    }

    /// [`Runner::run`] over an events file that `open` opens from its start
    /// for each pass: a partitioned store scans it again when it takes a
    /// partition over.
    pub fn run_reopening<R: BufRead>(
        mut self,
        profiles: Option<&mut dyn BufRead>,
        mut open: impl FnMut() -> Result<R, RunError>,
        until: Option<DateTime<Utc>>,
    ) -> Result<Summary, RunError> {
        self.initialize(profiles)?;
        self.summary.partitions = self.store.partitions();
        let mut end: Option<Cursor> = None;
        loop {
            let held = self.coordinator.claim(&mut self.store)?;
            // A pass is needed to find where the input ends, and whenever a
            // partition held is not there yet.
            let behind = |e: &Cursor| {
                held.iter()
                    .any(|(_, c)| c.offset != e.offset || c.clock != e.clock)
            };
            if end.as_ref().is_none_or(behind) {
                let mut events = open()?;
                match self.pass(&mut events, held, until)? {
                    Pass::Restart => continue,
                    Pass::End(e) => end = Some(e),
                }
            }
            if let Some(e) = &end {
                if self.store.finished(e)? {
                    break;
                }
            }
            // Other processes hold unfinished partitions: wait for them to
            // finish, or for their leases to expire.
            let pause = self.store.renew_every().unwrap_or(Duration::ZERO);
            std::thread::sleep(pause.min(Duration::from_millis(250)));
        }
        self.store.release()?;
        self.out
            .flush()
            .map_err(|e| RunError::Io(format!("cannot write the trace: {e}")))?;
        let end = end.unwrap_or_default();
        self.summary.lines = end.line;
        self.summary.input_errors = end.input_errors;
        self.summary.waiting = self.store.waiting()?;
        self.summary.clock = end.clock;
        self.summary.held = self.coordinator.held();
        let summary = std::mem::take(&mut self.summary);
        if !self.free_at_end {
            std::mem::forget(self);
        }
        Ok(summary)
    }

    /// One scan of the events file for the partitions `held`, from the
    /// earliest of their positions to the end.
    fn pass(
        &mut self,
        events: &mut impl BufRead,
        held: Vec<(u32, Cursor)>,
        until: Option<DateTime<Utc>>,
    ) -> Result<Pass, RunError> {
        let start = self.coordinator.start_scan(held);
        let mut source = LineSource::new(events);
        source.skip_handled(&start)?;
        self.clock = start.clock;
        self.summary.input_errors = start.input_errors;
        self.cursor = start;
        let mut buf = Vec::new();
        loop {
            if self.coordinator.renew_due(&self.store) {
                let scan = self.line_cursor();
                let renewal = self.coordinator.renew(&mut self.store, &scan)?;
                self.unflushed = 0;
                if renewal == Renewal::Restart {
                    return Ok(Pass::Restart);
                }
            }
            self.before = self.line_cursor();
            let next = source.next(&mut buf)?;
            (self.cursor.line, self.cursor.offset, self.cursor.hash) = source.position();
            let n = self.cursor.line;
            match next {
                Next::End => break,
                Next::Unfinished => {
                    self.summary.unfinished_line = true;
                    break;
                }
                Next::TooLong => {
                    let message = format!("the line is longer than {} MiB", MAX_LINE_BYTES >> 20);
                    self.input_error(n, &message)?;
                }
                Next::Line => {
                    if !buf.iter().all(u8::is_ascii_whitespace) {
                        self.line(n, &buf)?;
                    }
                }
            }
            self.coordinator.join_ahead(&self.cursor)?;
        }
        self.coordinator.check_end(&self.cursor)?;
        self.before = self.line_cursor();
        // Calls cut short by a crash are due at or before the clock: a
        // resumed run makes them again even when no line is left.
        if let (Some(clock), true) = (self.clock, self.deliverer.is_some()) {
            self.fire_due(clock)?;
        }
        // An unfinished last line keeps the clock where it is: moved to
        // `until`, the line would be out of time order once completed.
        if let Some(until) = until.filter(|_| !self.summary.unfinished_line) {
            if self.clock.is_none_or(|c| until > c) {
                self.fire_due(until)?;
                self.clock = Some(until);
                // A store without partitions takes its position from
                // commits (one with partitions, from `set_cursors` below):
                // without this one, a resumed run forgot `until` and took
                // appended lines from before it.
                if self.summary.partitions <= 1 {
                    self.store.commit(Commit {
                        cursor: Some(self.line_cursor()),
                        ..Default::default()
                    })?;
                }
            }
        }
        let end = Cursor {
            clock: self.clock,
            input_errors: self.summary.input_errors,
            ..self.cursor.clone()
        };
        self.store.set_cursors(self.coordinator.active(), &end);
        self.store.flush()?;
        self.unflushed = 0;
        Ok(Pass::End(end))
    }

    /// The input position after the current line.
    fn line_cursor(&self) -> Cursor {
        Cursor {
            clock: self.clock,
            input_errors: self.summary.input_errors,
            ..self.cursor.clone()
        }
    }

    fn line(&mut self, n: u64, bytes: &[u8]) -> Result<(), RunError> {
        let line = self.decoder.decode(bytes);
        let (time, partition) = match (&line, line.time_and_profile()) {
            (_, Some((time, id))) => (time, partition_of(id, self.summary.partitions)),
            (Line::Invalid(message), None) => return self.input_error(n, message),
            (_, None) => return self.input_error(n, "not a valid events line"),
        };
        if let Some(clock) = self.clock.filter(|clock| time < *clock) {
            let message = format!(
                "out of time order: {} is before {}",
                jexpr::time::format_instant(&time),
                jexpr::time::format_instant(&clock)
            );
            return self.input_error(n, &message);
        }
        self.fire_due(time)?;
        self.clock = Some(time);
        if !self.coordinator.is_active(partition) {
            return Ok(());
        }
        match line {
            Line::Event {
                name,
                profile_id,
                payload,
                ..
            } => {
                let state = self.state(&profile_id)?;
                let input = Input::Event {
                    name: &name,
                    payload: &payload,
                };
                let (state, records) = engine::step(&self.journeys, state, input, time);
                let calls = state.instances.values().any(|i| i.delivery.is_some());
                self.commit(partition, vec![state], records, true)?;
                if calls && self.deliverer.is_some() {
                    // The calls this event started are made now, not at
                    // the next line: their outcome belongs to this moment.
                    // The line is committed: a flush before a call records
                    // the position after it.
                    self.before = self.line_cursor();
                    self.fire_due(time)?;
                }
                Ok(())
            }
            Line::ProfileUpdate {
                profile_id,
                data_sources,
                audiences,
                ..
            } => {
                let mut state = self.state(&profile_id)?;
                if let Some(m) = data_sources {
                    state.profile.data_sources = m.into();
                }
                for (name, status) in audiences {
                    state.profile.audiences.insert(name, status);
                }
                self.commit(partition, vec![state], Vec::new(), true)
            }
            Line::Invalid(_) => Ok(()),
        }
    }

    fn state(&mut self, id: &str) -> Result<ProfileState, RunError> {
        Ok(self.store.profile(id)?.unwrap_or_else(|| ProfileState {
            id: id.to_string(),
            ..Default::default()
        }))
    }

    /// Fires every timer and audience read due at or before `until`, in order.
    fn fire_due(&mut self, until: DateTime<Utc>) -> Result<(), RunError> {
        while let Some(key) = self.store.next_due(until, self.coordinator.active())? {
            if key.profile.is_empty() {
                self.audience_read(key)?;
                continue;
            }
            let state = self.state(&key.profile)?;
            let call = state
                .instances
                .get(&key.journey)
                .and_then(|i| i.delivery.as_ref().map(|d| (i.version, d.clone())));
            if let (Some((version, delivery)), true) = (call, self.deliverer.is_some()) {
                self.call(key, state, version, &delivery)?;
                continue;
            }
            // What the timer must change: its instance, or its wait.
            let before = state
                .instances
                .get(&key.journey)
                .map(|i| (i.id.clone(), i.node.clone(), i.waiting.clone()));
            let (state, records) = engine::step(
                &self.journeys,
                state,
                Input::Timer {
                    journey: &key.journey,
                },
                key.due,
            );
            let after = state
                .instances
                .get(&key.journey)
                .map(|i| (i.id.clone(), i.node.clone(), i.waiting.clone()));
            if after == before && records.is_empty() {
                // Lost to another process (stop firing: this process will
                // claim again), or a timer that would fire forever.
                return self.coordinator.stale_timer(&mut self.store, &key);
            }
            self.commit(key.partition, vec![state], records, false)?;
        }
        Ok(())
    }

    /// Makes the call an instance waits for (durable first, when it leaves
    /// the process) and steps the engine with its outcome.
    fn call(
        &mut self,
        key: TimerKey,
        state: ProfileState,
        version: i64,
        delivery: &crate::state::Delivery,
    ) -> Result<(), RunError> {
        let external = self.deliverer.as_ref().is_some_and(|d| d.external());
        let state = if external {
            // The state read is handed back and everything so far made
            // durable: a crash during the call makes it again after restart.
            let id = state.id.clone();
            self.store.commit(Commit {
                partition: key.partition,
                profiles: vec![state],
                ..Default::default()
            })?;
            self.store
                .set_cursors(self.coordinator.active(), &self.before.clone());
            self.store.flush()?;
            self.unflushed = 0;
            self.state(&id)?
        } else {
            state
        };
        let timeout = self
            .journeys
            .version(&key.journey, version)
            .map_or(crate::model::DEFAULT_ACTION_TIMEOUT_MS, |cj| {
                cj.journey.action_timeout
            });
        let call = Call {
            action: &delivery.action,
            params: &delivery.params,
            id: &delivery.id,
            profile_id: &key.profile,
            journey: &key.journey,
            version,
            timeout: Duration::from_millis(u64::try_from(timeout).unwrap_or(30_000)),
            fetch: delivery
                .fetch
                .as_ref()
                .map(|(s, g)| (s.as_str(), g.as_str())),
        };
        let Some(deliverer) = self.deliverer.as_mut() else {
            return Ok(());
        };
        let outcome = deliverer.deliver(&call);
        let input = Input::Delivered {
            journey: &key.journey,
            outcome: &outcome,
        };
        let (state, records) = engine::step(&self.journeys, state, input, key.due);
        self.commit(key.partition, vec![state], records, false)
    }

    fn audience_read(&mut self, key: TimerKey) -> Result<(), RunError> {
        let now = key.due;
        let cj = self.journeys.version(&key.journey, key.version);
        let (audience, every) = match cj.and_then(|cj| cj.journey.nodes.get(&cj.journey.start)) {
            Some(Node::Audience {
                audience, every, ..
            }) => (audience.clone(), *every),
            _ => (String::new(), None),
        };
        let live = self
            .journeys
            .live(&key.journey, now)
            .is_some_and(|l| l.journey.version == key.version);
        let mut next = Vec::new();
        let next_read = every.and_then(|every| {
            let next = crate::state::later(now, every)?;
            match self.wall_clock {
                // On the wall clock, reads missed while the server was down
                // (or before it started) are one read, not one per period:
                // the next is the first occurrence after now.
                Some(wall) if next <= wall && every > 0 => {
                    let missed = (wall - now).num_milliseconds() / every + 1;
                    crate::state::later(now, missed.checked_mul(every)?)
                }
                _ => Some(next),
            }
        });
        if let Some(due) = next_read {
            next.push(read_key(due, &key.journey, key.version, key.partition));
        }
        // The read, its next occurrence and every member's entry are one
        // commit: a crash cannot leave a read done with members not entered.
        let mut profiles = Vec::new();
        let mut records = Vec::new();
        if live && !audience.is_empty() {
            for member in self.store.audience_members(&audience, key.partition)? {
                let state = self.state(&member)?;
                let input = Input::Audience {
                    journey: &key.journey,
                    version: key.version,
                };
                let (state, mut out) = engine::step(&self.journeys, state, input, now);
                profiles.push(state);
                records.append(&mut out);
            }
        }
        self.summary.tally(&records);
        let trace: Vec<String> = records.iter().map(Record::to_line).collect();
        self.apply(Commit {
            partition: key.partition,
            profiles,
            reads_done: vec![key.clone()],
            reads_scheduled: next,
            trace,
            ..Default::default()
        })
    }

    /// Commits one input's changes (ending line `line_end` if it is the
    /// line's own commit), then writes its records.
    fn commit(
        &mut self,
        partition: u32,
        profiles: Vec<ProfileState>,
        records: Vec<Record>,
        line_end: bool,
    ) -> Result<(), RunError> {
        self.summary.tally(&records);
        let trace: Vec<String> = records.iter().map(Record::to_line).collect();
        let cursor = line_end.then(|| Cursor {
            clock: self.clock,
            input_errors: self.summary.input_errors,
            ..self.cursor.clone()
        });
        let event_ids = if line_end {
            std::mem::take(&mut self.pending_ids)
        } else {
            Vec::new()
        };
        self.apply(Commit {
            partition,
            profiles,
            cursor,
            trace,
            event_ids,
            ..Default::default()
        })
    }

    /// Commits, then writes the commit's records (the store is ahead of the
    /// file, never behind), flushing every `batch` commits.
    fn apply(&mut self, commit: Commit) -> Result<(), RunError> {
        let line_end = commit.cursor.is_some();
        let trace = commit.trace.clone();
        self.store.commit(commit)?;
        self.write(&trace)?;
        self.unflushed += 1;
        if self.unflushed >= self.batch {
            // Only a line's own commit ends it; a timer it fired first does not.
            let cursor = if line_end {
                self.line_cursor()
            } else {
                self.before.clone()
            };
            self.store.set_cursors(self.coordinator.active(), &cursor);
            self.store.flush()?;
            self.unflushed = 0;
        }
        Ok(())
    }

    fn write(&mut self, lines: &[String]) -> Result<(), RunError> {
        for line in lines {
            self.out
                .write_all(line.as_bytes())
                .and_then(|()| self.out.write_all(b"\n"))
                .map_err(|e| RunError::Io(format!("cannot write the trace: {e}")))?;
        }
        self.summary.records += lines.len() as u64;
        Ok(())
    }

    /// Counts and (in partition 0, which holds records about the input
    /// itself) traces a line skipped as `inputError`.
    fn input_error(&mut self, line: u64, message: &str) -> Result<(), RunError> {
        self.summary.input_errors += 1;
        if !self.coordinator.is_active(0) {
            return Ok(());
        }
        let now = self.clock.unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
        let record = Record::input_error(now, line, message);
        self.commit(0, Vec::new(), vec![record], true)
    }
}

fn read_key(due: DateTime<Utc>, journey: &str, version: i64, partition: u32) -> TimerKey {
    TimerKey {
        due,
        journey: journey.to_string(),
        version,
        profile: String::new(),
        instance: String::new(),
        partition,
    }
}

pub(super) fn shorter(read: u64, handled: &Cursor) -> RunError {
    RunError::Refused(format!(
        "the events file is shorter ({read} bytes) than what this state already handled ({} bytes, {} lines): give the same events file, or start a new state",
        handled.offset, handled.line
    ))
}

pub(super) fn changed(handled: &Cursor) -> RunError {
    RunError::Refused(format!(
        "the first {} lines of the events file are not the ones this state handled: give the same events file (lines may only be appended), or start a new state",
        handled.line
    ))
}
