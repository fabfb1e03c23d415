//! The library's modules depend on each other one way: no cycles, and the
//! foundations (values, types, time, spans) import nothing above them.
//!
//! A module is a file (`src/vm/register.rs` is `vm::register`); an edge is a
//! `crate::…` or `super::…` path in it. A parent's paths into its own
//! children are containment, not dependency, and are not edges.

#[path = "support/module_graph.rs"]
mod module_graph;

use module_graph::{find_cycle, graph};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn src_graph() -> BTreeMap<String, BTreeSet<String>> {
    graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

#[test]
fn no_cycles_between_modules() {
    if let Some(cycle) = find_cycle(&src_graph()) {
        panic!(
            "modules depend on each other in a cycle: {}",
            cycle.join(" -> ")
        );
    }
}

#[test]
fn foundations_import_nothing_above_them() {
    let edges = src_graph();
    let foundations = ["value", "types", "temporal", "span"];
    let above = [
        "syntax",
        "checker",
        "compiler",
        "program",
        "vm",
        "catalog",
        "builtins",
        "authoring",
    ];
    for (name, deps) in &edges {
        let root = name.split("::").next().unwrap_or("");
        if !foundations.contains(&root) {
            continue;
        }
        for dep in deps {
            let top = dep.split("::").next().unwrap_or("");
            assert!(
                !above.contains(&top),
                "`{name}` (a foundation) depends on `{dep}`"
            );
        }
    }
}

#[test]
fn the_check_sees_edges() {
    // A positive control: the VM depends on the program it runs.
    assert!(src_graph()["vm"].contains("program"));
    assert!(src_graph()["syntax::parser"].contains("syntax::grammar"));
}
