//! The journey report (SERVICE.md section 4): what happened per journey
//! version and per node, folded from trace records. The trace is the only
//! input, so a report from a trace file and one from a state (whose trace is
//! exported) are the same figures.
//!
//! Counting rules (written once, here and in `docs/report.md`):
//! * a record about node N is an *arrival* at N unless the instance's
//!   previous record was about N too and was not a `resume` (a wait's
//!   `resume` then the same wait again is a second arrival: a loop);
//! * `waiting` counts instances whose last record is a `wait` at that node;
//! * ways out: `paths` (condition, split), `events` and `timeout`
//!   (reaction), `resumed` (wait), `status` (action), `jumped`/`skipped`
//!   (jump), `exited` by reason (any node where instances left the journey);
//! * so, per node: `entered` = ways out + `errors` + `waiting`, where an exit
//!   with reason `error` is not a way out (its `error` record counts it).

use serde_json::{json, Map, Value as Json};
use std::collections::{BTreeMap, HashMap};

/// Counts by name (path label, event, status, reason), in name order.
type Tally = BTreeMap<String, u64>;

/// The figures of one node.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NodeFigures {
    /// Arrivals at the node.
    pub entered: u64,
    /// `error` records at the node.
    pub errors: u64,
    /// Instances waiting there now (at the end of the day, by day).
    pub waiting: u64,
    /// Condition and split: instances per path label (`otherwise` too).
    pub paths: Tally,
    /// Reaction: instances resumed per event name.
    pub events: Tally,
    /// Reaction: instances that took `onTimeout`.
    pub timeout: u64,
    /// Wait: instances resumed by their timer.
    pub resumed: u64,
    /// Action: delivered actions by status (`recorded` when the trace
    /// carries none: the default sink only records).
    pub status: Tally,
    /// Jump: jumps made.
    pub jumped: u64,
    /// Jump: jumps skipped (the profile was in the target already).
    pub skipped: u64,
    /// Instances that left the journey here, by reason.
    pub exited: Tally,
}

impl NodeFigures {
    /// The ways out of the node (everything but errors and waiting): by the
    /// counting rules, `entered == ways_out() + errors + waiting`.
    pub fn ways_out(&self) -> u64 {
        let sum = |t: &Tally| t.values().sum::<u64>();
        sum(&self.paths)
            + sum(&self.events)
            + self.timeout
            + self.resumed
            + sum(&self.status)
            + self.jumped
            + self.skipped
            + self
                .exited
                .iter()
                .filter(|(reason, _)| *reason != "error")
                .map(|(_, n)| n)
                .sum::<u64>()
    }
}

/// The figures of one journey version (or of one day of it).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Figures {
    /// Profiles admitted.
    pub entered: u64,
    /// Entries refused, by reason.
    pub rejected: Tally,
    /// Entry events whose `when` was false (`skip` records, with `--explain`).
    pub skipped: u64,
    /// Instances that left, by reason.
    pub exited: Tally,
    /// Instances waiting now.
    pub waiting: u64,
    /// `error` records.
    pub errors: u64,
    /// Per node, in the order nodes were first reached.
    pub nodes: Vec<(String, NodeFigures)>,
}

impl Figures {
    fn node(&mut self, id: &str) -> &mut NodeFigures {
        let at = match self.nodes.iter().position(|(n, _)| n == id) {
            Some(at) => at,
            None => {
                self.nodes.push((id.to_string(), NodeFigures::default()));
                self.nodes.len() - 1
            }
        };
        &mut self.nodes[at].1
    }

    /// A node's figures, if it was reached.
    pub fn get(&self, id: &str) -> Option<&NodeFigures> {
        self.nodes.iter().find(|(n, _)| n == id).map(|(_, f)| f)
    }
}

/// The report of one journey version.
#[derive(Clone, Debug, PartialEq)]
pub struct JourneyReport {
    /// Journey id.
    pub journey: String,
    /// Version.
    pub version: i64,
    /// The name its `enter` records carry, if any.
    pub name: Option<String>,
    /// Node types as the trace shows them (an unreached node has none).
    pub types: BTreeMap<String, &'static str>,
    /// The whole trace's figures.
    pub total: Figures,
    /// The figures of each UTC day with records (`YYYY-MM-DD`).
    pub days: BTreeMap<String, Figures>,
}

