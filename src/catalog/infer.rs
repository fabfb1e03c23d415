//! Types inferred from sample data when no catalog is given.

use super::field_name;
use crate::types::{Fields, Type};
use serde_json::Value;

/// The type a JSON value would have as event or data-source data: numbers
/// without a fraction are integers, RFC 3339 date-time strings are dateTime,
/// list elements are unified (their first type wins on a conflict).
pub fn type_of_json(value: &Value) -> Type {
    match value {
        Value::Null => Type::Null,
        Value::Bool(_) => Type::Boolean,
        Value::Number(n) if n.is_i64() => Type::Integer,
        Value::Number(_) => Type::Decimal,
        Value::String(s) if crate::temporal::looks_like_date_time(s) => Type::DateTime,
        Value::String(_) => Type::String,
        // A list of objects (and nulls): fields merged in place, one pass,
        // instead of re-merging a copy of the union per element.
        Value::Array(items)
            if items.iter().any(Value::is_object)
                && items.iter().all(|i| i.is_object() || i.is_null()) =>
        {
            let mut fields = Fields::new();
            for map in items.iter().filter_map(Value::as_object) {
                for (k, v) in map {
                    let t = type_of_json(v);
                    match fields.get_mut(field_name(k)) {
                        Some(existing) => {
                            if let Some(u) = existing.unify(&t) {
                                *existing = u;
                            }
                        }
                        None => {
                            fields.insert(field_name(k).to_string(), t);
                        }
                    }
                }
            }
            Type::list(Type::object(fields))
        }
        Value::Array(items) => {
            let mut elem = Type::Null;
            for item in items {
                let t = type_of_json(item);
                elem = elem.unify(&t).unwrap_or(elem);
            }
            Type::list(elem)
        }
        Value::Object(map) => {
            let fields: Fields = map
                .iter()
                .map(|(k, v)| (field_name(k).to_string(), type_of_json(v)))
                .collect();
            Type::object(fields)
        }
    }
}
