//! `jexpr trace`: a state's trace exported as JSON Lines, or any trace
//! (a state's or a file) printed as a timeline per profile that a person
//! reads: local times, journey names, nodes, paths, actions and, for runs
//! with `--explain`, why.

use super::report::{read_trace, TraceSource};
use crate::cli::{Format, TraceFormat};
use crate::error::CliError;
use jexpr::time::Zone;
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// What `jexpr trace` was asked.
pub struct TraceArgs<'a> {
    pub source: TraceSource<'a>,
    pub journeys: &'a [PathBuf],
    pub profile: Option<&'a str>,
    pub output: Option<&'a Path>,
    pub format: TraceFormat,
    pub tz: Option<&'a str>,
}

pub fn trace(a: TraceArgs<'_>) -> ExitCode {
    match write(&a) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => e.report(Format::Text),
    }
}

fn write(a: &TraceArgs<'_>) -> Result<(), CliError> {
    let input = match &a.source {
        TraceSource::File(path) => *path,
        TraceSource::State(state) => Path::new(state),
    };
    if let Some(message) = a
        .output
        .and_then(|o| super::journey::output_is_an_input(o, &[("the input", input)]))
    {
        return Err(CliError::usage(message));
    }
    let zones = zones(a.journeys, a.tz)?;
    let mut text = Timeline::new(zones);
    let mut lines = Vec::new();
    read_trace(&a.source, a.profile, |v, line| {
        match a.format {
            TraceFormat::Jsonl => lines.push(line.to_string()),
            TraceFormat::Text => text.add(v),
        }
        Ok(())
    })?;
    let body = match a.format {
        TraceFormat::Jsonl => {
            let mut s = lines.join("\n");
            if !s.is_empty() {
                s.push('\n');
            }
            s
        }
        TraceFormat::Text => text.render(),
    };
    let written = match a.output {
        Some(path) => std::fs::write(path, body),
        None => {
            let mut w = std::io::stdout().lock();
            w.write_all(body.as_bytes()).and_then(|_| w.flush())
        }
    };
    written.map_err(|e| CliError::usage(format!("cannot write the trace: {e}")))
}

/// The zone each journey's times are shown in: its own (from the journey
/// files given), else `--tz`, else UTC.
struct Zones {
    by_journey: BTreeMap<String, Zone>,
    default: Zone,
}

fn zones(journeys: &[PathBuf], tz: Option<&str>) -> Result<Zones, CliError> {
    let default = match tz {
        None => Zone::utc(),
        Some(name) => jexpr::time::parse_zone(name)
            .ok_or_else(|| CliError::usage(jexpr::time::unknown_zone_message(name)))?,
    };
    let mut by_journey = BTreeMap::new();
    for path in journeys {
        let text = jexpr_journey::read_limited(path).map_err(|e| CliError::usage(e.to_string()))?;
        let doc: Json = serde_json::from_str(&text)
            .map_err(|e| CliError::usage(format!("{}: not valid JSON: {e}", path.display())))?;
        let (Some(id), zone) = (
            doc.get("id").and_then(Json::as_str),
            doc.get("timeZone").and_then(Json::as_str).unwrap_or("UTC"),
        ) else {
            return Err(CliError::usage(format!(
                "{}: not a journey (no `id`)",
                path.display()
            )));
        };
        let zone = jexpr::time::parse_zone(zone).ok_or_else(|| {
            CliError::usage(format!(
                "{}: {}",
                path.display(),
                jexpr::time::unknown_zone_message(zone)
            ))
        })?;
        by_journey.insert(id.to_string(), zone);
    }
    Ok(Zones {
        by_journey,
        default,
    })
}

/// Records grouped by profile, in trace order within each.
struct Timeline {
    zones: Zones,
    names: BTreeMap<String, String>,
    profiles: BTreeMap<String, Vec<Json>>,
    input: Vec<Json>,
}

impl Timeline {
    fn new(zones: Zones) -> Timeline {
        Timeline {
            zones,
            names: BTreeMap::new(),
            profiles: BTreeMap::new(),
            input: Vec::new(),
        }
    }

    fn add(&mut self, v: &Json) {
        if let (Some(j), Some(name)) = (
            v.get("journey").and_then(Json::as_str),
            v.get("name").and_then(Json::as_str),
        ) {
            self.names.insert(j.to_string(), name.to_string());
        }
        match v.get("profileId").and_then(Json::as_str) {
            Some(p) => self
                .profiles
                .entry(p.to_string())
                .or_default()
                .push(v.clone()),
            None => self.input.push(v.clone()),
        }
    }

