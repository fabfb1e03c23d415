//! Entry nodes (`event`, `audience`): admission with re-entrance rules.

use super::{Flow, Jumps, Walk};
use crate::check::CompiledJourney;
use crate::model::Node;
use crate::state::{History, Instance, ProfileState};
use crate::trace::{About, Entry, Record, Refusal};
use chrono::{DateTime, Utc};
use serde_json::Value as Json;

/// Why a profile may not enter, if it may not.
pub(super) fn refusal(
    cj: &CompiledJourney,
    in_journey: bool,
    history: Option<&History>,
    now: DateTime<Utc>,
) -> Option<Refusal> {
    if in_journey {
        return Some(Refusal::AlreadyIn);
    }
    let h = history?;
    match &cj.journey.reentrance {
        Some(r) if r.allowed => {
            let since = (now - h.last_entry).num_milliseconds();
            (since < r.wait_period).then_some(Refusal::WaitPeriod)
        }
        _ => Some(Refusal::NoReentrance),
    }
}

/// Who and when a record of journey `j` about `profile` is about.
fn about<'a>(j: &'a crate::model::Journey, profile: &'a str, now: DateTime<Utc>) -> About<'a> {
    About {
        now,
        journey: &j.id,
        version: j.version,
        profile,
    }
}

/// Creates the instance, traces `enter` (with `how`) and walks it.
#[allow(clippy::too_many_arguments)]
pub(super) fn admit(
    journeys: &super::Journeys,
    cj: &CompiledJourney,
    state: &mut ProfileState,
    events: crate::state::SmallMap<Json>,
    how: Entry<'_>,
    now: DateTime<Utc>,
    records: &mut Vec<Record>,
    jumps: &mut Jumps,
) {
    let j = &cj.journey;
    let entry = state.history.get(&j.id).map_or(0, |h| h.entries) + 1;
    state.history.insert(
        j.id.clone(),
        History {
            entries: entry,
            last_entry: now,
        },
    );
    let mut inst = Instance {
        id: format!("{}:{entry}:{}", j.id, state.id),
        journey: j.id.clone(),
        version: j.version,
        node: j.start.clone(),
        previous_node: None,
        entered_at: now,
        entry,
        events,
        waiting: None,
        last_error: None,
        delivery: None,
        calls: 0,
    };
    records.push(Record::enter(
        &about(j, &state.id, now),
        &j.start,
        how,
        &inst.id,
        // A journey without a name is named by its id: no need to repeat it.
        if j.name == j.id { "" } else { &j.name },
    ));
    let next = match j.nodes.get(&j.start) {
        Some(Node::Event { next, .. } | Node::Audience { next, .. }) => next.clone(),
        _ => return,
    };
    let profile = state.profile.clone();
    let mut walk = Walk::new(journeys, cj, state, &profile, now, records, jumps);
    if walk.advance(&mut inst, Flow::Goto(next)) {
        state.instances.insert(j.id.clone(), inst);
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn by_event(
    journeys: &super::Journeys,
    cj: &CompiledJourney,
    state: &mut ProfileState,
    name: &str,
    payload: &Json,
    now: DateTime<Utc>,
    records: &mut Vec<Record>,
    jumps: &mut Jumps,
) {
    let j = &cj.journey;
    let Some(Node::Event { when, .. }) = j.nodes.get(&j.start) else {
        return;
    };
    if let Some(when) = when {
        let probe = Instance {
            id: String::new(),
            journey: j.id.clone(),
            version: j.version,
            node: j.start.clone(),
            previous_node: None,
            entered_at: now,
            entry: state.history.get(&j.id).map_or(0, |h| h.entries) + 1,
            events: Default::default(),
            waiting: None,
            last_error: None,
            delivery: None,
            calls: 0,
        };
        let profile = state.profile.clone();
        let mut walk = Walk::new(journeys, cj, state, &profile, now, records, jumps);
        match walk.eval(&probe, when, Some((name, payload)), |v| v.truthy()) {
            Ok(true) => {}
            Ok(false) => {
                if journeys.explains() {
                    let why = walk.explain(&probe, when, Some((name, payload)));
                    let r = Record::skip(&walk.about(), &j.start, name, why);
                    walk.records.push(r);
                }
                return;
            }
            Err(e) => {
                let mut p = probe;
                let _ = walk.fail(&mut p, &j.start, &e.message, Some((when, e.span)), None);
                // Not entered: the `exit` the failure implies is not traced.
                return;
            }
        }
    }
    if let Some(reason) = refusal(
        cj,
        state.instances.contains_key(&j.id),
        state.history.get(&j.id),
        now,
    ) {
        records.push(Record::reject(
            &about(j, &state.id, now),
            Entry::Event(name),
            reason,
        ));
        return;
    }
    let events = if journeys.remembers(name) {
        std::iter::once((name.to_string(), payload.clone())).collect()
    } else {
        Default::default()
    };
    admit(
        journeys,
        cj,
        state,
        events,
        Entry::Event(name),
        now,
        records,
        jumps,
    );
}

pub(super) fn by_audience(
    journeys: &super::Journeys,
    cj: &CompiledJourney,
    state: &mut ProfileState,
    now: DateTime<Utc>,
    records: &mut Vec<Record>,
    jumps: &mut Jumps,
) {
    let j = &cj.journey;
    let Some(Node::Audience { audience, .. }) = j.nodes.get(&j.start) else {
        return;
    };
    if let Some(reason) = refusal(
        cj,
        state.instances.contains_key(&j.id),
        state.history.get(&j.id),
        now,
    ) {
        records.push(Record::reject(
            &about(j, &state.id, now),
            Entry::Audience(audience),
            reason,
        ));
        return;
    }
    admit(
        journeys,
        cj,
        state,
        Default::default(),
        Entry::Audience(audience),
        now,
        records,
        jumps,
    );
}
