//! `journey check`: each input file is one journey with problems; the
//! snapshot shows the report as rendered text and as JSON.

use std::path::Path;

#[test]
fn problems() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/check");
    let catalog =
        jexpr_journey::JourneyCatalog::load(&root.join("catalog.json")).expect("fixture catalog");
    insta::glob!("check/*.journey.json", |path| {
        let text = std::fs::read_to_string(path).expect("journey file");
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut files = vec![(name, text)];
        // Jump targets: one starting with an event, one with an audience.
        for target in ["target.json", "aud.json"] {
            let text = std::fs::read_to_string(root.join(target)).expect("target");
            files.push((target.into(), text));
        }
        let (report, compiled) = jexpr_journey::check(&files, &catalog);
        assert!(
            report.has_errors() || !report.problems.is_empty(),
            "{} has no problem",
            path.display()
        );
        assert!(!report.has_errors() || compiled.is_empty());
        let json = serde_json::to_string_pretty(&report.to_json()).expect("json");
        insta::assert_snapshot!(format!("{}\n{json}", report.render()));
    });
}

#[test]
fn catalog_problems() {
    let doc = serde_json::json!({
        "events": {"E": {"fields": {"n": "integer"}, "profileId": "@{E.n}"},
                   "F": {"fields": {"n": "integer"}, "profileId": "@{E.m}"}},
        "actions": {"email": {"params": {"to": "strng"}}}
    });
    let problems = match jexpr_journey::JourneyCatalog::from_json(&doc, Path::new("catalog.json")) {
        Ok(_) => panic!("the catalog has problems"),
        Err(p) => p,
    };
    let report = jexpr_journey::Report { problems };
    insta::assert_snapshot!(report.render());
}

/// A jump enters whichever version of its target is live: J021 when any
/// version given does not start with an event node, whatever the order of
/// the files (it depended on which version came last).
#[test]
fn j021_does_not_depend_on_the_order_of_the_files() {
    let catalog = jexpr_journey::JourneyCatalog::from_json(
        &serde_json::json!({"events": {"E": {"fields": {}}}, "audiences": ["gold"]}),
        Path::new("catalog.json"),
    )
    .expect("catalog");
    let origin = r#"{"id": "o", "version": 1, "start": "s", "nodes": {
        "s": {"type": "event", "event": "E", "next": "j"},
        "j": {"type": "jump", "journey": "t", "next": "e"}, "e": {"type": "end"}}}"#;
    let by_event = r#"{"id": "t", "version": 1, "start": "s", "nodes": {
        "s": {"type": "event", "event": "E", "next": "e"}, "e": {"type": "end"}}}"#;
    let by_audience = r#"{"id": "t", "version": 2, "publishedAt": "2024-06-01T00:00:00Z", "start": "a", "nodes": {
        "a": {"type": "audience", "audience": "gold", "at": "2024-06-01T00:00:00Z", "next": "e"}, "e": {"type": "end"}}}"#;
    for order in [[by_event, by_audience], [by_audience, by_event]] {
        let files = vec![
            ("o.json".to_string(), origin.to_string()),
            ("t1.json".to_string(), order[0].to_string()),
            ("t2.json".to_string(), order[1].to_string()),
        ];
        let (report, _) = jexpr_journey::check(&files, &catalog);
        let codes: Vec<&str> = report.problems.iter().map(|p| p.code.as_str()).collect();
        assert_eq!(codes, ["J021"], "{}", report.render());
    }
}
