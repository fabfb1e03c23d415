//! The store in an embedded SQLite database (WAL mode): one row per profile,
//! one per instance with its due time indexed, audience members and reads,
//! the cursor, and the trace outbox (one row per input: its records, one
//! JSON line each, joined by newlines, so an input costs one insert however
//! many records it writes). Commits accumulate in one transaction
//! until [`Store::flush`], which ends it at an input boundary, so a crash
//! loses at most the unflushed inputs, which a restart redoes identically.

pub mod inspect;

use super::{Commit, Cursor, Fingerprint, Leases, StateStore, StoreError, TimerKey, TraceOutbox};
use crate::codec;
use crate::state::ProfileState;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value as Json};
use std::path::Path;

/// Bumped when the schema or the meaning of stored data changes (2: one
/// trace outbox row per input instead of one per record).
pub const FORMAT: i64 = 2;

const SCHEMA: &str = "
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE journeys(id TEXT NOT NULL, version INTEGER NOT NULL, hash TEXT NOT NULL, PRIMARY KEY(id, version));
CREATE TABLE profiles(id TEXT PRIMARY KEY, state TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE instances(
    profile TEXT NOT NULL, journey TEXT NOT NULL, version INTEGER NOT NULL,
    instance TEXT NOT NULL, node TEXT NOT NULL, due INTEGER, state TEXT NOT NULL,
    PRIMARY KEY(profile, journey)) WITHOUT ROWID;
CREATE INDEX instances_due ON instances(due, journey, version, profile, instance);
CREATE TABLE audience_members(audience TEXT NOT NULL, profile TEXT NOT NULL, PRIMARY KEY(audience, profile)) WITHOUT ROWID;
CREATE TABLE audience_reads(due INTEGER NOT NULL, journey TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY(due, journey, version)) WITHOUT ROWID;
CREATE TABLE trace(seq INTEGER PRIMARY KEY, offset INTEGER NOT NULL, records INTEGER NOT NULL, lines TEXT NOT NULL);
";

/// A journey version published over HTTP: id, version, text, and when.
pub type PublishedJourney = (String, i64, String, DateTime<Utc>);

/// The SQLite store.
pub struct SqliteStore {
    conn: Connection,
    in_transaction: bool,
    trace_bytes: u64,
    cursor: Cursor,
    /// The input position to write when the transaction ends (once per
    /// batch rather than once per input).
    pending_cursor: Option<Cursor>,
    /// What the rows of a profile read and not yet committed back held, so
    /// the commit deletes only rows that exist: (has instances, has
    /// audience memberships); absent from the table, neither.
    read: std::collections::HashMap<String, ReadAs>,
    /// The states this transaction wrote, by profile id: their rows hold
    /// exactly them, so a profile stepped again before the transaction
    /// ends (a timer after a line, an audience read) is handed back as it
    /// is instead of read and decoded again. Emptied when it ends.
    written: std::collections::HashMap<String, ProfileState>,
    /// Nothing is due before this (milliseconds): the earliest due found by
    /// the last look, lowered by every due committed since, so the many
    /// lines that fire nothing cost no query. `None`: not known yet.
    nothing_before: Option<i64>,
    /// The most bytes of trace one outbox row holds.
    row_bytes: usize,
    /// `serve`: the first outbox row indexed by profile (`trace_index`),
    /// when the trace is indexed.
    indexed_from: Option<i64>,
    /// Journey versions this open published into the state.
    published: Vec<(String, i64)>,
    /// The database file, locked while this store may write: a second run
    /// on the same state is refused instead of interleaving its commits.
    /// Declared after `conn`, so it is closed after it.
    _lock: Option<std::fs::File>,
}

fn err(context: &str) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
    move |e| {
        let message = format!("{context}: {e}");
        match e.sqlite_error_code() {
            Some(
                rusqlite::ErrorCode::SystemIoFailure
                | rusqlite::ErrorCode::DiskFull
                | rusqlite::ErrorCode::CannotOpen
                | rusqlite::ErrorCode::ReadOnly
                | rusqlite::ErrorCode::PermissionDenied,
            ) => StoreError::io(message),
            Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase) => {
                StoreError::damaged(message)
            }
            _ => StoreError::backend(message),
        }
    }
}

