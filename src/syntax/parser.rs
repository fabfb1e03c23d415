//! Source text → AST: pre-checks, the pest parser, and the tree builder.

use super::ast::*;
use super::explain;
use super::grammar::{Grammar, Rule};
use super::lexer::{closer_of, Lexer, TokKind};
use crate::big_stack;
use crate::diagnostic::Diagnostic;
use crate::span::Span;
use pest::iterators::Pair;
use pest::Parser as _;

/// Longest source accepted, in bytes (a few MB of expression is an attack, not a journey).
pub const MAX_SOURCE_LEN: usize = 4 * 1024 * 1024;
/// Deepest nesting of brackets, prefix operators and AST levels accepted.
pub const MAX_DEPTH: usize = 256;

/// Parses one expression, or returns every syntax error found.
pub fn parse(src: &str) -> Result<Expr, Vec<Diagnostic>> {
    if src.len() > MAX_SOURCE_LEN {
        return Err(vec![Diagnostic::new(
            "E0120",
            Span::point(0),
            format!(
                "the expression is {} bytes long; the limit is {} bytes",
                src.len(),
                MAX_SOURCE_LEN
            ),
        )]);
    }
    let depth = prescan(src)?;
    big_stack::run_with_depth(depth, || parse_checked(src))
        .unwrap_or_else(|| Err(vec![big_stack::too_deep("parse")]))
}

/// Parses text that passed [`prescan`], so pest's recursion is bounded.
fn parse_checked(src: &str) -> Result<Expr, Vec<Diagnostic>> {
    let mut pairs = match Grammar::parse(Rule::program, src) {
        Ok(pairs) => pairs,
        Err(err) => return Err(vec![explain::pest_error(src, &err)]),
    };
    let expr_pair = pairs
        .next()
        .and_then(|program| program.into_inner().next())
        .ok_or_else(|| {
            vec![Diagnostic::new(
                "E0100",
                Span::point(0),
                "expected an expression",
            )]
        })?;
    let mut builder = Builder {
        src,
        errors: Vec::new(),
    };
    let expr = builder.expr(expr_pair, 0);
    if builder.errors.is_empty() {
        Ok(expr)
    } else {
        Err(builder.errors)
    }
}

/// Checks that pest must not be run on: unterminated strings, unbalanced or
/// mismatched brackets, and nesting deep enough to exhaust the stack of a
/// recursive-descent parser. Returns the deepest nesting seen.
fn prescan(src: &str) -> Result<usize, Vec<Diagnostic>> {
    let mut deepest = 0usize;
    let mut stack: Vec<(Span, &'static str)> = Vec::new();
    let mut prefix_run = 0usize;
    for tok in Lexer::new(src) {
        let text = tok.text(src);
        if let TokKind::Str { terminated: false } = tok.kind {
            let quote = Span::new(tok.span.start as usize, tok.span.start as usize + 1);
            return Err(vec![Diagnostic::new(
                "E0102",
                quote,
                "unterminated string literal",
            )
            .with_label("this quote is never closed")
            .with_help(format!(
                "add the closing {text0} at the end of the string",
                text0 = &text[..1]
            ))]);
        }
        if let Some(closer) = closer_of(text) {
            stack.push((tok.span, closer));
        } else if matches!(text, ")" | "]" | "}") {
            match stack.pop() {
                Some((_, expected)) if expected == text => {}
                Some((open, expected)) => {
                    let opener = open.text(src);
                    return Err(vec![Diagnostic::new(
                        "E0101",
                        tok.span,
                        format!("`{text}` does not close `{opener}`"),
                    )
                    .with_label(format!("expected `{expected}`"))
                    .with_note(open, format!("`{opener}` opened here"))]);
                }
                None => {
                    return Err(vec![Diagnostic::new(
                        "E0101",
                        tok.span,
                        format!("unexpected `{text}`: there is nothing to close"),
                    )
                    .with_label("no matching opening bracket")]);
                }
            }
        }
        // Prefix operators nest like brackets: `not not not x`, `- - -1`.
        if text == "not" || text == "-" || text == "--" {
            prefix_run += if text == "--" { 2 } else { 1 };
        } else if closer_of(text).is_none() {
            prefix_run = 0;
        }
        deepest = deepest.max(stack.len() + prefix_run);
        if deepest > MAX_DEPTH {
            return Err(vec![too_deep(tok.span)]);
        }
    }
    if let Some((open, expected)) = stack.pop() {
        let opener = open.text(src);
        let end = Span::point(src.trim_end().len());
        return Err(vec![Diagnostic::new(
            "E0101",
            open,
            format!("unclosed `{opener}`"),
        )
        .with_label(format!("`{opener}` opened here"))
        .with_note(
            end,
            format!("expected `{expected}` before the end of the expression"),
        )]);
    }
    Ok(deepest)
}

fn too_deep(span: Span) -> Diagnostic {
    Diagnostic::new(
        "E0121",
        span,
        format!("the expression is nested too deeply (the limit is {MAX_DEPTH} levels)"),
    )
    .with_label("nesting limit reached here")
    .with_help("split the expression, or use `in(…)`, lists and functions instead of long chains")
}

/// The pair's span without the trailing whitespace pest may include.
fn span_of(pair: &Pair<Rule>) -> Span {
    let s = pair.as_span();
    let trimmed = s.as_str().trim_end_matches([' ', '\t', '\r', '\n']).len();
    Span::new(s.start(), s.start() + trimmed)
}

/// Builds the AST from pest pairs, collecting the errors pest cannot see
/// (escapes, integer overflow, misplaced options) so several are reported at once.
struct Builder<'s> {
    src: &'s str,
    errors: Vec<Diagnostic>,
}