/// Where one instance is, as far as the trace has told.
#[derive(Clone)]
struct Position {
    version: i64,
    node: String,
    kind: String,
}

/// Folds trace records into reports, one record at a time.
#[derive(Clone, Default)]
pub struct ReportBuilder {
    journeys: BTreeMap<(String, i64), JourneyReport>,
    /// (journey, profile) → where its instance is.
    at: HashMap<(String, String), Position>,
    /// Instances waiting, by (journey, version, node).
    waiting: BTreeMap<(String, i64, String), u64>,
    day: Option<String>,
    only: Option<String>,
    input_errors: u64,
    records: u64,
}

/// A record the report cannot read.
#[derive(Debug)]
pub struct NotARecord(pub String);

impl ReportBuilder {
    /// A builder for every journey, or only `journey`.
    pub fn new(journey: Option<&str>) -> ReportBuilder {
        ReportBuilder {
            only: journey.map(str::to_string),
            ..ReportBuilder::default()
        }
    }

    /// Adds one record (records come in trace order).
    pub fn add(&mut self, record: &Json) -> Result<(), NotARecord> {
        let text = |k: &str| record.get(k).and_then(Json::as_str);
        let (Some(time), Some(kind)) = (text("time"), text("kind")) else {
            return Err(NotARecord("a trace record has `time` and `kind`".into()));
        };
        let day = time.get(..10).unwrap_or(time).to_string();
        if self.day.as_deref() != Some(day.as_str()) {
            self.close_day();
            self.day = Some(day.clone());
        }
        self.records += 1;
        if kind == "inputError" {
            self.input_errors += 1;
            return Ok(());
        }
        let (Some(journey), Some(version), Some(profile)) = (
            text("journey"),
            record.get("version").and_then(Json::as_i64),
            text("profileId"),
        ) else {
            return Err(NotARecord(format!(
                "a `{kind}` record has `journey`, `version` and `profileId`"
            )));
        };
        if self.only.as_deref().is_some_and(|only| only != journey) {
            return Ok(());
        }
        let report = self
            .journeys
            .entry((journey.to_string(), version))
            .or_insert_with(|| JourneyReport {
                journey: journey.to_string(),
                version,
                name: None,
                types: BTreeMap::new(),
                total: Figures::default(),
                days: BTreeMap::new(),
            });
        let key = (journey.to_string(), profile.to_string());
        let node = text("node");
        let kind_of_node = node_type(kind, record);
        if let (Some(n), Some(t)) = (node, kind_of_node) {
            report.types.insert(n.to_string(), t);
        }
        let mut change = Change::default();
        match kind {
            "enter" => {
                if let Some(name) = text("name") {
                    report.name = Some(name.to_string());
                }
                change.journey_entered = true;
                self.at.remove(&key);
            }
            "reject" => change.rejected = text("reason").map(str::to_string),
            "skip" => change.skipped = true,
            _ => {}
        }
        let Some(node) = node else {
            apply(report, &day, &change, None);
            return Ok(());
        };
        let before = self.at.get(&key);
        // A `skip` is about an entry that did not happen: no arrival.
        change.arrival = kind != "skip"
            && match before {
                Some(p) => p.node != node || p.kind == "resume" || p.version != version,
                None => true,
            };
        if let Some(p) = before.filter(|p| p.kind == "wait" && p.node == node) {
            // It was waiting here and now something else happened to it.
            if let Some(n) = self
                .waiting
                .get_mut(&(journey.to_string(), p.version, p.node.clone()))
            {
                *n = n.saturating_sub(1);
            }
        }
        let figure = |k: &str| text(k).map(str::to_string);
        match kind {
            "path" => change.path = figure("path"),
            "resume" => match text("cause") {
                Some("event") => change.event = figure("event"),
                Some("timeout") => change.timeout = true,
                _ => change.resumed = true,
            },
            "action" => {
                change.status = Some(figure("status").unwrap_or_else(|| "recorded".to_string()))
            }
            "jump" => match record.get("skipped") {
                Some(_) => change.jump_skipped = true,
                None => change.jumped = true,
            },
            "error" => change.error = true,
            "exit" => change.exit = figure("reason"),
            "wait" => {
                *self
                    .waiting
                    .entry((journey.to_string(), version, node.to_string()))
                    .or_default() += 1;
            }
            _ => {}
        }
        apply(report, &day, &change, Some(node));
        if kind == "exit" {
            self.at.remove(&key);
        } else if kind != "reject" && kind != "skip" {
            self.at.insert(
                key,
                Position {
                    version,
                    node: node.to_string(),
                    kind: kind.to_string(),
                },
            );
        }
        Ok(())
    }

