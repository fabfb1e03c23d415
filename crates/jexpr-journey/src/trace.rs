//! Trace records (JOURNEYS.md section 5): one JSON object per step. The
//! trace is the contract with everything that reads it (the report, the
//! studio, the operator's `jq`): every kind of record, its fields and their
//! order are defined here and nowhere else.

use chrono::{DateTime, Utc};
use serde_json::{json, Value as Json};

/// One trace record; fields in the order they are written. Field names are
/// the format's own (static), so a record is a short list, not a map with
/// allocated keys: every step writes several.
#[derive(Clone, Debug, PartialEq)]
pub struct Record(Vec<(&'static str, Json)>);

thread_local! {
    /// The last instant formatted: a step writes several records at one time.
    static LAST_TIME: std::cell::RefCell<(i64, String)> = const {
        std::cell::RefCell::new((i64::MIN, String::new()))
    };
}

/// `now` as a trace shows it.
fn time_text(now: DateTime<Utc>) -> String {
    let millis = now.timestamp_millis();
    LAST_TIME.with(|last| {
        let mut last = last.borrow_mut();
        if last.0 != millis {
            *last = (millis, jexpr::time::format_instant(&now));
        }
        last.1.clone()
    })
}

/// Who and when a record is about: the fields every record but
/// `inputError` starts with.
#[derive(Clone, Copy)]
pub struct About<'a> {
    /// The step's time.
    pub now: DateTime<Utc>,
    /// Journey id.
    pub journey: &'a str,
    /// Journey version.
    pub version: i64,
    /// Profile id.
    pub profile: &'a str,
}

/// How a profile came to a journey's start: written as the field of that
/// name (`event`, `audience`, or `from` for a jump's origin journey).
#[derive(Clone, Copy)]
pub enum Entry<'a> {
    /// By an event of this name.
    Event(&'a str),
    /// By a read of this audience.
    Audience(&'a str),
    /// By a jump from this journey.
    From(&'a str),
}

/// Why a profile was not admitted (`reject`'s `reason`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// It is in an instance of the journey.
    AlreadyIn,
    /// It entered before and the journey allows no re-entrance.
    NoReentrance,
    /// It entered less than the re-entrance wait period ago.
    WaitPeriod,
}

impl Refusal {
    /// The reason as the trace writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::AlreadyIn => "alreadyIn",
            Refusal::NoReentrance => "noReentrance",
            Refusal::WaitPeriod => "waitPeriod",
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which kind of node chose a path (`path`'s `type`).
#[derive(Clone, Copy)]
pub enum Branch {
    /// A condition: the first path whose `when` holds, or `otherwise`.
    Condition,
    /// A percentage split.
    Split,
}

/// What resumed a waiting instance (`resume`'s `cause`, and `event`).
#[derive(Clone, Copy)]
pub enum Cause<'a> {
    /// A wait's time came.
    Timer,
    /// A reaction's timeout came.
    Timeout,
    /// A reaction's event of this name arrived.
    Event(&'a str),
}

/// Why an instance left its journey (`exit`'s `reason`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitReason {
    /// It reached an `end` node.
    End,
    /// A condition with no `otherwise` matched no path.
    NoPath,
    /// An error with no `onError`.
    Error,
    /// 91 days in the journey.
    Timeout,
    /// More than 1,000 steps without a pause.
    StepLimit,
}

impl ExitReason {
    /// The reason as the trace writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            ExitReason::End => "end",
            ExitReason::NoPath => "noPath",
            ExitReason::Error => "error",
            ExitReason::Timeout => "timeout",
            ExitReason::StepLimit => "stepLimit",
        }
    }
}

/// Where an expression that failed is: its JSON pointer in the journey file
/// and the span inside it.
pub struct Failed<'a> {
    /// JSON pointer of the expression (`/nodes/vip/paths/0/when`).
    pub field: &'a str,
    /// Byte span inside the expression.
    pub span: jexpr::Span,
}

