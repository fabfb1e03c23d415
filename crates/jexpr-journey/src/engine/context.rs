//! The evaluation context of one expression of one instance: its remembered
//! events, the profile's data now, `@{journey.…}` from the instance, the
//! virtual clock and the journey's zone.

use super::Walk;
use crate::model::ExprSrc;
use crate::state::{Instance, Profile};
use jexpr::{Context, DataSource, EvalError, EvalErrorKind, FetchError, Fetched, Span, Value};
use serde_json::{json, Value as Json};

/// A data source read to fetch before an evaluation can go on.
#[derive(Debug)]
pub(crate) struct NeededFetch {
    pub source: String,
    pub group: String,
    /// The parameter values, as a JSON object.
    pub params: Json,
}

/// Where an instance keeps a fetched read (among its remembered payloads,
/// under a key no event can have): `{"data": …}` or `{"error": …}`.
pub(crate) fn fetch_key(source: &str, group: &str, params: &Json) -> String {
    format!("#fetch:{source}.{group}:{params}")
}

/// The profile's data sources; a read with `params` is answered from the
/// profile's `fetches` (exact match), else null. A data source the runner
/// fetches is read from what this instance fetched, or asked for.
struct ProfileData<'a> {
    profile: &'a Profile,
    journeys: &'a super::Journeys,
    inst: &'a Instance,
    needed: &'a std::cell::RefCell<Option<NeededFetch>>,
}

impl DataSource for ProfileData<'_> {
    fn fetch(
        &self,
        source: &str,
        group: &str,
        params: &[(&str, Value<'_>)],
    ) -> Result<Option<Fetched<'_>>, FetchError> {
        if self.journeys.fetches(source) {
            let values: serde_json::Map<String, Json> = params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_json()))
                .collect();
            let values = Json::Object(values);
            let key = fetch_key(source, group, &values);
            return match self.inst.events.get(&key) {
                Some(kept) => match (kept.get("data"), kept.get("error")) {
                    (_, Some(Json::String(why))) => Err(FetchError::new(why.clone())),
                    (Some(Json::Null) | None, _) => Ok(None),
                    // The response is the field group's data.
                    (Some(data), _) => Ok(Some(Fetched::Borrowed(data))),
                },
                None => {
                    *self.needed.borrow_mut() = Some(NeededFetch {
                        source: source.to_string(),
                        group: group.to_string(),
                        params: values,
                    });
                    Err(FetchError::new(format!(
                        "data source `{source}` is read from its endpoint, which only a journey node (not an entry or a reaction's event condition) can wait for"
                    )))
                }
            };
        }
        let profile = self.profile;
        if params.is_empty() {
            return Ok(profile
                .data_sources
                .get(source)
                .and_then(|s| s.get(group))
                .map(Fetched::Borrowed));
        }
        let found = profile.fetches.iter().find(|f| {
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
        .data(ProfileData {
            profile: walk.profile,
            journeys: walk.journeys,
            inst,
            needed: &walk.needed,
        })
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
