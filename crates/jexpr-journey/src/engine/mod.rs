//! The engine: a pure step function. Given the compiled journeys, one
//! profile's state, an input and `now`, it returns the new state and the
//! trace records (actions are records too). It reads no clock and does no
//! I/O; the runner owns time, input and the store.

mod action;
mod condition;
mod context;
mod entry;
mod jump;
mod reaction;
mod split;
mod wait;

use crate::check::CompiledJourney;
use crate::model::{ExprSrc, Node};
use crate::state::{Instance, LastError, ProfileState, Waiting};
use crate::trace::{About, ExitReason, Failed, Record};
use chrono::{DateTime, Utc};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::sync::Arc;

pub use action::Outcome;
pub use split::split_bucket;

/// More steps than this without a pause is an error (section 4).
pub const STEP_LIMIT: usize = 1000;
/// The work limit of one evaluation in a journey (instructions, elements
/// visited, and one unit per 16 bytes a computed value allocates): about
/// 20 ms and 16 MB at most, so no condition can stall a run or exhaust its
/// memory. Past it the evaluation fails (`workLimit`) and the node takes
/// `onError`.
pub const EVAL_FUEL: u64 = 1_000_000;

/// Jumps made in one input, at most: the next is an error at its node (a
/// guard beside the check's cycle rule, against long chains of journeys).
pub const JUMP_LIMIT: usize = 100;

/// Every journey version, by id then version.
#[derive(Clone, Default)]
pub struct Journeys {
    by_id: BTreeMap<String, Vec<Arc<CompiledJourney>>>,
    /// Events some program reads after the step that received them (all
    /// but the entry conditions, which read the arriving payload): only
    /// these payloads are remembered by an instance.
    remembered: std::collections::BTreeSet<String>,
    /// `run --explain`: `path` records say why, false entry conditions
    /// write `skip` records.
    explain: bool,
    /// `serve --wait-override`: no wait or reaction timeout lasts longer
    /// than this (milliseconds).
    wait_cap: Option<i64>,
    /// `serve --dry-run`: actions are recorded with status `dryRun`.
    dry_run: bool,
    /// Actions the runner delivers (calls, or mocked responses): an
    /// instance waits at their node for the outcome.
    delivered: std::collections::BTreeSet<String>,
    /// Data sources the runner reads from their endpoint: a node reading
    /// one waits for the fetch, then runs again.
    remote: std::collections::BTreeSet<String>,
}

impl Journeys {
    /// Indexes compiled journeys.
    pub fn new(list: Vec<CompiledJourney>) -> Journeys {
        let mut by_id: BTreeMap<String, Vec<Arc<CompiledJourney>>> = BTreeMap::new();
        for cj in list {
            by_id
                .entry(cj.journey.id.clone())
                .or_default()
                .push(Arc::new(cj));
        }
        for versions in by_id.values_mut() {
            versions.sort_by_key(|cj| cj.journey.version);
        }
        let mut remembered = std::collections::BTreeSet::new();
        for cj in by_id.values().flatten() {
            let entry_when = format!("/nodes/{}/when", cj.journey.start);
            for (pointer, program) in &cj.programs {
                if *pointer != entry_when {
                    remembered.extend(program.events_read().map(str::to_string));
                }
            }
        }
        Journeys {
            by_id,
            remembered,
            explain: false,
            wait_cap: None,
            dry_run: false,
            delivered: Default::default(),
            remote: Default::default(),
        }
    }

    /// The same journeys with `sources` read from their endpoints by the
    /// runner (`serve`, `run --deliver`).
    pub fn fetching(mut self, sources: impl IntoIterator<Item = String>) -> Journeys {
        self.remote.extend(sources);
        self
    }

    /// Whether reads of data source `source` are fetched by the runner.
    pub fn fetches(&self, source: &str) -> bool {
        !self.dry_run && self.remote.contains(source)
    }

