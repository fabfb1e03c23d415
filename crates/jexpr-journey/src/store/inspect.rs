//! `jexpr state inspect`: what a support engineer asks of a state first —
//! where the run is, how many instances wait where, what falls due next, and
//! for one profile its instances and remembered events.

use super::sqlite::SqliteStore;
use super::{StateStore, StoreError};
use crate::codec;
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
        out["profile"] = profile_detail(id, store.profile(id)?);
    }
    Ok(out)
}

/// The overview of a PostgreSQL state: its partitions (holder, lease,
/// input position), the processes seen, counts, and one profile if asked.
pub fn inspect_postgres(url: &str, profile: Option<&str>) -> Result<Json, StoreError> {
    let mut client = super::PostgresStore::connect_existing(url)?;
    let pg = |e: postgres::Error| StoreError::backend(format!("cannot read the state: {e}"));
    let partitions: Vec<Json> = client
        .query(
            "SELECT id, owner, generation, GREATEST(EXTRACT(EPOCH FROM expires_at - now()), 0)::float8,
                    line, clock, next_seq FROM jexpr_partitions ORDER BY id",
            &[],
        )
        .map_err(pg)?
        .iter()
        .map(|r| {
            let clock: Option<i64> = r.get(5);
            json!({
                "partition": r.get::<_, i32>(0),
                "owner": r.get::<_, Option<String>>(1),
                "generation": r.get::<_, i64>(2),
                "leaseLeftSeconds": r.get::<_, Option<f64>>(3),
                "line": r.get::<_, i64>(4),
                "clock": clock.and_then(|c| codec::instant(c).ok()).map(|t| jexpr::time::format_instant(&t)),
                "traceRecords": r.get::<_, i64>(6),
            })
        })
        .collect();
    let runners: Vec<Json> = client
        .query(
            "SELECT name, EXTRACT(EPOCH FROM now() - heartbeat)::float8 FROM jexpr_runners ORDER BY name",
            &[],
        )
        .map_err(pg)?
        .iter()
        .map(|r| json!({"name": r.get::<_, String>(0), "lastHeartbeatSecondsAgo": r.get::<_, f64>(1)}))
        .collect();
    let count = |client: &mut postgres::Client, sql: &str| -> Result<i64, StoreError> {
        Ok(client.query_one(sql, &[]).map_err(pg)?.get(0))
    };
    let profiles = count(&mut client, "SELECT count(*) FROM jexpr_profiles")?;
    let waiting = count(
        &mut client,
        "SELECT COALESCE(SUM(waiting), 0)::bigint FROM jexpr_profiles",
    )?;
    let records = count(&mut client, "SELECT count(*) FROM jexpr_trace")?;
    let mut out = json!({
        "partitions": partitions,
        "runners": runners,
        "profiles": profiles,
        "waiting": waiting,
        "traceRecords": records,
    });
    if let Some(id) = profile {
        let row = client
            .query_opt(
                "SELECT state, instances FROM jexpr_profiles WHERE id = $1",
                &[&id],
            )
            .map_err(pg)?;
        let state = match row {
            None => None,
            Some(row) => {
                let damaged = |e: String| {
                    StoreError::damaged(format!(
                        "the stored state of profile `{id}` is damaged: {e}"
                    ))
                };
                let v: Json = serde_json::from_str(row.get::<_, &str>(0))
                    .map_err(|e| damaged(e.to_string()))?;
                let mut state = codec::profile_from_json(id, &v).map_err(damaged)?;
                let list: Json = serde_json::from_str(row.get::<_, &str>(1))
                    .map_err(|e| damaged(e.to_string()))?;
                for v in list.as_array().into_iter().flatten() {
                    let inst = codec::instance_from_json(v).map_err(damaged)?;
                    state.instances.insert(inst.journey.clone(), inst);
                }
                Some(state)
            }
        };
        out["profile"] = profile_detail(id, state);
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
        let at = codec::instant(at)
            .map(|t| jexpr::time::format_instant(&t))
            .map_err(StoreError::damaged)?;
        due.push(json!({"due": at, "journey": journey, "version": version, "profileId": profile, "node": node}));
    }
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

fn profile_detail(id: &str, state: Option<crate::state::ProfileState>) -> Json {
    let Some(state) = state else {
        return Json::Null;
    };
    let instances: Vec<Json> = state
        .instances
        .values()
        .map(codec::instance_to_json)
        .map(|mut v| {
            // Show instants as text, not milliseconds.
            if let Some(ms) = v.get("enteredAt").and_then(Json::as_i64) {
                v["enteredAt"] = json!(codec::instant(ms)
                    .map(|t| jexpr::time::format_instant(&t))
                    .unwrap_or_default());
            }
            if let Some(ms) = v.pointer("/waiting/due").and_then(Json::as_i64) {
                v["waiting"]["due"] = json!(codec::instant(ms)
                    .map(|t| jexpr::time::format_instant(&t))
                    .unwrap_or_default());
            }
            v
        })
        .collect();
    let history: Vec<Json> = state
        .history
        .iter()
        .map(|(j, h)| json!({"journey": j, "entries": h.entries, "lastEntry": jexpr::time::format_instant(&h.last_entry)}))
        .collect();
    json!({"profileId": id, "instances": instances, "history": history, "audiences": state.profile.audiences.to_json()})
}

/// The overview as text.
pub fn render(v: &Json) -> String {
    use std::fmt::Write;
    let mut out = String::new();
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
    match v.get("profile") {
        None => {}
        Some(Json::Null) => out.push_str("\nprofile: not in this state\n"),
        Some(p) => {
            let _ = writeln!(out, "\nprofile {}:", p["profileId"].as_str().unwrap_or(""));
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
    out
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
