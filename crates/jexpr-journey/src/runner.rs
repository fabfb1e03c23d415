//! The runner: the edge where input, time and storage live. It reads the
//! events file line by line (JOURNEYS.md section 3), keeps the virtual
//! clock, fires due timers before each line, steps the engine, commits each
//! input's changes to the store as one unit, and writes the trace.

use crate::catalog::JourneyCatalog;
use crate::engine::{self, Input, Journeys};
use crate::model::Node;
use crate::state::{Fetch, Profile, ProfileState};
use crate::store::{Commit, Store, StoreError, TimerKey};
use crate::trace::Record;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value as Json};
use std::io::{BufRead, Write};

/// Longest events-file line accepted; a longer one is an `inputError`.
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

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
}

impl Summary {
    /// The summary as JSON.
    pub fn to_json(&self) -> Json {
        serde_json::json!({
            "lines": self.lines,
            "inputErrors": self.input_errors,
            "records": self.records,
            "waiting": self.waiting,
            "clock": self.clock.map(|c| jexpr::time::format_instant(&c)),
        })
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
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Store(e) => write!(f, "the store failed: {e}"),
            RunError::Io(e) => f.write_str(e),
            RunError::Profiles(line, m) => write!(f, "profiles file, line {line}: {m}"),
        }
    }
}

impl std::error::Error for RunError {}

impl From<StoreError> for RunError {
    fn from(e: StoreError) -> RunError {
        RunError::Store(e)
    }
}

/// One run over one events stream.
pub struct Runner<'a, S: Store> {
    journeys: Journeys,
    catalog: &'a JourneyCatalog,
    store: S,
    out: &'a mut dyn Write,
    clock: Option<DateTime<Utc>>,
    summary: Summary,
}

impl<'a, S: Store> Runner<'a, S> {
    /// A runner over checked journeys, writing the trace to `out`.
    pub fn new(
        journeys: Journeys,
        catalog: &'a JourneyCatalog,
        store: S,
        out: &'a mut dyn Write,
    ) -> Self {
        Runner {
            journeys,
            catalog,
            store,
            out,
            clock: None,
            summary: Summary::default(),
        }
    }

    /// The store (for inspection after a run).
    pub fn store(&mut self) -> &mut S {
        &mut self.store
    }

    /// Loads the profiles file (JSON Lines).
    pub fn load_profiles(&mut self, input: impl BufRead) -> Result<(), RunError> {
        let mut profiles = Vec::new();
        for (i, line) in input.lines().enumerate() {
            let n = i as u64 + 1;
            let line =
                line.map_err(|e| RunError::Io(format!("cannot read the profiles file: {e}")))?;
            if line.trim().is_empty() {
                continue;
            }
            let doc: Json = serde_json::from_str(&line)
                .map_err(|e| RunError::Profiles(n, format!("not valid JSON: {e}")))?;
            let id = doc
                .get("profileId")
                .and_then(Json::as_str)
                .ok_or_else(|| RunError::Profiles(n, "missing `profileId` (a string)".into()))?;
            let mut profile = Profile::default();
            if let Some(d) = doc.get("dataSources") {
                profile.data_sources = d.as_object().cloned().ok_or_else(|| {
                    RunError::Profiles(n, "`dataSources` must be an object".into())
                })?;
            }
            merge_audiences(&mut profile, doc.get("audiences"))
                .map_err(|m| RunError::Profiles(n, m))?;
            if let Some(f) = doc.get("fetches") {
                profile.fetches = fetches(f).map_err(|m| RunError::Profiles(n, m))?;
            }
            profiles.push(ProfileState {
                id: id.to_string(),
                profile,
                ..Default::default()
            });
        }
        self.store.commit(Commit {
            profiles,
            ..Default::default()
        })?;
        Ok(())
    }

    /// Schedules the first read of every audience entry node.
    fn schedule_audience_reads(&mut self) -> Result<(), RunError> {
        let mut reads = Vec::new();
        for cj in self.journeys.all() {
            if let Some(Node::Audience { at, .. }) = cj.journey.nodes.get(&cj.journey.start) {
                reads.push(read_key(*at, &cj.journey.id, cj.journey.version));
            }
        }
        self.store.commit(Commit {
            reads_scheduled: reads,
            ..Default::default()
        })?;
        Ok(())
    }