impl Record {
    /// The fields every record about a profile starts with.
    fn about(kind: &'static str, a: &About<'_>) -> Record {
        let mut fields = Vec::with_capacity(9);
        fields.push(("time", Json::String(time_text(a.now))));
        fields.push(("kind", json!(kind)));
        fields.push(("journey", json!(a.journey)));
        fields.push(("version", json!(a.version)));
        fields.push(("profileId", json!(a.profile)));
        Record(fields)
    }

    fn entry(self, entry: Entry<'_>) -> Record {
        match entry {
            Entry::Event(name) => self.with("event", name),
            Entry::Audience(name) => self.with("audience", name),
            Entry::From(journey) => self.with("from", journey),
        }
    }

    /// `enter`: the profile entered at the start `node` as `instance`. The
    /// journey's `name`, when it has one, is written here (once per
    /// instance, not on every record: a reader of the trace finds it at the
    /// instance's start).
    pub fn enter(
        a: &About<'_>,
        node: &str,
        entry: Entry<'_>,
        instance: &str,
        name: &str,
    ) -> Record {
        let r = Record::about("enter", a)
            .with("node", node)
            .entry(entry)
            .with("instance", instance);
        if name.is_empty() {
            r
        } else {
            r.with("name", name)
        }
    }

    /// `reject`: an entry node refused the profile.
    pub fn reject(a: &About<'_>, entry: Entry<'_>, reason: Refusal) -> Record {
        Record::about("reject", a)
            .entry(entry)
            .with("reason", reason.as_str())
    }

    /// `path`: a condition or split took the path labelled `label`.
    pub fn path(a: &About<'_>, node: &str, branch: Branch, label: &str) -> Record {
        let branch = match branch {
            Branch::Condition => "condition",
            Branch::Split => "split",
        };
        Record::about("path", a)
            .with("node", node)
            .with("type", branch)
            .with("path", label)
    }

    /// `path` (or a `noPath` `exit`) with `why` (`run --explain`): every
    /// path tried, in order, with its condition's tree of values.
    pub fn explained(self, why: Json) -> Record {
        self.with("why", why)
    }

    /// `skip` (`run --explain`): the entry node's `when` was false for
    /// this event, so the profile did not enter; `why` is its tree.
    pub fn skip(a: &About<'_>, node: &str, event: &str, why: Json) -> Record {
        Record::about("skip", a)
            .with("node", node)
            .with("event", event)
            .with("why", why)
    }

    /// `wait`: the instance waits at `node` until `until`; a reaction also
    /// names the events it waits for.
    pub fn wait(
        a: &About<'_>,
        node: &str,
        until: &DateTime<Utc>,
        events: Option<&[&str]>,
    ) -> Record {
        let r = Record::about("wait", a)
            .with("node", node)
            .with("until", jexpr::time::format_instant(until));
        match events {
            Some(names) => r.with("events", json!(names)),
            None => r,
        }
    }

    /// `resume`: the instance waiting at `node` goes on.
    pub fn resume(a: &About<'_>, node: &str, cause: Cause<'_>) -> Record {
        let r = Record::about("resume", a).with("node", node);
        match cause {
            Cause::Timer => r.with("cause", "timer"),
            Cause::Timeout => r.with("cause", "timeout"),
            Cause::Event(name) => r.with("cause", "event").with("event", name),
        }
    }

    /// `action`: `action` delivered with its evaluated parameters.
    pub fn action(a: &About<'_>, node: &str, action: &str, params: Json) -> Record {
        Record::about("action", a)
            .with("node", node)
            .with("action", action)
            .with("params", params)
    }

    /// An `action` record with its delivery `status` (`dryRun`, `http_200`, …).
    pub fn with_status(self, status: &str) -> Record {
        self.with("status", status)
    }

