//! The store in PostgreSQL, shared by several runner processes.
//!
//! Profiles hash into a fixed number of partitions ([`partition_of`]). A
//! process leases partitions through `jexpr_partitions` rows (owner, expiry,
//! generation), renews them by heartbeat, takes its fair share of the live
//! processes' total, and takes over leases that expired. Commits are kept in
//! memory and written by [`Store::flush`] in one transaction that first
//! updates each partition's row *where the owner and generation are still
//! this process's*: if a lease moved on, nothing of the batch is written
//! (fencing), the process forgets what it did and starts again from what is
//! committed. Timers of held partitions are indexed in memory, loaded when a
//! partition is taken. Leases are claimed with `FOR UPDATE SKIP LOCKED`, as
//! PostgreSQL job queues do, so processes never wait on each other's rows.

mod inbox;
pub mod inspect;

pub use inbox::{published, Offer, PostgresInbox, PostgresListener, Publication, Published};

use super::{
    partition_of, Commit, Cursor, Fingerprint, Leases, StateStore, StoreError, TimerKey,
    TraceOutbox,
};
use crate::codec;
use crate::state::ProfileState;
use chrono::{DateTime, Utc};
use postgres::{Client, NoTls, Statement};
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

/// Bumped when the schema or the meaning of stored data changes.
pub const FORMAT: i64 = 1;

/// Partitions of a new state unless told otherwise.
pub const DEFAULT_PARTITIONS: u32 = 64;

const SCHEMA: &str = "
CREATE TABLE jexpr_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE jexpr_journeys(id TEXT NOT NULL, version BIGINT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY(id, version));
CREATE TABLE jexpr_partitions(
    id INTEGER PRIMARY KEY, owner TEXT, generation BIGINT NOT NULL DEFAULT 0, expires_at TIMESTAMPTZ,
    line BIGINT NOT NULL DEFAULT 0, byte_offset BIGINT NOT NULL DEFAULT 0, hash BIGINT NOT NULL DEFAULT 0,
    clock BIGINT, input_errors BIGINT NOT NULL DEFAULT 0, next_seq BIGINT NOT NULL DEFAULT 0);
CREATE TABLE jexpr_runners(name TEXT PRIMARY KEY, heartbeat TIMESTAMPTZ NOT NULL);
CREATE TABLE jexpr_profiles(id TEXT PRIMARY KEY, partition INTEGER NOT NULL, state TEXT NOT NULL,
    instances TEXT NOT NULL, waiting INTEGER NOT NULL);
CREATE TABLE jexpr_audience_members(partition INTEGER NOT NULL, audience TEXT NOT NULL, profile TEXT NOT NULL,
    PRIMARY KEY(partition, audience, profile));
CREATE INDEX jexpr_audience_members_profile ON jexpr_audience_members(profile);
CREATE TABLE jexpr_timers(partition INTEGER NOT NULL, due BIGINT NOT NULL, journey TEXT NOT NULL,
    version BIGINT NOT NULL, profile TEXT NOT NULL, instance TEXT NOT NULL);
CREATE INDEX jexpr_timers_partition ON jexpr_timers(partition, due);
CREATE INDEX jexpr_timers_profile ON jexpr_timers(profile);
CREATE TABLE jexpr_trace(partition INTEGER NOT NULL, seq BIGINT NOT NULL, line TEXT NOT NULL,
    PRIMARY KEY(partition, seq));
";

/// Profiles kept in memory between flushes, at most (then forgotten and read
/// again as needed).
const MAX_CACHED: usize = 200_000;

/// Advisory lock key under which a state is created and set up.
const SETUP_LOCK: i64 = 0x6a65_7870_7200;

/// How a process joins a PostgreSQL state.
#[derive(Clone, Debug)]
pub struct PostgresOptions {
    /// The connection URL (`postgres://user@host:port/db`).
    pub url: String,
    /// This process's name in the lease table (unique among live processes).
    pub process: String,
    /// How long a lease lasts without renewal.
    pub lease: Duration,
    /// Partitions of a new state (an existing state keeps its own).
    pub partitions: Option<u32>,
    /// The state is `serve`'s (its input is the shared inbox), not `run`'s
    /// (an events file); a state is one or the other for good.
    pub served: bool,
}

/// A partition this process holds: the generation it was leased under and
/// the next trace sequence number.
#[derive(Clone, Copy, Debug)]
struct Held {
    generation: i64,
    next_seq: i64,
}

/// A trace line waiting for the flush.
struct PendingTrace {
    partition: u32,
    seq: i64,
    line: String,
}

/// The PostgreSQL store.
pub struct PostgresStore {
    client: Client,
    url: String,
    name: String,
    lease: Duration,
    partitions: u32,
    held: BTreeMap<u32, Held>,
    /// Timers and audience reads of the held partitions.
    timers: BTreeSet<TimerKey>,
    /// Profile → its keys in `timers`.
    timers_of: HashMap<String, Vec<TimerKey>>,
    /// Changes since the last flush.
    dirty: HashMap<String, (u32, ProfileState)>,
    /// Committed states of profiles of held partitions: no other process
    /// writes them while the lease holds, so they need not be read again.
    cache: HashMap<String, (u32, ProfileState)>,
    reads_done: Vec<TimerKey>,
    reads_scheduled: Vec<TimerKey>,
    trace: Vec<PendingTrace>,
    cursors: BTreeMap<u32, Cursor>,
    /// Partitions whose writes were refused since the last claim: what is in
    /// memory is forgotten and reloaded.
    lost: bool,
    select_profile: Statement,
}

fn pg(context: &str) -> impl Fn(postgres::Error) -> StoreError + '_ {
    move |e| StoreError::backend(format!("PostgreSQL, {context}: {}", detail(&e)))
}

