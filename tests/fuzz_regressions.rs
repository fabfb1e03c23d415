//! Every input a fuzz target ever failed on (`tests/inputs/fuzz/<target>/`),
//! checked again by the same code the fuzz targets run (`fuzz/checks.rs`).

#[path = "../fuzz/checks.rs"]
mod checks;

fn each(target: &str, check: fn(&[u8])) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/inputs/fuzz")
        .join(target);
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("regression folder") {
        let path = entry.expect("entry").path();
        let data = std::fs::read(&path).expect("input");
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(outcome.is_ok(), "{} fails again", path.display());
        count += 1;
    }
    assert!(count > 0, "no regression inputs for {target}");
}

#[test]
fn compile() {
    each("compile", checks::compile);
}

#[test]
fn eval() {
    each("eval", checks::eval);
}

#[test]
fn catalog() {
    each("catalog", checks::catalog);
}

#[test]
fn event_bytes() {
    each("event_bytes", checks::event_bytes);
}