    /// Runs the events stream, then moves the clock to `until` if given.
    pub fn run(
        mut self,
        events: impl BufRead,
        until: Option<DateTime<Utc>>,
    ) -> Result<Summary, RunError> {
        self.schedule_audience_reads()?;
        let mut events = events;
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let read = std::io::Read::take(&mut events, MAX_LINE_BYTES as u64 + 1)
                .read_until(b'\n', &mut buf)
                .map_err(|e| RunError::Io(format!("cannot read the events file: {e}")))?;
            if read == 0 {
                break;
            }
            self.summary.lines += 1;
            let n = self.summary.lines;
            if buf.len() > MAX_LINE_BYTES && !buf.ends_with(b"\n") {
                // Skip the rest of the over-long line.
                let mut rest = Vec::new();
                loop {
                    rest.clear();
                    let more = std::io::Read::take(&mut events, 1 << 20)
                        .read_until(b'\n', &mut rest)
                        .map_err(|e| RunError::Io(format!("cannot read the events file: {e}")))?;
                    if more == 0 || rest.ends_with(b"\n") {
                        break;
                    }
                }
                self.input_error(
                    n,
                    &format!("the line is longer than {} MiB", MAX_LINE_BYTES >> 20),
                )?;
                continue;
            }
            let text = trim_line(&buf);
            if text.iter().all(u8::is_ascii_whitespace) {
                self.summary.lines -= 1;
                continue;
            }
            self.line(n, text)?;
        }
        if let Some(until) = until {
            if self.clock.is_none_or(|c| until > c) {
                self.fire_due(until)?;
                self.clock = Some(until);
            }
        }
        self.out
            .flush()
            .map_err(|e| RunError::Io(format!("cannot write the trace: {e}")))?;
        self.summary.waiting = self.store.waiting()?;
        self.summary.clock = self.clock;
        Ok(self.summary)
    }

    fn line(&mut self, n: u64, bytes: &[u8]) -> Result<(), RunError> {
        let doc: Json = match serde_json::from_slice(bytes) {
            Ok(Json::Object(m)) => Json::Object(m),
            Ok(_) => return self.input_error(n, "a line must be a JSON object"),
            Err(e) => return self.input_error(n, &format!("not valid JSON: {e}")),
        };
        let time = match doc.get("time").and_then(Json::as_str) {
            Some(t) => match jexpr::time::parse_instant(t) {
                Ok(t) => t,
                Err(e) => return self.input_error(n, &e.to_string()),
            },
            None => return self.input_error(n, "missing `time` (an RFC 3339 date-time)"),
        };
        if let Some(clock) = self.clock {
            if time < clock {
                let message = format!(
                    "out of time order: {} is before {}",
                    jexpr::time::format_instant(&time),
                    jexpr::time::format_instant(&clock)
                );
                return self.input_error(n, &message);
            }
        }
        self.fire_due(time)?;
        self.clock = Some(time);
        let Some(event) = doc.get("event") else {
            return self.profile_update(n, time, &doc);
        };
        let Some(name) = event.as_str() else {
            return self.input_error(n, "`event` must be an event name");
        };
        if !self.catalog.core.events.contains_key(name) {
            let hint = jexpr::authoring::closest(
                name,
                self.catalog.core.events.keys().map(String::as_str),
            )
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
            return self.input_error(n, &format!("unknown event `{name}`{hint}"));
        }
        let empty = Json::Object(Map::new());
        let payload = doc.get("payload").unwrap_or(&empty);
        if !payload.is_object() {
            return self.input_error(n, "`payload` must be a JSON object");
        }
        let profile_id = match doc.get("profileId") {
            Some(Json::String(p)) => p.clone(),
            Some(_) => return self.input_error(n, "`profileId` must be a string"),
            None => match self.profile_id_of(name, payload, time) {
                Ok(p) => p,
                Err(m) => return self.input_error(n, &m),
            },
        };
        let state = self.state(&profile_id)?;
        let (state, records) =
            engine::step(&self.journeys, state, Input::Event { name, payload }, time);
        self.commit(vec![state], records, Some(n))
    }

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
            .event(event, payload)
            .now(now)
            .build();
        match program.eval(&ctx) {
            Ok(jexpr::Value::Str(s)) if !s.is_empty() => Ok(s.into_owned()),
            Ok(_) => Err(format!("the `profileId` expression of event `{event}` gives no profile id for this payload")),
            Err(e) => Err(format!("the `profileId` expression of event `{event}` failed: {}", e.message)),
        }
    }

    fn profile_update(&mut self, n: u64, _time: DateTime<Utc>, doc: &Json) -> Result<(), RunError> {
        if doc.get("profile").is_none() && doc.get("audiences").is_none() {
            return self.input_error(
                n,
                "a line needs `event` (an event) or `profile`/`audiences` (a profile update)",
            );
        }
        let Some(id) = doc.get("profileId").and_then(Json::as_str) else {
            return self.input_error(n, "a profile update needs `profileId` (a string)");
        };
        let mut state = self.state(id)?;
        if let Some(p) = doc.get("profile") {
            match p.as_object() {
                Some(m) => state.profile.data_sources = m.clone(),
                None => return self.input_error(n, "`profile` must be an object of data sources"),
            }
        }
        if let Err(m) = merge_audiences(&mut state.profile, doc.get("audiences")) {
            return self.input_error(n, &m);
        }
        self.commit(vec![state], Vec::new(), Some(n))
    }

    fn state(&mut self, id: &str) -> Result<ProfileState, RunError> {
        Ok(self.store.profile(id)?.unwrap_or_else(|| ProfileState {
            id: id.to_string(),
            ..Default::default()
        }))
    }

    /// Fires every timer and audience read due at or before `until`, in order.
    fn fire_due(&mut self, until: DateTime<Utc>) -> Result<(), RunError> {
        while let Some(key) = self.store.next_due(until)? {
            if key.profile.is_empty() {
                self.audience_read(key)?;
                continue;
            }
            let state = self.state(&key.profile)?;
            let before = state.clone();
            let (state, records) = engine::step(
                &self.journeys,
                state,
                Input::Timer {
                    journey: &key.journey,
                },
                key.due,
            );
            if state == before && records.is_empty() {
                // A timer that changes nothing would fire forever.
                return Err(RunError::Store(StoreError(format!(
                    "timer {key:?} is stuck"
                ))));
            }
            self.commit(vec![state], records, None)?;
        }
        Ok(())
    }

    fn audience_read(&mut self, key: TimerKey) -> Result<(), RunError> {
        let now = key.due;
        let cj = self.journeys.version(&key.journey, key.version);
        let (audience, every) = match cj.and_then(|cj| cj.journey.nodes.get(&cj.journey.start)) {
            Some(Node::Audience {
                audience, every, ..
            }) => (audience.clone(), *every),
            _ => (String::new(), None),
        };
        let live = self
            .journeys
            .live(&key.journey, now)
            .is_some_and(|l| l.journey.version == key.version);
        let mut next = Vec::new();
        if let Some(due) = every.and_then(|every| crate::state::later(now, every)) {
            next.push(read_key(due, &key.journey, key.version));
        }
        // The read itself is done once scheduled again; members enter below.
        self.store.commit(Commit {
            reads_done: vec![key.clone()],
            reads_scheduled: next,
            ..Default::default()
        })?;
        if !live || audience.is_empty() {
            return Ok(());
        }
        for member in self.store.audience_members(&audience)? {
            let state = self.state(&member)?;
            let input = Input::Audience {
                journey: &key.journey,
                version: key.version,
            };
            let (state, records) = engine::step(&self.journeys, state, input, now);
            self.commit(vec![state], records, None)?;
        }
        Ok(())
    }

    fn commit(
        &mut self,
        profiles: Vec<ProfileState>,
        records: Vec<Record>,
        cursor: Option<u64>,
    ) -> Result<(), RunError> {
        let count = records.len();
        self.store.commit(Commit {
            profiles,
            cursor,
            records: count,
            ..Default::default()
        })?;
        self.write(&records)
    }

    fn write(&mut self, records: &[Record]) -> Result<(), RunError> {
        for r in records {
            writeln!(self.out, "{}", r.to_line())
                .map_err(|e| RunError::Io(format!("cannot write the trace: {e}")))?;
        }
        self.summary.records += records.len() as u64;
        Ok(())
    }

    fn input_error(&mut self, line: u64, message: &str) -> Result<(), RunError> {
        self.summary.input_errors += 1;
        let now = self.clock.unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
        let record = Record::input_error(now, line, message);
        self.store.commit(Commit {
            cursor: Some(line),
            records: 1,
            ..Default::default()
        })?;
        self.write(&[record])
    }
}

