//! One error type for every command: what failed, said once, in the form
//! the command was asked for, with its exit code (CLI.md).

use crate::cli::{Format, EXIT_USAGE};
use serde_json::json;
use std::process::ExitCode;

/// A command that could not do what it was asked: a message for the user
/// and the exit code it ends with.
#[derive(Debug)]
pub struct CliError {
    /// The exit code (2 for a usage error: bad flags, unreadable input).
    pub code: u8,
    /// What went wrong, from the user's side.
    pub message: String,
}

impl CliError {
    /// A usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> CliError {
        CliError {
            code: EXIT_USAGE,
            message: message.into(),
        }
    }

    /// Prints the error (under `--format json` as one JSON object on
    /// standard output: scripts read one object there whatever happened;
    /// else `error: …` on standard error) and gives its exit code.
    pub fn report(self, format: Format) -> ExitCode {
        match format {
            Format::Json => outln!("{}", json!({ "error": { "message": self.message } })),
            Format::Text => errln!("error: {}", self.message),
        }
        ExitCode::from(self.code)
    }
}

/// A usage error, reported in `format`.
pub fn usage_error_in(format: Format, message: &str) -> ExitCode {
    CliError::usage(message).report(format)
}

/// A usage error, reported as text.
pub fn usage_error(message: &str) -> ExitCode {
    CliError::usage(message).report(Format::Text)
}
