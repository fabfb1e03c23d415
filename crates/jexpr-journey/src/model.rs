//! The journey file (JOURNEYS.md section 1) read into typed nodes, with every
//! shape problem reported against its JSON pointer rather than the first one.

use crate::problem::Problem;
use chrono::{DateTime, Utc};
use jexpr::time::{self, Zone};
use serde_json::{Map, Value as Json};
use std::collections::BTreeMap;

/// The shortest interval between two reads of an audience (`every`).
pub const MIN_AUDIENCE_EVERY_MS: i64 = 3_600_000;

/// Waits and reaction timeouts may not exceed this (section 4).
pub const MAX_WAIT_MS: i64 = 90 * 24 * 3600 * 1000;

/// An expression of a journey: its text and where it is in the file.
#[derive(Clone, Debug, PartialEq)]
pub struct ExprSrc {
    /// The expression text.
    pub source: String,
    /// JSON pointer of the string in the journey file.
    pub pointer: String,
}

/// One path of a condition node.
#[derive(Clone, Debug)]
pub struct CondPath {
    /// Label (default `"1"`, `"2"`, …).
    pub label: String,
    /// The boolean condition.
    pub when: ExprSrc,
    /// The node taken when it holds.
    pub next: String,
}

/// One path of a split node.
#[derive(Clone, Debug)]
pub struct SplitPath {
    /// Label.
    pub label: String,
    /// Share of profiles, 1–100.
    pub percent: u32,
    /// The node taken.
    pub next: String,
}

/// One event a reaction waits for.
#[derive(Clone, Debug)]
pub struct ReactionEvent {
    /// Catalog event name.
    pub event: String,
    /// Extra condition on the event.
    pub when: Option<ExprSrc>,
    /// The node taken.
    pub next: String,
}

/// The node types of section 1.
#[derive(Clone, Debug)]
pub enum Node {
    /// Entry by a unitary event.
    Event {
        /// Catalog event name.
        event: String,
        /// Extra condition.
        when: Option<ExprSrc>,
        /// Next node.
        next: String,
    },
    /// Entry by reading an audience.
    Audience {
        /// Audience name.
        audience: String,
        /// First read.
        at: DateTime<Utc>,
        /// Interval between reads (ms).
        every: Option<i64>,
        /// Next node.
        next: String,
    },
    /// First matching path.
    Condition {
        /// Paths in order.
        paths: Vec<CondPath>,
        /// Taken when no path matches.
        otherwise: Option<String>,
        /// Taken on an evaluation error.
        on_error: Option<String>,
    },
    /// Percentage split.
    Split {
        /// Paths.
        paths: Vec<SplitPath>,
    },
    /// Wait for a duration or until a time.
    Wait {
        /// Fixed duration (ms).
        duration: Option<i64>,
        /// A `dateTimeOnly` or `dateTime` expression.
        until: Option<ExprSrc>,
        /// Next node.
        next: String,
        /// Taken on an evaluation error of `until`.
        on_error: Option<String>,
    },
    /// Wait for an event, with a timeout.
    Reaction {
        /// The events waited for.
        events: Vec<ReactionEvent>,
        /// Timeout (ms).
        timeout: i64,
        /// Taken at the timeout.
        on_timeout: String,
    },
    /// Deliver an action.
    Action {
        /// Catalog action name.
        action: String,
        /// Parameter expressions by name.
        params: Vec<(String, ExprSrc)>,
        /// Next node.
        next: String,
        /// Taken on an evaluation or delivery error.
        on_error: Option<String>,
    },
    /// Also enter another journey.
    Jump {
        /// Target journey id.
        journey: String,
        /// Field → expression, evaluated in this journey: the payload of
        /// the target's start event (as the reference maps the target's
        /// first-event fields).
        params: Vec<(String, ExprSrc)>,
        /// Next node.
        next: String,
        /// Taken when the target refuses the profile.
        on_error: Option<String>,
    },
    /// Leave the journey.
    End,
}