impl SqliteStore {
    /// A store over an open connection (holding the file's lock if it may write).
    fn over(conn: Connection, lock: Option<std::fs::File>) -> SqliteStore {
        SqliteStore {
            conn,
            in_transaction: false,
            trace_bytes: 0,
            cursor: Cursor::default(),
            pending_cursor: None,
            read: std::collections::HashMap::new(),
            written: std::collections::HashMap::new(),
            nothing_before: None,
            row_bytes: super::OUTBOX_ROW_BYTES,
            published: Vec::new(),
            indexed_from: None,
            _lock: lock,
        }
    }

    /// Opens an existing state to read it, whatever journeys it was made for.
    pub fn open_existing(path: &Path) -> Result<SqliteStore, StoreError> {
        if !path.exists() {
            return Err(StoreError::io(format!("{} does not exist", path.display())));
        }
        let name = path.display().to_string();
        let read_format = |conn: &Connection| -> rusqlite::Result<Option<String>> {
            conn.query_row("SELECT value FROM meta WHERE key = 'format'", [], |r| {
                r.get(0)
            })
            .optional()
        };
        let mut conn =
            Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
                .map_err(err(&format!("cannot open {}", path.display())))?;
        let format = match read_format(&conn) {
            // A state in WAL mode in a directory this user cannot write (a
            // copy kept for support, a read-only mount): SQLite cannot make
            // its shared-memory file, so it is read as immutable (nothing may
            // write it meanwhile, which read-only files guarantee).
            Err(e)
                if matches!(
                    e.sqlite_error_code(),
                    Some(rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::CannotOpen)
                ) =>
            {
                conn = Connection::open_with_flags(
                    immutable_uri(path),
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                        | rusqlite::OpenFlags::SQLITE_OPEN_URI,
                )
                .map_err(err(&format!("cannot open {}", path.display())))?;
                read_format(&conn)
            }
            other => other,
        }
        .map_err(|e| unreadable(&name, &e))?;
        match format {
            Some(f) if f == FORMAT.to_string() => {}
            Some(f) => {
                return Err(other_format(
                    &conn,
                    &name,
                    &f,
                    "read it with the jexpr that wrote it",
                ))
            }
            None => {
                return Err(StoreError::refused(format!(
                    "{name} is not a jexpr state database (no format)"
                )))
            }
        }
        let mut store = SqliteStore::over(conn, None);
        store.cursor = store.read_cursor()?;
        Ok(store)
    }