/// What went wrong, in the server's words when it said something (the
/// driver's own text for a server error is only "db error"), else the
/// driver's with its cause.
fn detail(e: &postgres::Error) -> String {
    if let Some(d) = e.as_db_error() {
        let mut text = format!("{} ({})", d.message(), d.code().code());
        if let Some(hint) = d.hint() {
            text.push_str(&format!("; hint: {hint}"));
        }
        return text;
    }
    match std::error::Error::source(e) {
        Some(cause) if !e.to_string().contains(&cause.to_string()) => format!("{e}: {cause}"),
        _ => e.to_string(),
    }
}

/// How long connecting may take (TCP, then the server's start-up answer)
/// when the URL gives no `connect_timeout`.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The URL without its password, for messages.
fn shown(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

fn connect(url: &str, lease: Duration) -> Result<Client, StoreError> {
    let cannot = |why: String| {
        StoreError::backend(format!(
            "cannot connect to PostgreSQL at {}: {why}",
            shown(url)
        ))
    };
    let mut config: postgres::Config = url
        .parse()
        .map_err(|e: postgres::Error| cannot(detail(&e)))?;
    let timeout = config
        .get_connect_timeout()
        .copied()
        .unwrap_or(CONNECT_TIMEOUT);
    // A dead peer or a cut network ends the connection with an error
    // instead of a wait without end.
    config
        .connect_timeout(timeout)
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(10))
        .keepalives_interval(Duration::from_secs(5))
        .keepalives_retries(3)
        .tcp_user_timeout(lease.max(Duration::from_secs(30)));
    // The driver bounds only the TCP connect: a server that accepts and
    // never answers its start-up would hang it. The connection is made on
    // a thread given the same time for the answer; past it the caller gets
    // an error (and the thread, still blocked, ends with the process).
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("jexpr-pg-connect".into())
        .spawn(move || {
            let _ = tx.send(config.connect(NoTls));
        })
        .map_err(|e| cannot(format!("cannot start connecting: {e}")))?;
    let mut client = match rx.recv_timeout(timeout * 2) {
        Ok(Ok(client)) => client,
        Ok(Err(e)) => return Err(cannot(detail(&e))),
        Err(_) => {
            return Err(cannot(format!(
                "no answer within {} s (is it a PostgreSQL server? set connect_timeout in the URL to wait longer)",
                (timeout * 2).as_secs()
            )))
        }
    };
    // A process stopped inside a transaction would hold its partition rows
    // locked: the server ends such a session after one lease.
    let ms = lease.as_millis().clamp(1000, 3_600_000);
    client
        .batch_execute(&format!(
            "SET idle_in_transaction_session_timeout = {ms}; SET lock_timeout = {ms}; SET statement_timeout = {}",
            ms.max(60_000)
        ))
        .map_err(pg("session settings"))?;
    Ok(client)
}

