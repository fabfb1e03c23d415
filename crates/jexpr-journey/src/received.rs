//! Which events an instance has certainly received when it reaches each
//! node, so `journey check` can warn when an expression reads `@{E.…}`
//! where `E` may never have arrived — on some path the read is `null`, and
//! an action goes out with `"to": null`.
//!
//! A must-analysis over the node graph: the start node has its entry event
//! (none when the journey starts by an audience read, or can be entered by
//! a jump, which carries the origin's events instead); a reaction's branch
//! for event `E` adds `E`; a node has what every way into it has. An
//! action's response (`@action{A.…}`) is tracked the same way, under the
//! name `@action:A`: the ways out of an action node of `A` have it.

use crate::model::{ExprSrc, Journey, Node};
use crate::problem::Problem;
use jexpr::ast::{Expr, ExprKind, Origin, StepKind, TestOp};
use jexpr::Program;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

/// How instances come into the journey, for the messages.
pub struct Entries<'a> {
    /// Journeys with a jump to this one.
    pub jumped_from: Vec<&'a str>,
}

type Events = BTreeSet<String>;

/// The events a condition tests `is not null` in its top-level `and`s: on
/// the path it guards, they are there.
fn tested_present(src: &str) -> Vec<String> {
    fn conjuncts<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>, depth: usize) {
        match &e.kind {
            ExprKind::Binary(jexpr::ast::BinaryOp::And, l, r) if depth < jexpr::MAX_DEPTH => {
                conjuncts(l, out, depth + 1);
                conjuncts(r, out, depth + 1);
            }
            _ => out.push(e),
        }
    }
    let Ok(ast) = jexpr::parse(src) else {
        return Vec::new();
    };
    let mut parts = Vec::new();
    conjuncts(&ast, &mut parts, 0);
    parts
        .into_iter()
        .filter_map(|p| match &p.kind {
            ExprKind::Test(TestOp::IsNotNull, x) => match &x.kind {
                ExprKind::Field(f) if f.origin == Origin::Event => {
                    match f.path.first().map(|s| &s.kind) {
                        Some(StepKind::Field(name)) => Some(name.clone()),
                        _ => None,
                    }
                }
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// An edge: where it goes, and the events a profile on it has for sure
/// (a reaction branch's event, or what a condition path tested present).
type Edge<'a> = (&'a str, Vec<String>);

/// Each node's successors, with what its edge adds.
fn edges(j: &Journey) -> BTreeMap<&str, Vec<Edge<'_>>> {
    j.nodes
        .iter()
        .map(|(id, node)| {
            let out: Vec<Edge<'_>> = match node {
                Node::Reaction {
                    events, on_timeout, ..
                } => events
                    .iter()
                    .map(|e| (e.next.as_str(), vec![e.event.clone()]))
                    .chain(std::iter::once((on_timeout.as_str(), Vec::new())))
                    .collect(),
                Node::Condition {
                    paths,
                    otherwise,
                    on_error,
                } => paths
                    .iter()
                    .map(|p| (p.next.as_str(), tested_present(&p.when.source)))
                    .chain(otherwise.iter().map(|o| (o.as_str(), Vec::new())))
                    .chain(on_error.iter().map(|o| (o.as_str(), Vec::new())))
                    .collect(),
                Node::Action { action, .. } => node
                    .successors()
                    .into_iter()
                    .map(|(_, to)| (to, vec![jexpr::action_key(action)]))
                    .collect(),
                other => other
                    .successors()
                    .into_iter()
                    .map(|(_, to)| (to, Vec::new()))
                    .collect(),
            };
            (id.as_str(), out)
        })
        .collect()
}

/// The events certainly received at the start node.
fn at_entry(j: &Journey, entries: &Entries<'_>) -> Events {
    match j.nodes.get(&j.start) {
        Some(Node::Event { event, .. }) if entries.jumped_from.is_empty() => {
            std::iter::once(event.clone()).collect()
        }
        _ => Events::new(),
    }
}

