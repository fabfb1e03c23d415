//! `state inspect` of a SQLite state: its cursor, counts by node, what is
//! due next.

use super::SqliteStore;
use crate::codec;
use crate::store::{StateStore, StoreError};
use rusqlite::params;
use serde_json::{json, Value as Json};

fn err(e: rusqlite::Error) -> StoreError {
    StoreError::backend(format!("cannot read the state: {e}"))
}

/// The overview (and one profile's details) as JSON.
pub fn inspect(
    store: &mut SqliteStore,
    profile: Option<&str>,
    next: usize,
) -> Result<Json, StoreError> {
    let cursor = store.cursor()?;
    let waiting = store.waiting()?;
    let (by_node, due, profiles, records) = overview(store.connection(), next)?;
    let mut out = json!({
        "cursor": {
            "line": cursor.line,
            "offset": cursor.offset,
            "clock": cursor.clock.map(|c| jexpr::time::format_instant(&c)),
            "inputErrors": cursor.input_errors,
        },
        "profiles": profiles,
        "traceRecords": records,
        "waiting": waiting,
        "byNode": by_node,
        "nextDue": due,
    });
    if let Some(id) = profile {
        out["profile"] = crate::store::profile_view::profile_detail(id, store.profile(id)?);
    }
    Ok(out)
}

type Overview = (Vec<Json>, Vec<Json>, i64, i64);

fn overview(conn: &rusqlite::Connection, next: usize) -> Result<Overview, StoreError> {
    let mut by_node = Vec::new();
    let mut stmt = conn
        .prepare("SELECT journey, version, node, COUNT(*) FROM instances GROUP BY journey, version, node ORDER BY journey, version, node")
        .map_err(err)?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })
        .map_err(err)?;
    for row in rows {
        let (journey, version, node, count) = row.map_err(err)?;
        by_node.push(
            json!({"journey": journey, "version": version, "node": node, "instances": count}),
        );
    }
    let mut due = Vec::new();
    let mut stmt = conn
        .prepare(
            "SELECT due, journey, version, profile, node FROM instances WHERE due IS NOT NULL
             ORDER BY due, journey, version, profile, instance LIMIT ?1",
        )
        .map_err(err)?;
    let rows = stmt
        .query_map(params![next as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })
        .map_err(err)?;
    for row in rows {
        let (at, journey, version, profile, node) = row.map_err(err)?;
        let shown = codec::instant(at)
            .map(|t| jexpr::time::format_instant(&t))
            .map_err(StoreError::damaged)?;
        due.push((at, json!({"due": shown, "journey": journey, "version": version, "profileId": profile, "node": node})));
    }
    // Audience reads are due too: the next one says when a batch of
    // profiles will enter.
    let mut stmt = conn
        .prepare("SELECT due, journey, version FROM audience_reads ORDER BY due, journey, version LIMIT ?1")
        .map_err(err)?;
    let rows = stmt
        .query_map(params![next as i64], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })
        .map_err(err)?;
    for row in rows {
        let (at, journey, version) = row.map_err(err)?;
        let shown = codec::instant(at)
            .map(|t| jexpr::time::format_instant(&t))
            .map_err(StoreError::damaged)?;
        // Reads sort before instances due at the same instant, as they fire.
        due.push((
            at,
            json!({"due": shown, "journey": journey, "version": version, "audienceRead": true}),
        ));
    }
    due.sort_by_key(|(at, v)| (*at, v.get("audienceRead").is_none()));
    let due: Vec<Json> = due.into_iter().take(next).map(|(_, v)| v).collect();
    let profiles: i64 = conn
        .query_row("SELECT COUNT(*) FROM profiles", [], |r| r.get(0))
        .map_err(err)?;
    let records: i64 = conn
        .query_row("SELECT COALESCE(SUM(records), 0) FROM trace", [], |r| {
            r.get(0)
        })
        .map_err(err)?;
    Ok((by_node, due, profiles, records))
}
