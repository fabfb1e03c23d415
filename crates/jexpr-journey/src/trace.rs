//! Trace records (JOURNEYS.md section 5): one JSON object per step.

use chrono::{DateTime, Utc};
use serde_json::{json, Value as Json};

/// One trace record; fields in the order they are written. Field names are
/// the format's own (static), so a record is a short list, not a map with
/// allocated keys: every step writes several.
#[derive(Clone, Debug, PartialEq)]
pub struct Record(Vec<(&'static str, Json)>);

impl Record {
    /// A record of `kind` about a profile in a journey version.
    pub fn new(
        now: DateTime<Utc>,
        kind: &str,
        journey: &str,
        version: i64,
        profile: &str,
    ) -> Record {
        let mut fields = Vec::with_capacity(9);
        fields.push(("time", json!(jexpr::time::format_instant(&now))));
        fields.push(("kind", json!(kind)));
        fields.push(("journey", json!(journey)));
        fields.push(("version", json!(version)));
        fields.push(("profileId", json!(profile)));
        Record(fields)
    }

    /// An `inputError` record for line `line` of the events file.
    pub fn input_error(now: DateTime<Utc>, line: u64, message: &str) -> Record {
        Record(vec![
            ("time", json!(jexpr::time::format_instant(&now))),
            ("kind", json!("inputError")),
            ("line", json!(line)),
            ("message", json!(message)),
        ])
    }

    /// Adds a field (or replaces it where it stands, as a JSON object would).
    pub fn with(mut self, key: &'static str, value: impl Into<Json>) -> Record {
        let value = value.into();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => *v = value,
            None => self.0.push((key, value)),
        }
        self
    }

    /// The record kind.
    pub fn kind(&self) -> &str {
        self.get("kind").and_then(Json::as_str).unwrap_or("")
    }

    /// A field's value.
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// One JSON line (without the newline), as `serde_json` writes an
    /// object with these fields in this order.
    pub fn to_line(&self) -> String {
        let mut out = String::with_capacity(160);
        out.push('{');
        for (i, (key, value)) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push('"');
            out.push_str(key);
            out.push_str("\":");
            out.push_str(&value.to_string());
        }
        out.push('}');
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_what_serde_json_writes_for_the_same_object() {
        let now = DateTime::<Utc>::from_timestamp_millis(1_714_557_600_123).expect("instant");
        let r = Record::new(now, "action", "j", 2, "p\"1")
            .with("node", "n")
            .with("params", json!({"to": "a@b", "n": [1, 2.5, null]}))
            .with("node", "m");
        let mut object = serde_json::Map::new();
        for (k, v) in [
            ("time", json!("2024-05-01T10:00:00.123Z")),
            ("kind", json!("action")),
            ("journey", json!("j")),
            ("version", json!(2)),
            ("profileId", json!("p\"1")),
            ("node", json!("m")),
            ("params", json!({"to": "a@b", "n": [1, 2.5, null]})),
        ] {
            object.insert(k.to_string(), v);
        }
        assert_eq!(r.to_line(), Json::Object(object).to_string());
        assert_eq!(r.kind(), "action");
    }
}
