//! The command line's arguments (clap), its output formats and exit codes
//! (CLI.md).

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "jexpr",
    version,
    about = "Check and evaluate journey expressions; check and run journeys"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
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
        /// Evaluate once per line of this events file (docs/input.md:
        /// `{"time", "event", "payload"}`), with that event and `now` at
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
        /// Catalog of events, data sources and audiences (docs/catalog.md).
        #[arg(long, value_name = "FILE")]
        catalog: Option<PathBuf>,
        /// Evaluation context with sample events and data (docs/language.md).
        #[arg(long, value_name = "FILE")]
        context: Option<PathBuf>,
        /// History file (default: jexpr/history in the user's data directory).
        #[arg(long, value_name = "FILE", conflicts_with = "no_history")]
        history: Option<PathBuf>,
        /// Keep no history.
        #[arg(long)]
        no_history: bool,
    },
    /// Export the trace kept in a state, or read any trace as a timeline
    /// per profile (`--format text`).
    ///
    /// JSON Lines: ordered by time, then profile id, each profile's records
    /// in step order. Text: per profile, each step on a line with its local
    /// time (in each journey's zone when its file is given, else --tz), the
    /// journey, node, path, action and its parameters, and the why of a run
    /// with --explain (docs/trace.md).
    ///
    /// Examples:
    ///   jexpr trace --state postgres://localhost/jexpr --output trace.jsonl
    ///   jexpr trace --state run.db --profile user0042@example.com --format text
    ///   jexpr trace examples/journeys/*.journey.json --trace trace.jsonl --format text
    ///
    /// Exit codes: 0 written, 2 not a readable trace or jexpr state.
    #[command(verbatim_doc_comment)]
    Trace {
        /// Journey files, for their time zones (text only).
        #[arg(value_name = "JOURNEY.json")]
        journeys: Vec<PathBuf>,
        /// The state given to `jexpr run --state`.
        #[arg(
            long,
            value_name = "FILE|URL",
            required_unless_present = "trace",
            conflicts_with = "trace"
        )]
        state: Option<String>,
        /// A trace file written by `jexpr run --trace`.
        #[arg(long, value_name = "FILE")]
        trace: Option<PathBuf>,
        /// Only this profile's records.
        #[arg(long, value_name = "ID")]
        profile: Option<String>,
        /// Write here instead of standard output.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// JSON Lines, or a timeline a person reads.
        #[arg(long, value_enum, default_value = "jsonl")]
        format: TraceFormat,
        /// Show times in this zone (for journeys whose file is not given).
        #[arg(long, value_name = "ZONE")]
        tz: Option<String>,
    },
    /// What happened, per journey version and per node: entered, rejected,
    /// paths taken, events and timeouts, actions, errors, waiting.
    ///
    /// Per node, entered = ways out + errors + waiting (docs/report.md).
    ///
    /// Examples:
    ///   jexpr report --trace trace.jsonl
    ///   jexpr report --state run.db --journey welcome --by-day
    ///   jexpr report --state postgres://localhost/jexpr --format json
    ///
    /// Exit codes: 0 shown, 2 unreadable trace or state.
    #[command(verbatim_doc_comment)]
    Report {
        /// A trace file written by `jexpr run --trace`.
        #[arg(
            long,
            value_name = "FILE",
            required_unless_present = "state",
            conflicts_with = "state"
        )]
        trace: Option<PathBuf>,
        /// The state given to `jexpr run --state` (its trace).
        #[arg(long, value_name = "FILE|URL")]
        state: Option<String>,
        /// Only this journey (all its versions).
        #[arg(long, value_name = "ID")]
        journey: Option<String>,
        /// Also give every figure per UTC day.
        #[arg(long)]
        by_day: bool,
        /// A table (text) or the JSON object of the journey report.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Serve journeys for real: events over HTTP, on the wall clock, with the
    /// state in a SQLite file, or in PostgreSQL for several processes
    /// (docs/serve.md).
    ///
    /// POST /events takes events as they happen (202 once durable; an `id`
    /// makes a retry harmless); GET /healthz, /metrics, /journeys,
    /// /journeys/ID/report, /profiles/ID, /trace?profile=ID. SIGTERM or
    /// Ctrl-C stops taking events, finishes what is in flight and exits 0.
    ///
    /// Examples:
    ///   jexpr serve examples/journeys/*.journey.json --catalog examples/journeys/catalog.json \
    ///     --profiles examples/journeys/profiles.jsonl --state serve.db
    ///   curl -X POST localhost:8080/events -d '{"event": "Subscribed", "payload": {"email": "a@b.c", "consent": true}}'
    ///
    /// Exit codes: 0 stopped, 1 invalid journey, 2 usage or state failure.
    #[command(verbatim_doc_comment)]
    Serve {
        /// Journey files (several journeys, and several versions of one).
        #[arg(value_name = "JOURNEY.json", required = true)]
        journeys: Vec<PathBuf>,
        /// Catalog with events (and their `profileId`), data sources, audiences and actions.
        #[arg(long, value_name = "FILE", required = true)]
        catalog: PathBuf,
        /// Profiles with their data and audiences (JSON Lines), read into a new state.
        #[arg(long, value_name = "PROFILES.jsonl")]
        profiles: Option<PathBuf>,
        /// The state: a SQLite file (created if missing; a server restarted
        /// on it goes on where it stopped), or PostgreSQL
        /// (`postgres://user@host:port/db`) shared by several processes
        /// behind one load balancer.
        #[arg(long, value_name = "FILE|URL")]
        state: String,
        /// Address to listen on.
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
        listen: String,
        /// A file holding the token every request but /healthz must send as
        /// `Authorization: Bearer <token>`.
        #[arg(long, value_name = "FILE")]
        token_file: Option<PathBuf>,
        /// Deliver nothing: actions are recorded with status `dryRun`.
        #[arg(long)]
        dry_run: bool,
        /// Test mode: no wait or reaction timeout lasts longer than this
        /// ISO-8601 duration (e.g. PT1M).
        #[arg(long, value_name = "DURATION")]
        wait_override: Option<String>,
        /// PostgreSQL: this process's name in the lease table (default:
        /// host name and process id).
        #[arg(long, value_name = "X")]
        process_name: Option<String>,
        /// PostgreSQL: how long a partition lease lasts without renewal (a
        /// dead process's partitions are taken over after this).
        #[arg(long, value_name = "N", default_value_t = 30.0)]
        lease_seconds: f64,
    },
    /// A webhook receiver to try actions over HTTP against: prints each
    /// request as a JSON line (with whether its signature is valid) and
    /// answers with a fixed status and body.
    ///
    /// Example:
    ///   JEXPR_WEBHOOK_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw jexpr receive --secret-env JEXPR_WEBHOOK_SECRET
    #[command(verbatim_doc_comment)]
    Receive {
        /// Address to listen on.
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9000")]
        listen: String,
        /// Check `webhook-signature` with the secret in this environment
        /// variable (`whsec_…` or raw).
        #[arg(long, value_name = "NAME")]
        secret_env: Option<String>,
        /// The status every request is answered with.
        #[arg(long, default_value_t = 200)]
        status: u16,
        /// The JSON body every request is answered with.
        #[arg(long, value_name = "JSON", default_value = "{}")]
        body: String,
    },
    /// The journeys in a browser: canvases with the counts of a replay, a
    /// trace or a state; a node's definition and types; a profile's path;
    /// a test mode on a virtual clock; an editor that saves journey files
    /// (docs/studio.md).
    ///
    /// Example:
    ///   jexpr studio examples/journeys/*.journey.json --catalog examples/journeys/catalog.json \
    ///     --profiles examples/journeys/profiles.jsonl --events examples/journeys/events.jsonl
    #[command(verbatim_doc_comment)]
    Studio {
        /// Journey files.
        #[arg(value_name = "JOURNEY.json", required = true)]
        journeys: Vec<PathBuf>,
        /// The catalog.
        #[arg(long, value_name = "FILE", required = true)]
        catalog: PathBuf,
        /// Counts from this trace file.
        #[arg(long, value_name = "FILE", conflicts_with = "state")]
        trace: Option<PathBuf>,
        /// Counts from the trace kept in this state (SQLite file or PostgreSQL URL).
        #[arg(long, value_name = "FILE|URL")]
        state: Option<String>,
        /// Profiles (JSON Lines): for `--events`, and the test mode.
        #[arg(long, value_name = "PROFILES.jsonl")]
        profiles: Option<PathBuf>,
        /// Counts from replaying this events file (in memory, as `jexpr run`
        /// does) instead of a trace.
        #[arg(long, value_name = "EVENTS.jsonl", conflicts_with_all = ["trace", "state"])]
        events: Option<PathBuf>,
        /// Address to listen on.
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8090")]
        listen: String,
    },
    /// A language server for editors (stdio): problems, completion, hover
    /// and go to definition in journey and `.jexpr` files (docs/editors.md).
    Lsp,
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
        /// The events file (JSON Lines), or `-` for standard input (not with
        /// a PostgreSQL state, whose processes read the file again).
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
        /// Exit 3 when a step failed (an `error` record was written), for
        /// pipelines; the run itself completes either way.
        #[arg(long)]
        fail_on_error: bool,
        /// Say why: `path` records of conditions get `why` (each path
        /// tried, the value of every part of its condition), and an entry
        /// `when` that is false writes a `skip` record (docs/trace.md).
        #[arg(long)]
        explain: bool,
        /// Answer the calls of actions from this file instead of making them
        /// (JSON Lines `{"action", "profileId"?, "status", "body"}`, first
        /// match wins): test a journey that branches on a response offline.
        #[arg(long, value_name = "FILE", conflicts_with = "deliver")]
        responses: Option<PathBuf>,
        /// Call the actions that have an `endpoint` in the catalog during the
        /// replay (signed, retried; secrets from the environment), instead of
        /// only recording them.
        #[arg(long)]
        deliver: bool,
        /// Summary and errors as text (stderr) or JSON.
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
}

