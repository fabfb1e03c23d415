//! The runner on the wall clock (`serve`): the same loop as a replay, fed
//! one accepted event at a time instead of a file. The caller owns the
//! clock (it asks [`Runner::advance`] to fire what is due) and decides when
//! a batch is durable ([`Runner::flush`]); the input position is the number
//! of events accepted, and each accepted id is committed with its event, so
//! a retried event is recognised after a crash as well as before.

use super::{RunError, Runner};
use crate::store::{Cursor, Store};
use chrono::{DateTime, Utc};
use std::io::BufRead;

/// What became of one event offered to a live run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Offered {
    /// Handled (its steps are committed with the next flush).
    Handled,
    /// Its id was accepted before: not handled again.
    Duplicate,
}

impl<S: Store> Runner<'_, S> {
    /// Sets a live run up: a new state gets the profiles and its first
    /// audience reads; a resumed one goes on from its committed position.
    /// A state with partitions is refused (one process serves a state).
    pub fn start_live(&mut self, profiles: Option<&mut dyn BufRead>) -> Result<(), RunError> {
        self.initialize(profiles)?;
        self.summary.partitions = self.store.partitions();
        if self.summary.partitions > 1 {
            return Err(RunError::Refused(
                "this state is shared by several processes (PostgreSQL): `serve` runs on a SQLite state for now".into(),
            ));
        }
        let held = self.coordinator.claim(&mut self.store)?;
        let start = self.coordinator.start_scan(held);
        self.clock = start.clock;
        self.summary.input_errors = start.input_errors;
        self.cursor = start;
        // The caller flushes; the runner never does on its own.
        self.batch = usize::MAX;
        Ok(())
    }

    /// Adds a journey version published while running: later events see
    /// it, and an audience start gets its first read.
    pub fn publish(&mut self, cj: crate::check::CompiledJourney) -> Result<(), RunError> {
        let read = match cj.journey.nodes.get(&cj.journey.start) {
            Some(crate::model::Node::Audience { at, .. }) => {
                Some(super::read_key(*at, &cj.journey.id, cj.journey.version, 0))
            }
            _ => None,
        };
        self.journeys.add(cj);
        self.decoder = self.decoder.for_journeys(&self.journeys);
        if let Some(read) = read {
            self.store.commit(crate::store::Commit {
                reads_scheduled: vec![read],
                ..Default::default()
            })?;
        }
        Ok(())
    }

    /// The run's clock: the time of the last event or timer handled.
    pub fn clock(&self) -> Option<DateTime<Utc>> {
        self.clock
    }

    /// How many events were accepted (the input position).
    pub fn accepted(&self) -> u64 {
        self.cursor.line
    }

    /// Fires every timer and audience read due at or before `now`, then
    /// moves the clock to `now` (a clock never goes back).
    pub fn advance(&mut self, now: DateTime<Utc>) -> Result<(), RunError> {
        if self.clock.is_some_and(|c| now <= c) {
            return Ok(());
        }
        self.before = self.line_cursor();
        self.wall_clock = Some(now);
        self.fire_due(now)?;
        self.clock = Some(now);
        Ok(())
    }

    /// Handles one accepted event, given as an events-file line with its
    /// `time` (at or after the clock), unless its `id` was accepted before.
    pub fn offer(&mut self, line: &[u8], id: Option<&str>) -> Result<Offered, RunError> {
        if let Some(id) = id {
            if self.store.event_seen(id)? {
                return Ok(Offered::Duplicate);
            }
            self.pending_ids.push(id.to_string());
        }
        self.before = self.line_cursor();
        self.cursor.line += 1;
        let n = self.cursor.line;
        self.line(n, line)?;
        if !self.pending_ids.is_empty() {
            // A line that committed nothing (it cannot happen with one
            // partition) still records its id.
            let ids = std::mem::take(&mut self.pending_ids);
            self.store.commit(crate::store::Commit {
                event_ids: ids,
                cursor: Some(self.line_cursor()),
                ..Default::default()
            })?;
        }
        Ok(Offered::Handled)
    }

    /// The next time something is due (a wait, a timeout, an audience read).
    pub fn next_due(&mut self) -> Result<Option<DateTime<Utc>>, RunError> {
        let key = self
            .store
            .next_due(DateTime::<Utc>::MAX_UTC, self.coordinator.active())?;
        Ok(key.map(|k| k.due))
    }

    /// Makes everything handled so far durable, with the input position.
    pub fn flush(&mut self) -> Result<(), RunError> {
        let cursor: Cursor = self.line_cursor();
        self.store.set_cursors(self.coordinator.active(), &cursor);
        self.store.flush()?;
        self.unflushed = 0;
        self.out
            .flush()
            .map_err(|e| RunError::Io(format!("cannot write the trace: {e}")))
    }

    /// What the run did so far.
    pub fn summary(&self) -> &super::Summary {
        &self.summary
    }
}
