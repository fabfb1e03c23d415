//! Language services for editors and REPLs: completion at a cursor, whether
//! an input is complete, and "did you mean" over names.

mod complete;

pub use crate::suggest::closest;
pub use complete::complete;

use crate::syntax::lexer::{closer_of, Lexer, TokKind};

/// The language's keywords (LANGUAGE.md section 2): lowercase, case sensitive.
pub const KEYWORDS: &[&str] = crate::syntax::KEYWORDS;

/// Does `text` need more lines: an open bracket or quote, or an `if` without
/// its `else` yet, or a trailing operator?
pub fn needs_more(text: &str) -> bool {
    let mut depth: i64 = 0;
    let mut ifs: i64 = 0;
    let mut last = "";
    for tok in Lexer::new(text) {
        let t = tok.text(text);
        if let TokKind::Str { terminated: false } = tok.kind {
            return true;
        }
        if closer_of(t).is_some() {
            depth += 1;
        } else if matches!(t, ")" | "]" | "}") {
            depth -= 1;
        } else if t == "if" {
            ifs += 1;
        } else if t == "else" {
            ifs -= 1;
        }
        last = t;
    }
    // A closer too many is an error to report now, not a reason to wait.
    if depth < 0 {
        return false;
    }
    depth > 0
        || ifs > 0
        || matches!(last, "not" | "if" | "then" | "else" | ",")
        || crate::syntax::BINARY_OPERATORS.contains(&last)
}
