//! Dates, times, zones and durations: parsing the text forms of LANGUAGE.md
//! section 3 and 6.3/6.4, and their canonical display. Shared by the checker
//! (constants are validated at compile time) and the VM.

use chrono::{
    DateTime, Datelike, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;
use std::fmt::Write;

/// A zone id: an IANA region (DST-aware) or a fixed offset (`UTC`, `Z`, `+02:00`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Zone {
    /// An IANA region (`Europe/Paris`), with its DST rules.
    Region(Tz),
    /// A fixed offset (`+02:00`, `UTC`).
    Fixed(FixedOffset),
}

impl Zone {
    /// UTC.
    pub fn utc() -> Zone {
        Zone::Fixed(FixedOffset::east_opt(0).unwrap_or(Utc.fix()))
    }

    /// The offset in force at `instant`.
    pub fn offset_at(self, instant: &DateTime<Utc>) -> FixedOffset {
        match self {
            Zone::Fixed(offset) => offset,
            Zone::Region(tz) => tz.offset_from_utc_datetime(&instant.naive_utc()).fix(),
        }
    }

    /// The instant of a local time in this zone. In a DST gap the time moves
    /// forward by the gap (as Java's `ZonedDateTime.of`); in an overlap the
    /// earlier offset is used.
    pub fn from_local(self, local: &NaiveDateTime) -> Option<DateTime<Utc>> {
        match self {
            Zone::Fixed(offset) => offset
                .from_local_datetime(local)
                .single()
                .map(|d| d.with_timezone(&Utc)),
            Zone::Region(tz) => match tz.from_local_datetime(local) {
                LocalResult::Single(d) => Some(d.with_timezone(&Utc)),
                LocalResult::Ambiguous(earlier, _) => Some(earlier.with_timezone(&Utc)),
                LocalResult::None => {
                    // Gap: the instant is `local` read with the offset in force
                    // just before the transition, so the local time moves forward
                    // by the gap's length.
                    let before = offset_before_gap(tz, local)?;
                    before
                        .from_local_datetime(local)
                        .single()
                        .map(|d| d.with_timezone(&Utc))
                }
            },
        }
    }
}

