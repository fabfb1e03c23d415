//! The evaluation context of one expression of one instance: its remembered
//! events, the profile's data now, `@{journey.…}` from the instance, the
//! virtual clock and the journey's zone.

use super::Walk;
use crate::model::ExprSrc;
use crate::state::{Instance, Profile};
use jexpr::{Context, DataSource, EvalError, EvalErrorKind, FetchError, Fetched, Span, Value};
use serde_json::{json, Value as Json};

/// The profile's data sources; a read with `params` is answered from the
/// profile's `fetches` (exact match), else null.
struct ProfileData<'a>(&'a Profile);

impl DataSource for ProfileData<'_> {
    fn fetch(
        &self,
        source: &str,
        group: &str,
        params: &[(&str, Value<'_>)],
    ) -> Result<Option<Fetched<'_>>, FetchError> {
        if params.is_empty() {
            return Ok(self
                .0
                .data_sources
                .get(source)
                .and_then(|s| s.get(group))
                .map(Fetched::Borrowed));
        }
        let found = self.0.fetches.iter().find(|f| {
            f.data_source == source
                && f.field_group == group
                && f.params.len() == params.len()
                && params
                    .iter()
                    .all(|(name, v)| f.params.get(*name) == Some(&v.to_json()))
        });
        Ok(found.map(|f| Fetched::Borrowed(&f.data)))
    }
}

pub(super) fn eval<T>(
    walk: &Walk<'_>,
    inst: &Instance,
    e: &ExprSrc,
    extra: Option<(&str, &Json)>,
    read: impl FnOnce(&Value<'_>) -> T,
) -> Result<T, EvalError> {
    let Some(program) = walk.cj.program(e) else {
        return Err(EvalError {
            kind: EvalErrorKind::Internal,
            message: "internal error: the expression was not compiled".into(),
            span: Span::new(0, e.source.len()),
        });
    };
    let wanted: Vec<&str> = program.journey_properties().collect();
    with_context(walk, inst, &wanted, extra, |ctx| {
        let value = program.eval(ctx)?;
        Ok(read(&value))
    })
}

/// The explain tree of `e` in the context `eval` would give it, as JSON.
pub(super) fn explain(
    walk: &Walk<'_>,
    inst: &Instance,
    e: &ExprSrc,
    extra: Option<(&str, &Json)>,
) -> Json {
    let wanted: Vec<&str> = walk
        .cj
        .program(e)
        .map(|p| p.journey_properties().collect())
        .unwrap_or_default();
    with_context(
        walk,
        inst,
        &wanted,
        extra,
        |ctx| match jexpr::explain::explain(&e.source, walk.cj.catalog(), ctx) {
            Ok(tree) => tree.to_json(),
            Err(d) => json!({"text": e.source, "error": d.first().message}),
        },
    )
}

/// Builds the context of one evaluation for `inst` and hands it to `f`;
/// `wanted` are the `@{journey.…}` properties the expression reads.
fn with_context<R>(
    walk: &Walk<'_>,
    inst: &Instance,
    wanted: &[&str],
    extra: Option<(&str, &Json)>,
    f: impl FnOnce(&Context<'_>) -> R,
) -> R {
    let j = &walk.cj.journey;
    let last = inst.last_error.as_ref();
    let props: Vec<(&str, Json)> = if wanted.is_empty() {
        Vec::new()
    } else {
        vec![
            ("journeyUID", json!(j.id)),
            (
                "journeyVersionUID",
                json!(format!("{}@{}", j.id, j.version)),
            ),
            ("journeyVersionName", json!(j.name)),
            ("journeyVersion", json!(j.version.to_string())),
            ("instanceUID", json!(inst.id)),
            ("profileId", json!(walk.profile_id)),
            ("currentNodeId", json!(inst.node)),
            ("currentNodeName", json!(inst.node)),
            ("previousNodeId", json!(inst.previous_node)),
            ("previousNodeName", json!(inst.previous_node)),
            ("lastNodeUIDInError", json!(last.map(|l| &l.node))),
            ("lastNodeNameInError", json!(last.map(|l| &l.node))),
            ("lastNodeTypeInError", json!(last.map(|l| &l.node_type))),
            ("lastErrorCode", json!(last.map(|l| &l.code))),
        ]
        .into_iter()
        .filter(|(name, _)| wanted.contains(name))
        .collect()
    };
    let mut ctx = Context::builder()
        .fuel(super::EVAL_FUEL)
        .data(ProfileData(walk.profile))
        .now(walk.now)
        .time_zone(j.time_zone)
        .seed(super::split::hash_seed(
            j.seed,
            &j.id,
            &inst.node,
            walk.profile_id,
            inst.entry,
        ));
    for (name, payload) in &inst.events {
        ctx = ctx.event(name, payload);
    }
    if let Some((name, payload)) = extra {
        ctx = ctx.event(name, payload);
    }
    for (name, status) in &walk.profile.audiences {
        ctx = ctx.audience(name, status);
    }
    for (name, value) in &props {
        ctx = ctx.journey(name, value);
    }
    let ctx = ctx.build();
    f(&ctx)
}
