//! A scalar as read straight from data, whether a JSON leaf or bytes being
//! parsed, so one comparison routine serves both fast paths.

use crate::program::{BinOp, Constant};
use crate::types::Type;
use crate::value::Value;
use serde_json::Value as Json;
use std::cmp::Ordering;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Raw<'a> {
    /// Absent or `null`.
    Null,
    Str(&'a str),
    /// A JSON number that fits an i64.
    Int(i64),
    /// Any other JSON number.
    Float(f64),
    Bool(bool),
}

impl<'a> Raw<'a> {
    /// The scalar in a value read from JSON (or absent); `None` for anything else.
    pub fn of(v: &Value<'a>) -> Option<Raw<'a>> {
        match v {
            Value::Null => Some(Raw::Null),
            Value::Json(json) => Raw::of_json(json),
            _ => None,
        }
    }

    /// The scalar at a JSON leaf; `None` for an object or array.
    pub fn of_json(json: &'a Json) -> Option<Raw<'a>> {
        match json {
            Json::Null => Some(Raw::Null),
            Json::String(s) => Some(Raw::Str(s)),
            Json::Bool(b) => Some(Raw::Bool(*b)),
            Json::Number(n) => match n.as_i64() {
                Some(i) => Some(Raw::Int(i)),
                None => n.as_f64().map(Raw::Float),
            },
            _ => None,
        }
    }

    fn as_f64(self) -> Option<f64> {
        match self {
            Raw::Int(i) => Some(i as f64),
            Raw::Float(d) => Some(d),
            _ => None,
        }
    }
}

/// `raw op constant` when the data has the JSON form of its static type;
/// `None` sends it down the general route (coercion, then the operator).
/// `raw` by reference: passed by value, it was copied with one wide load
/// from where the leaf had just been stored field by field, a
/// store-forwarding stall (a quarter of a plain condition's time).
pub fn compare(
    op: BinOp,
    raw: &Raw<'_>,
    constant: Option<&Constant>,
    ty: Option<&Type>,
) -> Option<bool> {
    match (*raw, constant, ty) {
        (Raw::Null, Some(k), _) => Some(match op {
            BinOp::Eq => matches!(k, Constant::Null),
            BinOp::Ne => !matches!(k, Constant::Null),
            _ => false,
        }),
        (Raw::Str(s), Some(Constant::Str(k)), Some(Type::String)) => ordering_matches(op, s.cmp(k)),
        (Raw::Int(i), Some(Constant::Int(k)), Some(Type::Integer)) => {
            ordering_matches(op, i.cmp(k))
        }
        (Raw::Int(_) | Raw::Float(_), Some(Constant::Int(k)), Some(Type::Decimal)) => raw
            .as_f64()
            .and_then(|d| d.partial_cmp(&(*k as f64)))
            .and_then(|o| ordering_matches(op, o)),
        (Raw::Int(_) | Raw::Float(_), Some(Constant::Dec(k)), Some(Type::Decimal))
        | (Raw::Int(_), Some(Constant::Dec(k)), Some(Type::Integer)) => raw
            .as_f64()
            .and_then(|d| d.partial_cmp(k))
            .and_then(|o| ordering_matches(op, o)),
        (Raw::Bool(b), Some(Constant::Bool(k)), Some(Type::Boolean)) => match op {
            BinOp::Eq => Some(b == *k),
            BinOp::Ne => Some(b != *k),
            _ => None,
        },
        _ => None,
    }
}

/// Whether `ordering` satisfies comparison `op`; `None` for a non-comparison.
pub fn ordering_matches(op: BinOp, ordering: Ordering) -> Option<bool> {
    Some(match op {
        BinOp::Eq => ordering == Ordering::Equal,
        BinOp::Ne => ordering != Ordering::Equal,
        BinOp::Lt => ordering == Ordering::Less,
        BinOp::Le => ordering != Ordering::Greater,
        BinOp::Gt => ordering == Ordering::Greater,
        BinOp::Ge => ordering != Ordering::Less,
        _ => return None,
    })
}
