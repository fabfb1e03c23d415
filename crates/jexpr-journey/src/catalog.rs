//! The catalog with the journey additions of JOURNEYS.md section 2: each
//! event's `profileId` expression and the typed parameters of actions.

use crate::problem::Problem;
use jexpr::{Catalog, Compiler, Program, Type};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// A catalog for journeys.
pub struct JourneyCatalog {
    /// The language's catalog (events, data sources, audiences).
    pub core: Catalog,
    /// Event name → its compiled `profileId` expression.
    pub profile_ids: BTreeMap<String, Arc<Program>>,
    /// Action name → parameter name → type.
    pub actions: BTreeMap<String, BTreeMap<String, Type>>,
    /// Action name → its parameters declared `"required": true`: a `null`
    /// there is an error at the node, never a delivery.
    pub required: BTreeMap<String, std::collections::BTreeSet<String>>,
    /// Action name → where its calls go (actions without one are only
    /// recorded in the trace).
    pub endpoints: BTreeMap<String, crate::endpoint::Endpoint>,
    /// Data source name → where its field groups are fetched from.
    pub source_endpoints: BTreeMap<String, crate::endpoint::Endpoint>,
}

impl JourneyCatalog {
    /// A catalog with no events, data sources or actions.
    pub fn empty() -> JourneyCatalog {
        JourneyCatalog {
            core: Catalog::no_data(),
            profile_ids: BTreeMap::new(),
            actions: BTreeMap::new(),
            required: BTreeMap::new(),
            endpoints: BTreeMap::new(),
            source_endpoints: BTreeMap::new(),
        }
    }

    /// Loads `file`; every problem of the additions is reported, with the
    /// JSON pointer inside the catalog file.
    pub fn load(file: &Path) -> Result<JourneyCatalog, Vec<Problem>> {
        let name = file.display().to_string();
        let text = crate::read_limited(file)
            .map_err(|e| vec![Problem::error("J001", &name, "", e.to_string())])?;
        let doc: Json =
            crate::json::parse(&text).map_err(|p| vec![crate::json::to_problem(p, &name)])?;
        JourneyCatalog::from_json(&doc, file)
    }

    /// Builds the catalog from its JSON; `file` locates errors and schema files.
    pub fn from_json(doc: &Json, file: &Path) -> Result<JourneyCatalog, Vec<Problem>> {
        let name = file.display().to_string();
        let core = Catalog::from_json(doc, file).map_err(|e| {
            vec![Problem::error(
                "J005",
                &e.file.display().to_string(),
                &e.json_path,
                e.message.clone(),
            )]
        })?;
        let mut problems = Vec::new();
        let mut profile_ids = BTreeMap::new();
        let compiler = Compiler::new(&core);
        if let Some(events) = doc.get("events").and_then(Json::as_object) {
            for (event, decl) in events {
                let ptr = format!("/events/{}/profileId", crate::model::escape(event));
                match decl.get("profileId") {
                    None => {}
                    Some(Json::String(src)) => match compiler.compile(src) {
                        Ok(p) if *p.ty() == Type::String || *p.ty() == Type::Null => {
                            profile_ids.insert(event.clone(), Arc::new(p));
                        }
                        Ok(p) => problems.push(Problem::expression(
                            &name,
                            &ptr,
                            src,
                            jexpr::Diagnostic::new(
                                "E0309",
                                jexpr::Span::new(0, src.len()),
                                format!(
                                    "a `profileId` expression must be a `string`, found `{}`",
                                    p.ty()
                                ),
                            ),
                        )),
                        Err(ds) => {
                            for d in ds {
                                problems.push(Problem::expression(&name, &ptr, src, d));
                            }
                        }
                    },
                    Some(_) => problems.push(Problem::error(
                        "J002",
                        &name,
                        &ptr,
                        "`profileId` must be an expression string",
                    )),
                }
            }
        }
        let mut actions = BTreeMap::new();
        let mut endpoints = BTreeMap::new();
        let mut source_endpoints = BTreeMap::new();
        for (source, decl) in doc
            .get("dataSources")
            .and_then(Json::as_object)
            .into_iter()
            .flatten()
        {
            if let Some(e) = decl.get("endpoint") {
                let ptr = format!("/dataSources/{}/endpoint", crate::model::escape(source));
                if let Some(mut e) = crate::endpoint::read(e, &name, &ptr, &mut problems) {
                    if e.capping == crate::endpoint::DEFAULT_CAPPING {
                        e.capping = crate::endpoint::DEFAULT_SOURCE_RATE;
                    }
                    source_endpoints.insert(source.clone(), e);
                }
            }
        }
        let mut required: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
        if let Some(list) = doc.get("actions") {
            match list.as_object() {
                None => problems.push(Problem::error(
                    "J002",
                    &name,
                    "/actions",
                    "`actions` maps action names to `{\"params\": {…}}`",
                )),
                Some(list) => {
                    for (action, decl) in list {
                        let ptr = format!("/actions/{}", crate::model::escape(action));
                        let mut params = BTreeMap::new();
                        match decl.get("params").map(|p| p.as_object()) {
                            None => {}
                            Some(None) => problems.push(Problem::error(
                                "J002",
                                &name,
                                &format!("{ptr}/params"),
                                "`params` maps parameter names to type names",
                            )),
                            Some(Some(ps)) => {
                                for (param, ty) in ps {
                                    let pptr =
                                        format!("{ptr}/params/{}", crate::model::escape(param));
                                    // A type name, or {"type": name, "required": bool}.
                                    let ty = match ty {
                                        Json::Object(o) => {
                                            if o.get("required") == Some(&Json::Bool(true)) {
                                                required
                                                    .entry(action.clone())
                                                    .or_default()
                                                    .insert(param.clone());
                                            }
                                            o.get("type").unwrap_or(&Json::Null)
                                        }
                                        other => other,
                                    };
                                    match ty.as_str().and_then(Type::from_name) {
                                        Some(t) => {
                                            params.insert(param.clone(), t);
                                        }
                                        None => problems.push(
                                            Problem::error("J005", &name, &pptr, format!("unknown type {ty}"))
                                                .with_help("use a type name (docs/catalog.md), e.g. `string`, `integer`, `listString`"),
                                        ),
                                    }
                                }
                            }
                        }
                        if let Some(e) = decl.get("endpoint") {
                            let eptr = format!("{ptr}/endpoint");
                            if let Some(e) = crate::endpoint::read(e, &name, &eptr, &mut problems) {
                                endpoints.insert(action.clone(), e);
                            }
                        }
                        actions.insert(action.clone(), params);
                    }
                }
            }
        }
        if problems.is_empty() {
            Ok(JourneyCatalog {
                core,
                profile_ids,
                actions,
                required,
                endpoints,
                source_endpoints,
            })
        } else {
            Err(problems)
        }
    }
}
