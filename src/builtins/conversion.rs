//! Conversions between types.

use super::args;
use super::signature::{c, p, Check, Ty::*};
use super::{pure, sig, Builtin, Category::Conversion, Env};
use crate::temporal::{self, ZonedDateTime};
use crate::value::Value;
use chrono::{DateTime, NaiveTime, Utc};

type R<'a> = Result<Value<'a>, std::string::String>;

fn bool_of_string<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    Ok(Value::Bool(
        args::string(args, 0)?.eq_ignore_ascii_case("true"),
    ))
}

fn bool_of_number<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    Ok(Value::Bool(args::number(args, 0)? != 0.0))
}

fn identity<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    Ok(args::take(args, 0))
}

fn int_of_string<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    let text = args::string(args, 0)?;
    text.parse::<i64>()
        .map(Value::Int)
        .map_err(|_| format!("`{text}` is not an integer"))
}

fn int_of_decimal<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    let d = args::number(args, 0)?;
    // Truncation toward zero; out of range is an error rather than a clamp.
    // 2^63 is exactly representable; the i64 range is [-2^63, 2^63).
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if !(-LIMIT..LIMIT).contains(&d) {
        return Err(format!("{d} does not fit in an integer"));
    }
    Ok(Value::Int(d.trunc() as i64))
}

fn int_of_bool<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    Ok(Value::Int(i64::from(args::boolean(args, 0)?)))
}

fn int_of_date_time<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    Ok(Value::Int(
        args::date_time(args, 0)?.instant.timestamp_millis(),
    ))
}

fn dec_of_string<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    let text = args::string(args, 0)?;
    match text.parse::<f64>() {
        Ok(d) if d.is_finite() => Ok(Value::Dec(d)),
        _ => Err(format!("`{text}` is not a decimal")),
    }
}

fn dec_of_number<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    Ok(Value::Dec(args::number(args, 0)?))
}

fn dec_of_bool<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    Ok(Value::Dec(if args::boolean(args, 0)? { 1.0 } else { 0.0 }))
}

fn dec_of_date_time<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    Ok(Value::Dec(
        args::date_time(args, 0)?.instant.timestamp_millis() as f64,
    ))
}

/// `toString`: canonical display, but dateTimes in UTC and durations in milliseconds.
fn to_string<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    Ok(match args::take(args, 0) {
        s @ Value::Str(_) => s,
        Value::DateTime(d) => {
            Value::string(temporal::format_date_time(&ZonedDateTime::utc(d.instant)))
        }
        Value::Duration(ms) => Value::string(ms.to_string()),
        other => Value::string(other.display()),
    })
}

fn date_time_of_string<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    let text = args::string(args, 0)?;
    temporal::parse_date_time(text)
        .map(Value::DateTime)
        .ok_or_else(|| format!("`{text}` is not a date-time with an offset"))
}

fn date_time_of_millis<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    let ms = args::int(args, 0)?;
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|d| Value::DateTime(ZonedDateTime::utc(d)))
        .ok_or_else(|| format!("{ms} ms is outside the supported date range"))
}

fn date_time_in_zone<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    let zone = args::zone(args, 0)?;
    let local = args::date_time_only(args, 1)?;
    let instant = zone
        .from_local(&local)
        .ok_or("the local time does not exist in that zone")?;
    Ok(Value::DateTime(ZonedDateTime::at_zone(instant, zone)))
}

fn date_time_only_of_string<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    let text = args::string(args, 0)?;
    temporal::parse_date_time_only(text)
        .or_else(|| temporal::parse_date_only(text).map(|d| d.and_time(NaiveTime::MIN)))
        .map(Value::DateTimeOnly)
        .ok_or_else(|| format!("`{text}` is not a local date-time"))
}

fn date_time_only_of_date_time<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    Ok(Value::DateTimeOnly(
        args::date_time(args, 0)?
            .local()
            .ok_or(args::OUT_OF_RANGE)?,
    ))
}

fn date_only_of_string<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    let text = args::string(args, 0)?;
    temporal::parse_date_only(text)
        .map(Value::DateOnly)
        .ok_or_else(|| format!("`{text}` is not a date"))
}

fn date_only_of_date_time<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    Ok(Value::DateOnly(
        args::date_time(args, 0)?
            .local()
            .ok_or(args::OUT_OF_RANGE)?
            .date(),
    ))
}

fn date_only_of_local<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    Ok(Value::DateOnly(args::date_time_only(args, 0)?.date()))
}

fn duration_of_string<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    let text = args::string(args, 0)?;
    temporal::parse_duration(text)
        .map(Value::Duration)
        .ok_or_else(|| format!("`{text}` is not a duration"))
}

fn duration_of_millis<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    Ok(Value::Duration(args::int(args, 0)?))
}

