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
pub mod engine;
mod fnv;
pub mod model;
pub mod problem;
pub mod runner;
pub mod state;
pub mod store;
pub mod trace;

pub use catalog::JourneyCatalog;
pub use check::{check, CompiledJourney};
pub use engine::{JUMP_LIMIT, STEP_LIMIT};
pub use problem::{Problem, Report, Severity};

/// Files larger than this are refused (a journey or catalog is a few KB).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Reads a text file of at most [`MAX_FILE_BYTES`] (whatever its metadata says).
pub fn read_limited(path: &std::path::Path) -> Result<String, String> {
    use std::io::Read;
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut text = String::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(format!(
            "{} is larger than {} MiB",
            path.display(),
            MAX_FILE_BYTES >> 20
        ));
    }
    Ok(text)
}
