//! The store: profiles (with their instances and history), the timer index,
//! audience reads, the input cursor and the trace outbox. A [`Commit`] is
//! everything one input changes, applied as one unit; [`Store::flush`] makes
//! the commits so far durable together. [`MemoryStore`] keeps it all in
//! memory for one run; [`SqliteStore`] in an embedded database.

pub mod inspect;
mod memory;
mod sqlite;

pub use memory::MemoryStore;
pub use sqlite::{Fingerprint, SqliteStore};

use crate::state::ProfileState;
use chrono::{DateTime, Utc};

/// A due item, in the order section 3 fires them: due time, then journey
/// id, version, profile id (an audience read, with no profile, first), instance.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TimerKey {
    /// When it is due.
    pub due: DateTime<Utc>,
    /// Journey id.
    pub journey: String,
    /// Journey version.
    pub version: i64,
    /// Profile id; empty for an audience read.
    pub profile: String,
    /// Instance id; empty for an audience read.
    pub instance: String,
}

/// How far the input has been handled, and the run's counters then.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cursor {
    /// Lines of the events file handled.
    pub line: u64,
    /// Bytes of the events file consumed.
    pub offset: u64,
    /// Hash of those bytes (FNV-1a 64), to notice a changed file.
    pub hash: u64,
    /// The virtual clock.
    pub clock: Option<DateTime<Utc>>,
    /// Lines skipped as `inputError`.
    pub input_errors: u64,
}

/// Everything one input changed.
#[derive(Debug, Default)]
pub struct Commit {
    /// Profiles whose state changed (their timers follow their instances).
    pub profiles: Vec<ProfileState>,
    /// Audience reads done (removed).
    pub reads_done: Vec<TimerKey>,
    /// Audience reads to schedule.
    pub reads_scheduled: Vec<TimerKey>,
    /// The input position after this commit, when it ends a line.
    pub cursor: Option<Cursor>,
    /// Trace records written by this input, one JSON line each (no newline).
    pub trace: Vec<String>,
    /// This commit sets the run up (profiles file, first audience reads).
    pub initialize: bool,
}

/// A store failure (I/O, corruption, or a state that does not belong to
/// this run); the run stops with it and nothing half-done is kept.
#[derive(Debug)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreError {}

/// Where the runner keeps state between inputs.
pub trait Store {
    /// A profile's state, if it is known.
    fn profile(&mut self, id: &str) -> Result<Option<ProfileState>, StoreError>;
    /// Profiles whose status for `audience` is `realized` or `existing`, by id.
    fn audience_members(&mut self, audience: &str) -> Result<Vec<String>, StoreError>;
    /// The first timer or audience read due at or before `until`.
    fn next_due(&mut self, until: DateTime<Utc>) -> Result<Option<TimerKey>, StoreError>;
    /// Applies one input's changes as a unit.
    fn commit(&mut self, commit: Commit) -> Result<(), StoreError>;
    /// How many instances are waiting.
    fn waiting(&mut self) -> Result<usize, StoreError>;
    /// Whether the run was set up (profiles loaded, reads scheduled).
    fn initialized(&mut self) -> Result<bool, StoreError>;
    /// The input position of the last commit.
    fn cursor(&mut self) -> Result<Cursor, StoreError>;
    /// Makes every commit so far durable, together.
    fn flush(&mut self) -> Result<(), StoreError>;
    /// Bytes of trace committed (records of flushed commits).
    fn trace_bytes(&mut self) -> Result<u64, StoreError>;
    /// The committed trace records from the one containing byte `offset` on,
    /// each with its start offset (to complete a trace file cut short).
    fn trace_from(&mut self, offset: u64) -> Result<Vec<(u64, String)>, StoreError>;
}
