//! `wait` (a duration, or until a time) and the timers that end waits,
//! reactions and the 91-day stay.

use super::{Flow, Journeys, Jumps, Walk};
use crate::model::{ExprSrc, Node, MAX_WAIT_MS};
use crate::state::{Instance, ProfileState, Waiting, JOURNEY_TIMEOUT_MS};
use crate::trace::{Cause, ExitReason, Record};
use chrono::{DateTime, Utc};
use jexpr::Value;

#[allow(clippy::too_many_arguments)]
pub(super) fn run(
    walk: &mut Walk<'_>,
    inst: &mut Instance,
    node: &str,
    duration: Option<i64>,
    until: Option<&ExprSrc>,
    next: &str,
    on_error: Option<&str>,
) -> Flow {
    let now = walk.now;
    let due = match (duration, until) {
        (Some(ms), _) => match crate::state::later(now, ms) {
            Some(t) => t,
            None => {
                return walk.fail(
                    inst,
                    node,
                    "the wait would end after the last date the calendar has",
                    None,
                    on_error,
                )
            }
        },
        (None, Some(e)) => {
            let zone = walk.cj.journey.time_zone;
            let target = walk.eval(inst, e, None, |v| match v {
                Value::DateTime(z) => Ok(z.instant),
                Value::DateTimeOnly(local) => zone
                    .from_local(local)
                    .ok_or_else(|| format!("`{local}` has no instant in the journey's time zone")),
                Value::Null => Err("the wait's `until` evaluated to null".to_string()),
                other => Err(format!(
                    "the wait's `until` is not a date-time: {}",
                    other.display()
                )),
            });
            let target = match target {
                Ok(Ok(t)) => t,
                Ok(Err(message)) => {
                    return walk.fail(
                        inst,
                        node,
                        &message,
                        Some((e, jexpr::Span::new(0, e.source.len()))),
                        on_error,
                    )
                }
                Err(err) => return walk.eval_failed(inst, node, &err, e, on_error),
            };
            // Kept to the millisecond, as every instant of a run.
            let target =
                DateTime::<Utc>::from_timestamp_millis(target.timestamp_millis()).unwrap_or(target);
            if (target - now).num_milliseconds() > MAX_WAIT_MS {
                let message = format!(
                    "the wait until {} is longer than 90 days",
                    jexpr::time::format_instant(&target)
                );
                return walk.fail(
                    inst,
                    node,
                    &message,
                    Some((e, jexpr::Span::new(0, e.source.len()))),
                    on_error,
                );
            }
            if !crate::state::in_calendar(target) {
                return walk.fail(
                    inst,
                    node,
                    "the wait would end after the last date the calendar has (9999-12-31)",
                    Some((e, jexpr::Span::new(0, e.source.len()))),
                    on_error,
                );
            }
            target.max(now)
        }
        (None, None) => {
            return walk.fail(
                inst,
                node,
                "internal error: a wait without a duration",
                None,
                on_error,
            )
        }
    };
    let due = walk.journeys.pause_end(now, due);
    let r = Record::wait(&walk.about(), node, &due, None);
    walk.records.push(r);
    if due <= now {
        // A target in the past or now resumes at once.
        let r = Record::resume(&walk.about(), node, Cause::Timer);
        walk.records.push(r);
        return Flow::Goto(next.to_string());
    }
    Flow::Pause(Waiting {
        due,
        reaction: false,
    })
}

/// The timer of the profile's instance in `journey` fired.
pub(super) fn on_timer(
    journeys: &Journeys,
    state: &mut ProfileState,
    journey: &str,
    now: DateTime<Utc>,
    records: &mut Vec<Record>,
    jumps: &mut Jumps,
) {
    if state
        .instances
        .get(journey)
        .is_some_and(|i| i.delivery.is_some())
    {
        // A call's timer reaches the engine only when nothing makes calls.
        let outcome = super::Outcome {
            status: "internalError".into(),
            body: serde_json::Value::Null,
            attempts: 0,
            message: Some("this run does not deliver the action's calls".into()),
        };
        return super::action::on_delivered(
            journeys, state, journey, &outcome, now, records, jumps,
        );
    }
    let Some(mut inst) = state.instances.remove(journey) else {
        return;
    };
    let Some(cj) = journeys.version(journey, inst.version) else {
        return;
    };
    if inst.due().is_none_or(|d| d > now) {
        // Not due (a stale timer): keep waiting.
        state.instances.insert(journey.to_string(), inst);
        return;
    }
    let profile = state.profile.clone();
    let mut walk = Walk::new(journeys, cj, state, &profile, now, records, jumps);
    let timed_out = (now - inst.entered_at).num_milliseconds() >= JOURNEY_TIMEOUT_MS;
    let flow = if timed_out {
        Flow::Exit(ExitReason::Timeout)
    } else {
        let reaction = inst.waiting.as_ref().is_some_and(|w| w.reaction);
        let node = inst.node.clone();
        match cj.journey.nodes.get(&node) {
            Some(Node::Reaction { on_timeout, .. }) if reaction => {
                let r = Record::resume(&walk.about(), &node, Cause::Timeout);
                walk.records.push(r);
                Flow::Goto(on_timeout.clone())
            }
            Some(Node::Wait { next, .. }) => {
                let r = Record::resume(&walk.about(), &node, Cause::Timer);
                walk.records.push(r);
                Flow::Goto(next.clone())
            }
            _ => walk.fail(
                &mut inst,
                &node,
                "internal error: a timer for a node that does not wait",
                None,
                None,
            ),
        }
    };
    inst.waiting = None;
    if walk.advance(&mut inst, flow) {
        state.instances.insert(journey.to_string(), inst);
    }
}