    /// Opens (or creates) the state at `path` for a run with `fingerprint`.
    /// A state made for other journeys, by another format, or that is not a
    /// jexpr state is refused before anything in it is changed.
    pub fn open(path: &Path, fingerprint: &Fingerprint) -> Result<SqliteStore, StoreError> {
        let lock = lock(path)?;
        let conn =
            Connection::open(path).map_err(err(&format!("cannot open {}", path.display())))?;
        let name = path.display().to_string();
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .map_err(|e| unreadable(&name, &e))?;
        let mut published = Vec::new();
        if tables.is_empty() {
            conn.pragma_update(None, "journal_mode", "WAL")
                .map_err(err("cannot use WAL mode"))?;
            // The tables and what they belong to in one transaction: a run
            // killed while creating its state leaves none of it, not tables
            // without a format that every later run would refuse.
            let tx = conn.unchecked_transaction().map_err(err("cannot start"))?;
            tx.execute_batch(SCHEMA)
                .map_err(err("cannot create the state tables"))?;
            tx.execute(
                "INSERT INTO meta VALUES ('format', ?1)",
                params![FORMAT.to_string()],
            )
            .map_err(err("meta"))?;
            tx.execute(
                "INSERT INTO meta VALUES ('jexpr', ?1)",
                params![env!("CARGO_PKG_VERSION")],
            )
            .map_err(err("meta"))?;
            for (id, version, hash) in &fingerprint.journeys {
                tx.execute(
                    "INSERT INTO journeys VALUES (?1, ?2, ?3)",
                    params![id, version, hash],
                )
                .map_err(err("journeys"))?;
            }
            tx.commit().map_err(err("cannot create the state"))?;
        } else {
            let added = check(&conn, &name, &tables, fingerprint)?;
            conn.pragma_update(None, "journal_mode", "WAL")
                .map_err(err("cannot use WAL mode"))?;
            // New journeys and new versions are published into the state.
            let tx = conn.unchecked_transaction().map_err(err("cannot start"))?;
            for (id, version, hash) in &added {
                tx.execute(
                    "INSERT INTO journeys VALUES (?1, ?2, ?3)",
                    params![id, version, hash],
                )
                .map_err(err("journeys"))?;
                published.push((id.clone(), *version));
            }
            tx.commit()
                .map_err(err("cannot publish the new journeys"))?;
        }
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err("pragma"))?;
        // Pages read through a memory map rather than copied in by a read
        // system call each (the kernel's copies were the top of a profile
        // of a durable run: issue 27), and a page cache of 64 MiB instead
        // of SQLite's 2 MiB for the profile and instance rows a run reads
        // again. The map is only for reading: writes still go through the
        // WAL, so a crash loses nothing more than before.
        conn.pragma_update(None, "mmap_size", 1i64 << 30)
            .map_err(err("pragma"))?;
        conn.pragma_update(None, "cache_size", -65536i64)
            .map_err(err("pragma"))?;
        // Checkpoints (the write-ahead log copied into the database) every
        // 10,000 pages instead of 1,000: a run writes the same pages again
        // and again, and copies them once instead of ten times. The log
        // holds up to ~40 MB more; durability is the log's either way.
        conn.pragma_update(None, "wal_autocheckpoint", 10_000i64)
            .map_err(err("pragma"))?;
        // One query plan per statement: without it SQLite re-prepared the
        // profile's instance read at every new binding (a seventh of a run).
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )
        .map_err(err("cannot configure the database"))?;
        // Every commit replaces a profile's memberships by profile id; an
        // index only (states made before it have it added, same format).
        conn.execute_batch(
            "CREATE INDEX IF NOT EXISTS audience_members_profile ON audience_members(profile)",
        )
        .map_err(err("cannot index audience members"))?;
        // Ids of events `serve` accepted (a table added in the same format:
        // a state without it has accepted none).
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS event_ids(id TEXT PRIMARY KEY) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS published_journeys(id TEXT NOT NULL, version INTEGER NOT NULL,
                 text TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY(id, version));",
        )
        .map_err(err("cannot create the serve tables"))?;
        let mut store = SqliteStore::over(conn, Some(lock));
        store.published = published;
        store.trace_bytes = store
            .conn
            .query_row(
                "SELECT COALESCE(MAX(offset + length(CAST(lines AS BLOB)) + 1), 0) FROM trace",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map_err(err("trace"))? as u64;
        store.cursor = store.read_cursor()?;
        Ok(store)
    }

    /// Publishes a journey version into the state while serving: its hash
    /// (as the fingerprint keeps it) and its text, live from `at` unless
    /// the text says otherwise. Durable with the next flush; the next start
    /// of the server reads it back ([`SqliteStore::published_journeys`]).
    pub fn publish_journey(
        &mut self,
        id: &str,
        version: i64,
        text: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.begin()?;
        let hash = Fingerprint::hash(text);
        self.conn
            .execute(
                "INSERT INTO journeys VALUES (?1, ?2, ?3)",
                params![id, version, hash],
            )
            .map_err(err("journeys"))?;
        self.conn
            .execute(
                "INSERT INTO published_journeys VALUES (?1, ?2, ?3, ?4)",
                params![id, version, text, codec::millis(at)],
            )
            .map_err(err("published journeys"))?;
        Ok(())
    }

    /// The journey versions published over HTTP into the state at `path`
    /// (id, version, text, when): none if there is no state yet.
    pub fn published_journeys(path: &Path) -> Result<Vec<PublishedJourney>, StoreError> {
        if !path.exists() {
            return Ok(Vec::new());
        }
        let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(err(&format!("cannot open {}", path.display())))?;
        let has_table: bool = conn
            .prepare(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'published_journeys'",
            )
            .and_then(|mut s| s.exists([]))
            .map_err(err("published journeys"))?;
        if !has_table {
            return Ok(Vec::new());
        }
        let rows: Vec<(String, i64, String, i64)> = conn
            .prepare("SELECT id, version, text, at FROM published_journeys ORDER BY id, version")
            .and_then(|mut s| {
                s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                    .collect()
            })
            .map_err(err("published journeys"))?;
        rows.into_iter()
            .map(|(id, v, text, at)| {
                let at = codec::instant(at).map_err(StoreError::damaged)?;
                Ok((id, v, text, at))
            })
            .collect()
    }

    /// Indexes the trace by profile from now on (`serve`: `GET /trace` of
    /// one profile reads its rows, not the whole trace). Rows written
    /// before the index existed are scanned.
    pub fn index_trace(mut self) -> Result<SqliteStore, StoreError> {
        self.conn
            .execute_batch(
                "CREATE TABLE IF NOT EXISTS trace_index(profile TEXT NOT NULL, seq INTEGER NOT NULL,
                     PRIMARY KEY(profile, seq)) WITHOUT ROWID;
                 INSERT OR IGNORE INTO meta VALUES ('trace_indexed_from',
                     (SELECT COALESCE(MAX(seq), 0) + 1 FROM trace));",
            )
            .map_err(err("cannot index the trace"))?;
        let from: String = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'trace_indexed_from'",
                [],
                |r| r.get(0),
            )
            .map_err(err("meta"))?;
        self.indexed_from = Some(
            from.parse()
                .map_err(|_| StoreError::damaged("the trace index's start is damaged"))?,
        );
        Ok(self)
    }

    /// The committed trace records about one profile, in order: from the
    /// index where the trace is indexed, else by reading it all.
    pub fn profile_trace(&mut self, id: &str) -> Result<Vec<String>, StoreError> {
        let needle = format!(
            "\"profileId\":{}",
            serde_json::Value::String(id.to_string())
        );
        let rows: Vec<String> = match self.indexed_from {
            Some(from) => {
                let mut stmt = self
                    .conn
                    .prepare_cached(
                        "SELECT lines FROM (
                           SELECT seq, lines FROM trace WHERE seq < ?1
                           UNION ALL SELECT t.seq, t.lines FROM trace_index i JOIN trace t ON t.seq = i.seq
                           WHERE i.profile = ?2)
                         ORDER BY seq",
                    )
                    .map_err(err("trace"))?;
                let rows = stmt
                    .query_map(params![from, id], |r| r.get::<_, String>(0))
                    .map_err(err("trace"))?;
                rows.collect::<Result<_, _>>().map_err(err("trace"))?
            }
            None => {
                let mut stmt = self
                    .conn
                    .prepare_cached("SELECT lines FROM trace ORDER BY seq")
                    .map_err(err("trace"))?;
                let rows = stmt
                    .query_map([], |r| r.get::<_, String>(0))
                    .map_err(err("trace"))?;
                rows.collect::<Result<_, _>>().map_err(err("trace"))?
            }
        };
        Ok(rows
            .iter()
            .flat_map(|lines| lines.split('\n'))
            .filter(|l| l.contains(&needle))
            .map(str::to_string)
            .collect())
    }

    /// Every flush reaches the disk before it returns (SQLite's
    /// `synchronous = FULL`), for a server that acknowledges what a flush
    /// made durable: an operating-system crash or power loss then keeps
    /// what was acknowledged. (A replay keeps `NORMAL`: a kill loses nothing
    /// either way, and a lost tail is simply redone.)
    pub fn sync_every_flush(self) -> Result<SqliteStore, StoreError> {
        self.conn
            .pragma_update(None, "synchronous", "FULL")
            .map_err(err("pragma"))?;
        Ok(self)
    }

    /// Lowers the most bytes SQLite takes in one value to `bytes` (and the
    /// outbox rows to half of it): for tests of states whose trace passes
    /// SQLite's limit, which is a gigabyte by default.
    #[doc(hidden)]
    pub fn with_value_limit(mut self, bytes: usize) -> SqliteStore {
        let limit = i32::try_from(bytes).unwrap_or(i32::MAX);
        let _ = self
            .conn
            .set_limit(rusqlite::limits::Limit::SQLITE_LIMIT_LENGTH, limit);
        self.row_bytes = bytes / 2;
        self
    }

    fn read_cursor(&self) -> Result<Cursor, StoreError> {
        let text: Option<String> = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = 'cursor'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(err("cursor"))?;
        let Some(text) = text else {
            return Ok(Cursor::default());
        };
        let v: Json = serde_json::from_str(&text)
            .map_err(|e| StoreError::damaged(format!("the stored cursor is damaged: {e}")))?;
        let n = |k: &str| {
            v.get(k)
                .and_then(Json::as_u64)
                .ok_or_else(|| StoreError::damaged(format!("the stored cursor has no `{k}`")))
        };
        Ok(Cursor {
            line: n("line")?,
            offset: n("offset")?,
            hash: n("hash")?,
            clock: match v.get("clock").and_then(Json::as_i64) {
                Some(ms) => Some(codec::instant(ms).map_err(StoreError::damaged)?),
                None => None,
            },
            input_errors: n("inputErrors")?,
        })
    }

    fn begin(&mut self) -> Result<(), StoreError> {
        if !self.in_transaction {
            self.conn
                .execute_batch("BEGIN IMMEDIATE")
                .map_err(err("cannot start a transaction"))?;
            self.in_transaction = true;
        }
        Ok(())
    }

    /// The connection, for `state inspect`.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// Whether a profile's audience memberships have rows.
