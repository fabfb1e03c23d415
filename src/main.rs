//! The `jexpr` command line (see ../shared/spec/CLI.md for the contract).

use clap::{Parser, Subcommand, ValueEnum};
use codespan_reporting::term::termcolor::{ColorChoice, StandardStream};
use jexpr::diagnostic::{self, Diagnostic};
use jexpr::{Catalog, Type};
use serde_json::json;
use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "jexpr",
    version,
    about = "Check and evaluate journey expressions"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check an expression and print its type.
    Check {
        #[command(flatten)]
        input: Input,
        /// Fail unless the expression has this type (e.g. `boolean`).
        #[arg(long, value_name = "TYPE")]
        expect: Option<String>,
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { input, expect } => check(&input, expect.as_deref()),
    }
}

/// Reads the expression text from the argument, `--file` or standard input.
fn read_source(input: &Input) -> Result<String, String> {
    match (&input.file, input.expr.as_deref()) {
        (Some(path), _) => std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read expression file {}: {e}", path.display())),
        (None, Some("-")) => {
            let mut text = String::new();
            std::io::stdin()
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

fn usage_error(message: &str) -> ExitCode {
    eprintln!("error: {message}");
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
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read context {}: {e}", path.display()))?;
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

fn check(input: &Input, expect: Option<&str>) -> ExitCode {
    let src = match read_source(input) {
        Ok(src) => src,
        Err(message) => return usage_error(&message),
    };
    let expected = match expect.map(|name| Type::from_name(name).ok_or(name)) {
        None => None,
        Some(Ok(t)) => Some(t),
        Some(Err(name)) => {
            let hint = jexpr::suggest::closest(name, Type::NAMES.iter().copied())
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return usage_error(&format!("--expect: unknown type `{name}`{hint}"));
        }
    };
    let catalog = match load_catalog(input) {
        Ok(c) => c,
        Err(message) => return usage_error(&message),
    };
    let typed = match jexpr::check(&src, &catalog) {
        Ok(typed) => typed,
        Err(diags) => return report_compile_errors(input.format, &src, &diags),
    };
    if let Some(expected) = &expected {
        if let Err(d) = jexpr::checker::expect_type(&typed, expected) {
            return report_compile_errors(input.format, &src, &[d]);
        }
    }
    if input.format == Format::Json {
        println!("{}", json!({ "type": typed.ty.to_string() }));
    } else {
        println!("{}", typed.ty);
    }
    ExitCode::SUCCESS
}

fn report_compile_errors(format: Format, src: &str, diags: &[Diagnostic]) -> ExitCode {
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
            println!("{}", json!({ "errors": errors }));
        }
        Format::Text => {
            let color = if std::io::stderr().is_terminal() {
                ColorChoice::Auto
            } else {
                ColorChoice::Never
            };
            let mut stderr = StandardStream::stderr(color);
            diagnostic::emit(&mut stderr, "expression", src, diags);
        }
    }
    ExitCode::from(EXIT_COMPILE)
}
