//! `action`: evaluate the parameters and deliver the action (the default
//! sink records it in the trace).

use super::{Flow, Walk};
use crate::model::ExprSrc;
use crate::state::Instance;
use crate::trace::Record;
use serde_json::{Map, Value as Json};

pub(super) fn run(
    walk: &mut Walk<'_>,
    inst: &mut Instance,
    node: &str,
    action: &str,
    params: &[(String, ExprSrc)],
    next: &str,
    on_error: Option<&str>,
) -> Flow {
    let mut values = Map::new();
    for (name, e) in params {
        match walk.eval(inst, e, None, |v| v.to_json()) {
            Ok(Json::Null) if walk.cj.required(action, name) => {
                let message = format!(
                    "parameter `{name}` of action `{action}` is required and evaluated to null: nothing was sent"
                );
                let span = jexpr::Span::new(0, e.source.len());
                return walk.fail_kind(
                    inst,
                    node,
                    &message,
                    Some((e, span)),
                    on_error,
                    "requiredParameter",
                );
            }
            Ok(v) => {
                values.insert(name.clone(), v);
            }
            Err(err) => {
                return walk.fail_kind(
                    inst,
                    node,
                    &err.message,
                    Some((e, err.span)),
                    on_error,
                    err.kind.name(),
                )
            }
        }
    }
    let mut r = Record::action(&walk.about(), node, action, Json::Object(values));
    if walk.journeys.dry_run {
        r = r.with_status("dryRun");
    }
    walk.records.push(r);
    Flow::Goto(next.to_string())
}
