//! What a run reports: its summary, and why it stopped early.

use crate::store::StoreError;
use chrono::{DateTime, Utc};
use serde_json::Value as Json;

/// What a run did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    /// Lines of the events file read.
    pub lines: u64,
    /// Lines skipped as `inputError`.
    pub input_errors: u64,
    /// Trace records written.
    pub records: u64,
    /// Instances still waiting at the end.
    pub waiting: usize,
    /// The clock at the end.
    pub clock: Option<DateTime<Utc>>,
    /// The file ends in a line without a newline that is not complete JSON
    /// (still being written): it was left for the next run.
    pub unfinished_line: bool,
    /// How many partitions the state has.
    pub partitions: u32,
    /// The partitions this process held at some point of the run.
    pub held: Vec<u32>,
    /// `error` records this run wrote (steps that failed).
    pub errors: u64,
    /// `exit` records this run wrote, by reason.
    pub exited: std::collections::BTreeMap<String, u64>,
}

impl Summary {
    /// Counts the errors and exits among `records`, as they are written.
    pub(super) fn tally(&mut self, records: &[crate::trace::Record]) {
        for r in records {
            match r.kind() {
                "error" => self.errors += 1,
                "exit" => {
                    let reason = r.get("reason").and_then(Json::as_str).unwrap_or("");
                    *self.exited.entry(reason.to_string()).or_default() += 1;
                }
                _ => {}
            }
        }
    }

    /// The summary as JSON (partitions only for a partitioned store).
    pub fn to_json(&self) -> Json {
        let mut v = serde_json::json!({
            "lines": self.lines,
            "inputErrors": self.input_errors,
            "records": self.records,
            "waiting": self.waiting,
            "clock": self.clock.map(|c| jexpr::time::format_instant(&c)),
            "unfinishedLine": self.unfinished_line,
            "errors": self.errors,
            "exited": self.exited,
        });
        if self.partitions > 1 {
            v["partitions"] = self.partitions.into();
            v["held"] = self.held.clone().into();
        }
        v
    }
}

/// Why a run stopped early.
#[derive(Debug)]
pub enum RunError {
    /// The store failed.
    Store(StoreError),
    /// Reading input or writing the trace failed.
    Io(String),
    /// The profiles file is malformed (line, message).
    Profiles(u64, String),
    /// The state belongs to another input (the events file changed).
    Refused(String),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // Said as what happened: a refusal is no failure of the store.
            RunError::Store(e) => match e.kind {
                crate::store::StoreErrorKind::Refused => write!(f, "the state was refused: {e}"),
                crate::store::StoreErrorKind::Damaged => write!(f, "the state is damaged: {e}"),
                crate::store::StoreErrorKind::Io => f.write_str(&e.message),
                crate::store::StoreErrorKind::LeaseLost => {
                    write!(f, "this process lost its lease: {e}")
                }
                crate::store::StoreErrorKind::Backend => write!(f, "the database failed: {e}"),
                crate::store::StoreErrorKind::Internal => write!(f, "internal error: {e}"),
            },
            RunError::Io(e) => f.write_str(e),
            RunError::Profiles(line, m) => write!(f, "profiles file, line {line}: {m}"),
            RunError::Refused(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for RunError {}

impl From<StoreError> for RunError {
    fn from(e: StoreError) -> RunError {
        RunError::Store(e)
    }
}
