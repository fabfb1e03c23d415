//! The store: profiles (with their instances and history), the timer index,
//! audience reads, the input cursor and the trace outbox. A [`Commit`] is
//! everything one input changes, applied as one unit; [`StateStore::flush`] makes
//! the commits so far durable together. [`MemoryStore`] keeps it all in
//! memory for one run; `SqliteStore` (feature `sqlite`) in an embedded
//! database; `PostgresStore` (feature `postgres`) in PostgreSQL, shared by several runner processes that
//! lease its partitions.

pub mod export;
mod fingerprint;
pub mod inspect;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
pub mod profile_view;
#[cfg(feature = "sqlite")]
mod sqlite;

#[cfg(feature = "postgres")]
pub use self::postgres::{
    published as postgres_published, Offer, PostgresInbox, PostgresListener, PostgresOptions,
    PostgresStore, Publication, Published, DEFAULT_PARTITIONS,
};
#[cfg(feature = "sqlite")]
pub use self::sqlite::SqliteStore;
pub use fingerprint::Fingerprint;
pub use memory::MemoryStore;

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
    /// The partition it belongs to (0 in a store with one partition).
    pub partition: u32,
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
    /// The partition of the profiles and records (0 in a store with one
    /// partition; input errors belong to partition 0).
    pub partition: u32,
    /// Profiles whose state changed (their timers follow their instances).
    pub profiles: Vec<ProfileState>,
    /// Audience reads done (removed).
    pub reads_done: Vec<TimerKey>,
    /// Audience reads to schedule.
    pub reads_scheduled: Vec<TimerKey>,
    /// The input position after this commit, when it ends a line (stores
    /// with partitions take positions from [`Leases::set_cursors`] instead).
    pub cursor: Option<Cursor>,
    /// Trace records written by this input, one JSON line each (no newline).
    pub trace: Vec<String>,
    /// This commit sets the run up (profiles file, first audience reads).
    pub initialize: bool,
    /// Ids of the events this commit accepted (`serve`): a later event
    /// with one of them is a duplicate, not handled again.
    pub event_ids: Vec<String>,
}

/// What kind of failure a [`StoreError`] is: what the operator can do
/// about it differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreErrorKind {
    /// A file cannot be opened, read or written (permissions, disk full,
    /// file size limit).
    Io,
    /// The state is there but damaged: a row that does not decode, an
    /// inconsistency. Start a new state or restore one.
    Damaged,
    /// The state is not this run's: another format, other journeys, another
    /// events file, in use by another run, or not a jexpr state at all.
    Refused,
    /// This process's lease on a partition moved to another process.
    LeaseLost,
    /// The database (server) failed: connection, statement, timeout.
    Backend,
    /// A fault in jexpr itself.
    Internal,
}

/// A store failure; the run stops with it and nothing half-done is kept.
#[derive(Debug)]
pub struct StoreError {
    /// What kind of failure.
    pub kind: StoreErrorKind,
    /// What happened, for the operator.
    pub message: String,
}

macro_rules! store_error_kinds {
    ($($name:ident => $kind:ident),* $(,)?) => {
        impl StoreError {
            $(
                #[doc = concat!("A [`StoreErrorKind::", stringify!($kind), "`] failure.")]
                pub fn $name(message: impl Into<String>) -> StoreError {
                    StoreError { kind: StoreErrorKind::$kind, message: message.into() }
                }
            )*
        }
    };
}

