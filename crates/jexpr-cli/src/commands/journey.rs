//! `jexpr journey check` and `jexpr run`: journeys validated, then run over
//! an events file (JOURNEYS.md sections 3 and 6).

use jexpr_journey::engine::Journeys;
use jexpr_journey::runner::{open_trace, RunError, Summary};
use jexpr_journey::runner::{Deliverer, MockResponses, Runner};
use jexpr_journey::store::{
    export, Fingerprint, MemoryStore, PostgresOptions, PostgresStore, SqliteStore, Store,
};
use jexpr_journey::{CompiledJourney, JourneyCatalog, ReadError, Report, Severity};
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cli::{Format, EXIT_COMPILE, EXIT_USAGE};
use crate::error::usage_error_in as usage;

fn load_catalog(catalog: Option<&Path>) -> Result<JourneyCatalog, Report> {
    match catalog {
        None => Ok(JourneyCatalog::empty()),
        Some(path) => JourneyCatalog::load(path).map_err(|problems| Report { problems }),
    }
}

/// Checks the journeys; prints the report. `Err` is the exit code to return.
/// What `checked` gives a run: the compiled journeys, the catalog, and the
/// state fingerprint of the files they came from.
pub(crate) type Checked = (Vec<CompiledJourney>, JourneyCatalog, Fingerprint);

pub(crate) fn checked(
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
    let mut not_text = Vec::new();
    for f in files {
        match jexpr_journey::read_limited(f) {
            Ok(t) => texts.push((f.display().to_string(), t)),
            Err(ReadError::NotText(m)) => not_text.push(
                jexpr_journey::Problem::error("J001", &f.display().to_string(), "", m)
                    .with_help("a journey file is one JSON object, in UTF-8"),
            ),
            Err(e) => return Err(usage(format, &e.to_string())),
        }
    }
    let (mut report, compiled) = jexpr_journey::check(&texts, &catalog);
    if catalog_path.is_none() {
        without_catalog(&mut report);
    }
    if !not_text.is_empty() {
        not_text.append(&mut report.problems);
        report.problems = not_text;
    }
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
    let catalog_text = catalog_path.and_then(|p| jexpr_journey::read_limited(p).ok());
    let fingerprint = jexpr_journey::check::fingerprint(&texts, &compiled, catalog_text.as_deref());
    Ok((compiled, catalog, fingerprint))
}

/// Without a catalog every event, action and field is unknown: one leading
/// problem says so instead of one per name (the file and shape problems
/// stay).
fn without_catalog(report: &mut Report) {
    // Unknown events and actions, and field references with nothing to
    // type them (E0213); a syntax error or an unknown function still shows.
    let needs_catalog =
        |p: &jexpr_journey::Problem| matches!(p.code.as_str(), "J050" | "J052" | "E0213");
    let Some(first) = report.problems.iter().find(|p| needs_catalog(p)) else {
        return;
    };
    let lead = jexpr_journey::Problem::error(
        "J006",
        &first.file,
        "",
        "no --catalog given: the events, data sources and actions the journeys use are unknown",
    )
    .with_help("give the catalog the journeys were written for: --catalog FILE (docs/catalog.md)");
    report.problems.retain(|p| !needs_catalog(p));
    report.problems.insert(0, lead);
}

fn print_report(report: &Report, format: Format) {
    match format {
        Format::Json => outln!("{}", report.to_json()),
        Format::Text => emit_report(report),
    }
}