fn has_members(state: &ProfileState) -> bool {
    state
        .profile
        .audiences
        .iter()
        .any(|(_, s)| crate::state::is_member(s))
}

/// Locks the database file itself (created if missing), released when the
/// store is dropped or the process ends, however it ends. The lock is on
/// the file, not its name: a link or another spelling of the path finds it
/// held. It is an `flock`, which SQLite's own (POSIX) locks do not see; the
/// store keeps it open until after its connection is closed, since closing
/// a descriptor of the file would drop SQLite's locks on it.
fn lock(path: &Path) -> Result<std::fs::File, StoreError> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| StoreError::io(opening(path, &e)))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::refused(format!(
            "{} is in use by another jexpr run; wait for that run to end, or give another state file",
            path.display()
        ))),
        Err(std::fs::TryLockError::Error(e)) => Err(StoreError::io(format!(
            "cannot lock {}: {e}",
            path.display()
        ))),
    }
}

/// The URI that opens `path` read-only as an immutable file.
fn immutable_uri(path: &Path) -> String {
    let mut uri = String::from("file:");
    for b in path.to_string_lossy().bytes() {
        match b {
            b'?' | b'#' | b'%' => uri.push_str(&format!("%{b:02X}")),
            _ if b.is_ascii() => uri.push(char::from(b)),
            _ => uri.push_str(&format!("%{b:02X}")),
        }
    }
    uri.push_str("?immutable=1");
    uri
}

