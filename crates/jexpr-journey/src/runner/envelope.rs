//! An events line read without building its payload: the envelope's fields
//! are read as JSON, the payload is kept as its text so that it is parsed
//! once, keeping only what the journeys read of that event.

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::Value as Json;
use std::fmt;

/// The fields of an events line the runner reads; the last of a repeated
/// key wins, as in a parsed JSON object.
#[derive(Default)]
pub struct Envelope<'a> {
    pub time: Option<Json>,
    pub event: Option<Json>,
    pub profile_id: Option<Json>,
    pub payload: Option<&'a RawValue>,
}

impl<'a> Envelope<'a> {
    /// The envelope of a line that is a JSON object, or `None` (the caller
    /// parses the line whole to say what is wrong).
    pub fn read(bytes: &'a [u8]) -> Option<Envelope<'a>> {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let envelope = de.deserialize_map(EnvelopeVisitor).ok()?;
        de.end().ok()?;
        Some(envelope)
    }
}

struct EnvelopeVisitor;

impl<'de> Visitor<'de> for EnvelopeVisitor {
    type Value = Envelope<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an events line (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Envelope<'de>, A::Error> {
        let mut envelope = Envelope::default();
        while let Some(key) = access.next_key::<Key>()? {
            match key {
                Key::Time => envelope.time = Some(access.next_value()?),
                Key::Event => envelope.event = Some(access.next_value()?),
                Key::ProfileId => envelope.profile_id = Some(access.next_value()?),
                Key::Payload => envelope.payload = Some(access.next_value()?),
                Key::Other => {
                    access.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(envelope)
    }
}

/// A key of the envelope, recognised without allocating it.
enum Key {
    Time,
    Event,
    ProfileId,
    Payload,
    Other,
}

impl<'de> serde::Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Key, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<Key, E> {
                Ok(match key {
                    "time" => Key::Time,
                    "event" => Key::Event,
                    "profileId" => Key::ProfileId,
                    "payload" => Key::Payload,
                    _ => Key::Other,
                })
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payload_is_kept_as_text_and_the_last_key_wins() {
        let line = br#"{"time": "t1", "payload": {"a": [1, 2]}, "x": {"y": 1}, "time": "t2", "event": "E"}"#;
        let e = Envelope::read(line).expect("an object");
        assert_eq!(e.time, Some(Json::from("t2")));
        assert_eq!(e.event, Some(Json::from("E")));
        assert_eq!(e.payload.map(RawValue::get), Some(r#"{"a": [1, 2]}"#));
        assert!(Envelope::read(b"[1]").is_none());
        assert!(Envelope::read(br#"{"time": "t"} x"#).is_none());
        assert!(Envelope::read(br#"{"payload": {"a": }"#).is_none());
    }

    #[test]
    fn escaped_keys_are_read() {
        let e = Envelope::read(br#"{"ev\u0065nt": "E", "audiences": {}}"#).expect("an object");
        assert_eq!(e.event, Some(Json::from("E")));
    }
}
