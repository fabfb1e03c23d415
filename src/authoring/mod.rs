//! Language services for editors and REPLs: completion at a cursor, whether
//! an input is complete, "did you mean" over names, and the builtins'
//! documentation.

mod complete;
mod functions;

pub use crate::suggest::closest;
pub use complete::complete;
pub use functions::{function, functions, FunctionDoc};

use crate::syntax::lexer::{closer_of, Lexer, TokKind};

/// The language's keywords (LANGUAGE.md section 2): lowercase, case sensitive.
pub const KEYWORDS: &[&str] = crate::syntax::KEYWORDS;

/// Does `text` need more lines: an open bracket or quote, or an `if` without
/// its `else` yet, or a trailing operator?
pub fn needs_more(text: &str) -> bool {
    InputScanner::default().needs_more(text)
}

/// [`needs_more`] for input that grows line by line: each call scans only
/// what was added since the last one (tokens never span lines, except a
/// string left open, which is scanned again with the next line).
#[derive(Clone, Debug, Default)]
pub struct InputScanner {
    depth: i64,
    ifs: i64,
    last: String,
    scanned: usize,
}

impl InputScanner {
    /// Whether `text` (the previous text with lines appended) needs more lines.
    pub fn needs_more(&mut self, text: &str) -> bool {
        let Some(rest) = text.get(self.scanned..) else {
            *self = InputScanner::default();
            return self.needs_more(text);
        };
        let (mut depth, mut ifs) = (self.depth, self.ifs);
        let mut last = self.last.as_str();
        for tok in Lexer::new(rest) {
            let t = tok.text(rest);
            if let TokKind::Str { terminated: false } = tok.kind {
                // Not committed: the string goes on in the next line.
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
        let last = last.to_string();
        // A closer too many is an error to report now, not a reason to wait.
        let more = depth >= 0
            && (depth > 0
                || ifs > 0
                || matches!(last.as_str(), "not" | "if" | "then" | "else" | ",")
                || crate::syntax::BINARY_OPERATORS.contains(&last.as_str()));
        *self = InputScanner {
            depth,
            ifs,
            last,
            scanned: text.len(),
        };
        more
    }
}