    /// Writes the waiting counts into the day that ends.
    fn close_day(&mut self) {
        let Some(day) = self.day.clone() else {
            return;
        };
        for ((journey, version), report) in self.journeys.iter_mut() {
            if let Some(figures) = report.days.get_mut(&day) {
                set_waiting(figures, &self.waiting, journey, *version);
            }
        }
    }

    /// The reports so far, the builder going on (a live server's report).
    pub fn snapshot(&self) -> Report {
        self.clone().finish()
    }

    /// The reports, one per journey version in id then version order.
    pub fn finish(mut self) -> Report {
        self.close_day();
        for ((journey, version), report) in self.journeys.iter_mut() {
            set_waiting(&mut report.total, &self.waiting, journey, *version);
        }
        Report {
            journeys: self.journeys.into_values().collect(),
            input_errors: self.input_errors,
            records: self.records,
        }
    }
}

/// What one record changes, applied to the total and to its day alike.
#[derive(Default)]
struct Change {
    journey_entered: bool,
    rejected: Option<String>,
    skipped: bool,
    arrival: bool,
    path: Option<String>,
    event: Option<String>,
    timeout: bool,
    resumed: bool,
    status: Option<String>,
    jumped: bool,
    jump_skipped: bool,
    error: bool,
    exit: Option<String>,
}

fn apply(report: &mut JourneyReport, day: &str, change: &Change, node: Option<&str>) {
    let days = report.days.entry(day.to_string()).or_default();
    for figures in [&mut report.total, days] {
        figures.entered += u64::from(change.journey_entered);
        figures.skipped += u64::from(change.skipped);
        figures.errors += u64::from(change.error);
        if let Some(reason) = &change.rejected {
            *figures.rejected.entry(reason.clone()).or_default() += 1;
        }
        if let Some(reason) = &change.exit {
            *figures.exited.entry(reason.clone()).or_default() += 1;
        }
        let Some(node) = node else { continue };
        let n = figures.node(node);
        n.entered += u64::from(change.arrival);
        n.errors += u64::from(change.error);
        n.timeout += u64::from(change.timeout);
        n.resumed += u64::from(change.resumed);
        n.jumped += u64::from(change.jumped);
        n.skipped += u64::from(change.jump_skipped);
        for (tally, name) in [
            (&mut n.paths, &change.path),
            (&mut n.events, &change.event),
            (&mut n.status, &change.status),
            (&mut n.exited, &change.exit),
        ] {
            if let Some(name) = name {
                *tally.entry(name.clone()).or_default() += 1;
            }
        }
    }
}

fn set_waiting(
    figures: &mut Figures,
    waiting: &BTreeMap<(String, i64, String), u64>,
    journey: &str,
    version: i64,
) {
    figures.waiting = 0;
    for (_, n) in figures.nodes.iter_mut() {
        n.waiting = 0;
    }
    for ((j, v, node), count) in waiting {
        if j == journey && *v == version && *count > 0 {
            figures.node(node).waiting = *count;
            figures.waiting += count;
        }
    }
}

