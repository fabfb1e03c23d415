//! `jexpr journey check` and `jexpr run`: journeys validated, then run over
//! an events file (JOURNEYS.md sections 3 and 6).

use jexpr_journey::engine::Journeys;
use jexpr_journey::runner::Runner;
use jexpr_journey::runner::{open_trace, RunError, Summary};
use jexpr_journey::store::{Fingerprint, MemoryStore, SqliteStore, Store};
use jexpr_journey::{CompiledJourney, JourneyCatalog, Report};
use serde_json::json;
use std::io::{BufReader, Write};
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
/// What `checked` gives a run: the compiled journeys, the catalog, and the
/// state fingerprint of the files they came from.
type Checked = (Vec<CompiledJourney>, JourneyCatalog, Fingerprint);

fn checked(
    files: &[PathBuf],
    catalog: Option<&Path>,
    format: Format,
    quiet_ok: bool,
) -> Result<Checked, ExitCode> {
    let catalog_path = catalog;
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
    let sources: Vec<(String, i64, String)> = compiled
        .iter()
        .map(|c| {
            let text = texts
                .iter()
                .find(|(f, _)| *f == c.journey.file)
                .map(|(_, t)| t.clone())
                .unwrap_or_default();
            (c.journey.id.clone(), c.journey.version, text)
        })
        .collect();
    let catalog_text = catalog_path.and_then(|p| jexpr_journey::read_limited(p).ok());
    let fingerprint = Fingerprint::new(&sources, catalog_text.as_deref());
    Ok((compiled, catalog, fingerprint))
}

fn print_report(report: &Report, format: Format) {
    match format {
        Format::Json => println!("{}", report.to_json()),
        Format::Text => eprint!("{}", report.render()),
    }
}

pub fn check(files: &[PathBuf], catalog: Option<&Path>, format: Format) -> ExitCode {
    match checked(files, catalog, format, false) {
        Ok((compiled, _, _)) => {
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
    pub state: Option<&'a Path>,
    pub commit_every: usize,
    pub format: Format,
}

pub fn run(a: RunArgs<'_>) -> ExitCode {
    let until = match a.until.map(jexpr::time::parse_instant).transpose() {
        Ok(u) => u,
        Err(e) => return usage(a.format, &format!("--until: {e}")),
    };
    let (compiled, catalog, fingerprint) = match checked(a.journeys, a.catalog, a.format, true) {
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
    let mut profiles = match a.profiles.map(std::fs::File::open).transpose() {
        Ok(f) => f.map(BufReader::new),
        Err(e) => return usage(a.format, &format!("cannot read the profiles file: {e}")),
    };
    let journeys = Journeys::new(compiled);
    let result = match a.state {
        None => drive(
            a.trace,
            MemoryStore::default(),
            journeys,
            &catalog,
            &mut profiles,
            events,
            until,
            a.commit_every,
        ),
        Some(path) => match SqliteStore::open(path, &fingerprint) {
            Ok(store) => drive(
                a.trace,
                store,
                journeys,
                &catalog,
                &mut profiles,
                events,
                until,
                a.commit_every,
            ),
            Err(e) => Err(RunError::Store(e)),
        },
    };
    let summary = match result {
        Ok(s) => s,
        Err(e) => return usage(a.format, &e.to_string()),
    };
    match a.format {
        // After the trace when both go to stdout: the summary has no `kind`.
        Format::Json => println!("{}", summary.to_json()),
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
            if summary.unfinished_line {
                eprintln!("note: the last line has no newline and is not complete JSON yet; it is left for the next run");
            }
            eprintln!(
                "read {} lines{errors}, wrote {} trace records, {} instances still waiting; clock at {clock}",
                summary.lines, summary.records, summary.waiting
            );
        }
    }
    ExitCode::SUCCESS
}

/// Runs over `store`, writing the trace to `trace` (made consistent with the
/// store first) or to standard output.
#[allow(clippy::too_many_arguments)]
fn drive<S: Store>(
    trace: Option<&Path>,
    mut store: S,
    journeys: Journeys,
    catalog: &JourneyCatalog,
    profiles: &mut Option<BufReader<std::fs::File>>,
    events: BufReader<std::fs::File>,
    until: Option<chrono::DateTime<chrono::Utc>>,
    commit_every: usize,
) -> Result<Summary, RunError> {
    let mut out: Box<dyn Write> = match trace {
        Some(path) => Box::new(std::io::BufWriter::new(open_trace(path, &mut store)?)),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let runner = Runner::new(journeys, catalog, store, &mut *out).batch(commit_every);
    let profiles = profiles.as_mut().map(|p| p as &mut dyn std::io::BufRead);
    runner.run(profiles, events, until)
}

pub fn inspect(state: &Path, profile: Option<&str>, next: usize, format: Format) -> ExitCode {
    let mut store = match SqliteStore::open_existing(state) {
        Ok(s) => s,
        Err(e) => return usage(format, &e.to_string()),
    };
    match jexpr_journey::store::inspect::inspect(&mut store, profile, next) {
        Ok(v) => {
            match format {
                Format::Json => println!("{v}"),
                Format::Text => print!("{}", jexpr_journey::store::inspect::render(&v)),
            }
            ExitCode::SUCCESS
        }
        Err(e) => usage(format, &e.to_string()),
    }
}
