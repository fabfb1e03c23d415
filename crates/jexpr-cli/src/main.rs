//! The `jexpr` command line (see ../shared/spec/CLI.md for the contract).

use clap::{Parser, Subcommand, ValueEnum};
use codespan_reporting::term::termcolor::{ColorChoice, StandardStream};
#[macro_use]
mod out;
mod explain;
mod journey;
mod repl;

use jexpr::diagnostic::{self, Diagnostic};
use jexpr::{Catalog, Compiler, Context, Type};
use serde_json::json;
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "jexpr",
    version,
    about = "Check and evaluate journey expressions; check and run journeys"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check an expression and print its type.
    ///
    /// Examples:
    ///   jexpr check --catalog examples/catalog.json '@{OrderEvent.commerce.order.total} > 100.0'
    ///   jexpr check --catalog examples/catalog.json --expect boolean --file condition.jexpr
    ///   jexpr check --context examples/context.json --format json '#{ExperiencePlatform.Profile.loyalty.tier}'
    ///
    /// Exit codes: 0 well typed, 1 compile error(s), 2 usage error (bad flags,
    /// unreadable or malformed catalog or context).
    #[command(verbatim_doc_comment)]
    Check {
        #[command(flatten)]
        input: Input,
        /// Fail unless the expression has this type (e.g. `boolean`).
        #[arg(long, value_name = "TYPE")]
        expect: Option<String>,
    },
    /// Evaluate an expression and print its value.
    ///
    /// Examples:
    ///   jexpr eval --context examples/context.json '@{OrderEvent.commerce.order.total} * 2'
    ///   jexpr eval --now 2024-05-01T10:00:00Z --tz Europe/Paris 'now()'
    ///   jexpr eval --events examples/journeys/events.jsonl '@{CartUpdated.total} > 100.0'
    ///
    /// Exit codes: 0 evaluated, 1 compile error(s), 2 usage error, 3 evaluation error.
    #[command(verbatim_doc_comment)]
    Eval {
        #[command(flatten)]
        input: Input,
        /// The evaluation clock (RFC 3339), overriding the context's `now`.
        #[arg(long, value_name = "RFC3339")]
        now: Option<String>,
        /// The journey's time zone, overriding the context's `timeZone`.
        #[arg(long, value_name = "ZONE")]
        tz: Option<String>,
        /// Evaluate once per line of this events file (JOURNEYS.md section
        /// 3: `{"time", "event", "payload"}`), with that event and `now` at
        /// its time; prints `LINE: value` per line (JSON: one object per line).
        #[arg(long, value_name = "FILE.jsonl")]
        events: Option<PathBuf>,
        /// Show the value of every sub-expression as a tree (which leaf was
        /// null, which comparison failed).
        #[arg(long, conflicts_with = "events")]
        explain: bool,
    },
    /// Print an expression in canonical form.
    ///
    /// The form `jexpr` itself prints: spacing, parentheses only where
    /// needed, one quote style.
    ///
    /// Examples:
    ///   jexpr fmt '@{E.a}>1 and(@{E.b}=="x")'     prints  @{E.a} > 1 and @{E.b} == "x"
    ///   jexpr fmt --check --file condition.jexpr   fails if the file is not canonical
    ///
    /// Exit codes: 0 printed (or already canonical with --check), 1 syntax
    /// error (or not canonical with --check), 2 usage error.
    #[command(verbatim_doc_comment)]
    Fmt {
        /// Print nothing; fail (exit 1) unless the text is already canonical.
        #[arg(long)]
        check: bool,
        /// Read the expression from this file.
        #[arg(long, value_name = "F", conflicts_with = "expr")]
        file: Option<PathBuf>,
        /// The expression (`-` reads it from standard input).
        #[arg(value_name = "EXPR")]
        expr: Option<String>,
    },
    /// List the builtin functions, or show one.
    ///
    /// One function: its signatures, what a null argument does, and the
    /// documented examples.
    ///
    /// Examples:
    ///   jexpr functions                 every function, by group, with its signatures
    ///   jexpr functions substr          one function in full
    ///   jexpr functions to              the functions whose names start with `to`
    ///
    /// Exit codes: 0 shown, 2 no function by that name or prefix.
    #[command(verbatim_doc_comment)]
    Functions {
        /// A function name, or the start of names.
        #[arg(value_name = "NAME")]
        name: Option<String>,
        /// Text or JSON.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Print a shell completion script.
    ///
    /// Examples:
    ///   jexpr completions bash > ~/.local/share/bash-completion/completions/jexpr
    ///   jexpr completions zsh > ~/.zfunc/_jexpr
    ///   jexpr completions fish > ~/.config/fish/completions/jexpr.fish
    ///
    /// Exit codes: 0 printed, 2 unknown shell.
    #[command(verbatim_doc_comment)]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Try expressions interactively against sample events.
    ///
    /// Examples:
    ///   jexpr repl --catalog examples/catalog.json --context examples/context.json
    ///   echo '1 + 2' | jexpr repl          (piped input: one result per line, no prompt)
    ///
    /// Inside: Tab completes; :help lists the commands (:type, :context,
    /// :functions, :doc, :tz, …).
    ///
    /// Exit codes: 0 on :quit or end of input, 2 unreadable catalog or context.
    #[command(verbatim_doc_comment)]
    Repl {
        /// Catalog of events, data sources and audiences (LANGUAGE.md section 8).
        #[arg(long, value_name = "FILE")]
        catalog: Option<PathBuf>,
        /// Evaluation context with sample events and data (LANGUAGE.md section 9).
        #[arg(long, value_name = "FILE")]
        context: Option<PathBuf>,
        /// History file (default: jexpr/history in the user's data directory).
        #[arg(long, value_name = "FILE", conflicts_with = "no_history")]
        history: Option<PathBuf>,
        /// Keep no history.
        #[arg(long)]
        no_history: bool,
    },
    /// Export the trace kept in a state (SQLite file or PostgreSQL).
    ///
    /// Ordered by time, then profile id, each profile's records in step order.
    ///
    /// Examples:
    ///   jexpr trace --state postgres://localhost/jexpr --output trace.jsonl
    ///   jexpr trace --state run.db --profile user0042@example.com
    ///
    /// Exit codes: 0 exported, 2 not a readable jexpr state.
    #[command(verbatim_doc_comment)]
    Trace {
        /// The state given to `jexpr run --state`.
        #[arg(long, value_name = "FILE|URL")]
        state: String,
        /// Only this profile's records.
        #[arg(long, value_name = "ID")]
        profile: Option<String>,
        /// Write here instead of standard output.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Run state: `state inspect`.
    State {
        #[command(subcommand)]
        command: StateCommand,
    },
    /// Journey files: `journey check`.
    Journey {
        #[command(subcommand)]
        command: JourneyCommand,
    },
    /// Run journeys over an events file on a virtual clock and write the trace.
    ///
    /// Examples:
    ///   jexpr run examples/journeys/*.journey.json --catalog examples/journeys/catalog.json \
    ///     --profiles examples/journeys/profiles.jsonl --events examples/journeys/events.jsonl --trace trace.jsonl
    ///   jexpr run … --state run.db          (resumable: run it again after a crash or new lines)
    ///   jexpr run … --state postgres://user@db/jexpr --process-name NAME
    ///                                       (several processes; export with `jexpr trace`)
    ///
    /// Exit codes: 0 done, 1 invalid journey, 2 usage, unreadable input or store failure.
    #[command(verbatim_doc_comment)]
    Run {
        /// Journey files (several journeys, and several versions of one, run together).
        #[arg(value_name = "JOURNEY.json", required = true)]
        journeys: Vec<PathBuf>,
        /// The events file (JSON Lines, JOURNEYS.md section 3).
        #[arg(long, value_name = "EVENTS.jsonl")]
        events: PathBuf,
        /// Profiles with their data and audiences (JSON Lines).
        #[arg(long, value_name = "PROFILES.jsonl")]
        profiles: Option<PathBuf>,
        /// Catalog with events (and their `profileId`), data sources, audiences and actions.
        #[arg(long, value_name = "FILE")]
        catalog: Option<PathBuf>,
        /// Write the trace here instead of standard output.
        #[arg(long, value_name = "FILE")]
        trace: Option<PathBuf>,
        /// After the input, move the clock to this instant, firing what falls due.
        #[arg(long, value_name = "RFC3339")]
        until: Option<String>,
        /// Keep the state in this SQLite file, or in PostgreSQL
        /// (`postgres://user@host:port/db`, shared by several processes): a
        /// second run resumes after the last line handled, and a run killed
        /// at any instant loses nothing.
        #[arg(long, value_name = "FILE|URL")]
        state: Option<String>,
        /// Inputs per transaction of the state (more is faster, less redoes
        /// less after a crash).
        #[arg(long, value_name = "N", default_value_t = 1000)]
        commit_every: usize,
        /// PostgreSQL: how long a partition lease lasts without renewal (a
        /// dead process's partitions are taken over after this).
        #[arg(long, value_name = "N", default_value_t = 30.0)]
        lease_seconds: f64,
        /// PostgreSQL: this process's name in the lease table (default:
        /// host name and process id).
        #[arg(long, value_name = "X")]
        process_name: Option<String>,
        /// PostgreSQL: partitions of a new state (fixed once created).
        #[arg(long, value_name = "N")]
        partitions: Option<u32>,
        /// Summary and errors as text (stderr) or JSON.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
}

#[derive(Subcommand)]
enum StateCommand {
    /// Where a run is: lines handled, instances by journey and node, the next
    /// due timers; with --profile, that profile's instances and remembered events.
    ///
    /// Examples:
    ///   jexpr state inspect state.db --profile user0042@example.com
    ///   jexpr state inspect postgres://localhost/jexpr     (the partitions, who holds them, how far each is)
    ///
    /// Exit codes: 0 shown, 2 not a readable jexpr state.
    #[command(verbatim_doc_comment)]
    Inspect {
        /// The state given to `jexpr run --state` (a file or a postgres:// URL).
        #[arg(value_name = "STATE")]
        state: String,
        /// Show this profile's instances, history and remembered events.
        #[arg(long, value_name = "ID")]
        profile: Option<String>,
        /// How many due timers to list.
        #[arg(long, value_name = "N", default_value_t = 10)]
        next: usize,
        /// Text or JSON.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
}

#[derive(Subcommand)]
enum JourneyCommand {
    /// Validate journey files before publishing them (JOURNEYS.md section 6).
    ///
    /// Examples:
    ///   jexpr journey check welcome.json --catalog catalog.json
    ///   jexpr journey check examples/journeys/*.journey.json --catalog examples/journeys/catalog.json --format json
    ///
    /// Exit codes: 0 valid (warnings allowed), 1 problems found, 2 unreadable catalog or file.
    #[command(verbatim_doc_comment)]
    Check {
        /// Journey files, checked together (jumps between them are resolved).
        #[arg(value_name = "JOURNEY.json", required = true)]
        journeys: Vec<PathBuf>,
        /// Catalog with events, data sources, audiences and actions.
        #[arg(long, value_name = "FILE")]
        catalog: Option<PathBuf>,
        /// Problems as rendered text (stderr) or JSON (stdout).
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
}

#[derive(clap::Args)]
struct Input {
    /// Catalog of events, data sources and audiences (LANGUAGE.md section 8).
    #[arg(long, value_name = "FILE")]
    catalog: Option<PathBuf>,
    /// Evaluation context (LANGUAGE.md section 9).
    #[arg(long, value_name = "FILE")]
    context: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Read the expression from this file.
    #[arg(long, value_name = "F", conflicts_with = "expr")]
    file: Option<PathBuf>,
    /// The expression (`-` reads it from standard input).
    #[arg(value_name = "EXPR", allow_hyphen_values = false)]
    expr: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

const EXIT_COMPILE: u8 = 1;
const EXIT_USAGE: u8 = 2;
const EXIT_EVAL: u8 = 3;

fn main() -> ExitCode {
    out::ignore_file_size_signal();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_error(e),
    };
    match cli.command {
        Command::Check { input, expect } => check(&input, expect.as_deref()),
        Command::Eval {
            input,
            now,
            tz,
            events: Some(events),
            ..
        } => eval_events(&input, &events, now.as_deref(), tz.as_deref()),
        Command::Eval {
            input,
            now,
            tz,
            explain,
            ..
        } => eval(&input, now.as_deref(), tz.as_deref(), explain),
        Command::Repl {
            catalog,
            context,
            history,
            no_history,
        } => repl(catalog, context, history, no_history),
        Command::Fmt { check, file, expr } => fmt(check, file.as_deref(), expr.as_deref()),
        Command::Functions { name, format } => functions(name.as_deref(), format),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            clap_complete::generate(shell, &mut Cli::command(), "jexpr", &mut out);
            let _ = out.flush();
            ExitCode::SUCCESS
        }
        Command::Journey {
            command:
                JourneyCommand::Check {
                    journeys,
                    catalog,
                    format,
                },
        } => journey::check(&journeys, catalog.as_deref(), format),
        Command::State {
            command:
                StateCommand::Inspect {
                    state,
                    profile,
                    next,
                    format,
                },
        } => journey::inspect(&state, profile.as_deref(), next, format),
        Command::Run {
            journeys,
            events,
            profiles,
            catalog,
            trace,
            until,
            state,
            commit_every,
            lease_seconds,
            process_name,
            partitions,
            format,
        } => journey::run(journey::RunArgs {
            journeys: &journeys,
            events: &events,
            profiles: profiles.as_deref(),
            catalog: catalog.as_deref(),
            trace: trace.as_deref(),
            until: until.as_deref(),
            state: state.as_deref(),
            commit_every,
            lease_seconds,
            process_name: process_name.as_deref(),
            partitions,
            format,
        }),
        Command::Trace {
            state,
            profile,
            output,
        } => journey::export_trace(&state, profile.as_deref(), output.as_deref()),
    }
}

/// A result as `eval` prints it: the canonical display, with `null` written
/// out (an empty line would look like an empty string).
fn shown(value: &jexpr::Value<'_>) -> String {
    if value.is_null() {
        "null".into()
    } else {
        value.display()
    }
}

/// What snippets call the source: the file's path, or `expression`.
fn source_name(input: &Input) -> String {
    match (&input.file, input.expr.as_deref()) {
        (Some(path), _) => path.display().to_string(),
        (None, Some("-")) => "<stdin>".into(),
        _ => "expression".into(),
    }
}

/// Reads the expression text from the argument, `--file` or standard input.
fn read_source(input: &Input) -> Result<String, String> {
    read_text(input.file.as_deref(), input.expr.as_deref())
}

fn read_text(file: Option<&std::path::Path>, expr: Option<&str>) -> Result<String, String> {
    match (file, expr) {
        (Some(path), _) => jexpr_journey::read_limited(path).map_err(|e| format!("--file: {e}")),
        (None, Some("-")) => {
            // One byte past the longest source: the compiler then says E0120.
            let mut text = String::new();
            std::io::stdin()
                .take(jexpr::MAX_SOURCE_LEN as u64 + 1)
                .read_to_string(&mut text)
                .map_err(|e| format!("cannot read the expression from standard input: {e}"))?;
            Ok(text)
        }
        (None, Some(expr)) => Ok(expr.to_string()),
        (None, None) => {
            Err("no expression given: pass EXPR, --file F, or - for standard input".into())
        }
    }
}

fn fmt(check: bool, file: Option<&std::path::Path>, expr: Option<&str>) -> ExitCode {
    let src = match read_text(file, expr) {
        Ok(src) => src,
        Err(message) => return usage_error(&message),
    };
    let name = file.map_or_else(|| "expression".to_string(), |p| p.display().to_string());
    let ast = match jexpr::parse(&src) {
        Ok(ast) => ast,
        Err(diags) => return report_compile_errors(Format::Text, &name, &src, &diags),
    };
    let canonical = jexpr::print(&ast);
    if !check {
        outln!("{canonical}");
        return ExitCode::SUCCESS;
    }
    if src.trim_end_matches(['\n', '\r']) == canonical {
        ExitCode::SUCCESS
    } else {
        errln!("{name} is not in canonical form; `jexpr fmt` prints it as:\n{canonical}");
        ExitCode::from(EXIT_COMPILE)
    }
}

fn functions(name: Option<&str>, format: Format) -> ExitCode {
    use jexpr::authoring::{function, functions, FunctionDoc};
    let all = functions();
    let (chosen, full): (Vec<FunctionDoc>, bool) = match name {
        None => (all, false),
        Some(n) => match function(n) {
            Some(f) => (vec![f], true),
            None => {
                let prefixed: Vec<FunctionDoc> = all
                    .iter()
                    .filter(|f| f.name.starts_with(n))
                    .cloned()
                    .collect();
                if prefixed.is_empty() {
                    let hint = jexpr::authoring::closest(n, all.iter().map(|f| f.name))
                        .map(|s| format!(" (did you mean `{s}`?)"))
                        .unwrap_or_default();
                    let message = format!("no function is named or starts with `{n}`{hint}");
                    if format == Format::Json {
                        outln!("{}", json!({ "error": { "message": message } }));
                        return ExitCode::from(EXIT_USAGE);
                    }
                    return usage_error(&message);
                }
                (prefixed, false)
            }
        },
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    // A reader that goes away (`| head`) ends the listing quietly.
    let _ = write_functions(&mut out, &chosen, full, format);
    ExitCode::SUCCESS
}

fn write_functions(
    out: &mut impl Write,
    chosen: &[jexpr::authoring::FunctionDoc],
    full: bool,
    format: Format,
) -> std::io::Result<()> {
    if format == Format::Json {
        let list: Vec<_> = chosen
            .iter()
            .map(|f| {
                json!({"name": f.name, "group": f.category, "signatures": f.signatures,
                       "nulls": f.nulls, "doc": f.doc})
            })
            .collect();
        writeln!(out, "{}", json!({ "functions": list }))?;
        return out.flush();
    }
    if full {
        for f in chosen {
            writeln!(out, "{} ({})", f.name, f.category)?;
            for s in &f.signatures {
                writeln!(out, "  {s}")?;
            }
            writeln!(out, "null: {}", f.nulls)?;
            writeln!(out, "{}", f.doc)?;
        }
        return out.flush();
    }
    let mut group = "";
    for f in chosen {
        if f.category != group {
            if !group.is_empty() {
                writeln!(out)?;
            }
            group = f.category;
            writeln!(out, "{group}:")?;
        }
        for s in &f.signatures {
            writeln!(out, "  {s}")?;
        }
    }
    out.flush()
}

/// Bad flags: clap's message, or under `--format json` the same message as
/// JSON (help and version requests print as usual).
fn clap_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let args: Vec<String> = std::env::args().collect();
    let json = args
        .windows(2)
        .any(|w| w[0] == "--format" && w[1] == "json")
        || args.iter().any(|a| a == "--format=json");
    let asked = matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion);
    if json && !asked {
        let text = e.to_string();
        let message = text
            .lines()
            .next()
            .unwrap_or("")
            .trim_start_matches("error: ");
        outln!("{}", json!({ "error": { "message": message } }));
        return ExitCode::from(EXIT_USAGE);
    }
    let _ = e.print();
    ExitCode::from(if asked { 0 } else { EXIT_USAGE })
}

/// A usage error, in JSON on stdout under `--format json` (scripts read one
/// object there whatever happened).
fn usage_error_in(format: Format, message: &str) -> ExitCode {
    if format == Format::Json {
        outln!("{}", json!({ "error": { "message": message } }));
        return ExitCode::from(EXIT_USAGE);
    }
    usage_error(message)
}

fn usage_error(message: &str) -> ExitCode {
    errln!("error: {message}");
    ExitCode::from(EXIT_USAGE)
}

/// The catalog to check against: `--catalog`, else inferred from `--context`, else none.
fn load_catalog(input: &Input) -> Result<Catalog, String> {
    if let Some(path) = &input.catalog {
        return Catalog::load(path).map_err(|e| format!("invalid catalog: {e}"));
    }
    match load_context(input)? {
        Some(context) => Ok(Catalog::infer(&context)),
        None => Ok(Catalog::no_data()),
    }
}

fn load_context(input: &Input) -> Result<Option<serde_json::Value>, String> {
    let Some(path) = &input.context else {
        return Ok(None);
    };
    let text = jexpr_journey::read_limited(path).map_err(|e| format!("--context: {e}"))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| format!("invalid context {}: not valid JSON: {e}", path.display()))?;
    if !value.is_object() {
        return Err(format!(
            "invalid context {}: a context is a JSON object (LANGUAGE.md section 9)",
            path.display()
        ));
    }
    Ok(Some(value))
}

/// `eval --events`: the expression over each line's event. Types come from
/// the catalog, or else from the context and every event name's first
/// payload.
fn eval_events(
    input: &Input,
    events: &std::path::Path,
    now: Option<&str>,
    tz: Option<&str>,
) -> ExitCode {
    let fail = |m: &str| usage_error_in(input.format, m);
    let src = match read_source(input) {
        Ok(src) => src,
        Err(message) => return fail(&message),
    };
    let text = match jexpr_journey::read_limited(events) {
        Ok(t) => t,
        Err(e) => return fail(&format!("--events: {e}")),
    };
    let base = match load_context(input) {
        Ok(doc) => doc.unwrap_or_else(|| json!({})),
        Err(message) => return fail(&message),
    };
    let mut lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let parsed = serde_json::from_str::<serde_json::Value>(line)
            .map_err(|e| format!("not valid JSON: {e}"))
            .and_then(
                |v| match (v.get("event").and_then(|e| e.as_str()), v.get("payload")) {
                    (Some(name), payload) => Ok((
                        name.to_string(),
                        payload.cloned().unwrap_or_else(|| json!({})),
                        v.get("time").and_then(|t| t.as_str()).map(str::to_string),
                    )),
                    _ => Err("not an event line (no `event`)".to_string()),
                },
            );
        lines.push((i + 1, parsed));
    }
    let catalog = match &input.catalog {
        Some(path) => match Catalog::load(path) {
            Ok(c) => c,
            Err(e) => return fail(&format!("invalid catalog: {e}")),
        },
        None => {
            let mut doc = base.clone();
            for (_, parsed) in &lines {
                if let Ok((name, payload, _)) = parsed {
                    if doc["events"].get(name).is_none() {
                        doc["events"][name] = payload.clone();
                    }
                }
            }
            Catalog::infer(&doc)
        }
    };
    let program = match Compiler::new(&catalog).compile(&src) {
        Ok(p) => p,
        Err(diags) => {
            return report_compile_errors(input.format, &source_name(input), &src, &diags)
        }
    };
    let zone = match tz.map(|t| jexpr::time::parse_zone(t).ok_or(t)).transpose() {
        Ok(z) => z,
        Err(t) => return fail(&format!("--tz: {}", jexpr::time::unknown_zone_message(t))),
    };
    let fixed_now = match now.map(jexpr::time::parse_instant).transpose() {
        Ok(n) => n,
        Err(message) => return fail(&format!("--now: {message}")),
    };
    let mut failed = false;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for (n, parsed) in lines {
        let result = parsed.and_then(|(name, payload, time)| {
            let mut doc = base.clone();
            doc["events"] = json!({ name: payload });
            let mut ctx = Context::from_json(&doc).map_err(|e| format!("invalid event: {e}"))?;
            ctx.now = match (fixed_now, time) {
                (Some(t), _) => t,
                (None, Some(t)) => {
                    jexpr::time::parse_instant(&t).map_err(|e| format!("`time`: {e}"))?
                }
                (None, None) => chrono::Utc::now(),
            };
            if let Some(z) = &zone {
                ctx.time_zone = *z;
            }
            program
                .eval(&ctx)
                .map(|v| (shown(&v), v.to_json()))
                .map_err(|e| e.message)
        });
        failed |= result.is_err();
        let written = match (result, input.format) {
            (Ok((text, _)), Format::Text) => writeln!(out, "{n}: {text}"),
            (Ok((_, value)), Format::Json) => {
                writeln!(out, "{}", json!({ "line": n, "value": value }))
            }
            (Err(message), Format::Text) => writeln!(out, "{n}: error: {message}"),
            (Err(message), Format::Json) => {
                writeln!(
                    out,
                    "{}",
                    json!({ "line": n, "error": { "message": message } })
                )
            }
        };
        if written.is_err() {
            // The reader went away (`| head`): nothing more to say.
            return ExitCode::SUCCESS;
        }
    }
    if out.flush().is_err() {
        return ExitCode::SUCCESS;
    }
    if failed {
        ExitCode::from(EXIT_EVAL)
    } else {
        ExitCode::SUCCESS
    }
}