/// The node type a record shows, if it shows one.
fn node_type(kind: &str, record: &Json) -> Option<&'static str> {
    let has = |k: &str| record.get(k).is_some();
    match kind {
        "enter" if has("audience") => Some("audience"),
        "enter" => Some("event"),
        "path" => match record.get("type").and_then(Json::as_str) {
            Some("split") => Some("split"),
            _ => Some("condition"),
        },
        "wait" if has("events") => Some("reaction"),
        "wait" => Some("wait"),
        "resume" => match record.get("cause").and_then(Json::as_str) {
            Some("timer") => Some("wait"),
            _ => Some("reaction"),
        },
        "action" => Some("action"),
        "jump" => Some("jump"),
        "exit" if record.get("reason").and_then(Json::as_str) == Some("end") => Some("end"),
        _ => None,
    }
}

/// Every journey version's report.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// One per journey version, by id then version.
    pub journeys: Vec<JourneyReport>,
    /// `inputError` records (lines of the input skipped).
    pub input_errors: u64,
    /// Records read.
    pub records: u64,
}

impl Report {
    /// The JSON form of SERVICE.md section 4; with `by_day`, each journey
    /// also has `days`: the same figures per UTC day.
    pub fn to_json(&self, by_day: bool) -> Json {
        let journeys: Vec<Json> = self
            .journeys
            .iter()
            .map(|r| {
                let mut o = Map::new();
                o.insert("journey".into(), json!(r.journey));
                o.insert("version".into(), json!(r.version));
                if let Some(name) = &r.name {
                    o.insert("name".into(), json!(name));
                }
                figures_json(&mut o, &r.total, &r.types);
                if by_day {
                    let days: Map<String, Json> = r
                        .days
                        .iter()
                        .map(|(day, f)| {
                            let mut d = Map::new();
                            figures_json(&mut d, f, &r.types);
                            (day.clone(), Json::Object(d))
                        })
                        .collect();
                    o.insert("days".into(), Json::Object(days));
                }
                Json::Object(o)
            })
            .collect();
        json!({"journeys": journeys, "inputErrors": self.input_errors})
    }
}