/// The offset in force just before the gap that skips `local` in `tz`: the
/// offset of the last instant whose local time is still before `local`. It is
/// searched for, not guessed from a fixed distance: a zone east of UTC passes
/// its transition before `local` read as UTC, one west of it after.
fn offset_before_gap(tz: Tz, local: &NaiveDateTime) -> Option<FixedOffset> {
    let local_at = |t: i64| -> Option<(i64, FixedOffset)> {
        let instant = DateTime::from_timestamp(t, 0)?;
        let offset = tz.offset_from_utc_datetime(&instant.naive_utc()).fix();
        Some((t + i64::from(offset.local_minus_utc()), offset))
    };
    let target = local.and_utc().timestamp();
    // Offsets lie within ±26 h, so the local time of `target - 2 days` is
    // before `local` and that of `target + 2 days` after it.
    let (mut lo, mut hi) = (target - 2 * 86_400, target + 2 * 86_400);
    if local_at(lo)?.0 >= target || local_at(hi)?.0 < target {
        return None;
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if local_at(mid)?.0 < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(local_at(lo)?.1)
}

/// Abbreviations people write for a zone (not IANA ids), with the zones
/// they mean; several when the abbreviation is ambiguous.
const ABBREVIATIONS: &[(&str, &[(&str, &str)])] = &[
    ("PST", &[("America/Los_Angeles", "US Pacific")]),
    ("PDT", &[("America/Los_Angeles", "US Pacific")]),
    ("PT", &[("America/Los_Angeles", "US Pacific")]),
    ("MDT", &[("America/Denver", "US Mountain")]),
    ("CDT", &[("America/Chicago", "US Central")]),
    (
        "CST",
        &[
            ("America/Chicago", "US Central"),
            ("Asia/Shanghai", "China"),
            ("America/Havana", "Cuba"),
        ],
    ),
    ("EDT", &[("America/New_York", "US Eastern")]),
    ("ET", &[("America/New_York", "US Eastern")]),
    ("AKST", &[("America/Anchorage", "Alaska")]),
    (
        "IST",
        &[
            ("Asia/Kolkata", "India"),
            ("Europe/Dublin", "Ireland"),
            ("Asia/Jerusalem", "Israel"),
        ],
    ),
    (
        "CEST",
        &[
            ("Europe/Paris", "France"),
            ("Europe/Berlin", "Germany"),
            ("Europe/Madrid", "Spain"),
        ],
    ),
    (
        "BST",
        &[
            ("Europe/London", "United Kingdom"),
            ("Asia/Dhaka", "Bangladesh"),
        ],
    ),
    ("JST", &[("Asia/Tokyo", "Japan")]),
    ("KST", &[("Asia/Seoul", "South Korea")]),
    ("HKT", &[("Asia/Hong_Kong", "Hong Kong")]),
    ("SGT", &[("Asia/Singapore", "Singapore")]),
    ("AEST", &[("Australia/Sydney", "Australia East")]),
    ("AEDT", &[("Australia/Sydney", "Australia East")]),
    ("AWST", &[("Australia/Perth", "Australia West")]),
    ("NZST", &[("Pacific/Auckland", "New Zealand")]),
    ("BRT", &[("America/Sao_Paulo", "Brazil")]),
];

/// Help for a time zone text that [`parse_zone`] refused: the IANA zone an
/// abbreviation stands for (or, when it is ambiguous, the candidates), else
/// the closest zone id.
pub fn unknown_zone_help(text: &str) -> Option<String> {
    let upper = text.to_ascii_uppercase();
    if let Some((abbr, zones)) = ABBREVIATIONS.iter().find(|(a, _)| *a == upper) {
        let list: Vec<String> = zones
            .iter()
            .map(|(z, what)| format!("`{z}` ({what})"))
            .collect();
        return Some(match zones {
            [(zone, what)] => format!(
                "`{abbr}` is an abbreviation, not a zone id: write `{zone}` ({what} time, which follows daylight saving)"
            ),
            _ => format!(
                "`{abbr}` is an ambiguous abbreviation: write the zone you mean, one of {}",
                list.join(", ")
            ),
        });
    }
    crate::suggest::closest(text, chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()))
        .map(|s| format!("did you mean `{s}`?"))
}

/// "unknown time zone `X`", with [`unknown_zone_help`]'s advice when it has some.
pub fn unknown_zone_message(text: &str) -> String {
    match unknown_zone_help(text) {
        Some(help) => format!("unknown time zone `{text}`: {help}"),
        None => format!("unknown time zone `{text}`"),
    }
}

/// Parses a zone id: IANA name, `UTC`, `Z`, `GMT`, or an offset `+02:00`/`-0530`/`+02`.
pub fn parse_zone(text: &str) -> Option<Zone> {
    if matches!(text, "Z" | "UTC" | "GMT" | "UT") {
        return Some(Zone::utc());
    }
    if text.starts_with(['+', '-']) {
        return parse_offset(text).map(Zone::Fixed);
    }
    text.parse::<Tz>().ok().map(Zone::Region)
}

fn parse_offset(text: &str) -> Option<FixedOffset> {
    if text == "Z" || text == "z" {
        return FixedOffset::east_opt(0);
    }
    let sign = match text.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let rest = &text[1..];
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) || rest.matches(':').count() > 1 {
        return None;
    }
    let (h, m) = match digits.len() {
        2 => (digits.parse::<i32>().ok()?, 0),
        4 => (
            digits[..2].parse::<i32>().ok()?,
            digits[2..].parse::<i32>().ok()?,
        ),
        _ => return None,
    };
    if h > 18 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// A dateTime value: an instant, the offset it is shown at, and the zone id
