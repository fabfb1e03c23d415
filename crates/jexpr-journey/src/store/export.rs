//! `jexpr trace`: the committed trace of a state, in the order of the
//! trace of one process: by time, then profile id (records about the input
//! itself, with none, first), each profile's records in step order.

use super::StoreError;
use serde_json::Value as Json;

/// The committed trace of the state at `store` (a SQLite file or a
/// `postgres://` URL), of one profile if given, in export order.
pub fn export(store: &str, profile: Option<&str>) -> Result<Vec<String>, StoreError> {
    let lines = if is_postgres(store) {
        postgres_lines(store)?
    } else {
        sqlite_lines(store)?
    };
    Ok(ordered(lines, profile))
}

#[cfg(feature = "postgres")]
fn postgres_lines(url: &str) -> Result<Vec<String>, StoreError> {
    super::postgres::trace_lines(url)
}

#[cfg(not(feature = "postgres"))]
fn postgres_lines(_: &str) -> Result<Vec<String>, StoreError> {
    Err(super::without("PostgreSQL", "postgres"))
}

#[cfg(feature = "sqlite")]
fn sqlite_lines(path: &str) -> Result<Vec<String>, StoreError> {
    super::sqlite::trace_lines(std::path::Path::new(path))
}

#[cfg(not(feature = "sqlite"))]
fn sqlite_lines(_: &str) -> Result<Vec<String>, StoreError> {
    Err(super::without("SQLite", "sqlite"))
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
