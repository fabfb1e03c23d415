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
    for p in paths {
        match walk.eval(inst, &p.when, None, |v| v.truthy()) {
            Ok(true) => {
                let r = Record::path(&walk.about(), node, Branch::Condition, &p.label);
                walk.records.push(r);
                return Flow::Goto(p.next.clone());
            }
            Ok(false) => {}
            Err(e) => {
                return walk.fail_kind(
                    inst,
                    node,
                    &e.message,
                    Some((&p.when, e.span)),
                    on_error,
                    e.kind.name(),
                );
            }
        }
    }
    match otherwise {
        Some(next) => {
            let r = Record::path(&walk.about(), node, Branch::Condition, "otherwise");
            walk.records.push(r);
            Flow::Goto(next.to_string())
        }
        None => Flow::Exit(ExitReason::NoPath),
    }
}
