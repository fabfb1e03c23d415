//! `action`: evaluate the parameters and deliver the action. An action the
//! run does not deliver is recorded in the trace and the instance goes on;
//! one it delivers (SERVICE.md section 2) makes the instance wait at the
//! node for the call's outcome, which the runner brings back as
//! [`super::Input::Delivered`].

use super::{Flow, Journeys, Jumps, Walk};
use crate::model::{ExprSrc, Node};
use crate::state::{Delivery, Instance, ProfileState};
use crate::trace::Record;
use chrono::{DateTime, Utc};
use serde_json::Value as Json;

/// What became of a call: its status (`http_200`, `timedout`, `capped`,
/// `internalError`, …), the response body (a JSON object, or null), and how
/// many requests were made.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// `http_<code>`, `timedout`, `capped`, `internalError`.
    pub status: String,
    /// The response's JSON object (null when there was none or it was not one).
    pub body: Json,
    /// Requests made (the first and the retries).
    pub attempts: u32,
    /// Why it failed, for the `error` record (never a secret).
    pub message: Option<String>,
}

impl Outcome {
    /// A 2xx answer.
    pub fn succeeded(&self) -> bool {
        self.status.starts_with("http_2")
    }
}

pub(super) fn run(
    walk: &mut Walk<'_>,
    inst: &mut Instance,
    node: &str,
    action: &str,
    params: &[(String, ExprSrc)],
    next: &str,
    on_error: Option<&str>,
) -> Flow {
    let cj = walk.cj;
    let values = match walk.eval_params(inst, node, params, on_error, |name, v| {
        (v.is_null() && cj.required(action, name)).then(|| {
            (
                format!("parameter `{name}` of action `{action}` is required and evaluated to null: nothing was sent"),
                "requiredParameter",
            )
        })
    }) {
        Ok(values) => values,
        Err(flow) => return flow,
    };
    if walk.journeys.dry_run {
        let r = Record::action(&walk.about(), node, action, Json::Object(values));
        walk.records.push(r.with_status("dryRun"));
        keep_response(walk.journeys, inst, action, Json::Null, "dryRun");
        return Flow::Goto(next.to_string());
    }
    if walk.journeys.delivers(action) {
        inst.calls += 1;
        let id = call_id(inst, node);
        return Flow::Deliver(Box::new(Delivery {
            action: action.to_string(),
            params: Json::Object(values),
            id,
            since: walk.now,
            fetch: None,
        }));
    }
    let r = Record::action(&walk.about(), node, action, Json::Object(values));
    walk.records.push(r);
    keep_response(walk.journeys, inst, action, Json::Null, "recorded");
    Flow::Goto(next.to_string())
}

/// The id of the instance's current call at `node` (`webhook-id`): from the
/// journey, version, instance, node and the instance's call count, so the
/// same for every retry and re-send of this call and new for the next.
pub(super) fn call_id(inst: &Instance, node: &str) -> String {
    let key = format!(
        "{}\u{0}{}\u{0}{}\u{0}{}\u{0}{}",
        inst.journey, inst.version, inst.id, node, inst.calls
    );
    let a = crate::fnv::hash(key.as_bytes());
    let b = crate::fnv::hash(format!("{key}\u{0}").as_bytes());
    format!("msg_{a:016x}{b:016x}")
}

/// Keeps the response of `action` on the instance for `@action{…}` (only
/// when some expression reads it): the body's fields and `jo_status_code`.
fn keep_response(journeys: &Journeys, inst: &mut Instance, action: &str, body: Json, status: &str) {
    let key = jexpr::action_key(action);
    if !journeys.remembers(&key) {
        return;
    }
    let mut response = match body {
        Json::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    response.insert("jo_status_code".into(), Json::String(status.to_string()));
    inst.events.insert(key, Json::Object(response));
}

/// The call of the instance in `journey` has an outcome: it is recorded,
/// the response kept, and the instance goes on (`next` on success, else
/// `onError` or out).
pub(super) fn on_delivered(
    journeys: &Journeys,
    state: &mut ProfileState,
    journey: &str,
    outcome: &Outcome,
    now: DateTime<Utc>,
    records: &mut Vec<Record>,
    jumps: &mut Jumps,
) {
    let Some(mut inst) = state.instances.remove(journey) else {
        return;
    };
    let (Some(delivery), Some(cj)) = (
        inst.delivery.take(),
        journeys.version(journey, inst.version),
    ) else {
        // Nothing waits for a call (the outcome came twice): no change.
        state.instances.insert(journey.to_string(), inst);
        return;
    };
    let profile = state.profile.clone();
    let mut walk = Walk::new(journeys, cj, state, &profile, now, records, jumps);
    if let Some((source, group)) = &delivery.fetch {
        // A data source read: its answer (or why there is none) is kept on
        // the instance, and the node that needed it runs again.
        let kept = if outcome.succeeded() {
            serde_json::json!({"data": outcome.body})
        } else {
            let why = outcome.message.as_deref().unwrap_or("");
            serde_json::json!({"error": format!(
                "data source `{source}` ({group}) could not be fetched: {}{}{why}",
                outcome.status,
                if why.is_empty() { "" } else { ": " }
            )})
        };
        let key = super::context::fetch_key(source, group, &delivery.params);
        inst.events.insert(key, kept);
        if walk.advance(&mut inst, Flow::Here) {
            state.instances.insert(journey.to_string(), inst);
        }
        return;
    }
    let node = inst.node.clone();
    let record = Record::action(&walk.about(), &node, &delivery.action, delivery.params)
        .with_status(&outcome.status)
        .with_attempts(outcome.attempts);
    walk.records.push(record);
    keep_response(
        journeys,
        &mut inst,
        &delivery.action,
        outcome.body.clone(),
        &outcome.status,
    );
    let flow = match cj.journey.nodes.get(&node) {
        Some(Node::Action { next, .. }) if outcome.succeeded() => Flow::Goto(next.clone()),
        Some(Node::Action { on_error, .. }) => {
            let why = outcome
                .message
                .as_ref()
                .map(|m| format!(": {m}"))
                .unwrap_or_default();
            let message = format!(
                "action `{}` failed with {} after {} attempt{}{why}",
                delivery.action,
                outcome.status,
                outcome.attempts,
                if outcome.attempts == 1 { "" } else { "s" }
            );
            walk.fail_kind(
                &mut inst,
                &node,
                &message,
                None,
                on_error.as_deref(),
                &outcome.status,
            )
        }
        _ => walk.fail(
            &mut inst,
            &node,
            "internal error: a call's outcome for a node that is not an action",
            None,
            None,
        ),
    };
    if walk.advance(&mut inst, flow) {
        state.instances.insert(journey.to_string(), inst);
    }
}
