//! What the engine reads and changes for one profile: its data, its
//! instances (at most one per journey), and its entry history.

use chrono::{DateTime, Utc};
use serde_json::Value as Json;
/// A map from names to values kept as a vector sorted by name: profiles
/// hold a handful of instances, events and audiences, and a `BTreeMap`
/// allocates a node of eleven slots for even one of them (several KB per
/// waiting instance at scale).
#[derive(Clone, Debug, PartialEq)]
pub struct SmallMap<V>(Vec<(String, V)>);

impl<V> Default for SmallMap<V> {
    fn default() -> Self {
        SmallMap(Vec::new())
    }
}

impl<V> SmallMap<V> {
    fn find(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&V> {
        self.find(key)
            .ok()
            .and_then(|i| self.0.get(i))
            .map(|(_, v)| v)
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    /// Sets `key` to `value`, returning the value it replaces.
    pub fn insert(&mut self, key: String, value: V) -> Option<V> {
        match self.find(&key) {
            Ok(i) => self
                .0
                .get_mut(i)
                .map(|slot| std::mem::replace(&mut slot.1, value)),
            Err(i) => {
                // Exactly one more slot: these maps stay small, and the
                // default growth (to four) would quadruple a lone instance.
                self.0.reserve_exact(1);
                self.0.insert(i, (key, value));
                None
            }
        }
    }

    /// Removes `key`, returning its value.
    pub fn remove(&mut self, key: &str) -> Option<V> {
        let i = self.find(key).ok()?;
        Some(self.0.remove(i).1)
    }

    /// Entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &V)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// Keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(k, _)| k)
    }

    /// Values in key order.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.0.iter().map(|(_, v)| v)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<V: Clone + Into<Json>> SmallMap<V> {
    /// The map as a JSON object.
    pub fn to_json(&self) -> Json {
        Json::Object(
            self.0
                .iter()
                .map(|(k, v)| (k.clone(), v.clone().into()))
                .collect(),
        )
    }
}

impl<V> FromIterator<(String, V)> for SmallMap<V> {
    fn from_iter<I: IntoIterator<Item = (String, V)>>(iter: I) -> Self {
        let mut map = SmallMap::default();
        for (k, v) in iter {
            map.insert(k, v);
        }
        map
    }
}

impl<'a, V> IntoIterator for &'a SmallMap<V> {
    type Item = (&'a String, &'a V);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, V)>,
        fn(&'a (String, V)) -> (&'a String, &'a V),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

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
#[derive(Clone, Debug, PartialEq)]
pub struct Profile {
    /// Data source → field group → data (shared: every step that walks an
    /// instance reads it, and it changes only on a profile update).
    pub data_sources: std::sync::Arc<serde_json::Map<String, Json>>,
    /// Audience → status (`realized`, `existing`, `exited`).
    pub audiences: SmallMap<String>,
    /// Parameterised reads.
    pub fetches: Vec<Fetch>,
}

impl Default for Profile {
    /// No data: every profile without data shares one empty map, so a
    /// million of them do not hold a million allocations.
    fn default() -> Profile {
        static EMPTY: std::sync::OnceLock<std::sync::Arc<serde_json::Map<String, Json>>> =
            std::sync::OnceLock::new();
        Profile {
            data_sources: EMPTY.get_or_init(Default::default).clone(),
            audiences: SmallMap::default(),
            fetches: Vec::new(),
        }
    }
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
    pub events: SmallMap<Json>,
    /// The wait it is in.
    pub waiting: Option<Waiting>,
    /// Last error.
    pub last_error: Option<LastError>,
    /// The call it waits for at an action node (SERVICE.md section 2).
    pub delivery: Option<Box<Delivery>>,
    /// Calls this instance started so far (numbers each call's id).
    pub calls: u32,
}

/// An action call an instance waits for: made (again, after a crash) until
/// its outcome is committed, always under the same id.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    /// The catalog action.
    pub action: String,
    /// The evaluated parameters (a JSON object).
    pub params: Json,
    /// The call's id (`webhook-id`): the same for every retry and re-send.
    pub id: String,
    /// When the call began: the timeout budget counts from here.
    pub since: DateTime<Utc>,
    /// A data source read (source, field group) rather than an action: its
    /// answer is kept on the instance and the node runs again.
    pub fetch: Option<(String, String)>,
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
    pub instances: SmallMap<Instance>,
    /// Journey id → entry history.
    pub history: SmallMap<History>,
}

/// A global timeout: an instance leaves after this long in a journey.
pub const JOURNEY_TIMEOUT_MS: i64 = 91 * 24 * 3600 * 1000;

impl Instance {
    /// When this instance's timer fires: its wait, or the 91-day timeout.
    /// A call it waits for is due at once (the runner makes it).
    pub fn due(&self) -> Option<DateTime<Utc>> {
        if let Some(d) = &self.delivery {
            return Some(d.since);
        }
        let limit = later(self.entered_at, JOURNEY_TIMEOUT_MS).unwrap_or(DateTime::<Utc>::MAX_UTC);
        self.waiting.as_ref().map(|w| w.due.min(limit))
    }
}

/// `t` plus `ms` milliseconds, or `None` past the end of the calendar that
/// RFC 3339 can write (year 9999): a trace never shows a time it cannot parse.
pub fn later(t: DateTime<Utc>, ms: i64) -> Option<DateTime<Utc>> {
    t.checked_add_signed(chrono::TimeDelta::try_milliseconds(ms)?)
        .filter(|d| in_calendar(*d))
}

/// Whether `t` is at most 9999-12-31T23:59:59.999Z, the last instant RFC
/// 3339 can write.
pub fn in_calendar(t: DateTime<Utc>) -> bool {
    t.timestamp_millis() <= 253_402_300_799_999
}

/// The audience statuses of JOURNEYS.md section 3.
pub const AUDIENCE_STATUSES: [&str; 3] = ["realized", "existing", "exited"];

/// Whether `status` makes a profile a member of its audience.
pub fn is_member(status: &str) -> bool {
    status == "realized" || status == "existing"
}
