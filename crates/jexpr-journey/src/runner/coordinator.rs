//! The coordinator: the runner's one view of partitions and leases (as
//! river's producer asks its elector). It claims and renews through the
//! store, knows which held partitions the scan of the input advances and
//! which are further on, and decides when the scan must start again. A store
//! with one partition always holds it, and nothing here ever restarts.
//!
//! Fencing itself is the store's (a flush writes only where this process's
//! owner and generation still stand); the coordinator learns of it from the
//! positions a claim returns.

use super::RunError;
use crate::store::{Cursor, Store, TimerKey};
use std::collections::BTreeSet;
use std::time::Instant;

/// What the scan does after a renewal.
#[derive(Debug, PartialEq)]
pub(super) enum Renewal {
    /// Go on where it is, with the partitions still held.
    Continue,
    /// A partition is new, or its committed position is not where this
    /// process left it (its writes were refused): scan again.
    Restart,
}

/// Partitions held, and where the scan stands with each.
pub(super) struct Coordinator {
    /// Held partitions the scan advances: their input position is the scan's.
    active: Vec<u32>,
    /// Held partitions further on in the input than the scan (after a
    /// rewind), by input position: they join `active` when it gets there.
    ahead: Vec<(u32, Cursor)>,
    /// Every partition held during the run.
    held: BTreeSet<u32>,
    /// When the leases were last renewed.
    renewed: Instant,
}

impl Coordinator {
    pub fn new() -> Coordinator {
        Coordinator {
            active: Vec::new(),
            ahead: Vec::new(),
            held: BTreeSet::new(),
            renewed: Instant::now(),
        }
    }

    /// Renews the leases and takes this process's share: the partitions
    /// held now, with their committed positions.
    pub fn claim<S: Store>(&mut self, store: &mut S) -> Result<Vec<(u32, Cursor)>, RunError> {
        let held = store.claim()?;
        self.renewed = Instant::now();
        self.held.extend(held.iter().map(|(p, _)| *p));
        Ok(held)
    }

    /// Starts a scan for `held`: it begins at the earliest position, and the
    /// partitions there are active; the others wait until it reaches them.
    pub fn start_scan(&mut self, mut held: Vec<(u32, Cursor)>) -> Cursor {
        held.sort_by_key(|(p, c)| (c.offset, *p));
        let start = held.first().map(|(_, c)| c.clone()).unwrap_or_default();
        self.active = held
            .iter()
            .filter(|(_, c)| c.offset == start.offset)
            .map(|(p, _)| *p)
            .collect();
        self.ahead = held
            .into_iter()
            .filter(|(_, c)| c.offset != start.offset)
            .collect();
        start
    }

    /// Whether the scan acts on `partition` (held, and reached).
    pub fn is_active(&self, partition: u32) -> bool {
        self.active.contains(&partition)
    }

    /// The partitions the scan acts on.
    pub fn active(&self) -> &[u32] {
        &self.active
    }

    /// Every partition held at some point of the run.
    pub fn held(&self) -> Vec<u32> {
        self.held.iter().copied().collect()
    }

    /// Held partitions the scan has just caught up with start advancing
    /// with it; their input must be the same bytes.
    pub fn join_ahead(&mut self, scan: &Cursor) -> Result<(), RunError> {
        while let Some((p, c)) = self.ahead.first() {
            if c.offset > scan.offset {
                break;
            }
            if c.offset < scan.offset || c.hash != scan.hash {
                return Err(super::changed(c));
            }
            self.active.push(*p);
            self.ahead.remove(0);
        }
        Ok(())
    }

    /// At the end of the input: a partition still ahead handled more of it
    /// than there is.
    pub fn check_end(&self, scan: &Cursor) -> Result<(), RunError> {
        match self.ahead.first() {
            Some((_, c)) => Err(super::shorter(scan.offset, c)),
            None => Ok(()),
        }
    }

    /// Whether the leases must be renewed now (their time is up, or a write
    /// was refused).
    pub fn renew_due<S: Store>(&self, store: &S) -> bool {
        store.must_claim()
            || store
                .renew_every()
                .is_some_and(|every| self.renewed.elapsed() >= every)
    }

    /// Flushes with the scan at `scan`, renews the leases and takes this
    /// process's share; says whether the scan goes on.
    pub fn renew<S: Store>(&mut self, store: &mut S, scan: &Cursor) -> Result<Renewal, RunError> {
        store.set_cursors(&self.active, scan);
        store.flush()?;
        let held = self.claim(store)?;
        for (p, c) in &held {
            let expected = if self.active.contains(p) {
                Some(scan)
            } else {
                self.ahead.iter().find(|(q, _)| q == p).map(|(_, c)| c)
            };
            if expected.is_none_or(|e| e.offset != c.offset) {
                return Ok(Renewal::Restart);
            }
        }
        let keep: BTreeSet<u32> = held.iter().map(|(p, _)| *p).collect();
        self.active.retain(|p| keep.contains(p));
        self.ahead.retain(|(p, _)| keep.contains(p));
        Ok(Renewal::Continue)
    }

    /// A due timer whose step changed nothing. Either another process took
    /// the partition over and moved the profile on while this one was
    /// stopped (its writes will be refused, and it claims again: `Ok`), or
    /// the timer would fire forever: the state is damaged.
    pub fn stale_timer<S: Store>(&self, store: &mut S, key: &TimerKey) -> Result<(), RunError> {
        if store.lost(key.partition)? {
            return Ok(());
        }
        Err(RunError::Store(crate::store::StoreError::damaged(format!(
            "timer {key:?} is stuck: firing it changes nothing"
        ))))
    }
}