/// The text report on standard error, coloured on a terminal as `check`
/// colours its diagnostics; without colour it is `Report::render` exactly.
fn emit_report(report: &Report) {
    use codespan_reporting::term::termcolor::{Color, ColorSpec, StandardStream, WriteColor};
    use std::io::Write;
    let choice = super::expression::color_choice();
    if choice == codespan_reporting::term::termcolor::ColorChoice::Never {
        err!("{}", report.render());
        return;
    }
    let mut out = StandardStream::stderr(choice);
    for severity in [Severity::Error, Severity::Warning] {
        for p in report.problems.iter().filter(|p| p.severity == severity) {
            if let Some((source, d)) = &p.expression {
                jexpr::diagnostic::emit(&mut out, &p.place(), source, std::slice::from_ref(d));
                continue;
            }
            let (word, color) = match severity {
                Severity::Error => ("error", Color::Red),
                Severity::Warning => ("warning", Color::Yellow),
            };
            let _ = out.set_color(ColorSpec::new().set_fg(Some(color)).set_bold(true));
            let _ = write!(out, "{word}[{}]", p.code);
            let _ = out.set_color(ColorSpec::new().set_bold(true));
            let _ = writeln!(out, ": {}", p.message);
            let _ = out.set_color(ColorSpec::new().set_fg(Some(Color::Blue)));
            let _ = write!(out, "  ┌─ ");
            let _ = out.reset();
            let _ = writeln!(out, "{}", p.place());
            if let Some(help) = &p.help {
                let _ = writeln!(out, "  = help: {help}");
            }
            let _ = writeln!(out);
        }
    }
    let _ = writeln!(out, "{}", report.counts());
}

