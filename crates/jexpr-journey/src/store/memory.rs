//! All state in memory, for one run.

use super::{Commit, Cursor, Store, StoreError, TimerKey};
use crate::state::ProfileState;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// All state in memory, for one run.
#[derive(Default)]
pub struct MemoryStore {
    profiles: HashMap<String, ProfileState>,
    timers: BTreeSet<TimerKey>,
    /// Profile → its timer keys in `timers`.
    timers_of: HashMap<String, Vec<TimerKey>>,
    audiences: BTreeMap<String, BTreeSet<String>>,
    cursor: Cursor,
    initialized: bool,
}

impl Store for MemoryStore {
    /// Hands the state over rather than copying it: the runner commits
    /// every state it reads (or the run stops).
    fn profile(&mut self, id: &str) -> Result<Option<ProfileState>, StoreError> {
        Ok(self.profiles.remove(id))
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
            let mut keys = super::timer_keys(&state, 0);
            keys.shrink_to_fit();
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
