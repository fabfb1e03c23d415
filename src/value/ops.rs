//! Operators and data coercion, shared by the VM and constant folding so
//! the two cannot disagree.

use crate::temporal::{self, ZonedDateTime};
use crate::types::Type;
use crate::value::Value;
use chrono::Duration;
use serde_json::Value as Json;
use std::cmp::Ordering;

type R<'a> = Result<Value<'a>, String>;

fn overflow(op: &str) -> String {
    format!("integer overflow in `{op}`")
}

pub fn binary<'a>(op: BinOp, l: Value<'a>, r: Value<'a>) -> R<'a> {
    match op {
        BinOp::Eq => Ok(Value::Bool(l.equals(&r))),
        BinOp::Ne => Ok(Value::Bool(!l.equals(&r))),
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            // A comparison with null is false (section 5.3).
            let ordering = l.compare(&r);
            Ok(Value::Bool(match (op, ordering) {
                (_, None) => false,
                (BinOp::Lt, Some(o)) => o == Ordering::Less,
                (BinOp::Le, Some(o)) => o != Ordering::Greater,
                (BinOp::Gt, Some(o)) => o == Ordering::Greater,
                (_, Some(o)) => o != Ordering::Less,
            }))
        }
        BinOp::Concat => {
            let mut out = l.display();
            out.push_str(&r.display());
            checked_result(Value::string(out))
        }
        _ if l.is_null() || r.is_null() => Ok(Value::Null),
        _ => arithmetic(op, l, r),
    }
}

fn arithmetic<'a>(op: BinOp, l: Value<'a>, r: Value<'a>) -> R<'a> {
    use Value::*;
    match (op, l, r) {
        (BinOp::Add, Int(a), Int(b)) => a.checked_add(b).map(Int).ok_or_else(|| overflow("+")),
        (BinOp::Sub, Int(a), Int(b)) => a.checked_sub(b).map(Int).ok_or_else(|| overflow("-")),
        (BinOp::Mul, Int(a), Int(b)) => a.checked_mul(b).map(Int).ok_or_else(|| overflow("*")),
        // Division and remainder by zero give 0 (documented behaviour).
        (BinOp::Div, Int(_), Int(0)) | (BinOp::Rem, Int(_), Int(0)) => Ok(Int(0)),
        (BinOp::Div, Int(a), Int(b)) => a.checked_div(b).map(Int).ok_or_else(|| overflow("/")),
        (BinOp::Rem, Int(a), Int(b)) => Ok(Int(a.checked_rem(b).unwrap_or(0))),
        (BinOp::Add, DateTime(t), Duration(ms)) => shift_instant(&t, ms),
        (BinOp::Sub, DateTime(t), Duration(ms)) => {
            shift_instant(&t, ms.checked_neg().ok_or_else(|| overflow("-"))?)
        }
        (BinOp::Add, DateTimeOnly(t), Duration(ms)) => shift_local(t, ms),
        (BinOp::Sub, DateTimeOnly(t), Duration(ms)) => {
            shift_local(t, ms.checked_neg().ok_or_else(|| overflow("-"))?)
        }
        (BinOp::Add, Duration(a), Duration(b)) => {
            a.checked_add(b).map(Duration).ok_or_else(|| overflow("+"))
        }
        (BinOp::Sub, Duration(a), Duration(b)) => {
            a.checked_sub(b).map(Duration).ok_or_else(|| overflow("-"))
        }
        (op, a, b) => {
            let (Some(x), Some(y)) = (as_f64(&a), as_f64(&b)) else {
                return Err(format!(
                    "cannot apply `{op:?}` to `{}` and `{}`",
                    a.display_quoted(),
                    b.display_quoted()
                ));
            };
            checked_result(Dec(match op {
                BinOp::Add => x + y,
                BinOp::Sub => x - y,
                BinOp::Mul => x * y,
                BinOp::Div if y == 0.0 => 0.0,
                BinOp::Div => x / y,
                BinOp::Rem if y == 0.0 => 0.0,
                _ => x % y,
            }))
        }
    }
}

/// Longest string an evaluation may build.
pub const MAX_STRING_BYTES: usize = 16 * 1024 * 1024;
/// Longest list an evaluation may build.
pub const MAX_LIST_LEN: usize = 1_000_000;

