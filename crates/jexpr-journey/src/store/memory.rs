//! All state in memory, for one run.

use super::{Commit, Cursor, Leases, StateStore, StoreError, TimerKey, TraceOutbox};
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

/// What the indexes hold for one profile: its timers (due, journey,
/// version) and the audiences it is a member of.
#[derive(Default, PartialEq)]
struct Indexed {
    timers: Vec<(DateTime<Utc>, Arc<str>, i64)>,
    audiences: Vec<String>,
}

/// All state in memory, for one run.
#[derive(Default)]
pub struct MemoryStore {
    /// Boxed: a hash table keeps spare buckets, and a state is 128 bytes.
    profiles: HashMap<String, Box<ProfileState>>,
    /// The timers of the profiles.
    timers: BTreeSet<Due>,
    /// Journey ids, shared by the timers.
    journey_ids: BTreeSet<Arc<str>>,
    audiences: BTreeMap<String, BTreeSet<String>>,
    /// Profiles handed over to be stepped, with what the indexes hold for
    /// them: a commit changes only what changed (most steps keep a
    /// profile's timers and audiences), and their timers are not offered
    /// until they are committed back.
    handed: HashMap<String, Indexed>,
    cursor: Cursor,
    initialized: bool,
    event_ids: std::collections::HashSet<String>,
}

impl MemoryStore {
    fn journey_id(&mut self, id: &str) -> Arc<str> {
        match self.journey_ids.get(id) {
            Some(j) => j.clone(),
            None => {
                let j: Arc<str> = Arc::from(id);
                self.journey_ids.insert(j.clone());
                j
            }
        }
    }

    fn due(&mut self, key: &TimerKey) -> Due {
        Due {
            due: key.due,
            journey: self.journey_id(&key.journey),
            version: key.version,
            profile: key.profile.as_str().into(),
        }
    }

    /// What the indexes must hold for `state`.
    fn indexed(&mut self, state: &ProfileState) -> Indexed {
        let mut timers = Vec::new();
        for i in state.instances.values() {
            if let Some(due) = i.due() {
                timers.push((due, self.journey_id(&i.journey), i.version));
            }
        }
        let audiences = state
            .profile
            .audiences
            .iter()
            .filter(|(_, status)| crate::state::is_member(status))
            .map(|(name, _)| name.clone())
            .collect();
        Indexed { timers, audiences }
    }

    /// Moves profile `id`'s entries in the indexes from `before` to `after`.
    fn reindex(&mut self, id: &str, before: &Indexed, after: &Indexed) {
        let due = |(due, journey, version): &(DateTime<Utc>, Arc<str>, i64)| Due {
            due: *due,
            journey: journey.clone(),
            version: *version,
            profile: id.into(),
        };
        if before.timers != after.timers {
            for t in before.timers.iter().filter(|t| !after.timers.contains(t)) {
                self.timers.remove(&due(t));
            }
            for t in after.timers.iter().filter(|t| !before.timers.contains(t)) {
                self.timers.insert(due(t));
            }
        }
        if before.audiences != after.audiences {
            for name in &before.audiences {
                if let Some(set) = self.audiences.get_mut(name) {
                    set.remove(id);
                }
            }
            for name in &after.audiences {
                self.audiences
                    .entry(name.clone())
                    .or_default()
                    .insert(id.to_string());
            }
        }
    }
}

impl StateStore for MemoryStore {
    const IN_MEMORY: bool = true;
    /// Hands the state over rather than copying it: the runner commits
    /// every state it reads (or the run stops).
    fn profile(&mut self, id: &str) -> Result<Option<ProfileState>, StoreError> {
        let state = self.profiles.remove(id).map(|b| *b);
        if let Some(state) = &state {
            let indexed = self.indexed(state);
            self.handed.insert(id.to_string(), indexed);
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
        let handed = &self.handed;
        Ok(self
            .timers
            .iter()
            .find(|d| handed.is_empty() || !handed.contains_key(&*d.profile))
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
        self.event_ids.extend(commit.event_ids);
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
            let before = match self.handed.remove(&state.id) {
                Some(before) => before,
                None => match self.profiles.remove(&state.id) {
                    Some(old) => self.indexed(&old),
                    None => Indexed::default(),
                },
            };
            let after = self.indexed(&state);
            self.reindex(&state.id, &before, &after);
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
    fn event_seen(&mut self, id: &str) -> Result<bool, StoreError> {
        Ok(self.event_ids.contains(id))
    }
}

impl TraceOutbox for MemoryStore {
    /// The trace is not kept: a memory run writes it once, straight through.
    fn trace_bytes(&mut self) -> Result<u64, StoreError> {
        Ok(0)
    }
    fn trace_from(&mut self, _: u64) -> Result<Vec<(u64, String)>, StoreError> {
        Ok(Vec::new())
    }
}

impl Leases for MemoryStore {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{Instance, Waiting};

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).expect("time").to_utc()
    }

    fn state(due: Option<&str>, audience: &str) -> ProfileState {
        let mut s = ProfileState {
            id: "p1".into(),
            ..Default::default()
        };
        s.profile
            .audiences
            .insert("vip".into(), audience.to_string());
        if let Some(due) = due {
            let inst = Instance {
                id: "j:1:p1".into(),
                journey: "j".into(),
                version: 1,
                node: "w".into(),
                previous_node: None,
                entered_at: at("2024-05-01T00:00:00Z"),
                entry: 1,
                events: Default::default(),
                waiting: Some(Waiting {
                    due: at(due),
                    reaction: false,
                }),
                last_error: None,
                delivery: None,
                calls: 0,
            };
            s.instances.insert("j".into(), inst);
        }
        s
    }

    fn commit(store: &mut MemoryStore, s: ProfileState) {
        let c = Commit {
            profiles: vec![s],
            ..Default::default()
        };
        store.commit(c).expect("commit");
    }

    /// A commit changes only what changed in the indexes, and a profile
    /// handed over is not offered by `next_due` until it is committed back.
    #[test]
    fn indexes_follow_each_commit() {
        let end = at("2025-01-01T00:00:00Z");
        let mut store = MemoryStore::default();
        commit(&mut store, state(Some("2024-05-02T00:00:00Z"), "realized"));
        let due = |store: &mut MemoryStore| store.next_due(end, &[]).expect("due").map(|k| k.due);
        assert_eq!(due(&mut store), Some(at("2024-05-02T00:00:00Z")));
        assert_eq!(store.audience_members("vip", 0).expect("members"), ["p1"]);

        let handed = store.profile("p1").expect("read").expect("known");
        assert_eq!(due(&mut store), None, "a handed-over profile's timer");
        commit(&mut store, handed);
        assert_eq!(due(&mut store), Some(at("2024-05-02T00:00:00Z")));

        let _ = store.profile("p1").expect("read");
        commit(&mut store, state(Some("2024-06-01T00:00:00Z"), "exited"));
        assert_eq!(due(&mut store), Some(at("2024-06-01T00:00:00Z")));
        assert!(store
            .audience_members("vip", 0)
            .expect("members")
            .is_empty());

        // Committed without being read first: replaces what was indexed.
        commit(&mut store, state(None, "existing"));
        assert_eq!(due(&mut store), None);
        assert_eq!(store.audience_members("vip", 0).expect("members"), ["p1"]);
        assert_eq!(store.timers.len(), 0);
    }
}
