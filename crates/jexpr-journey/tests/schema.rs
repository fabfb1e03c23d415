//! The JSON Schema of journey files (`jexpr journey schema`, issue 22): a
//! valid 2020-12 schema; every example journey validates; broken shapes do
//! not; and its keys are the reader's keys, object by object.

use jexpr_journey::model::keys;
use serde_json::{json, Value as Json};
use std::collections::BTreeSet;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

fn schema() -> Json {
    serde_json::from_str(jexpr_journey::JOURNEY_SCHEMA).expect("the schema is JSON")
}

fn validator() -> jsonschema::Validator {
    jsonschema::draft202012::new(&schema()).expect("a valid 2020-12 schema")
}

fn property_names(v: &Json) -> BTreeSet<String> {
    v["properties"]
        .as_object()
        .expect("properties")
        .keys()
        .cloned()
        .collect()
}

fn set(keys: &[&str]) -> BTreeSet<String> {
    keys.iter().map(|k| k.to_string()).collect()
}

#[test]
fn the_examples_validate() {
    let v = validator();
    let mut seen = 0;
    for entry in std::fs::read_dir(format!("{ROOT}/examples/journeys")).expect("examples") {
        let path = entry.expect("entry").path();
        if !path.to_string_lossy().ends_with(".journey.json") {
            continue;
        }
        let doc: Json =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
        let errors: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        seen += 1;
    }
    assert!(seen >= 3);
}

#[test]
fn broken_shapes_do_not_validate() {
    let v = validator();
    let good = json!({"id": "w", "version": 1, "start": "s", "nodes": {
        "s": {"type": "event", "event": "E", "next": "d"}, "d": {"type": "end"}}});
    assert!(v.is_valid(&good));
    let broken = [
        json!({"id": "w", "version": 1, "nodes": {"d": {"type": "end"}}}),
        json!({"id": "w", "version": 0, "start": "d", "nodes": {"d": {"type": "end"}}}),
        json!({"id": "w w", "version": 1, "start": "d", "nodes": {"d": {"type": "end"}}}),
        json!({"id": "w", "version": 1, "start": "d", "nodes": {"d": {"type": "ende"}}}),
        json!({"id": "w", "version": 1, "start": "d", "nodes": {"d": {"type": "end", "next": "x"}}}),
        json!({"id": "w", "version": 1, "start": "d", "colour": "red", "nodes": {"d": {"type": "end"}}}),
        json!({"id": "w", "version": 1, "start": "d", "nodes": {"d": {"type": "wait", "duration": "P1D", "until": "now()", "next": "d"}}}),
        json!({"id": "w", "version": 1, "start": "d", "nodes": {"d": {"type": "wait", "next": "d"}}}),
        json!({"id": "w", "version": 1, "start": "d", "nodes": {"d": {"type": "split", "paths": [{"percent": 0, "next": "d"}]}}}),
        json!({"id": "w", "version": 1, "start": "d", "nodes": {"d": {"type": "reaction", "events": [{"event": "E", "next": "d"}], "timeout": "P1D"}}}),
        json!({"id": "w", "version": 1, "start": "d", "reentrance": {"waitPeriod": "P1D"}, "nodes": {"d": {"type": "end"}}}),
        json!({"id": "w", "version": 1, "start": "d", "nodes": {"d": {"type": "action", "action": "email", "params": {"to": 3}, "next": "d"}}}),
    ];
    for doc in broken {
        assert!(!v.is_valid(&doc), "validates but should not: {doc}");
        // The reader refuses each of them too.
        let (report, _) = jexpr_journey::check(
            &[("j.json".to_string(), doc.to_string())],
            &jexpr_journey::JourneyCatalog::empty(),
        );
        assert!(report.has_errors(), "the reader accepts {doc}");
    }
}

#[test]
fn the_schema_has_the_readers_keys() {
    let s = schema();
    assert_eq!(property_names(&s), set(keys::JOURNEY));
    assert_eq!(
        property_names(&s["properties"]["reentrance"]),
        set(keys::REENTRANCE)
    );
    let defs = &s["$defs"];
    let types: Vec<&str> = defs["node"]["properties"]["type"]["enum"]
        .as_array()
        .expect("enum")
        .iter()
        .filter_map(Json::as_str)
        .collect();
    assert_eq!(types, keys::NODE_TYPES);
    for ty in keys::NODE_TYPES {
        let def = &defs[format!("{ty}Node")];
        assert_eq!(
            property_names(def),
            set(keys::node(ty).expect("a type")),
            "{ty}"
        );
        assert_eq!(def["additionalProperties"], false, "{ty}");
    }
    let items = |ty: &str, list: &str| {
        property_names(&defs[format!("{ty}Node")]["properties"][list]["items"])
    };
    assert_eq!(items("condition", "paths"), set(keys::CONDITION_PATH));
    assert_eq!(items("split", "paths"), set(keys::SPLIT_PATH));
    assert_eq!(items("reaction", "events"), set(keys::REACTION_EVENT));
}