/// Per node, the events every way into it has received.
fn received(j: &Journey, entries: &Entries<'_>, universe: &Events) -> BTreeMap<String, Events> {
    let edges = edges(j);
    let mut have: BTreeMap<String, Events> = BTreeMap::new();
    have.insert(j.start.clone(), at_entry(j, entries));
    let mut todo: VecDeque<&str> = VecDeque::from([j.start.as_str()]);
    // Sets only shrink, and each node's at most |universe| times: bounded.
    while let Some(n) = todo.pop_front() {
        let Some(here) = have.get(n).cloned() else {
            continue;
        };
        for (to, adds) in edges.get(n).into_iter().flatten() {
            let mut via = here.clone();
            via.extend(adds.iter().cloned());
            let before = have.get(*to).cloned();
            let after: Events = match &before {
                None => via.intersection(universe).cloned().collect(),
                Some(b) => b.intersection(&via).cloned().collect(),
            };
            if before.as_ref() != Some(&after) {
                have.insert(to.to_string(), after);
                todo.push_back(to);
            }
        }
    }
    have
}

/// A shortest way from the start to `target` on which `event` is never
/// received, as node ids.
fn witness(j: &Journey, entries: &Entries<'_>, target: &str, event: &str) -> Vec<String> {
    if at_entry(j, entries).contains(event) {
        return Vec::new();
    }
    let edges = edges(j);
    let mut parent: BTreeMap<&str, &str> = BTreeMap::new();
    let mut seen = BTreeSet::from([j.start.as_str()]);
    let mut todo = VecDeque::from([j.start.as_str()]);
    while let Some(n) = todo.pop_front() {
        if n == target {
            let mut path = vec![n.to_string()];
            let mut at = n;
            while let Some(p) = parent.get(at) {
                path.push(p.to_string());
                at = p;
            }
            path.reverse();
            return path;
        }
        for (to, adds) in edges.get(n).into_iter().flatten() {
            if !adds.iter().any(|a| a == event) && seen.insert(to) {
                parent.insert(to, n);
                todo.push_back(to);
            }
        }
    }
    Vec::new()
}

/// The events `src` reads without a guard: a read with a `defaultValue`,
/// or tested with `is null` / `is not null`, says the author thought of
/// the event missing.
fn unguarded_reads(src: &str) -> Events {
    fn walk(e: &Expr, out: &mut Events, depth: usize) {
        if depth > jexpr::MAX_DEPTH {
            return;
        }
        if let ExprKind::Field(f) = &e.kind {
            let first = f.path.first().and_then(|s| match &s.kind {
                StepKind::Field(name) => Some(name.as_str()),
                _ => None,
            });
            match (f.origin, first, &f.default) {
                (Origin::Event, Some(name), None) if name != "journey" => {
                    out.insert(name.to_string());
                }
                (Origin::Action, Some(name), None) => {
                    out.insert(jexpr::action_key(name));
                }
                _ => {}
            }
        }
        let mut go = |x: &Expr| walk(x, out, depth + 1);
        match &e.kind {
            ExprKind::Field(f) => {
                for step in &f.path {
                    match &step.kind {
                        StepKind::Filter(_, Some(c)) | StepKind::At(c) => go(c),
                        _ => {}
                    }
                }
                if let Some(d) = &f.default {
                    go(d);
                }
                for (_, v) in f.params.iter().flatten() {
                    go(v);
                }
            }
            ExprKind::Test(TestOp::IsNull | TestOp::IsNotNull, x)
                if matches!(x.kind, ExprKind::Field(_)) => {}
            ExprKind::List(items) => items.iter().for_each(go),
            ExprKind::Call(call) => call.args.iter().for_each(go),
            ExprKind::Unary(_, x) | ExprKind::Test(_, x) => go(x),
            ExprKind::Binary(_, l, r) => {
                go(l);
                go(r);
            }
            ExprKind::If(parts) => parts.iter().for_each(go),
            _ => {}
        }
    }
    let mut out = Events::new();
    if let Ok(ast) = jexpr::parse(src) {
        walk(&ast, &mut out, 0);
    }
    out
}

