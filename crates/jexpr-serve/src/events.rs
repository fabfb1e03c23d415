//! `POST /events`: a body (one object, an array, or NDJSON) read into
//! events the engine can accept, or every reason the batch is refused. A
//! batch is all or nothing, so everything is checked before anything is
//! sent to the engine.

use crate::engine::Pending;
use jexpr_journey::runner::input::{Decoder, Line};
use serde_json::{json, Map, Value as Json};
use std::collections::BTreeMap;

/// Most events in one request.
pub const MAX_EVENTS: usize = 1000;
/// Most bytes of one request's body.
pub const MAX_BODY: usize = 1 << 20;
/// Deepest nesting of an event's JSON.
pub const MAX_DEPTH: usize = 64;

/// Why a request is refused: its status and JSON body.
pub struct Refused {
    pub status: u16,
    pub body: Json,
}

fn refused(status: u16, message: impl Into<String>) -> Refused {
    Refused {
        status,
        body: json!({ "error": message.into() }),
    }
}

/// Reads a request body: the events it carries, each checked.
pub fn read(
    body: &[u8],
    ndjson: bool,
    decoder: &Decoder<'_>,
    event_ids: &BTreeMap<String, String>,
) -> Result<Vec<Pending>, Refused> {
    let items = items(body, ndjson)?;
    if items.len() > MAX_EVENTS {
        return Err(refused(
            413,
            format!(
                "{} events in one request; at most {MAX_EVENTS}: send them in several requests",
                items.len()
            ),
        ));
    }
    let mut pending = Vec::with_capacity(items.len());
    let mut errors = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        match event(item, decoder, event_ids) {
            Ok(p) => pending.push(p),
            Err(message) => errors.push(json!({"index": index, "message": message})),
        }
    }
    if errors.is_empty() {
        Ok(pending)
    } else {
        Err(Refused {
            status: 400,
            body: json!({ "errors": errors }),
        })
    }
}

fn items(body: &[u8], ndjson: bool) -> Result<Vec<Json>, Refused> {
    if ndjson {
        let mut out = Vec::new();
        for (i, line) in body.split(|b| *b == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let v = serde_json::from_slice(line)
                .map_err(|e| refused(400, format!("line {} is not valid JSON: {e}", i + 1)))?;
            out.push(v);
        }
        return Ok(out);
    }
    match serde_json::from_slice::<Json>(body) {
        Ok(Json::Array(items)) => Ok(items),
        Ok(object @ Json::Object(_)) => Ok(vec![object]),
        Ok(_) => Err(refused(
            400,
            "the body is one event object, an array of them, or NDJSON (Content-Type: application/x-ndjson)",
        )),
        Err(e) => Err(refused(400, format!("the body is not valid JSON: {e}"))),
    }
}

fn depth(v: &Json) -> usize {
    match v {
        Json::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Json::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// One item of the batch as an events-file line without its time.
fn event(
    item: Json,
    decoder: &Decoder<'_>,
    event_ids: &BTreeMap<String, String>,
) -> Result<Pending, String> {
    if depth(&item) > MAX_DEPTH {
        return Err(format!(
            "the event is nested deeper than {MAX_DEPTH} levels"
        ));
    }
    let Json::Object(mut object) = item else {
        return Err("an event is a JSON object".into());
    };
    if object.contains_key("time") {
        return Err("an event happens when it is accepted: leave `time` out (replay history with `jexpr run`)".into());
    }
    if object.contains_key("header") && object.contains_key("body") {
        object = from_envelope(object, event_ids)?;
    }
    let id = match object.remove("id") {
        None => None,
        Some(Json::String(id)) if !id.is_empty() => Some(id),
        Some(_) => return Err("`id` must be a non-empty string".into()),
    };
    if let Some(payload) = object.get("payload") {
        if !payload.is_object() {
            return Err("`payload` must be a JSON object".into());
        }
    }
    // Checked as the line it will be, at a placeholder time.
    let mut probe = object.clone();
    probe.insert("time".into(), json!("2000-01-01T00:00:00Z"));
    let bytes = serde_json::to_vec(&probe).map_err(|e| e.to_string())?;
    match decoder.decode(&bytes) {
        Line::Invalid(message) => Err(message),
        _ => Ok(Pending { line: object, id }),
    }
}

/// A streaming-ingestion envelope: `body.xdmEntity` is the payload, its
/// `_id` the id, and its `_experience.campaign.orchestration.eventID` names
/// the catalog event (`events.<E>.eventID`).
fn from_envelope(
    mut object: Map<String, Json>,
    event_ids: &BTreeMap<String, String>,
) -> Result<Map<String, Json>, String> {
    let entity = object
        .get_mut("body")
        .and_then(|b| b.get_mut("xdmEntity"))
        .map(Json::take)
        .ok_or("an envelope's event is `body.xdmEntity`")?;
    let event_id = entity
        .pointer("/_experience/campaign/orchestration/eventID")
        .and_then(Json::as_str)
        .ok_or("the envelope's xdmEntity has no `_experience.campaign.orchestration.eventID`")?;
    let name = event_ids.get(event_id).ok_or_else(|| {
        format!("no catalog event has `eventID` `{event_id}` (the catalog's `events.<E>.eventID`)")
    })?;
    let mut line = Map::new();
    line.insert("event".into(), json!(name));
    if let Some(id) = entity.get("_id").and_then(Json::as_str) {
        line.insert("id".into(), json!(id));
    }
    if let Some(p) = object.remove("profileId") {
        line.insert("profileId".into(), p);
    }
    line.insert("payload".into(), entity);
    Ok(line)
}