impl Node {
    /// The type name as written in the file.
    pub fn type_name(&self) -> &'static str {
        match self {
            Node::Event { .. } => "event",
            Node::Audience { .. } => "audience",
            Node::Condition { .. } => "condition",
            Node::Split { .. } => "split",
            Node::Wait { .. } => "wait",
            Node::Reaction { .. } => "reaction",
            Node::Action { .. } => "action",
            Node::Jump { .. } => "jump",
            Node::End => "end",
        }
    }

    /// Every node this one can lead to, with the key naming it.
    pub fn successors(&self) -> Vec<(String, &str)> {
        let mut out: Vec<(String, &str)> = Vec::new();
        match self {
            Node::Event { next, .. } | Node::Audience { next, .. } => {
                out.push(("/next".into(), next))
            }
            Node::Condition {
                paths,
                otherwise,
                on_error,
            } => {
                for (i, p) in paths.iter().enumerate() {
                    out.push((format!("/paths/{i}/next"), &p.next));
                }
                if let Some(o) = otherwise {
                    out.push(("/otherwise".into(), o));
                }
                if let Some(o) = on_error {
                    out.push(("/onError".into(), o));
                }
            }
            Node::Split { paths } => {
                for (i, p) in paths.iter().enumerate() {
                    out.push((format!("/paths/{i}/next"), &p.next));
                }
            }
            Node::Wait { next, on_error, .. }
            | Node::Action { next, on_error, .. }
            | Node::Jump { next, on_error, .. } => {
                out.push(("/next".into(), next));
                if let Some(o) = on_error {
                    out.push(("/onError".into(), o));
                }
            }
            Node::Reaction {
                events, on_timeout, ..
            } => {
                for (i, e) in events.iter().enumerate() {
                    out.push((format!("/events/{i}/next"), &e.next));
                }
                out.push(("/onTimeout".into(), on_timeout));
            }
            Node::End => {}
        }
        out
    }

    /// Whether a profile stops here (a wait or a reaction).
    pub fn pauses(&self) -> bool {
        matches!(self, Node::Wait { .. } | Node::Reaction { .. })
    }
}

/// Re-entrance rules.
#[derive(Clone, Debug, PartialEq)]
pub struct Reentrance {
    /// Whether a profile may enter again after leaving.
    pub allowed: bool,
    /// Least time between two entries (ms).
    pub wait_period: i64,
}

/// One journey version.
#[derive(Clone, Debug)]
pub struct Journey {
    /// The file it was read from (for messages).
    pub file: String,
    /// Journey id.
    pub id: String,
    /// Version number (≥ 1).
    pub version: i64,
    /// Display name.
    pub name: String,
    /// Time zone id as written.
    pub time_zone_name: String,
    /// The zone.
    pub time_zone: Zone,
    /// When this version goes live.
    pub published_at: DateTime<Utc>,
    /// Re-entrance rules; `None`: no re-entrance.
    pub reentrance: Option<Reentrance>,
    /// Seed of the split hash.
    pub seed: u64,
    /// How long an action's call may take, retries included (milliseconds;
    /// `actionTimeout`, 1–30 s, default 30 s).
    pub action_timeout: i64,
    /// Entry node id.
    pub start: String,
    /// Nodes by id, in id order.
    pub nodes: BTreeMap<String, Node>,
}

/// `actionTimeout` when a journey gives none: 30 s, as the reference.
pub const DEFAULT_ACTION_TIMEOUT_MS: i64 = 30_000;

