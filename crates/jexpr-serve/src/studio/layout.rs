//! A journey laid out left to right, deterministically: a node's column is
//! its distance from the start (breadth first, successors in the order the
//! file gives them), its row its place in that column in discovery order;
//! nodes no path reaches come last, in id order. Journeys are small: this is
//! enough, and snapshot-testable.

use jexpr_journey::model::{Journey, Node};
use std::collections::{BTreeMap, VecDeque};

/// Where a node box goes (its top-left corner) and how big boxes are.
pub const WIDTH: i64 = 170;
pub const HEIGHT: i64 = 64;
const GAP_X: i64 = 80;
const GAP_Y: i64 = 40;
const MARGIN: i64 = 20;

/// A placed node.
#[derive(Clone, Debug, PartialEq)]
pub struct Placed {
    pub id: String,
    pub column: usize,
    pub row: usize,
    pub x: i64,
    pub y: i64,
}

/// An edge: from, to, and the label the file gives it.
#[derive(Clone, Debug, PartialEq)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub label: String,
}

/// The layout of a journey.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    pub nodes: Vec<Placed>,
    pub edges: Vec<Edge>,
    pub width: i64,
    pub height: i64,
}

/// Every edge of a node, labelled as the canvas shows it.
pub fn edges_of(id: &str, node: &Node) -> Vec<Edge> {
    let edge = |to: &str, label: &str| Edge {
        from: id.to_string(),
        to: to.to_string(),
        label: label.to_string(),
    };
    match node {
        Node::Condition {
            paths,
            otherwise,
            on_error,
        } => paths
            .iter()
            .map(|p| edge(&p.next, &p.label))
            .chain(otherwise.iter().map(|o| edge(o, "otherwise")))
            .chain(on_error.iter().map(|o| edge(o, "onError")))
            .collect(),
        Node::Split { paths } => paths.iter().map(|p| edge(&p.next, &p.label)).collect(),
        Node::Reaction {
            events, on_timeout, ..
        } => events
            .iter()
            .map(|e| edge(&e.next, &e.event))
            .chain(std::iter::once(edge(on_timeout, "timeout")))
            .collect(),
        other => other
            .successors()
            .into_iter()
            .map(|(ptr, to)| edge(to, if ptr == "/onError" { "onError" } else { "" }))
            .collect(),
    }
}

/// Lays `j` out.
pub fn layout(j: &Journey) -> Layout {
    let edges: Vec<Edge> = j.nodes.iter().flat_map(|(id, n)| edges_of(id, n)).collect();
    let mut column: BTreeMap<&str, usize> = BTreeMap::new();
    let mut order: Vec<&str> = Vec::new();
    if j.nodes.contains_key(&j.start) {
        column.insert(j.start.as_str(), 0);
        order.push(j.start.as_str());
        let mut todo = VecDeque::from([j.start.as_str()]);
        while let Some(n) = todo.pop_front() {
            let c = column.get(n).copied().unwrap_or(0);
            for e in edges.iter().filter(|e| e.from == n) {
                if j.nodes.contains_key(&e.to) && !column.contains_key(e.to.as_str()) {
                    column.insert(e.to.as_str(), c + 1);
                    order.push(e.to.as_str());
                    todo.push_back(e.to.as_str());
                }
            }
        }
    }
    let last = column.values().copied().max().map_or(0, |m| m + 1);
    for id in j.nodes.keys() {
        if !column.contains_key(id.as_str()) {
            column.insert(id.as_str(), last);
            order.push(id.as_str());
        }
    }
    let mut rows: BTreeMap<usize, usize> = BTreeMap::new();
    let nodes: Vec<Placed> = order
        .iter()
        .map(|id| {
            let c = column.get(id).copied().unwrap_or(0);
            let slot = rows.entry(c).or_insert(0);
            let row = *slot;
            *slot += 1;
            Placed {
                id: id.to_string(),
                column: c,
                row,
                x: MARGIN + c as i64 * (WIDTH + GAP_X),
                y: MARGIN + row as i64 * (HEIGHT + GAP_Y),
            }
        })
        .collect();
    let width = nodes.iter().map(|n| n.x + WIDTH).max().unwrap_or(0) + MARGIN;
    let height = nodes.iter().map(|n| n.y + HEIGHT).max().unwrap_or(0) + MARGIN;
    Layout {
        nodes,
        edges,
        width,
        height,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The welcome journey, laid out: a node's column is its distance from
    /// the start, rows follow the file's order of ways out.
    #[test]
    fn the_welcome_journey_lays_out_by_distance_from_the_start() {
        let text = include_str!("../../../../examples/journeys/welcome.journey.json");
        let doc = serde_json::from_str(text).expect("json");
        let mut problems = Vec::new();
        let j = jexpr_journey::model::read("welcome.journey.json", &doc, &mut problems)
            .expect("journey");
        let l = layout(&j);
        let at = |id: &str| {
            let n = l.nodes.iter().find(|n| n.id == id).expect(id);
            (n.column, n.row)
        };
        assert_eq!(at("subscribed"), (0, 0));
        assert_eq!(at("tier"), (1, 0));
        // tier's paths in order: gold → sendVip, EU → ab, otherwise → sendStd.
        assert_eq!(at("sendVip"), (2, 0));
        assert_eq!(at("ab"), (2, 1));
        assert_eq!(at("sendStd"), (2, 2));
        assert_eq!(l.nodes.len(), j.nodes.len());
        // Every box inside the canvas, none on top of another.
        for a in &l.nodes {
            assert!(a.x + WIDTH < l.width && a.y + HEIGHT < l.height);
            for b in &l.nodes {
                assert!(a.id == b.id || (a.x, a.y) != (b.x, b.y));
            }
        }
        // Laid out twice, the same.
        assert_eq!(layout(&j), l);
    }
}