pub(super) const FUNCTIONS: &[Builtin] = &[
    pure(
        "toBool",
        Conversion,
        &[
            sig(&[p(String)], Boolean, bool_of_string),
            sig(&[p(Integer)], Boolean, bool_of_number),
            sig(&[p(Decimal)], Boolean, bool_of_number),
            sig(&[p(Boolean)], Boolean, identity),
        ],
    )
    .doc("string: true iff it equals \"true\" ignoring case; number: true iff ≠ 0. `toBool(\"true\")` → true, `toBool(1)` → true, `toBool(\"this is not a boolean\")` → false"),
    pure(
        "toInteger",
        Conversion,
        &[
            sig(&[p(String)], Integer, int_of_string),
            sig(&[p(Decimal)], Integer, int_of_decimal),
            sig(&[p(Integer)], Integer, identity),
            sig(&[p(Boolean)], Integer, int_of_bool),
            sig(&[p(DateTime)], Integer, int_of_date_time),
        ],
    )
    .doc("string parsed (surrounding spaces not allowed; bad text → evaluation error), decimal truncated toward zero (`toInteger(1.5)` → 1, `toInteger(-1.5)` → -1), boolean 1/0, dateTime → epoch milliseconds. `toInteger(\"4\")` → 4"),
    pure(
        "toDecimal",
        Conversion,
        &[
            sig(&[p(String)], Decimal, dec_of_string),
            sig(&[p(Integer)], Decimal, dec_of_number),
            sig(&[p(Decimal)], Decimal, identity),
            sig(&[p(Boolean)], Decimal, dec_of_bool),
            sig(&[p(DateTime)], Decimal, dec_of_date_time),
        ],
    )
    .doc("`toDecimal(\"4.0\")` → 4.0; `toDecimal(1)` → 1.0; dateTime → epoch ms"),
    pure(
        "toString",
        Conversion,
        &[sig(&[p(Scalar)], String, to_string)],
    )
    .doc("canonical display; dateTime is converted to UTC first; duration → its milliseconds as text (`toString(toDuration(\"PT4S\"))` → \"4000\"); `toString(4)` → \"4\"; `toString(1.5)` → \"1.5\"; boolean → \"true\"/\"false\""),
    pure(
        "toDateTime",
        Conversion,
        &[
            sig(
                &[c(String, Check::DateTimeText)],
                DateTime,
                date_time_of_string,
            ),
            sig(&[p(Integer)], DateTime, date_time_of_millis),
            sig(
                &[c(String, Check::ConstZone), p(DateTimeOnly)],
                DateTime,
                date_time_in_zone,
            ),
        ],
    )
    .doc("toDateTime(string): ISO-8601 with offset or `Z`; also accepts a zone id in brackets `2011-12-03T10:15:30+01:00[Europe/Paris]` toDateTime(integer): epoch milliseconds, UTC: `toDateTime(1560762190189)` → `2019-06-17T09:03:10.189Z` toDateTime(string zoneIdConstant, dateTimeOnly): that local time in that zone"),
    pure(
        "toDateTimeOnly",
        Conversion,
        &[
            sig(
                &[c(String, Check::DateTimeOnlyText)],
                DateTimeOnly,
                date_time_only_of_string,
            ),
            sig(&[p(DateTime)], DateTimeOnly, date_time_only_of_date_time),
        ],
    )
    .doc("toDateTimeOnly(string): `\"YYYY-MM-DD\"` (midnight) or local ISO date-time: `toDateTimeOnly(\"2016-08-18\")` → `2016-08-18T00:00:00` toDateTimeOnly(dateTime): the local date-time at the value's own offset"),
    pure(
        "toDateOnly",
        Conversion,
        &[
            sig(
                &[c(String, Check::DateOnlyText)],
                DateOnly,
                date_only_of_string,
            ),
            sig(&[p(DateTime)], DateOnly, date_only_of_date_time),
            sig(&[p(DateTimeOnly)], DateOnly, date_only_of_local),
        ],
    )
    .doc("toDateOnly(string), toDateOnly(dateTime), toDateOnly(dateTimeOnly): `toDateOnly(\"2016-08-18\")` → `2016-08-18`"),
    pure(
        "toDuration",
        Conversion,
        &[
            sig(
                &[c(String, Check::DurationText)],
                Duration,
                duration_of_string,
            ),
            sig(&[p(Integer)], Duration, duration_of_millis),
        ],
    )
    .doc("toDuration(string): Java `Duration.parse` grammar: optional sign, `P`, optional `nD`, then `T` and any of `nH nM n.nS` in that order, each number may carry its own sign, letters in either case, `.` or `,` as decimal point, at least one section: `PT5S`, `PT20.345S`, `PT15M`, `PT10H`, `P2D` (= 48 h), `P2DT3H4M`, `PT-6H3M` (−6 h +3 min), `-PT6H3M` (−6 h −3 min), `-PT-6H+3M` (+6 h −3 min). Bad text → evaluation error (compile error for a constant) toDuration(integer): milliseconds: `toDuration(500)`, `toDuration(4000)` = 4 s"),
];
