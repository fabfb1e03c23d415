//! `jexpr state inspect`: what a support engineer asks of a state first —
//! where the run is, how many instances wait where, what falls due next, and
//! for one profile its instances and remembered events. Each backend reads
//! its own tables (`sqlite/inspect.rs`, `postgres/inspect.rs`); this file
//! chooses by location and renders the result.

use super::StoreError;
use serde_json::Value as Json;

/// The overview of the state at `location` (a SQLite file or a
/// `postgres://` URL), with one profile's details if asked.
pub fn inspect_location(
    location: &str,
    profile: Option<&str>,
    next: usize,
) -> Result<Json, StoreError> {
    if super::export::is_postgres(location) {
        postgres(location, profile)
    } else {
        sqlite(location, profile, next)
    }
}

#[cfg(feature = "postgres")]
fn postgres(url: &str, profile: Option<&str>) -> Result<Json, StoreError> {
    super::postgres::inspect::inspect(url, profile)
}

#[cfg(not(feature = "postgres"))]
fn postgres(_: &str, _: Option<&str>) -> Result<Json, StoreError> {
    Err(super::without("PostgreSQL", "postgres"))
}

#[cfg(feature = "sqlite")]
fn sqlite(path: &str, profile: Option<&str>, next: usize) -> Result<Json, StoreError> {
    let mut store = super::SqliteStore::open_existing(std::path::Path::new(path))?;
    super::sqlite::inspect::inspect(&mut store, profile, next)
}

#[cfg(not(feature = "sqlite"))]
fn sqlite(_: &str, _: Option<&str>, _: usize) -> Result<Json, StoreError> {
    Err(super::without("SQLite", "sqlite"))
}

/// The overview as text; with one profile asked for, only that profile.
pub fn render(v: &Json) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    if let Some(profile) = v.get("profile") {
        render_profile(&mut out, profile);
        return out;
    }
    if let Some(parts) = v["partitions"].as_array() {
        render_partitions(&mut out, parts, v["runners"].as_array());
    } else {
        let c = &v["cursor"];
        let _ = writeln!(
            out,
            "input: {} lines handled ({} bytes, {} input errors); clock at {}",
            c["line"],
            c["offset"],
            c["inputErrors"],
            c["clock"].as_str().unwrap_or("-")
        );
    }
    let _ = writeln!(
        out,
        "profiles: {}; instances waiting: {}; trace records: {}",
        v["profiles"], v["waiting"], v["traceRecords"]
    );
    if let Some(rows) = v["byNode"].as_array() {
        if !rows.is_empty() {
            let _ = writeln!(out, "\ninstances by node:");
            for r in rows {
                let _ = writeln!(
                    out,
                    "  {:>8}  {} v{} at {}",
                    r["instances"].to_string(),
                    r["journey"].as_str().unwrap_or(""),
                    r["version"],
                    r["node"].as_str().unwrap_or("")
                );
            }
        }
    }
    if let Some(rows) = v["nextDue"].as_array() {
        if !rows.is_empty() {
            let _ = writeln!(out, "\nnext due:");
            for r in rows {
                if r.get("audienceRead").is_some() {
                    let _ = writeln!(
                        out,
                        "  {}  {} v{} reads its audience",
                        r["due"].as_str().unwrap_or(""),
                        r["journey"].as_str().unwrap_or(""),
                        r["version"],
                    );
                    continue;
                }
                let _ = writeln!(
                    out,
                    "  {}  {} v{} {} at {}",
                    r["due"].as_str().unwrap_or(""),
                    r["journey"].as_str().unwrap_or(""),
                    r["version"],
                    r["profileId"].as_str().unwrap_or(""),
                    r["node"].as_str().unwrap_or("")
                );
            }
        }
    }
    out
}

/// One profile's state as text: audiences, data, instances, history.
fn render_profile(out: &mut String, profile: &Json) {
    use std::fmt::Write;
    match profile {
        Json::Null => out.push_str("profile: not in this state\n"),
        p => {
            let _ = writeln!(out, "profile {}:", p["profileId"].as_str().unwrap_or(""));
            if let Some(audiences) = p["audiences"].as_object().filter(|a| !a.is_empty()) {
                let shown: Vec<String> = audiences
                    .iter()
                    .map(|(name, status)| format!("{name} {}", status.as_str().unwrap_or("")))
                    .collect();
                let _ = writeln!(out, "  audiences: {}", shown.join(", "));
            }
            if let Some(data) = p["dataSources"].as_object().filter(|d| !d.is_empty()) {
                for (source, groups) in data {
                    let _ = writeln!(out, "  data {source}: {groups}");
                }
            }
            for i in p["instances"].as_array().into_iter().flatten() {
                let waiting = match i.get("waiting") {
                    Some(w) if !w.is_null() => format!(
                        ", {} until {}",
                        if w["reaction"] == true {
                            "reacting"
                        } else {
                            "waiting"
                        },
                        w["due"].as_str().unwrap_or("")
                    ),
                    _ => String::new(),
                };
                let _ = writeln!(
                    out,
                    "  in {} v{} at node {}{waiting} (entry {}, since {})",
                    i["journey"].as_str().unwrap_or(""),
                    i["version"],
                    i["node"].as_str().unwrap_or(""),
                    i["entry"],
                    i["enteredAt"].as_str().unwrap_or("")
                );
                if let Some(events) = i["events"].as_object() {
                    for (name, payload) in events {
                        let _ = writeln!(out, "    remembers {name}: {payload}");
                    }
                }
            }
            for h in p["history"].as_array().into_iter().flatten() {
                let _ = writeln!(
                    out,
                    "  entered {} {} time(s), last at {}",
                    h["journey"].as_str().unwrap_or(""),
                    h["entries"],
                    h["lastEntry"].as_str().unwrap_or("")
                );
            }
        }
    }
}

/// The partitions of a shared state as a table, and the processes seen.
fn render_partitions(out: &mut String, parts: &[Json], runners: Option<&Vec<Json>>) {
    use std::fmt::Write;
    let _ = writeln!(out, "partitions: {}", parts.len());
    let _ = writeln!(
        out,
        "  {:>9}  {:<24} {:>10} {:>10} {:>8}  clock",
        "partition", "held by", "generation", "lease left", "line"
    );
    for p in parts {
        let lease = match p["leaseLeftSeconds"].as_f64() {
            Some(s) if p["owner"].is_string() => format!("{s:.1} s"),
            _ => "-".into(),
        };
        let _ = writeln!(
            out,
            "  {:>9}  {:<24} {:>10} {:>10} {:>8}  {}",
            p["partition"].to_string(),
            p["owner"].as_str().unwrap_or("(free)"),
            p["generation"].to_string(),
            lease,
            p["line"].to_string(),
            p["clock"].as_str().unwrap_or("-")
        );
    }
    for r in runners.into_iter().flatten() {
        let _ = writeln!(
            out,
            "process {}: last heartbeat {:.1} s ago",
            r["name"].as_str().unwrap_or(""),
            r["lastHeartbeatSecondsAgo"].as_f64().unwrap_or(0.0)
        );
    }
}
