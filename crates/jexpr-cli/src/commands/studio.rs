//! `jexpr studio`: the journeys and a trace's figures in a browser (crate
//! `jexpr-serve`, module `studio`).

use super::report::{read_trace, TraceSource};
use crate::cli::{Format, EXIT_USAGE};
use crate::error::usage_error;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The records of a replay of `events` in memory (as `jexpr run` without
/// `--until`), for the counts.
fn replay(
    compiled: &[jexpr_journey::CompiledJourney],
    catalog: &jexpr_journey::JourneyCatalog,
    profiles: Option<&[u8]>,
    events: &Path,
) -> Result<Vec<serde_json::Value>, String> {
    let file = std::fs::File::open(events)
        .map_err(|e| format!("cannot read {}: {e}", events.display()))?;
    let mut out = Vec::new();
    let mut profiles = profiles;
    let journeys = jexpr_journey::engine::Journeys::new(compiled.to_vec());
    jexpr_journey::runner::Runner::new(
        journeys,
        catalog,
        jexpr_journey::store::MemoryStore::default(),
        &mut out,
    )
    .run(
        profiles.as_mut().map(|p| p as &mut dyn std::io::BufRead),
        std::io::BufReader::new(file),
        None,
    )
    .map_err(|e| e.to_string())?;
    Ok(String::from_utf8_lossy(&out)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect())
}

pub struct StudioArgs<'a> {
    pub journeys: &'a [PathBuf],
    pub catalog: &'a Path,
    pub trace: Option<&'a Path>,
    pub state: Option<&'a str>,
    pub profiles: Option<&'a Path>,
    pub events: Option<&'a Path>,
    pub listen: &'a str,
}

pub fn studio(a: StudioArgs<'_>) -> ExitCode {
    let StudioArgs {
        journeys,
        catalog,
        trace,
        state,
        profiles,
        events,
        listen,
    } = a;
    let listen = match listen.parse() {
        Ok(addr) => addr,
        Err(e) => return usage_error(&format!("--listen {listen}: {e} (e.g. 127.0.0.1:8090)")),
    };
    let (compiled, catalog_loaded, _) =
        match super::journey::checked(journeys, Some(catalog), Format::Text, true) {
            Ok(c) => c,
            Err(code) => return code,
        };
    let mut texts = Vec::new();
    for f in journeys {
        match jexpr_journey::read_limited(f) {
            Ok(t) => texts.push((f.display().to_string(), t)),
            Err(e) => return usage_error(&e.to_string()),
        }
    }
    let (report, _) = jexpr_journey::check(&texts, &catalog_loaded);
    let profiles = match profiles.map(std::fs::read).transpose() {
        Ok(p) => p,
        Err(e) => return usage_error(&format!("cannot read the profiles file: {e}")),
    };
    let mut records = Vec::new();
    let source = match TraceSource::of(trace, state) {
        None if events.is_some() => {
            let path = events.unwrap_or(Path::new(""));
            match replay(&compiled, &catalog_loaded, profiles.as_deref(), path) {
                Ok(r) => records = r,
                Err(e) => return usage_error(&e),
            }
            format!("replay of {}", path.display())
        }
        Some(source) => {
            if let Err(e) = read_trace(&source, None, |v, _| {
                records.push(v.clone());
                Ok(())
            }) {
                return e.report(Format::Text);
            }
            match source {
                TraceSource::File(p) => format!("trace {}", p.display()),
                TraceSource::State(s) => format!("state {s}"),
            }
        }
        None => "no counts: give --events, --trace or --state".to_string(),
    };
    let studio = jexpr_serve::studio::Studio {
        journeys: compiled,
        catalog: Box::leak(Box::new(catalog_loaded)),
        problems: report.problems,
        records,
        source,
        profiles,
        sources: texts,
    };
    match jexpr_serve::studio::serve(studio, listen, |addr| {
        errln!("studio on http://{addr} (Ctrl-C stops)");
    }) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            errln!("error: {e}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}