store_error_kinds! {
    io => Io,
    damaged => Damaged,
    refused => Refused,
    lease_lost => LeaseLost,
    backend => Backend,
    internal => Internal,
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for StoreError {}

/// Where the runner keeps state between inputs: the three capabilities
/// below, which every backend has. A store may split profiles into
/// partitions (by [`partition_of`]) that several processes lease.
pub trait Store: StateStore + TraceOutbox + Leases {}

impl<T: StateStore + TraceOutbox + Leases> Store for T {}

/// Profiles, the timer index, audience reads and the input cursor, changed
/// one [`Commit`] at a time and made durable together by
/// [`StateStore::flush`].
pub trait StateStore {
    /// The state lives only in this process's memory: nothing to close
    /// or flush when the process ends.
    const IN_MEMORY: bool = false;
    /// A profile's state, if it is known, to be stepped and committed. A
    /// store may hand over the state it holds: the caller commits every
    /// state it reads, or stops the run.
    fn profile(&mut self, id: &str) -> Result<Option<ProfileState>, StoreError>;
    /// Profiles of `partition` whose status for `audience` is `realized` or
    /// `existing`, by id.
    fn audience_members(
        &mut self,
        audience: &str,
        partition: u32,
    ) -> Result<Vec<String>, StoreError>;
    /// The first timer or audience read of one of `partitions` due at or
    /// before `until`.
    fn next_due(
        &mut self,
        until: DateTime<Utc>,
        partitions: &[u32],
    ) -> Result<Option<TimerKey>, StoreError>;
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
    /// Journey versions published into the state when it was opened (new
    /// journeys or versions given to a resumed run), each taken once: a
    /// run schedules their first audience reads.
    fn newly_published(&mut self) -> Vec<(String, i64)> {
        Vec::new()
    }
    /// Whether an event with this id was accepted by a commit (flushed or
    /// not): a client's retry is then a duplicate.
    fn event_seen(&mut self, id: &str) -> Result<bool, StoreError>;
}

/// The trace records of flushed commits, in order: what a trace file is
/// made to agree with, and what `jexpr trace` exports.
pub trait TraceOutbox {
    /// Bytes of trace committed (records of flushed commits).
    fn trace_bytes(&mut self) -> Result<u64, StoreError>;
    /// The committed trace records from the one containing byte `offset` on,
    /// each with its start offset (to complete a trace file cut short). A
    /// store may give several consecutive records as one, joined by
    /// newlines.
    fn trace_from(&mut self, offset: u64) -> Result<Vec<(u64, String)>, StoreError>;
}

/// Partitions and their leases. The defaults describe a store with one
/// partition, always held by the one process that opened it.
pub trait Leases: StateStore {
    /// How many partitions profiles are split into.
    fn partitions(&self) -> u32 {
        1
    }
    /// Renews this process's leases and takes its share of the partitions
    /// (after a flush): the partitions it holds now, each with its committed
    /// input position.
    fn claim(&mut self) -> Result<Vec<(u32, Cursor)>, StoreError> {
        Ok(vec![(0, self.cursor()?)])
    }
    /// How often [`Leases::claim`] must be called to keep the leases.
    fn renew_every(&self) -> Option<std::time::Duration> {
        None
    }
    /// Whether writes were refused (a lease moved on): the runner must
    /// claim again and redo what is not committed.
    fn must_claim(&self) -> bool {
        false
    }
    /// Whether this process lost `partition` to another (then what it did
    /// since the last flush is forgotten and [`Leases::must_claim`] is set).
    fn lost(&mut self, _partition: u32) -> Result<bool, StoreError> {
        Ok(false)
    }
    /// Records that `partitions` have handled the input up to `cursor`
    /// (written by the next flush).
    fn set_cursors(&mut self, _partitions: &[u32], _cursor: &Cursor) {}
    /// Whether every partition (whoever holds it) has handled the input up
    /// to `end`.
    fn finished(&mut self, _end: &Cursor) -> Result<bool, StoreError> {
        Ok(true)
    }
    /// Gives the leases up at the end of a run.
    fn release(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
}

/// The shared input of a state several `serve` processes run on: events
/// accepted by any of them, numbered in acceptance order (the part an events
/// file plays for `run`; its line number is the event's number).
pub trait Inbox {
    /// Moves the inbox's clock to now and returns the *mark*: the number of
    /// the last accepted event and the clock. Every event up to that number
    /// is readable; every later one is accepted at or after the clock.
    fn inbox_mark(&mut self) -> Result<(u64, DateTime<Utc>), StoreError>;
    /// The events numbered after `after` up to `upto`, at most `limit`, in
    /// order, each as an events-file line with its acceptance `time`.
    fn inbox_lines(
        &mut self,
        after: u64,
        upto: u64,
        limit: usize,
    ) -> Result<Vec<(u64, String)>, StoreError>;
    /// The source of a journey version published into the state, and
    /// when it was published.
    fn inbox_published(
        &mut self,
        id: &str,
        version: i64,
    ) -> Result<Option<(String, DateTime<Utc>)>, StoreError>;
    /// Forgets events every partition has handled, and ids older than they
    /// are kept.
    fn inbox_trim(&mut self) -> Result<(), StoreError>;
}

/// The inbox line that publishes a journey version: every process meets it
/// at the same point of the input.
pub fn publication_line(journey: &str, version: i64, time: DateTime<Utc>) -> String {
    serde_json::json!({
        "publish": {"journey": journey, "version": version},
        "time": jexpr::time::format_instant(&time),
    })
    .to_string()
}

/// The journey version an inbox line publishes, if it is a publication.
pub fn publication_marker(line: &str) -> Option<(String, i64)> {
    if !line.starts_with("{\"publish\"") {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    let p = v.get("publish")?;
    Some((
        p.get("journey")?.as_str()?.to_string(),
        p.get("version")?.as_i64()?,
    ))
}

/// The refusal of a store this build does not have.
#[allow(dead_code)] // with both stores built in, nothing is refused
fn without(what: &str, feature: &str) -> StoreError {
    StoreError::refused(format!(
        "this jexpr was built without {what} (cargo feature `{feature}` of jexpr-journey)"
    ))
}

/// The timers of a profile's waiting instances, in `partition`.
pub fn timer_keys(state: &ProfileState, partition: u32) -> Vec<TimerKey> {
    state
        .instances
        .values()
        .filter_map(|i| {
            i.due().map(|due| TimerKey {
                due,
                journey: i.journey.clone(),
                version: i.version,
                profile: state.id.clone(),
                instance: i.id.clone(),
                partition,
            })
        })
        .collect()
}

/// The most bytes of trace records a store writes as one value (an outbox
/// row, a statement's parameter); more are split. Far below what SQLite
/// (1,000,000,000) and PostgreSQL (1 GiB) take in one value.
pub const OUTBOX_ROW_BYTES: usize = 32 << 20;

/// `records` in consecutive groups of at most [`OUTBOX_ROW_BYTES`] (a
/// larger record alone): each group becomes one outbox row.
pub fn outbox_rows(records: &[String]) -> impl Iterator<Item = &[String]> {
    bounded_groups(records, OUTBOX_ROW_BYTES, String::len)
}

/// `items` in consecutive groups whose sizes (each `size` + 1) add up to at
/// most `bound`; an item larger than that is a group alone.
pub(crate) fn bounded_groups<T>(
    items: &[T],
    bound: usize,
    size: impl Fn(&T) -> usize,
) -> impl Iterator<Item = &[T]> {
    let mut rest = items;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut bytes = 0;
        let n = rest
            .iter()
            .take_while(|r| {
                bytes += size(r) + 1;
                bytes <= bound
            })
            .count()
            .clamp(1, rest.len());
        let (row, after) = rest.split_at(n);
        rest = after;
        Some(row)
    })
}

/// The partition of a profile: FNV-1a 64 of its id, modulo `partitions`.
/// Fixed forever for a state, since profiles are stored by it.
pub fn partition_of(profile: &str, partitions: u32) -> u32 {
    if partitions <= 1 {
        return 0;
    }
    (crate::fnv::hash(profile.as_bytes()) % u64::from(partitions)) as u32
}

#[cfg(test)]
mod tests {
    use super::{outbox_rows, OUTBOX_ROW_BYTES};

    #[test]
    fn outbox_rows_keep_every_record_once_in_order_within_the_bound() {
        let big = "x".repeat(OUTBOX_ROW_BYTES / 3);
        let huge = "y".repeat(OUTBOX_ROW_BYTES + 5);
        let records: Vec<String> = vec![big.clone(), big.clone(), big.clone(), huge, "z".into()];
        let rows: Vec<&[String]> = outbox_rows(&records).collect();
        // Two thirds fit with their newlines, the third does not; the huge
        // record is a row alone; nothing is lost or repeated.
        assert_eq!(
            rows.iter().map(|r| r.len()).collect::<Vec<_>>(),
            [2, 1, 1, 1]
        );
        assert_eq!(rows.concat(), records);
        assert_eq!(outbox_rows(&[]).count(), 0);
    }
}
