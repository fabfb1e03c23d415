//! `journey check`: every problem of a set of journeys in one pass — shape,
//! references between nodes and journeys, reachability, cycles without a
//! pause, and every expression compiled against the catalog for its role.

use crate::catalog::JourneyCatalog;
use crate::model::{self, ExprSrc, Journey, Node};
use crate::problem::{Problem, Report};
use jexpr::{Compiler, Diagnostic, Program, Span, Type};
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// A journey version ready to run: its nodes and every expression compiled
/// once. Immutable and `Send + Sync`.
#[derive(Clone)]
pub struct CompiledJourney {
    /// The journey as written.
    pub journey: Journey,
    /// Expression pointer → program.
    pub programs: BTreeMap<String, Arc<Program>>,
    /// Whether some node is a `jump` (found once here: a walk asks at every
    /// step, and scanning the nodes each time was quadratic in a long chain).
    has_jump: bool,
    /// The catalog it was compiled against (shared by every journey of one
    /// check): `--explain` compiles sub-expressions against it.
    catalog: Arc<jexpr::Catalog>,
    /// Action name → its required parameters (from the catalog).
    required: Arc<BTreeMap<String, BTreeSet<String>>>,
}

impl CompiledJourney {
    /// Whether the journey has a `jump` node.
    pub fn has_jump(&self) -> bool {
        self.has_jump
    }

    /// Whether parameter `param` of action `action` must not be null.
    pub fn required(&self, action: &str, param: &str) -> bool {
        self.required
            .get(action)
            .is_some_and(|ps| ps.contains(param))
    }

    /// The catalog the journey was checked against.
    pub fn catalog(&self) -> &jexpr::Catalog {
        &self.catalog
    }

    /// The first profile-data read (`#{…}`) of the journey's expressions,
    /// as written: a run without profiles reads it as null.
    pub fn first_profile_read(&self) -> Option<String> {
        fn find(e: &jexpr::ast::Expr, src: &str, depth: usize) -> Option<String> {
            use jexpr::ast::ExprKind;
            if depth > jexpr::MAX_DEPTH {
                return None;
            }
            let go = |x: &jexpr::ast::Expr| find(x, src, depth + 1);
            match &e.kind {
                ExprKind::Field(f) if f.origin == jexpr::ast::Origin::DataSource => {
                    Some(e.span.text(src).to_string())
                }
                ExprKind::Field(f) => f.default.as_ref().and_then(go),
                ExprKind::List(items) => items.iter().find_map(go),
                ExprKind::Call(call) => call.args.iter().find_map(go),
                ExprKind::Unary(_, x) | ExprKind::Test(_, x) => go(x),
                ExprKind::Binary(_, l, r) => go(l).or_else(|| go(r)),
                ExprKind::If(parts) => parts.iter().find_map(go),
                _ => None,
            }
        }
        self.programs.values().find_map(|p| {
            let src = p.source();
            jexpr::parse(src).ok().and_then(|ast| find(&ast, src, 0))
        })
    }

    /// The program of the expression at `pointer`.
    pub fn program(&self, e: &ExprSrc) -> Option<&Program> {
        self.programs.get(&e.pointer).map(|p| &**p)
    }
}

/// The state fingerprint of checked journeys and the sources (file name,
/// text) they were read from, with the catalog's text.
pub fn fingerprint(
    sources: &[(String, String)],
    compiled: &[CompiledJourney],
    catalog: Option<&str>,
) -> crate::store::Fingerprint {
    let versions: Vec<(String, i64, String)> = compiled
        .iter()
        .map(|cj| {
            let text = sources
                .iter()
                .find(|(f, _)| *f == cj.journey.file)
                .map(|(_, t)| t.clone())
                .unwrap_or_default();
            (cj.journey.id.clone(), cj.journey.version, text)
        })
        .collect();
    crate::store::Fingerprint::new(&versions, catalog)
}