/// What a profile's rows were when it was read: whether it had instance and
/// audience rows, and its profile row's content (absent: no row).
struct ReadAs {
    instances: bool,
    members: bool,
    profile: Option<ProfilePart>,
}

/// The content of a profile row, to tell whether a commit changed it: the
/// data by identity (it is replaced whole, never changed in place; held, so
/// its address cannot be reused meanwhile), the rest by value.
struct ProfilePart {
    data: std::sync::Arc<serde_json::Map<String, Json>>,
    audiences: crate::state::SmallMap<String>,
    fetches: Vec<crate::state::Fetch>,
    history: crate::state::SmallMap<crate::state::History>,
}

impl ReadAs {
    fn new_profile() -> ReadAs {
        ReadAs {
            instances: false,
            members: false,
            profile: None,
        }
    }

    fn of(state: &ProfileState) -> ReadAs {
        ReadAs {
            instances: !state.instances.is_empty(),
            members: has_members(state),
            profile: Some(ProfilePart {
                data: state.profile.data_sources.clone(),
                audiences: state.profile.audiences.clone(),
                fetches: state.profile.fetches.clone(),
                history: state.history.clone(),
            }),
        }
    }

    /// Whether `state`'s profile row is the one read.
    fn same_profile(&self, state: &ProfileState) -> bool {
        self.profile.as_ref().is_some_and(|p| {
            std::sync::Arc::ptr_eq(&p.data, &state.profile.data_sources)
                && p.audiences == state.profile.audiences
                && p.fetches == state.profile.fetches
                && p.history == state.history
        })
    }
}

/// Profiles kept decoded between flushes, at most.
const MAX_CACHED: usize = 200_000;

/// A state SQLite cannot read: not a database at all, or not readable here.
fn unreadable(name: &str, e: &rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => {
            StoreError::refused(format!("{name} is not a jexpr state database ({e})"))
        }
        _ => StoreError::io(format!("cannot read the state {name}: {e}")),
    }
}

/// Why a state file cannot be opened for a run, said from the user's side.
fn opening(path: &Path, e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => format!(
            "cannot open the state {} for writing (permission denied): a run writes its state; `jexpr state inspect` and `jexpr trace` read one that is read-only",
            path.display()
        ),
        std::io::ErrorKind::IsADirectory => {
            format!("the state {} is a directory: give a file", path.display())
        }
        _ => format!("cannot open the state {}: {e}", path.display()),
    }
}

/// The refusal of a state of format `format`, naming the jexpr that wrote
/// it, and what to do instead.
fn other_format(conn: &Connection, name: &str, format: &str, instead: &str) -> StoreError {
    let by: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = 'jexpr'", [], |r| {
            r.get(0)
        })
        .optional()
        .ok()
        .flatten();
    let by = by.unwrap_or_else(|| "an unknown version".into());
    StoreError::refused(format!(
        "{name} was written in state format {format} by jexpr {by}; this jexpr reads format {FORMAT}: {instead}"
    ))
}