/// A placeholder for a node that had an error; the error is already recorded.
fn poisoned(span: Span) -> Expr {
    Expr {
        kind: ExprKind::Null,
        span,
    }
}

impl Builder<'_> {
    fn error(&mut self, d: Diagnostic) {
        self.errors.push(d);
    }

    /// `depth` is this node's distance from the root, bounded by [`MAX_DEPTH`].
    fn expr(&mut self, pair: Pair<Rule>, depth: usize) -> Expr {
        let span = span_of(&pair);
        if depth > MAX_DEPTH {
            self.error(too_deep(span));
            return poisoned(span);
        }
        match pair.as_rule() {
            Rule::expr => self.climb(pair, depth),
            // The node takes the brackets' span, so an operator around it
            // (`(a) * 2`) underlines balanced text.
            Rule::paren => match pair.into_inner().next() {
                Some(inner) => {
                    let mut e = self.expr(inner, depth);
                    e.span = span;
                    e
                }
                None => poisoned(span),
            },
            Rule::if_expr => {
                let mut parts = pair
                    .into_inner()
                    .filter(|p| p.as_rule() == Rule::paren)
                    .map(|p| self.expr(p, depth + 1));
                match (parts.next(), parts.next(), parts.next()) {
                    (Some(c), Some(t), Some(e)) => Expr {
                        kind: ExprKind::If(Box::new([c, t, e])),
                        span,
                    },
                    _ => poisoned(span),
                }
            }
            Rule::null_lit => Expr {
                kind: ExprKind::Null,
                span,
            },
            Rule::true_lit => Expr {
                kind: ExprKind::Bool(true),
                span,
            },
            Rule::false_lit => Expr {
                kind: ExprKind::Bool(false),
                span,
            },
            Rule::integer => self.integer(span, false),
            Rule::decimal => self.decimal(span, false),
            Rule::string => Expr {
                kind: ExprKind::String(self.string(pair)),
                span,
            },
            Rule::list => {
                let items = pair.into_inner().map(|p| self.expr(p, depth + 1)).collect();
                Expr {
                    kind: ExprKind::List(items),
                    span,
                }
            }
            Rule::date_lit => {
                let text = pair
                    .into_inner()
                    .next()
                    .map(|p| self.string(p))
                    .unwrap_or_default();
                Expr {
                    kind: ExprKind::Date(text),
                    span,
                }
            }
            Rule::call => self.call(pair, depth),
            Rule::field_ref => self.field_ref(pair, depth),
            Rule::current_ref => {
                let mut inner = pair.into_inner();
                let kind = match inner.next().map(|p| p.as_str()) {
                    Some("currentDataPackField") => CurrentKind::DataPackField,
                    _ => CurrentKind::EventField,
                };
                let path: Vec<Step> = inner.map(|p| self.step(p, depth + 1)).collect();
                self.check_path_length(&path, span);
                Expr {
                    kind: ExprKind::Current(CurrentRef { kind, path }),
                    span,
                }
            }
            _ => poisoned(span),
        }
    }

    /// Builds a flat `operand (infix operand)*` sequence into a tree by
    /// precedence climbing (section 5).
    fn climb(&mut self, pair: Pair<Rule>, depth: usize) -> Expr {
        let span = span_of(&pair);
        let items: Vec<Pair<Rule>> = pair.into_inner().collect();
        // Each operator adds at most one level above its operands.
        let operators = items.iter().filter(|p| !is_operand(p.as_rule())).count();
        if depth + operators > MAX_DEPTH {
            self.error(too_deep(span));
            return poisoned(span);
        }
        let mut items = items.into_iter().peekable();
        self.bind(&mut items, 0, depth + operators).0
    }

    /// Parses operands and operators while they bind at least `min`. The
    /// flag says whether the result is a bare comparison or test, which
    /// cannot be compared or tested again without parentheses.
    fn bind<'i>(
        &mut self,
        items: &mut std::iter::Peekable<std::vec::IntoIter<Pair<'i, Rule>>>,
        min: u8,
        depth: usize,
    ) -> (Expr, bool) {
        let Some(first) = items.next() else {
            return (poisoned(Span::default()), false);
        };
        let first_span = span_of(&first);
        let mut lhs = match first.as_rule() {
            Rule::op_not => {
                if min > bp::NOT {
                    self.error(
                        Diagnostic::new(
                            "E0125",
                            first_span,
                            "`not` cannot stand here without parentheses",
                        )
                        .with_label("`not` binds more loosely than comparisons and arithmetic")
                        .with_help("put the negation in parentheses, e.g. `a == (not b)`"),
                    );
                }
                let (operand, _) = self.bind(items, bp::NOT, depth);
                let span = first_span.to(operand.span);
                Expr {
                    kind: ExprKind::Unary(UnaryOp::Not, Box::new(operand)),
                    span,
                }
            }
            Rule::neg => {
                // A minus directly before a number literal is part of it, so
                // `-9223372036854775808` is the smallest integer.
                let literal =
                    items.next_if(|p| matches!(p.as_rule(), Rule::integer | Rule::decimal));
                match literal {
                    Some(lit) => {
                        let lit_span = span_of(&lit);
                        let e = if lit.as_rule() == Rule::integer {
                            self.integer(lit_span, true)
                        } else {
                            self.decimal(lit_span, true)
                        };
                        Expr {
                            span: first_span.to(lit_span),
                            ..e
                        }
                    }
                    None => {
                        let (operand, _) = self.bind(items, bp::NEG, depth);
                        let span = first_span.to(operand.span);
                        Expr {
                            kind: ExprKind::Unary(UnaryOp::Neg, Box::new(operand)),
                            span,
                        }
                    }
                }
            }
            _ => self.expr(first, depth),
        };
        let mut bare = false;
        while let Some(next) = items.peek() {
            let next_span = span_of(next);
            if next.as_rule() == Rule::test {
                if bp::TEST < min {
                    break;
                }
                let Some(test) = items.next() else { break };
                if bare {
                    self.error(explain::test_after_test(next_span));
                }
                let op = match test.into_inner().next().map(|p| p.as_rule()) {
                    Some(Rule::is_not_null) => TestOp::IsNotNull,
                    Some(Rule::has_null) => TestOp::HasNull,
                    Some(Rule::is_numeric) => TestOp::IsNumeric,
                    Some(Rule::is_integer) => TestOp::IsInteger,
                    Some(Rule::is_decimal) => TestOp::IsDecimal,
                    _ => TestOp::IsNull,
                };
                let span = lhs.span.to(next_span);
                lhs = Expr {
                    kind: ExprKind::Test(op, Box::new(lhs)),
                    span,
                };
                bare = true;
                continue;
            }
            let Some(op) = binary_op(next.as_rule(), next.as_str()) else {
                break;
            };
            let (left, right) = bp::infix(op);
            if left < min {
                break;
            }
            items.next();
            if op.is_comparison() && bare {
                self.error(
                    Diagnostic::new("E0106", next_span, "comparisons cannot be chained; use `and`")
                        .with_label("a second comparison cannot follow the first")
                        .with_help("write `a < b and b < c`, or add parentheses to compare a result: `(a < b) == true`"),
                );
            }
            let (rhs, _) = self.bind(items, right, depth);
            let span = lhs.span.to(rhs.span);
            lhs = Expr {
                kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                span,
            };
            bare = op.is_comparison();
        }
        (lhs, bare)
    }

    fn integer(&mut self, span: Span, negative: bool) -> Expr {
        let digits = span.text(self.src);
        let value = digits
            .parse::<i128>()
            .ok()
            .map(|v| if negative { -v } else { v })
            .and_then(|v| i64::try_from(v).ok());
        match value {
            Some(v) => Expr {
                kind: ExprKind::Integer(v),
                span,
            },
            None => {
                self.error(
                    Diagnostic::new("E0110", span, "integer literal is too large")
                        .with_label(format!("integers range from {} to {}", i64::MIN, i64::MAX))
                        .with_help(format!("write a decimal instead: `{digits}.0`")),
                );
                poisoned(span)
            }
        }
    }

    fn decimal(&mut self, span: Span, negative: bool) -> Expr {
        match span.text(self.src).parse::<f64>() {
            Ok(v) if v.is_finite() => Expr {
                kind: ExprKind::Decimal(if negative { -v } else { v }),
                span,
            },
            _ => {
                self.error(
                    Diagnostic::new("E0111", span, "decimal literal is too large")
                        .with_label("decimals are 64-bit floating point numbers"),
                );
                poisoned(span)
            }
        }
    }

    /// The value of a `string` pair, with escapes resolved (errors recorded).
    fn string(&mut self, pair: Pair<Rule>) -> String {
        let Some(inner) = pair.into_inner().next() else {
            return String::new();
        };
        let base = inner.as_span().start();
        let raw = inner.as_str();
        let mut out = String::with_capacity(raw.len());
        let mut chars = raw.char_indices().peekable();
        let mut pending_high: Option<(u16, usize)> = None;
        while let Some((i, c)) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            let Some((_, e)) = chars.next() else { break };
            match e {
                '\\' => out.push('\\'),
                '"' => out.push('"'),
                '\'' => out.push('\''),
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                'u' => {
                    let hex: String = raw.get(i + 2..i + 6).unwrap_or("").to_string();
                    let esc_span = Span::new(base + i, base + (i + 6).min(raw.len()));
                    let code = if hex.len() == 4 && hex.chars().all(|h| h.is_ascii_hexdigit()) {
                        u16::from_str_radix(&hex, 16).ok()
                    } else {
                        None
                    };
                    let Some(code) = code else {
                        self.error(
                            Diagnostic::new("E0104", esc_span, "invalid unicode escape")
                                .with_label("`\\u` must be followed by exactly four hex digits")
                                .with_help("write e.g. `\\u00e9` for é"),
                        );
                        continue;
                    };
                    for _ in 0..4 {
                        chars.next();
                    }
                    match (code, pending_high.take()) {
                        (0xD800..=0xDBFF, None) => pending_high = Some((code, i)),
                        (0xDC00..=0xDFFF, Some((high, _))) => {
                            let c = 0x10000
                                + ((u32::from(high) - 0xD800) << 10)
                                + (u32::from(code) - 0xDC00);
                            out.extend(char::from_u32(c));
                        }
                        (_, Some((_, at))) => {
                            self.lone_surrogate(Span::new(base + at, base + at + 6));
                            out.extend(char::from_u32(u32::from(code)));
                        }
                        (0xDC00..=0xDFFF, None) => self.lone_surrogate(esc_span),
                        (_, None) => out.extend(char::from_u32(u32::from(code))),
                    }
                    continue;
                }
                other => {
                    let esc_span = Span::new(base + i, base + i + 1 + other.len_utf8());
                    self.error(
                        Diagnostic::new("E0103", esc_span, format!("unknown escape `\\{other}`"))
                            .with_label("not a valid escape")
                            .with_help(
                                "the escapes are \\\\ \\\" \\' \\n \\r \\t \\uXXXX; write `\\\\` for a backslash",
                            ),
                    );
                }
            }
            if let Some((_, at)) = pending_high.take() {
                self.lone_surrogate(Span::new(base + at, base + at + 6));
            }
        }
        if let Some((_, at)) = pending_high {
            self.lone_surrogate(Span::new(base + at, base + at + 6));
        }
        out
    }

    fn lone_surrogate(&mut self, span: Span) {
        self.error(
            Diagnostic::new("E0104", span, "invalid unicode escape")
                .with_label("a UTF-16 surrogate must come in a high/low pair")
                .with_help("write a character above U+FFFF as a pair, e.g. `\\uD83D\\uDE00`"),
        );
    }

    fn call(&mut self, pair: Pair<Rule>, depth: usize) -> Expr {
        let span = span_of(&pair);
        let mut inner = pair.into_inner();
        let Some(name) = inner.next() else {
            return poisoned(span);
        };
        let name = Name {
            text: name.as_str().to_string(),
            span: span_of(&name),
        };
        let args: Vec<Expr> = inner.map(|p| self.expr(p, depth + 1)).collect();
        if name.text == "date" {
            self.error(
                Diagnostic::new("E0112", span, "`date(…)` takes a string literal")
                    .with_label("not a string literal")
                    .with_help("write e.g. `date(\"2024-05-01\")`, or use `toDateTime(…)` for a computed value"),
            );
        }
        Expr {
            kind: ExprKind::Call(Call { name, args }),
            span,
        }
    }

    /// Paths longer than `MAX_DEPTH` steps are refused: no schema is that
    /// deep, and later stages walk paths step by step.
    fn check_path_length(&mut self, path: &[Step], span: Span) {
        if path.len() > MAX_DEPTH {
            self.error(
                Diagnostic::new(
                    "E0121",
                    span,
                    format!(
                        "this field path has {} steps; the limit is {MAX_DEPTH}",
                        path.len()
                    ),
                )
                .with_help("no schema nests that deeply: check how the path was generated"),
            );
        }
    }

    fn field_ref(&mut self, pair: Pair<Rule>, depth: usize) -> Expr {
        let span = span_of(&pair);
        let mut origin = Origin::Event;
        let mut path = Vec::new();
        let mut default: Option<Expr> = None;
        let mut params: Option<Vec<(Name, Expr)>> = None;
        let mut param_names = std::collections::HashSet::new();
        for part in pair.into_inner() {
            let part_span = span_of(&part);
            match part.as_rule() {
                Rule::source_open => origin = Origin::DataSource,
                Rule::action_open => origin = Origin::Action,
                Rule::path => {
                    path = part.into_inner().map(|p| self.step(p, depth + 1)).collect();
                    self.check_path_length(&path, part_span);
                }
                Rule::default_opt => {
                    let Some(value) = part.into_inner().next() else {
                        continue;
                    };
                    let parenthesised = value.as_str().starts_with('(');
                    let value = self.expr(value, depth + 1);
                    if matches!(value.kind, ExprKind::Call(_)) && !parenthesised {
                        self.error(
                            Diagnostic::new(
                                "E0113",
                                value.span,
                                "a function call used as `defaultValue` must be parenthesised",
                            )
                            .with_label("wrap this call in parentheses")
                            .with_help(format!(
                                "write `defaultValue: ({})`",
                                value.span.text(self.src)
                            )),
                        );
                    }
                    if default.is_some() {
                        self.duplicate_option(part_span, "defaultValue");
                    }
                    default = Some(value);
                }
                Rule::params_opt => {
                    let mut list: Vec<(Name, Expr)> = Vec::new();
                    for param in part.into_inner() {
                        let mut kv = param.into_inner();
                        let (Some(k), Some(v)) = (kv.next(), kv.next()) else {
                            continue;
                        };
                        let name = Name {
                            text: k.as_str().to_string(),
                            span: span_of(&k),
                        };
                        if !param_names.insert(name.text.clone()) {
                            self.error(
                                Diagnostic::new(
                                    "E0115",
                                    name.span,
                                    format!("parameter `{}` is given twice", name.text),
                                )
                                .with_label("repeated here"),
                            );
                        }
                        let value = self.expr(v, depth + 1);
                        list.push((name, value));
                    }
                    if params.is_some() {
                        self.duplicate_option(part_span, "params");
                    }
                    params = Some(list);
                }
                _ => {}
            }
        }
        Expr {
            kind: ExprKind::Field(Box::new(FieldRef {
                origin,
                path,
                default,
                params,
            })),
            span,
        }
    }

    fn duplicate_option(&mut self, span: Span, name: &str) {
        self.error(
            Diagnostic::new("E0114", span, format!("`{name}` is given twice"))
                .with_label("second occurrence")
                .with_help(format!("a field reference takes `{name}` at most once")),
        );
    }

    fn step(&mut self, pair: Pair<Rule>, depth: usize) -> Step {
        let span = span_of(&pair);
        let kind = match pair.as_rule() {
            Rule::filter_step => {
                let mut inner = pair.into_inner();
                let kind = match inner.next().map(|p| p.as_str()) {
                    Some("first") => FilterKind::First,
                    Some("last") => FilterKind::Last,
                    _ => FilterKind::All,
                };
                let cond = inner.next().map(|p| Box::new(self.expr(p, depth + 1)));
                StepKind::Filter(kind, cond)
            }
            Rule::at_step => match pair.into_inner().next() {
                Some(index) => StepKind::At(Box::new(self.expr(index, depth + 1))),
                None => StepKind::Field(String::new()),
            },
            Rule::entry_step => StepKind::Entry(
                pair.into_inner()
                    .next()
                    .map(|p| self.string(p))
                    .unwrap_or_default(),
            ),
            Rule::first_key_step => StepKind::FirstEntryKey,
            Rule::keys_step => StepKind::Keys,
            _ => match pair.into_inner().next() {
                Some(p) if p.as_rule() == Rule::string => StepKind::Field(self.string(p)),
                Some(p) => StepKind::Field(p.as_str().to_string()),
                None => StepKind::Field(String::new()),
            },
        };
        Step { kind, span }
    }
}