#[derive(Subcommand)]
pub enum StateCommand {
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
pub enum JourneyCommand {
    /// Print the JSON Schema (2020-12) of journey files, for editors.
    ///
    /// Save it and point your editor at it (VS Code: "json.schemas" with
    /// "fileMatch": ["*.journey.json"]) to complete keys and node types and
    /// mark wrong shapes as you type; `journey check` still checks the
    /// expressions, references and the graph (docs/journeys.md).
    ///
    /// Example:
    ///   jexpr journey schema > journey.schema.json
    #[command(verbatim_doc_comment)]
    Schema,
    /// Validate journey files before publishing them (docs/journeys.md).
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
pub struct Input {
    /// Catalog of events, data sources and audiences (docs/catalog.md).
    #[arg(long, value_name = "FILE")]
    pub catalog: Option<PathBuf>,
    /// Evaluation context (docs/language.md).
    #[arg(long, value_name = "FILE")]
    pub context: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Read the expression from this file.
    #[arg(long, value_name = "F", conflicts_with = "expr")]
    pub file: Option<PathBuf>,
    /// The expression (`-` reads it from standard input).
    #[arg(value_name = "EXPR", allow_hyphen_values = false)]
    pub expr: Option<String>,
}

/// How `jexpr trace` writes records.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TraceFormat {
    /// JSON Lines, as `run --trace` writes them.
    Jsonl,
    /// A timeline per profile.
    Text,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

pub const EXIT_COMPILE: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_EVAL: u8 = 3;
