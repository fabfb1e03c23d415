//! The store: profiles (with their instances and history), the timer index,
//! audience reads, and the input cursor. A [`Commit`] is everything one
//! input changes, applied as one unit — the boundary a durable store makes
//! atomic. [`MemoryStore`] keeps it all in memory for one run.

use crate::state::ProfileState;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A due item, in the order section 3 fires them: due time, then journey
/// id, version, profile id (an audience read, with no profile, first), instance.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TimerKey {
    /// When it is due.
    pub due: DateTime<Utc>,
    /// Journey id.
    pub journey: String,
    /// Journey version.
    pub version: i64,
    /// Profile id; empty for an audience read.
    pub profile: String,
    /// Instance id; empty for an audience read.
    pub instance: String,
}

/// Everything one input changed.
#[derive(Debug, Default)]
pub struct Commit {
    /// Profiles whose state changed (their timers follow their instances).
    pub profiles: Vec<ProfileState>,
    /// Audience reads done (removed) and scheduled.
    pub reads_done: Vec<TimerKey>,
    /// Audience reads to schedule.
    pub reads_scheduled: Vec<TimerKey>,
    /// The input line handled, when the commit ends one.
    pub cursor: Option<u64>,
    /// Trace records written by this input.
    pub records: usize,
}

/// A store failure (I/O, corruption); the run stops with it.
#[derive(Debug)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreError {}

/// Where the runner keeps state between inputs.
pub trait Store {
    /// A profile's state, if it is known.
    fn profile(&mut self, id: &str) -> Result<Option<ProfileState>, StoreError>;
    /// Profiles whose status for `audience` is `realized` or `existing`, by id.
    fn audience_members(&mut self, audience: &str) -> Result<Vec<String>, StoreError>;
    /// The first timer or audience read due at or before `until`.
    fn next_due(&mut self, until: DateTime<Utc>) -> Result<Option<TimerKey>, StoreError>;
    /// Applies one input's changes as a unit.
    fn commit(&mut self, commit: Commit) -> Result<(), StoreError>;
    /// How many instances are waiting.
    fn waiting(&mut self) -> Result<usize, StoreError>;
}

/// All state in memory, for one run.
#[derive(Default)]
pub struct MemoryStore {
    profiles: HashMap<String, ProfileState>,
    timers: BTreeSet<TimerKey>,
    /// Profile → its timer keys in `timers`.
    timers_of: HashMap<String, Vec<TimerKey>>,
    audiences: BTreeMap<String, BTreeSet<String>>,
    /// Lines handled.
    pub cursor: u64,
}

impl Store for MemoryStore {
    fn profile(&mut self, id: &str) -> Result<Option<ProfileState>, StoreError> {
        Ok(self.profiles.get(id).cloned())
    }

    fn audience_members(&mut self, audience: &str) -> Result<Vec<String>, StoreError> {
        Ok(self
            .audiences
            .get(audience)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default())
    }

    fn next_due(&mut self, until: DateTime<Utc>) -> Result<Option<TimerKey>, StoreError> {
        Ok(self.timers.first().filter(|k| k.due <= until).cloned())
    }

    fn commit(&mut self, commit: Commit) -> Result<(), StoreError> {
        for k in &commit.reads_done {
            self.timers.remove(k);
        }
        self.timers.extend(commit.reads_scheduled);
        for state in commit.profiles {
            for k in self.timers_of.remove(&state.id).unwrap_or_default() {
                self.timers.remove(&k);
            }
            let keys: Vec<TimerKey> = state
                .instances
                .values()
                .filter_map(|i| {
                    i.due().map(|due| TimerKey {
                        due,
                        journey: i.journey.clone(),
                        version: i.version,
                        profile: state.id.clone(),
                        instance: i.id.clone(),
                    })
                })
                .collect();
            self.timers.extend(keys.iter().cloned());
            if !keys.is_empty() {
                self.timers_of.insert(state.id.clone(), keys);
            }
            for set in self.audiences.values_mut() {
                set.remove(&state.id);
            }
            for (name, status) in &state.profile.audiences {
                if status == "realized" || status == "existing" {
                    self.audiences
                        .entry(name.clone())
                        .or_default()
                        .insert(state.id.clone());
                }
            }
            self.profiles.insert(state.id.clone(), state);
        }
        if let Some(line) = commit.cursor {
            self.cursor = line;
        }
        Ok(())
    }

    fn waiting(&mut self) -> Result<usize, StoreError> {
        Ok(self.profiles.values().map(|p| p.instances.len()).sum())
    }
}