/// Binding powers for precedence climbing: section 5's levels, doubled so
/// left-associative operators bind their right operand one step tighter.
mod bp {
    use super::BinaryOp;

    /// `not x`: its operand may be a comparison, not an `and`/`or`.
    pub const NOT: u8 = 6;
    /// Postfix tests bind like comparisons.
    pub const TEST: u8 = 8;
    /// Unary minus binds tighter than any infix operator.
    pub const NEG: u8 = 14;

    pub fn infix(op: BinaryOp) -> (u8, u8) {
        let level = op.precedence() * 2;
        (level, level + 1)
    }
}

fn is_operand(rule: Rule) -> bool {
    !matches!(
        rule,
        Rule::op_not
            | Rule::neg
            | Rule::test
            | Rule::op_or
            | Rule::op_and
            | Rule::cmp_op
            | Rule::add_op
            | Rule::mul_op
    )
}

fn binary_op(rule: Rule, text: &str) -> Option<BinaryOp> {
    Some(match (rule, text) {
        (Rule::op_or, _) => BinaryOp::Or,
        (Rule::op_and, _) => BinaryOp::And,
        (Rule::cmp_op, "==") => BinaryOp::Eq,
        (Rule::cmp_op, "!=") => BinaryOp::Ne,
        (Rule::cmp_op, "<") => BinaryOp::Lt,
        (Rule::cmp_op, "<=") => BinaryOp::Le,
        (Rule::cmp_op, ">") => BinaryOp::Gt,
        (Rule::cmp_op, ">=") => BinaryOp::Ge,
        (Rule::add_op, "+") => BinaryOp::Add,
        (Rule::add_op, "-") => BinaryOp::Sub,
        (Rule::mul_op, "*") => BinaryOp::Mul,
        (Rule::mul_op, "/") => BinaryOp::Div,
        (Rule::mul_op, "%") => BinaryOp::Rem,
        _ => return None,
    })
}
