//! What an evaluation reads: events, data-source data (through a trait, so a
//! journey runner can fetch lazily), audiences, journey properties, the clock,
//! the journey's time zone, a seed, and a work limit.

use crate::temporal::{self, Zone};
use crate::value::Value;
use chrono::{DateTime, Utc};
use serde_json::Value as Json;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

/// Reads data-source field groups. The data may be borrowed from the source
/// (data it holds) or shared (`Arc`), so a source can fetch lazily and cache:
///
/// ```
/// use jexpr::{Catalog, Compiler, Context, DataSource, FetchError, Fetched, Value};
/// use serde_json::{json, Value as Json};
/// use std::cell::{Cell, RefCell};
/// use std::collections::HashMap;
/// use std::rc::Rc;
/// use std::sync::Arc;
///
/// /// Fetches a field group on first use (here: builds it) and keeps it.
/// struct Lazy {
///     cache: RefCell<HashMap<(String, String), Arc<Json>>>,
///     fetches: Rc<Cell<u32>>,
/// }
///
/// impl DataSource for Lazy {
///     fn fetch(&self, source: &str, group: &str, _: &[(&str, Value<'_>)]) -> Result<Option<Fetched<'_>>, FetchError> {
///         if source != "Crm" {
///             return Err(FetchError::new(format!("no connection to `{source}`")));
///         }
///         let key = (source.to_string(), group.to_string());
///         let data = self.cache.borrow_mut().entry(key).or_insert_with(|| {
///             self.fetches.set(self.fetches.get() + 1);
///             Arc::new(json!({"tier": "gold", "points": 1200}))
///         }).clone();
///         Ok(Some(Fetched::Shared(data)))
///     }
/// }
///
/// let catalog = Catalog::from_json(
///     &json!({"dataSources": {"Crm": {"Profile": {"fields": {"tier": "string", "points": "integer"}}}}}),
///     std::path::Path::new("catalog.json"),
/// ).unwrap();
/// let program = Compiler::new(&catalog)
///     .compile(r#"#{Crm.Profile.tier} == "gold" and #{Crm.Profile.points} > 1000"#)
///     .unwrap();
/// let fetches = Rc::new(Cell::new(0));
/// let source = Lazy { cache: RefCell::new(HashMap::new()), fetches: fetches.clone() };
/// let ctx = Context::builder().data(source).build();
/// for _ in 0..3 {
///     assert!(program.eval_condition(&ctx).unwrap());
/// }
/// assert_eq!(fetches.get(), 1); // fetched once, then served from the cache
/// ```
pub trait DataSource {
    /// The data of `source`/`group` for these parameters; `Ok(None)` when
    /// there is none (every path into it evaluates to null); `Err` when the
    /// fetch failed (an evaluation error of kind `dataSource`, located at the
    /// field reference).
    fn fetch(
        &self,
        source: &str,
        group: &str,
        params: &[(&str, Value<'_>)],
    ) -> Result<Option<Fetched<'_>>, FetchError>;
}

/// Data returned by a [`DataSource`].
pub enum Fetched<'a> {
    /// Data the source holds.
    Borrowed(&'a Json),
    /// Data shared with the source (a cache entry, a fresh fetch).
    Shared(Arc<Json>),
}

/// Why a data source could not fetch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchError(String);

impl FetchError {
    /// A failure described by `message`.
    pub fn new(message: impl Into<String>) -> FetchError {
        FetchError(message.into())
    }
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FetchError {}

/// Shared data fetched during evaluations with one context, kept alive as
/// long as the context so values can borrow from it. Each `Arc` is kept once.
#[derive(Default)]
pub(crate) struct KeptData(RefCell<Vec<Arc<Json>>>);

impl KeptData {
    /// Keeps `data` and lends it for as long as `self` lives.
    pub(crate) fn keep(&self, data: Arc<Json>) -> &Json {
        let ptr: *const Json = Arc::as_ptr(&data);
        let mut kept = self.0.borrow_mut();
        if !kept.iter().rev().any(|k| Arc::ptr_eq(k, &data)) {
            kept.push(data);
        }
        // SAFETY: `ptr` points into an `Arc` allocation now owned by `kept`.
        // Entries are only ever pushed, never removed or replaced, until
        // `self` is dropped, and moving an `Arc` within the vector does not
        // move the `Json` it points to; so the data outlives the returned
        // borrow of `self`. (The same reasoning as `elsa::FrozenVec`.)
        unsafe { &*ptr }
    }
}

/// Data sources given as a JSON object `{source: {group: data}}` (section 9);
/// parameters are ignored.
pub struct StaticData<'a>(pub Option<&'a serde_json::Map<String, Json>>);

impl DataSource for StaticData<'_> {
    fn fetch(
        &self,
        source: &str,
        group: &str,
        _: &[(&str, Value<'_>)],
    ) -> Result<Option<Fetched<'_>>, FetchError> {
        Ok(self
            .0
            .and_then(|m| m.get(source))
            .and_then(|s| s.get(group))
            .map(Fetched::Borrowed))
    }
}

/// Another context's data source, borrowed.
pub struct Borrowed<'a>(pub &'a dyn DataSource);

impl DataSource for Borrowed<'_> {
    fn fetch(
        &self,
        source: &str,
        group: &str,
        params: &[(&str, Value<'_>)],
    ) -> Result<Option<Fetched<'_>>, FetchError> {
        self.0.fetch(source, group, params)
    }
}

/// Default work limit: instructions executed plus collection elements visited.
pub const DEFAULT_FUEL: u64 = 10_000_000;

/// Everything one evaluation reads. Build it with [`Context::builder`], from
/// the JSON form of LANGUAGE.md section 9 with [`Context::from_json`], or
/// field by field.
pub struct Context<'a> {
    /// Event name → payload. A list, not a map: contexts hold a few events,
    /// and comparing short names beats hashing them.
    pub events: Vec<(&'a str, &'a Json)>,
    /// Action name → its last response (`@action{…}`), for contexts built
    /// from JSON or by [`ContextBuilder::action`]; a runner may instead keep
    /// responses among `events` under [`crate::action_key`].
    pub actions: Vec<(&'a str, &'a Json)>,
    /// Data sources (`#{…}`).
    pub data: Box<dyn DataSource + 'a>,
    /// Audience name → membership status (`realized`, `existing`, `exited`, …).
    pub audiences: HashMap<&'a str, &'a str>,
    /// Journey properties (`@{journey.…}`) by name.
    pub journey: HashMap<&'a str, &'a Json>,
    /// The clock: `now()` for this evaluation (the runner's virtual time).
    pub now: DateTime<Utc>,
    /// The journey's time zone (turns a `dateTimeOnly` wait target into an instant).
    pub time_zone: Zone,
    /// Seed of `random()` and `uuid()`.
    pub seed: u64,
    /// Work limit: instructions executed plus collection elements visited.
    pub fuel: u64,
    /// Shared data fetched so far (values borrow from it).
    pub(crate) kept: KeptData,
}

