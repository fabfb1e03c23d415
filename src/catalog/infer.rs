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