impl PostgresStore {
    /// Connects, creates the state on first use (under an advisory lock, so
    /// processes starting together create it once) and checks that it
    /// belongs to these journeys and this format.
    pub fn open(
        options: &PostgresOptions,
        fingerprint: &Fingerprint,
    ) -> Result<PostgresStore, StoreError> {
        let mut client = connect(&options.url, options.lease)?;
        let mut tx = client.transaction().map_err(pg("begin"))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SETUP_LOCK])
            .map_err(pg("setup lock"))?;
        let exists: bool = tx
            .query_one("SELECT to_regclass('jexpr_meta') IS NOT NULL", &[])
            .map_err(pg("schema"))?
            .get(0);
        let partitions = if exists {
            let partitions = check(&mut tx, fingerprint)?;
            check_input(&mut tx, options.served)?;
            if let Some(asked) = options.partitions {
                if asked != partitions {
                    return Err(StoreError::refused(format!(
                        "this state has {partitions} partitions, fixed when it was created; leave --partitions out or give {partitions}"
                    )));
                }
            }
            partitions
        } else {
            let partitions = options.partitions.unwrap_or(DEFAULT_PARTITIONS);
            if !(1..=4096).contains(&partitions) {
                return Err(StoreError::refused(format!(
                    "--partitions must be between 1 and 4096, not {partitions}"
                )));
            }
            tx.batch_execute(SCHEMA)
                .map_err(pg("cannot create the state tables"))?;
            if options.served {
                tx.execute("INSERT INTO jexpr_meta VALUES ('input', 'serve')", &[])
                    .map_err(pg("meta"))?;
            }
            for (k, v) in [
                ("format", FORMAT.to_string()),
                ("jexpr", env!("CARGO_PKG_VERSION").to_string()),
                ("partitions", partitions.to_string()),
            ] {
                tx.execute("INSERT INTO jexpr_meta VALUES ($1, $2)", &[&k, &v])
                    .map_err(pg("meta"))?;
            }
            for (id, version, hash) in &fingerprint.journeys {
                tx.execute(
                    "INSERT INTO jexpr_journeys VALUES ($1, $2, $3)",
                    &[id, version, hash],
                )
                .map_err(pg("journeys"))?;
            }
            tx.execute(
                "INSERT INTO jexpr_partitions(id) SELECT generate_series(0, $1 - 1)",
                &[&(partitions as i32)],
            )
            .map_err(pg("partitions"))?;
            partitions
        };
        if options.served {
            tx.batch_execute(inbox::SCHEMA)
                .map_err(pg("cannot create the inbox tables"))?;
            check_columns_of(&mut tx, inbox::COLUMNS)?;
        }
        tx.commit().map_err(pg("cannot create the state"))?;
        let select_profile = client
            .prepare("SELECT state, instances FROM jexpr_profiles WHERE id = $1")
            .map_err(pg("prepare"))?;
        Ok(PostgresStore {
            client,
            url: options.url.clone(),
            name: options.process.clone(),
            lease: options.lease,
            partitions,
            held: BTreeMap::new(),
            timers: BTreeSet::new(),
            timers_of: HashMap::new(),
            dirty: HashMap::new(),
            cache: HashMap::new(),
            reads_done: Vec::new(),
            reads_scheduled: Vec::new(),
            trace: Vec::new(),
            cursors: BTreeMap::new(),
            lost: false,
            select_profile,
        })
    }

    /// Connects to an existing state to read it (`state inspect`, `trace`).
    pub fn connect_existing(url: &str) -> Result<Client, StoreError> {
        let mut client = connect(url, Duration::from_secs(60))?;
        let exists: bool = client
            .query_one("SELECT to_regclass('jexpr_meta') IS NOT NULL", &[])
            .map_err(pg("schema"))?
            .get(0);
        if !exists {
            return Err(StoreError::refused(format!(
                "{} holds no jexpr state (no table jexpr_meta)",
                shown(url)
            )));
        }
        let format: Option<String> = client
            .query_opt(
                "SELECT value::text FROM jexpr_meta WHERE key::text = 'format'",
                &[],
            )
            .map_err(pg("meta"))?
            .and_then(|r| r.try_get(0).ok());
        if format.as_deref() != Some(&FORMAT.to_string()) {
            return Err(StoreError::refused(format!(
                "{} holds a jexpr state of format {}; this jexpr reads format {FORMAT}",
                shown(url),
                format.unwrap_or_else(|| "?".into())
            )));
        }
        check_columns(&mut client)?;
        Ok(client)
    }

    /// After a failed transaction: if the server ended the session (this
    /// process was stopped inside a transaction for longer than a lease),
    /// connect again and forget what was not committed; the leases decide
    /// what this process may still do. Any other failure stops the run.
    fn after_failure(&mut self, result: Result<(), StoreError>) -> Result<(), StoreError> {
        let Err(e) = result else { return Ok(()) };
        if !self.client.is_closed() {
            return Err(e);
        }
        let client = connect(&self.url, self.lease).map_err(|again| {
            StoreError::backend(format!("{e}; connecting again failed: {again}"))
        })?;
        self.client = client;
        self.select_profile = self
            .client
            .prepare("SELECT state, instances FROM jexpr_profiles WHERE id = $1")
            .map_err(pg("prepare"))?;
        self.forget();
        Ok(())
    }

    fn try_flush(&mut self) -> Result<(), StoreError> {
        if self.lost {
            // Everything since the refused flush built on forgotten state.
            self.forget();
            return Ok(());
        }
        let mut touched: BTreeSet<u32> = self.cursors.keys().copied().collect();
        touched.extend(self.trace.iter().map(|t| t.partition));
        touched.extend(self.dirty.values().map(|(p, _)| *p));
        touched.extend(self.reads_done.iter().map(|k| k.partition));
        touched.extend(self.reads_scheduled.iter().map(|k| k.partition));
        if touched.is_empty() {
            return Ok(());
        }
        let mut tx = self.client.transaction().map_err(pg("begin"))?;
        // The fence: each partition's row is updated only while this process
        // still holds it under the same generation; the row lock also makes
        // a concurrent take-over wait for this transaction.
        for p in &touched {
            let Some(held) = self.held.get(p) else {
                drop(tx);
                self.forget();
                return Ok(());
            };
            let c = self.cursors.get(p);
            let updated = match c {
                Some(c) => tx.execute(
                    "UPDATE jexpr_partitions SET line = $3, byte_offset = $4, hash = $5, clock = $6, input_errors = $7, next_seq = $8
                     WHERE id = $1 AND owner = $2 AND generation = $9",
                    &[
                        &(*p as i32),
                        &self.name,
                        &(c.line as i64),
                        &(c.offset as i64),
                        &(c.hash as i64),
                        &c.clock.map(codec::millis),
                        &(c.input_errors as i64),
                        &held.next_seq,
                        &held.generation,
                    ],
                ),
                None => tx.execute(
                    "UPDATE jexpr_partitions SET next_seq = $3 WHERE id = $1 AND owner = $2 AND generation = $4",
                    &[&(*p as i32), &self.name, &held.next_seq, &held.generation],
                ),
            }
            .map_err(pg("partition lease"))?;
            if updated != 1 {
                drop(tx);
                self.forget();
                return Ok(());
            }
        }
        let profiles: Vec<(u32, ProfileState)> = self.dirty.drain().map(|(_, v)| v).collect();
        write_profiles(&mut tx, &profiles)?;
        write_timers(&mut tx, &self.reads_done, &self.reads_scheduled)?;
        // In statements of bounded size: one array parameter of a whole
        // batch's records could pass what the server takes in one value.
        for chunk in super::bounded_groups(&self.trace, super::OUTBOX_ROW_BYTES, |t| t.line.len()) {
            let parts: Vec<i32> = chunk.iter().map(|t| t.partition as i32).collect();
            let seqs: Vec<i64> = chunk.iter().map(|t| t.seq).collect();
            let lines: Vec<&str> = chunk.iter().map(|t| t.line.as_str()).collect();
            tx.execute(
                "INSERT INTO jexpr_trace SELECT * FROM unnest($1::int[], $2::bigint[], $3::text[])",
                &[&parts, &seqs, &lines],
            )
            .map_err(pg("trace"))?;
        }
        tx.commit().map_err(pg("cannot commit"))?;
        if self.cache.len() + profiles.len() > MAX_CACHED {
            self.cache.clear();
        }
        for (p, state) in profiles {
            self.cache.insert(state.id.clone(), (p, state));
        }
        self.reads_done.clear();
        self.reads_scheduled.clear();
        self.trace.clear();
        self.cursors.clear();
        Ok(())
    }

    fn try_claim(&mut self) -> Result<Vec<(u32, Cursor)>, StoreError> {
        let lease_ms = self.lease.as_millis().min(i64::MAX as u128) as i64;
        let mut tx = self.client.transaction().map_err(pg("begin"))?;
        tx.execute(
            "INSERT INTO jexpr_runners VALUES ($1, now()) ON CONFLICT (name) DO UPDATE SET heartbeat = now()",
            &[&self.name],
        )
        .map_err(pg("heartbeat"))?;
        let live: i64 = tx
            .query_one(
                "SELECT count(*) FROM jexpr_runners WHERE heartbeat > now() - $1 * interval '1 millisecond'",
                &[&(lease_ms as f64)],
            )
            .map_err(pg("runners"))?
            .get(0);
        let live = u32::try_from(live.max(1)).unwrap_or(u32::MAX);
        let share = self.partitions.div_ceil(live);
        // Renew what is still ours; what is not has been taken over.
        let ids: Vec<i32> = self.held.keys().map(|p| *p as i32).collect();
        let gens: Vec<i64> = self.held.values().map(|h| h.generation).collect();
        let renewed: BTreeSet<u32> = tx
            .query(
                "UPDATE jexpr_partitions p SET expires_at = now() + $2 * interval '1 millisecond'
                 FROM unnest($3::int[], $4::bigint[]) AS h(id, generation)
                 WHERE p.id = h.id AND p.generation = h.generation AND p.owner = $1 RETURNING p.id",
                &[&self.name, &(lease_ms as f64), &ids, &gens],
            )
            .map_err(pg("renew leases"))?
            .into_iter()
            .map(|r| r.get::<_, i32>(0) as u32)
            .collect();
        self.held.retain(|p, _| renewed.contains(p));
        // More than the fair share (a process joined): give the rest back.
        while self.held.len() > share as usize {
            let Some((p, h)) = self.held.pop_last() else {
                break;
            };
            tx.execute(
                "UPDATE jexpr_partitions SET owner = NULL, expires_at = NULL WHERE id = $1 AND owner = $2 AND generation = $3",
                &[&(p as i32), &self.name, &h.generation],
            )
            .map_err(pg("release"))?;
        }
        // Less: take free or expired partitions (and our own from before a
        // restart), each under a new generation that fences the old holder.
        let mut taken = Vec::new();
        let room = share as usize - self.held.len().min(share as usize);
        if room > 0 {
            let held: Vec<i32> = self.held.keys().map(|p| *p as i32).collect();
            let rows = tx
                .query(
                    "WITH free AS (
                        SELECT id FROM jexpr_partitions
                        WHERE (owner IS NULL OR expires_at < now() OR owner = $1) AND NOT (id = ANY($3))
                        ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED)
                     UPDATE jexpr_partitions p SET owner = $1, generation = p.generation + 1,
                        expires_at = now() + $2 * interval '1 millisecond'
                     FROM free WHERE p.id = free.id RETURNING p.id, p.generation, p.next_seq",
                    &[&self.name, &(lease_ms as f64), &held, &(room as i64)],
                )
                .map_err(pg("claim"))?;
            for r in rows {
                let p = r.get::<_, i32>(0) as u32;
                self.held.insert(
                    p,
                    Held {
                        generation: r.get(1),
                        next_seq: r.get(2),
                    },
                );
                taken.push(p);
            }
        }
        tx.commit().map_err(pg("cannot commit the leases"))?;
        if self.lost {
            // What was in memory included refused writes: reload it all.
            self.lost = false;
            self.timers.clear();
            self.timers_of.clear();
            let all: Vec<u32> = self.held.keys().copied().collect();
            self.load_timers(&all)?;
            // Trace numbering goes on from what is committed.
            for p in &all {
                let next: i64 = self
                    .client
                    .query_one(
                        "SELECT next_seq FROM jexpr_partitions WHERE id = $1",
                        &[&(*p as i32)],
                    )
                    .map_err(pg("partitions"))?
                    .get(0);
                if let Some(h) = self.held.get_mut(p) {
                    h.next_seq = next;
                }
            }
        } else {
            // Partitions given up or lost leave the index; new ones join it.
            let held = &self.held;
            self.cache.retain(|_, (p, _)| held.contains_key(p));
            self.timers.retain(|k| held.contains_key(&k.partition));
            self.timers_of.retain(|_, keys| {
                keys.first()
                    .is_some_and(|k| held.contains_key(&k.partition))
            });
            self.load_timers(&taken)?;
        }
        let ids: Vec<i32> = self.held.keys().map(|p| *p as i32).collect();
        let rows = self
            .client
            .query(
                "SELECT id, line, byte_offset, hash, clock, input_errors FROM jexpr_partitions WHERE id = ANY($1) ORDER BY id",
                &[&ids],
            )
            .map_err(pg("cursors"))?;
        rows.iter()
            .map(|r| Ok((r.get::<_, i32>(0) as u32, cursor_of(r, 1)?)))
            .collect()
    }

    /// A profile's committed state, read from the database.
    fn read_profile(&mut self, id: &str) -> Result<Option<ProfileState>, StoreError> {
        let row = self
            .client
            .query_opt(&self.select_profile, &[&id])
            .map_err(pg("profile"))?;
        let Some(row) = row else { return Ok(None) };
        let damaged = |e: String| {
            StoreError::damaged(format!(
                "the stored state of profile `{id}` is damaged: {e}"
            ))
        };
        let state_text: String = row.get(0);
        let instances_text: String = row.get(1);
        let v: Json = serde_json::from_str(&state_text).map_err(|e| damaged(e.to_string()))?;
        let mut state = codec::profile_from_json(id, &v).map_err(damaged)?;
        let list: Json =
            serde_json::from_str(&instances_text).map_err(|e| damaged(e.to_string()))?;
        for v in list.as_array().into_iter().flatten() {
            let inst = codec::instance_from_json(v).map_err(damaged)?;
            state.instances.insert(inst.journey.clone(), inst);
        }
        Ok(Some(state))
    }

    /// A profile's state (committed, or changed since and not flushed)
    /// without taking it from the store: a read for display.
    pub fn peek_profile(&mut self, id: &str) -> Result<Option<ProfileState>, StoreError> {
        if let Some((_, state)) = self.dirty.get(id).or_else(|| self.cache.get(id)) {
            return Ok(Some(state.clone()));
        }
        self.read_profile(id)
    }

    /// The committed trace records about one profile, in order.
    pub fn profile_trace(&mut self, id: &str) -> Result<Vec<String>, StoreError> {
        let needle = format!("\"profileId\":{}", Json::String(id.to_string()));
        let partition = partition_of(id, self.partitions) as i32;
        Ok(self
            .client
            .query(
                "SELECT line FROM jexpr_trace WHERE partition = $1 AND strpos(line, $2) > 0 ORDER BY seq",
                &[&partition, &needle],
            )
            .map_err(pg("trace"))?
            .into_iter()
            .map(|r| r.get(0))
            .collect())
    }

    /// Every committed trace record, by partition and sequence.
    pub fn all_trace(&mut self) -> Result<Vec<String>, StoreError> {
        Ok(self
            .client
            .query("SELECT line FROM jexpr_trace ORDER BY partition, seq", &[])
            .map_err(pg("trace"))?
            .into_iter()
            .map(|r| r.get(0))
            .collect())
    }

    /// Whether the database answers.
    pub fn ping(&mut self) -> bool {
        self.client.simple_query("SELECT 1").is_ok()
    }

    /// Forgets everything not committed, after writes were refused.
    fn forget(&mut self) {
        self.dirty.clear();
        self.cache.clear();
        self.reads_done.clear();
        self.reads_scheduled.clear();
        self.trace.clear();
        self.cursors.clear();
        self.timers.clear();
        self.timers_of.clear();
        self.lost = true;
    }

    /// Loads the timers of `partitions` into the in-memory index.
    fn load_timers(&mut self, partitions: &[u32]) -> Result<(), StoreError> {
        if partitions.is_empty() {
            return Ok(());
        }
        let ids: Vec<i32> = partitions.iter().map(|p| *p as i32).collect();
        let rows = self
            .client
            .query(
                "SELECT partition, due, journey, version, profile, instance FROM jexpr_timers WHERE partition = ANY($1)",
                &[&ids],
            )
            .map_err(pg("timers"))?;
        for row in rows {
            let partition: i32 = row.get(0);
            let key = TimerKey {
                due: codec::instant(row.get(1)).map_err(StoreError::damaged)?,
                journey: row.get(2),
                version: row.get(3),
                profile: row.get(4),
                instance: row.get(5),
                partition: partition as u32,
            };
            if !key.profile.is_empty() {
                self.timers_of
                    .entry(key.profile.clone())
                    .or_default()
                    .push(key.clone());
            }
            self.timers.insert(key);
        }
        Ok(())
    }

    fn index_profile(&mut self, partition: u32, state: &ProfileState) {
        for k in self.timers_of.remove(&state.id).unwrap_or_default() {
            self.timers.remove(&k);
        }
        let keys = super::timer_keys(state, partition);
        self.timers.extend(keys.iter().cloned());
        if !keys.is_empty() {
            self.timers_of.insert(state.id.clone(), keys);
        }
    }

    /// Writes the profiles file and the first audience reads, once for all
    /// processes.
    fn initialize(&mut self, commit: Commit) -> Result<(), StoreError> {
        let mut tx = self.client.transaction().map_err(pg("begin"))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SETUP_LOCK])
            .map_err(pg("setup lock"))?;
        let done = tx
            .query_opt("SELECT 1 FROM jexpr_meta WHERE key = 'initialized'", &[])
            .map_err(pg("meta"))?
            .is_some();
        if done {
            return Ok(());
        }
        let mut profiles: BTreeMap<String, (u32, ProfileState)> = BTreeMap::new();
        for state in commit.profiles {
            let p = partition_of(&state.id, self.partitions);
            profiles.insert(state.id.clone(), (p, state));
        }
        let profiles: Vec<(u32, ProfileState)> = profiles.into_values().collect();
        write_profiles(&mut tx, &profiles)?;
        write_timers(&mut tx, &[], &commit.reads_scheduled)?;
        tx.execute("INSERT INTO jexpr_meta VALUES ('initialized', '1')", &[])
            .map_err(pg("meta"))?;
        tx.commit().map_err(pg("cannot set the run up"))
    }
}