    /// An `action` record with the number of requests its call made.
    pub fn with_attempts(self, attempts: u32) -> Record {
        self.with("attempts", attempts)
    }

    /// A `jump` record made into one that was skipped (the profile entered
    /// the target before the jump could take it there).
    pub(crate) fn skipped_jump(self, reason: Refusal) -> Record {
        self.with("skipped", reason.as_str())
    }

    /// An empty record, to take another's place for a moment.
    pub(crate) fn placeholder() -> Record {
        Record(Vec::new())
    }

    /// `jump`: a jump to journey `to`, or one skipped since the profile is
    /// in it already.
    pub fn jump(a: &About<'_>, node: &str, to: &str, skipped: bool) -> Record {
        let r = Record::about("jump", a).with("node", node).with("to", to);
        if skipped {
            r.with("skipped", Refusal::AlreadyIn.as_str())
        } else {
            r
        }
    }

    /// `error`: an error at `node`, with the expression that failed if one did.
    pub fn error(a: &About<'_>, node: &str, message: &str, failed: Option<Failed<'_>>) -> Record {
        let r = Record::about("error", a)
            .with("node", node)
            .with("message", message);
        match failed {
            Some(f) => r
                .with("field", f.field)
                .with("span", json!([f.span.start, f.span.end])),
            None => r,
        }
    }

    /// `exit`: the instance left the journey at `node`.
    pub fn exit(a: &About<'_>, node: &str, reason: ExitReason) -> Record {
        Record::about("exit", a)
            .with("node", node)
            .with("reason", reason.as_str())
    }

    /// `inputError`: line `line` of the input was skipped (the only kind
    /// about no profile).
    pub fn input_error(now: DateTime<Utc>, line: u64, message: &str) -> Record {
        Record(vec![
            ("time", Json::String(time_text(now))),
            ("kind", json!("inputError")),
            ("line", json!(line)),
            ("message", json!(message)),
        ])
    }

    /// Adds a field (or replaces it where it stands, as a JSON object would).
    fn with(mut self, key: &'static str, value: impl Into<Json>) -> Record {
        let value = value.into();
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => *v = value,
            None => self.0.push((key, value)),
        }
        self
    }

    /// The record kind.
    pub fn kind(&self) -> &str {
        self.get("kind").and_then(Json::as_str).unwrap_or("")
    }

    /// A field's value.
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// One JSON line (without the newline), as `serde_json` writes an
    /// object with these fields in this order.
    pub fn to_line(&self) -> String {
        let mut out = Vec::with_capacity(192);
        out.push(b'{');
        for (i, (key, value)) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.push(b'"');
            out.extend_from_slice(key.as_bytes());
            out.extend_from_slice(b"\":");
            // Straight into the buffer: writing through `Display` was a
            // tenth of a runner's time. Writing a `Value` to a `Vec` cannot fail.
            let _ = serde_json::to_writer(&mut out, value);
        }
        out.push(b'}');
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_what_serde_json_writes_for_the_same_object() {
        let now = DateTime::<Utc>::from_timestamp_millis(1_714_557_600_123).expect("instant");
        let about = About {
            now,
            journey: "j",
            version: 2,
            profile: "p\"1",
        };
        let r = Record::action(
            &about,
            "n",
            "email",
            json!({"to": "a@b", "n": [1, 2.5, null]}),
        )
        .with("node", "m");
        let mut object = serde_json::Map::new();
        for (k, v) in [
            ("time", json!("2024-05-01T10:00:00.123Z")),
            ("kind", json!("action")),
            ("journey", json!("j")),
            ("version", json!(2)),
            ("profileId", json!("p\"1")),
            ("node", json!("m")),
            ("action", json!("email")),
            ("params", json!({"to": "a@b", "n": [1, 2.5, null]})),
        ] {
            object.insert(k.to_string(), v);
        }
        assert_eq!(r.to_line(), Json::Object(object).to_string());
        assert_eq!(r.kind(), "action");
    }
}
