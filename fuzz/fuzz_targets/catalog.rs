//! Any bytes as a catalog: a catalog or an error, never a panic; a catalog
//! that loads can type-check an expression over it.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(catalog) = jexpr::Catalog::from_text(text) {
        let _ = jexpr::check("@{E.a.b} == 1 and count(@{E.l.all(currentEventField.x > 1)}) > 0", &catalog);
    }
});
