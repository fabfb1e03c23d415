//! The compact field notation: `"string"`, `{…}` (object), `[T]` (list),
//! `{"$map": T}` (map).

use super::{field_name, pointer_escape};
use crate::suggest::closest;
use crate::types::{Fields, Type};
use serde_json::Value;
use std::sync::Arc;

/// Parses a compact type at JSON pointer `path`; errors carry their own pointer.
pub fn parse(value: &Value, path: &str) -> Result<Type, (String, String)> {
    match value {
        Value::String(name) => Type::from_name(name).ok_or_else(|| {
            if name.len() > 80 {
                let head: String = name.chars().take(40).collect();
                return (
                    path.to_string(),
                    format!("unknown type name `{head}…` ({} bytes; `list<…>`/`map<…>` nest at most 32 deep)", name.len()),
                );
            }
            let hint = closest(name, Type::NAMES.iter().copied())
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            (
                path.to_string(),
                format!("unknown type name `{name}`{hint}"),
            )
        }),
        Value::Array(items) => match items.as_slice() {
            [elem] => Ok(Type::list(parse(elem, &format!("{path}/0"))?)),
            _ => Err((
                path.to_string(),
                "a list type is written as a one-element array: `[\"string\"]`".to_string(),
            )),
        },
        Value::Object(map) => {
            if let Some(inner) = map.get("$map") {
                if map.len() != 1 {
                    return Err((
                        path.to_string(),
                        "`{\"$map\": T}` takes no other keys".to_string(),
                    ));
                }
                return Ok(Type::Map(Arc::new(parse(inner, &format!("{path}/$map"))?)));
            }
            let mut fields = Fields::new();
            for (key, v) in map {
                let t = parse(v, &format!("{path}/{}", pointer_escape(key)))?;
                fields.insert(field_name(key).to_string(), t);
            }
            Ok(Type::object(fields))
        }
        _ => Err((
            path.to_string(),
            "expected a type name, an object of fields, `[T]` or `{\"$map\": T}`".to_string(),
        )),
    }
}
