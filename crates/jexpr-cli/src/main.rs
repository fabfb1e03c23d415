//! The `jexpr` command line (see ../shared/spec/CLI.md for the contract):
//! parses the arguments and hands each command to its file in `commands/`.

#[macro_use]
mod out;
mod cli;
mod commands;
mod error;
mod explain;
mod repl;

use clap::Parser;
use cli::{Cli, Command, JourneyCommand, StateCommand, EXIT_USAGE};
use commands::expression::{check, eval, eval_events, fmt};
use commands::{functions::functions, journey, repl::repl, report};
use serde_json::json;
use std::io::Write;
use std::process::ExitCode;

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
            command: JourneyCommand::Schema,
        } => {
            outln!("{}", jexpr_journey::JOURNEY_SCHEMA.trim_end());
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
            fail_on_error,
            explain,
            responses,
            deliver,
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
            fail_on_error,
            explain,
            responses: responses.as_deref(),
            deliver,
            format,
        }),
        Command::Studio {
            journeys,
            catalog,
            trace,
            state,
            profiles,
            events,
            listen,
        } => commands::studio::studio(commands::studio::StudioArgs {
            journeys: &journeys,
            catalog: &catalog,
            trace: trace.as_deref(),
            state: state.as_deref(),
            profiles: profiles.as_deref(),
            events: events.as_deref(),
            listen: &listen,
        }),
        Command::Lsp => match jexpr_lsp::stdio() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                errln!("error: the language server stopped: {e}");
                ExitCode::from(cli::EXIT_USAGE)
            }
        },
        Command::Receive {
            listen,
            secret_env,
            status,
            body,
        } => commands::receive::receive(&listen, secret_env.as_deref(), status, &body),
        Command::Serve {
            journeys,
            catalog,
            profiles,
            state,
            listen,
            token_file,
            dry_run,
            wait_override,
            process_name,
            lease_seconds,
        } => commands::serve::serve(commands::serve::ServeArgs {
            journeys: &journeys,
            catalog: &catalog,
            profiles: profiles.as_deref(),
            state: &state,
            listen: &listen,
            token_file: token_file.as_deref(),
            dry_run,
            wait_override: wait_override.as_deref(),
            process_name: process_name.as_deref(),
            lease_seconds,
        }),
        Command::Report {
            trace,
            state,
            journey,
            by_day,
            format,
        } => {
            let Some(source) = report::TraceSource::of(trace.as_deref(), state.as_deref()) else {
                return error::usage_error("give --trace FILE or --state STORE");
            };
            report::report(&source, journey.as_deref(), by_day, format)
        }
        Command::Trace {
            journeys,
            state,
            trace,
            profile,
            output,
            format,
            tz,
        } => {
            let Some(source) = report::TraceSource::of(trace.as_deref(), state.as_deref()) else {
                return error::usage_error("give --trace FILE or --state STORE");
            };
            commands::trace::trace(commands::trace::TraceArgs {
                source,
                journeys: &journeys,
                profile: profile.as_deref(),
                output: output.as_deref(),
                format,
                tz: tz.as_deref(),
            })
        }
    }
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
