//! Profile state as JSON, for stores that persist it. Reading checks every
//! field, so a damaged row is an error that names what is wrong, never a panic.

use crate::state::{Fetch, History, Instance, LastError, Profile, ProfileState, Waiting};
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value as Json};

/// Milliseconds since the epoch.
pub fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// The instant of `ms` milliseconds since the epoch.
pub fn instant(ms: i64) -> Result<DateTime<Utc>, String> {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .ok_or_else(|| format!("{ms} ms is not a representable instant"))
}

/// A profile's data and history (its instances are stored one by one).
pub fn profile_to_json(state: &ProfileState) -> Json {
    let history: Map<String, Json> = state
        .history
        .iter()
        .map(|(j, h)| {
            (
                j.clone(),
                json!({"entries": h.entries, "lastEntry": millis(h.last_entry)}),
            )
        })
        .collect();
    let fetches: Vec<Json> = state
        .profile
        .fetches
        .iter()
        .map(|f| json!({"dataSource": f.data_source, "fieldGroup": f.field_group, "params": f.params, "data": f.data}))
        .collect();
    json!({
        "dataSources": *state.profile.data_sources,
        "audiences": state.profile.audiences.to_json(),
        "fetches": fetches,
        "history": history,
    })
}

/// Reads [`profile_to_json`]'s output back (instances empty).
pub fn profile_from_json(id: &str, v: &Json) -> Result<ProfileState, String> {
    let o = v.as_object().ok_or("a profile row is not an object")?;
    let mut state = ProfileState {
        id: id.to_string(),
        ..Default::default()
    };
    state.profile = Profile {
        data_sources: o
            .get("dataSources")
            .and_then(Json::as_object)
            .cloned()
            .unwrap_or_default()
            .into(),
        audiences: o
            .get("audiences")
            .and_then(Json::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default(),
        fetches: o
            .get("fetches")
            .and_then(Json::as_array)
            .map(|list| {
                list.iter()
                    .map(|f| {
                        Ok(Fetch {
                            data_source: text(f, "dataSource")?,
                            field_group: text(f, "fieldGroup")?,
                            params: f
                                .get("params")
                                .and_then(Json::as_object)
                                .cloned()
                                .unwrap_or_default(),
                            data: f.get("data").cloned().unwrap_or(Json::Null),
                        })
                    })
                    .collect::<Result<Vec<_>, String>>()
            })
            .transpose()?
            .unwrap_or_default(),
    };
    if let Some(h) = o.get("history").and_then(Json::as_object) {
        for (journey, e) in h {
            state.history.insert(
                journey.clone(),
                History {
                    entries: number(e, "entries")? as u64,
                    last_entry: instant(number(e, "lastEntry")?)?,
                },
            );
        }
    }
    Ok(state)
}

/// An instance as JSON.
pub fn instance_to_json(i: &Instance) -> Json {
    json!({
        "id": i.id,
        "journey": i.journey,
        "version": i.version,
        "node": i.node,
        "previousNode": i.previous_node,
        "enteredAt": millis(i.entered_at),
        "entry": i.entry,
        "events": i.events.to_json(),
        "waiting": i.waiting.as_ref().map(|w| json!({"due": millis(w.due), "reaction": w.reaction})),
        "lastError": i.last_error.as_ref().map(|e| json!({"node": e.node, "nodeType": e.node_type, "code": e.code})),
    })
}

/// Reads [`instance_to_json`]'s output back.
pub fn instance_from_json(v: &Json) -> Result<Instance, String> {
    let events: crate::state::SmallMap<Json> = v
        .get("events")
        .and_then(Json::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let waiting = match v.get("waiting") {
        None | Some(Json::Null) => None,
        Some(w) => Some(Waiting {
            due: instant(number(w, "due")?)?,
            reaction: w
                .get("reaction")
                .and_then(Json::as_bool)
                .ok_or("`waiting.reaction` is missing")?,
        }),
    };
    let last_error = match v.get("lastError") {
        None | Some(Json::Null) => None,
        Some(e) => Some(LastError {
            node: text(e, "node")?,
            node_type: text(e, "nodeType")?,
            code: text(e, "code")?,
        }),
    };
    Ok(Instance {
        id: text(v, "id")?,
        journey: text(v, "journey")?,
        version: number(v, "version")?,
        node: text(v, "node")?,
        previous_node: v
            .get("previousNode")
            .and_then(Json::as_str)
            .map(str::to_string),
        entered_at: instant(number(v, "enteredAt")?)?,
        entry: number(v, "entry")? as u64,
        events,
        waiting,
        last_error,
    })
}

fn text(v: &Json, key: &str) -> Result<String, String> {
    v.get(key)
        .and_then(Json::as_str)
        .map(str::to_string)
        .ok_or_else(|| format!("`{key}` is missing or not a string"))
}

fn number(v: &Json, key: &str) -> Result<i64, String> {
    v.get(key)
        .and_then(Json::as_i64)
        .ok_or_else(|| format!("`{key}` is missing or not an integer"))
}
