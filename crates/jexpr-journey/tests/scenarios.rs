//! One scenario per behaviour of JOURNEYS.md section 4; the trace is the snapshot.

mod common;

#[test]
fn scenarios() {
    insta::glob!("scenarios/*.scenario", |path| {
        let text = std::fs::read_to_string(path).expect("scenario file");
        let scenario = common::parse(&text);
        let trace = common::run(&scenario);
        // Determinism: the same input gives a byte-identical trace.
        assert_eq!(
            trace,
            common::run(&scenario),
            "{} is not deterministic",
            path.display()
        );
        // The same trace with the state in SQLite, whatever the batch size.
        for batch in [1, 3, 1000] {
            assert_eq!(
                trace,
                common::run_on_sqlite(&scenario, batch),
                "{} differs with SQLite state (batch {batch})",
                path.display()
            );
        }
        insta::assert_snapshot!(trace);
    });
}
