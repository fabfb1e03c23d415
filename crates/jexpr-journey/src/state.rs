//! What the engine reads and changes for one profile: its data, its
//! instances (at most one per journey), and its entry history.

use chrono::{DateTime, Utc};
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// A data-source read with parameters, answered from the profiles file.
#[derive(Clone, Debug, PartialEq)]
pub struct Fetch {
    /// Data source name.
    pub data_source: String,
    /// Field group name.
    pub field_group: String,
    /// Parameter values (exact match).
    pub params: serde_json::Map<String, Json>,
    /// The data returned.
    pub data: Json,
}

/// A profile's data at a moment.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Profile {
    /// Data source → field group → data.
    pub data_sources: serde_json::Map<String, Json>,
    /// Audience → status (`realized`, `existing`, `exited`).
    pub audiences: BTreeMap<String, String>,
    /// Parameterised reads.
    pub fetches: Vec<Fetch>,
}

/// Where an instance waits.
#[derive(Clone, Debug, PartialEq)]
pub struct Waiting {
    /// When the wait resumes or the reaction times out.
    pub due: DateTime<Utc>,
    /// A reaction (resumes on an event, or times out) rather than a wait.
    pub reaction: bool,
}

/// The last error of an instance (for `@{journey.lastErrorCode}` …).
#[derive(Clone, Debug, PartialEq)]
pub struct LastError {
    /// Node id.
    pub node: String,
    /// Node type.
    pub node_type: String,
    /// Error kind name.
    pub code: String,
}

/// A profile's walk through one journey.
#[derive(Clone, Debug, PartialEq)]
pub struct Instance {
    /// Unique in the store: `journey:entry:profile`.
    pub id: String,
    /// Journey id.
    pub journey: String,
    /// The version it runs on.
    pub version: i64,
    /// The node it is at.
    pub node: String,
    /// The node before.
    pub previous_node: Option<String>,
    /// When it entered.
    pub entered_at: DateTime<Utc>,
    /// Which entry of this profile into this journey (1, 2, …).
    pub entry: u64,
    /// Latest payload of each event received (entry and reactions).
    pub events: BTreeMap<String, Json>,
    /// The wait it is in.
    pub waiting: Option<Waiting>,
    /// Last error.
    pub last_error: Option<LastError>,
}

/// Entries of a profile into a journey (all versions together).
#[derive(Clone, Debug, PartialEq)]
pub struct History {
    /// How many times it entered.
    pub entries: u64,
    /// When it last entered.
    pub last_entry: DateTime<Utc>,
}

/// Everything the engine needs of one profile.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProfileState {
    /// Profile id.
    pub id: String,
    /// Data and audiences.
    pub profile: Profile,
    /// Journey id → instance.
    pub instances: BTreeMap<String, Instance>,
    /// Journey id → entry history.
    pub history: BTreeMap<String, History>,
}

/// A global timeout: an instance leaves after this long in a journey.
pub const JOURNEY_TIMEOUT_MS: i64 = 91 * 24 * 3600 * 1000;

impl Instance {
    /// When this instance's timer fires: its wait, or the 91-day timeout.
    pub fn due(&self) -> Option<DateTime<Utc>> {
        let limit = later(self.entered_at, JOURNEY_TIMEOUT_MS).unwrap_or(DateTime::<Utc>::MAX_UTC);
        self.waiting.as_ref().map(|w| w.due.min(limit))
    }
}

/// `t` plus `ms` milliseconds, or `None` past the end of the calendar that
/// RFC 3339 can write (year 9999): a trace never shows a time it cannot parse.
pub fn later(t: DateTime<Utc>, ms: i64) -> Option<DateTime<Utc>> {
    let end = DateTime::<Utc>::from_timestamp_millis(253_402_300_799_999)?;
    t.checked_add_signed(chrono::TimeDelta::try_milliseconds(ms)?)
        .filter(|d| *d <= end)
}
