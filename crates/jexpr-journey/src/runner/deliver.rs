//! Delivering actions (SERVICE.md section 2): the runner makes the call an
//! instance waits for when its timer is due, through a [`Deliverer`], and
//! steps the engine with the outcome. The engine stays pure; the call is
//! I/O at the edge. A call is durable before it is made and its outcome is
//! committed after, so a crash in between makes it again under the same id.

use crate::engine::Outcome;
use serde_json::Value as Json;
use std::time::Duration;

/// One call to make.
pub struct Call<'a> {
    /// The catalog action.
    pub action: &'a str,
    /// The evaluated parameters (a JSON object).
    pub params: &'a Json,
    /// The call's id (`webhook-id`), the same for every retry and re-send.
    pub id: &'a str,
    /// Whose call it is.
    pub profile_id: &'a str,
    /// The journey it is made from.
    pub journey: &'a str,
    /// The journey's version.
    pub version: i64,
    /// The journey's `actionTimeout`: the call and its retries fit in it.
    pub timeout: Duration,
    /// A data source read (source, field group) rather than an action
    /// (then `action` is empty and `params` are the read's parameters).
    pub fetch: Option<(&'a str, &'a str)>,
}

/// What makes calls: the HTTP client of `serve` and `run --deliver`, the
/// mocked responses of `run --responses`.
pub trait Deliverer {
    /// Whether calls leave the process: then a call is made durable before
    /// it is made (a crash re-sends it, under the same id).
    fn external(&self) -> bool {
        true
    }
    /// Makes the call (with its retries) and says what came of it.
    fn deliver(&mut self, call: &Call<'_>) -> Outcome;
}

/// `run --responses FILE`: each call answered by the first line naming its
/// action (and its profile, when the line gives one), without a request —
/// a journey that branches on a response is tested offline.
pub struct MockResponses {
    lines: Vec<Mocked>,
}

struct Mocked {
    action: String,
    profile_id: Option<String>,
    status: String,
    body: Json,
}

impl MockResponses {
    /// Reads the JSON Lines `{"action", "profileId"?, "status", "body"?}`;
    /// a bad line is refused with its number and what is wrong.
    pub fn parse(text: &str) -> Result<MockResponses, (usize, String)> {
        let mut lines = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            if line.trim().is_empty() {
                continue;
            }
            let v: Json = serde_json::from_str(line).map_err(|e| (n, format!("not JSON: {e}")))?;
            let Some(o) = v.as_object() else {
                return Err((n, "a response line is an object".into()));
            };
            for key in o.keys() {
                if !matches!(key.as_str(), "action" | "profileId" | "status" | "body") {
                    return Err((
                        n,
                        format!("unknown key `{key}`: a line has `action`, `profileId`, `status` and `body`"),
                    ));
                }
            }
            let text = |key: &str| o.get(key).and_then(Json::as_str).map(str::to_string);
            let action = text("action").ok_or((n, "`action` (a string) is missing".to_string()))?;
            let status = text("status").ok_or((
                n,
                "`status` (a string such as `http_200`, `http_500` or `timedout`) is missing"
                    .to_string(),
            ))?;
            if o.get("profileId").is_some_and(|p| !p.is_string()) {
                return Err((n, "`profileId` is a string".into()));
            }
            let body = o.get("body").cloned().unwrap_or(Json::Null);
            if !(body.is_object() || body.is_null()) {
                return Err((n, "`body` is the response's JSON object".into()));
            }
            lines.push(Mocked {
                action,
                profile_id: text("profileId"),
                status,
                body,
            });
        }
        Ok(MockResponses { lines })
    }

    /// The actions some line answers: these are the ones delivered.
    pub fn actions(&self) -> impl Iterator<Item = String> + '_ {
        self.lines.iter().map(|l| l.action.clone())
    }
}

impl Deliverer for MockResponses {
    fn external(&self) -> bool {
        false
    }

    fn deliver(&mut self, call: &Call<'_>) -> Outcome {
        if call.fetch.is_some() {
            return Outcome {
                status: "internalError".into(),
                body: Json::Null,
                attempts: 0,
                message: Some("--responses answers actions, not data sources".into()),
            };
        }
        let found = self.lines.iter().find(|l| {
            l.action == call.action && l.profile_id.as_deref().is_none_or(|p| p == call.profile_id)
        });
        match found {
            Some(l) => Outcome {
                status: l.status.clone(),
                body: l.body.clone(),
                attempts: 1,
                message: None,
            },
            None => Outcome {
                status: "internalError".into(),
                body: Json::Null,
                attempts: 0,
                message: Some(format!(
                    "no line of --responses answers action `{}` for profile `{}`",
                    call.action, call.profile_id
                )),
            },
        }
    }
}