/// it carries (if any), which arithmetic keeps (section 10).
#[derive(Clone, Copy, Debug)]
pub struct ZonedDateTime {
    /// The instant.
    pub instant: DateTime<Utc>,
    /// The offset from UTC at that instant.
    pub offset: FixedOffset,
    /// The region, when the date-time was given one (arithmetic follows its DST rules).
    pub zone: Option<Tz>,
}

impl PartialEq for ZonedDateTime {
    /// `==` compares instants (section 10).
    fn eq(&self, other: &Self) -> bool {
        self.instant == other.instant
    }
}

impl ZonedDateTime {
    /// An instant in UTC.
    pub fn utc(instant: DateTime<Utc>) -> ZonedDateTime {
        ZonedDateTime {
            instant,
            offset: Utc.fix(),
            zone: None,
        }
    }

    /// The same instant shown in `zone`.
    pub fn at_zone(instant: DateTime<Utc>, zone: Zone) -> ZonedDateTime {
        ZonedDateTime {
            instant,
            offset: zone.offset_at(&instant),
            zone: match zone {
                Zone::Region(tz) => Some(tz),
                Zone::Fixed(_) => None,
            },
        }
    }

    /// The local date-time in its zone; `None` at the ends of the calendar,
    /// where the offset would carry it past the last representable date.
    pub fn local(&self) -> Option<NaiveDateTime> {
        self.instant
            .naive_utc()
            .checked_add_signed(chrono::Duration::seconds(i64::from(
                self.offset.local_minus_utc(),
            )))
    }

    /// The zone a new local time should be placed in: the zone id if any, else the offset.
    pub fn zone(&self) -> Zone {
        match self.zone {
            Some(tz) => Zone::Region(tz),
            None => Zone::Fixed(self.offset),
        }
    }