pub fn check(files: &[PathBuf], catalog: Option<&Path>, format: Format) -> ExitCode {
    match checked(files, catalog, format, false) {
        Ok((compiled, _, _)) => {
            if format == Format::Text {
                let names: Vec<String> = compiled
                    .iter()
                    .map(|c| format!("{} v{}", c.journey.id, c.journey.version))
                    .collect();
                outln!("ok: {}", names.join(", "));
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
    pub state: Option<&'a str>,
    pub commit_every: usize,
    pub lease_seconds: f64,
    pub process_name: Option<&'a str>,
    pub partitions: Option<u32>,
    pub fail_on_error: bool,
    pub explain: bool,
    pub responses: Option<&'a Path>,
    pub deliver: bool,
    pub format: Format,
}

/// Whether `a` and `b` name one existing file (through links and any
/// spelling of the path).
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// Refuses an output path that is one of the inputs: opening it for
/// writing would destroy what the run reads.
pub(crate) fn output_is_an_input(output: &Path, inputs: &[(&str, &Path)]) -> Option<String> {
    inputs
        .iter()
        .find(|(_, input)| same_file(output, input))
        .map(|(what, input)| {
            format!(
                "{} is {what} ({}): the output would overwrite it; write the trace to another file",
                output.display(),
                input.display()
            )
        })
}

pub fn run(a: RunArgs<'_>) -> ExitCode {
    if a.state == Some("") {
        return usage(a.format, "--state is empty: give a file (SQLite) or a postgres:// URL, or leave it out to keep the state in memory");
    }
    if let Some(trace) = a.trace {
        let mut inputs: Vec<(&str, &Path)> = vec![("the events file", a.events)];
        inputs.extend(a.profiles.map(|p| ("the profiles file", p)));
        inputs.extend(a.catalog.map(|p| ("the catalog", p)));
        inputs.extend(a.state.map(|p| ("the state", Path::new(p))));
        inputs.extend(a.journeys.iter().map(|p| ("a journey file", p.as_path())));
        if let Some(message) = output_is_an_input(trace, &inputs) {
            return usage(a.format, &message);
        }
    }
    let until = match a.until.map(jexpr::time::parse_instant).transpose() {
        Ok(u) => u,
        Err(e) => return usage(a.format, &format!("--until: {e}")),
    };
    let postgres = a.state.is_some_and(export::is_postgres);
    if postgres && a.trace.is_some() {
        return usage(a.format, "with a PostgreSQL state the trace is kept in the database: leave --trace out and export it with `jexpr trace --state URL --output FILE`");
    }
    if !postgres && (a.process_name.is_some() || a.partitions.is_some()) {
        return usage(
            a.format,
            "--process-name and --partitions are for a PostgreSQL state (--state postgres://…)",
        );
    }
    if !(a.lease_seconds.is_finite() && (1.0..=86_400.0).contains(&a.lease_seconds)) {
        return usage(a.format, "--lease-seconds must be between 1 and 86400");
    }
    let (compiled, catalog, fingerprint) = match checked(a.journeys, a.catalog, a.format, true) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if a.profiles.is_none() {
        if let Some(read) = compiled.iter().find_map(|cj| cj.first_profile_read()) {
            errln!(
                "warning: the journeys read profile data ({read}) but no --profiles was given: every #{{…}} is null unless the events file has profile lines"
            );
        }
    }
    let from_stdin = a.events == Path::new("-");
    if from_stdin && postgres {
        return usage(a.format, "with a PostgreSQL state every process reads the events file, and reads it again to take a partition over: give a file, not standard input");
    }
    if !from_stdin {
        if let Err(e) = std::fs::File::open(a.events) {
            return usage(
                a.format,
                &format!("cannot read {}: {e}", a.events.display()),
            );
        }
    }
    let open_events = events_source(a.events);
    let mut profiles = match a.profiles.map(std::fs::File::open).transpose() {
        Ok(f) => f.map(BufReader::new),
        Err(e) => return usage(a.format, &format!("cannot read the profiles file: {e}")),
    };
    let mut journeys = Journeys::new(compiled).explaining(a.explain);
    let mut deliverer: Option<Box<dyn Deliverer>> = None;
    if let Some(path) = a.responses {
        let text = match jexpr_journey::read_limited(path) {
            Ok(t) => t,
            Err(e) => return usage(a.format, &format!("cannot read --responses: {e}")),
        };
        match MockResponses::parse(&text) {
            Ok(mock) => {
                journeys = journeys.delivering(mock.actions());
                deliverer = Some(Box::new(mock));
            }
            Err((n, e)) => {
                return usage(a.format, &format!("{}:{n}: {e}", path.display()));
            }
        }
    }
    if a.deliver {
        match jexpr_serve::deliver::HttpDeliverer::new(&catalog) {
            Ok(http) => {
                journeys = journeys.delivering(http.actions()).fetching(http.sources());
                deliverer = Some(Box::new(http));
            }
            Err(e) => return usage(a.format, &e),
        }
    }
    let run = Run {
        deliverer,
        journeys,
        catalog: &catalog,
        profiles: &mut profiles,
        open_events,
        until,
        commit_every: a.commit_every,
    };
    let result = match a.state {
        None => run.drive(a.trace, MemoryStore::default()),
        Some(url) if postgres => {
            let options = PostgresOptions {
                url: url.to_string(),
                process: a
                    .process_name
                    .map_or_else(default_process_name, str::to_string),
                lease: std::time::Duration::from_secs_f64(a.lease_seconds),
                partitions: a.partitions,
                served: false,
            };
            match PostgresStore::open(&options, &fingerprint) {
                Ok(store) => run.drive_shared(store),
                Err(e) => Err(RunError::Store(e)),
            }
        }
        Some(path) => match SqliteStore::open(Path::new(path), &fingerprint) {
            Ok(store) => run.drive(a.trace, store),
            Err(e) => Err(RunError::Store(e)),
        },
    };
    let summary = match result {
        Ok(s) => s,
        Err(e) => return usage(a.format, &e.to_string()),
    };
    match a.format {
        // After the trace when both go to stdout: the summary has no `kind`.
        Format::Json => outln!("{}", summary.to_json()),
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
                let until = if a.until.is_some() {
                    " (the clock stays at its last line, not --until, so that line is not out of time order then)"
                } else {
                    ""
                };
                errln!("note: the last line has no newline and is not complete JSON yet; it is left for the next run{until}");
            }
            errln!(
                "read {} lines{errors}, wrote {} trace records, {} instances still waiting; clock at {clock}",
                summary.lines, summary.records, summary.waiting
            );
            if summary.errors > 0 || !summary.exited.is_empty() {
                let exited: Vec<String> = summary
                    .exited
                    .iter()
                    .map(|(reason, n)| format!("{n} {reason}"))
                    .collect();
                let exited = if exited.is_empty() {
                    "none".to_string()
                } else {
                    exited.join(", ")
                };
                errln!(
                    "{} steps failed (error records); exited: {exited}",
                    summary.errors
                );
            }
            if summary.partitions > 1 {
                errln!(
                    "held {} of {} partitions: {}",
                    summary.held.len(),
                    summary.partitions,
                    ranges(&summary.held)
                );
            }
        }
    }
    if a.fail_on_error && summary.errors > 0 {
        if a.format == Format::Text {
            errln!("error: {} steps failed (--fail-on-error)", summary.errors);
        }
        return ExitCode::from(crate::cli::EXIT_EVAL);
    }
    ExitCode::SUCCESS
}

/// Opens the events input for each scan of it: the file from its start,
/// or standard input (`-`) once — a resumed run skips what its state
/// handled of the same stream, as of a file.
fn events_source(events: &Path) -> impl FnMut() -> Result<Box<dyn std::io::BufRead>, RunError> {
    let path = events.to_path_buf();
    let mut stdin_taken = false;
    move || {
        if path == Path::new("-") {
            if std::mem::replace(&mut stdin_taken, true) {
                return Err(RunError::Io(
                    "standard input can be read once: give the events as a file".into(),
                ));
            }
            return Ok(Box::new(BufReader::with_capacity(
                1 << 16,
                std::io::stdin(),
            )));
        }
        std::fs::File::open(&path)
            .map(|f| Box::new(BufReader::with_capacity(1 << 16, f)) as Box<dyn std::io::BufRead>)
            .map_err(|e| RunError::Io(format!("cannot read {}: {e}", path.display())))
    }
}

/// One run's inputs, for whichever store keeps its state.
struct Run<'a, F> {
    deliverer: Option<Box<dyn Deliverer>>,
    journeys: Journeys,
    catalog: &'a JourneyCatalog,
    profiles: &'a mut Option<BufReader<std::fs::File>>,
    open_events: F,
    until: Option<chrono::DateTime<chrono::Utc>>,
    commit_every: usize,
}