/// Every column of the state's tables with its type and whether it may be
/// null, as [`SCHEMA`] creates them. Rows are read with `Row::get`, which
/// panics on a type it does not expect: a database whose tables differ (an
/// edited or foreign schema) is refused here instead.
const COLUMNS: &[(&str, &str, &str, bool)] = &[
    ("jexpr_meta", "key", "text", false),
    ("jexpr_meta", "value", "text", false),
    ("jexpr_journeys", "id", "text", false),
    ("jexpr_journeys", "version", "bigint", false),
    ("jexpr_journeys", "hash", "text", false),
    ("jexpr_partitions", "id", "integer", false),
    ("jexpr_partitions", "owner", "text", true),
    ("jexpr_partitions", "generation", "bigint", false),
    (
        "jexpr_partitions",
        "expires_at",
        "timestamp with time zone",
        true,
    ),
    ("jexpr_partitions", "line", "bigint", false),
    ("jexpr_partitions", "byte_offset", "bigint", false),
    ("jexpr_partitions", "hash", "bigint", false),
    ("jexpr_partitions", "clock", "bigint", true),
    ("jexpr_partitions", "input_errors", "bigint", false),
    ("jexpr_partitions", "next_seq", "bigint", false),
    ("jexpr_runners", "name", "text", false),
    (
        "jexpr_runners",
        "heartbeat",
        "timestamp with time zone",
        false,
    ),
    ("jexpr_profiles", "id", "text", false),
    ("jexpr_profiles", "partition", "integer", false),
    ("jexpr_profiles", "state", "text", false),
    ("jexpr_profiles", "instances", "text", false),
    ("jexpr_profiles", "waiting", "integer", false),
    ("jexpr_audience_members", "partition", "integer", false),
    ("jexpr_audience_members", "audience", "text", false),
    ("jexpr_audience_members", "profile", "text", false),
    ("jexpr_timers", "partition", "integer", false),
    ("jexpr_timers", "due", "bigint", false),
    ("jexpr_timers", "journey", "text", false),
    ("jexpr_timers", "version", "bigint", false),
    ("jexpr_timers", "profile", "text", false),
    ("jexpr_timers", "instance", "text", false),
    ("jexpr_trace", "partition", "integer", false),
    ("jexpr_trace", "seq", "bigint", false),
    ("jexpr_trace", "line", "text", false),
];

