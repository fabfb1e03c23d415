//! `action`: evaluate the parameters and deliver the action (the default
//! sink records it in the trace).

use super::{Flow, Walk};
use crate::model::ExprSrc;
use crate::state::Instance;
use crate::trace::Record;
use serde_json::Value as Json;

pub(super) fn run(
    walk: &mut Walk<'_>,
    inst: &mut Instance,
    node: &str,
    action: &str,
    params: &[(String, ExprSrc)],
    next: &str,
    on_error: Option<&str>,
) -> Flow {
    let cj = walk.cj;
    let values = match walk.eval_params(inst, node, params, on_error, |name, v| {
        (v.is_null() && cj.required(action, name)).then(|| {
            (
                format!("parameter `{name}` of action `{action}` is required and evaluated to null: nothing was sent"),
                "requiredParameter",
            )
        })
    }) {
        Ok(values) => values,
        Err(flow) => return flow,
    };
    let mut r = Record::action(&walk.about(), node, action, Json::Object(values));
    if walk.journeys.dry_run {
        r = r.with_status("dryRun");
    }
    walk.records.push(r);
    Flow::Goto(next.to_string())
}
