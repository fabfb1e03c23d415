//! Profile state as JSON, for stores that persist it. Reading checks every
//! field, so a damaged row is an error that names what is wrong, never a panic.

use crate::state::{
    Delivery, Fetch, History, Instance, LastError, Profile, ProfileState, SmallMap, Waiting,
};
use chrono::{DateTime, Utc};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value as Json;

/// Milliseconds since the epoch.
pub fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// The instant of `ms` milliseconds since the epoch.
pub fn instant(ms: i64) -> Result<DateTime<Utc>, String> {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .ok_or_else(|| format!("{ms} ms is not a representable instant"))
}

/// A profile's data and history (its instances are stored one by one).
pub fn profile_to_json(state: &ProfileState) -> Json {
    serde_json::to_value(ProfileRow(state)).unwrap_or(Json::Null)
}

/// [`profile_to_json`] as text, written without building the JSON tree.
pub fn profile_text(state: &ProfileState) -> String {
    serde_json::to_string(&ProfileRow(state)).unwrap_or_default()
}

/// A profile's stored form: the one definition of [`profile_to_json`] and
/// [`profile_text`] (the two cannot fail: every key is a string).
struct ProfileRow<'a>(&'a ProfileState);

impl Serialize for ProfileRow<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let state = self.0;
        let mut m = s.serialize_map(Some(4))?;
        m.serialize_entry("dataSources", &*state.profile.data_sources)?;
        m.serialize_entry(
            "audiences",
            &Entries(&state.profile.audiences, std::convert::identity),
        )?;
        m.serialize_entry("fetches", &Fetches(&state.profile.fetches))?;
        m.serialize_entry("history", &Entries(&state.history, HistoryRow))?;
        m.end()
    }
}

/// A [`SmallMap`] as a JSON object, each value shown through `F`.
struct Entries<'a, V, F>(&'a SmallMap<V>, F);

impl<'a, V, F, T> Serialize for Entries<'a, V, F>
where
    F: Fn(&'a V) -> T,
    T: Serialize,
{
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.into_iter().map(|(k, v)| (k, (self.1)(v))))
    }
}

struct HistoryRow<'a>(&'a History);

impl Serialize for HistoryRow<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("entries", &self.0.entries)?;
        m.serialize_entry("lastEntry", &millis(self.0.last_entry))?;
        m.end()
    }
}

struct Fetches<'a>(&'a [Fetch]);

impl Serialize for Fetches<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut list = s.serialize_seq(Some(self.0.len()))?;
        for f in self.0 {
            list.serialize_element(&FetchRow(f))?;
        }
        list.end()
    }
}

struct FetchRow<'a>(&'a Fetch);

impl Serialize for FetchRow<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = self.0;
        let mut m = s.serialize_map(Some(4))?;
        m.serialize_entry("dataSource", &f.data_source)?;
        m.serialize_entry("fieldGroup", &f.field_group)?;
        m.serialize_entry("params", &f.params)?;
        m.serialize_entry("data", &f.data)?;
        m.end()
    }
}

/// Reads [`profile_to_json`]'s output back (instances empty).
pub fn profile_from_json(id: &str, v: &Json) -> Result<ProfileState, String> {
    let o = v.as_object().ok_or("a profile row is not an object")?;
    let mut state = ProfileState {
        id: id.to_string(),
        ..Default::default()
    };
    state.profile = Profile {
        data_sources: o
            .get("dataSources")
            .and_then(Json::as_object)
            .cloned()
            .unwrap_or_default()
            .into(),
        audiences: o
            .get("audiences")
            .and_then(Json::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default(),
        fetches: o
            .get("fetches")
            .and_then(Json::as_array)
            .map(|list| {
                list.iter()
                    .map(fetch_from_json)
                    .collect::<Result<Vec<_>, String>>()
            })
            .transpose()?
            .unwrap_or_default(),
    };
    if let Some(h) = o.get("history").and_then(Json::as_object) {
        for (journey, e) in h {
            state.history.insert(
                journey.clone(),
                History {
                    entries: number(e, "entries")? as u64,
                    last_entry: instant(number(e, "lastEntry")?)?,
                },
            );
        }
    }
    Ok(state)
}

/// An instance as JSON.
pub fn instance_to_json(i: &Instance) -> Json {
    serde_json::to_value(InstanceRow(i)).unwrap_or(Json::Null)
}

/// [`instance_to_json`] as text, written without building the JSON tree.
pub fn instance_text(i: &Instance) -> String {
    serde_json::to_string(&InstanceRow(i)).unwrap_or_default()
}

/// An instance's stored form: the one definition of [`instance_to_json`]
/// and [`instance_text`].
struct InstanceRow<'a>(&'a Instance);