/// Escapes a key for a JSON pointer (RFC 6901).
pub fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Reads the journey JSON of `file`; shape problems go to `problems`, and a
/// journey is returned only when its shape is sound enough to check further.
pub fn read(file: &str, doc: &Json, problems: &mut Vec<Problem>) -> Option<Journey> {
    let before = problems.len();
    let mut r = Reader { file, problems };
    let root = r.object(doc, "")?;
    r.keys(root, "", keys::JOURNEY, "a journey");
    let id = r.string(root, "", "id", true).unwrap_or_default();
    if root.contains_key("id")
        && (id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)))
    {
        r.error(
            "J003",
            "/id",
            format!("journey id `{id}` must be letters, digits, `_`, `-` or `.`"),
        );
    }
    let version = match root.get("version") {
        Some(v) => match v.as_i64() {
            Some(n) if n >= 1 => n,
            _ => {
                r.error(
                    "J003",
                    "/version",
                    format!("`version` must be an integer ≥ 1, found {v}"),
                );
                1
            }
        },
        None => {
            r.error("J002", "", "missing `version` (an integer ≥ 1)");
            1
        }
    };
    let name = r
        .string(root, "", "name", false)
        .unwrap_or_else(|| id.clone());
    let time_zone_name = r
        .string(root, "", "timeZone", false)
        .unwrap_or_else(|| "UTC".into());
    let time_zone = match time::parse_zone(&time_zone_name) {
        Some(z) => z,
        None => {
            r.error_help(
                "J061",
                "/timeZone",
                format!("unknown time zone `{time_zone_name}`"),
                time::unknown_zone_help(&time_zone_name).unwrap_or_else(|| {
                    "use an IANA zone id such as `Europe/Paris`, or `UTC`".into()
                }),
            );
            Zone::utc()
        }
    };
    let published_at = match r.string(root, "", "publishedAt", false) {
        Some(text) => r
            .instant(&text, "/publishedAt")
            .unwrap_or(DateTime::<Utc>::MIN_UTC),
        None => DateTime::<Utc>::MIN_UTC,
    };
    let reentrance = root.get("reentrance").and_then(|v| {
        let o = r.object(v, "/reentrance")?;
        r.keys(o, "/reentrance", keys::REENTRANCE, "`reentrance`");
        let allowed = match o.get("allowed") {
            Some(Json::Bool(b)) => *b,
            Some(other) => {
                r.error(
                    "J003",
                    "/reentrance/allowed",
                    format!("`allowed` must be true or false, found {other}"),
                );
                false
            }
            None => {
                r.error("J002", "/reentrance", "missing `allowed` (true or false)");
                false
            }
        };
        let wait_period = match r.string(o, "/reentrance", "waitPeriod", false) {
            Some(text) => r
                .duration(&text, "/reentrance/waitPeriod", false)
                .unwrap_or(0),
            None => 0,
        };
        Some(Reentrance {
            allowed,
            wait_period,
        })
    });
    let seed = match root.get("seed") {
        None => 0,
        Some(v) => v
            .as_u64()
            .or_else(|| v.as_i64().map(|i| i as u64))
            .unwrap_or_else(|| {
                r.error(
                    "J002",
                    "/seed",
                    format!("`seed` must be an integer, found {v}"),
                );
                0
            }),
    };
    let action_timeout = match r.string(root, "", "actionTimeout", false) {
        None => DEFAULT_ACTION_TIMEOUT_MS,
        Some(text) => match r.duration(&text, "/actionTimeout", false) {
            Some(ms) if (1000..=30_000).contains(&ms) => ms,
            Some(_) => {
                r.error_help(
                    "J065",
                    "/actionTimeout",
                    format!("`actionTimeout` must be between 1 and 30 seconds, not `{text}`"),
                    "e.g. `PT5S`; calls and their retries share this time",
                );
                DEFAULT_ACTION_TIMEOUT_MS
            }
            None => DEFAULT_ACTION_TIMEOUT_MS,
        },
    };
    let start = r.string(root, "", "start", true).unwrap_or_default();
    let mut nodes = BTreeMap::new();
    match root.get("nodes") {
        None => {
            r.error("J002", "", "missing `nodes` (an object of node id → node)");
        }
        Some(v) => {
            if let Some(obj) = r.object(v, "/nodes") {
                if obj.is_empty() {
                    r.error("J002", "/nodes", "a journey needs at least one node");
                }
                for (nid, node) in obj {
                    let ptr = format!("/nodes/{}", escape(nid));
                    if let Some(n) = r.node(node, &ptr) {
                        nodes.insert(nid.clone(), n);
                    }
                }
            }
        }
    }
    if blocking(&problems[before..]) {
        return None;
    }
    Some(Journey {
        file: file.to_string(),
        id,
        version,
        name,
        time_zone_name,
        time_zone,
        published_at,
        reentrance,
        seed,
        action_timeout,
        start,
        nodes,
    })
}

