//! `reaction`: wait for one of several events of this profile, or time out.

use super::{Flow, Journeys, Jumps, Walk};
use crate::model::{Node, ReactionEvent};
use crate::state::{ProfileState, Waiting};
use crate::trace::{Cause, Record};
use chrono::{DateTime, Utc};
use serde_json::Value as Json;

pub(super) fn run(
    walk: &mut Walk<'_>,
    inst: &mut crate::state::Instance,
    node: &str,
    events: &[ReactionEvent],
    timeout: i64,
) -> Flow {
    let Some(due) = crate::state::later(walk.now, timeout) else {
        return walk.fail(
            inst,
            node,
            "the reaction's timeout falls after the last date the calendar has",
            None,
            None,
        );
    };
    let due = walk.journeys.pause_end(walk.now, due);
    let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    let r = Record::wait(&walk.about(), node, &due, Some(&names));
    walk.records.push(r);
    Flow::Pause(Waiting {
        due,
        reaction: true,
    })
}

/// Resumes the profile's instances waiting in a reaction for `name`, in
/// journey id order; returns the journeys resumed.
pub(super) fn on_event(
    journeys: &Journeys,
    state: &mut ProfileState,
    name: &str,
    payload: &Json,
    now: DateTime<Utc>,
    records: &mut Vec<Record>,
    jumps: &mut Jumps,
) -> Vec<String> {
    let mut resumed = Vec::new();
    let waiting: Vec<String> = state
        .instances
        .iter()
        .filter(|(_, i)| i.waiting.as_ref().is_some_and(|w| w.reaction))
        .map(|(j, _)| j.clone())
        .collect();
    for journey in waiting {
        let Some(mut inst) = state.instances.remove(&journey) else {
            continue;
        };
        let Some(cj) = journeys.version(&journey, inst.version) else {
            state.instances.insert(journey, inst);
            continue;
        };
        let node = inst.node.clone();
        let Some(Node::Reaction { events, .. }) = cj.journey.nodes.get(&node) else {
            state.instances.insert(journey, inst);
            continue;
        };
        let profile = state.profile.clone();
        let mut walk = Walk::new(journeys, cj, state, &profile, now, records, jumps);
        let mut flow = None;
        for e in events.iter().filter(|e| e.event == name) {
            let holds = match &e.when {
                None => Ok(true),
                Some(w) => walk
                    .eval(&inst, w, Some((name, payload)), |v| v.truthy())
                    .map_err(|err| (w, err)),
            };
            match holds {
                Ok(true) => {
                    if journeys.remembers(name) {
                        inst.events.insert(name.to_string(), payload.clone());
                    }
                    let r = Record::resume(&walk.about(), &node, Cause::Event(name));
                    walk.records.push(r);
                    flow = Some(Flow::Goto(e.next.clone()));
                    break;
                }
                Ok(false) => {}
                Err((w, err)) => {
                    flow = Some(walk.fail_kind(
                        &mut inst,
                        &node,
                        &err.message,
                        Some((w, err.span)),
                        None,
                        err.kind.name(),
                    ));
                    break;
                }
            }
        }
        match flow {
            None => {
                state.instances.insert(journey, inst);
            }
            Some(flow) => {
                inst.waiting = None;
                resumed.push(journey.clone());
                if walk.advance(&mut inst, flow) {
                    state.instances.insert(journey, inst);
                }
                // Before the next reaction or entry node sees this event.
                super::jump::enter_targets(journeys, state, jumps, now, records);
            }
        }
    }
    resumed
}