impl Serialize for InstanceRow<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let i = self.0;
        let extra = usize::from(i.delivery.is_some()) + usize::from(i.calls > 0);
        let mut m = s.serialize_map(Some(10 + extra))?;
        m.serialize_entry("id", &i.id)?;
        m.serialize_entry("journey", &i.journey)?;
        m.serialize_entry("version", &i.version)?;
        m.serialize_entry("node", &i.node)?;
        m.serialize_entry("previousNode", &i.previous_node)?;
        m.serialize_entry("enteredAt", &millis(i.entered_at))?;
        m.serialize_entry("entry", &i.entry)?;
        m.serialize_entry("events", &Entries(&i.events, std::convert::identity))?;
        m.serialize_entry("waiting", &i.waiting.as_ref().map(WaitingRow))?;
        m.serialize_entry("lastError", &i.last_error.as_ref().map(LastErrorRow))?;
        // Only when there is one: rows of instances that never called keep
        // the layout they always had.
        if let Some(d) = &i.delivery {
            m.serialize_entry("delivery", &DeliveryRow(d))?;
        }
        if i.calls > 0 {
            m.serialize_entry("calls", &i.calls)?;
        }
        m.end()
    }
}

struct DeliveryRow<'a>(&'a Delivery);

impl Serialize for DeliveryRow<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(4 + usize::from(self.0.fetch.is_some())))?;
        m.serialize_entry("action", &self.0.action)?;
        m.serialize_entry("params", &self.0.params)?;
        m.serialize_entry("id", &self.0.id)?;
        m.serialize_entry("since", &millis(self.0.since))?;
        if let Some((source, group)) = &self.0.fetch {
            m.serialize_entry("fetch", &[source, group])?;
        }
        m.end()
    }
}

struct WaitingRow<'a>(&'a Waiting);

impl Serialize for WaitingRow<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("due", &millis(self.0.due))?;
        m.serialize_entry("reaction", &self.0.reaction)?;
        m.end()
    }
}

struct LastErrorRow<'a>(&'a LastError);

impl Serialize for LastErrorRow<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let e = self.0;
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("node", &e.node)?;
        m.serialize_entry("nodeType", &e.node_type)?;
        m.serialize_entry("code", &e.code)?;
        m.end()
    }
}