/// Checks journey files given as (file name, text); returns the report and,
/// when it has no errors, the compiled journeys.
pub fn check(
    files: &[(String, String)],
    catalog: &JourneyCatalog,
) -> (Report, Vec<CompiledJourney>) {
    let mut problems = Vec::new();
    let mut journeys = Vec::new();
    for (file, text) in files {
        let doc: Json = match crate::json::parse(text) {
            Ok(d) => d,
            Err(problem) => {
                problems.push(
                    crate::json::to_problem(problem, file)
                        .with_help("a journey file is one JSON object with each key given once"),
                );
                continue;
            }
        };
        if let Some(j) = model::read(file, &doc, &mut problems) {
            journeys.push(j);
        }
    }
    let mut seen = BTreeMap::new();
    for j in &journeys {
        if let Some(other) = seen.insert((j.id.clone(), j.version), j.file.clone()) {
            problems.push(Problem::error(
                "J065",
                &j.file,
                "/version",
                format!(
                    "journey `{}` version {} is also given in {other}",
                    j.id, j.version
                ),
            ));
        }
    }
    // Per journey id: whether every version given starts with an event
    // node (a jump enters whichever is live then). Not the last file's
    // version: the check must not depend on the order of the files.
    let mut starts: BTreeMap<&str, bool> = BTreeMap::new();
    for j in &journeys {
        let by_event = matches!(j.nodes.get(&j.start), Some(Node::Event { .. }));
        *starts.entry(j.id.as_str()).or_insert(true) &= by_event;
    }
    // Per journey id, the journeys that jump to it without mapping its
    // start event (`params`): those entries carry no such event.
    let mut jumped_from: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for j in &journeys {
        for node in j.nodes.values() {
            if let Node::Jump {
                journey, params, ..
            } = node
            {
                let origins = jumped_from.entry(journey.as_str()).or_default();
                if params.is_empty() && !origins.contains(&j.id.as_str()) {
                    origins.push(j.id.as_str());
                }
            }
        }
    }
    // Per journey id, the event its start node takes (what jump `params` map).
    let start_events: BTreeMap<&str, &str> = journeys
        .iter()
        .filter_map(|j| match j.nodes.get(&j.start) {
            Some(Node::Event { event, .. }) => Some((j.id.as_str(), event.as_str())),
            _ => None,
        })
        .collect();
    let mut compiled = Vec::new();
    let shared = Arc::new(catalog.core.clone());
    let required = Arc::new(catalog.required.clone());
    for j in &journeys {
        let before = problems.len();
        structure(j, catalog, &starts, &mut problems);
        let programs = expressions(j, catalog, &start_events, &mut problems);
        let failed = problems[before..]
            .iter()
            .any(|p| p.severity == crate::problem::Severity::Error);
        if !failed {
            let entries = crate::received::Entries {
                jumped_from: jumped_from.get(j.id.as_str()).cloned().unwrap_or_default(),
            };
            problems.extend(crate::received::null_reads(j, &programs, &entries));
            compiled.push(CompiledJourney {
                has_jump: j.nodes.values().any(|n| matches!(n, Node::Jump { .. })),
                journey: j.clone(),
                programs,
                catalog: shared.clone(),
                required: required.clone(),
            });
        }
    }
    jump_cycles(&journeys, &mut problems);
    for p in &mut problems {
        if let Some((_, text)) = files.iter().find(|(f, _)| *f == p.file) {
            p.locate_in(text);
        }
    }
    let report = Report { problems };
    if report.has_errors() {
        compiled.clear();
    }
    (report, compiled)
}

