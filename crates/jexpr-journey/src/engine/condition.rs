//! `condition`: the first path whose `when` is true (null counts as false).

use super::{Flow, Walk};
use crate::model::CondPath;
use crate::state::Instance;
use crate::trace::{Branch, ExitReason, Record};

pub(super) fn run(
    walk: &mut Walk<'_>,
    inst: &mut Instance,
    node: &str,
    paths: &[CondPath],
    otherwise: Option<&str>,
    on_error: Option<&str>,
) -> Flow {
    // With --explain: each path tried and why it was (not) taken.
    let mut why = Vec::new();
    for p in paths {
        let holds = walk.eval(inst, &p.when, None, |v| v.truthy());
        if walk.journeys.explains() && holds.is_ok() {
            let tree = walk.explain(inst, &p.when, None);
            why.push(serde_json::json!({"path": p.label, "when": tree}));
        }
        match holds {
            Ok(true) => {
                let r = Record::path(&walk.about(), node, Branch::Condition, &p.label);
                walk.records.push(explained(r, why));
                return Flow::Goto(p.next.clone());
            }
            Ok(false) => {}
            Err(e) => return walk.eval_failed(inst, node, &e, &p.when, on_error),
        }
    }
    match otherwise {
        Some(next) => {
            let r = Record::path(&walk.about(), node, Branch::Condition, "otherwise");
            walk.records.push(explained(r, why));
            Flow::Goto(next.to_string())
        }
        None => {
            if !why.is_empty() {
                walk.why_no_path = Some(serde_json::Value::Array(why));
            }
            Flow::Exit(ExitReason::NoPath)
        }
    }
}

/// `r` with its `why`, when there is one (the journeys explain).
fn explained(r: Record, why: Vec<serde_json::Value>) -> Record {
    if why.is_empty() {
        r
    } else {
        r.explained(serde_json::Value::Array(why))
    }
}
