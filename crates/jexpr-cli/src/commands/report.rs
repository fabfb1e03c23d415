//! `jexpr report`: per journey version and per node, what happened
//! (SERVICE.md section 4), from a trace file or a state's trace.

use crate::cli::Format;
use crate::error::CliError;
use jexpr_journey::report::{Figures, JourneyReport, NodeFigures, Report, ReportBuilder};
use jexpr_journey::store::export;
use serde_json::Value as Json;
use std::io::BufRead;
use std::path::Path;
use std::process::ExitCode;

/// Where the trace comes from.
pub enum TraceSource<'a> {
    /// A trace file written by `run --trace`.
    File(&'a Path),
    /// The trace kept in a state (SQLite file or PostgreSQL URL).
    State(&'a str),
}

impl<'a> TraceSource<'a> {
    /// The source `--trace FILE` or `--state STORE` names (clap makes them
    /// exclusive), if one was given.
    pub fn of(trace: Option<&'a Path>, state: Option<&'a str>) -> Option<TraceSource<'a>> {
        trace
            .map(TraceSource::File)
            .or(state.map(TraceSource::State))
    }
}

/// Reads every record of `source` in trace order (of one profile if
/// given), handing each to `each` with its line as written.
pub fn read_trace(
    source: &TraceSource<'_>,
    profile: Option<&str>,
    mut each: impl FnMut(&Json, &str) -> Result<(), String>,
) -> Result<(), CliError> {
    let parse = |line: &str, at: &dyn Fn() -> String| -> Result<Option<Json>, CliError> {
        if line.trim().is_empty() {
            return Ok(None);
        }
        let v: Json = serde_json::from_str(line)
            .map_err(|e| CliError::usage(format!("{}: not a trace record: {e}", at())))?;
        let who = v.get("profileId").and_then(Json::as_str);
        if profile.is_some_and(|p| Some(p) != who) {
            return Ok(None);
        }
        Ok(Some(v))
    };
    match source {
        TraceSource::File(path) => {
            let file = std::fs::File::open(path)
                .map_err(|e| CliError::usage(format!("cannot read {}: {e}", path.display())))?;
            for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
                let at = || format!("{} line {}", path.display(), i + 1);
                let line = line.map_err(|e| CliError::usage(format!("{}: {e}", at())))?;
                if let Some(v) = parse(&line, &at)? {
                    each(&v, &line).map_err(|m| CliError::usage(format!("{}: {m}", at())))?;
                }
            }
        }
        TraceSource::State(store) => {
            let lines =
                export::export(store, profile).map_err(|e| CliError::usage(e.to_string()))?;
            for (i, line) in lines.iter().enumerate() {
                let at = || format!("{store}: trace record {}", i + 1);
                if let Some(v) = parse(line, &at)? {
                    each(&v, line).map_err(|m| CliError::usage(format!("{}: {m}", at())))?;
                }
            }
        }
    }
    Ok(())
}

/// `jexpr report`.
pub fn report(
    source: &TraceSource<'_>,
    journey: Option<&str>,
    by_day: bool,
    format: Format,
) -> ExitCode {
    let mut builder = ReportBuilder::new(journey);
    if let Err(e) = read_trace(source, None, |v, _| builder.add(v).map_err(|e| e.0)) {
        return e.report(format);
    }
    let report = builder.finish();
    if let (Some(id), true) = (journey, report.journeys.is_empty()) {
        return CliError::usage(format!("the trace has no record of journey `{id}`"))
            .report(format);
    }
    match format {
        Format::Json => outln!("{}", report.to_json(by_day)),
        Format::Text => out!("{}", render(&report, by_day)),
    }
    ExitCode::SUCCESS
}

/// The text form: per journey version a headline and a table of its nodes.
pub fn render(report: &Report, by_day: bool) -> String {
    let mut out = String::new();
    if report.journeys.is_empty() {
        out.push_str("no journey has a record in this trace\n");
    }
    for (i, r) in report.journeys.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        render_journey(&mut out, r, by_day);
    }
    if report.input_errors > 0 {
        out.push_str(&format!(
            "\n{} input line(s) skipped (inputError records)\n",
            report.input_errors
        ));
    }
    out
}

fn render_journey(out: &mut String, r: &JourneyReport, by_day: bool) {
    let name = r
        .name
        .as_deref()
        .map_or(String::new(), |n| format!(" — {n}"));
    out.push_str(&format!("{} v{}{name}\n", r.journey, r.version));
    out.push_str(&format!("  {}\n\n", headline(&r.total)));
    table(out, r, &r.total, "  ");
    if by_day {
        for (day, f) in &r.days {
            out.push_str(&format!("\n  {day} (UTC)  {}\n", headline(f)));
            table(out, r, f, "    ");
        }
    }
}

/// `entered 502 · rejected 585 (alreadyIn 447, waitPeriod 138) · …`
fn headline(f: &Figures) -> String {
    let mut parts = vec![format!("entered {}", f.entered)];
    parts.push(with_breakdown("rejected", &f.rejected));
    if f.skipped > 0 {
        parts.push(format!("not entered (when false) {}", f.skipped));
    }
    parts.push(with_breakdown("exited", &f.exited));
    parts.push(format!("waiting {}", f.waiting));
    parts.push(format!("errors {}", f.errors));
    parts.join(" · ")
}

fn with_breakdown(what: &str, t: &std::collections::BTreeMap<String, u64>) -> String {
    let total: u64 = t.values().sum();
    if t.is_empty() {
        format!("{what} 0")
    } else {
        format!("{what} {total} ({})", list(t))
    }
}

fn list(t: &std::collections::BTreeMap<String, u64>) -> String {
    t.iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn table(out: &mut String, r: &JourneyReport, f: &Figures, indent: &str) {
    let rows: Vec<[String; 6]> = f
        .nodes
        .iter()
        .map(|(id, n)| {
            [
                id.clone(),
                r.types.get(id).copied().unwrap_or("?").to_string(),
                n.entered.to_string(),
                n.errors.to_string(),
                n.waiting.to_string(),
                ways_out(n),
            ]
        })
        .collect();
    let header = ["node", "type", "entered", "errors", "waiting", "ways out"].map(String::from);
    let mut widths = [0usize; 6];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let line = format!(
            "{indent}{:<w0$}  {:<w1$}  {:>w2$}  {:>w3$}  {:>w4$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            row[5],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3],
            w4 = widths[4],
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
}

/// The ways out of a node, as the report counts them.
fn ways_out(n: &NodeFigures) -> String {
    let mut parts = Vec::new();
    for (label, count) in &n.paths {
        parts.push(format!("{label} {count}"));
    }
    for (event, count) in &n.events {
        parts.push(format!("{event} {count}"));
    }
    if n.timeout > 0 {
        parts.push(format!("timeout {}", n.timeout));
    }
    if n.resumed > 0 {
        parts.push(format!("resumed {}", n.resumed));
    }
    for (status, count) in &n.status {
        parts.push(format!("{status} {count}"));
    }
    if n.jumped > 0 {
        parts.push(format!("jumped {}", n.jumped));
    }
    if n.skipped > 0 {
        parts.push(format!("skipped (alreadyIn) {}", n.skipped));
    }
    for (reason, count) in &n.exited {
        parts.push(format!("exit {reason} {count}"));
    }
    parts.join(", ")
}