    fn render(&self) -> String {
        let mut out = String::new();
        if !self.input.is_empty() {
            out.push_str("input\n");
            for r in &self.input {
                out.push_str(&format!(
                    "  {}  line {}: {}\n",
                    self.time(r, None),
                    r["line"],
                    r["message"].as_str().unwrap_or("")
                ));
            }
        }
        for (profile, records) in &self.profiles {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&format!("profile {profile}\n"));
            for r in records {
                let journey = r["journey"].as_str().unwrap_or("?");
                out.push_str(&format!(
                    "  {}  {journey} v{}  {}\n",
                    self.time(r, Some(journey)),
                    r["version"],
                    self.describe(r)
                ));
                for why in explain_lines(r) {
                    out.push_str(&format!("      {why}\n"));
                }
            }
        }
        if out.is_empty() {
            out.push_str("no trace records\n");
        }
        out
    }

    /// The record's time in its journey's zone: `2024-05-01 10:17:44 +02:00`.
    fn time(&self, r: &Json, journey: Option<&str>) -> String {
        self.instant(r["time"].as_str().unwrap_or(""), journey)
    }

    fn instant(&self, text: &str, journey: Option<&str>) -> String {
        let Ok(t) = jexpr::time::parse_instant(text) else {
            return text.to_string();
        };
        let zone = journey
            .and_then(|j| self.zones.by_journey.get(j))
            .copied()
            .unwrap_or(self.zones.default);
        let local = t.with_timezone(&zone.offset_at(&t));
        local.format("%Y-%m-%d %H:%M:%S %:z").to_string()
    }

    fn describe(&self, r: &Json) -> String {
        let s = |k: &str| r[k].as_str().unwrap_or("?").to_string();
        let node = s("node");
        let journey = r["journey"].as_str();
        match r["kind"].as_str().unwrap_or("") {
            "enter" => {
                let how = if let Some(e) = r["event"].as_str() {
                    format!("on event {e}")
                } else if let Some(a) = r["audience"].as_str() {
                    format!("by audience {a}")
                } else if let Some(f) = r["from"].as_str() {
                    format!("by a jump from {f}")
                } else {
                    String::new()
                };
                let name = journey
                    .and_then(|j| self.names.get(j))
                    .map_or(String::new(), |n| format!(" “{n}”"));
                format!("entered{name} at {node} {how}")
            }
            "reject" => {
                let how = r["event"]
                    .as_str()
                    .map(|e| format!("event {e}"))
                    .or_else(|| r["audience"].as_str().map(|a| format!("audience {a}")))
                    .unwrap_or_default();
                format!("not admitted ({}) on {how}", s("reason"))
            }
            "skip" => format!(
                "not entered at {node}: its condition is false for event {}",
                s("event")
            ),
            "path" => format!("{node}: {} → {}", s("type"), s("path")),
            "wait" => {
                let until = self.instant(r["until"].as_str().unwrap_or(""), journey);
                match r["events"].as_array() {
                    Some(events) => {
                        let names: Vec<&str> = events.iter().filter_map(Json::as_str).collect();
                        format!("{node}: waits for {} until {until}", names.join(" or "))
                    }
                    None => format!("{node}: waits until {until}"),
                }
            }
            "resume" => match r["cause"].as_str() {
                Some("event") => format!("{node}: resumed by event {}", s("event")),
                Some("timeout") => format!("{node}: timed out"),
                _ => format!("{node}: resumed (time came)"),
            },
            "action" => {
                let params: Vec<String> = r["params"]
                    .as_object()
                    .map(|o| o.iter().map(|(k, v)| format!("{k}={}", short(v))).collect())
                    .unwrap_or_default();
                let status = r["status"]
                    .as_str()
                    .map_or(String::new(), |st| format!(" [{st}]"));
                format!(
                    "{node}: action {}({}){status}",
                    s("action"),
                    params.join(", ")
                )
            }
            "jump" => match r["skipped"].as_str() {
                Some(why) => format!("{node}: jump to {} skipped ({why})", s("to")),
                None => format!("{node}: jumps to {}", s("to")),
            },
            "error" => {
                let at = r["field"]
                    .as_str()
                    .map_or(String::new(), |f| format!(" (at {f})"));
                format!("{node}: ERROR {}{at}", s("message"))
            }
            "exit" => format!("{node}: left the journey ({})", s("reason")),
            other => format!("{other} {node}"),
        }
    }
}

/// A value as a short text: strings bare, others as JSON, long ones cut.
fn short(v: &Json) -> String {
    let text = match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(60).collect::<String>())
    } else {
        text
    }
}

/// For an explained record: each path tried (or the entry condition) with
/// its result and the values of its leaves.
fn explain_lines(r: &Json) -> Vec<String> {
    let mut out = Vec::new();
    match r.get("why") {
        Some(Json::Array(tried)) => {
            for t in tried {
                let label = t["path"].as_str().unwrap_or("?");
                out.push(format!("{label}: {}", tree_line(&t["when"])));
            }
        }
        Some(tree @ Json::Object(_)) => out.push(format!("when: {}", tree_line(tree))),
        _ => {}
    }
    out
}

/// `text → value   (leaf = value, …)`.
fn tree_line(tree: &Json) -> String {
    let value = result(tree);
    let mut leaves = Vec::new();
    collect_leaves(tree, &mut leaves);
    let text = tree["text"].as_str().unwrap_or("");
    if leaves.is_empty() || (leaves.len() == 1 && leaves[0].starts_with(text)) {
        format!("{text} → {value}")
    } else {
        format!("{text} → {value}   ({})", leaves.join(", "))
    }
}

fn result(tree: &Json) -> String {
    match (tree.get("value"), tree.get("error")) {
        (Some(v), _) => short(v),
        (None, Some(e)) => format!("error: {}", short(e)),
        _ => "?".into(),
    }
}

fn collect_leaves(tree: &Json, out: &mut Vec<String>) {
    match tree["children"].as_array() {
        Some(children) if !children.is_empty() => {
            for c in children {
                collect_leaves(c, out);
            }
        }
        _ => {
            let text = tree["text"].as_str().unwrap_or("");
            if text.starts_with('[') {
                // A list written out in the condition: its value is its text.
                return;
            }
            let skipped = if tree["evaluated"] == false {
                " (not evaluated)"
            } else {
                ""
            };
            out.push(format!("{text} = {}{skipped}", result(tree)));
        }
    }
}
