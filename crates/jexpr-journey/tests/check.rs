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
