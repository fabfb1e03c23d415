//! Runtime values, their canonical display (section 3) and JSON encoding.
//!
//! Values read from event or data-source JSON borrow from it: strings are
//! `Cow::Borrowed`, objects and arrays stay `Json` references until the
//! static type says how to read them.

use crate::temporal::{self, ZonedDateTime};
use chrono::{NaiveDate, NaiveDateTime};
use serde_json::Value as Json;
use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt::Write;

pub mod ops;

/// Shortest round-trip text of a decimal, always with a fraction (`7.0`).
pub fn decimal_text(d: f64) -> String {
    let text = format!("{d}");
    if text.contains('.') || !d.is_finite() {
        text
    } else {
        format!("{text}.0")
    }
}

/// A runtime value; strings and JSON borrow from the event or data they were read from.
#[derive(Clone, Debug, Default)]
pub enum Value<'a> {
    /// `null`.
    #[default]
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A decimal.
    Dec(f64),
    /// A string.
    Str(Cow<'a, str>),
    /// A `dateTime`.
    DateTime(ZonedDateTime),
    /// A `dateTimeOnly`.
    DateTimeOnly(NaiveDateTime),
    /// A `dateOnly`.
    DateOnly(NaiveDate),
    /// Milliseconds.
    Duration(i64),
    /// A list.
    List(Vec<Value<'a>>),
    /// An object, map or not-yet-typed part of the input data.
    Json(&'a Json),
    /// A pattern compiled at compile time (only ever a function argument).
    Regex(&'a regex::Regex),
    /// A zone id validated at compile time (only ever a function argument).
    Zone(temporal::Zone),
}

impl<'a> Value<'a> {
    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null | Value::Json(Json::Null))
    }

    /// A borrowed string.
    pub fn str(s: &'a str) -> Value<'a> {
        Value::Str(Cow::Borrowed(s))
    }

    /// An owned string.
    pub fn string(s: String) -> Value<'a> {
        Value::Str(Cow::Owned(s))
    }

    /// A JSON value read without a static type to guide it: strings stay
    /// strings, numbers become integer or decimal, arrays and objects stay data.
    pub fn from_json(json: &'a Json) -> Value<'a> {
        match json {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Dec(n.as_f64().unwrap_or(f64::NAN)),
            },
            Json::String(s) => Value::str(s),
            Json::Array(_) | Json::Object(_) => Value::Json(json),
        }
    }

    /// The elements of a list value (a typed list or a JSON array).
    pub fn elements(&self) -> Option<Vec<Value<'a>>> {
        match self {
            Value::List(items) => Some(items.clone()),
            Value::Json(Json::Array(items)) => Some(items.iter().map(Value::from_json).collect()),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            Value::Json(Json::String(s)) => Some(s),
            _ => None,
        }
    }

    /// `true` only for the boolean true; `null` counts as false (section 5.1).
    pub fn truthy(&self) -> bool {
        matches!(self, Value::Bool(true) | Value::Json(Json::Bool(true)))
    }

    /// Canonical display (section 3). At top level strings are bare; inside
    /// lists they are quoted, as in the REPL and JSON.
    pub fn display(&self) -> String {
        let mut out = String::new();
        self.write_display(&mut out, false);
        out
    }

    /// The REPL form: like [`display`](Self::display) but strings quoted.
    pub fn display_quoted(&self) -> String {
        let mut out = String::new();
        self.write_display(&mut out, true);
        out
    }

    fn write_display(&self, out: &mut String, quote: bool) {
        match self {
            Value::Null => out.push_str(if quote { "null" } else { "" }),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Dec(d) => out.push_str(&decimal_text(*d)),
            Value::Str(s) if quote => out.push_str(&Json::String(s.to_string()).to_string()),
            Value::Str(s) => out.push_str(s),
            Value::DateTime(d) => out.push_str(&temporal::format_date_time(d)),
            Value::DateTimeOnly(d) => out.push_str(&temporal::format_date_time_only(d)),
            Value::DateOnly(d) => out.push_str(&temporal::format_date_only(d)),
            Value::Duration(ms) => out.push_str(&temporal::format_duration(*ms)),
            Value::List(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write_display(out, true);
                }
                out.push(']');
            }
            Value::Json(Json::String(s)) if !quote => out.push_str(s),
            Value::Json(Json::Null) => out.push_str(if quote { "null" } else { "" }),
            Value::Json(Json::Array(items)) => {
                Value::List(items.iter().map(Value::from_json).collect()).write_display(out, quote)
            }
            Value::Json(j) => out.push_str(&j.to_string()),
            Value::Regex(r) => out.push_str(r.as_str()),
            Value::Zone(z) => out.push_str(&zone_name(*z)),
        }
    }

    /// The JSON form of CLI.md: dates and durations as display strings,
    /// decimals as numbers, lists as arrays, objects as objects.
    pub fn to_json(&self) -> Json {
        match self {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Int(i) => Json::from(*i),
            Value::Dec(d) => serde_json::Number::from_f64(*d).map_or(Json::Null, Json::Number),
            Value::Str(s) => Json::String(s.to_string()),
            Value::List(items) => Json::Array(items.iter().map(Value::to_json).collect()),
            Value::Json(j) => (*j).clone(),
            other => Json::String(other.display()),
        }
    }

    /// Equality of section 5.3: integers and decimals compare numerically,
    /// dateTimes by instant, lists element-wise, `null == null`.
    pub fn equals(&self, other: &Value<'_>) -> bool {
        match (self, other) {
            (a, b) if a.is_null() || b.is_null() => a.is_null() && b.is_null(),
            (Value::Json(a), b) if !matches!(a, Json::Array(_) | Json::Object(_)) => {
                Value::from_json(a).equals(b)
            }
            (a, Value::Json(b)) if !matches!(b, Json::Array(_) | Json::Object(_)) => {
                a.equals(&Value::from_json(b))
            }
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Int(a), Value::Dec(b)) | (Value::Dec(b), Value::Int(a)) => (*a as f64) == *b,
            (Value::Dec(a), Value::Dec(b)) => a == b,
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::DateTime(a), Value::DateTime(b)) => a.instant == b.instant,
            (Value::DateTimeOnly(a), Value::DateTimeOnly(b)) => a == b,
            (Value::DateOnly(a), Value::DateOnly(b)) => a == b,
            (Value::Duration(a), Value::Duration(b)) => a == b,
            (Value::Json(a), Value::Json(b)) => a == b,
            (a, b) => match (a.elements(), b.elements()) {
                (Some(x), Some(y)) => {
                    x.len() == y.len() && x.iter().zip(&y).all(|(p, q)| p.equals(q))
                }
                _ => false,
            },
        }
    }

    /// A text that two values share exactly when [`Value::equals`] holds
    /// between them: sets of values are hashed by it (`distinct`, `in`,
    /// `intersect`, …) instead of comparing every pair.
    pub(crate) fn set_key(&self) -> String {
        let mut out = String::new();
        self.write_set_key(&mut out);
        out
    }

    fn write_set_key(&self, out: &mut String) {
        let number = |out: &mut String, d: f64| {
            // -0.0 == 0.0.
            let d = if d == 0.0 { 0.0 } else { d };
            let _ = write!(out, "n{d}");
        };
        match self {
            v if v.is_null() => out.push('z'),
            Value::Json(j) if !matches!(j, Json::Array(_) | Json::Object(_)) => {
                Value::from_json(j).write_set_key(out)
            }
            Value::Json(j @ Json::Object(_)) => {
                let _ = write!(out, "o{j}");
            }
            Value::Bool(b) => out.push(if *b { 'T' } else { 'F' }),
            // Integers equal decimals of the same value; beyond 2^53 only
            // themselves (the conversion to f64 would merge neighbours).
            Value::Int(i) if (*i as f64) as i64 == *i && (*i as f64).abs() < 9.0e15 => {
                number(out, *i as f64)
            }
            Value::Int(i) => {
                let _ = write!(out, "i{i}");
            }
            Value::Dec(d) => number(out, *d),
            Value::Str(s) => {
                out.push('s');
                out.push_str(s);
                out.push('\u{0}');
            }
            Value::DateTime(t) => {
                let _ = write!(
                    out,
                    "t{}:{}",
                    t.instant.timestamp(),
                    t.instant.timestamp_subsec_nanos()
                );
            }
            Value::DateTimeOnly(t) => {
                let _ = write!(out, "l{t:?}");
            }
            Value::DateOnly(d) => {
                let _ = write!(out, "o{d:?}");
            }
            Value::Duration(ms) => {
                let _ = write!(out, "u{ms}");
            }
            v => match v.elements() {
                Some(items) => {
                    out.push('[');
                    for item in &items {
                        item.write_set_key(out);
                        out.push(',');
                    }
                    out.push(']');
                }
                None => {
                    let _ = write!(out, "?{}", v.display_quoted());
                }
            },
        }
    }

    /// The natural order of two values of one orderable type; `None` when
    /// they have no order (null, different types).
    pub fn compare(&self, other: &Value<'_>) -> Option<Ordering> {
        match (self, other) {
            (Value::Int(a), Value::Int(b)) => Some(a.cmp(b)),
            (Value::Int(a), Value::Dec(b)) => (*a as f64).partial_cmp(b),
            (Value::Dec(a), Value::Int(b)) => a.partial_cmp(&(*b as f64)),
            (Value::Dec(a), Value::Dec(b)) => a.partial_cmp(b),
            (Value::Str(a), Value::Str(b)) => Some(a.cmp(b)),
            (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
            (Value::DateTime(a), Value::DateTime(b)) => Some(a.instant.cmp(&b.instant)),
            (Value::DateTimeOnly(a), Value::DateTimeOnly(b)) => Some(a.cmp(b)),
            (Value::DateOnly(a), Value::DateOnly(b)) => Some(a.cmp(b)),
            (Value::Duration(a), Value::Duration(b)) => Some(a.cmp(b)),
            (Value::Json(a), b) if !matches!(a, Json::Array(_) | Json::Object(_) | Json::Null) => {
                Value::from_json(a).compare(b)
            }
            (a, Value::Json(b)) if !matches!(b, Json::Array(_) | Json::Object(_) | Json::Null) => {
                a.compare(&Value::from_json(b))
            }
            _ => None,
        }
    }
}

pub fn zone_name(zone: temporal::Zone) -> String {
    match zone {
        temporal::Zone::Region(tz) => tz.name().to_string(),
        temporal::Zone::Fixed(offset) => offset.to_string(),
    }
}
