//! The input decoder: an events line's bytes to what it asks for (an event of
//! a profile, a profile update) or why it is skipped. Pure: no clock, no
//! store. The whole line is decoded before the runner acts on it, so a line
//! that is skipped has no other effect (JOURNEYS.md section 3: it does not
//! move the clock).

use super::envelope::Envelope;
use crate::catalog::JourneyCatalog;
use crate::engine::Journeys;
use crate::state::{Fetch, Profile, ProfileState};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;

/// What one events line is.
#[derive(Debug, PartialEq)]
pub enum Line {
    /// An event of a profile.
    Event {
        /// The line's `time`, to the millisecond.
        time: DateTime<Utc>,
        /// Catalog event name.
        name: String,
        /// Whose event it is.
        profile_id: String,
        /// What some expression reads of the payload.
        payload: Json,
    },
    /// A profile update: new data-source data and/or audience statuses.
    ProfileUpdate {
        /// The line's `time`, to the millisecond.
        time: DateTime<Utc>,
        /// Whose profile.
        profile_id: String,
        /// Replaces the profile's data-source data, if given.
        data_sources: Option<Map<String, Json>>,
        /// Merged into the profile's audience statuses.
        audiences: Vec<(String, String)>,
    },
    /// A line that is skipped as `inputError`, with the message.
    Invalid(String),
}

impl Line {
    /// The line's time and whose it is, unless it is invalid.
    pub fn time_and_profile(&self) -> Option<(DateTime<Utc>, &str)> {
        match self {
            Line::Event {
                time, profile_id, ..
            }
            | Line::ProfileUpdate {
                time, profile_id, ..
            } => Some((*time, profile_id)),
            Line::Invalid(_) => None,
        }
    }
}

/// Decodes events lines for one set of journeys and catalog.
pub struct Decoder<'a> {
    catalog: &'a JourneyCatalog,
    /// By event name: what the journeys' expressions and the event's
    /// `profileId` expression read of its payload.
    readers: BTreeMap<String, jexpr::EventReader>,
}

impl<'a> Decoder<'a> {
    /// The same decoder for another set of journeys (one was published).
    pub fn for_journeys(&self, journeys: &Journeys) -> Decoder<'a> {
        Decoder::new(journeys, self.catalog)
    }

    /// A decoder reading, of each event, what some expression reads.
    pub fn new(journeys: &Journeys, catalog: &'a JourneyCatalog) -> Decoder<'a> {
        let mut readers: BTreeMap<String, jexpr::EventReader> = catalog
            .core
            .events
            .keys()
            .map(|name| (name.clone(), jexpr::EventReader::new(name)))
            .collect();
        let programs = journeys
            .all()
            .flat_map(|cj| cj.programs.values())
            .chain(catalog.profile_ids.values());
        for program in programs {
            for reader in readers.values_mut() {
                reader.add(program);
            }
        }
        Decoder { catalog, readers }
    }

    /// Decodes one line (without its line ending; not blank).
    pub fn decode(&self, bytes: &[u8]) -> Line {
        match self.try_decode(bytes) {
            Ok(line) => line,
            Err(message) => Line::Invalid(message),
        }
    }

    fn try_decode(&self, bytes: &[u8]) -> Result<Line, String> {
        let Some(envelope) = Envelope::read(bytes) else {
            return Err(match serde_json::from_slice::<Json>(bytes) {
                Ok(Json::Object(_)) => "not a valid events line".to_string(),
                Ok(_) => "a line must be a JSON object".to_string(),
                Err(e) => format!("not valid JSON: {e}"),
            });
        };
        let time = match envelope.time.as_ref().and_then(Json::as_str) {
            Some(t) => match jexpr::time::parse_instant(t) {
                // Times are kept to the millisecond, as the trace shows them.
                Ok(t) => DateTime::<Utc>::from_timestamp_millis(t.timestamp_millis()).unwrap_or(t),
                Err(e) => return Err(e.to_string()),
            },
            None => return Err("missing `time` (an RFC 3339 date-time)".into()),
        };
        let Some(event) = &envelope.event else {
            return match serde_json::from_slice::<Json>(bytes) {
                Ok(doc) => profile_update(time, &doc),
                Err(e) => Err(format!("not valid JSON: {e}")),
            };
        };
        let Some(name) = event.as_str() else {
            return Err("`event` must be an event name".into());
        };
        let Some(reader) = self.readers.get(name) else {
            let hint = jexpr::authoring::closest(
                name,
                self.catalog.core.events.keys().map(String::as_str),
            )
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
            return Err(format!("unknown event `{name}`{hint}"));
        };
        // The payload is parsed once, keeping what some expression reads.
        let payload = match envelope.payload {
            None => Json::Object(Map::new()),
            Some(raw) if !raw.get().starts_with('{') => {
                return Err("`payload` must be a JSON object".into())
            }
            Some(raw) => match reader.read(raw.get().as_bytes()) {
                Ok(p) => p,
                Err(e) => {
                    // Located in the line, not in the payload's text.
                    let at = (raw.get().as_ptr() as usize).saturating_sub(bytes.as_ptr() as usize);
                    let text = e.to_string();
                    let what = text.split(" at line ").next().unwrap_or("");
                    let column = e.column() + at;
                    return Err(format!("not valid JSON: {what} at line 1 column {column}"));
                }
            },
        };
        let profile_id = match &envelope.profile_id {
            Some(Json::String(p)) if p.is_empty() => {
                return Err("`profileId` is empty: give the profile's id".into())
            }
            Some(Json::String(p)) => p.clone(),
            Some(_) => return Err("`profileId` must be a string".into()),
            None => self.profile_id_of(name, &payload, time)?,
        };
        Ok(Line::Event {
            time,
            name: name.to_string(),
            profile_id,
            payload,
        })
    }

    /// The profile id the catalog's `profileId` expression gives an event.
    fn profile_id_of(
        &self,
        event: &str,
        payload: &Json,
        now: DateTime<Utc>,
    ) -> Result<String, String> {
        let Some(program) = self.catalog.profile_ids.get(event) else {
            return Err(format!("no `profileId` on the line, and the catalog gives event `{event}` no `profileId` expression"));
        };
        let ctx = jexpr::Context::builder()
            .fuel(crate::engine::EVAL_FUEL)
            .event(event, payload)
            .now(now)
            .build();
        match program.eval(&ctx) {
            Ok(jexpr::Value::Str(s)) if !s.is_empty() => Ok(s.into_owned()),
            Ok(_) => Err(format!("the `profileId` expression of event `{event}` gives no profile id for this payload")),
            Err(e) => Err(format!("the `profileId` expression of event `{event}` failed: {}", e.message)),
        }
    }
}