fn check(input: &Input, expect: Option<&str>) -> ExitCode {
    let src = match read_source(input) {
        Ok(src) => src,
        Err(message) => return usage_error_in(input.format, &message),
    };
    let expected = match expect.map(|name| Type::from_name(name).ok_or(name)) {
        None => None,
        Some(Ok(t)) => Some(t),
        Some(Err(name)) => {
            // `bool`, `int`: the start of a name; else the closest one.
            let hint = Type::NAMES
                .iter()
                .copied()
                .find(|t| t.to_lowercase().starts_with(&name.to_lowercase()))
                .or_else(|| jexpr::authoring::closest(name, Type::NAMES.iter().copied()))
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return usage_error_in(
                input.format,
                &format!("--expect: unknown type `{name}`{hint}"),
            );
        }
    };
    let catalog = match load_catalog(input) {
        Ok(c) => c,
        Err(message) => return usage_error_in(input.format, &message),
    };
    let typed = match jexpr::check(&src, &catalog) {
        Ok(typed) => typed,
        Err(diags) => {
            return report_compile_errors(input.format, &source_name(input), &src, &diags)
        }
    };
    if let Some(expected) = &expected {
        if let Err(d) = typed.expect(expected) {
            return report_compile_errors(input.format, &source_name(input), &src, &[d]);
        }
    }
    if input.format == Format::Json {
        let mut v = json!({ "type": typed.ty.to_string() });
        add_warnings(&mut v, &typed.warnings);
        outln!("{v}");
    } else {
        report_warnings(&source_name(input), &src, &typed.warnings);
        outln!("{}", typed.ty);
    }
    ExitCode::SUCCESS
}