struct Reader<'a> {
    file: &'a str,
    problems: &'a mut Vec<Problem>,
}

impl Reader<'_> {
    fn error(
        &mut self,
        code: &str,
        pointer: &str,
        message: impl Into<String>,
    ) -> Option<&mut Problem> {
        self.problems
            .push(Problem::error(code, self.file, pointer, message));
        self.problems.last_mut()
    }

    fn error_help(
        &mut self,
        code: &str,
        pointer: &str,
        message: impl Into<String>,
        help: impl Into<String>,
    ) {
        self.problems
            .push(Problem::error(code, self.file, pointer, message).with_help(help));
    }

    fn object<'j>(&mut self, v: &'j Json, ptr: &str) -> Option<&'j Map<String, Json>> {
        match v {
            Json::Object(o) => Some(o),
            other => {
                let what = if ptr.is_empty() {
                    "a journey"
                } else {
                    "this value"
                };
                self.error(
                    "J002",
                    ptr,
                    format!("{what} must be a JSON object, found {}", kind(other)),
                );
                None
            }
        }
    }

    /// Reports keys not in `allowed`, suggesting the closest.
    fn keys(&mut self, o: &Map<String, Json>, ptr: &str, allowed: &[&str], what: &str) {
        for key in o.keys() {
            if !allowed.contains(&key.as_str()) {
                let hint = jexpr::authoring::closest(key, allowed.iter().copied())
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| format!("{what} has {}", list(allowed)));
                self.error_help(
                    "J003",
                    &format!("{ptr}/{}", escape(key)),
                    format!("unknown key `{key}` in {what}"),
                    hint,
                );
            }
        }
    }

    fn string(
        &mut self,
        o: &Map<String, Json>,
        ptr: &str,
        key: &str,
        required: bool,
    ) -> Option<String> {
        match o.get(key) {
            Some(Json::String(s)) => Some(s.clone()),
            Some(other) => {
                self.error(
                    "J002",
                    &format!("{ptr}/{key}"),
                    format!("`{key}` must be a string, found {}", kind(other)),
                );
                None
            }
            None => {
                if required {
                    self.error("J002", ptr, format!("missing `{key}`"));
                }
                None
            }
        }
    }

    fn expr(
        &mut self,
        o: &Map<String, Json>,
        ptr: &str,
        key: &str,
        required: bool,
    ) -> Option<ExprSrc> {
        self.string(o, ptr, key, required).map(|source| ExprSrc {
            source,
            pointer: format!("{ptr}/{key}"),
        })
    }

    fn instant(&mut self, text: &str, ptr: &str) -> Option<DateTime<Utc>> {
        match time::parse_instant(text) {
            Ok(t) => Some(t),
            Err(_) => {
                self.error_help(
                    "J063",
                    ptr,
                    format!("`{text}` is not an RFC 3339 date-time"),
                    "write e.g. `2024-05-01T00:00:00Z`",
                );
                None
            }
        }
    }

    /// An ISO-8601 duration in ms; `bounded` also requires 0 < d ≤ 90 days.
    fn duration(&mut self, text: &str, ptr: &str, bounded: bool) -> Option<i64> {
        let Some(ms) = time::parse_duration(text) else {
            // `P3M`, `P1Y`, `P1W`: ISO-8601, but their length depends on
            // the calendar (or is not one the language has).
            let date_part = text
                .trim_start_matches(['-', '+'])
                .strip_prefix(['P', 'p'])
                .map(|rest| rest.split(['T', 't']).next().unwrap_or(""))
                .unwrap_or("");
            let calendar = date_part.contains(['Y', 'y', 'M', 'm', 'W', 'w']);
            let (message, help) = if calendar {
                (
                    format!("`{text}` counts months, years or weeks: a duration here is days, hours, minutes and seconds (months and years have no fixed length)"),
                    "say it in days, e.g. `P90D` for about three months, or `P7D` for a week",
                )
            } else {
                (
                    format!("`{text}` is not an ISO-8601 duration"),
                    "write e.g. `P3D`, `PT12H` or `PT30M`",
                )
            };
            self.error_help("J062", ptr, message, help);
            return None;
        };
        if bounded && (ms <= 0 || ms > MAX_WAIT_MS) {
            self.error(
                "J060",
                ptr,
                format!("`{text}` must be positive and at most 90 days"),
            );
            return None;
        }
        if ms < 0 {
            self.error("J060", ptr, format!("`{text}` must not be negative"));
            return None;
        }
        Some(ms)
    }

    fn node(&mut self, v: &Json, ptr: &str) -> Option<Node> {
        let o = self.object(v, ptr)?;
        let ty = match o.get("type") {
            Some(Json::String(t)) => t.as_str(),
            Some(other) => {
                self.error(
                    "J002",
                    &format!("{ptr}/type"),
                    format!("`type` must be a string, found {}", kind(other)),
                );
                return None;
            }
            None => {
                self.error_help(
                    "J002",
                    ptr,
                    "missing `type`",
                    format!("a node's type is one of {}", list(TYPES)),
                );
                return None;
            }
        };
        let allowed: &[&str] = match keys::node(ty) {
            Some(allowed) => allowed,
            None => {
                let other = ty;
                let hint = jexpr::authoring::closest(other, TYPES.iter().copied())
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| format!("a node's type is one of {}", list(TYPES)));
                self.error_help(
                    "J004",
                    &format!("{ptr}/type"),
                    format!("unknown node type `{other}`"),
                    hint,
                );
                return None;
            }
        };
        let article = if ty.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        self.keys(o, ptr, allowed, &format!("{article} `{ty}` node"));
        let before = self.problems.len();
        let next = |r: &mut Self| r.string(o, ptr, "next", true).unwrap_or_default();
        let on_error = |r: &mut Self| r.string(o, ptr, "onError", false);
        let node = match ty {
            "event" => Node::Event {
                event: self.string(o, ptr, "event", true).unwrap_or_default(),
                when: self.expr(o, ptr, "when", false),
                next: next(self),
            },
            "audience" => {
                let audience = self.string(o, ptr, "audience", true).unwrap_or_default();
                let at = self
                    .string(o, ptr, "at", true)
                    .and_then(|t| self.instant(&t, &format!("{ptr}/at")))
                    .unwrap_or(DateTime::<Utc>::MIN_UTC);
                let every = self
                    .string(o, ptr, "every", false)
                    .and_then(|t| self.duration(&t, &format!("{ptr}/every"), false));
                if every.is_some_and(|ms| ms < MIN_AUDIENCE_EVERY_MS) {
                    // A read every second of a stream whose next line is
                    // years later is ~10⁹ reads before that line.
                    self.error(
                        "J060",
                        &format!("{ptr}/every"),
                        "`every` must be at least an hour (`PT1H`): an audience is read on a schedule, daily or weekly as a rule",
                    );
                }
                Node::Audience {
                    audience,
                    at,
                    every,
                    next: next(self),
                }
            }
            "condition" => {
                let mut paths = Vec::new();
                for (i, p) in self.list(o, ptr, "paths").iter().enumerate() {
                    let pp = format!("{ptr}/paths/{i}");
                    let Some(po) = self.object(p, &pp) else {
                        continue;
                    };
                    self.keys(po, &pp, keys::CONDITION_PATH, "a condition path");
                    let label = self
                        .string(po, &pp, "label", false)
                        .unwrap_or_else(|| (i + 1).to_string());
                    let when = self.expr(po, &pp, "when", true);
                    let next = self.string(po, &pp, "next", true).unwrap_or_default();
                    if let Some(when) = when {
                        paths.push(CondPath { label, when, next });
                    }
                }
                self.labels(paths.iter().map(|p| p.label.as_str()), ptr);
                Node::Condition {
                    paths,
                    otherwise: self.string(o, ptr, "otherwise", false),
                    on_error: on_error(self),
                }
            }
            "split" => {
                let mut paths = Vec::new();
                for (i, p) in self.list(o, ptr, "paths").iter().enumerate() {
                    let pp = format!("{ptr}/paths/{i}");
                    let Some(po) = self.object(p, &pp) else {
                        continue;
                    };
                    self.keys(po, &pp, keys::SPLIT_PATH, "a split path");
                    let label = self
                        .string(po, &pp, "label", false)
                        .unwrap_or_else(|| (i + 1).to_string());
                    let percent = match po.get("percent") {
                        Some(v) => match v.as_u64() {
                            Some(n @ 1..=100) => n as u32,
                            _ => {
                                self.error(
                                    "J040",
                                    &format!("{pp}/percent"),
                                    format!("a percent is an integer from 1 to 100, found {v}"),
                                );
                                0
                            }
                        },
                        None => {
                            self.error("J002", &pp, "missing `percent`");
                            0
                        }
                    };
                    let next = self.string(po, &pp, "next", true).unwrap_or_default();
                    paths.push(SplitPath {
                        label,
                        percent,
                        next,
                    });
                }
                let total: u32 = paths.iter().map(|p| p.percent).sum();
                if !paths.is_empty() && paths.iter().all(|p| p.percent > 0) && total != 100 {
                    self.error(
                        "J041",
                        &format!("{ptr}/paths"),
                        format!("split percents sum to {total}, not 100"),
                    );
                }
                self.labels(paths.iter().map(|p| p.label.as_str()), ptr);
                Node::Split { paths }
            }
            "wait" => {
                let duration = self
                    .string(o, ptr, "duration", false)
                    .and_then(|t| self.duration(&t, &format!("{ptr}/duration"), true));
                let until = self.expr(o, ptr, "until", false);
                if o.contains_key("duration") == o.contains_key("until") {
                    self.error(
                        "J002",
                        ptr,
                        "a `wait` node needs exactly one of `duration` and `until`",
                    );
                }
                let on_error = on_error(self);
                if on_error.is_some() && until.is_none() {
                    self.error(
                        "J003",
                        &format!("{ptr}/onError"),
                        "`onError` is for a wait with `until` (a duration cannot fail)",
                    );
                }
                Node::Wait {
                    duration,
                    until,
                    next: next(self),
                    on_error,
                }
            }
            "reaction" => {
                let mut events = Vec::new();
                for (i, e) in self.list(o, ptr, "events").iter().enumerate() {
                    let ep = format!("{ptr}/events/{i}");
                    let Some(eo) = self.object(e, &ep) else {
                        continue;
                    };
                    self.keys(eo, &ep, keys::REACTION_EVENT, "a reaction event");
                    events.push(ReactionEvent {
                        event: self.string(eo, &ep, "event", true).unwrap_or_default(),
                        when: self.expr(eo, &ep, "when", false),
                        next: self.string(eo, &ep, "next", true).unwrap_or_default(),
                    });
                }
                let timeout = self
                    .string(o, ptr, "timeout", true)
                    .and_then(|t| self.duration(&t, &format!("{ptr}/timeout"), true))
                    .unwrap_or(0);
                let on_timeout = self.string(o, ptr, "onTimeout", true).unwrap_or_default();
                Node::Reaction {
                    events,
                    timeout,
                    on_timeout,
                }
            }
            "action" => {
                let action = self.string(o, ptr, "action", true).unwrap_or_default();
                let mut params = Vec::new();
                match o.get("params") {
                    None => {}
                    Some(v) => {
                        if let Some(po) = self.object(v, &format!("{ptr}/params")) {
                            for name in po.keys() {
                                if let Some(e) = self.expr(po, &format!("{ptr}/params"), name, true)
                                {
                                    params.push((name.clone(), e));
                                }
                            }
                        }
                    }
                }
                Node::Action {
                    action,
                    params,
                    next: next(self),
                    on_error: on_error(self),
                }
            }
            "jump" => {
                let mut params = Vec::new();
                if let Some(v) = o.get("params") {
                    if let Some(po) = self.object(v, &format!("{ptr}/params")) {
                        for name in po.keys() {
                            if let Some(e) = self.expr(po, &format!("{ptr}/params"), name, true) {
                                params.push((name.clone(), e));
                            }
                        }
                    }
                }
                Node::Jump {
                    journey: self.string(o, ptr, "journey", true).unwrap_or_default(),
                    params,
                    next: next(self),
                    on_error: on_error(self),
                }
            }
            _ => Node::End,
        };
        (!blocking(&self.problems[before..])).then_some(node)
    }

    fn list<'j>(&mut self, o: &'j Map<String, Json>, ptr: &str, key: &str) -> &'j [Json] {
        match o.get(key) {
            Some(Json::Array(a)) if !a.is_empty() => a,
            Some(Json::Array(_)) => {
                self.error(
                    "J002",
                    &format!("{ptr}/{key}"),
                    format!("`{key}` must not be empty"),
                );
                &[]
            }
            Some(other) => {
                self.error(
                    "J002",
                    &format!("{ptr}/{key}"),
                    format!("`{key}` must be a list, found {}", kind(other)),
                );
                &[]
            }
            None => {
                self.error("J002", ptr, format!("missing `{key}`"));
                &[]
            }
        }
    }

    /// Duplicate labels, each reported at the later path's label.
    fn labels<'l>(&mut self, labels: impl Iterator<Item = &'l str>, ptr: &str) {
        let mut seen: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
        for (i, l) in labels.enumerate() {
            if let Some(first) = seen.insert(l, i) {
                seen.insert(l, first);
                self.error_help(
                    "J042",
                    &format!("{ptr}/paths/{i}/label"),
                    format!("paths {first} and {i} are both labelled `{l}`"),
                    "labels name the paths in traces and reports: give each its own",
                );
            }
        }
    }
}

