//! `jexpr journey check` and `jexpr run`: journeys validated, then run over
//! an events file (JOURNEYS.md sections 3 and 6).

use jexpr_journey::engine::Journeys;
use jexpr_journey::runner::Runner;
use jexpr_journey::store::MemoryStore;
use jexpr_journey::{CompiledJourney, JourneyCatalog, Report};
use serde_json::json;
use std::io::{BufReader, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::{Format, EXIT_COMPILE, EXIT_USAGE};

fn usage(format: Format, message: &str) -> ExitCode {
    if format == Format::Json {
        println!("{}", json!({ "error": { "message": message } }));
    } else {
        eprintln!("error: {message}");
    }
    ExitCode::from(EXIT_USAGE)
}

fn load_catalog(catalog: Option<&Path>) -> Result<JourneyCatalog, Report> {
    match catalog {
        None => Ok(JourneyCatalog::empty()),
        Some(path) => JourneyCatalog::load(path).map_err(|problems| Report { problems }),
    }
}

/// Checks the journeys; prints the report. `Err` is the exit code to return.
fn checked(
    files: &[PathBuf],
    catalog: Option<&Path>,
    format: Format,
    quiet_ok: bool,
) -> Result<(Vec<CompiledJourney>, JourneyCatalog), ExitCode> {
    let catalog = match load_catalog(catalog) {
        Ok(c) => c,
        Err(report) => {
            print_report(&report, format);
            return Err(ExitCode::from(EXIT_USAGE));
        }
    };
    let mut texts = Vec::new();
    for f in files {
        match jexpr_journey::read_limited(f) {
            Ok(t) => texts.push((f.display().to_string(), t)),
            Err(e) => return Err(usage(format, &e)),
        }
    }
    let (report, compiled) = jexpr_journey::check(&texts, &catalog);
    // `check` always reports; `run` reports errors, and warnings as text only
    // (in JSON its stdout is the summary).
    let shown =
        report.has_errors() || !quiet_ok || (!report.problems.is_empty() && format == Format::Text);
    if shown {
        print_report(&report, format);
    }
    if report.has_errors() {
        return Err(ExitCode::from(EXIT_COMPILE));
    }
    Ok((compiled, catalog))
}

fn print_report(report: &Report, format: Format) {
    match format {
        Format::Json => println!("{}", report.to_json()),
        Format::Text => eprint!("{}", report.render()),
    }
}

pub fn check(files: &[PathBuf], catalog: Option<&Path>, format: Format) -> ExitCode {
    match checked(files, catalog, format, false) {
        Ok((compiled, _)) => {
            if format == Format::Text {
                let names: Vec<String> = compiled
                    .iter()
                    .map(|c| format!("{} v{}", c.journey.id, c.journey.version))
                    .collect();
                println!("ok: {}", names.join(", "));
            }
            ExitCode::SUCCESS
        }
        Err(code) => code,
    }
}

pub struct RunArgs<'a> {
    pub journeys: &'a [PathBuf],
    pub events: &'a Path,
    pub profiles: Option<&'a Path>,
    pub catalog: Option<&'a Path>,
    pub trace: Option<&'a Path>,
    pub until: Option<&'a str>,
    pub format: Format,
}

pub fn run(a: RunArgs<'_>) -> ExitCode {
    let until = match a.until.map(jexpr::time::parse_instant).transpose() {
        Ok(u) => u,
        Err(e) => return usage(a.format, &format!("--until: {e}")),
    };
    let (compiled, catalog) = match checked(a.journeys, a.catalog, a.format, true) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let events = match std::fs::File::open(a.events) {
        Ok(f) => BufReader::with_capacity(1 << 16, f),
        Err(e) => {
            return usage(
                a.format,
                &format!("cannot read {}: {e}", a.events.display()),
            )
        }
    };
    let mut out: Box<dyn Write> = match a.trace {
        Some(path) => match std::fs::File::create(path) {
            Ok(f) => Box::new(std::io::BufWriter::new(f)),
            Err(e) => return usage(a.format, &format!("cannot write {}: {e}", path.display())),
        },
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let mut runner = Runner::new(
        Journeys::new(compiled),
        &catalog,
        MemoryStore::default(),
        &mut *out,
    );
    if let Some(p) = a.profiles {
        let file = match std::fs::File::open(p) {
            Ok(f) => BufReader::new(f),
            Err(e) => return usage(a.format, &format!("cannot read {}: {e}", p.display())),
        };
        if let Err(e) = runner.load_profiles(file) {
            return usage(a.format, &e.to_string());
        }
    }
    let summary = match runner.run(events, until) {
        Ok(s) => s,
        Err(e) => return usage(a.format, &e.to_string()),
    };
    drop(out);
    match a.format {
        Format::Json if a.trace.is_some() => println!("{}", summary.to_json()),
        Format::Json => eprintln!("{}", summary.to_json()),
        Format::Text => {
            let clock = summary
                .clock
                .map(|c| jexpr::time::format_instant(&c))
                .unwrap_or_else(|| "-".into());
            let errors = if summary.input_errors > 0 {
                format!(" ({} skipped as inputError)", summary.input_errors)
            } else {
                String::new()
            };
            let colour = std::io::stderr().is_terminal();
            let _ = colour;
            eprintln!(
                "read {} lines{errors}, wrote {} trace records, {} instances still waiting; clock at {clock}",
                summary.lines, summary.records, summary.waiting
            );
        }
    }
    ExitCode::SUCCESS
}