/// Builds a [`Context`] step by step; unset parts are empty, the clock is
/// the Unix epoch, the zone UTC and the fuel [`DEFAULT_FUEL`].
///
/// ```
/// use jexpr::{Catalog, Compiler, Context};
/// let order = serde_json::json!({"total": 120.5});
/// let profile = serde_json::json!({"Profile": {"tier": "gold"}});
/// let ctx = Context::builder()
///     .event("Order", &order)
///     .data_source("ExperiencePlatform", &profile)
///     .audience("vip", "realized")
///     .now(jexpr::time::parse_instant("2024-05-01T10:00:00Z").unwrap())
///     .build();
/// let doc = serde_json::json!({"events": {"Order": order}, "dataSources": {"ExperiencePlatform": profile}});
/// let catalog = Catalog::infer(&doc);
/// let program = Compiler::new(&catalog)
///     .compile(r#"@{Order.total} > 100.0 and #{ExperiencePlatform.Profile.tier} == "gold" and inAudience("vip")"#)
///     .unwrap();
/// assert!(program.eval_condition(&ctx).unwrap());
/// ```
#[derive(Default)]
pub struct ContextBuilder<'a> {
    ctx: Context<'a>,
    borrowed_sources: Vec<(&'a str, &'a Json)>,
}

impl<'a> ContextBuilder<'a> {
    /// Adds (or replaces) the payload of event `name`.
    pub fn event(mut self, name: &'a str, payload: &'a Json) -> Self {
        self.ctx.events.retain(|(n, _)| *n != name);
        self.ctx.events.push((name, payload));
        self
    }

    /// Sets the last response of action `name` (`@action{name.…}`).
    pub fn action(mut self, name: &'a str, response: &'a Json) -> Self {
        self.ctx.actions.retain(|(n, _)| *n != name);
        self.ctx.actions.push((name, response));
        self
    }

    /// Adds data source `name` as JSON `{fieldGroup: data}` (parameters ignored).
    pub fn data_source(mut self, name: &'a str, groups: &'a Json) -> Self {
        self.borrowed_sources.push((name, groups));
        self
    }