impl<F> Run<'_, F>
where
    F: FnMut() -> Result<Box<dyn std::io::BufRead>, RunError>,
{
    /// Runs over `store`, writing the trace to `trace` (made consistent with
    /// the store first) or to standard output.
    fn drive<S: Store>(self, trace: Option<&Path>, mut store: S) -> Result<Summary, RunError> {
        let mut out: Box<dyn Write> = match trace {
            Some(path) => Box::new(std::io::BufWriter::new(open_trace(path, &mut store)?)),
            None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
        };
        self.go(store, &mut *out)
    }

    /// Runs over a store that keeps the trace itself (`jexpr trace` exports it).
    fn drive_shared<S: Store>(self, store: S) -> Result<Summary, RunError> {
        self.go(store, &mut std::io::sink())
    }

    fn go<S: Store>(self, store: S, out: &mut dyn Write) -> Result<Summary, RunError> {
        let mut runner =
            Runner::new(self.journeys, self.catalog, store, out).batch(self.commit_every);
        if let Some(deliverer) = self.deliverer {
            runner = runner.deliverer(deliverer);
        }
        if S::IN_MEMORY {
            // Nothing to close; the process ends with the run.
            runner = runner.exiting();
        }
        let profiles = self
            .profiles
            .as_mut()
            .map(|p| p as &mut dyn std::io::BufRead);
        runner.run_reopening(profiles, self.open_events, self.until)
    }
}

pub(crate) fn default_process_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into());
    format!("{host}-{}", std::process::id())
}

/// `0-3, 8, 10-11`.
fn ranges(list: &[u32]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < list.len() {
        let start = list[i];
        let mut end = start;
        while i + 1 < list.len() && list[i + 1] == end + 1 {
            i += 1;
            end = list[i];
        }
        out.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
        i += 1;
    }
    out.join(", ")
}

pub fn inspect(state: &str, profile: Option<&str>, next: usize, format: Format) -> ExitCode {
    let overview = jexpr_journey::store::inspect::inspect_location(state, profile, next);
    match overview {
        Ok(v) => {
            match format {
                Format::Json => outln!("{v}"),
                Format::Text => out!("{}", jexpr_journey::store::inspect::render(&v)),
            }
            ExitCode::SUCCESS
        }
        Err(e) => usage(format, &e.to_string()),
    }
}