/// Whether these problems leave the model unusable (a missing or malformed
/// value, an unknown node type); others (bounds, labels, unknown keys) are
/// reported and checking goes on.
fn blocking(problems: &[Problem]) -> bool {
    problems
        .iter()
        .any(|p| p.code == "J002" || p.code == "J004")
}

const TYPES: &[&str] = keys::NODE_TYPES;

/// The keys the reader accepts, object by object: the one list the reader,
/// the JSON Schema's test and the docs' test agree on.
pub mod keys {
    /// A journey file's top level.
    pub const JOURNEY: &[&str] = &[
        "id",
        "version",
        "name",
        "timeZone",
        "publishedAt",
        "reentrance",
        "seed",
        "actionTimeout",
        "start",
        "nodes",
    ];
    /// `reentrance`.
    pub const REENTRANCE: &[&str] = &["allowed", "waitPeriod"];
    /// A condition's path.
    pub const CONDITION_PATH: &[&str] = &["label", "when", "next"];
    /// A split's path.
    pub const SPLIT_PATH: &[&str] = &["label", "percent", "next"];
    /// One event a reaction waits for.
    pub const REACTION_EVENT: &[&str] = &["event", "when", "next"];
    /// Node types.
    pub const NODE_TYPES: &[&str] = &[
        "event",
        "audience",
        "condition",
        "split",
        "wait",
        "reaction",
        "action",
        "jump",
        "end",
    ];

    /// The keys of a node of type `ty`, if it is a type.
    pub fn node(ty: &str) -> Option<&'static [&'static str]> {
        Some(match ty {
            "event" => &["type", "event", "when", "next"],
            "audience" => &["type", "audience", "at", "every", "next"],
            "condition" => &["type", "paths", "otherwise", "onError"],
            "split" => &["type", "paths"],
            "wait" => &["type", "duration", "until", "next", "onError"],
            "reaction" => &["type", "events", "timeout", "onTimeout"],
            "action" => &["type", "action", "params", "next", "onError"],
            "jump" => &["type", "journey", "params", "next", "onError"],
            "end" => &["type"],
            _ => return None,
        })
    }
}

fn list(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    }
}
