//! Reading only what a program needs from raw event bytes: the program's
//! field paths become a [`Selection`], and the parser keeps those fields
//! while skipping everything else without allocating (serde's `IgnoredAny`).

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value as Json};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

/// Which parts of a JSON value a program reads.
#[derive(Clone, Debug, PartialEq)]
pub enum Selection {
    /// The whole value (a leaf the program reads, or access the compiler
    /// cannot narrow down, such as a filter).
    All,
    /// Only these fields, each with its own selection; a list is read element
    /// by element with the same selection (projection).
    Fields(BTreeMap<String, Selection>),
}

impl Selection {
    pub fn nothing() -> Selection {
        Selection::Fields(BTreeMap::new())
    }

    /// Adds a path of field names whose value is read whole.
    pub fn add_path(&mut self, names: &[&str]) {
        let Selection::Fields(fields) = self else {
            return;
        };
        match names.split_first() {
            None => *self = Selection::All,
            Some((first, rest)) => fields
                .entry((*first).to_string())
                .or_insert_with(Selection::nothing)
                .add_path(rest),
        }
    }

    fn field(&self, key: &str) -> Option<&Selection> {
        match self {
            Selection::All => Some(self),
            Selection::Fields(fields) => fields
                .get(key)
                .or_else(|| key.strip_prefix("xdm:").and_then(|k| fields.get(k))),
        }
    }
}

/// Parses `bytes`, keeping what `selection` names.
pub fn read(selection: &Selection, bytes: &[u8]) -> Result<Json, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = selection.deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

impl<'de> DeserializeSeed<'de> for &Selection {
    type Value = Json;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Json, D::Error> {
        match self {
            Selection::All => serde::Deserialize::deserialize(deserializer),
            Selection::Fields(_) => deserializer.deserialize_any(Selected(self)),
        }
    }
}

struct Selected<'s>(&'s Selection);

/// An object key, borrowed from the input when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

impl<'de> Visitor<'de> for Selected<'_> {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Json, A::Error> {
        // Sized once: at most the selected fields are kept.
        let mut out = match self.0 {
            Selection::Fields(fields) => Map::with_capacity(fields.len()),
            Selection::All => Map::new(),
        };
        while let Some(Key(key)) = access.next_key::<Key<'de>>()? {
            match self.0.field(&key) {
                Some(sub) => {
                    let value = access.next_value_seed(sub)?;
                    out.insert(key.into_owned(), value);
                }
                None => {
                    access.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Json::Object(out))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = access.next_element_seed(self.0)? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Json, E> {
        Ok(Json::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Json, E> {
        Ok(Json::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Json::Null, Json::Number))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_string()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
}
