//! All state in memory, for one run.

use super::{Commit, Cursor, Store, StoreError, TimerKey};
use crate::state::ProfileState;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// A timer as the memory store indexes it: [`TimerKey`]'s order without the
/// instance id (one instance per profile and journey, so it never decides)
/// and with the journey id shared, so a million timers stay small.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Due {
    due: DateTime<Utc>,
    journey: Arc<str>,
    version: i64,
    profile: Box<str>,
}

/// All state in memory, for one run.
#[derive(Default)]
pub struct MemoryStore {
    /// Boxed: a hash table keeps spare buckets, and a state is 128 bytes.
    profiles: HashMap<String, Box<ProfileState>>,
    /// The timers of the profiles held here (a profile handed over to be
    /// stepped takes its timers with it until it is committed back).
    timers: BTreeSet<Due>,
    /// Journey ids, shared by the timers.
    journey_ids: BTreeSet<Arc<str>>,
    audiences: BTreeMap<String, BTreeSet<String>>,
    cursor: Cursor,
    initialized: bool,
}

impl MemoryStore {
    fn due(&mut self, key: &TimerKey) -> Due {
        let journey = match self.journey_ids.get(key.journey.as_str()) {
            Some(j) => j.clone(),
            None => {
                let j: Arc<str> = Arc::from(key.journey.as_str());
                self.journey_ids.insert(j.clone());
                j
            }
        };
        Due {
            due: key.due,
            journey,
            version: key.version,
            profile: key.profile.as_str().into(),
        }
    }

    /// Removes a profile's timers from the index (computed from its state,
    /// so no second copy of the keys is kept per profile).
    fn forget_timers(&mut self, state: &ProfileState) {
        for k in super::timer_keys(state, 0) {
            let d = self.due(&k);
            self.timers.remove(&d);
        }
    }
}

impl Store for MemoryStore {
    const IN_MEMORY: bool = true;
    /// Hands the state over rather than copying it: the runner commits
    /// every state it reads (or the run stops).
    fn profile(&mut self, id: &str) -> Result<Option<ProfileState>, StoreError> {
        let state = self.profiles.remove(id).map(|b| *b);
        if let Some(state) = &state {
            self.forget_timers(state);
        }
        Ok(state)
    }

    fn audience_members(&mut self, audience: &str, _: u32) -> Result<Vec<String>, StoreError> {
        Ok(self
            .audiences
            .get(audience)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default())
    }

    fn next_due(
        &mut self,
        until: DateTime<Utc>,
        _: &[u32],
    ) -> Result<Option<TimerKey>, StoreError> {
        Ok(self
            .timers
            .first()
            .filter(|d| d.due <= until)
            .map(|d| TimerKey {
                due: d.due,
                journey: d.journey.to_string(),
                version: d.version,
                profile: d.profile.to_string(),
                // Not kept (the runner needs journey and profile only).
                instance: String::new(),
                partition: 0,
            }))
    }

    fn commit(&mut self, commit: Commit) -> Result<(), StoreError> {
        for k in &commit.reads_done {
            let d = self.due(k);
            self.timers.remove(&d);
        }
        for k in &commit.reads_scheduled {
            let d = self.due(k);
            self.timers.insert(d);
        }
        for state in commit.profiles {
            // A state committed without being read first replaces one here.
            if let Some(old) = self.profiles.remove(&state.id) {
                self.forget_timers(&old);
            }
            for k in super::timer_keys(&state, 0) {
                let d = self.due(&k);
                self.timers.insert(d);
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
            self.profiles.insert(state.id.clone(), Box::new(state));
        }
        if let Some(cursor) = commit.cursor {
            self.cursor = cursor;
        }
        self.initialized |= commit.initialize;
        Ok(())
    }

    fn waiting(&mut self) -> Result<usize, StoreError> {
        Ok(self.profiles.values().map(|p| p.instances.len()).sum())
    }

    fn initialized(&mut self) -> Result<bool, StoreError> {
        Ok(self.initialized)
    }

    fn cursor(&mut self) -> Result<Cursor, StoreError> {
        Ok(self.cursor.clone())
    }

    fn flush(&mut self) -> Result<(), StoreError> {
        Ok(())
    }

    /// The trace is not kept: a memory run writes it once, straight through.
    fn trace_bytes(&mut self) -> Result<u64, StoreError> {
        Ok(0)
    }

    fn trace_from(&mut self, _: u64) -> Result<Vec<(u64, String)>, StoreError> {
        Ok(Vec::new())
    }
}