/// Warnings as text on stderr, rendered like errors.
fn report_warnings(name: &str, src: &str, warnings: &[Diagnostic]) {
    if !warnings.is_empty() {
        let mut stderr = StandardStream::stderr(color_choice());
        diagnostic::emit(&mut stderr, name, src, warnings);
    }
}

/// Warnings in a JSON result, as `"warnings"` beside the value (never an
/// error: the exit code does not change).
fn add_warnings(v: &mut serde_json::Value, warnings: &[Diagnostic]) {
    if warnings.is_empty() {
        return;
    }
    let list: Vec<_> = warnings
        .iter()
        .map(|d| {
            let mut w =
                json!({"code": d.code, "message": d.message, "span": [d.span.start, d.span.end]});
            if let Some(help) = &d.help {
                w["help"] = json!(help);
            }
            w
        })
        .collect();
    v["warnings"] = json!(list);
}

/// Events and data sources an expression reads, each with the span of its
/// first reference (`journey` properties are not data).
fn data_read(ast: &jexpr::ast::Expr) -> Vec<(jexpr::ast::Origin, String, jexpr::Span)> {
    use jexpr::ast::{ExprKind, StepKind};
    let mut found: Vec<(jexpr::ast::Origin, String, jexpr::Span)> = Vec::new();
    let mut stack = vec![ast];
    while let Some(e) = stack.pop() {
        let steps = match &e.kind {
            ExprKind::List(items) => {
                stack.extend(items);
                continue;
            }
            ExprKind::Call(call) => {
                stack.extend(&call.args);
                continue;
            }
            ExprKind::Unary(_, x) | ExprKind::Test(_, x) => {
                stack.push(x);
                continue;
            }
            ExprKind::Binary(_, l, r) => {
                stack.push(l);
                stack.push(r);
                continue;
            }
            ExprKind::If(parts) => {
                stack.extend(parts.iter());
                continue;
            }
            ExprKind::Field(f) => {
                if let Some(StepKind::Field(root)) = f.path.first().map(|s| &s.kind) {
                    let journey = f.origin == jexpr::ast::Origin::Event && root == "journey";
                    if !journey && !found.iter().any(|(o, n, _)| *o == f.origin && n == root) {
                        found.push((f.origin, root.clone(), e.span));
                    }
                }
                stack.extend(f.default.iter());
                stack.extend(f.params.iter().flatten().map(|(_, v)| v));
                &f.path
            }
            ExprKind::Current(c) => &c.path,
            _ => continue,
        };
        for step in steps {
            match &step.kind {
                StepKind::Filter(_, Some(cond)) => stack.push(cond),
                StepKind::At(i) => stack.push(i),
                _ => {}
            }
        }
    }
    found.sort_by_key(|(_, _, span)| span.start);
    found
}