fn tally(t: &Tally) -> Json {
    Json::Object(t.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
}

fn figures_json(o: &mut Map<String, Json>, f: &Figures, types: &BTreeMap<String, &'static str>) {
    o.insert("entered".into(), json!(f.entered));
    o.insert("rejected".into(), tally(&f.rejected));
    if f.skipped > 0 {
        o.insert("skipped".into(), json!(f.skipped));
    }
    o.insert("exited".into(), tally(&f.exited));
    o.insert("waiting".into(), json!(f.waiting));
    o.insert("errors".into(), json!(f.errors));
    let nodes: Map<String, Json> = f
        .nodes
        .iter()
        .map(|(id, n)| (id.clone(), node_json(n, types.get(id).copied())))
        .collect();
    o.insert("nodes".into(), Json::Object(nodes));
}

fn node_json(n: &NodeFigures, node_type: Option<&str>) -> Json {
    let mut o = Map::new();
    if let Some(t) = node_type {
        o.insert("type".into(), json!(t));
    }
    o.insert("entered".into(), json!(n.entered));
    o.insert("errors".into(), json!(n.errors));
    o.insert("waiting".into(), json!(n.waiting));
    let tallies = [
        ("paths", &n.paths),
        ("events", &n.events),
        ("status", &n.status),
        ("exited", &n.exited),
    ];
    let counts = [
        ("timeout", n.timeout),
        ("resumed", n.resumed),
        ("jumped", n.jumped),
        ("skipped", n.skipped),
    ];
    // A node's own ways out are shown even at zero.
    let shows = |name: &str| {
        matches!(
            (node_type, name),
            (Some("condition" | "split"), "paths")
                | (Some("reaction"), "events" | "timeout")
                | (Some("wait"), "resumed")
                | (Some("action"), "status")
                | (Some("jump"), "jumped" | "skipped")
        )
    };
    for (name, t) in tallies {
        if !t.is_empty() || shows(name) {
            o.insert(name.into(), tally(t));
        }
    }
    for (name, c) in counts {
        if c > 0 || shows(name) {
            o.insert(name.into(), json!(c));
        }
    }
    Json::Object(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand-written trace: p1 loops through `c` twice and ends; p2 fails
    /// at `c`; p3 is rejected; p4 and p5 are left waiting at `w` (p5 after
    /// a first round through it). Every expected figure below is counted by
    /// hand from these lines.
    const TRACE: &str = r#"
{"time":"2024-05-01T10:00:00.000Z","kind":"enter","journey":"j","version":1,"profileId":"p1","node":"s","event":"E","instance":"j:1:p1","name":"J"}
{"time":"2024-05-01T10:00:00.000Z","kind":"path","journey":"j","version":1,"profileId":"p1","node":"c","type":"condition","path":"a"}
{"time":"2024-05-01T10:00:00.000Z","kind":"wait","journey":"j","version":1,"profileId":"p1","node":"w","until":"2024-05-02T10:00:00.000Z"}
{"time":"2024-05-01T11:00:00.000Z","kind":"enter","journey":"j","version":1,"profileId":"p2","node":"s","event":"E","instance":"j:1:p2","name":"J"}
{"time":"2024-05-01T11:00:00.000Z","kind":"error","journey":"j","version":1,"profileId":"p2","node":"c","message":"boom"}
{"time":"2024-05-01T11:00:00.000Z","kind":"exit","journey":"j","version":1,"profileId":"p2","node":"c","reason":"error"}
{"time":"2024-05-01T12:00:00.000Z","kind":"reject","journey":"j","version":1,"profileId":"p3","event":"E","reason":"alreadyIn"}
{"time":"2024-05-02T10:00:00.000Z","kind":"resume","journey":"j","version":1,"profileId":"p1","node":"w","cause":"timer"}
{"time":"2024-05-02T10:00:00.000Z","kind":"path","journey":"j","version":1,"profileId":"p1","node":"c","type":"condition","path":"b"}
{"time":"2024-05-02T10:00:00.000Z","kind":"action","journey":"j","version":1,"profileId":"p1","node":"x","action":"email","params":{}}
{"time":"2024-05-02T10:00:00.000Z","kind":"exit","journey":"j","version":1,"profileId":"p1","node":"done","reason":"end"}
{"time":"2024-05-02T11:00:00.000Z","kind":"enter","journey":"j","version":1,"profileId":"p4","node":"s","event":"E","instance":"j:1:p4","name":"J"}
{"time":"2024-05-02T11:00:00.000Z","kind":"path","journey":"j","version":1,"profileId":"p4","node":"c","type":"condition","path":"a"}
{"time":"2024-05-02T11:00:00.000Z","kind":"wait","journey":"j","version":1,"profileId":"p4","node":"w","until":"2024-05-03T11:00:00.000Z"}
{"time":"2024-05-02T12:00:00.000Z","kind":"enter","journey":"j","version":1,"profileId":"p5","node":"s","event":"E","instance":"j:1:p5","name":"J"}
{"time":"2024-05-02T12:00:00.000Z","kind":"path","journey":"j","version":1,"profileId":"p5","node":"c","type":"condition","path":"a"}
{"time":"2024-05-02T12:00:00.000Z","kind":"wait","journey":"j","version":1,"profileId":"p5","node":"w","until":"2024-05-02T12:00:00.000Z"}
{"time":"2024-05-02T12:00:00.000Z","kind":"resume","journey":"j","version":1,"profileId":"p5","node":"w","cause":"timer"}
{"time":"2024-05-02T12:00:00.000Z","kind":"path","journey":"j","version":1,"profileId":"p5","node":"c","type":"condition","path":"a"}
{"time":"2024-05-02T12:00:00.000Z","kind":"wait","journey":"j","version":1,"profileId":"p5","node":"w","until":"2024-05-03T12:00:00.000Z"}
{"time":"2024-05-02T13:00:00.000Z","kind":"inputError","line":9,"message":"not JSON"}
"#;

    fn report() -> Report {
        let mut b = ReportBuilder::new(None);
        for line in TRACE.lines().filter(|l| !l.trim().is_empty()) {
            let v: Json = serde_json::from_str(line).expect("test record");
            b.add(&v).expect("a record");
        }
        b.finish()
    }

    fn tally(pairs: &[(&str, u64)]) -> Tally {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn totals_are_counted_as_the_rules_say() {
        let r = report();
        assert_eq!(r.input_errors, 1);
        let [j] = r.journeys.as_slice() else {
            panic!("one journey version")
        };
        assert_eq!(j.name.as_deref(), Some("J"));
        let t = &j.total;
        assert_eq!(t.entered, 4);
        assert_eq!(t.rejected, tally(&[("alreadyIn", 1)]));
        assert_eq!(t.exited, tally(&[("end", 1), ("error", 1)]));
        assert_eq!((t.waiting, t.errors), (2, 1));
        let order: Vec<&str> = t.nodes.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(order, ["s", "c", "w", "x", "done"]);
        let c = t.get("c").expect("c");
        assert_eq!((c.entered, c.errors, c.waiting), (6, 1, 0));
        assert_eq!(c.paths, tally(&[("a", 4), ("b", 1)]));
        assert_eq!(c.exited, tally(&[("error", 1)]));
        let w = t.get("w").expect("w");
        assert_eq!((w.entered, w.resumed, w.waiting), (4, 2, 2));
        let x = t.get("x").expect("x");
        assert_eq!(
            (x.entered, x.status.clone()),
            (1, tally(&[("recorded", 1)]))
        );
        assert_eq!(t.get("done").map(|d| d.entered), Some(1));
        assert_eq!(t.get("s").map(|d| d.entered), Some(4));
        for (id, n) in &t.nodes {
            if id != "s" {
                assert_eq!(n.entered, n.ways_out() + n.errors + n.waiting, "{id}");
            }
        }
        let types: Vec<(&str, &str)> = j.types.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(
            types,
            [
                ("c", "condition"),
                ("done", "end"),
                ("s", "event"),
                ("w", "wait"),
                ("x", "action")
            ]
        );
    }

    #[test]
    fn each_day_counts_its_own_records_and_ends_with_who_waits() {
        let r = report();
        let j = &r.journeys[0];
        let days: Vec<&str> = j.days.keys().map(String::as_str).collect();
        assert_eq!(days, ["2024-05-01", "2024-05-02"]);
        let d1 = &j.days["2024-05-01"];
        assert_eq!((d1.entered, d1.errors, d1.waiting), (2, 1, 1));
        assert_eq!(d1.rejected, tally(&[("alreadyIn", 1)]));
        assert_eq!(d1.exited, tally(&[("error", 1)]));
        assert_eq!(d1.get("c").map(|c| (c.entered, c.errors)), Some((2, 1)));
        assert_eq!(d1.get("w").map(|w| (w.entered, w.waiting)), Some((1, 1)));
        let d2 = &j.days["2024-05-02"];
        assert_eq!((d2.entered, d2.errors, d2.waiting), (2, 0, 2));
        assert_eq!(d2.exited, tally(&[("end", 1)]));
        let w = d2.get("w").expect("w on day 2");
        assert_eq!((w.entered, w.resumed, w.waiting), (3, 2, 2));
    }

    #[test]
    fn the_json_has_the_shape_of_service_md() {
        let v = report().to_json(false);
        let j = &v["journeys"][0];
        assert_eq!(j["journey"], "j");
        assert_eq!(j["version"], 1);
        assert_eq!(j["name"], "J");
        assert_eq!(j["rejected"], json!({"alreadyIn": 1}));
        assert_eq!(
            j["nodes"]["c"],
            json!({"type": "condition", "entered": 6, "errors": 1, "waiting": 0,
                   "paths": {"a": 4, "b": 1}, "exited": {"error": 1}})
        );
        assert_eq!(
            j["nodes"]["w"],
            json!({"type": "wait", "entered": 4, "errors": 0, "waiting": 2, "resumed": 2})
        );
        assert!(j.get("days").is_none());
        assert!(report().to_json(true)["journeys"][0]["days"]["2024-05-02"].is_object());
    }

    #[test]
    fn a_record_without_its_fields_is_refused() {
        let mut b = ReportBuilder::new(None);
        assert!(b.add(&json!({"kind": "enter"})).is_err());
        assert!(b
            .add(&json!({"time": "2024-05-01T10:00:00.000Z", "kind": "exit"}))
            .is_err());
    }
}