/// Refuses a database that is not this run's state.
fn check(
    conn: &Connection,
    name: &str,
    tables: &[String],
    fingerprint: &Fingerprint,
) -> Result<Vec<(String, i64, String)>, StoreError> {
    if !tables.iter().any(|t| t == "meta") {
        return Err(StoreError::refused(format!(
            "{name} is not a jexpr state database (it has other tables); give a new file"
        )));
    }
    let meta = |key: &str| -> Result<Option<String>, StoreError> {
        conn.query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| {
            r.get(0)
        })
        .optional()
        .map_err(|e| StoreError::damaged(format!("{name} is damaged: {e}")))
    };
    match meta("format")? {
        Some(f) if f == FORMAT.to_string() => {}
        Some(f) => {
            return Err(other_format(
                conn,
                name,
                &f,
                "finish that run with the jexpr that started it, or start a new state",
            ))
        }
        None => {
            return Err(StoreError::refused(format!(
                "{name} is not a jexpr state database (no format); give a new file"
            )))
        }
    }
    let stored: Vec<(String, i64, String)> = conn
        .prepare("SELECT id, version, hash FROM journeys ORDER BY id, version")
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect()
        })
        .map_err(|e| StoreError::damaged(format!("{name} is damaged: {e}")))?;
    let comparison = fingerprint.compare(&stored);
    match comparison.refused {
        Some(diffs) => Err(StoreError::refused(format!(
            "{name} belongs to other journeys: {diffs}; run with the journeys and catalog it was started with, or start a new state"
        ))),
        None => Ok(comparison.added),
    }
}