/// Warnings (J070) for expressions that read an event that may not have
/// been received at their node.
pub fn null_reads(
    j: &Journey,
    programs: &BTreeMap<String, Arc<Program>>,
    entries: &Entries<'_>,
) -> Vec<Problem> {
    let read = |e: &ExprSrc| -> Events {
        if programs.contains_key(&e.pointer) {
            unguarded_reads(&e.source)
        } else {
            Events::new()
        }
    };
    let universe: Events = programs
        .values()
        .flat_map(|p| p.events_read().map(str::to_string))
        .collect();
    if universe.is_empty() {
        return Vec::new();
    }
    let have = received(j, entries, &universe);
    let mut problems = Vec::new();
    for (id, node) in &j.nodes {
        let Some(here) = have.get(id) else {
            continue; // unreachable: warned about elsewhere
        };
        // Each expression of the node, with the event it sees arriving.
        let mut exprs: Vec<(&ExprSrc, Option<&str>)> = Vec::new();
        match node {
            Node::Event {
                when: Some(w),
                event,
                ..
            } => exprs.push((w, Some(event))),
            Node::Condition { paths, .. } => exprs.extend(paths.iter().map(|p| (&p.when, None))),
            Node::Wait { until: Some(u), .. } => exprs.push((u, None)),
            Node::Reaction { events, .. } => exprs.extend(
                events
                    .iter()
                    .filter_map(|e| e.when.as_ref().map(|w| (w, Some(e.event.as_str())))),
            ),
            Node::Action { params, .. } | Node::Jump { params, .. } => {
                exprs.extend(params.iter().map(|(_, e)| (e, None)))
            }
            _ => {}
        }
        for (e, arriving) in exprs {
            for event in read(e) {
                if here.contains(&event) || arriving == Some(event.as_str()) {
                    continue;
                }
                problems.push(warning(j, entries, id, e, &event));
            }
        }
    }
    problems
}

fn warning(j: &Journey, entries: &Entries<'_>, node: &str, e: &ExprSrc, event: &str) -> Problem {
    let path = witness(j, entries, node, event);
    if let Some(action) = event.strip_prefix(jexpr::ACTION_PREFIX) {
        let route = if path.len() > 1 {
            format!(" ({})", path.join(" → "))
        } else {
            String::new()
        };
        return Problem::warning(
            "J070",
            &j.file,
            &e.pointer,
            format!(
                "`@action{{{action}.…}}` may be null here: a profile can reach `{node}` without going through an action node of `{action}`{route}"
            ),
        )
        .with_help(format!(
            "read the response only after the `{action}` node, or give the field a `defaultValue`"
        ));
    }
    let how = match j.nodes.get(&j.start) {
        Some(Node::Audience { .. }) => "entered by an audience read".to_string(),
        Some(Node::Event { event: start, .. }) if start == event => format!(
            "entered by a jump from {}, which carries the origin's events, not a `{event}`",
            entries
                .jumped_from
                .iter()
                .map(|o| format!("`{o}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => format!("without receiving `{event}`"),
    };
    let route = if path.len() > 1 {
        format!(" ({})", path.join(" → "))
    } else {
        String::new()
    };
    Problem::warning(
        "J070",
        &j.file,
        &e.pointer,
        format!(
            "`@{{{event}.…}}` may be null here: a profile can reach `{node}` {how}{route}"
        ),
    )
    .with_help(format!(
        "read `{event}` only after it arrives (a reaction on `{event}`), give the field a `defaultValue`, or test `@{{{event}.…}} is not null` first"
    ))
}
