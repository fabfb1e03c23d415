//! Trace records (JOURNEYS.md section 5): one JSON object per step.

use chrono::{DateTime, Utc};
use serde_json::{json, Value as Json};

/// One trace record; fields in the order they are written. Field names are
/// the format's own (static), so a record is a short list, not a map with
/// allocated keys: every step writes several.
#[derive(Clone, Debug, PartialEq)]
pub struct Record(Vec<(&'static str, Json)>);

thread_local! {
    /// The last instant formatted: a step writes several records at one time.
    static LAST_TIME: std::cell::RefCell<(i64, String)> = const {
        std::cell::RefCell::new((i64::MIN, String::new()))
    };
}

/// `now` as a trace shows it.
fn time_text(now: DateTime<Utc>) -> String {
    let millis = now.timestamp_millis();
    LAST_TIME.with(|last| {
        let mut last = last.borrow_mut();
        if last.0 != millis {
            *last = (millis, jexpr::time::format_instant(&now));
        }
        last.1.clone()
    })
}

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
        fields.push(("time", Json::String(time_text(now))));
        fields.push(("kind", json!(kind)));
        fields.push(("journey", json!(journey)));
        fields.push(("version", json!(version)));
        fields.push(("profileId", json!(profile)));
        Record(fields)
    }

    /// An `inputError` record for line `line` of the events file.
    pub fn input_error(now: DateTime<Utc>, line: u64, message: &str) -> Record {
        Record(vec![
            ("time", Json::String(time_text(now))),
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
        let mut out = Vec::with_capacity(192);
        out.push(b'{');
        for (i, (key, value)) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.push(b'"');
            out.extend_from_slice(key.as_bytes());
            out.extend_from_slice(b"\":");
            // Straight into the buffer: writing through `Display` was a
            // tenth of a runner's time. Writing a `Value` to a `Vec` cannot fail.
            let _ = serde_json::to_writer(&mut out, value);
        }
        out.push(b'}');
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
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
