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
        // A jump target for the jump cases.
        files.push((
            "target.json".into(),
            std::fs::read_to_string(root.join("target.json")).expect("target"),
        ));
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