/// The error for a string or list that would exceed the caps.
pub fn too_large(what: &str, size: usize) -> String {
    match what {
        "string" => format!(
            "the result would be a string of {size} bytes; the limit is {} MiB",
            MAX_STRING_BYTES >> 20
        ),
        _ => format!("the result would be a list of {size} elements; the limit is {MAX_LIST_LEN}"),
    }
}

/// Checks a computed value: a decimal must be finite (overflow to infinity
/// or NaN is an error, never a silent `inf` or JSON `null`), and strings and
/// lists must stay within the size caps.
pub fn checked_result(v: Value<'_>) -> R<'_> {
    match &v {
        Value::Dec(d) if !d.is_finite() => {
            Err("decimal overflow: the result is too large for a decimal".into())
        }
        Value::Str(s) if s.len() > MAX_STRING_BYTES => Err(too_large("string", s.len())),
        Value::List(items) if items.len() > MAX_LIST_LEN => Err(too_large("list", items.len())),
        _ => Ok(v),
    }
}

/// The work a builtin may do on a value, in fuel units: one per element or
/// per 64 bytes of text.
pub fn work_units(v: &Value<'_>) -> u64 {
    match v {
        Value::Str(s) => 1 + (s.len() / 64) as u64,
        Value::List(items) => 1 + items.len() as u64,
        Value::Json(Json::Array(items)) => 1 + items.len() as u64,
        Value::Json(Json::String(s)) => 1 + (s.len() / 64) as u64,
        _ => 1,
    }
}

/// What building `v` allocated, in fuel units: one per element of a list
/// and one per 16 bytes of a string it owns (borrowed input costs nothing).
/// Charged for every computed value, so the fuel bounds the memory an
/// evaluation can take as well as its time: without it, a list of 200,000
/// two-megabyte concatenations cost under a million units.
pub fn alloc_units(v: &Value<'_>) -> u64 {
    match v {
        Value::Str(std::borrow::Cow::Owned(s)) => (s.len() / 16) as u64,
        Value::List(items) => items
            .iter()
            .map(|item| 1 + alloc_units(item))
            .fold(0u64, u64::saturating_add),
        _ => 0,
    }
}

fn as_f64(v: &Value<'_>) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Dec(d) => Some(*d),
        _ => None,
    }
}

/// Adds milliseconds to an instant; a zone id is kept and its offset recomputed (DST).
fn shift_instant<'a>(t: &ZonedDateTime, ms: i64) -> R<'a> {
    let instant = Duration::try_milliseconds(ms)
        .and_then(|d| t.instant.checked_add_signed(d))
        .ok_or("the date is out of range")?;
    Ok(Value::DateTime(ZonedDateTime::at_zone(instant, t.zone())))
}

fn shift_local<'a>(t: chrono::NaiveDateTime, ms: i64) -> R<'a> {
    Duration::try_milliseconds(ms)
        .and_then(|d| t.checked_add_signed(d))
        .map(Value::DateTimeOnly)
        .ok_or_else(|| "the date is out of range".to_string())
}

pub fn negate<'a>(v: Value<'a>) -> R<'a> {
    match v {
        Value::Int(i) => i.checked_neg().map(Value::Int).ok_or_else(|| overflow("-")),
        Value::Dec(d) => Ok(Value::Dec(-d)),
        Value::Duration(ms) => ms
            .checked_neg()
            .map(Value::Duration)
            .ok_or_else(|| overflow("-")),
        Value::Null => Ok(Value::Null),
        other => Err(format!("cannot negate `{}`", other.display_quoted())),
    }
}