/// Refuses tables that are not exactly the ones [`SCHEMA`] makes.
fn check_columns(client: &mut impl postgres::GenericClient) -> Result<(), StoreError> {
    check_columns_of(client, COLUMNS)
}

/// Refuses tables that are not exactly as `columns` says.
fn check_columns_of(
    client: &mut impl postgres::GenericClient,
    columns: &[(&str, &str, &str, bool)],
) -> Result<(), StoreError> {
    let rows = client
        .query(
            "SELECT table_name::text, column_name::text, data_type::text, is_nullable = 'YES'
             FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name LIKE 'jexpr\\_%'",
            &[],
        )
        .map_err(pg("schema"))?;
    let mut found: Vec<(String, String, String, bool)> = Vec::new();
    for r in rows {
        let cols = (r.try_get(0), r.try_get(1), r.try_get(2), r.try_get(3));
        if let (Ok(t), Ok(c), Ok(d), Ok(n)) = cols {
            found.push((t, c, d, n));
        }
    }
    for (table, column, ty, nullable) in columns {
        let ok = found
            .iter()
            .any(|(t, c, d, n)| t == table && c == column && d == ty && (*n == *nullable || !*n));
        if !ok {
            return Err(StoreError::refused(format!(
                "the database's table {table} is not the one this jexpr made (column {column} should be {ty}{}): use another database",
                if *nullable { "" } else { ", not null" }
            )));
        }
    }
    Ok(())
}