/// Reads [`instance_to_json`]'s output back.
pub fn instance_from_json(v: &Json) -> Result<Instance, String> {
    let events: crate::state::SmallMap<Json> = v
        .get("events")
        .and_then(Json::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    let waiting = match v.get("waiting") {
        None | Some(Json::Null) => None,
        Some(w) => Some(Waiting {
            due: instant(number(w, "due")?)?,
            reaction: w
                .get("reaction")
                .and_then(Json::as_bool)
                .ok_or("`waiting.reaction` is missing")?,
        }),
    };
    let last_error = match v.get("lastError") {
        None | Some(Json::Null) => None,
        Some(e) => Some(LastError {
            node: text(e, "node")?,
            node_type: text(e, "nodeType")?,
            code: text(e, "code")?,
        }),
    };
    let delivery = match v.get("delivery") {
        None | Some(Json::Null) => None,
        Some(d) => Some(Box::new(Delivery {
            action: text(d, "action")?,
            params: d.get("params").cloned().unwrap_or(Json::Null),
            id: text(d, "id")?,
            since: instant(number(d, "since")?)?,
            fetch: match d.get("fetch") {
                None | Some(Json::Null) => None,
                Some(f) => {
                    let part = |i: usize| {
                        f.get(i)
                            .and_then(Json::as_str)
                            .map(str::to_string)
                            .ok_or("`delivery.fetch` is not [source, group]")
                    };
                    Some((part(0)?, part(1)?))
                }
            },
        })),
    };
    let calls = match v.get("calls") {
        None => 0,
        Some(_) => u32::try_from(number(v, "calls")?).map_err(|_| "`calls` is out of range")?,
    };
    Ok(Instance {
        delivery,
        calls,
        id: text(v, "id")?,
        journey: text(v, "journey")?,
        version: number(v, "version")?,
        node: text(v, "node")?,
        previous_node: v
            .get("previousNode")
            .and_then(Json::as_str)
            .map(str::to_string),
        entered_at: instant(number(v, "enteredAt")?)?,
        entry: number(v, "entry")? as u64,
        events,
        waiting,
        last_error,
    })
}

fn text(v: &Json, key: &str) -> Result<String, String> {
    v.get(key)
        .and_then(Json::as_str)
        .map(str::to_string)
        .ok_or_else(|| format!("`{key}` is missing or not a string"))
}

fn number(v: &Json, key: &str) -> Result<i64, String> {
    v.get(key)
        .and_then(Json::as_i64)
        .ok_or_else(|| format!("`{key}` is missing or not an integer"))
}

/// A parameterised read (`fetches` of a profile, in the profiles file and
/// in the stored state): its data source, field group, parameters and data.
pub fn fetch_from_json(f: &Json) -> Result<Fetch, String> {
    Ok(Fetch {
        data_source: text(f, "dataSource")?,
        field_group: text(f, "fieldGroup")?,
        params: f
            .get("params")
            .and_then(Json::as_object)
            .cloned()
            .unwrap_or_default(),
        data: f.get("data").cloned().unwrap_or(Json::Null),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(ms: i64) -> DateTime<Utc> {
        instant(ms).unwrap_or_default()
    }

    fn instance() -> Instance {
        let mut events = SmallMap::default();
        events.insert("Signup".to_string(), json!({"plan": "pro", "n": [1, 2.5]}));
        Instance {
            id: "hold:1:p1".into(),
            journey: "hold".into(),
            version: 3,
            node: "w".into(),
            previous_node: Some("hello".into()),
            entered_at: at(1_714_521_600_000),
            entry: 1,
            events,
            waiting: Some(Waiting {
                due: at(1_717_113_600_000),
                reaction: true,
            }),
            last_error: Some(LastError {
                node: "hello".into(),
                node_type: "action".into(),
                code: "timeout".into(),
            }),
            delivery: None,
            calls: 0,
        }
    }

    #[test]
    fn an_instance_row_keeps_the_stored_layout_and_reads_back() {
        let i = instance();
        let text = instance_text(&i);
        // The layout rows of format 2 were written in (and format 1 before).
        assert_eq!(
            text,
            r#"{"id":"hold:1:p1","journey":"hold","version":3,"node":"w","previousNode":"hello","enteredAt":1714521600000,"entry":1,"events":{"Signup":{"plan":"pro","n":[1,2.5]}},"waiting":{"due":1717113600000,"reaction":true},"lastError":{"node":"hello","nodeType":"action","code":"timeout"}}"#
        );
        assert_eq!(instance_to_json(&i).to_string(), text);
        let parsed: Json = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(instance_from_json(&parsed), Ok(i));
        let bare = Instance {
            previous_node: None,
            waiting: None,
            last_error: None,
            events: SmallMap::default(),
            ..instance()
        };
        let parsed: Json = serde_json::from_str(&instance_text(&bare)).unwrap_or_default();
        assert_eq!(parsed["waiting"], Json::Null);
        assert_eq!(instance_from_json(&parsed), Ok(bare));
    }

    #[test]
    fn a_profile_row_keeps_the_stored_layout_and_reads_back() {
        let mut state = ProfileState {
            id: "p1".into(),
            ..Default::default()
        };
        let mut sources = serde_json::Map::new();
        sources.insert("crm".into(), json!({"loyalty": {"tier": "gold"}}));
        state.profile.data_sources = sources.into();
        state
            .profile
            .audiences
            .insert("vip".into(), "realized".into());
        state.profile.fetches.push(Fetch {
            data_source: "weather".into(),
            field_group: "today".into(),
            params: json!({"city": "Oslo"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            data: json!({"temp": -3}),
        });
        state.history.insert(
            "hold".into(),
            History {
                entries: 2,
                last_entry: at(1_714_521_600_000),
            },
        );
        let text = profile_text(&state);
        assert_eq!(
            text,
            r#"{"dataSources":{"crm":{"loyalty":{"tier":"gold"}}},"audiences":{"vip":"realized"},"fetches":[{"dataSource":"weather","fieldGroup":"today","params":{"city":"Oslo"},"data":{"temp":-3}}],"history":{"hold":{"entries":2,"lastEntry":1714521600000}}}"#
        );
        assert_eq!(profile_to_json(&state).to_string(), text);
        let parsed: Json = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(profile_from_json("p1", &parsed), Ok(state));
    }
}
