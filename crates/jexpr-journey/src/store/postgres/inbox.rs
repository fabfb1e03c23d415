//! The shared input of `serve` on PostgreSQL: events accepted by any
//! process, in one order, each with its acceptance time. It plays the part
//! the events file plays for `run`: every process scans it from its
//! partitions' positions and handles the lines of the partitions it leases.
//!
//! One row, `jexpr_inbox_clock`, orders everything. An acceptance locks it
//! (moving its time to the database's clock, never back), numbers its
//! events after the last and commits them with their ids; a reader moves the
//! same row to now and gets (last number, time) — the *mark*. Because both
//! lock the row, every event numbered up to the mark is committed and
//! readable, and every later event is accepted at or after the mark's time:
//! a process may fire the timers due up to the mark without an earlier event
//! arriving behind them.

use super::{pg, PostgresStore};
use crate::store::{Inbox, StoreError};
use chrono::{DateTime, Utc};
use postgres::fallible_iterator::FallibleIterator;
use postgres::Client;
use std::collections::HashSet;
use std::time::Duration;

/// Tables of a served state, created on open (an existing state of format 1
/// gains them).
pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS jexpr_inbox(seq BIGINT PRIMARY KEY, line TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jexpr_inbox_clock(one BOOLEAN PRIMARY KEY CHECK (one), seq BIGINT NOT NULL, time BIGINT NOT NULL);
INSERT INTO jexpr_inbox_clock VALUES (TRUE, 0, 0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS jexpr_event_ids(id TEXT PRIMARY KEY, accepted_at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS jexpr_published(id TEXT NOT NULL, version BIGINT NOT NULL, source TEXT NOT NULL,
    published_at BIGINT NOT NULL, PRIMARY KEY(id, version));
";

/// The inbox tables' columns, checked on open.
pub(super) const COLUMNS: &[(&str, &str, &str, bool)] = &[
    ("jexpr_inbox", "seq", "bigint", false),
    ("jexpr_inbox", "line", "text", false),
    ("jexpr_inbox_clock", "one", "boolean", false),
    ("jexpr_inbox_clock", "seq", "bigint", false),
    ("jexpr_inbox_clock", "time", "bigint", false),
    ("jexpr_event_ids", "id", "text", false),
    ("jexpr_event_ids", "accepted_at", "bigint", false),
    ("jexpr_published", "id", "text", false),
    ("jexpr_published", "version", "bigint", false),
    ("jexpr_published", "source", "text", false),
    ("jexpr_published", "published_at", "bigint", false),
];

/// The channel a process is told on that events were accepted.
const CHANNEL: &str = "jexpr_inbox";

/// Accepted ids are kept this long at least (SERVICE.md: 7 days).
const KEEP_IDS_MS: i64 = 8 * 24 * 3600 * 1000;

/// The database's clock in milliseconds, as SQL.
const NOW_MS: &str = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

/// Moves the inbox clock to the database's now (never back) and returns
/// the last event's number and the clock, holding the clock row's lock until
/// the transaction ends.
fn tick(client: &mut impl postgres::GenericClient) -> Result<(i64, i64), StoreError> {
    let row = client
        .query_one(
            &format!(
                "UPDATE jexpr_inbox_clock SET time = greatest(time, {NOW_MS}) RETURNING seq, time"
            ),
            &[],
        )
        .map_err(pg("inbox clock"))?;
    Ok((row.get(0), row.get(1)))
}

/// One event offered for acceptance: its events-file line as a JSON object
/// without `time`, and its id.
pub struct Offer {
    /// The events-file line, without `time` (given at acceptance).
    pub line: serde_json::Map<String, serde_json::Value>,
    /// The client's id for it, if given.
    pub id: Option<String>,
}

/// Accepts events into a served state (its own connection: acceptance does
/// not wait for handling).
pub struct PostgresInbox {
    client: Client,
}

impl PostgresInbox {
    /// Connects to the state at `url` (opened by a [`PostgresStore`] first).
    pub fn connect(url: &str) -> Result<PostgresInbox, StoreError> {
        Ok(PostgresInbox {
            client: PostgresStore::connect_existing(url)?,
        })
    }

    /// Accepts groups of events (one per request) in one transaction: each
    /// group's `(accepted, duplicates)`. An event whose id was accepted
    /// before (or earlier in the same transaction) is a duplicate.
    pub fn accept(&mut self, groups: Vec<Vec<Offer>>) -> Result<Vec<(usize, usize)>, StoreError> {
        let mut tx = self.client.transaction().map_err(pg("begin"))?;
        let (mut seq, time) = tick(&mut tx)?;
        let ids: Vec<&str> = groups
            .iter()
            .flatten()
            .filter_map(|o| o.id.as_deref())
            .collect();
        let mut new: HashSet<String> = if ids.is_empty() {
            HashSet::new()
        } else {
            tx.query(
                "INSERT INTO jexpr_event_ids SELECT unnest($1::text[]), $2 ON CONFLICT DO NOTHING RETURNING id",
                &[&ids, &time],
            )
            .map_err(pg("event ids"))?
            .into_iter()
            .map(|r| r.get(0))
            .collect()
        };
        let at = crate::codec::instant(time).map_err(StoreError::internal)?;
        let text = serde_json::Value::String(jexpr::time::format_instant(&at));
        let (mut seqs, mut lines) = (Vec::new(), Vec::new());
        let mut counts = Vec::new();
        for group in groups {
            let (mut accepted, mut duplicates) = (0, 0);
            for Offer { mut line, id } in group {
                // Taken out of the set: a second event with the same id is
                // a duplicate of the first.
                if id.as_ref().is_some_and(|id| !new.remove(id)) {
                    duplicates += 1;
                    continue;
                }
                line.insert("time".into(), text.clone());
                seq += 1;
                seqs.push(seq);
                lines.push(serde_json::Value::Object(line).to_string());
                accepted += 1;
            }
            counts.push((accepted, duplicates));
        }
        if !seqs.is_empty() {
            tx.execute(
                "INSERT INTO jexpr_inbox SELECT * FROM unnest($1::bigint[], $2::text[])",
                &[&seqs, &lines],
            )
            .map_err(pg("inbox"))?;
            tx.execute("UPDATE jexpr_inbox_clock SET seq = $1", &[&seq])
                .map_err(pg("inbox clock"))?;
            tx.execute(&format!("NOTIFY {CHANNEL}"), &[])
                .map_err(pg("notify"))?;
        }
        tx.commit().map_err(pg("cannot accept"))?;
        Ok(counts)
    }
}

/// Waits for word that events were accepted (by any process).
pub struct PostgresListener {
    client: Client,
}

impl PostgresListener {
    /// Connects and listens.
    pub fn connect(url: &str) -> Result<PostgresListener, StoreError> {
        let mut client = PostgresStore::connect_existing(url)?;
        client
            .batch_execute(&format!("LISTEN {CHANNEL}"))
            .map_err(pg("listen"))?;
        Ok(PostgresListener { client })
    }

    /// Waits at most `timeout` for a notification: whether one came (all
    /// that came meanwhile count as one).
    pub fn wait(&mut self, timeout: Duration) -> Result<bool, StoreError> {
        let mut notifications = self.client.notifications();
        let came = notifications
            .timeout_iter(timeout)
            .next()
            .map_err(pg("notifications"))?
            .is_some();
        // What else is there already is the same news.
        while notifications.iter().next().ok().flatten().is_some() {}
        Ok(came)
    }
}

impl Inbox for PostgresStore {
    fn inbox_mark(&mut self) -> Result<(u64, DateTime<Utc>), StoreError> {
        let (seq, time) = tick(&mut self.client)?;
        let seq = u64::try_from(seq).map_err(|_| StoreError::damaged("the inbox is damaged"))?;
        let at = crate::codec::instant(time).map_err(StoreError::damaged)?;
        Ok((seq, at))
    }

    fn inbox_lines(
        &mut self,
        after: u64,
        upto: u64,
        limit: usize,
    ) -> Result<Vec<(u64, String)>, StoreError> {
        let rows = self
            .client
            .query(
                "SELECT seq, line FROM jexpr_inbox WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3",
                &[&(after as i64), &(upto as i64), &(limit as i64)],
            )
            .map_err(pg("inbox"))?;
        Ok(rows
            .into_iter()
            .map(|r| (r.get::<_, i64>(0) as u64, r.get::<_, String>(1)))
            .collect())
    }

    fn inbox_published(
        &mut self,
        id: &str,
        version: i64,
    ) -> Result<Option<(String, DateTime<Utc>)>, StoreError> {
        let row = self
            .client
            .query_opt(
                "SELECT source, published_at FROM jexpr_published WHERE id = $1 AND version = $2",
                &[&id, &version],
            )
            .map_err(pg("published journeys"))?;
        row.map(|r| {
            let at = crate::codec::instant(r.get(1)).map_err(StoreError::damaged)?;
            Ok((r.get(0), at))
        })
        .transpose()
    }

    fn inbox_trim(&mut self) -> Result<(), StoreError> {
        self.client
            .execute(
                "DELETE FROM jexpr_inbox WHERE seq <= (SELECT min(line) FROM jexpr_partitions)",
                &[],
            )
            .map_err(pg("inbox"))?;
        self.client
            .execute(
                &format!("DELETE FROM jexpr_event_ids WHERE accepted_at < {NOW_MS} - $1"),
                &[&KEEP_IDS_MS],
            )
            .map_err(pg("event ids"))?;
        Ok(())
    }
}

/// A journey version published into a served state: id, version, source,
/// and when it was published.
pub type Published = (String, i64, String, DateTime<Utc>);

/// What became of a publication.
#[derive(Debug, PartialEq, Eq)]
pub enum Publication {
    /// Published now.
    New,
    /// That version was published before with the same content.
    Same,
    /// That version was published before with other content.
    Conflict,
}

impl PostgresStore {
    /// Publishes a journey version into a served state: its source is kept
    /// (a process started later serves it too), it joins the state's
    /// fingerprint, and a marker in the inbox tells every process, at one
    /// point of the input, to take it (and to start reading its audience,
    /// once per partition).
    pub fn publish_shared(
        &mut self,
        id: &str,
        version: i64,
        source: &str,
        at: DateTime<Utc>,
    ) -> Result<Publication, StoreError> {
        let hash = crate::store::Fingerprint::hash(source);
        let mut tx = self.client.transaction().map_err(pg("begin"))?;
        let (seq, time) = tick(&mut tx)?;
        let stored: Option<String> = tx
            .query_opt(
                "SELECT hash FROM jexpr_journeys WHERE id = $1 AND version = $2",
                &[&id, &version],
            )
            .map_err(pg("journeys"))?
            .map(|r| r.get(0));
        if let Some(stored) = stored {
            return Ok(if stored == hash {
                Publication::Same
            } else {
                Publication::Conflict
            });
        }
        tx.execute(
            "INSERT INTO jexpr_journeys VALUES ($1, $2, $3)",
            &[&id, &version, &hash],
        )
        .map_err(pg("journeys"))?;
        tx.execute(
            "INSERT INTO jexpr_published VALUES ($1, $2, $3, $4)",
            &[&id, &version, &source, &crate::codec::millis(at)],
        )
        .map_err(pg("published journeys"))?;
        let when = crate::codec::instant(time).map_err(StoreError::internal)?;
        let marker = crate::store::publication_line(id, version, when);
        tx.execute(
            "INSERT INTO jexpr_inbox VALUES ($1, $2)",
            &[&(seq + 1), &marker],
        )
        .map_err(pg("inbox"))?;
        tx.execute("UPDATE jexpr_inbox_clock SET seq = $1", &[&(seq + 1)])
            .map_err(pg("inbox clock"))?;
        tx.execute(&format!("NOTIFY {CHANNEL}"), &[])
            .map_err(pg("notify"))?;
        tx.commit().map_err(pg("cannot publish"))?;
        Ok(Publication::New)
    }
}

/// Journey versions published into a served state.
pub fn published(url: &str) -> Result<Vec<Published>, StoreError> {
    // A state not made yet has published nothing.
    let mut client = super::connect(url, Duration::from_secs(60))?;
    let exists: bool = client
        .query_one("SELECT to_regclass('jexpr_published') IS NOT NULL", &[])
        .map_err(pg("schema"))?
        .get(0);
    if !exists {
        return Ok(Vec::new());
    }
    let rows = client
        .query(
            "SELECT id, version, source, published_at FROM jexpr_published ORDER BY id, version",
            &[],
        )
        .map_err(pg("published journeys"))?;
    rows.into_iter()
        .map(|r| {
            // Read before the state's tables are checked: a table of
            // other column types is refused, not a panic.
            let bad = |_| StoreError::refused("the database's table jexpr_published is not the one this jexpr made: use another database");
            let at = crate::codec::instant(r.try_get(3).map_err(bad)?).map_err(StoreError::damaged)?;
            Ok((
                r.try_get(0).map_err(bad)?,
                r.try_get(1).map_err(bad)?,
                r.try_get(2).map_err(bad)?,
                at,
            ))
        })
        .collect()
}
