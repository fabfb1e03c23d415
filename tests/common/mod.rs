//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::Path;

/// The expression in an input file: its text without the final newline.
pub fn read_input(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.strip_suffix('\n').unwrap_or(&text).to_string()
}

/// One line of `tests/data/spec-examples.txt`.
pub struct SpecExample {
    pub line: usize,
    pub expr: String,
    pub expected: String,
    /// The `@now` in force for this line.
    pub now: String,
}

pub fn spec_examples() -> Vec<SpecExample> {
    examples("spec-examples.txt")
}

/// The examples of a file in `tests/data/` (format of spec-examples.txt).
pub fn examples(name: &str) -> Vec<SpecExample> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("spec examples file");
    let mut now = String::new();
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix("@now ") {
            now = rest.trim().to_string();
            continue;
        }
        let (expr, expected) = line
            .rsplit_once("  =>  ")
            .unwrap_or_else(|| panic!("line {}: missing `  =>  `", i + 1));
        out.push(SpecExample {
            line: i + 1,
            expr: expr.trim().to_string(),
            expected: expected.trim().to_string(),
            now: now.clone(),
        });
    }
    out
}

/// A small deterministic generator (xorshift64*), so no test depends on a seed crate.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}