    /// Uses `source` for every `#{…}` read (replacing [`Self::data_source`]s).
    pub fn data(mut self, source: impl DataSource + 'a) -> Self {
        self.ctx.data = Box::new(source);
        self.borrowed_sources.clear();
        self
    }

    /// Sets the profile's status for an audience (`realized`, `existing`, `exited`).
    pub fn audience(mut self, name: &'a str, status: &'a str) -> Self {
        self.ctx.audiences.insert(name, status);
        self
    }

    /// Sets journey property `name` (`@{journey.name}`).
    pub fn journey(mut self, name: &'a str, value: &'a Json) -> Self {
        self.ctx.journey.insert(name, value);
        self
    }

    /// Sets the clock (`now()`).
    pub fn now(mut self, now: DateTime<Utc>) -> Self {
        self.ctx.now = now;
        self
    }

    /// Sets the journey's time zone.
    pub fn time_zone(mut self, zone: Zone) -> Self {
        self.ctx.time_zone = zone;
        self
    }

    /// Sets the seed of `random()` and `uuid()`.
    pub fn seed(mut self, seed: u64) -> Self {
        self.ctx.seed = seed;
        self
    }

    /// Sets the work limit.
    pub fn fuel(mut self, fuel: u64) -> Self {
        self.ctx.fuel = fuel;
        self
    }

    /// The context.
    pub fn build(self) -> Context<'a> {
        let mut ctx = self.ctx;
        if !self.borrowed_sources.is_empty() {
            ctx.data = Box::new(Sources(self.borrowed_sources));
        }
        ctx
    }
}

/// Data sources given one by one to the builder.
struct Sources<'a>(Vec<(&'a str, &'a Json)>);

impl DataSource for Sources<'_> {
    fn fetch(
        &self,
        source: &str,
        group: &str,
        _: &[(&str, Value<'_>)],
    ) -> Result<Option<Fetched<'_>>, FetchError> {
        Ok(self
            .0
            .iter()
            .find(|(n, _)| *n == source)
            .and_then(|(_, groups)| groups.get(group))
            .map(Fetched::Borrowed))
    }
}

impl Default for Context<'_> {
    fn default() -> Self {
        Context {
            events: Vec::new(),
            actions: Vec::new(),
            data: Box::new(StaticData(None)),
            audiences: HashMap::new(),
            journey: HashMap::new(),
            now: DateTime::<Utc>::UNIX_EPOCH,
            time_zone: Zone::utc(),
            seed: 0,
            fuel: DEFAULT_FUEL,
            kept: KeptData::default(),
        }
    }
}

