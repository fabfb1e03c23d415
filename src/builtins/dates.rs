//! The clock, time zones and calendar arithmetic.

use super::args;
use super::signature::{c, p, Check, Ty::*};
use super::{sig, Builtin, Category::Dates, Env, Nulls, Overload};
use crate::temporal::{Zone, ZonedDateTime};
use crate::value::Value;
use chrono::{Datelike, Duration, Months, NaiveDateTime, Timelike};

type R<'a> = Result<Value<'a>, std::string::String>;

/// `t` moved by `n` units: years and months by the calendar (clamped to the
/// month's last day), days by calendar days in `t`'s zone, the rest by time.
pub fn shift(t: &ZonedDateTime, n: i64, unit: &str) -> Option<ZonedDateTime> {
    let local = t.local()?;
    let by_calendar = |local: NaiveDateTime| t.with_local(&local);
    match unit {
        "years" | "months" => {
            let months = if unit == "years" {
                n.checked_mul(12)?
            } else {
                n
            };
            let m = Months::new(u32::try_from(months.unsigned_abs()).ok()?);
            let moved = if months >= 0 {
                local.checked_add_months(m)?
            } else {
                local.checked_sub_months(m)?
            };
            by_calendar(moved)
        }
        "days" => by_calendar(local.checked_add_signed(Duration::try_days(n)?)?),
        "hours" | "minutes" | "seconds" => {
            let d = match unit {
                "hours" => Duration::try_hours(n)?,
                "minutes" => Duration::try_minutes(n)?,
                _ => Duration::try_seconds(n)?,
            };
            let instant = t.instant.checked_add_signed(d)?;
            Some(ZonedDateTime::at_zone(instant, t.zone()))
        }
        _ => None,
    }
}

fn now<'a>(_: &mut [Value<'a>], env: &Env<'_>) -> R<'a> {
    Ok(Value::DateTime(ZonedDateTime::utc(env.now)))
}

fn now_in_zone<'a>(args: &mut [Value<'a>], env: &Env<'_>) -> R<'a> {
    Ok(Value::DateTime(ZonedDateTime::at_zone(
        env.now,
        args::zone(args, 0)?,
    )))
}

fn current_time_in_millis<'a>(_: &mut [Value<'a>], env: &Env<'_>) -> R<'a> {
    Ok(Value::Int(env.now.timestamp_millis()))
}

fn now_with_delta<'a>(args: &mut [Value<'a>], env: &Env<'_>) -> R<'a> {
    let zone = if args.len() > 2 {
        args::zone(args, 2)?
    } else {
        Zone::utc()
    };
    let delta = args::int(args, 0)?;
    let unit = args::string(args, 1)?;
    if !super::TIME_UNITS.contains(&unit) {
        return Err(format!("unknown time unit `{unit}`"));
    }
    shift(&ZonedDateTime::at_zone(env.now, zone), delta, unit)
        .map(Value::DateTime)
        .ok_or_else(|| "the date is out of range".to_string())
}

/// `inLast…`/`inNext…`: is `t` within `n` units before (or after) now?
fn window<'a>(args: &[Value<'a>], env: &Env<'_>, unit: &str, past: bool) -> R<'a> {
    let t = args::date_time(args, 0)?;
    let n = args::int(args, 1)?;
    let now = ZonedDateTime::utc(env.now);
    let edge = shift(
        &now,
        if past {
            n.checked_neg().ok_or("count out of range")?
        } else {
            n
        },
        unit,
    )
    .ok_or("the date is out of range")?;
    let (from, to) = if past {
        (edge.instant, now.instant)
    } else {
        (now.instant, edge.instant)
    };
    Ok(Value::Bool(from <= t.instant && t.instant <= to))
}

macro_rules! windows {
    ($($name:ident: $unit:literal, $past:literal;)*) => {
        $(fn $name<'a>(args: &mut [Value<'a>], env: &Env<'_>) -> R<'a> {
            window(args, env, $unit, $past)
        })*
    };
}

windows! {
    in_last_days: "days", true;
    in_last_hours: "hours", true;
    in_last_months: "months", true;
    in_last_years: "years", true;
    in_next_days: "days", false;
    in_next_hours: "hours", false;
    in_next_months: "months", false;
    in_next_years: "years", false;
}

fn set_part(
    local: NaiveDateTime,
    n: i64,
    hours: bool,
) -> Result<NaiveDateTime, std::string::String> {
    let part = u32::try_from(n).ok();
    let set = if hours {
        part.and_then(|h| local.with_hour(h))
    } else {
        part.and_then(|d| local.with_day(d))
    };
    set.ok_or_else(|| {
        if hours {
            format!("{n} is not an hour of the day (0–23)")
        } else {
            format!(
                "day {n} does not exist in {}-{:02}",
                local.year(),
                local.month()
            )
        }
    })
}

fn set_hours<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    let t = args::date_time(args, 0)?;
    let local = set_part(
        t.local().ok_or(args::OUT_OF_RANGE)?,
        args::int(args, 1)?,
        true,
    )?;
    t.with_local(&local)
        .map(Value::DateTime)
        .ok_or_else(|| "the date is out of range".to_string())
}

fn set_hours_local<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    Ok(Value::DateTimeOnly(set_part(
        args::date_time_only(args, 0)?,
        args::int(args, 1)?,
        true,
    )?))
}