    /// The same journeys with `actions` delivered by the runner (`serve`,
    /// `run --deliver`, `run --responses`): an instance waits at such an
    /// action node until the runner brings the call's outcome.
    pub fn delivering(mut self, actions: impl IntoIterator<Item = String>) -> Journeys {
        self.delivered.extend(actions);
        self
    }

    /// Whether the runner delivers `action`.
    pub fn delivers(&self, action: &str) -> bool {
        !self.dry_run && self.delivered.contains(action)
    }

    /// The same journeys in test mode (`serve --wait-override`): every wait
    /// and reaction timeout longer than `cap` milliseconds lasts `cap`.
    pub fn with_wait_cap(mut self, cap: Option<i64>) -> Journeys {
        self.wait_cap = cap;
        self
    }

    /// The same journeys delivering nothing (`serve --dry-run`): `action`
    /// records carry `"status": "dryRun"`.
    pub fn dry_run(mut self, on: bool) -> Journeys {
        self.dry_run = on;
        self
    }

    /// When a pause of `wanted` from `now` ends, under the wait cap.
    pub(crate) fn pause_end(&self, now: DateTime<Utc>, wanted: DateTime<Utc>) -> DateTime<Utc> {
        match self.wait_cap.and_then(|cap| crate::state::later(now, cap)) {
            Some(capped) => wanted.min(capped),
            None => wanted,
        }
    }

    /// The same journeys, explaining their decisions (SERVICE.md section
    /// 6): each `path` record of a condition gets `why` (every path tried,
    /// its condition's tree of values) and an entry `when` that is false
    /// writes a `skip` record. Slower: only for runs a person reads.
    pub fn explaining(mut self, on: bool) -> Journeys {
        self.explain = on;
        self
    }

    /// Whether decisions are explained.
    pub fn explains(&self) -> bool {
        self.explain
    }

    /// Adds a journey version (published while running).
    pub fn add(&mut self, cj: CompiledJourney) {
        let entry_when = format!("/nodes/{}/when", cj.journey.start);
        for (pointer, program) in &cj.programs {
            if *pointer != entry_when {
                self.remembered
                    .extend(program.events_read().map(str::to_string));
            }
        }
        let versions = self.by_id.entry(cj.journey.id.clone()).or_default();
        versions.push(Arc::new(cj));
        versions.sort_by_key(|cj| cj.journey.version);
    }

    /// Whether an instance keeps the payload of event `name` (a later
    /// expression reads it).
    pub fn remembers(&self, name: &str) -> bool {
        self.remembered.contains(name)
    }

    /// The live version of `id` at `now`: the highest published at or before now.
    pub fn live(&self, id: &str, now: DateTime<Utc>) -> Option<&CompiledJourney> {
        self.by_id
            .get(id)?
            .iter()
            .rev()
            .find(|cj| cj.journey.published_at <= now)
            .map(|a| &**a)
    }

    /// Version `v` of `id`.
    pub fn version(&self, id: &str, v: i64) -> Option<&CompiledJourney> {
        self.by_id
            .get(id)?
            .iter()
            .find(|cj| cj.journey.version == v)
            .map(|a| &**a)
    }

    /// Journey ids in order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.by_id.keys().map(String::as_str)
    }

    /// Every version, by id then version.
    pub fn all(&self) -> impl Iterator<Item = &CompiledJourney> {
        self.by_id.values().flatten().map(|a| &**a)
    }
}

/// What happened to a profile.
pub enum Input<'a> {
    /// An event of this profile.
    Event {
        /// Catalog event name.
        name: &'a str,
        /// Its payload.
        payload: &'a Json,
    },
    /// The timer of this profile's instance in journey `journey` is due.
    Timer {
        /// Journey id.
        journey: &'a str,
    },
    /// Version `version` of journey `journey` reads its audience and this
    /// profile is in it.
    Audience {
        /// Journey id.
        journey: &'a str,
        /// Version.
        version: i64,
    },
    /// The call this profile's instance in `journey` waits for has an outcome.
    Delivered {
        /// Journey id.
        journey: &'a str,
        /// What the call gave.
        outcome: &'a Outcome,
    },
}