/// W0501: events and data sources the expression reads that the context
/// has no sample of (with a catalog and no data, every field reads null).
fn missing_samples(src: &str, context: &serde_json::Value) -> Vec<Diagnostic> {
    let Ok(ast) = jexpr::parse(src) else {
        return Vec::new();
    };
    data_read(&ast)
        .into_iter()
        .filter_map(|(origin, name, span)| {
            let (key, what) = match origin {
                jexpr::ast::Origin::Event => ("events", "event"),
                jexpr::ast::Origin::DataSource => ("dataSources", "data source"),
            };
            if context.get(key).and_then(|m| m.get(&name)).is_some() {
                return None;
            }
            Some(
                Diagnostic::warning("W0501", span, format!("no sample data for {what} `{name}`"))
                    .with_label("every field of it reads as null here")
                    .with_help(format!(
                        "add `{key}.{name}` to the context (`--context FILE`), or try the expression on sample events with `--events FILE`"
                    )),
            )
        })
        .collect()
}

fn eval(input: &Input, now: Option<&str>, tz: Option<&str>, explain: bool) -> ExitCode {
    let src = match read_source(input) {
        Ok(src) => src,
        Err(message) => return usage_error_in(input.format, &message),
    };
    let catalog = match load_catalog(input) {
        Ok(c) => c,
        Err(message) => return usage_error_in(input.format, &message),
    };
    let context_doc = match load_context(input) {
        Ok(doc) => doc.unwrap_or_else(|| json!({})),
        Err(message) => return usage_error_in(input.format, &message),
    };
    let mut ctx = match Context::from_json(&context_doc) {
        Ok(ctx) => ctx,
        Err(message) => {
            let file = input
                .context
                .as_ref()
                .map(|p| format!(" {}", p.display()))
                .unwrap_or_default();
            return usage_error_in(input.format, &format!("invalid context{file}: {message}"));
        }
    };
    if let Some(now) = now {
        match jexpr::time::parse_instant(now) {
            Ok(t) => ctx.now = t,
            Err(message) => return usage_error_in(input.format, &format!("--now: {message}")),
        }
    } else if context_doc.get("now").is_none() {
        ctx.now = chrono::Utc::now();
    }
    if let Some(tz) = tz {
        match jexpr::time::parse_zone(tz) {
            Some(zone) => ctx.time_zone = zone,
            None => {
                return usage_error_in(
                    input.format,
                    &format!("--tz: {}", jexpr::time::unknown_zone_message(tz)),
                )
            }
        }
    }
    let program = match Compiler::new(&catalog).compile(&src) {
        Ok(p) => p,
        Err(diags) => {
            return report_compile_errors(input.format, &source_name(input), &src, &diags)
        }
    };
    if explain {
        return explain::run(input.format, &src, &catalog, &ctx);
    }
    let mut warnings = jexpr::check(&src, &catalog)
        .map(|c| c.warnings)
        .unwrap_or_default();
    if input.catalog.is_some() {
        warnings.extend(missing_samples(&src, &context_doc));
    }
    match program.eval(&ctx) {
        Ok(value) => {
            if input.format == Format::Json {
                let mut v = json!({ "type": program.ty().to_string(), "value": value.to_json() });
                add_warnings(&mut v, &warnings);
                outln!("{v}");
            } else {
                report_warnings(&source_name(input), &src, &warnings);
                outln!("{}", shown(&value));
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            if input.format == Format::Json {
                outln!(
                    "{}",
                    json!({ "error": {
                        "code": err.kind.code(),
                        "kind": err.kind.name(),
                        "message": err.message,
                        "span": [err.span.start, err.span.end],
                    } })
                );
            } else {
                let mut stderr = StandardStream::stderr(color_choice());
                diagnostic::emit_eval_error(&mut stderr, &source_name(input), &src, &err);
            }
            ExitCode::from(EXIT_EVAL)
        }
    }
}

fn repl(
    catalog: Option<PathBuf>,
    context: Option<PathBuf>,
    history: Option<PathBuf>,
    no_history: bool,
) -> ExitCode {
    let input = Input {
        catalog,
        context,
        format: Format::Text,
        file: None,
        expr: None,
    };
    let catalog = match &input.catalog {
        Some(path) => match Catalog::load(path) {
            Ok(c) => Some(c),
            Err(e) => return usage_error(&format!("invalid catalog: {e}")),
        },
        None => None,
    };
    let context = match load_context(&input) {
        Ok(c) => c,
        Err(message) => return usage_error(&message),
    };
    let history = match (no_history, history) {
        (true, _) => repl::History::Off,
        (false, Some(path)) => repl::History::File(path),
        (false, None) => repl::default_history().map_or(repl::History::Off, repl::History::File),
    };
    match repl::run(repl::Session::new(catalog, context), history) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            errln!("error: {e}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

fn color_choice() -> ColorChoice {
    if std::io::stderr().is_terminal() {
        ColorChoice::Auto
    } else {
        ColorChoice::Never
    }
}

fn report_compile_errors(format: Format, name: &str, src: &str, diags: &[Diagnostic]) -> ExitCode {
    match format {
        Format::Json => {
            let errors: Vec<_> = diags
                .iter()
                .map(|d| {
                    let mut e = json!({
                        "code": d.code,
                        "message": d.message,
                        "span": [d.span.start, d.span.end],
                    });
                    if let Some(help) = &d.help {
                        e["help"] = json!(help);
                    }
                    e
                })
                .collect();
            outln!("{}", json!({ "errors": errors }));
        }
        Format::Text => {
            let mut stderr = StandardStream::stderr(color_choice());
            diagnostic::emit(&mut stderr, name, src, diags);
        }
    }
    ExitCode::from(EXIT_COMPILE)
}