impl StateStore for SqliteStore {
    fn profile(&mut self, id: &str) -> Result<Option<ProfileState>, StoreError> {
        if let Some(state) = self.written.remove(id) {
            self.read.insert(id.to_string(), ReadAs::of(&state));
            return Ok(Some(state));
        }
        let row: Option<String> = self
            .conn
            .prepare_cached("SELECT state FROM profiles WHERE id = ?1")
            .and_then(|mut s| s.query_row(params![id], |r| r.get(0)).optional())
            .map_err(err("profile"))?;
        let Some(text) = row else {
            self.read.insert(id.to_string(), ReadAs::new_profile());
            return Ok(None);
        };
        let damaged = |e: String| {
            StoreError::damaged(format!(
                "the stored state of profile `{id}` is damaged: {e}"
            ))
        };
        let v: Json = serde_json::from_str(&text).map_err(|e| damaged(e.to_string()))?;
        let mut state = codec::profile_from_json(id, &v).map_err(damaged)?;
        let rows: Vec<String> = self
            .conn
            .prepare_cached("SELECT state FROM instances WHERE profile = ?1 ORDER BY journey")
            .and_then(|mut s| s.query_map(params![id], |r| r.get(0))?.collect())
            .map_err(err("instances"))?;
        for text in rows {
            let v: Json = serde_json::from_str(&text).map_err(|e| damaged(e.to_string()))?;
            let inst = codec::instance_from_json(&v).map_err(damaged)?;
            state.instances.insert(inst.journey.clone(), inst);
        }
        self.read.insert(id.to_string(), ReadAs::of(&state));
        Ok(Some(state))
    }
    fn audience_members(&mut self, audience: &str, _: u32) -> Result<Vec<String>, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT profile FROM audience_members WHERE audience = ?1 ORDER BY profile",
            )
            .and_then(|mut s| s.query_map(params![audience], |r| r.get(0))?.collect())
            .map_err(err("audience members"))
    }
    fn next_due(
        &mut self,
        until: DateTime<Utc>,
        _: &[u32],
    ) -> Result<Option<TimerKey>, StoreError> {
        let until = codec::millis(until);
        if self.nothing_before.is_some_and(|b| until < b) {
            return Ok(None);
        }
        // The first timer and read whenever due: if neither is due by
        // `until`, the earlier of them bounds the next look.
        let timer: Option<(i64, String, i64, String, String)> = self
            .conn
            .prepare_cached(
                "SELECT due, journey, version, profile, instance FROM instances
                 WHERE due IS NOT NULL ORDER BY due, journey, version, profile, instance LIMIT 1",
            )
            .and_then(|mut s| {
                s.query_row([], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })
                .optional()
            })
            .map_err(err("timers"))?;
        let read: Option<(i64, String, i64)> = self
            .conn
            .prepare_cached("SELECT due, journey, version FROM audience_reads ORDER BY due, journey, version LIMIT 1")
            .and_then(|mut s| s.query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).optional())
            .map_err(err("audience reads"))?;
        let first = match (&timer, &read) {
            (Some(t), Some(r)) => t.0.min(r.0),
            (Some(t), None) => t.0,
            (None, Some(r)) => r.0,
            (None, None) => i64::MAX,
        };
        self.nothing_before = Some(first);
        if first > until {
            return Ok(None);
        }
        let key = |due: i64,
                   journey: String,
                   version: i64,
                   profile: String,
                   instance: String|
         -> Result<TimerKey, StoreError> {
            Ok(TimerKey {
                due: codec::instant(due).map_err(StoreError::damaged)?,
                journey,
                version,
                profile,
                instance,
                partition: 0,
            })
        };
        let timer = timer
            .map(|(d, j, v, p, i)| key(d, j, v, p, i))
            .transpose()?;
        let read = read
            .map(|(d, j, v)| key(d, j, v, String::new(), String::new()))
            .transpose()?;
        Ok(match (timer, read) {
            (Some(t), Some(r)) => Some(t.min(r)),
            (t, r) => t.or(r),
        })
    }
    fn commit(&mut self, commit: Commit) -> Result<(), StoreError> {
        self.begin()?;
        let c = &self.conn;
        for id in &commit.event_ids {
            c.prepare_cached("INSERT OR IGNORE INTO event_ids VALUES (?1)")
                .and_then(|mut s| s.execute(params![id]))
                .map_err(err("event ids"))?;
        }
        for k in &commit.reads_done {
            c.prepare_cached(
                "DELETE FROM audience_reads WHERE due = ?1 AND journey = ?2 AND version = ?3",
            )
            .and_then(|mut s| s.execute(params![codec::millis(k.due), k.journey, k.version]))
            .map_err(err("audience reads"))?;
        }
        let mut earliest = i64::MAX;
        for k in &commit.reads_scheduled {
            earliest = earliest.min(codec::millis(k.due));
            c.prepare_cached("INSERT OR IGNORE INTO audience_reads VALUES (?1, ?2, ?3)")
                .and_then(|mut s| s.execute(params![codec::millis(k.due), k.journey, k.version]))
                .map_err(err("audience reads"))?;
        }
        for state in &commit.profiles {
            let id = &state.id;
            // Rows this profile had when read; unknown (not read): assume any.
            let was = self.read.remove(id);
            let (had_instances, had_members) = was
                .as_ref()
                .map_or((true, true), |r| (r.instances, r.members));
            // The profile row (data, audiences, fetches, history) is
            // written only when it changed: most steps change instances
            // only, and serialising a profile's data was the top of a
            // durable run's profile (issue 27).
            if was.is_none_or(|r| !r.same_profile(state)) {
                c.prepare_cached("INSERT OR REPLACE INTO profiles VALUES (?1, ?2)")
                    .and_then(|mut s| s.execute(params![id, codec::profile_text(state)]))
                    .map_err(err("profiles"))?;
            }
            if had_instances {
                c.prepare_cached("DELETE FROM instances WHERE profile = ?1")
                    .and_then(|mut s| s.execute(params![id]))
                    .map_err(err("instances"))?;
            }
            for inst in state.instances.values() {
                let due = inst.due().map(codec::millis);
                earliest = earliest.min(due.unwrap_or(i64::MAX));
                c.prepare_cached("INSERT INTO instances VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
                    .and_then(|mut s| {
                        s.execute(params![
                            id,
                            inst.journey,
                            inst.version,
                            inst.id,
                            inst.node,
                            due,
                            codec::instance_text(inst)
                        ])
                    })
                    .map_err(err("instances"))?;
            }
            if had_members {
                c.prepare_cached("DELETE FROM audience_members WHERE profile = ?1")
                    .and_then(|mut s| s.execute(params![id]))
                    .map_err(err("audiences"))?;
            }
            for (audience, status) in &state.profile.audiences {
                if crate::state::is_member(status) {
                    c.prepare_cached("INSERT INTO audience_members VALUES (?1, ?2)")
                        .and_then(|mut s| s.execute(params![audience, id]))
                        .map_err(err("audiences"))?;
                }
            }
        }
        // One row per input, split where it grows past a row's bound: an
        // audience read of many members can trace more than SQLite stores
        // in one value, and a state must never be wedged by its own trace.
        for records in super::bounded_groups(&commit.trace, self.row_bytes, String::len) {
            let lines = records.join("\n");
            c.prepare_cached("INSERT INTO trace(offset, records, lines) VALUES (?1, ?2, ?3)")
                .and_then(|mut s| {
                    s.execute(params![
                        self.trace_bytes as i64,
                        records.len() as i64,
                        lines
                    ])
                })
                .map_err(err("trace"))?;
            self.trace_bytes += lines.len() as u64 + 1;
            if self.indexed_from.is_some() {
                let seq = c.last_insert_rowid();
                for state in &commit.profiles {
                    c.prepare_cached("INSERT OR IGNORE INTO trace_index VALUES (?1, ?2)")
                        .and_then(|mut s| s.execute(params![state.id, seq]))
                        .map_err(err("trace index"))?;
                }
            }
        }
        self.nothing_before = self.nothing_before.map(|b| b.min(earliest));
        for state in commit.profiles {
            self.written.insert(state.id.clone(), state);
        }
        if commit.initialize {
            c.execute(
                "INSERT OR REPLACE INTO meta VALUES ('initialized', '1')",
                [],
            )
            .map_err(err("meta"))?;
        }
        if let Some(cursor) = commit.cursor {
            self.pending_cursor = Some(cursor.clone());
            self.cursor = cursor;
        }
        Ok(())
    }
    fn waiting(&mut self) -> Result<usize, StoreError> {
        self.conn
            .query_row("SELECT COUNT(*) FROM instances", [], |r| r.get::<_, i64>(0))
            .map(|n| n as usize)
            .map_err(err("count"))
    }
    fn initialized(&mut self) -> Result<bool, StoreError> {
        self.conn
            .query_row(
                "SELECT COUNT(*) FROM meta WHERE key = 'initialized'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)
            .map_err(err("meta"))
    }
    fn cursor(&mut self) -> Result<Cursor, StoreError> {
        Ok(self.cursor.clone())
    }
    fn flush(&mut self) -> Result<(), StoreError> {
        if self.in_transaction {
            // The position goes in the same transaction as what it covers.
            if let Some(cursor) = self.pending_cursor.take() {
                let v = json!({
                    "line": cursor.line, "offset": cursor.offset, "hash": cursor.hash,
                    "clock": cursor.clock.map(codec::millis), "inputErrors": cursor.input_errors,
                });
                self.conn
                    .prepare_cached("INSERT OR REPLACE INTO meta VALUES ('cursor', ?1)")
                    .and_then(|mut s| s.execute(params![v.to_string()]))
                    .map_err(err("cursor"))?;
            }
            self.conn
                .execute_batch("COMMIT")
                .map_err(err("cannot commit"))?;
            self.in_transaction = false;
            // The states just made durable stay as a cache: this process
            // holds the state's lock, so nothing else changes them, and a
            // profile read again needs neither its rows nor their JSON
            // parsed (issue 27). Bounded: past it, forgotten and re-read.
            if self.written.len() > MAX_CACHED {
                self.written.clear();
            }
        }
        Ok(())
    }
    fn newly_published(&mut self) -> Vec<(String, i64)> {
        std::mem::take(&mut self.published)
    }
    fn event_seen(&mut self, id: &str) -> Result<bool, StoreError> {
        self.conn
            .prepare_cached("SELECT 1 FROM event_ids WHERE id = ?1")
            .and_then(|mut s| s.exists(params![id]))
            .map_err(err("event ids"))
    }
}

impl TraceOutbox for SqliteStore {
    fn trace_bytes(&mut self) -> Result<u64, StoreError> {
        Ok(self.trace_bytes)
    }
    fn trace_from(&mut self, offset: u64) -> Result<Vec<(u64, String)>, StoreError> {
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        self.conn
            .prepare("SELECT offset, lines FROM trace WHERE offset + length(CAST(lines AS BLOB)) + 1 > ?1 ORDER BY seq")
            .and_then(|mut s| s.query_map(params![offset], |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)))?.collect())
            .map_err(err("trace"))
    }
}

impl Leases for SqliteStore {}

/// Every trace record of the state at `path`, in the order committed.
pub fn trace_lines(path: &Path) -> Result<Vec<String>, StoreError> {
    let sqlite = SqliteStore::open_existing(path)?;
    let rows = sqlite
        .connection()
        .prepare("SELECT lines FROM trace ORDER BY seq")
        .and_then(|mut s| {
            s.query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<String>, _>>()
        })
        .map_err(|e| StoreError::backend(format!("{}: {e}", path.display())))?;
    Ok(rows
        .iter()
        .flat_map(|lines| lines.split('\n').map(str::to_string))
        .collect())
}