fn structure(
    j: &Journey,
    catalog: &JourneyCatalog,
    starts: &BTreeMap<&str, bool>,
    problems: &mut Vec<Problem>,
) {
    let f = &j.file;
    let ids = || j.nodes.keys().map(String::as_str);
    let missing = |name: &str, ptr: &str, key: &str| {
        let mut p = Problem::error("J010", f, ptr, format!("`{key}` names no node `{name}`"));
        if let Some(s) = jexpr::authoring::closest(name, ids()) {
            p = p.with_help(format!("did you mean `{s}`?"));
        } else {
            p = p.with_help(format!(
                "the nodes are {}",
                ids()
                    .map(|i| format!("`{i}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        p
    };
    match j.nodes.get(&j.start) {
        None => problems.push(missing(&j.start, "/start", "start")),
        Some(Node::Event { .. } | Node::Audience { .. }) => {}
        Some(other) => problems.push(
            Problem::error(
                "J011",
                f,
                "/start",
                format!(
                    "the start node `{}` is a `{}` node",
                    j.start,
                    other.type_name()
                ),
            )
            .with_help("a journey starts with an `event` or `audience` node"),
        ),
    }
    let known_event = |e: &str| catalog.core.events.contains_key(e);
    let unknown_event = |e: &str, ptr: String| {
        let mut p = Problem::error("J050", f, &ptr, format!("unknown event `{e}`"));
        if let Some(s) =
            jexpr::authoring::closest(e, catalog.core.events.keys().map(String::as_str))
        {
            p = p.with_help(format!("did you mean `{s}`?"));
        }
        p
    };
    for (id, node) in &j.nodes {
        let ptr = format!("/nodes/{}", model::escape(id));
        for (key_ptr, target) in node.successors() {
            if !j.nodes.contains_key(target) {
                let key = key_ptr.rsplit('/').next().unwrap_or("next").to_string();
                problems.push(missing(target, &format!("{ptr}{key_ptr}"), &key));
            }
        }
        if id != &j.start && matches!(node, Node::Event { .. } | Node::Audience { .. }) {
            problems.push(
                Problem::error("J011", f, &format!("{ptr}/type"), format!("`{id}` is an entry node but not the start"))
                    .with_help("only the `start` node may be an `event` or `audience` node; use a `reaction` to wait for an event"),
            );
        }
        match node {
            Node::Event { event, .. } if !known_event(event) => {
                problems.push(unknown_event(event, format!("{ptr}/event")))
            }
            Node::Reaction { events, .. } => {
                for (i, e) in events.iter().enumerate() {
                    if !known_event(&e.event) {
                        problems.push(unknown_event(&e.event, format!("{ptr}/events/{i}/event")));
                    }
                }
            }
            Node::Audience { audience, .. } => {
                if let Some(list) = &catalog.core.audiences {
                    if !list.contains(audience) {
                        let mut p = Problem::error(
                            "J051",
                            f,
                            &format!("{ptr}/audience"),
                            format!("unknown audience `{audience}`"),
                        );
                        if let Some(s) =
                            jexpr::authoring::closest(audience, list.iter().map(String::as_str))
                        {
                            p = p.with_help(format!("did you mean `{s}`?"));
                        }
                        problems.push(p);
                    }
                }
            }
            Node::Action { action, params, .. } => match catalog.actions.get(action) {
                None => {
                    let mut p = Problem::error(
                        "J052",
                        f,
                        &format!("{ptr}/action"),
                        format!("unknown action `{action}`"),
                    );
                    if let Some(s) = jexpr::authoring::closest(
                        action,
                        catalog.actions.keys().map(String::as_str),
                    ) {
                        p = p.with_help(format!("did you mean `{s}`?"));
                    } else if catalog.actions.is_empty() {
                        p = p.with_help(
                            "declare actions in the catalog's `actions` (docs/catalog.md)",
                        );
                    }
                    problems.push(p);
                }
                Some(declared) => {
                    for name in declared.keys() {
                        if !params.iter().any(|(n, _)| n == name) {
                            problems.push(Problem::error(
                                "J053",
                                f,
                                &format!("{ptr}/params"),
                                format!("action `{action}` needs parameter `{name}`"),
                            ));
                        }
                    }
                    for (name, _) in params {
                        if !declared.contains_key(name) {
                            let mut p = Problem::error(
                                "J054",
                                f,
                                &format!("{ptr}/params/{}", model::escape(name)),
                                format!("action `{action}` has no parameter `{name}`"),
                            );
                            if let Some(s) =
                                jexpr::authoring::closest(name, declared.keys().map(String::as_str))
                            {
                                p = p.with_help(format!("did you mean `{s}`?"));
                            }
                            problems.push(p);
                        }
                    }
                }
            },
            Node::Jump { journey, .. } => match starts.get(journey.as_str()) {
                None => problems.push(
                    Problem::error(
                        "J020",
                        f,
                        &format!("{ptr}/journey"),
                        format!(
                            "jump to journey `{journey}`, which is not among the journeys given"
                        ),
                    )
                    .with_help("pass the target journey's file too"),
                ),
                Some(false) => problems.push(Problem::error(
                    "J021",
                    f,
                    &format!("{ptr}/journey"),
                    format!(
                        "jump to journey `{journey}`, which does not start with an `event` node (in every version given)"
                    ),
                )),
                Some(true) => {}
            },
            _ => {}
        }
    }
    // Reachability from the start.
    let mut reached = BTreeSet::new();
    let mut todo = vec![j.start.as_str()];
    while let Some(n) = todo.pop() {
        if !reached.insert(n) {
            continue;
        }
        if let Some(node) = j.nodes.get(n) {
            todo.extend(node.successors().into_iter().map(|(_, t)| t));
        }
    }
    for id in j.nodes.keys() {
        if !reached.contains(id.as_str()) {
            problems.push(
                Problem::warning(
                    "J023",
                    f,
                    &format!("/nodes/{}", model::escape(id)),
                    format!("no path reaches node `{id}`"),
                )
                .with_help("connect it with a `next`, or remove it"),
            );
        }
    }
    // A cycle through nodes that never pause would loop without end.
    if let Some(cycle) = cycle_without_pause(j) {
        problems.push(
            Problem::error(
                "J024",
                f,
                &format!("/nodes/{}", model::escape(&cycle[0])),
                format!(
                    "the nodes {} form a cycle with no `wait` or `reaction`",
                    cycle
                        .iter()
                        .map(|c| format!("`{c}`"))
                        .collect::<Vec<_>>()
                        .join(" → ")
                ),
            )
            .with_help("put a `wait` or `reaction` on the cycle"),
        );
    }
}

fn cycle_without_pause(j: &Journey) -> Option<Vec<String>> {
    // Iterative depth-first search over non-pausing nodes.
    let mut state: BTreeMap<&str, u8> = BTreeMap::new();
    for root in j.nodes.keys() {
        if state.contains_key(root.as_str()) {
            continue;
        }
        let mut stack: Vec<(&str, Vec<&str>)> = Vec::new();
        let succ = |n: &str| -> Vec<&str> {
            match j.nodes.get(n) {
                Some(node) if !node.pauses() => node
                    .successors()
                    .into_iter()
                    .map(|(_, t)| t)
                    .filter(|t| j.nodes.contains_key(*t))
                    .collect(),
                _ => Vec::new(),
            }
        };
        state.insert(root, 1);
        stack.push((root, succ(root)));
        while let Some((node, children)) = stack.last_mut() {
            let node = *node;
            match children.pop() {
                Some(next) => match state.get(next) {
                    Some(1) => {
                        let start = stack.iter().position(|(n, _)| *n == next).unwrap_or(0);
                        let mut cycle: Vec<String> =
                            stack[start..].iter().map(|(n, _)| n.to_string()).collect();
                        cycle.push(next.to_string());
                        return Some(cycle);
                    }
                    Some(_) => {}
                    None => {
                        state.insert(next, 1);
                        let s = succ(next);
                        stack.push((next, s));
                    }
                },
                None => {
                    state.insert(node, 2);
                    stack.pop();
                }
            }
        }
    }
    None
}

fn jump_cycles(journeys: &[Journey], problems: &mut Vec<Problem>) {
    let mut edges: BTreeMap<&str, Vec<(&str, &Journey, String)>> = BTreeMap::new();
    for j in journeys {
        for (id, node) in &j.nodes {
            if let Node::Jump { journey, .. } = node {
                edges.entry(j.id.as_str()).or_default().push((
                    journey.as_str(),
                    j,
                    format!("/nodes/{}/journey", model::escape(id)),
                ));
            }
        }
    }
    let mut reported = BTreeSet::new();
    for start in edges.keys() {
        // Paths from `start` back to itself, breadth-first, shortest first.
        let mut queue = std::collections::VecDeque::from([(*start, vec![*start])]);
        let mut visited = BTreeSet::new();
        while let Some((at, path)) = queue.pop_front() {
            for (to, j, ptr) in edges.get(at).into_iter().flatten() {
                if *to == *start {
                    let mut key: Vec<&str> = path.clone();
                    key.sort();
                    if reported.insert(key) {
                        let mut shown = path.clone();
                        shown.push(start);
                        problems.push(
                            Problem::error("J022", &j.file, ptr, format!("jumps form a cycle: {}", shown.join(" → ")))
                                .with_help("a profile would jump between these journeys without end; remove one jump"),
                        );
                    }
                } else if visited.insert(*to) {
                    let mut p = path.clone();
                    p.push(to);
                    queue.push_back((to, p));
                }
            }
        }
    }
}

/// Compiles every expression of `j` and checks its type for its role.
fn expressions(
    j: &Journey,
    catalog: &JourneyCatalog,
    start_events: &BTreeMap<&str, &str>,
    problems: &mut Vec<Problem>,
) -> BTreeMap<String, Arc<Program>> {
    let compiler = Compiler::new(&catalog.core);
    // The type of field `field` of event `event`, as `@{event.field}` reads it.
    let field_type = |event: &str, field: &str| -> Option<Type> {
        let quoted = if field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            field.to_string()
        } else {
            format!("'{}'", field.replace('\'', ""))
        };
        compiler
            .compile(&format!("@{{{event}.{quoted}}}"))
            .ok()
            .map(|p| p.ty().clone())
    };
    let mut jump_params: Vec<(&ExprSrc, Type)> = Vec::new();
    for node in j.nodes.values() {
        if let Node::Jump {
            journey, params, ..
        } = node
        {
            let Some(event) = start_events.get(journey.as_str()) else {
                continue; // a jump to a journey not given: reported above
            };
            for (name, e) in params {
                match field_type(event, name) {
                    Some(t) => jump_params.push((e, t)),
                    None => problems.push(
                        Problem::error(
                            "J071",
                            &j.file,
                            &e.pointer,
                            format!("the start event `{event}` of journey `{journey}` has no field `{name}`"),
                        )
                        .with_help(format!("`params` of a jump give the fields of `{event}`, the event the target starts with")),
                    ),
                }
            }
        }
    }
    let mut programs = BTreeMap::new();
    let mut compile = |e: &ExprSrc, role: Role<'_>| match compiler.compile(&e.source) {
        Err(ds) => {
            for d in ds {
                let d = match role {
                    Role::Param(_) | Role::Any if d.code == "E0109" => {
                        d.with_help(literal_text_help(&e.source))
                    }
                    _ => d,
                };
                problems.push(Problem::expression(&j.file, &e.pointer, &e.source, d));
            }
        }
        Ok(p) => {
            let ty = p.ty();
            let ok = *ty == Type::Null
                || match role {
                    Role::Condition => *ty == Type::Boolean,
                    Role::Until => matches!(ty, Type::DateTimeOnly | Type::DateTime),
                    Role::Param(t) => ty == t || (*t == Type::Decimal && *ty == Type::Integer),
                    Role::Any => true,
                };
            if let (true, Role::Until) = (ok, role) {
                if let Some(days) = provably_beyond_limit(&e.source) {
                    let d = Diagnostic::new(
                        "J064",
                        Span::new(0, e.source.len()),
                        format!("this wait ends about {days} days from now; a wait lasts at most 90 days"),
                    )
                    .with_label("always too far")
                    .with_help("wait at most 90 days (e.g. `nowWithDelta(90, \"days\")`), or split the wait in two");
                    problems.push(Problem::expression(&j.file, &e.pointer, &e.source, d));
                }
            }
            if ok {
                programs.insert(e.pointer.clone(), Arc::new(p));
            } else {
                let (want, help) = match role {
                        Role::Condition => ("a `boolean`".to_string(), "a condition must be true or false: compare the value, e.g. `… == \"x\"` or `… is not null`".to_string()),
                        Role::Until => ("a `dateTimeOnly` or `dateTime`".to_string(), "e.g. 9:00 the next day, local time: `toDateTimeOnly(toString(toDateOnly(nowWithDelta(1, \"days\")))) + toDuration(\"PT9H\")`".to_string()),
                        Role::Param(t) => (format!("{} `{t}`", article(&t.to_string())), format!("the catalog declares this parameter as `{t}`")),
                        Role::Any => (String::new(), String::new()),
                    };
                let d = Diagnostic::new(
                    "E0309",
                    Span::new(0, e.source.len()),
                    format!("expected {want} expression, found `{ty}`"),
                )
                .with_label(format!("this is `{ty}`"))
                .with_help(help);
                problems.push(Problem::expression(&j.file, &e.pointer, &e.source, d));
            }
        }
    };
    for node in j.nodes.values() {
        match node {
            Node::Event { when: Some(w), .. } => compile(w, Role::Condition),
            Node::Condition { paths, .. } => {
                paths.iter().for_each(|p| compile(&p.when, Role::Condition))
            }
            Node::Wait { until: Some(u), .. } => compile(u, Role::Until),
            Node::Reaction { events, .. } => events
                .iter()
                .filter_map(|e| e.when.as_ref())
                .for_each(|w| compile(w, Role::Condition)),
            Node::Action { action, params, .. } => {
                let declared = catalog.actions.get(action);
                for (name, e) in params {
                    match declared.and_then(|d| d.get(name)) {
                        Some(t) => compile(e, Role::Param(t)),
                        // Unknown parameter or action: reported above; still check the text.
                        None => compile(e, Role::Any),
                    }
                }
            }
            _ => {}
        }
    }
    for (e, t) in &jump_params {
        compile(e, Role::Param(t));
    }
    programs
}

/// The advice for a parameter written as plain text (`Happy birthday!`):
/// a parameter is an expression, so literal text is a string literal, and
/// in the journey file that literal sits inside a JSON string.
fn literal_text_help(text: &str) -> String {
    let literal = format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""));
    let in_json = serde_json::to_string(&literal).unwrap_or_default();
    // One word may also be a field meant without its `@{…}`.
    let field = match text.split_whitespace().collect::<Vec<_>>().as_slice() {
        [word] => format!("for a field write `@{{Event.{word}}}`; "),
        _ => String::new(),
    };
    format!("a parameter is an expression: {field}to send this text as it is, write it as a string, which in the journey file reads {in_json}")
}

/// About how many days from now an `until` ends, when that is provably
/// more than 90: `nowWithDelta(n, unit)` with constants, possibly under
/// functions that move a time by less than a month (`setHours`,
/// `toDateTimeOnly`, …). `None` when it cannot be told.
fn provably_beyond_limit(src: &str) -> Option<i64> {
    use jexpr::ast::{ExprKind, UnaryOp};
    const DAY: i64 = 86_400_000;
    let mut e = jexpr::parse(src).ok()?;
    let mut slack = 0; // days the wrappers may move the time back
    for _ in 0..16 {
        let ExprKind::Call(call) = &e.kind else {
            return None;
        };
        let arg = call.args.first()?.clone();
        match call.name.text.as_str() {
            "toDateTimeOnly" | "updateTimeZone" | "toDateTime" if call.args.len() <= 2 => {}
            "setHours" => slack += 1,
            "setDays" => slack += 31,
            "nowWithDelta" => {
                let n = match &arg.kind {
                    ExprKind::Integer(n) => *n,
                    ExprKind::Unary(UnaryOp::Neg, x) => match x.kind {
                        ExprKind::Integer(n) => -n,
                        _ => return None,
                    },
                    _ => return None,
                };
                let ExprKind::String(unit) = &call.args.get(1)?.kind else {
                    return None;
                };
                let unit_ms: i64 = match unit.as_str() {
                    "seconds" => 1000,
                    "minutes" => 60_000,
                    "hours" => 3_600_000,
                    "days" => DAY,
                    "months" => 28 * DAY,
                    "years" => 365 * DAY,
                    _ => return None,
                };
                let days = n.checked_mul(unit_ms)? / DAY;
                // A day of daylight-saving slack as well.
                return (days - slack - 1 > 90).then_some(days);
            }
            _ => return None,
        }
        e = arg;
    }
    None
}

#[derive(Clone, Copy)]
enum Role<'t> {
    Condition,
    Until,
    Param(&'t Type),
    /// A parameter the catalog does not declare (reported elsewhere).
    Any,
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

#[cfg(test)]
mod tests {
    use super::literal_text_help;

    #[test]
    fn plain_text_advice_quotes_the_whole_text_and_offers_a_field_for_one_word() {
        let many = literal_text_help(r#"Say "hi""#);
        assert!(many.ends_with(r#"reads "\"Say \\\"hi\\\"\"""#), "{many}");
        assert!(!many.contains("@{"), "{many}");
        let one = literal_text_help("email");
        assert!(one.contains("for a field write `@{Event.email}`"), "{one}");
        assert!(one.ends_with(r#"reads "\"email\"""#), "{one}");
    }
}
