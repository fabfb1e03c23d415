//! Journeys driven by jexpr programs (JOURNEYS.md): the journey model,
//! validation (`journey check`), a pure step engine, and a runner that feeds
//! it an event stream on a virtual clock through a store.
//!
//! ```text
//! journey.json --check--> CompiledJourney --engine::step (pure)--> state, trace
//!                              runner: events file + virtual clock + Store
//! ```

#![warn(missing_docs)]

pub mod catalog;
pub mod check;
pub mod codec;
pub mod endpoint;
pub mod engine;
mod fnv;
pub mod json;
pub mod model;
pub mod problem;
mod received;
pub mod report;
pub mod runner;
pub mod state;
pub mod store;
pub mod trace;

pub use catalog::JourneyCatalog;
pub use check::{check, CompiledJourney};
pub use engine::{EVAL_FUEL, JUMP_LIMIT, STEP_LIMIT};
pub use problem::{Problem, Report, Severity};

/// The JSON Schema (2020-12) of journey files, for editors: `jexpr journey
/// schema` prints it. Kept in step with the reader by the crate's tests.
pub const JOURNEY_SCHEMA: &str = include_str!("journey.schema.json");

/// Files larger than this are refused (a journey or catalog is a few KB).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Why a file could not be read as text.
#[derive(Debug)]
pub enum ReadError {
    /// It could not be read at all, or is too large (the message).
    Io(String),
    /// It was read but is not UTF-8 text: a content problem (`J001`), like
    /// invalid JSON.
    NotText(String),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(m) | ReadError::NotText(m) => f.write_str(m),
        }
    }
}

/// Reads a text file of at most [`MAX_FILE_BYTES`] (whatever its metadata says).
pub fn read_limited(path: &std::path::Path) -> Result<String, ReadError> {
    use std::io::Read;
    let io = |e: std::io::Error| ReadError::Io(format!("cannot read {}: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ReadError::Io(format!(
            "{} is larger than {} MiB",
            path.display(),
            MAX_FILE_BYTES >> 20
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        ReadError::NotText(format!(
            "not valid JSON: the file is not UTF-8 text (at byte offset {})",
            e.utf8_error().valid_up_to()
        ))
    })
}
