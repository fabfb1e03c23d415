//! Any text, compiled against the compact fixture catalog: a program or
//! diagnostics, never a panic; and the printer round-trips what parses.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn catalog() -> &'static jexpr::Catalog {
    static CATALOG: OnceLock<jexpr::Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        jexpr::Catalog::from_text(include_str!("../../tests/fixtures/catalog.json")).expect("fixture")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    if let Ok(ast) = jexpr::parse(src) {
        let printed = jexpr::print(&ast);
        let again = jexpr::parse(&printed).expect("printed text parses");
        assert_eq!(jexpr::sexpr(&ast), jexpr::sexpr(&again), "print round trip: {printed}");
    }
    let _ = jexpr::Compiler::new(catalog()).compile(src);
});
