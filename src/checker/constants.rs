//! Compile-time validation of constants (section 10: `date("…")`, string
//! constants given to the `to…` conversions, zone ids, regexes, audiences).

use super::typed::{Const, TExpr, TKind};
use crate::builtins::{compile_regex, Check, TIME_UNITS};
use crate::catalog::Catalog;
use crate::diagnostic::Diagnostic;
use crate::span::Span;
use crate::suggest::closest;
use crate::temporal::{self, DateLiteral};
use crate::types::Type;

/// `date("…")`: its value and type, chosen by the text's shape.
pub fn date_literal(text: &str, span: Span) -> Result<(Const, Type), Diagnostic> {
    match temporal::parse_date_literal(text) {
        Some(DateLiteral::DateOnly(d)) => Ok((Const::DateOnly(d), Type::DateOnly)),
        Some(DateLiteral::DateTimeOnly(d)) => Ok((Const::DateTimeOnly(d), Type::DateTimeOnly)),
        Some(DateLiteral::DateTime(d)) => Ok((Const::DateTime(d), Type::DateTime)),
        None => Err(Diagnostic::new("E0401", span, format!("`{text}` is not a date"))
            .with_label("not a date, local date-time or date-time")
            .with_help("write `YYYY-MM-DD`, `YYYY-MM-DDThh:mm:ss` or `YYYY-MM-DDThh:mm:ssZ` (or with an offset like `+02:00`)")),
    }
}

fn string_const(arg: &TExpr) -> Option<&str> {
    match &arg.kind {
        TKind::Const(Const::String(s)) => Some(s),
        _ => None,
    }
}

/// Validates one argument against its parameter's check.
pub fn check_argument(check: Check, arg: &TExpr, catalog: &Catalog) -> Result<(), Diagnostic> {
    let text = string_const(arg);
    let is_null = matches!(arg.kind, TKind::Const(Const::Null));
    let must_be_constant = |what: &str, example: &str| {
        Diagnostic::new(
            "E0407",
            arg.span,
            format!("{what} must be a string constant"),
        )
        .with_label("computed at run time")
        .with_help(format!("write the value as a literal, e.g. \"{example}\""))
    };
    match check {
        Check::None => Ok(()),
        Check::Audience => {
            let Some(name) = text else {
                return Err(must_be_constant("the audience name", "men over 50"));
            };
            match &catalog.audiences {
                Some(known) if !known.iter().any(|a| a == name) => {
                    let mut d = Diagnostic::new("E0212", arg.span, format!("unknown audience `{name}`"))
                        .with_label("not among the catalog's audiences");
                    if let Some(s) = closest(name, known.iter().map(String::as_str)) {
                        d = d.with_help(format!("did you mean `{s}`?"));
                    }
                    Err(d)
                }
                _ => Ok(()),
            }
        }
        Check::ConstZone if text.is_none() && !is_null => Err(must_be_constant("the zone id", "Europe/Paris")),
        Check::Zone | Check::ConstZone => match text {
            Some(zone) if temporal::parse_zone(zone).is_none() => {
                let mut d = Diagnostic::new("E0402", arg.span, format!("unknown time zone `{zone}`"))
                    .with_label("not an IANA zone id, `UTC` or an offset like `+02:00`");
                if let Some(help) = temporal::unknown_zone_help(zone) {
                    d = d.with_help(help);
                }
                Err(d)
            }
            _ => Ok(()),
        },
        Check::Regex => match text.map(compile_regex) {
            Some(Err(e)) => Err(Diagnostic::new("E0403", arg.span, "invalid regular expression")
                .with_label(regex_reason(&e.to_string()))
                .with_help("the syntax is the `regex` crate's: no look-around and no back-references; write `\\\\.` for a literal dot")),
            _ => Ok(()),
        },
        Check::DateTimeText => match text {
            Some(t) if temporal::parse_date_time(t).is_none() => Err(Diagnostic::new(
                "E0405",
                arg.span,
                format!("`{t}` is not a date-time with an offset"),
            )
            .with_label("expected e.g. `2011-12-03T15:15:30Z` or `2011-12-03T10:15:30+01:00[Europe/Paris]`")
            .with_help(if temporal::parse_date_time_only(t).is_some() {
                "add `Z` or an offset, or use `toDateTimeOnly(…)` for a local time"
            } else {
                "the form is YYYY-MM-DDThh:mm:ss followed by `Z` or an offset"
            })),
            _ => Ok(()),
        },
        Check::DateTimeOnlyText => match text {
            Some(t) if temporal::parse_date_time_only(t).is_none() && temporal::parse_date_only(t).is_none() => {
                Err(Diagnostic::new("E0405", arg.span, format!("`{t}` is not a local date-time"))
                    .with_label("expected `YYYY-MM-DD` or `YYYY-MM-DDThh:mm:ss` without an offset"))
            }
            _ => Ok(()),
        },
        Check::DateOnlyText => match text {
            Some(t) if temporal::parse_date_only(t).is_none() => {
                Err(Diagnostic::new("E0405", arg.span, format!("`{t}` is not a date"))
                    .with_label("expected `YYYY-MM-DD`"))
            }
            _ => Ok(()),
        },
        Check::DurationText => match text {
            Some(t) if temporal::parse_duration(t).is_none() => {
                Err(Diagnostic::new("E0404", arg.span, format!("`{t}` is not a duration"))
                    .with_label("expected an ISO-8601 duration")
                    .with_help("write e.g. `PT15M`, `PT2H30M`, `P2D` or `PT0.5S`"))
            }
            _ => Ok(()),
        },
        Check::TimeUnit => match text {
            Some(t) if !TIME_UNITS.contains(&t) => {
                let mut d = Diagnostic::new("E0406", arg.span, format!("unknown time unit `{t}`"))
                    .with_label("expected years, months, days, hours, minutes or seconds");
                if let Some(s) = closest(t, TIME_UNITS.iter().copied()) {
                    d = d.with_help(format!("did you mean `{s}`?"));
                }
                Err(d)
            }
            _ => Ok(()),
        },
    }
}

/// The regex crate's own one-line reason (`unclosed group`), without its
/// `error:` prefix: the diagnostic already says it is an error.
fn regex_reason(text: &str) -> String {
    match text.lines().rev().find_map(|l| l.strip_prefix("error:")) {
        Some(reason) => reason.trim().to_string(),
        None => text.lines().next().unwrap_or("").to_string(),
    }
}