/// Applies `input` to one profile at `now`: the new state and the records.
pub fn step(
    journeys: &Journeys,
    mut state: ProfileState,
    input: Input<'_>,
    now: DateTime<Utc>,
) -> (ProfileState, Vec<Record>) {
    let mut records = Vec::new();
    let mut jumps = Jumps::default();
    match input {
        Input::Event { name, payload } => {
            let resumed = reaction::on_event(
                journeys,
                &mut state,
                name,
                payload,
                now,
                &mut records,
                &mut jumps,
            );
            for id in journeys.ids() {
                if resumed.iter().any(|r| r == id) {
                    continue;
                }
                if let Some(cj) = journeys.live(id, now) {
                    if matches!(cj.journey.nodes.get(&cj.journey.start), Some(Node::Event { event, .. }) if event == name)
                    {
                        entry::by_event(
                            journeys,
                            cj,
                            &mut state,
                            name,
                            payload,
                            now,
                            &mut records,
                            &mut jumps,
                        );
                        // Before the next journey's entry node sees this event.
                        jump::enter_targets(journeys, &mut state, &mut jumps, now, &mut records);
                    }
                }
            }
        }
        Input::Timer { journey } => {
            wait::on_timer(journeys, &mut state, journey, now, &mut records, &mut jumps)
        }
        Input::Audience { journey, version } => {
            if let Some(cj) = journeys.version(journey, version) {
                entry::by_audience(journeys, cj, &mut state, now, &mut records, &mut jumps);
            }
        }
        Input::Delivered { journey, outcome } => action::on_delivered(
            journeys,
            &mut state,
            journey,
            outcome,
            now,
            &mut records,
            &mut jumps,
        ),
    }
    jump::enter_targets(journeys, &mut state, &mut jumps, now, &mut records);
    (state, records)
}

/// A jump waiting for its origin to move on: the target and the payloads.
pub(crate) struct PendingJump {
    target: String,
    from: String,
    events: crate::state::SmallMap<Json>,
    /// Where its `jump` record is among the input's records: marked
    /// skipped if the target is entered before the jump can be.
    record: usize,
}

/// The jumps of one input: those made and not yet entered, and how many
/// were made in all (bounded by [`JUMP_LIMIT`]).
#[derive(Default)]
pub(crate) struct Jumps {
    pending: Vec<PendingJump>,
    made: usize,
}

/// What a walk may know of the profile's other journeys.
pub(crate) struct View {
    pub in_journeys: std::collections::BTreeSet<String>,
    pub history: crate::state::SmallMap<crate::state::History>,
}

impl View {
    /// The view of `state` for a walk in `cj`. Only jump nodes read it, so
    /// a journey without one gets an empty view: copying the profile's
    /// journeys and history for every walk dominated runs with many
    /// journeys.
    pub fn for_walk(cj: &CompiledJourney, state: &ProfileState) -> View {
        if cj.has_jump() {
            View::of(state)
        } else {
            View {
                in_journeys: Default::default(),
                history: Default::default(),
            }
        }
    }

    pub fn of(state: &ProfileState) -> View {
        View {
            in_journeys: state.instances.keys().cloned().collect(),
            history: state.history.clone(),
        }
    }
}

/// Where a node sends the instance.
pub(crate) enum Flow {
    Goto(String),
    Pause(Waiting),
    /// Wait at the action node for this call's outcome.
    Deliver(Box<crate::state::Delivery>),
    /// Run the current node again (its data has been fetched).
    Here,
    Exit(ExitReason),
}

/// One instance moving through its journey within one input.
pub(crate) struct Walk<'a> {
    pub journeys: &'a Journeys,
    /// The profile's other journeys and entry history, as the walk began.
    pub view: View,
    pub cj: &'a CompiledJourney,
    pub profile_id: &'a str,
    pub profile: &'a crate::state::Profile,
    pub now: DateTime<Utc>,
    pub records: &'a mut Vec<Record>,
    pub jumps: &'a mut Jumps,
    /// With `--explain`: why a condition matched no path, for the `exit`
    /// record that follows.
    pub why_no_path: Option<Json>,
    /// A data source read the last evaluation needs fetched first.
    pub needed: std::cell::RefCell<Option<context::NeededFetch>>,
}

