//! Reading arguments inside builtin implementations. The checker has already
//! matched the types, so a mismatch here is reported, never a panic.

/// A date-time whose local time falls past the calendar's representable range.
pub const OUT_OF_RANGE: &str =
    "the date-time is at the end of the calendar: its local time cannot be represented";

use crate::temporal::{self, Zone, ZonedDateTime};
use crate::value::Value;
use chrono::NaiveDateTime;
use std::borrow::Cow;

fn unexpected(what: &str, v: &Value<'_>) -> String {
    format!("expected {what}, found `{}`", v.display_quoted())
}

/// Moves argument `i` out (leaving `null`).
pub fn take<'a>(args: &mut [Value<'a>], i: usize) -> Value<'a> {
    args.get_mut(i).map(std::mem::take).unwrap_or_default()
}

pub fn get<'v, 'a>(args: &'v [Value<'a>], i: usize) -> &'v Value<'a> {
    const NULL: &Value<'static> = &Value::Null;
    args.get(i).unwrap_or(NULL)
}

pub fn string<'v>(args: &'v [Value<'_>], i: usize) -> Result<&'v str, String> {
    let v = get(args, i);
    v.as_str().ok_or_else(|| unexpected("a string", v))
}

pub fn take_string<'a>(args: &mut [Value<'a>], i: usize) -> Result<Cow<'a, str>, String> {
    match take(args, i) {
        Value::Str(s) => Ok(s),
        Value::Json(serde_json::Value::String(s)) => Ok(Cow::Borrowed(s.as_str())),
        other => Err(unexpected("a string", &other)),
    }
}

pub fn int(args: &[Value<'_>], i: usize) -> Result<i64, String> {
    match get(args, i) {
        Value::Int(n) => Ok(*n),
        v => Err(unexpected("an integer", v)),
    }
}

pub fn number(args: &[Value<'_>], i: usize) -> Result<f64, String> {
    match get(args, i) {
        Value::Int(n) => Ok(*n as f64),
        Value::Dec(d) => Ok(*d),
        v => Err(unexpected("a number", v)),
    }
}

pub fn boolean(args: &[Value<'_>], i: usize) -> Result<bool, String> {
    match get(args, i) {
        Value::Bool(b) => Ok(*b),
        v => Err(unexpected("a boolean", v)),
    }
}

pub fn date_time(args: &[Value<'_>], i: usize) -> Result<ZonedDateTime, String> {
    match get(args, i) {
        Value::DateTime(d) => Ok(*d),
        v => Err(unexpected("a dateTime", v)),
    }
}

pub fn date_time_only(args: &[Value<'_>], i: usize) -> Result<NaiveDateTime, String> {
    match get(args, i) {
        Value::DateTimeOnly(d) => Ok(*d),
        v => Err(unexpected("a dateTimeOnly", v)),
    }
}

/// The elements of a list argument, moved out.
pub fn take_list<'a>(args: &mut [Value<'a>], i: usize) -> Result<Vec<Value<'a>>, String> {
    match take(args, i) {
        Value::List(items) => Ok(items),
        Value::Null => Ok(Vec::new()),
        other => other.elements().ok_or_else(|| unexpected("a list", &other)),
    }
}

/// A zone argument: validated at compile time, or parsed now.
pub fn zone(args: &[Value<'_>], i: usize) -> Result<Zone, String> {
    match get(args, i) {
        Value::Zone(z) => Ok(*z),
        v => {
            let text = v.as_str().ok_or_else(|| unexpected("a zone id", v))?;
            temporal::parse_zone(text).ok_or_else(|| temporal::unknown_zone_message(text))
        }
    }
}

/// Patterns read from data, compiled once per thread (a `Regex` clone shares
/// the compiled program). Bounded: cleared when it holds this many.
const REGEX_CACHE_SIZE: usize = 256;

fn cached_regex(text: &str) -> Result<regex::Regex, regex::Error> {
    thread_local! {
        static CACHE: std::cell::RefCell<std::collections::HashMap<String, regex::Regex>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    if let Some(re) = CACHE.with(|c| c.borrow().get(text).cloned()) {
        return Ok(re);
    }
    let re = super::compile_regex(text)?;
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= REGEX_CACHE_SIZE {
            c.clear();
        }
        c.insert(text.to_string(), re.clone());
    });
    Ok(re)
}

/// A regex argument: compiled at compile time, or compiled now (cached).
pub fn regex<'v>(args: &'v [Value<'_>], i: usize) -> Result<Cow<'v, regex::Regex>, String> {
    match get(args, i) {
        Value::Regex(r) => Ok(Cow::Borrowed(*r)),
        v => {
            let text = v
                .as_str()
                .ok_or_else(|| unexpected("a regular expression", v))?;
            cached_regex(text).map(Cow::Owned).map_err(|e| {
                format!(
                    "invalid regular expression `{text}`: {}",
                    e.to_string()
                        .lines()
                        .last()
                        .map(|l| l.trim_start_matches("error:").trim())
                        .unwrap_or("")
                )
            })
        }
    }
}