    /// The value with its local time replaced, offset recomputed for the zone (DST).
    pub fn with_local(&self, local: &NaiveDateTime) -> Option<ZonedDateTime> {
        let zone = self.zone();
        let instant = zone.from_local(local)?;
        Some(ZonedDateTime {
            instant,
            offset: zone.offset_at(&instant),
            zone: self.zone,
        })
    }
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date_only(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y = digits(&text[0..4])?;
    let m = digits(&text[5..7])?;
    let d = digits(&text[8..10])?;
    NaiveDate::from_ymd_opt(y as i32, m, d)
}

fn digits(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Parses `HH:MM[:SS[.fraction]]`.
fn parse_time(text: &str) -> Option<NaiveTime> {
    let (hm, rest) = text.split_at_checked(5)?;
    let hb = hm.as_bytes();
    if hb[2] != b':' {
        return None;
    }
    let h = digits(&hm[0..2])?;
    let m = digits(&hm[3..5])?;
    let (s, nanos) = if rest.is_empty() {
        (0, 0)
    } else {
        let rest = rest.strip_prefix(':')?;
        let (sec, frac) = match rest.split_once(['.', ',']) {
            Some((s, f)) => (s, Some(f)),
            None => (rest, None),
        };
        if sec.len() != 2 {
            return None;
        }
        let s = digits(sec)?;
        let nanos = match frac {
            None => 0,
            Some(f) if (1..=9).contains(&f.len()) => digits(f)? * 10u32.pow(9 - f.len() as u32),
            Some(_) => return None,
        };
        (s, nanos)
    };
    NaiveTime::from_hms_nano_opt(h, m, s, nanos)
}

/// Parses a local date-time `YYYY-MM-DDTHH:MM[:SS[.f]]`.
pub fn parse_date_time_only(text: &str) -> Option<NaiveDateTime> {
    let (date, time) = text.split_at_checked(10)?;
    let time = time.strip_prefix(['T', 't'])?;
    Some(NaiveDateTime::new(
        parse_date_only(date)?,
        parse_time(time)?,
    ))
}

/// Parses an ISO-8601 date-time with an offset or `Z`, optionally followed by
/// a zone id in brackets: `2011-12-03T10:15:30+01:00[Europe/Paris]`.
pub fn parse_date_time(text: &str) -> Option<ZonedDateTime> {
    let (main, zone) = match text.strip_suffix(']').and_then(|t| t.split_once('[')) {
        Some((main, zone)) => (main, Some(zone)),
        None => (text, None),
    };
    let (date, rest) = main.split_at_checked(10)?;
    let rest = rest.strip_prefix(['T', 't'])?;
    let split = rest.find(['Z', 'z', '+', '-'])?;
    let (time, offset) = rest.split_at(split);
    let local = NaiveDateTime::new(parse_date_only(date)?, parse_time(time)?);
    let offset = parse_offset(offset)?;
    let instant = offset
        .from_local_datetime(&local)
        .single()?
        .with_timezone(&Utc);
    match zone {
        None => Some(ZonedDateTime {
            instant,
            offset,
            zone: None,
        }),
        Some(id) => match parse_zone(id)? {
            Zone::Region(tz) => Some(ZonedDateTime::at_zone(instant, Zone::Region(tz))),
            Zone::Fixed(fixed) => Some(ZonedDateTime::at_zone(instant, Zone::Fixed(fixed))),
        },
    }
}

/// Does data text look like a dateTime (for type inference from samples)?
pub fn looks_like_date_time(text: &str) -> bool {
    text.len() >= 16
        && text.as_bytes().get(10).is_some_and(|b| *b == b'T')
        && parse_date_time(text).is_some()
}

/// What `date("…")` means for this text: `dateOnly`, `dateTimeOnly` or `dateTime`.
#[derive(Clone, Copy, Debug, PartialEq)]
#[allow(clippy::enum_variant_names)] // named after the language's three date types
pub enum DateLiteral {
    DateOnly(NaiveDate),
    DateTimeOnly(NaiveDateTime),
    DateTime(ZonedDateTime),
}

pub fn parse_date_literal(text: &str) -> Option<DateLiteral> {
    if let Some(d) = parse_date_only(text) {
        return Some(DateLiteral::DateOnly(d));
    }
    if let Some(d) = parse_date_time_only(text) {
        return Some(DateLiteral::DateTimeOnly(d));
    }
    parse_date_time(text).map(DateLiteral::DateTime)
}

/// Parses Java's `Duration.parse` grammar into milliseconds (section 6.3).
pub fn parse_duration(text: &str) -> Option<i64> {
    let upper = text.to_ascii_uppercase();
    let mut s = upper.as_str();
    let negate = if let Some(r) = s.strip_prefix('-') {
        s = r;
        true
    } else {
        if let Some(r) = s.strip_prefix('+') {
            s = r;
        }
        false
    };
    s = s.strip_prefix('P')?;
    let mut nanos: i128 = 0;
    let mut any = false;
    let take_number = |s: &mut &str| -> Option<(bool, String)> {
        let bytes = s.as_bytes();
        let mut i = 0;
        let negative = match bytes.first() {
            Some(b'-') => {
                i = 1;
                true
            }
            Some(b'+') => {
                i = 1;
                false
            }
            _ => false,
        };
        let start = i;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
        let number = s[start..i].to_string();
        *s = &s[i..];
        Some((negative, number))
    };
    const NS: i128 = 1_000_000_000;
    let unit = |n: &str, neg: bool, scale: i128| -> Option<i128> {
        let v: i128 = n.parse().ok()?;
        let v = v.checked_mul(scale)?;
        Some(if neg { -v } else { v })
    };
    // Days.
    let mut probe = s;
    if let Some((neg, n)) = take_number(&mut probe) {
        if let Some(r) = probe.strip_prefix('D') {
            nanos = nanos.checked_add(unit(&n, neg, 86_400 * NS)?)?;
            any = true;
            s = r;
        }
    }
    if let Some(r) = s.strip_prefix('T') {
        s = r;
        let mut sections = 0;
        for (letter, scale) in [('H', 3_600 * NS), ('M', 60 * NS)] {
            let mut probe = s;
            if let Some((neg, n)) = take_number(&mut probe) {
                if let Some(r) = probe.strip_prefix(letter) {
                    nanos = nanos.checked_add(unit(&n, neg, scale)?)?;
                    sections += 1;
                    s = r;
                }
            }
        }
        let mut probe = s;
        if let Some((neg, n)) = take_number(&mut probe) {
            let mut frac_nanos: i128 = 0;
            if let Some(r) = probe.strip_prefix(['.', ',']) {
                let len = r.bytes().take_while(u8::is_ascii_digit).count();
                if len > 9 {
                    return None;
                }
                let frac = &r[..len];
                if !frac.is_empty() {
                    frac_nanos = frac.parse::<i128>().ok()? * 10i128.pow(9 - len as u32);
                }
                probe = &r[len..];
            }
            let r = probe.strip_prefix('S')?;
            let secs = unit(&n, neg, NS)?;
            nanos = nanos.checked_add(secs.checked_add(if neg {
                -frac_nanos
            } else {
                frac_nanos
            })?)?;
            sections += 1;
            s = r;
        }
        if sections == 0 {
            return None;
        }
        any = true;
    }
    if !any || !s.is_empty() {
        return None;
    }
    if negate {
        nanos = nanos.checked_neg()?;
    }
    i64::try_from(nanos / 1_000_000).ok()
}

/// Java's `Duration.toString` of a number of milliseconds: `PT2H`, `PT-6H-3M`, `PT0.5S`.
pub fn format_duration(millis: i64) -> String {
    if millis == 0 {
        return "PT0S".to_string();
    }
    let seconds = millis.div_euclid(1000);
    let nanos = millis.rem_euclid(1000) * 1_000_000;
    let hours = seconds / 3600;
    let minutes = (seconds % 3600) / 60;
    let secs = seconds % 60;
    let mut out = String::from("PT");
    if hours != 0 {
        let _ = write!(out, "{hours}H");
    }
    if minutes != 0 {
        let _ = write!(out, "{minutes}M");
    }
    if secs == 0 && nanos == 0 && out.len() > 2 {
        return out;
    }
    if secs < 0 && nanos > 0 {
        if secs == -1 {
            out.push_str("-0");
        } else {
            let _ = write!(out, "{}", secs + 1);
        }
    } else {
        let _ = write!(out, "{secs}");
    }
    if nanos > 0 {
        let digits = if secs < 0 {
            2 * 1_000_000_000 - nanos
        } else {
            nanos + 1_000_000_000
        };
        let text = digits.to_string();
        let text = text.trim_end_matches('0');
        out.push('.');
        out.push_str(text.get(1..).unwrap_or(""));
    }
    out.push('S');
    out
}

/// Fractional seconds in groups of three digits, trailing zero groups dropped (section 10).
fn write_fraction(out: &mut String, nanos: u32) {
    if nanos == 0 {
        return;
    }
    let mut text = format!("{nanos:09}");
    while text.len() > 3 && text.ends_with("000") {
        text.truncate(text.len() - 3);
    }
    out.push('.');
    out.push_str(&text);
}

pub fn format_date_only(d: &NaiveDate) -> String {
    let year = d.year();
    if (0..=9999).contains(&year) {
        format!("{year:04}-{:02}-{:02}", d.month(), d.day())
    } else {
        format!("{year:+05}-{:02}-{:02}", d.month(), d.day())
    }
}

pub fn format_date_time_only(d: &NaiveDateTime) -> String {
    let mut out = format_date_only(&d.date());
    let _ = write!(out, "T{:02}:{:02}:{:02}", d.hour(), d.minute(), d.second());
    write_fraction(&mut out, d.nanosecond() % 1_000_000_000);
    out
}

/// RFC 3339 at the value's own offset, `Z` for zero (section 3).
pub fn format_date_time(d: &ZonedDateTime) -> String {
    // At the calendar's ends the local time may not exist: show the instant in UTC.
    let (local, secs) = match d.local() {
        Some(local) => (local, d.offset.local_minus_utc()),
        None => (d.instant.naive_utc(), 0),
    };
    let mut out = format_date_time_only(&local);
    if secs == 0 {
        out.push('Z');
    } else {
        let sign = if secs < 0 { '-' } else { '+' };
        let abs = secs.abs();
        let _ = write!(out, "{sign}{:02}:{:02}", abs / 3600, (abs % 3600) / 60);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_follow_java() {
        let cases = [
            ("PT5S", Some(5_000)),
            ("PT20.345S", Some(20_345)),
            ("PT15M", Some(900_000)),
            ("PT10H", Some(36_000_000)),
            ("P2D", Some(172_800_000)),
            ("P2DT3H4M", Some((51 * 3600 + 4 * 60) * 1000)),
            ("PT-6H3M", Some((-6 * 3600 + 3 * 60) * 1000)),
            ("-PT6H3M", Some(-(6 * 3600 + 3 * 60) * 1000)),
            ("-PT-6H+3M", Some((6 * 3600 - 3 * 60) * 1000)),
            ("pt1,5s", Some(1_500)),
            ("PT-0.5S", Some(-500)),
            ("P", None),
            ("PT", None),
            ("P1DT", None),
            ("PT1S2M", None),
            ("5M", None),
            ("PT1.1234567891S", None),
            ("PT99999999999999999999H", None),
        ];
        for (text, ms) in cases {
            assert_eq!(parse_duration(text), ms, "{text}");
        }
    }

    #[test]
    fn durations_display_like_java() {
        let cases = [
            (0, "PT0S"),
            (7_200_000, "PT2H"),
            (900_000, "PT15M"),
            (500, "PT0.5S"),
            (172_800_000, "PT48H"),
            (-(6 * 3600 + 3 * 60) * 1000, "PT-6H-3M"),
            (-500, "PT-0.5S"),
            (-1_500, "PT-1.5S"),
            (20_345, "PT20.345S"),
            (3_661_001, "PT1H1M1.001S"),
        ];
        for (ms, text) in cases {
            assert_eq!(format_duration(ms), text, "{ms}");
        }
    }

    #[test]
    fn date_times_parse_and_display() {
        let cases = [
            ("2011-12-03T15:15:30Z", "2011-12-03T15:15:30Z"),
            (
                "2011-12-03T15:15:30.123+02:00",
                "2011-12-03T15:15:30.123+02:00",
            ),
            (
                "2011-12-03T15:15:30.1234567+02:00",
                "2011-12-03T15:15:30.123456700+02:00",
            ),
            (
                "2011-12-03T10:15:30+01:00[Europe/Paris]",
                "2011-12-03T10:15:30+01:00",
            ),
            (
                "2019-08-28T08:15:30.123-07:00",
                "2019-08-28T08:15:30.123-07:00",
            ),
            ("2011-12-03T15:15Z", "2011-12-03T15:15:00Z"),
        ];
        for (text, shown) in cases {
            let d = parse_date_time(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(format_date_time(&d), shown);
        }
        for bad in [
            "2011-12-03",
            "2011-12-03T15:15:30",
            "2011-02-30T00:00:00Z",
            "2011-12-03T25:00:00Z",
            "x",
        ] {
            assert!(parse_date_time(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn zones() {
        assert!(matches!(parse_zone("Europe/Paris"), Some(Zone::Region(_))));
        assert!(matches!(parse_zone("+02:00"), Some(Zone::Fixed(_))));
        assert!(parse_zone("Europe/Pariss").is_none());
        assert!(parse_zone("+25:00").is_none());
    }
}