fn read_key(due: DateTime<Utc>, journey: &str, version: i64) -> TimerKey {
    TimerKey {
        due,
        journey: journey.to_string(),
        version,
        profile: String::new(),
        instance: String::new(),
    }
}

fn trim_line(buf: &[u8]) -> &[u8] {
    let mut end = buf.len();
    while end > 0 && matches!(buf[end - 1], b'\n' | b'\r') {
        end -= 1;
    }
    &buf[..end]
}

fn merge_audiences(profile: &mut Profile, audiences: Option<&Json>) -> Result<(), String> {
    let Some(a) = audiences else { return Ok(()) };
    let map = a
        .as_object()
        .ok_or("`audiences` must map audience names to statuses")?;
    for (name, status) in map {
        let status = status.as_str().ok_or_else(|| {
            format!("audience `{name}`: the status is a string (`realized`, `existing`, `exited`)")
        })?;
        profile.audiences.insert(name.clone(), status.to_string());
    }
    Ok(())
}

fn fetches(list: &Json) -> Result<Vec<Fetch>, String> {
    let items = list.as_array().ok_or("`fetches` must be a list")?;
    let mut out = Vec::new();
    for (i, f) in items.iter().enumerate() {
        let s = |k: &str| {
            f.get(k)
                .and_then(Json::as_str)
                .map(str::to_string)
                .ok_or(format!("fetches[{i}]: missing `{k}`"))
        };
        out.push(Fetch {
            data_source: s("dataSource")?,
            field_group: s("fieldGroup")?,
            params: f
                .get("params")
                .and_then(Json::as_object)
                .cloned()
                .unwrap_or_default(),
            data: f.get("data").cloned().unwrap_or(Json::Null),
        });
    }
    Ok(out)
}