/// Refuses a `run` state to `serve` and a served state to `run`: their
/// input positions count different things (lines of a file, accepted
/// events). A `serve` may take over a state nothing ran on yet.
fn check_input(tx: &mut postgres::Transaction<'_>, served: bool) -> Result<(), StoreError> {
    let input: Option<String> = tx
        .query_opt(
            "SELECT value::text FROM jexpr_meta WHERE key::text = 'input'",
            &[],
        )
        .map_err(pg("meta"))?
        .and_then(|r| r.try_get(0).ok());
    match (served, input.as_deref()) {
        (true, Some("serve")) | (false, None) => Ok(()),
        (false, Some(_)) => Err(StoreError::refused(
            "this state is run by `jexpr serve` (its events come over HTTP): `run` needs a database of its own",
        )),
        (true, _) => {
            let started: bool = tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM jexpr_meta WHERE key = 'initialized')",
                    &[],
                )
                .map_err(pg("meta"))?
                .get(0);
            if started {
                return Err(StoreError::refused(
                    "this state was made by `jexpr run` from an events file: `serve` needs a database of its own",
                ));
            }
            tx.execute("INSERT INTO jexpr_meta VALUES ('input', 'serve')", &[])
                .map_err(pg("meta"))?;
            Ok(())
        }
    }
}

/// Refuses a state of another format or for other journeys; its partitions.
fn check(tx: &mut postgres::Transaction<'_>, fingerprint: &Fingerprint) -> Result<u32, StoreError> {
    let meta =
        |tx: &mut postgres::Transaction<'_>, key: &str| -> Result<Option<String>, StoreError> {
            Ok(tx
                .query_opt(
                    "SELECT value::text FROM jexpr_meta WHERE key::text = $1",
                    &[&key],
                )
                .map_err(pg("meta"))?
                .and_then(|r| r.try_get(0).ok()))
        };
    match meta(tx, "format")? {
        Some(f) if f == FORMAT.to_string() => check_columns(tx)?,
        None => {
            return Err(StoreError::refused(
                "the database has a jexpr_meta table but no jexpr state in it (no format): use another database",
            ))
        }
        f => {
            let by = meta(tx, "jexpr")?.unwrap_or_else(|| "an unknown version".into());
            return Err(StoreError::refused(format!(
                "the database holds a jexpr state of format {} written by jexpr {by}; this jexpr reads format {FORMAT}: finish that run with the jexpr that started it, or use another database",
                f.unwrap_or_else(|| "?".into())
            )));
        }
    }
    let stored: Vec<(String, i64, String)> = tx
        .query("SELECT id, version, hash FROM jexpr_journeys", &[])
        .map_err(pg("journeys"))?
        .into_iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    if let Some(diffs) = fingerprint.differences(&stored) {
        return Err(StoreError::refused(format!(
            "the database holds the state of other journeys: {diffs}; run with the journeys and catalog it was started with, or use another database"
        )));
    }
    meta(tx, "partitions")?
        .and_then(|p| p.parse().ok())
        .filter(|p| *p >= 1)
        .ok_or_else(|| StoreError::damaged("the state's partition count is damaged"))
}