impl<'a> Context<'a> {
    /// A builder, starting from [`Context::default`].
    pub fn builder() -> ContextBuilder<'a> {
        ContextBuilder::default()
    }

    /// A context from its JSON form (section 9), borrowing the data.
    pub fn from_json(doc: &'a Json) -> Result<Context<'a>, ContextError> {
        let root = doc
            .as_object()
            .ok_or("a context is a JSON object (docs/language.md, Tools)")?;
        let mut ctx = Context::default();
        // Messages name the place like catalog errors: a JSON pointer.
        const KEYS: [&str; 9] = [
            "now",
            "timeZone",
            "events",
            "actions",
            "dataSources",
            "audiences",
            "journey",
            "seed",
            "fuel",
        ];
        for key in root.keys() {
            if !KEYS.contains(&key.as_str()) {
                let hint = crate::suggest::closest(key, KEYS.iter().copied())
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_else(|| format!(" (a context has {})", KEYS.join(", ")));
                return Err(format!("at /{key}: unknown context key `{key}`{hint}").into());
            }
        }
        let object = |key: &str| -> Result<Option<&'a serde_json::Map<String, Json>>, String> {
            match root.get(key) {
                None | Some(Json::Null) => Ok(None),
                Some(Json::Object(m)) => Ok(Some(m)),
                Some(other) => Err(format!(
                    "at /{key}: `{key}` must be an object, found {}",
                    json_kind(other)
                )),
            }
        };
        if let Some(now) = root.get("now") {
            let text = now
                .as_str()
                .ok_or("at /now: `now` must be an RFC 3339 string")?;
            ctx.now = parse_now(text).map_err(|e| format!("at /now: {e}"))?;
        }
        if let Some(tz) = root.get("timeZone") {
            let text = tz
                .as_str()
                .ok_or("at /timeZone: `timeZone` must be a zone id string")?;
            ctx.time_zone = temporal::parse_zone(text)
                .ok_or_else(|| format!("at /timeZone: {}", temporal::unknown_zone_message(text)))?;
        }
        if let Some(events) = object("events")? {
            for (name, payload) in events {
                if !payload.is_object() {
                    return Err(format!(
                        "at /events/{}: the payload of event `{name}` must be an object, found {}",
                        pointer_token(name),
                        json_kind(payload)
                    )
                    .into());
                }
            }
            ctx.events = events.iter().map(|(k, v)| (k.as_str(), v)).collect();
        }
        if let Some(actions) = object("actions")? {
            for (name, response) in actions {
                if !response.is_object() {
                    return Err(format!(
                        "at /actions/{}: the response of action `{name}` must be an object, found {}",
                        pointer_token(name),
                        json_kind(response)
                    )
                    .into());
                }
            }
            ctx.actions = actions.iter().map(|(k, v)| (k.as_str(), v)).collect();
        }
        let sources = object("dataSources")?;
        for (source, groups) in sources.into_iter().flatten() {
            let Some(groups) = groups.as_object() else {
                return Err(format!(
                    "at /dataSources/{}: data source `{source}` must map field groups to their data, found {}",
                    pointer_token(source),
                    json_kind(groups)
                )
                .into());
            };
            for (group, data) in groups {
                if !data.is_object() {
                    return Err(format!(
                        "at /dataSources/{}/{}: field group `{group}` must be an object, found {}",
                        pointer_token(source),
                        pointer_token(group),
                        json_kind(data)
                    )
                    .into());
                }
            }
        }
        ctx.data = Box::new(StaticData(sources));
        if let Some(audiences) = object("audiences")? {
            const STATUSES: [&str; 3] = ["realized", "existing", "exited"];
            for (name, status) in audiences {
                let at = format!("at /audiences/{}", pointer_token(name));
                let status = status.as_str().ok_or_else(|| {
                    format!("{at}: the status of audience `{name}` is a string (realized, existing, exited)")
                })?;
                if !STATUSES.contains(&status) {
                    let hint = crate::suggest::closest(status, STATUSES.iter().copied())
                        .map(|s| format!("did you mean `{s}`?"))
                        .unwrap_or_else(|| "it is one of realized, existing, exited".into());
                    return Err(
                        format!("{at}: `{status}` is not an audience status ({hint})").into(),
                    );
                }
                ctx.audiences.insert(name.as_str(), status);
            }
        }
        if let Some(journey) = object("journey")? {
            ctx.journey = journey.iter().map(|(k, v)| (k.as_str(), v)).collect();
        }
        if let Some(seed) = root.get("seed") {
            ctx.seed = seed
                .as_u64()
                .ok_or("at /seed: `seed` must be a non-negative integer")?;
        }
        if let Some(fuel) = root.get("fuel") {
            ctx.fuel = fuel
                .as_u64()
                .ok_or("at /fuel: `fuel` must be a non-negative integer")?;
        }
        Ok(ctx)
    }

    /// The payload of event `name`.
    pub fn event(&self, name: &str) -> Option<&'a Json> {
        if let Some(action) = name.strip_prefix(crate::ACTION_PREFIX) {
            if let Some((_, j)) = self.actions.iter().find(|(n, _)| *n == action) {
                return Some(*j);
            }
        }
        self.events
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, j)| *j)
    }

    /// Is the profile in this audience (`realized` or `existing`)?
    pub fn in_audience(&self, name: &str) -> bool {
        matches!(self.audiences.get(name), Some(&"realized" | &"existing"))
    }
}

/// What kind of JSON value this is, for messages.
fn json_kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    }
}

/// A key as a JSON pointer token (RFC 6901: `~` → `~0`, `/` → `~1`).
fn pointer_token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Parses a clock value: RFC 3339 with an offset or `Z`.
pub fn parse_now(text: &str) -> Result<DateTime<Utc>, ContextError> {
    temporal::parse_date_time(text)
        .map(|d| d.instant)
        .ok_or_else(|| {
            ContextError::from(format!(
                "`{text}` is not an RFC 3339 date-time (e.g. 2024-05-01T10:00:00Z)"
            ))
        })
}

/// A context (or clock value) that is not what LANGUAGE.md section 9 describes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContextError(String);

impl std::fmt::Display for ContextError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ContextError {}

impl From<String> for ContextError {
    fn from(message: String) -> ContextError {
        ContextError(message)
    }
}

impl From<&str> for ContextError {
    fn from(message: &str) -> ContextError {
        ContextError(message.to_string())
    }
}
