//! `jexpr studio`: the journeys and a trace's figures in a browser (crate
//! `jexpr-serve`, module `studio`).

use super::report::{read_trace, TraceSource};
use crate::cli::{Format, EXIT_USAGE};
use crate::error::usage_error;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn studio(
    journeys: &[PathBuf],
    catalog: &Path,
    trace: Option<&Path>,
    state: Option<&str>,
    profiles: Option<&Path>,
    listen: &str,
) -> ExitCode {
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
        None => "no trace: give --trace FILE or --state STORE for counts".to_string(),
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
