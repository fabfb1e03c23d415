//! `jump`: the profile stays and goes on; once its walk has paused or ended,
//! it also enters the target journey's live version at its start, with this
//! instance's remembered events and without the target's entry `when`.

use super::{entry, Flow, Journeys, Jumps, PendingJump, Walk, JUMP_LIMIT};
use crate::state::{Instance, ProfileState};
use crate::trace::{Entry, Record};
use chrono::{DateTime, Utc};

pub(super) fn run(
    walk: &mut Walk<'_>,
    inst: &mut Instance,
    node: &str,
    target: &str,
    params: &[(String, crate::model::ExprSrc)],
    next: &str,
    on_error: Option<&str>,
) -> Flow {
    let Some(cj) = walk.journeys.live(target, walk.now) else {
        let message = format!("journey `{target}` has no version live at this time");
        return walk.fail(inst, node, &message, None, on_error);
    };
    if walk.view.in_journeys.contains(target) {
        let r = Record::jump(&walk.about(), node, target, true);
        walk.records.push(r);
        return Flow::Goto(next.to_string());
    }
    if let Some(reason) = entry::refusal(cj, false, walk.view.history.get(target), walk.now) {
        let message = format!("journey `{target}` refuses the profile ({reason})");
        return walk.fail(inst, node, &message, None, on_error);
    }
    if walk.jumps.made >= JUMP_LIMIT {
        let message = format!(
            "more than {JUMP_LIMIT} jumps in one input: the chain of journeys is too long to follow"
        );
        return walk.fail(inst, node, &message, None, on_error);
    }
    // The mapped start event, evaluated here, before anything is traced.
    let mut events = inst.events.clone();
    if !params.is_empty() {
        let payload = match walk.eval_params(inst, node, params, on_error, |_, _| None) {
            Ok(payload) => payload,
            Err(flow) => return flow,
        };
        if let Some(crate::model::Node::Event { event, .. }) =
            cj.journey.nodes.get(&cj.journey.start)
        {
            events.insert(event.clone(), serde_json::Value::Object(payload));
        }
    }
    walk.jumps.made += 1;
    let r = Record::jump(&walk.about(), node, target, false);
    let record = walk.records.len();
    walk.records.push(r);
    // Seen as in the target from now on, so a second jump in this walk is skipped.
    walk.view.in_journeys.insert(target.to_string());
    walk.jumps.pending.push(PendingJump {
        target: target.to_string(),
        from: walk.cj.journey.id.clone(),
        events,
        record,
    });
    Flow::Goto(next.to_string())
}

/// Enters the targets of the pending jumps (unless the profile entered one
/// meanwhile), following the jumps they make in turn. Called as soon as the
/// walk that jumped has paused or ended (JOURNEYS.md section 3).
pub(super) fn enter_targets(
    journeys: &Journeys,
    state: &mut ProfileState,
    jumps: &mut Jumps,
    now: DateTime<Utc>,
    records: &mut Vec<Record>,
) {
    while !jumps.pending.is_empty() {
        for jump in std::mem::take(&mut jumps.pending) {
            let Some(cj) = journeys.live(&jump.target, now) else {
                continue;
            };
            // Entered meanwhile by another path of this input: the jump
            // did not happen, and its record says so.
            if let Some(reason) = entry::refusal(
                cj,
                state.instances.contains_key(&jump.target),
                state.history.get(&jump.target),
                now,
            ) {
                if let Some(r) = records.get_mut(jump.record) {
                    let skipped = std::mem::replace(r, Record::placeholder()).skipped_jump(reason);
                    *r = skipped;
                }
                continue;
            }
            entry::admit(
                journeys,
                cj,
                state,
                jump.events,
                Entry::From(&jump.from),
                now,
                records,
                jumps,
            );
        }
    }
}
