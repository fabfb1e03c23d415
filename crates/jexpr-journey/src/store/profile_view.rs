//! One profile's state as `state inspect` shows it: its instances, where
//! they wait, what they remember. Shared by every backend's inspect.

use crate::codec;
use serde_json::{json, Value as Json};

/// The profile `id` as JSON (`null` when it is not known): instances,
/// entry history, audiences and data sources.
pub fn profile_detail(id: &str, state: Option<crate::state::ProfileState>) -> Json {
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
    json!({
        "profileId": id,
        "instances": instances,
        "history": history,
        "audiences": state.profile.audiences.to_json(),
        "dataSources": Json::Object((*state.profile.data_sources).clone()),
    })
}