pub fn not(v: &Value<'_>) -> Value<'static> {
    Value::Bool(!v.truthy())
}

pub fn test(op: TestOp, v: &Value<'_>) -> Value<'static> {
    let number = match v {
        Value::Json(Json::Number(n)) => Some(n.is_i64()),
        Value::Int(_) => Some(true),
        Value::Dec(_) => Some(false),
        _ => None,
    };
    Value::Bool(match op {
        TestOp::IsNull => v.is_null(),
        TestOp::IsNotNull => !v.is_null(),
        TestOp::HasNull => v
            .elements()
            .is_some_and(|items| items.iter().any(Value::is_null)),
        TestOp::IsNumeric => number.is_some(),
        TestOp::IsInteger => number == Some(true),
        TestOp::IsDecimal => number == Some(false),
    })
}

/// Reads data as its static type: strings become dates where the schema says
/// so, arrays become typed lists. Values that are already typed pass through.
pub fn coerce<'a>(v: Value<'a>, ty: &Type) -> R<'a> {
    match v {
        Value::Json(Json::Null) => Ok(Value::Null),
        Value::Json(json) => coerce_json(json, ty),
        Value::List(mut items) => {
            if let Type::List(elem) = ty {
                // In place: a list read as its type keeps its allocation.
                for item in items.iter_mut() {
                    *item = coerce(std::mem::take(item), elem)?;
                }
            }
            Ok(Value::List(items))
        }
        // An integer where a decimal is expected (`if (…) then (1) else (2.5)`).
        Value::Int(i) if *ty == Type::Decimal => Ok(Value::Dec(i as f64)),
        other => Ok(other),
    }
}

fn mismatch<'a>(json: &Json, ty: &Type) -> R<'a> {
    let shown = json.to_string();
    let shown = if shown.chars().count() > 60 {
        format!("{}…", shown.chars().take(60).collect::<String>())
    } else {
        shown
    };
    Err(format!(
        "the data {shown} is not {} as the schema says",
        ty.with_article()
    ))
}

fn coerce_json<'a>(json: &'a Json, ty: &Type) -> R<'a> {
    match (ty, json) {
        (Type::Null, _) => Ok(Value::from_json(json)),
        (Type::String, Json::String(s)) => Ok(Value::str(s)),
        (Type::Boolean, Json::Bool(b)) => Ok(Value::Bool(*b)),
        (Type::Integer, Json::Number(n)) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Ok(Value::Int(i)),
            (None, Some(f)) if f.fract() == 0.0 && f.abs() < 9.2e18 => Ok(Value::Int(f as i64)),
            _ => mismatch(json, ty),
        },
        (Type::Decimal, Json::Number(n)) => Ok(Value::Dec(n.as_f64().unwrap_or(f64::NAN))),
        (Type::DateTime, Json::String(s)) => temporal::parse_date_time(s)
            .map(Value::DateTime)
            .ok_or_else(|| format!("`{s}` is not a date-time")),
        (Type::DateTimeOnly, Json::String(s)) => temporal::parse_date_time_only(s)
            .map(Value::DateTimeOnly)
            .ok_or_else(|| format!("`{s}` is not a local date-time")),
        (Type::DateOnly, Json::String(s)) => temporal::parse_date_only(s)
            .map(Value::DateOnly)
            .ok_or_else(|| format!("`{s}` is not a date")),
        (Type::Duration, Json::String(s)) => temporal::parse_duration(s)
            .map(Value::Duration)
            .ok_or_else(|| format!("`{s}` is not a duration")),
        (Type::Duration, Json::Number(n)) => n
            .as_i64()
            .map(Value::Duration)
            .ok_or_else(|| format!("{n} is not a duration")),
        (Type::List(elem), Json::Array(items)) => match **elem {
            // Objects stay data; scalars are read as their type.
            Type::Object(_) | Type::Map(_) => Ok(Value::Json(json)),
            _ => items
                .iter()
                .map(|i| coerce(Value::Json(i), elem))
                .collect::<Result<_, _>>()
                .map(Value::List),
        },
        (Type::Object(_) | Type::Map(_), Json::Object(_)) => Ok(Value::Json(json)),
        _ => mismatch(json, ty),
    }
}

/// A binary operator as the VM runs it (`and`/`or` compile to jumps).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    /// `+` with a string operand.
    Concat,
}

/// A postfix test (`is null`, `has null`, `is numeric`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestOp {
    /// `is null`.
    IsNull,
    /// `is not null`.
    IsNotNull,
    /// `has null`: a list with a null element.
    HasNull,
    /// `is numeric`.
    IsNumeric,
    /// `is integer`.
    IsInteger,
    /// `is decimal`.
    IsDecimal,
}

impl TestOp {
    /// The test as written.
    pub fn text(self) -> &'static str {
        match self {
            TestOp::IsNull => "is null",
            TestOp::IsNotNull => "is not null",
            TestOp::HasNull => "has null",
            TestOp::IsNumeric => "is numeric",
            TestOp::IsInteger => "is integer",
            TestOp::IsDecimal => "is decimal",
        }
    }
}