fn set_days<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    let t = args::date_time(args, 0)?;
    let local = set_part(
        t.local().ok_or(args::OUT_OF_RANGE)?,
        args::int(args, 1)?,
        false,
    )?;
    t.with_local(&local)
        .map(Value::DateTime)
        .ok_or_else(|| "the date is out of range".to_string())
}

fn set_days_local<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    Ok(Value::DateTimeOnly(set_part(
        args::date_time_only(args, 0)?,
        args::int(args, 1)?,
        false,
    )?))
}

fn update_time_zone<'a>(args: &mut [Value<'a>], _: &Env<'_>) -> R<'a> {
    let t = args::date_time(args, 0)?;
    Ok(Value::DateTime(ZonedDateTime::at_zone(
        t.instant,
        args::zone(args, 1)?,
    )))
}

const fn clock(name: &'static str, overloads: &'static [Overload]) -> Builtin {
    Builtin {
        name,
        category: Dates,
        overloads,
        nulls: Nulls::Propagate,
        pure: false,
        doc: "",
    }
}

const fn calendar(name: &'static str, overloads: &'static [Overload]) -> Builtin {
    super::pure(name, Dates, overloads)
}

pub(super) const FUNCTIONS: &[Builtin] = &[
    clock(
        "now",
        &[
            sig(&[], DateTime, now),
            sig(&[c(String, Check::Zone)], DateTime, now_in_zone),
        ],
    )
    .doc("now(): dateTime, UTC now(string zoneId): dateTime at that zone: at 06:30Z, `now(\"Europe/Paris\")` → `…T08:30:00+02:00` in summer"),
    clock(
        "currentTimeInMillis",
        &[sig(&[], Integer, current_time_in_millis)],
    )
    .doc("The clock's time as milliseconds since 1970-01-01T00:00:00Z (an integer)"),
    clock(
        "nowWithDelta",
        &[
            sig(
                &[p(Integer), c(String, Check::TimeUnit)],
                DateTime,
                now_with_delta,
            ),
            sig(
                &[
                    p(Integer),
                    c(String, Check::TimeUnit),
                    c(String, Check::ConstZone),
                ],
                DateTime,
                now_with_delta,
            ),
        ],
    )
    .doc("now plus delta `years|months|days|hours|minutes|seconds`; months/years use calendar arithmetic clamped to the month's last day (Jan 31 + 1 month → Feb 28/29); days are calendar days in the zone (DST aware)"),
    clock(
        "inLastDays",
        &[sig(&[p(DateTime), p(Integer)], Boolean, in_last_days)],
    )
    .doc("Whether the dateTime lies within the last n days: now − n days ≤ t ≤ now"),
    clock(
        "inLastHours",
        &[sig(&[p(DateTime), p(Integer)], Boolean, in_last_hours)],
    )
    .doc("Whether the dateTime lies within the last n hours: now − n hours ≤ t ≤ now"),
    clock(
        "inLastMonths",
        &[sig(&[p(DateTime), p(Integer)], Boolean, in_last_months)],
    )
    .doc("Whether the dateTime lies within the last n months (calendar months, as nowWithDelta): now − n months ≤ t ≤ now"),
    clock(
        "inLastYears",
        &[sig(&[p(DateTime), p(Integer)], Boolean, in_last_years)],
    )
    .doc("Whether the dateTime lies within the last n years: now − n years ≤ t ≤ now"),
    clock(
        "inNextDays",
        &[sig(&[p(DateTime), p(Integer)], Boolean, in_next_days)],
    )
    .doc("Whether the dateTime lies within the next n days: now ≤ t ≤ now + n days"),
    clock(
        "inNextHours",
        &[sig(&[p(DateTime), p(Integer)], Boolean, in_next_hours)],
    )
    .doc("Whether the dateTime lies within the next n hours: now ≤ t ≤ now + n hours"),
    clock(
        "inNextMonths",
        &[sig(&[p(DateTime), p(Integer)], Boolean, in_next_months)],
    )
    .doc("Whether the dateTime lies within the next n months (calendar months): now ≤ t ≤ now + n months"),
    clock(
        "inNextYears",
        &[sig(&[p(DateTime), p(Integer)], Boolean, in_next_years)],
    )
    .doc("Whether the dateTime lies within the next n years: now ≤ t ≤ now + n years"),
    calendar(
        "setHours",
        &[
            sig(&[p(DateTime), p(Integer)], DateTime, set_hours),
            sig(
                &[p(DateTimeOnly), p(Integer)],
                DateTimeOnly,
                set_hours_local,
            ),
        ],
    )
    .doc("same value with the hour-of-day set (in the value's own offset/zone); `setHours(toDateTime('2010-12-12T01:11:00Z'), 4)` → `2010-12-12T04:11:00Z`"),
    calendar(
        "setDays",
        &[
            sig(&[p(DateTime), p(Integer)], DateTime, set_days),
            sig(&[p(DateTimeOnly), p(Integer)], DateTimeOnly, set_days_local),
        ],
    )
    .doc("day-of-month set; `setDays(toDateTime('2010-12-12T01:11:00Z'), 25)` → `2010-12-25T01:11:00Z`; an impossible date (Feb 30) is an evaluation error"),
    calendar(
        "updateTimeZone",
        &[sig(
            &[p(DateTime), c(String, Check::Zone)],
            DateTime,
            update_time_zone,
        )],
    )
    .doc("same instant shown at that zone: `updateTimeZone(toDateTime(\"2019-08-28T08:15:30.123-07:00\"), \"Europe/Paris\")` → `2019-08-28T17:15:30.123+02:00`"),
];
