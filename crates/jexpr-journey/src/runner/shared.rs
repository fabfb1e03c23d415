//! The runner on a shared inbox (`serve` on PostgreSQL): the same scan as a
//! replay of a file, over the events any process accepted. Each process
//! handles the events and timers of the partitions it leases, in inbox
//! order; a process that takes a partition over scans again from that
//! partition's committed position, exactly as `run` does on a file.

use super::coordinator::Renewal;
use super::{RunError, Runner};
use crate::check::CompiledJourney;
use crate::model::Node;
use crate::store::{Commit, Inbox, Store, StoreError};
use chrono::{DateTime, Utc};
use std::io::BufRead;

/// Compiles a journey version published into the state (id, version,
/// source, when published), with the journeys the caller serves.
pub type Compile<'c> =
    dyn FnMut(&str, i64, &str, DateTime<Utc>) -> Result<CompiledJourney, String> + 'c;

/// Events read from the inbox per query.
const CHUNK: usize = 1000;

impl<S: Store + Inbox> Runner<'_, S> {
    /// Sets a shared run up: a new state gets the profiles and its first
    /// audience reads (once, whichever process comes first); then this
    /// process claims its share of the partitions.
    pub fn start_shared(&mut self, profiles: Option<&mut dyn BufRead>) -> Result<(), RunError> {
        self.initialize(profiles)?;
        self.summary.partitions = self.store.partitions();
        // The caller decides when a batch is durable ([`Runner::pump`] ends
        // with a flush); the runner never flushes on its own.
        self.batch = usize::MAX;
        self.rescan()
    }

    /// Claims the partitions and starts the scan at the earliest of their
    /// positions.
    fn rescan(&mut self) -> Result<(), RunError> {
        let held = self.coordinator.claim(&mut self.store)?;
        let start = self.coordinator.start_scan(held);
        self.clock = start.clock;
        self.summary.input_errors = start.input_errors;
        self.cursor = start;
        Ok(())
    }

    /// Renews the leases if it is time; whether the scan starts again.
    fn renew_if_due(&mut self) -> Result<bool, RunError> {
        if !self.coordinator.renew_due(&self.store) {
            return Ok(false);
        }
        let scan = self.line_cursor();
        let renewal = self.coordinator.renew(&mut self.store, &scan)?;
        if renewal == Renewal::Restart {
            self.rescan()?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Handles every event accepted so far (by any process) for the
    /// partitions held, fires their timers due by the inbox's clock, and
    /// makes it all durable. Returns how many events this call read.
    pub fn pump(&mut self, compile: &mut Compile<'_>) -> Result<u64, RunError> {
        let mut read = 0;
        'scan: loop {
            self.renew_if_due()?;
            let (top, mark) = self.store.inbox_mark()?;
            while self.cursor.line < top {
                let rows = self.store.inbox_lines(self.cursor.line, top, CHUNK)?;
                if rows
                    .first()
                    .is_none_or(|(seq, _)| *seq != self.cursor.line + 1)
                {
                    return Err(RunError::Store(crate::store::StoreError::damaged(format!(
                        "the inbox has no event {} (events up to {top} were accepted)",
                        self.cursor.line + 1
                    ))));
                }
                for (seq, line) in rows {
                    self.before = self.line_cursor();
                    self.cursor.line = seq;
                    self.cursor.offset = seq;
                    match crate::store::publication_marker(&line) {
                        Some((id, version)) => self.take_published(&id, version, compile)?,
                        None => self.line(seq, line.as_bytes())?,
                    }
                    self.coordinator.join_ahead(&self.cursor)?;
                    read += 1;
                    if self.renew_if_due()? {
                        continue 'scan;
                    }
                }
            }
            self.coordinator.check_end(&self.cursor)?;
            self.before = self.line_cursor();
            if self.clock.is_none_or(|c| mark > c) {
                self.wall_clock = Some(mark);
                self.fire_due(mark)?;
                self.clock = Some(mark);
            }
            let end = self.line_cursor();
            self.store.set_cursors(self.coordinator.active(), &end);
            self.store.flush()?;
            self.unflushed = 0;
            if self.store.must_claim() {
                // Writes were refused: a lease moved on. Claim and redo
                // from what is committed.
                self.rescan()?;
                continue;
            }
            return Ok(read);
        }
    }

    /// A publication met in the inbox: the version joins the journeys (once
    /// per process), and each partition the scan acts on starts reading its
    /// audience (once per partition: the partition's position passes the
    /// marker in the same flush).
    fn take_published(
        &mut self,
        id: &str,
        version: i64,
        compile: &mut Compile<'_>,
    ) -> Result<(), RunError> {
        if self.journeys.version(id, version).is_none() {
            let Some((source, at)) = self.store.inbox_published(id, version)? else {
                return Err(RunError::Store(StoreError::damaged(format!(
                    "the inbox publishes journey `{id}` version {version}, which the state does not hold"
                ))));
            };
            let cj = compile(id, version, &source, at).map_err(RunError::Refused)?;
            self.journeys.add(cj);
            self.decoder = self.decoder.for_journeys(&self.journeys);
        }
        let at = match self.journeys.version(id, version) {
            Some(cj) => match cj.journey.nodes.get(&cj.journey.start) {
                Some(Node::Audience { at, .. }) => *at,
                _ => return Ok(()),
            },
            None => return Ok(()),
        };
        for p in self.coordinator.active().to_vec() {
            self.store.commit(Commit {
                partition: p,
                reads_scheduled: vec![super::read_key(at, id, version, p)],
                ..Default::default()
            })?;
        }
        Ok(())
    }

    /// Gives the leases up (at a graceful stop), after a last flush.
    pub fn release(&mut self) -> Result<(), RunError> {
        let end = self.line_cursor();
        self.store.set_cursors(self.coordinator.active(), &end);
        self.store.flush()?;
        self.store.release()?;
        Ok(())
    }
}