fn write_profiles(
    tx: &mut postgres::Transaction<'_>,
    profiles: &[(u32, ProfileState)],
) -> Result<(), StoreError> {
    if profiles.is_empty() {
        return Ok(());
    }
    let mut ids = Vec::new();
    let mut parts = Vec::new();
    let mut states = Vec::new();
    let mut instances = Vec::new();
    let mut waiting = Vec::new();
    let (mut m_part, mut m_aud, mut m_prof) = (Vec::new(), Vec::new(), Vec::new());
    for (p, state) in profiles {
        ids.push(state.id.as_str());
        parts.push(*p as i32);
        states.push(codec::profile_text(state));
        let list: Vec<Json> = state
            .instances
            .values()
            .map(codec::instance_to_json)
            .collect();
        instances.push(Json::Array(list).to_string());
        waiting.push(state.instances.len() as i32);
        for (audience, status) in &state.profile.audiences {
            if crate::state::is_member(status) {
                m_part.push(*p as i32);
                m_aud.push(audience.as_str());
                m_prof.push(state.id.as_str());
            }
        }
    }
    tx.execute(
        "INSERT INTO jexpr_profiles SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::int[])
         ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, instances = EXCLUDED.instances, waiting = EXCLUDED.waiting",
        &[&ids, &parts, &states, &instances, &waiting],
    )
    .map_err(pg("profiles"))?;
    tx.execute(
        "DELETE FROM jexpr_audience_members WHERE profile = ANY($1)",
        &[&ids],
    )
    .map_err(pg("audiences"))?;
    tx.execute(
        "INSERT INTO jexpr_audience_members SELECT * FROM unnest($1::int[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING",
        &[&m_part, &m_aud, &m_prof],
    )
    .map_err(pg("audiences"))?;
    tx.execute("DELETE FROM jexpr_timers WHERE profile = ANY($1)", &[&ids])
        .map_err(pg("timers"))?;
    let keys: Vec<TimerKey> = profiles
        .iter()
        .flat_map(|(p, state)| super::timer_keys(state, *p))
        .collect();
    write_timers(tx, &[], &keys)
}

/// Deletes `done` audience reads and inserts `new` timers or reads.
fn write_timers(
    tx: &mut postgres::Transaction<'_>,
    done: &[TimerKey],
    new: &[TimerKey],
) -> Result<(), StoreError> {
    for k in done {
        tx.execute(
            "DELETE FROM jexpr_timers WHERE partition = $1 AND due = $2 AND journey = $3 AND version = $4 AND profile = ''",
            &[&(k.partition as i32), &codec::millis(k.due), &k.journey, &k.version],
        )
        .map_err(pg("audience reads"))?;
    }
    if new.is_empty() {
        return Ok(());
    }
    let parts: Vec<i32> = new.iter().map(|k| k.partition as i32).collect();
    let dues: Vec<i64> = new.iter().map(|k| codec::millis(k.due)).collect();
    let journeys: Vec<&str> = new.iter().map(|k| k.journey.as_str()).collect();
    let versions: Vec<i64> = new.iter().map(|k| k.version).collect();
    let profiles: Vec<&str> = new.iter().map(|k| k.profile.as_str()).collect();
    let instances: Vec<&str> = new.iter().map(|k| k.instance.as_str()).collect();
    tx.execute(
        "INSERT INTO jexpr_timers SELECT * FROM unnest($1::int[], $2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::text[])",
        &[&parts, &dues, &journeys, &versions, &profiles, &instances],
    )
    .map_err(pg("timers"))?;
    Ok(())
}

fn cursor_of(row: &postgres::Row, at: usize) -> Result<Cursor, StoreError> {
    let n = |i: usize| -> i64 { row.get(at + i) };
    let clock: Option<i64> = row.get(at + 3);
    Ok(Cursor {
        line: u64::try_from(n(0)).map_err(|_| StoreError::damaged("a stored cursor is damaged"))?,
        offset: u64::try_from(n(1))
            .map_err(|_| StoreError::damaged("a stored cursor is damaged"))?,
        hash: n(2) as u64,
        clock: clock
            .map(codec::instant)
            .transpose()
            .map_err(StoreError::damaged)?,
        input_errors: u64::try_from(n(4))
            .map_err(|_| StoreError::damaged("a stored cursor is damaged"))?,
    })
}

