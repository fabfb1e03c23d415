//! `state inspect` of a PostgreSQL state: its partitions (holder, lease,
//! input position), the processes seen, counts.

use crate::codec;
use crate::store::StoreError;
use serde_json::{json, Value as Json};

/// The overview of a PostgreSQL state: its partitions (holder, lease,
/// input position), the processes seen, counts, and one profile if asked.
pub fn inspect(url: &str, profile: Option<&str>) -> Result<Json, StoreError> {
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
        out["profile"] = crate::store::profile_view::profile_detail(id, state);
    }
    Ok(out)
}