impl<'a> Walk<'a> {
    /// A walk in `cj` for the profile of `state` (whose data it reads).
    pub fn new(
        journeys: &'a Journeys,
        cj: &'a CompiledJourney,
        state: &'a ProfileState,
        profile: &'a crate::state::Profile,
        now: DateTime<Utc>,
        records: &'a mut Vec<Record>,
        jumps: &'a mut Jumps,
    ) -> Walk<'a> {
        Walk {
            journeys,
            view: View::for_walk(cj, state),
            cj,
            profile_id: &state.id,
            profile,
            now,
            records,
            jumps,
            why_no_path: None,
            needed: Default::default(),
        }
    }

    /// An evaluation at `node` failed: when it needs a data source fetched,
    /// the instance waits for the fetch and runs the node again; otherwise
    /// the error is the node's.
    pub fn eval_failed(
        &mut self,
        inst: &mut Instance,
        node: &str,
        err: &jexpr::EvalError,
        expr: &ExprSrc,
        on_error: Option<&str>,
    ) -> Flow {
        if let Some(need) = self.needed.take() {
            inst.calls += 1;
            let id = action::call_id(inst, node);
            return Flow::Deliver(Box::new(crate::state::Delivery {
                action: String::new(),
                params: need.params,
                id,
                since: self.now,
                fetch: Some((need.source, need.group)),
            }));
        }
        self.fail_kind(
            inst,
            node,
            &err.message,
            Some((expr, err.span)),
            on_error,
            err.kind.name(),
        )
    }

    /// Who and when this walk's records are about.
    pub fn about(&self) -> About<'_> {
        About {
            now: self.now,
            journey: &self.cj.journey.id,
            version: self.cj.journey.version,
            profile: self.profile_id,
        }
    }

    /// Moves `inst` from its node (already entered) until it pauses or exits;
    /// returns whether it is still in the journey.
    pub fn advance(&mut self, inst: &mut Instance, first: Flow) -> bool {
        let mut flow = first;
        let mut steps = 0usize;
        loop {
            match flow {
                Flow::Pause(w) => {
                    inst.waiting = Some(w);
                    return true;
                }
                Flow::Deliver(d) => {
                    inst.waiting = None;
                    inst.delivery = Some(d);
                    return true;
                }
                Flow::Exit(reason) => {
                    let mut r = Record::exit(&self.about(), &inst.node, reason);
                    if let Some(why) = self.why_no_path.take() {
                        r = r.explained(why);
                    }
                    self.records.push(r);
                    inst.waiting = None;
                    return false;
                }
                Flow::Goto(next) => {
                    steps += 1;
                    inst.previous_node = Some(std::mem::replace(&mut inst.node, next));
                    if steps > STEP_LIMIT {
                        flow = Flow::Exit(ExitReason::StepLimit);
                        continue;
                    }
                    flow = self.run_node(inst);
                }
                Flow::Here => {
                    steps += 1;
                    if steps > STEP_LIMIT {
                        flow = Flow::Exit(ExitReason::StepLimit);
                        continue;
                    }
                    flow = self.run_node(inst);
                }
            }
        }
    }

    fn run_node(&mut self, inst: &mut Instance) -> Flow {
        let cj = self.cj;
        let id = inst.node.clone();
        let Some(node) = cj.journey.nodes.get(&id) else {
            return self.fail(inst, &id, "the node does not exist", None, None);
        };
        match node {
            Node::Condition {
                paths,
                otherwise,
                on_error,
            } => condition::run(
                self,
                inst,
                &id,
                paths,
                otherwise.as_deref(),
                on_error.as_deref(),
            ),
            Node::Split { paths } => split::run(self, inst, &id, paths),
            Node::Wait {
                duration,
                until,
                next,
                on_error,
            } => wait::run(
                self,
                inst,
                &id,
                *duration,
                until.as_ref(),
                next,
                on_error.as_deref(),
            ),
            Node::Reaction {
                events, timeout, ..
            } => reaction::run(self, inst, &id, events, *timeout),
            Node::Action {
                action,
                params,
                next,
                on_error,
            } => action::run(self, inst, &id, action, params, next, on_error.as_deref()),
            Node::Jump {
                journey,
                params,
                next,
                on_error,
            } => jump::run(self, inst, &id, journey, params, next, on_error.as_deref()),
            Node::End => Flow::Exit(ExitReason::End),
            // Entry nodes are only ever the start; reaching one again ends the walk.
            Node::Event { next, .. } | Node::Audience { next, .. } => Flow::Goto(next.clone()),
        }
    }

    /// Records an error at `node` and sends the instance to `on_error`, or out.
    pub fn fail(
        &mut self,
        inst: &mut Instance,
        node: &str,
        message: &str,
        expr: Option<(&ExprSrc, jexpr::Span)>,
        on_error: Option<&str>,
    ) -> Flow {
        self.fail_kind(inst, node, message, expr, on_error, "error")
    }

    pub fn fail_kind(
        &mut self,
        inst: &mut Instance,
        node: &str,
        message: &str,
        expr: Option<(&ExprSrc, jexpr::Span)>,
        on_error: Option<&str>,
        code: &str,
    ) -> Flow {
        let failed = expr.map(|(e, span)| Failed {
            field: &e.pointer,
            span,
        });
        let r = Record::error(&self.about(), node, message, failed);
        self.records.push(r);
        let node_type = self
            .cj
            .journey
            .nodes
            .get(node)
            .map_or("", |n| n.type_name());
        inst.last_error = Some(LastError {
            node: node.to_string(),
            node_type: node_type.to_string(),
            code: code.to_string(),
        });
        match on_error {
            Some(next) => Flow::Goto(next.to_string()),
            None => Flow::Exit(ExitReason::Error),
        }
    }

    /// Evaluates named expressions (an action's or a jump's `params`) into
    /// a JSON object; `check` refuses a value (a required parameter that is
    /// null) with a message and error code. On a failure the node's error
    /// is recorded and the flow to take is returned.
    pub fn eval_params(
        &mut self,
        inst: &mut Instance,
        node: &str,
        params: &[(String, ExprSrc)],
        on_error: Option<&str>,
        check: impl Fn(&str, &Json) -> Option<(String, &'static str)>,
    ) -> Result<serde_json::Map<String, Json>, Flow> {
        let mut values = serde_json::Map::new();
        for (name, e) in params {
            let failure = match self.eval(inst, e, None, |v| v.to_json()) {
                Ok(v) => match check(name, &v) {
                    None => {
                        values.insert(name.clone(), v);
                        continue;
                    }
                    Some((message, code)) => (message, jexpr::Span::new(0, e.source.len()), code),
                },
                Err(err) => return Err(self.eval_failed(inst, node, &err, e, on_error)),
            };
            let (message, span, code) = failure;
            return Err(self.fail_kind(inst, node, &message, Some((e, span)), on_error, code));
        }
        Ok(values)
    }

    /// Evaluates `e` for `inst`; with `extra`, one more event payload is visible.
    pub fn eval<T>(
        &self,
        inst: &Instance,
        e: &ExprSrc,
        extra: Option<(&str, &Json)>,
        read: impl FnOnce(&jexpr::Value<'_>) -> T,
    ) -> Result<T, jexpr::EvalError> {
        context::eval(self, inst, e, extra, read)
    }

    /// The `eval --explain` tree of `e` for `inst`, as JSON (only asked for
    /// when the journeys explain).
    pub fn explain(&self, inst: &Instance, e: &ExprSrc, extra: Option<(&str, &Json)>) -> Json {
        context::explain(self, inst, e, extra)
    }
}