impl StateStore for PostgresStore {
    /// Hands over the pending or cached state (the runner commits it back).
    fn profile(&mut self, id: &str) -> Result<Option<ProfileState>, StoreError> {
        if let Some((_, state)) = self.dirty.remove(id) {
            return Ok(Some(state));
        }
        if let Some((_, state)) = self.cache.remove(id) {
            return Ok(Some(state));
        }
        self.read_profile(id)
    }
    fn audience_members(
        &mut self,
        audience: &str,
        partition: u32,
    ) -> Result<Vec<String>, StoreError> {
        // Committed members, corrected by the profiles changed since.
        let mut members: BTreeSet<String> = self
            .client
            .query(
                "SELECT profile FROM jexpr_audience_members WHERE partition = $1 AND audience = $2",
                &[&(partition as i32), &audience],
            )
            .map_err(pg("audience members"))?
            .into_iter()
            .map(|r| r.get(0))
            .collect();
        for (p, state) in self.dirty.values() {
            if *p != partition {
                continue;
            }
            let member = state
                .profile
                .audiences
                .get(audience)
                .is_some_and(|s| crate::state::is_member(s));
            if member {
                members.insert(state.id.clone());
            } else {
                members.remove(&state.id);
            }
        }
        Ok(members.into_iter().collect())
    }
    fn next_due(
        &mut self,
        until: DateTime<Utc>,
        partitions: &[u32],
    ) -> Result<Option<TimerKey>, StoreError> {
        Ok(self
            .timers
            .iter()
            .take_while(|k| k.due <= until)
            .find(|k| partitions.contains(&k.partition))
            .cloned())
    }
    fn commit(&mut self, commit: Commit) -> Result<(), StoreError> {
        if commit.initialize {
            return self.initialize(commit);
        }
        if !commit.event_ids.is_empty() {
            return Err(StoreError::refused(
                "a PostgreSQL state does not keep accepted event ids yet: `serve` runs on a SQLite state",
            ));
        }
        let partition = commit.partition;
        let Some(held) = self.held.get_mut(&partition) else {
            return Err(StoreError::internal(format!(
                "internal error: a commit for partition {partition}, which this process does not hold"
            )));
        };
        for line in commit.trace {
            self.trace.push(PendingTrace {
                partition,
                seq: held.next_seq,
                line,
            });
            held.next_seq += 1;
        }
        for k in commit.reads_done {
            self.timers.remove(&k);
            // A read scheduled since the last flush is not in the table yet.
            match self.reads_scheduled.iter().position(|s| *s == k) {
                Some(i) => {
                    self.reads_scheduled.swap_remove(i);
                }
                None => self.reads_done.push(k),
            }
        }
        for k in commit.reads_scheduled {
            self.timers.insert(k.clone());
            self.reads_scheduled.push(k);
        }
        for state in commit.profiles {
            self.index_profile(partition, &state);
            self.dirty.insert(state.id.clone(), (partition, state));
        }
        Ok(())
    }
    fn waiting(&mut self) -> Result<usize, StoreError> {
        let n: i64 = self
            .client
            .query_one(
                "SELECT COALESCE(SUM(waiting), 0)::bigint FROM jexpr_profiles",
                &[],
            )
            .map_err(pg("count"))?
            .get(0);
        Ok(usize::try_from(n).unwrap_or(0))
    }
    fn initialized(&mut self) -> Result<bool, StoreError> {
        Ok(self
            .client
            .query_opt("SELECT 1 FROM jexpr_meta WHERE key = 'initialized'", &[])
            .map_err(pg("meta"))?
            .is_some())
    }
    fn cursor(&mut self) -> Result<Cursor, StoreError> {
        Ok(Cursor::default())
    }
    fn flush(&mut self) -> Result<(), StoreError> {
        let result = self.try_flush();
        self.after_failure(result)
    }
    fn event_seen(&mut self, _: &str) -> Result<bool, StoreError> {
        Err(StoreError::refused(
            "a PostgreSQL state does not keep accepted event ids yet: `serve` runs on a SQLite state",
        ))
    }
}

impl TraceOutbox for PostgresStore {
    fn trace_bytes(&mut self) -> Result<u64, StoreError> {
        Ok(0)
    }
    fn trace_from(&mut self, _: u64) -> Result<Vec<(u64, String)>, StoreError> {
        Ok(Vec::new())
    }
}

impl Leases for PostgresStore {
    fn partitions(&self) -> u32 {
        self.partitions
    }
    fn claim(&mut self) -> Result<Vec<(u32, Cursor)>, StoreError> {
        match self.try_claim() {
            Err(e) => {
                self.after_failure(Err(e))?;
                self.try_claim()
            }
            ok => ok,
        }
    }
    fn renew_every(&self) -> Option<Duration> {
        Some(self.lease / 3)
    }
    fn must_claim(&self) -> bool {
        self.lost
    }
    fn lost(&mut self, partition: u32) -> Result<bool, StoreError> {
        let generation = self.held.get(&partition).map(|h| h.generation);
        let current = self
            .client
            .query_opt(
                "SELECT generation FROM jexpr_partitions WHERE id = $1 AND owner = $2",
                &[&(partition as i32), &self.name],
            )
            .map_err(pg("partition lease"))?
            .map(|r| r.get::<_, i64>(0));
        if generation.is_some() && current == generation {
            return Ok(false);
        }
        self.forget();
        Ok(true)
    }
    fn set_cursors(&mut self, partitions: &[u32], cursor: &Cursor) {
        for p in partitions {
            self.cursors.insert(*p, cursor.clone());
        }
    }
    fn finished(&mut self, end: &Cursor) -> Result<bool, StoreError> {
        let row = self
            .client
            .query_one(
                "SELECT count(*) FILTER (WHERE byte_offset <> $1 OR clock IS DISTINCT FROM $2),
                        COALESCE(max(byte_offset), 0), COALESCE(max(line), 0)
                 FROM jexpr_partitions",
                &[&(end.offset as i64), &end.clock.map(codec::millis)],
            )
            .map_err(pg("partitions"))?;
        let (behind, furthest, line): (i64, i64, i64) = (row.get(0), row.get(1), row.get(2));
        // Another process read further than this file goes: the processes
        // were not given the same events file, and waiting would be forever.
        if furthest > end.offset as i64 {
            return Err(StoreError::refused(format!(
                "another process has handled {line} lines ({furthest} bytes) of its events file, but this one ends after {} lines ({} bytes): every process must read the same events file",
                end.line, end.offset
            )));
        }
        Ok(behind == 0)
    }
    fn release(&mut self) -> Result<(), StoreError> {
        let ids: Vec<i32> = self.held.keys().map(|p| *p as i32).collect();
        let gens: Vec<i64> = self.held.values().map(|h| h.generation).collect();
        self.client
            .execute(
                "UPDATE jexpr_partitions p SET owner = NULL, expires_at = NULL
                 FROM unnest($2::int[], $3::bigint[]) AS h(id, generation)
                 WHERE p.id = h.id AND p.generation = h.generation AND p.owner = $1",
                &[&self.name, &ids, &gens],
            )
            .map_err(pg("release"))?;
        self.client
            .execute("DELETE FROM jexpr_runners WHERE name = $1", &[&self.name])
            .map_err(pg("runners"))?;
        self.held.clear();
        Ok(())
    }
}

/// Every trace record of the state at `url`, by partition and sequence.
pub fn trace_lines(url: &str) -> Result<Vec<String>, StoreError> {
    let mut client = PostgresStore::connect_existing(url)?;
    Ok(client
        .query("SELECT line FROM jexpr_trace ORDER BY partition, seq", &[])
        .map_err(pg("trace"))?
        .into_iter()
        .map(|r| r.get::<_, String>(0))
        .collect())
}
