//! The journey crate's modules depend on each other one way (ARCHITECTURE.md):
//! no cycles; the engine is pure (it reaches neither the store nor the
//! runner); the stores keep state and know nothing of how it is stepped;
//! the model, state and trace (the data the others pass around) import none
//! of the stages.

#[path = "../../../tests/support/module_graph.rs"]
mod module_graph;

use module_graph::{find_cycle, graph};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn src_graph() -> BTreeMap<String, BTreeSet<String>> {
    graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

fn top(module: &str) -> &str {
    module.split("::").next().unwrap_or("")
}

/// Fails when a module under `from` depends on one under any of `forbidden`.
fn assert_never_reaches(from: &str, forbidden: &[&str]) {
    for (name, deps) in &src_graph() {
        if top(name) != from {
            continue;
        }
        for dep in deps {
            assert!(
                !forbidden.contains(&top(dep)),
                "`{name}` depends on `{dep}`: {from} must not reach {forbidden:?}"
            );
        }
    }
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
fn the_engine_is_pure() {
    assert_never_reaches("engine", &["store", "runner"]);
}

#[test]
fn stores_know_nothing_of_stepping() {
    assert_never_reaches("store", &["engine", "runner", "check"]);
}

#[test]
fn the_data_imports_no_stage() {
    for data in ["model", "state", "trace", "codec", "problem", "fnv", "json"] {
        assert_never_reaches(data, &["engine", "store", "runner", "check"]);
    }
}

#[test]
fn the_check_sees_edges() {
    // Positive controls: the runner drives the engine through a store.
    let g = src_graph();
    assert!(g["runner"].contains("engine"), "{:?}", g["runner"]);
    assert!(
        g["runner"].iter().any(|d| d.starts_with("store")),
        "{:?}",
        g["runner"]
    );
    assert!(
        g["engine::jump"].contains("engine::entry"),
        "{:?}",
        g["engine::jump"]
    );
}
