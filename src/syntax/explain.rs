//! Turns pest's "expected …" errors into messages a person can act on.
//!
//! pest reports the furthest position it reached and the rules it tried
//! there. We look at the tokens around that position (with the tolerant
//! lexer) and at what was expected, most specific explanation first.

use super::grammar::Rule;
use super::lexer::{around, open_brackets, Lexer, TokKind, Token};
use super::KEYWORDS;
use crate::diagnostic::Diagnostic;
use crate::span::Span;
use pest::error::{Error, ErrorVariant, InputLocation};

use super::BINARY_OPERATORS;

/// E0106 for a test after a comparison or a test (`a == b is null`).
pub(super) fn test_after_test(span: Span) -> Diagnostic {
    Diagnostic::new(
        "E0106",
        span,
        "a test cannot follow a comparison or another test",
    )
    .with_label("add parentheses around what this tests")
    .with_help("write e.g. `(a == b) is null`")
}

pub fn pest_error(src: &str, err: &Error<Rule>) -> Diagnostic {
    if let Some(d) = super::mistakes::recognise(src) {
        return d;
    }
    let at = match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let expected: Vec<Rule> = match &err.variant {
        ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        ErrorVariant::CustomError { .. } => Vec::new(),
    };
    let (prev, next) = around(src, at);
    let ctx = Ctx {
        src,
        at,
        prev,
        next,
        expected,
    };
    ctx.explain()
}

struct Ctx<'s> {
    src: &'s str,
    at: usize,
    prev: Option<Token>,
    next: Option<Token>,
    expected: Vec<Rule>,
}

fn quote_word(text: &str) -> String {
    format!("`{text}`")
}