/// A profile-update line, checked whole: an invalid one changes nothing.
fn profile_update(time: DateTime<Utc>, doc: &Json) -> Result<Line, String> {
    if doc.get("profile").is_none() && doc.get("audiences").is_none() {
        return Err(
            "a line needs `event` (an event) or `profile`/`audiences` (a profile update)".into(),
        );
    }
    let Some(id) = doc
        .get("profileId")
        .and_then(Json::as_str)
        .filter(|id| !id.is_empty())
    else {
        return Err("a profile update needs `profileId` (a non-empty string)".into());
    };
    let data_sources = match doc.get("profile") {
        None => None,
        Some(p) => match p.as_object() {
            Some(m) => Some(m.clone()),
            None => return Err("`profile` must be an object of data sources".into()),
        },
    };
    let mut audiences = Profile::default();
    merge_audiences(&mut audiences, doc.get("audiences"))?;
    Ok(Line::ProfileUpdate {
        time,
        profile_id: id.to_string(),
        data_sources,
        audiences: audiences
            .audiences
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    })
}

/// Reads the profiles file (JSON Lines): on an error, its line and message.
pub fn read_profiles(input: &mut dyn std::io::BufRead) -> Result<Vec<ProfileState>, (u64, String)> {
    let mut profiles = Vec::new();
    for (i, line) in std::io::BufRead::lines(input).enumerate() {
        let n = i as u64 + 1;
        let line = line.map_err(|e| (n, format!("cannot read the profiles file: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let doc: Json =
            serde_json::from_str(&line).map_err(|e| (n, format!("not valid JSON: {e}")))?;
        let id = doc
            .get("profileId")
            .and_then(Json::as_str)
            .filter(|id| !id.is_empty())
            .ok_or_else(|| (n, "missing `profileId` (a non-empty string)".to_string()))?;
        let mut profile = Profile::default();
        if let Some(d) = doc.get("dataSources") {
            profile.data_sources = d
                .as_object()
                .cloned()
                .ok_or_else(|| (n, "`dataSources` must be an object".to_string()))?
                .into();
        }
        merge_audiences(&mut profile, doc.get("audiences")).map_err(|m| (n, m))?;
        if let Some(f) = doc.get("fetches") {
            profile.fetches = fetches(f).map_err(|m| (n, m))?;
        }
        profiles.push(ProfileState {
            id: id.to_string(),
            profile,
            ..Default::default()
        });
    }
    Ok(profiles)
}

fn merge_audiences(profile: &mut Profile, audiences: Option<&Json>) -> Result<(), String> {
    let Some(a) = audiences else { return Ok(()) };
    let map = a
        .as_object()
        .ok_or("`audiences` must map audience names to statuses")?;
    for (name, status) in map {
        let Some(known) = status
            .as_str()
            .filter(|s| crate::state::AUDIENCE_STATUSES.contains(s))
        else {
            let hint = status
                .as_str()
                .and_then(|s| jexpr::authoring::closest(s, crate::state::AUDIENCE_STATUSES))
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return Err(format!(
                "audience `{name}`: the status {status} is not one of `realized`, `existing`, `exited`{hint}"
            ));
        };
        profile.audiences.insert(name.clone(), known.to_string());
    }
    Ok(())
}

fn fetches(list: &Json) -> Result<Vec<Fetch>, String> {
    let items = list.as_array().ok_or("`fetches` must be a list")?;
    items
        .iter()
        .enumerate()
        .map(|(i, f)| crate::codec::fetch_from_json(f).map_err(|e| format!("fetches[{i}]: {e}")))
        .collect()
}
