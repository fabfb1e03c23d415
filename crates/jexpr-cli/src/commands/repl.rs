//! `jexpr repl`: the interactive session (its terminal and session commands
//! live in `crate::repl`).

use crate::cli::{Format, Input, EXIT_USAGE};
use crate::commands::expression::load_context;
use crate::error::usage_error;
use jexpr::Catalog;
use std::path::PathBuf;
use std::process::ExitCode;

pub fn repl(
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
        (true, _) => crate::repl::History::Off,
        (false, Some(path)) => crate::repl::History::File(path),
        (false, None) => crate::repl::default_history()
            .map_or(crate::repl::History::Off, crate::repl::History::File),
    };
    match crate::repl::run(crate::repl::Session::new(catalog, context), history) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            errln!("error: {e}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}