impl Ctx<'_> {
    fn prev_text(&self) -> &str {
        self.prev.map_or("", |t| t.text(self.src))
    }

    fn next_text(&self) -> &str {
        self.next.map_or("", |t| t.text(self.src))
    }

    fn next_span(&self) -> Span {
        self.next
            .map_or(Span::point(self.src.trim_end().len()), |t| t.span)
    }

    fn described_next(&self) -> String {
        match self.next {
            None => "the end of the expression".to_string(),
            Some(t) => quote_word(t.text(self.src)),
        }
    }

    /// Does the previous token end an operand (so an operator may follow)?
    fn prev_ends_operand(&self) -> bool {
        let Some(prev) = self.prev else { return false };
        let text = prev.text(self.src);
        match prev.kind {
            TokKind::Number | TokKind::Str { .. } => true,
            TokKind::Word => !matches!(
                text,
                "and" | "or" | "not" | "if" | "then" | "else" | "is" | "has"
            ),
            TokKind::Sym => matches!(text, ")" | "]" | "}"),
            TokKind::Unknown => false,
        }
    }

    fn expects(&self, rule: Rule) -> bool {
        self.expected.contains(&rule)
    }

    /// The innermost bracket open at the failure, as written (`(`, `@{`, …).
    fn innermost_open(&self) -> Option<Token> {
        open_brackets(self.src, self.at).pop()
    }

    fn explain(&self) -> Diagnostic {
        let next = self.next_text();
        let prev = self.prev_text();
        let next_span = self.next_span();

        if self.src.trim().is_empty() {
            return Diagnostic::new("E0100", Span::point(0), "the expression is empty")
                .with_label("expected an expression")
                .with_help("write a condition such as `@{Event.field} == \"value\"`");
        }

        // `--` and `//` read as comments to many users; the language has none.
        let comment = Lexer::new(self.src)
            .take_while(|t| t.span.start as usize <= self.at)
            .find(|t| matches!(t.text(self.src), "--" | "//"));
        if let Some(tok) = comment {
            return Diagnostic::new("E0118", tok.span, "there are no comments in the language")
                .with_label("this starts a comment in other languages")
                .with_help("remove the comment; keep notes in the journey's description instead");
        }

        if let Some(tok) = self.next.filter(|t| t.kind == TokKind::Unknown) {
            return Diagnostic::new(
                "E0124",
                tok.span,
                format!("unexpected character `{}`", tok.text(self.src)),
            )
            .with_label("not part of the language")
            .with_help("strings are quoted with \"…\" or '…'; fields are written @{Event.field}");
        }

        // Wrong-case keywords: `AND`, `Or`, `TRUE`, `If`.
        if let Some(tok) = self.next.filter(|t| t.kind == TokKind::Word) {
            let text = tok.text(self.src);
            let lower = text.to_ascii_lowercase();
            if text != lower && KEYWORDS.contains(&lower.as_str()) {
                let what = if matches!(lower.as_str(), "and" | "or" | "not") {
                    format!("`{text}` is not an operator — operators are lowercase")
                } else {
                    format!("`{text}` is not a keyword — keywords are lowercase")
                };
                return Diagnostic::new("E0105", tok.span, what)
                    .with_label(format!("did you mean `{lower}`?"))
                    .with_help(format!("write `{lower}`"));
            }
        }

        // Operators from other languages.
        let foreign = match next {
            "&&" => Some(("and", "")),
            "||" => Some(("or", "")),
            "!" => Some(("not", "")),
            "=" => Some(("==", " to compare")),
            "<>" => Some(("!=", "")),
            "&" => Some(("and", "")),
            "|" => Some(("or", "")),
            _ => None,
        };
        if let Some((instead, purpose)) = foreign {
            return Diagnostic::new("E0105", next_span, format!("`{next}` is not an operator"))
                .with_label(format!("did you mean `{instead}`?"))
                .with_help(format!("use `{instead}`{purpose}"));
        }

        // Chained comparisons parse (the tree builder reports them); a second
        // test after one does not: `a is null is null`.
        if matches!(next, "is" | "has")
            && (self.expects(Rule::op_and) || self.expects(Rule::op_or) || self.expects(Rule::EOI))
        {
            return test_after_test(next_span);
        }

        // `if` / `then` / `else` without parentheses.
        if matches!(prev, "if" | "then" | "else") && next != "(" {
            let role = match prev {
                "if" => "its condition",
                _ => "its value",
            };
            return Diagnostic::new(
                "E0107",
                next_span,
                format!("`{prev}` needs parentheses around {role}"),
            )
            .with_label("expected `(`")
            .with_help("write `if (condition) then (value) else (other value)`");
        }
        if self.expects(Rule::kw_then) || self.expects(Rule::kw_else) {
            let kw = if self.expects(Rule::kw_then) {
                "then"
            } else {
                "else"
            };
            return Diagnostic::new(
                "E0107",
                next_span,
                format!("expected `{kw}`, found {}", self.described_next()),
            )
            .with_label(format!("`{kw} (…)` is required here"))
            .with_help(
                "an `if` has all three parts: `if (condition) then (value) else (other value)`",
            );
        }

        // Inside a field reference.
        if let Some(open) = self.innermost_open() {
            let opener = open.text(self.src);
            if opener == "@{" || opener == "#{" || opener == "@action{" {
                if let Some(d) = self.explain_in_reference(opener) {
                    return d;
                }
            }
        }

        // Numbers the language does not have.
        if let Some(tok) = self.next.filter(|t| t.kind == TokKind::Number) {
            let text = tok.text(self.src);
            if text.contains(['e', 'E'])
                && text
                    .trim_start_matches(|c: char| c.is_ascii_digit() || c == '.')
                    .starts_with(['e', 'E'])
            {
                return Diagnostic::new(
                    "E0117",
                    tok.span,
                    "exponents are not part of the language",
                )
                .with_label("write the number out in full")
                .with_help("write e.g. `100000` instead of `1e5`");
            }
            if self.prev_ends_operand() {
                return self.missing_operator();
            }
            return Diagnostic::new("E0117", tok.span, format!("`{text}` is not a number"))
                .with_label("a number is digits, optionally followed by `.` and digits");
        }
        if next == "." {
            let after = self.src.get(next_span.end as usize..).unwrap_or("");
            if after.starts_with(|c: char| c.is_ascii_digit()) {
                return Diagnostic::new(
                    "E0117",
                    next_span,
                    "a decimal needs digits before the point",
                )
                .with_label("missing leading digit")
                .with_help(format!(
                    "write `0.{}`",
                    after
                        .chars()
                        .take_while(char::is_ascii_digit)
                        .collect::<String>()
                ));
            }
            if self.prev.is_some_and(|t| t.kind == TokKind::Number) {
                return Diagnostic::new(
                    "E0117",
                    next_span,
                    "a decimal needs digits after the point",
                )
                .with_label("expected a digit after `.`")
                .with_help(format!("write `{}.0`", prev));
            }
        }

        // Commas with nothing on one side.
        if prev == "," && matches!(next, ")" | "]") {
            return Diagnostic::new(
                "E0119",
                self.prev.map_or(next_span, |t| t.span),
                "trailing comma",
            )
            .with_label("remove this comma")
            .with_help("a list or argument list ends with its last element, without a comma");
        }
        if matches!(prev, "(" | "[" | ",") && next == "," {
            return Diagnostic::new("E0119", next_span, "expected an expression before `,`")
                .with_label("empty element");
        }
        let before_paren = self.token_before_prev();
        if prev == "(" && before_paren == "at" {
            return Diagnostic::new("E0122", next_span, "`at(…)` needs an index")
                .with_label("expected an integer expression")
                .with_help("write e.g. `.at(0)` for the first element");
        }
        if prev == "(" && before_paren == "entry" {
            return Diagnostic::new(
                "E0122",
                next_span,
                "`entry(…)` takes the key as a quoted string",
            )
            .with_label("expected a string literal")
            .with_help(format!(
                "write `entry('{}')`",
                if next == ")" { "key" } else { next }
            ));
        }
        if prev == "(" && next == ")" {
            return Diagnostic::new(
                "E0108",
                self.prev.map_or(next_span, |t| t.span.to(next_span)),
                "empty parentheses",
            )
            .with_label("expected an expression inside")
            .with_help(
                "parentheses group an expression; a call needs a function name before them",
            );
        }

        if let Some(d) = self.bare_word() {
            return d;
        }

        // An operator with nothing after it.
        if BINARY_OPERATORS.contains(&prev) || prev == "not" {
            let d = Diagnostic::new(
                "E0108",
                next_span,
                format!("expected an expression after `{prev}`"),
            )
            .with_label(format!("found {}", self.described_next()));
            return match self.prev {
                Some(op) => d.with_note(op.span, "this operator needs a right operand"),
                None => d,
            };
        }

        if self.next.is_some_and(|t| t.kind == TokKind::Word) && self.prev_ends_operand() {
            return self.missing_operator();
        }
        if next == "+" && !self.prev_ends_operand() {
            return Diagnostic::new("E0108", next_span, "there is no unary `+`")
                .with_label("remove this `+`");
        }

        if self.prev_ends_operand() && self.next.is_some() {
            return self.missing_operator();
        }

        match self.next {
            None => Diagnostic::new("E0108", next_span, "unexpected end of the expression")
                .with_label("expected an expression"),
            Some(_) if self.prev.is_none() || !self.prev_ends_operand() => Diagnostic::new(
                "E0100",
                next_span,
                format!("expected an expression, found {}", self.described_next()),
            )
            .with_label("expected a value, field reference, function call or `(`"),
            Some(_) => self.missing_operator(),
        }
    }

    /// The token before `prev` (`at` in `at()`), or "".
    fn token_before_prev(&self) -> &str {
        let Some(prev) = self.prev else { return "" };
        Lexer::new(self.src)
            .take_while(|t| t.span.end <= prev.span.start)
            .last()
            .map_or("", |t| t.text(self.src))
    }

    /// A word where a value must be: `status == gold`.
    fn bare_word(&self) -> Option<Diagnostic> {
        let tok = self.next.filter(|t| t.kind == TokKind::Word)?;
        if self.prev_ends_operand() {
            return None;
        }
        let text = tok.text(self.src);
        if KEYWORDS.contains(&text) {
            return None;
        }
        let after = self
            .src
            .get(tok.span.end as usize..)
            .unwrap_or("")
            .trim_start();
        if after.starts_with('(') {
            return None;
        }
        // Inside a filter, a bare name is usually the element's field.
        let brackets = open_brackets(self.src, tok.span.start as usize);
        let filter = brackets
            .last()
            .filter(|b| b.text(self.src) == "(")
            .and_then(|b| {
                let before = self.src.get(..b.span.start as usize)?.trim_end();
                let is_filter = ["all", "first", "last"].iter().any(|f| {
                    before.ends_with(f)
                        && before[..before.len() - f.len()].trim_end().ends_with('.')
                });
                let reference = brackets
                    .iter()
                    .rev()
                    .map(|t| t.text(self.src))
                    .find(|t| matches!(*t, "@{" | "#{" | "@action{"))?;
                is_filter.then_some(reference)
            });
        let d = Diagnostic::new("E0109", tok.span, format!("`{text}` is not a value"));
        Some(match filter {
            Some(reference) => {
                let current = if reference != "#{" {
                    "currentEventField"
                } else {
                    "currentDataPackField"
                };
                d.with_label("a bare name is neither a field nor a string")
                    .with_help(format!(
                        "in a filter, the element's fields are read with `{current}`: write `{current}.{text}`"
                    ))
            }
            None => d
                .with_label("a bare name is neither a field nor a string")
                .with_help(format!(
                    "write a field reference like `@{{Event.{text}}}`, or a string: \"{text}\""
                )),
        })
    }

    fn missing_operator(&self) -> Diagnostic {
        let d = Diagnostic::new(
            "E0123",
            self.next_span(),
            format!("expected an operator, found {}", self.described_next()),
        )
        .with_label("two values without an operator between them");
        let is_call_like = self.next.is_some_and(|t| t.kind == TokKind::Word)
            && self
                .src
                .get(self.next_span().end as usize..)
                .unwrap_or("")
                .trim_start()
                .starts_with('(');
        let in_arguments = self
            .innermost_open()
            .is_some_and(|t| matches!(t.text(self.src), "(" | "["));
        if is_call_like || in_arguments {
            d.with_help(
                "separate arguments and list elements with `,`; join conditions with `and`/`or`",
            )
        } else {
            d.with_help("join the two with an operator such as `and`, `or`, `==` or `+`")
        }
    }

    /// Errors between `@{`/`#{` and `}`.
    fn explain_in_reference(&self, opener: &str) -> Option<Diagnostic> {
        let prev = self.prev_text();
        let next = self.next_text();
        let next_span = self.next_span();
        if prev == opener {
            let what = match opener {
                "@{" => "an event name (or `journey`)",
                "@action{" => "an action name",
                _ => "a data source name",
            };
            return Some(
                Diagnostic::new(
                    "E0122",
                    next_span,
                    format!("expected {what} after `{opener}`"),
                )
                .with_label(format!("found {}", self.described_next()))
                .with_help(if opener == "@{" {
                    "write `@{EventName.field}`"
                } else if opener == "@action{" {
                    "write `@action{ActionName.field}`"
                } else {
                    "write `#{DataSource.FieldGroup.field}`"
                }),
            );
        }
        if prev == "." && self.expects(Rule::name_step) || self.expects(Rule::path_ident) {
            if let Some(tok) = self.next.filter(|t| t.kind == TokKind::Number) {
                let name = tok.text(self.src);
                return Some(
                    Diagnostic::new(
                        "E0122",
                        tok.span,
                        format!("field name `{name}` starts with a digit"),
                    )
                    .with_label("a bare field name starts with a letter or `_`")
                    .with_help(format!("quote it: '{name}'")),
                );
            }
            return Some(
                Diagnostic::new("E0122", next_span, format!("expected a field name after `.`, found {}", self.described_next()))
                    .with_label("a path step is a name, a quoted name, or `all(…)`, `first(…)`, `last(…)`, `at(…)`, `entry('…')`, `keys()`, `firstEntryKey()`"),
            );
        }
        if prev == "," && matches!(next, "defaultValue" | "params") {
            let after: Vec<Token> =
                Lexer::new(self.src.get(next_span.end as usize..).unwrap_or(""))
                    .take(2)
                    .collect();
            let offset = next_span.end as usize;
            let shifted =
                |t: &Token| Span::new(offset + t.span.start as usize, offset + t.span.end as usize);
            let rest = self.src.get(offset..).unwrap_or("");
            let first = after.first().map(|t| t.text(rest));
            if first != Some(":") {
                let span = after.first().map_or(Span::point(offset), shifted);
                return Some(
                    Diagnostic::new("E0116", span, format!("expected `:` after `{next}`"))
                        .with_label("missing `:`")
                        .with_help(format!("write `{next}: …`")),
                );
            }
            if next == "params" && after.get(1).map(|t| t.text(rest)) != Some("{") {
                let span = after.get(1).map_or(Span::point(offset), shifted);
                return Some(
                    Diagnostic::new("E0116", span, "`params` takes named values in braces")
                        .with_label("expected `{`")
                        .with_help("write `params: {name: value, other: value}`"),
                );
            }
        }
        if prev == "," {
            let what = next;
            let lower = what.to_ascii_lowercase();
            let suggestion = if lower.starts_with("default") {
                Some("defaultValue")
            } else if lower.starts_with("param") {
                Some("params")
            } else {
                None
            };
            let mut d = Diagnostic::new(
                "E0116",
                next_span,
                format!(
                    "unknown option {}: a field reference takes `defaultValue:` or `params:`",
                    self.described_next()
                ),
            )
            .with_label("not an option");
            if let Some(s) = suggestion {
                d = d.with_help(format!("did you mean `{s}`?"));
            }
            return Some(d);
        }
        if next == "." && self.expects(Rule::name_step) {
            return None;
        }
        if self.prev_ends_operand()
            && !matches!(next, "," | "}" | ".")
            && self.at_path_level(opener)
        {
            return Some(
                Diagnostic::new(
                    "E0122",
                    next_span,
                    format!("unexpected {} in a field reference", self.described_next()),
                )
                .with_label("expected `.`, `,` or `}`")
                .with_help("path steps are separated by `.`; options follow a `,`"),
            );
        }
        None
    }

    /// True when the failure is directly inside the braces, not inside a
    /// nested expression such as a filter condition.
    fn at_path_level(&self, opener: &str) -> bool {
        let brackets = open_brackets(self.src, self.at);
        brackets.last().is_some_and(|t| t.text(self.src) == opener)
            && Lexer::new(self.src.get(..self.at).unwrap_or(""))
                .last()
                .is_none_or(|t| t.text(self.src) != ":")
    }
}
