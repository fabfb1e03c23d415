//! Trace records (JOURNEYS.md section 5): one JSON object per step.

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value as Json};

/// One trace record; fields in the order they are written.
#[derive(Clone, Debug, PartialEq)]
pub struct Record(pub Map<String, Json>);

impl Record {
    /// A record of `kind` about a profile in a journey version.
    pub fn new(
        now: DateTime<Utc>,
        kind: &str,
        journey: &str,
        version: i64,
        profile: &str,
    ) -> Record {
        let mut m = Map::new();
        m.insert("time".into(), json!(jexpr::time::format_instant(&now)));
        m.insert("kind".into(), json!(kind));
        m.insert("journey".into(), json!(journey));
        m.insert("version".into(), json!(version));
        m.insert("profileId".into(), json!(profile));
        Record(m)
    }

    /// An `inputError` record for line `line` of the events file.
    pub fn input_error(now: DateTime<Utc>, line: u64, message: &str) -> Record {
        let mut m = Map::new();
        m.insert("time".into(), json!(jexpr::time::format_instant(&now)));
        m.insert("kind".into(), json!("inputError"));
        m.insert("line".into(), json!(line));
        m.insert("message".into(), json!(message));
        Record(m)
    }

    /// Adds a field.
    pub fn with(mut self, key: &str, value: impl Into<Json>) -> Record {
        self.0.insert(key.into(), value.into());
        self
    }

    /// The record kind.
    pub fn kind(&self) -> &str {
        self.0.get("kind").and_then(Json::as_str).unwrap_or("")
    }

    /// One JSON line (without the newline).
    pub fn to_line(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_default()
    }
}
