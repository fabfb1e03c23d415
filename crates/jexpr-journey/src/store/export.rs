//! `jexpr trace`: the committed trace of a state, in the order of the
//! trace of one process: by time, then profile id (records about the input
//! itself, with none, first), each profile's records in step order.

use super::{PostgresStore, StoreError};
use serde_json::Value as Json;
use std::path::Path;

/// The committed trace of the state at `store` (a SQLite file or a
/// `postgres://` URL), of one profile if given, in export order.
pub fn export(store: &str, profile: Option<&str>) -> Result<Vec<String>, StoreError> {
    let lines = if is_postgres(store) {
        let mut client = PostgresStore::connect_existing(store)?;
        client
            .query("SELECT line FROM jexpr_trace ORDER BY partition, seq", &[])
            .map_err(|e| StoreError::backend(format!("PostgreSQL, trace: {e}")))?
            .into_iter()
            .map(|r| r.get::<_, String>(0))
            .collect()
    } else {
        let sqlite = super::SqliteStore::open_existing(Path::new(store))?;
        sqlite
            .connection()
            .prepare("SELECT lines FROM trace ORDER BY seq")
            .and_then(|mut s| {
                s.query_map([], |r| r.get::<_, String>(0))?
                    .collect::<Result<Vec<String>, _>>()
            })
            .map_err(|e| StoreError::backend(format!("{store}: {e}")))?
            .iter()
            .flat_map(|lines| lines.split('\n').map(str::to_string))
            .collect()
    };
    Ok(ordered(lines, profile))
}

/// Whether `store` names a PostgreSQL database rather than a file.
pub fn is_postgres(store: &str) -> bool {
    store.starts_with("postgres://") || store.starts_with("postgresql://")
}

/// Sorts records by (time, profile id), keeping the stored order of equal
/// keys (each partition's records are stored in step order), and keeps one
/// profile's if asked.
pub fn ordered(lines: Vec<String>, profile: Option<&str>) -> Vec<String> {
    let mut keyed: Vec<(String, String, String)> = lines
        .into_iter()
        .filter_map(|line| {
            let v: Json = serde_json::from_str(&line).ok()?;
            let time = v
                .get("time")
                .and_then(Json::as_str)
                .unwrap_or("")
                .to_string();
            let who = v
                .get("profileId")
                .and_then(Json::as_str)
                .unwrap_or("")
                .to_string();
            if profile.is_some_and(|p| p != who) {
                return None;
            }
            Some((time, who, line))
        })
        .collect();
    keyed.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    keyed.into_iter().map(|(_, _, line)| line).collect()
}
