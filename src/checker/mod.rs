//! The checker: types every node of the AST against a [`Catalog`] and the
//! builtin signatures, resolves overloads once, and validates constants.

mod constants;
pub mod typed;

use crate::builtins::{self, Builtin, SignatureDisplay};
use crate::catalog::{Catalog, Strictness};
use crate::diagnostic::Diagnostic;
use crate::span::Span;
use crate::suggest::closest;
use crate::syntax::ast::*;
use crate::syntax::printer::field_step;
use crate::types::Type;
use std::sync::Arc;
pub use typed::{Const, Root, TExpr, TKind, TStep};

/// Journey properties (section 4.4) and their types.
pub const JOURNEY_PROPERTIES: &[(&str, Type)] = &[
    ("journeyUID", Type::String),
    ("journeyVersionUID", Type::String),
    ("journeyVersionName", Type::String),
    ("journeyVersionDescription", Type::String),
    ("journeyVersion", Type::String),
    ("instanceUID", Type::String),
    ("externalKey", Type::String),
    ("organizationId", Type::String),
    ("sandboxName", Type::String),
    ("profileId", Type::String),
    ("namespace", Type::String),
    ("currentNodeId", Type::String),
    ("currentNodeName", Type::String),
    ("previousNodeId", Type::String),
    ("previousNodeName", Type::String),
    ("lastNodeUIDInError", Type::String),
    ("lastNodeNameInError", Type::String),
    ("lastNodeTypeInError", Type::String),
    ("lastErrorCode", Type::String),
    ("lastExecutedActionErrorCode", Type::String),
    ("lastDataFetchErrorCode", Type::String),
    ("lastActionExecutionElapsedTime", Type::Integer),
    ("lastDataFetchElapsedTime", Type::Integer),
];

/// Types `expr` (parsed from `src`) against `catalog`.
pub fn check(expr: &Expr, src: &str, catalog: &Catalog) -> Result<TExpr, Vec<Diagnostic>> {
    check_with_warnings(expr, src, catalog).0
}

/// [`check`], and the warnings about an expression that works but
/// probably not as meant (W codes, README).
pub fn check_with_warnings(
    expr: &Expr,
    src: &str,
    catalog: &Catalog,
) -> (Result<TExpr, Vec<Diagnostic>>, Vec<Diagnostic>) {
    let mut checker = Checker {
        src,
        catalog,
        scopes: Vec::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
        reads: false,
    };
    let typed = checker.expr(expr);
    // A condition that reads no event, data, profile or clock is constant.
    let literal = matches!(expr.kind, ExprKind::Bool(_));
    if typed.ty == Type::Boolean && !checker.reads && !literal {
        checker.warnings.push(
            Diagnostic::warning("W0301", typed.span, "this condition is constant")
                .with_label("it reads no event, data, audience or clock")
                .with_help(
                    "a condition decides per profile: compare a field, e.g. `@{Event.field} > 100`",
                ),
        );
    }
    let warnings = std::mem::take(&mut checker.warnings);
    if checker.errors.is_empty() {
        (Ok(typed), warnings)
    } else {
        (Err(checker.errors), warnings)
    }
}

/// The element a filter condition is looking at.
struct Scope {
    keyword: CurrentKind,
    elem: Type,
}

struct Checker<'a> {
    src: &'a str,
    catalog: &'a Catalog,
    scopes: Vec<Scope>,
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
    /// Whether what was checked so far reads anything that varies (a field,
    /// the clock, an audience, random): if not, it is a constant.
    reads: bool,
}

fn node(kind: TKind, ty: Type, span: Span) -> TExpr {
    TExpr { kind, ty, span }
}

/// A node standing in for one that had an error: `null` fits everywhere, so
/// one mistake does not cascade into more.
fn poisoned(span: Span) -> TExpr {
    node(TKind::Const(Const::Null), Type::Null, span)
}

/// "a `string`", "an `object`".
fn a(t: &Type) -> String {
    t.with_article()
}

impl Checker<'_> {
    fn error(&mut self, d: Diagnostic) {
        self.errors.push(d);
    }

    fn text(&self, span: Span) -> &str {
        span.text(self.src)
    }

    fn expr(&mut self, expr: &Expr) -> TExpr {
        let span = expr.span;
        match &expr.kind {
            ExprKind::Null => node(TKind::Const(Const::Null), Type::Null, span),
            ExprKind::Bool(b) => node(TKind::Const(Const::Bool(*b)), Type::Boolean, span),
            ExprKind::Integer(i) => node(TKind::Const(Const::Integer(*i)), Type::Integer, span),
            ExprKind::Decimal(d) => node(TKind::Const(Const::Decimal(*d)), Type::Decimal, span),
            ExprKind::String(s) => node(
                TKind::Const(Const::String(Arc::from(s.as_str()))),
                Type::String,
                span,
            ),
            ExprKind::Date(text) => match constants::date_literal(text, span) {
                Ok((c, t)) => node(TKind::Const(c), t, span),
                Err(d) => {
                    self.error(d);
                    poisoned(span)
                }
            },
            ExprKind::List(items) => self.list(items, span),
            ExprKind::Field(field) => self.field(field, span),
            ExprKind::Current(current) => self.current(current, span),
            ExprKind::Call(call) => self.call(call, span),
            ExprKind::Unary(op, operand) => self.unary(*op, operand, span),
            ExprKind::Binary(op, lhs, rhs) => self.binary(*op, lhs, rhs, span),
            ExprKind::Test(op, operand) => {
                let operand = self.expr(operand);
                if *op == TestOp::HasNull && !matches!(operand.ty, Type::List(_) | Type::Null) {
                    self.error(
                        Diagnostic::new(
                            "E0301",
                            operand.span,
                            format!("`has null` needs a list, found `{}`", operand.ty),
                        )
                        .with_label(format!("this is `{}`", operand.ty))
                        .with_help("use `is null` to test a single value"),
                    );
                }
                node(TKind::Test(*op, Box::new(operand)), Type::Boolean, span)
            }
            ExprKind::If(parts) => self.conditional(parts, span),
        }
    }

    fn list(&mut self, items: &[Expr], span: Span) -> TExpr {
        let typed: Vec<TExpr> = items.iter().map(|e| self.expr(e)).collect();
        let mut elem = Type::Null;
        let mut first: Option<&TExpr> = None;
        for item in &typed {
            match elem.unify(&item.ty) {
                Some(t) => {
                    if first.is_none() && item.ty != Type::Null {
                        first = Some(item);
                    }
                    elem = t;
                }
                None => {
                    let first = first.map_or(span, |f| f.span);
                    let mut d = Diagnostic::new(
                        "E0305",
                        item.span,
                        "all list elements must have the same type",
                    )
                    .with_label(format!("this is `{}`", item.ty))
                    .with_note(first, format!("the list's elements are `{elem}` from here"));
                    if elem.is_numeric() && item.ty.is_numeric() {
                        let ints: Vec<String> = typed
                            .iter()
                            .filter(|t| t.ty == Type::Integer)
                            .map(|t| format!("`{}.0`", self.text(t.span)))
                            .collect();
                        d = d.with_help(format!(
                            "integers and decimals do not mix in a list; write {}",
                            ints.join(", ")
                        ));
                    }
                    self.error(d);
                    break;
                }
            }
        }
        node(TKind::List(typed), Type::list(elem), span)
    }

    fn conditional(&mut self, parts: &[Expr; 3], span: Span) -> TExpr {
        let [c, t, e] = parts;
        let outer_reads = std::mem::replace(&mut self.reads, false);
        let cond = self.expr(c);
        let constant = !self.reads && cond.ty == Type::Boolean;
        self.reads |= outer_reads;
        self.expect_boolean(&cond, "the condition of `if`", "E0311");
        let then = self.expr(t);
        let other = self.expr(e);
        if constant {
            let d = match c.kind {
                ExprKind::Bool(b) => {
                    let never = if b { &other } else { &then };
                    Diagnostic::warning("W0302", never.span, "this branch is never taken")
                        .with_label(format!("the condition is always `{b}`"))
                        .with_note(cond.span, "constant")
                }
                _ => Diagnostic::warning("W0302", cond.span, "the condition of `if` is constant")
                    .with_label(
                        "it reads no event, data, audience or clock: one branch is never taken",
                    ),
            };
            self.warnings
                .push(d.with_help("write the branch that is taken on its own, or test a field"));
        }
        let ty = match then.ty.unify(&other.ty) {
            Some(t) => t,
            None if then.ty.is_numeric() && other.ty.is_numeric() => Type::Decimal,
            None => {
                self.error(
                    Diagnostic::new(
                        "E0310",
                        other.span,
                        format!(
                            "the branches of `if` have different types: `{}` and `{}`",
                            then.ty, other.ty
                        ),
                    )
                    .with_label(format!("this is `{}`", other.ty))
                    .with_note(then.span, format!("this is `{}`", then.ty))
                    .with_help("both branches must have the same type (or one of them be `null`)"),
                );
                Type::Null
            }
        };
        node(TKind::If(Box::new([cond, then, other])), ty, span)
    }

    fn expect_boolean(&mut self, e: &TExpr, what: &str, code: &'static str) {
        if !matches!(e.ty, Type::Boolean | Type::Null) {
            self.error(
                Diagnostic::new(
                    code,
                    e.span,
                    format!("{what} must be a boolean, found `{}`", e.ty),
                )
                .with_label(format!("this is `{}`", e.ty)),
            );
        }
    }

    fn unary(&mut self, op: UnaryOp, operand: &Expr, span: Span) -> TExpr {
        let operand = self.expr(operand);
        let ty = match op {
            UnaryOp::Not => {
                self.expect_boolean(&operand, "the operand of `not`", "E0301");
                Type::Boolean
            }
            UnaryOp::Neg => match &operand.ty {
                Type::Integer | Type::Decimal | Type::Duration | Type::Null => operand.ty.clone(),
                other => {
                    self.error(
                        Diagnostic::new(
                            "E0301",
                            operand.span,
                            format!("cannot negate {}", a(other)),
                        )
                        .with_label(format!("this is `{other}`"))
                        .with_help("unary `-` applies to integers, decimals and durations"),
                    );
                    Type::Null
                }
            },
        };
        node(TKind::Unary(op, Box::new(operand)), ty, span)
    }

    fn binary(&mut self, op: BinaryOp, lhs: &Expr, rhs: &Expr, span: Span) -> TExpr {
        let l = self.expr(lhs);
        let r = self.expr(rhs);
        let ty = match op {
            BinaryOp::And | BinaryOp::Or => {
                let what = format!("the operands of `{}`", op.symbol());
                self.expect_boolean(&l, &what, "E0301");
                self.expect_boolean(&r, &what, "E0301");
                Type::Boolean
            }
            BinaryOp::Eq | BinaryOp::Ne => {
                let comparable =
                    l.ty.unify(&r.ty).is_some() || (l.ty.is_numeric() && r.ty.is_numeric());
                if !comparable {
                    let number_vs_string = |x: &TExpr, y: &TExpr| {
                        x.ty == Type::String
                            && matches!(y.kind, TKind::Const(Const::Integer(_) | Const::Decimal(_)))
                    };
                    let help = if number_vs_string(&l, &r) || number_vs_string(&r, &l) {
                        let number = if l.ty == Type::String { r.span } else { l.span };
                        format!("compare with the string \"{}\", or convert the field with `toInteger(…)`", self.text(number))
                    } else {
                        "`==` and `!=` compare values of the same type (integers and decimals may mix)".to_string()
                    };
                    self.mismatch("E0312", op, &l, &r, &help);
                }
                Type::Boolean
            }
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                self.ordering(op, &l, &r);
                Type::Boolean
            }
            BinaryOp::Add => self.addition(&l, &r),
            BinaryOp::Sub => self.subtraction(&l, &r),
            BinaryOp::Mul => self.multiplication(&l, &r),
            BinaryOp::Div | BinaryOp::Rem => self.numeric(op, &l, &r),
        };
        node(TKind::Binary(op, Box::new(l), Box::new(r)), ty, span)
    }

    /// Operands of types the operator does not take: the underline is on
    /// the operand that does not fit (the one that is not a number when the
    /// other is, else the right one), the other is labelled too.
    fn mismatch(&mut self, code: &'static str, op: BinaryOp, l: &TExpr, r: &TExpr, help: &str) {
        let fits = |t: &Type| t.is_numeric() || matches!(t, Type::Duration | Type::Null);
        let (bad, other) = if fits(&r.ty) && !fits(&l.ty) {
            (l, r)
        } else {
            (r, l)
        };
        self.error(
            Diagnostic::new(
                code,
                bad.span,
                format!(
                    "`{}` cannot be applied to `{}` and `{}`",
                    op.symbol(),
                    l.ty,
                    r.ty
                ),
            )
            .with_label(format!("this is `{}`", bad.ty))
            .with_note(other.span, format!("this is `{}`", other.ty))
            .with_help(help.to_string()),
        );
    }

    fn ordering(&mut self, op: BinaryOp, l: &TExpr, r: &TExpr) {
        let (lt, rt) = (&l.ty, &r.ty);
        let ok = match (lt, rt) {
            (Type::Null, t) | (t, Type::Null) => *t == Type::Null || t.is_ordered(),
            (a, b) if a.is_numeric() && b.is_numeric() => true,
            (a, b) => a == b && a.is_ordered(),
        };
        if ok {
            return;
        }
        if *lt == Type::String || *rt == Type::String {
            self.error(
                Diagnostic::new("E0302", l.span.to(r.span), format!("strings cannot be ordered with `{}`", op.symbol()))
                    .with_label(format!("`{lt}` {} `{rt}`", op.symbol()))
                    .with_help("compare strings with `==`/`!=`, or use `startWith`, `contain`, `equalIgnoreCase`"),
            );
        } else {
            self.mismatch(
                "E0302",
                op,
                l,
                r,
                "`<`, `<=`, `>`, `>=` compare numbers, or two values of the same date, time or duration type",
            );
        }
    }

    fn addition(&mut self, l: &TExpr, r: &TExpr) -> Type {
        let (lt, rt) = (&l.ty, &r.ty);
        if *lt == Type::String || *rt == Type::String {
            for side in [l, r] {
                if matches!(side.ty, Type::Object(_) | Type::Map(_)) {
                    self.error(
                        Diagnostic::new(
                            "E0313",
                            side.span,
                            format!("{} cannot be concatenated to a string", a(&side.ty)),
                        )
                        .with_label("objects have no text form")
                        .with_help("select a field of it, e.g. `@{Event.object.field}`"),
                    );
                }
            }
            return Type::String;
        }
        match (lt, rt) {
            (Type::DateTime, Type::Duration) => Type::DateTime,
            (Type::DateTimeOnly, Type::Duration) => Type::DateTimeOnly,
            (Type::Duration, Type::Duration) => Type::Duration,
            (Type::Null, Type::DateTime | Type::DateTimeOnly | Type::Duration) => rt.clone(),
            (Type::DateTime | Type::DateTimeOnly | Type::Duration, Type::Null) => lt.clone(),
            _ => self.numeric(BinaryOp::Add, l, r),
        }
    }

    fn subtraction(&mut self, l: &TExpr, r: &TExpr) -> Type {
        match (&l.ty, &r.ty) {
            (Type::DateTime, Type::Duration) => Type::DateTime,
            (Type::DateTimeOnly, Type::Duration) => Type::DateTimeOnly,
            (Type::Duration, Type::Duration) => Type::Duration,
            (Type::Null, t @ Type::Duration)
            | (t @ (Type::DateTime | Type::DateTimeOnly | Type::Duration), Type::Null) => t.clone(),
            _ => self.numeric(BinaryOp::Sub, l, r),
        }
    }

    fn multiplication(&mut self, l: &TExpr, r: &TExpr) -> Type {
        match (&l.ty, &r.ty) {
            (Type::Integer, Type::Decimal) | (Type::Decimal, Type::Integer) => {
                let fix = |e: &TExpr, src: &str| {
                    if e.ty == Type::Integer && matches!(e.kind, TKind::Const(Const::Integer(_))) {
                        format!("{}.0", e.span.text(src))
                    } else if e.ty == Type::Integer {
                        format!("toDecimal({})", e.span.text(src))
                    } else {
                        e.span.text(src).to_string()
                    }
                };
                let suggestion = format!("{} * {}", fix(l, self.src), fix(r, self.src));
                // The operands as written, left then right.
                let message = format!(
                    "`*` needs operands of the same type: `{}` * `{}`",
                    l.ty, r.ty
                );
                self.error(
                    Diagnostic::new("E0303", l.span.to(r.span), message)
                        .with_label("one integer, one decimal")
                        .with_help(format!(
                            "write `{suggestion}`, or convert with `toDecimal(…)`"
                        )),
                );
                Type::Decimal
            }
            _ => self.numeric(BinaryOp::Mul, l, r),
        }
    }

    /// `+ - * / %` on numbers: integer op integer → integer, else decimal.
    fn numeric(&mut self, op: BinaryOp, l: &TExpr, r: &TExpr) -> Type {
        match (&l.ty, &r.ty) {
            (Type::Integer, Type::Integer) => Type::Integer,
            (a, b) if a.is_numeric() && b.is_numeric() => Type::Decimal,
            (Type::Null, t) | (t, Type::Null) if t.is_numeric() || *t == Type::Null => t.clone(),
            _ => {
                let help = match op {
                    BinaryOp::Add => "`+` adds numbers, adds a duration to a date, or concatenates when one side is a string",
                    BinaryOp::Sub => "`-` subtracts numbers, or a duration from a date or duration",
                    _ => "arithmetic applies to integers and decimals",
                };
                self.mismatch("E0301", op, l, r, help);
                Type::Null
            }
        }
    }

    fn call(&mut self, call: &Call, span: Span) -> TExpr {
        let args: Vec<TExpr> = call.args.iter().map(|a| self.expr(a)).collect();
        let name = &call.name;
        if builtins::lookup(&name.text).is_some_and(|b| !b.pure) {
            self.reads = true;
        }
        let Some(builtin) = builtins::lookup(&name.text) else {
            let mut d = Diagnostic::new(
                "E0202",
                name.span,
                format!("unknown function `{}`", name.text),
            )
            .with_label("no function by this name");
            if let Some(s) = closest(&name.text, builtins::all().map(|b| b.name)) {
                d = d.with_help(format!(
                    "did you mean `{s}`? (function names are case sensitive)"
                ));
            }
            self.error(d);
            return poisoned(span);
        };
        let types: Vec<Type> = args.iter().map(|a| a.ty.clone()).collect();
        let mut chosen = None;
        for (i, overload) in builtin.overloads.iter().enumerate() {
            if overload.params.len() != types.len() {
                continue;
            }
            let mut bound = None;
            if overload
                .params
                .iter()
                .zip(&types)
                .all(|(p, t)| p.ty.accepts(t, &mut bound))
            {
                chosen = Some((i, overload.ret.result(&bound)));
                break;
            }
        }
        let Some((index, ret)) = chosen else {
            self.no_overload(builtin, &args, span);
            return poisoned(span);
        };
        let overload = &builtin.overloads[index];
        for (param, arg) in overload.params.iter().zip(&args) {
            if let Err(d) = constants::check_argument(param.check, arg, self.catalog) {
                self.error(d);
            }
        }
        // A list of objects keeps the element type it came with.
        let ret = match (ret, args.first()) {
            (Type::List(e), Some(first)) if matches!(*e, Type::Object(_)) => first.ty.clone(),
            (ret, _) => ret,
        };
        node(
            TKind::Call {
                builtin,
                overload: index,
                args,
            },
            ret,
            span,
        )
    }

    fn no_overload(&mut self, builtin: &Builtin, args: &[TExpr], span: Span) {
        let signatures: Vec<String> = builtin
            .overloads
            .iter()
            .map(|o| format!("{}", SignatureDisplay(builtin, o)))
            .collect();
        let arities: Vec<usize> = builtin.overloads.iter().map(|o| o.params.len()).collect();
        let given: Vec<String> = args.iter().map(|a| a.ty.to_string()).collect();
        let message = if arities.contains(&args.len()) {
            format!("`{}` does not take ({})", builtin.name, given.join(", "))
        } else {
            let mut counts: Vec<String> = arities.iter().map(|n| n.to_string()).collect();
            counts.dedup();
            format!(
                "`{}` takes {} argument{}, found {}",
                builtin.name,
                counts.join(" or "),
                if counts == ["1"] { "" } else { "s" },
                args.len()
            )
        };
        let label = if args.is_empty() {
            "called with no arguments".to_string()
        } else {
            format!("called with ({})", given.join(", "))
        };
        // With the right count, the argument no signature of that count
        // takes (the first one) is what to underline.
        let same_count: Vec<_> = builtin
            .overloads
            .iter()
            .filter(|o| o.params.len() == args.len())
            .collect();
        let offending = args.iter().enumerate().find(|(i, arg)| {
            !same_count.is_empty()
                && same_count.iter().all(|o| {
                    o.params
                        .get(*i)
                        .is_none_or(|p| !p.ty.accepts(&arg.ty, &mut None))
                })
        });
        let d = match offending {
            Some((i, arg)) => {
                let expected: Vec<String> = same_count
                    .iter()
                    .filter_map(|o| o.params.get(i).map(|p| p.ty.to_string()))
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect();
                Diagnostic::new("E0304", arg.span, message)
                    .with_label(format!(
                        "this is `{}`; argument {} must be {}",
                        arg.ty,
                        i + 1,
                        expected
                            .iter()
                            .map(|t| format!("`{t}`"))
                            .collect::<Vec<_>>()
                            .join(" or ")
                    ))
                    .with_note(span, label)
            }
            None => Diagnostic::new("E0304", span, message).with_label(label),
        };
        self.error(d.with_help(format!("accepted: {}", signatures.join("; "))));
    }

    // ---- field references ---------------------------------------------------

    fn field(&mut self, field: &FieldRef, span: Span) -> TExpr {
        self.reads = true;
        // Journey properties are built in: they need neither catalog nor data.
        let journey_property = field.origin == Origin::Event
            && matches!(field.path.first().map(|s| &s.kind), Some(StepKind::Field(n)) if n == "journey");
        if self.catalog.strictness == Strictness::NoData && !journey_property {
            self.error(
                Diagnostic::new(
                    "E0213",
                    span,
                    "a field reference needs a catalog or sample data",
                )
                .with_label("nothing says what this field is")
                .with_help(
                    "pass `--catalog FILE` (schemas) or `--context FILE` (sample events and data)",
                ),
            );
            return poisoned(span);
        }
        let Some((first, rest)) = field.path.split_first() else {
            return poisoned(span);
        };
        let StepKind::Field(root_name) = &first.kind else {
            return poisoned(span);
        };
        if let (Some(params), false) = (&field.params, field.origin == Origin::DataSource) {
            let at = params.first().map_or(span, |(name, _)| name.span);
            self.error(
                Diagnostic::new("E0216", at, "only a data source read takes `params`")
                    .with_label("not a data source read")
                    .with_help(
                        "remove `params`: they choose what a `#{Source.Group.…}` read fetches",
                    ),
            );
        }
        let resolved = match field.origin {
            Origin::Event if root_name == "journey" => self.journey(rest, span),
            Origin::Event => match self.catalog.events.get(root_name) {
                Some(t) => Some((Root::Event(root_name.clone()), t.clone(), rest)),
                None if self.catalog.data_sources.contains_key(root_name) => {
                    self.error(wrong_sigil(first.span, root_name, "a data source", "#{"));
                    None
                }
                None if self.catalog.actions.contains_key(root_name) => {
                    self.error(wrong_sigil(first.span, root_name, "an action", "@action{"));
                    None
                }
                None => {
                    let known = self.catalog.events.keys().map(String::as_str).collect();
                    let what = self.names_from();
                    self.unknown("E0201", first.span, "event", root_name, what, known);
                    None
                }
            },
            Origin::DataSource => self.data_source(first, rest, &field.params),
            Origin::Action => match self.catalog.actions.get(root_name) {
                Some(t) => Some((Root::Event(crate::action_key(root_name)), t.clone(), rest)),
                None if self.catalog.events.contains_key(root_name) => {
                    self.error(wrong_sigil(first.span, root_name, "an event", "@{"));
                    None
                }
                None => {
                    let known = self.catalog.actions.keys().map(String::as_str).collect();
                    let what = self.names_from();
                    self.unknown("E0215", first.span, "action", root_name, what, known);
                    None
                }
            },
        };
        let Some((root, root_ty, steps)) = resolved else {
            return poisoned(span);
        };
        let in_filter_scope = CurrentKind::from_origin(field.origin);
        let (steps, ty) = self.steps(root_ty, steps, in_filter_scope);
        let default = field.default.as_ref().map(|d| Box::new(self.expr(d)));
        let ty = match &default {
            Some(d) => self.default_type(ty, d),
            None => ty,
        };
        node(
            TKind::Field {
                root,
                steps,
                default,
            },
            ty,
            span,
        )
    }

    /// Where names come from, for "unknown …" messages.
    fn names_from(&self) -> &'static str {
        if self.catalog.strictness == Strictness::Inferred {
            "in the context"
        } else {
            "in the catalog"
        }
    }

    fn default_type(&mut self, field_ty: Type, default: &TExpr) -> Type {
        if field_ty == Type::Null {
            return default.ty.clone();
        }
        if default.ty == Type::Null
            || default.ty.fits(&field_ty) && default.ty.is_scalar() == field_ty.is_scalar()
        {
            return field_ty;
        }
        let mut d = Diagnostic::new(
            "E0308",
            default.span,
            format!(
                "`defaultValue` must be a `{field_ty}` like the field, found `{}`",
                default.ty
            ),
        )
        .with_label(format!("this is `{}`", default.ty));
        if field_ty == Type::Decimal && default.ty == Type::Integer {
            if let TKind::Const(Const::Integer(_)) = default.kind {
                d = d.with_help(format!("write `{}.0`", self.text(default.span)));
            } else {
                d = d.with_help("convert it with `toDecimal(…)`");
            }
        }
        self.error(d);
        field_ty
    }

    fn journey<'s>(&mut self, rest: &'s [Step], span: Span) -> Option<(Root, Type, &'s [Step])> {
        let Some((prop, after)) = rest.split_first() else {
            self.error(
                Diagnostic::new("E0206", span, "`@{journey}` needs a property name")
                    .with_help("write e.g. `@{journey.journeyUID}`"),
            );
            return None;
        };
        let StepKind::Field(name) = &prop.kind else {
            self.error(Diagnostic::new(
                "E0206",
                prop.span,
                "expected a journey property name",
            ));
            return None;
        };
        let Some((_, ty)) = JOURNEY_PROPERTIES.iter().find(|(n, _)| n == name) else {
            self.unknown(
                "E0206",
                prop.span,
                "journey property",
                name,
                "",
                JOURNEY_PROPERTIES.iter().map(|(n, _)| *n).collect(),
            );
            return None;
        };
        if let Some(extra) = after.first() {
            self.error(
                Diagnostic::new(
                    "E0207",
                    extra.span,
                    format!("`journey.{name}` is a `{ty}`; it has no fields"),
                )
                .with_label("nothing to select here"),
            );
            return None;
        }
        Some((Root::Journey(name.clone()), ty.clone(), after))
    }

    fn data_source<'s>(
        &mut self,
        first: &Step,
        rest: &'s [Step],
        params: &Option<Vec<(Name, Expr)>>,
    ) -> Option<(Root, Type, &'s [Step])> {
        let StepKind::Field(source) = &first.kind else {
            return None;
        };
        let Some(groups) = self.catalog.data_sources.get(source) else {
            if self.catalog.events.contains_key(source) {
                self.error(wrong_sigil(first.span, source, "an event", "@{"));
                return None;
            }
            let keys = self
                .catalog
                .data_sources
                .keys()
                .map(String::as_str)
                .collect();
            self.unknown("E0203", first.span, "data source", source, "", keys);
            return None;
        };
        let Some((group_step, after)) = rest.split_first() else {
            self.error(
                Diagnostic::new(
                    "E0204",
                    first.span,
                    format!("`#{{{source}}}` needs a field group"),
                )
                .with_label("expected `.FieldGroup` after the data source")
                .with_help(format!("write `#{{{source}.FieldGroup.field}}`")),
            );
            return None;
        };
        let StepKind::Field(group) = &group_step.kind else {
            self.error(Diagnostic::new(
                "E0204",
                group_step.span,
                "expected a field group name",
            ));
            return None;
        };
        let Some(group_ty) = groups.get(group) else {
            let what = format!("of data source `{source}`");
            let keys = groups.keys().map(String::as_str).collect();
            self.unknown("E0204", group_step.span, "field group", group, &what, keys);
            return None;
        };
        let group_ty = group_ty.clone();
        let params = params
            .iter()
            .flatten()
            .map(|(name, value)| (name.text.clone(), self.expr(value)))
            .collect();
        Some((
            Root::DataSource {
                source: source.clone(),
                group: group.clone(),
                params,
            },
            group_ty,
            after,
        ))
    }

    fn unknown(
        &mut self,
        code: &'static str,
        span: Span,
        what: &str,
        name: &str,
        context: &str,
        known: Vec<&str>,
    ) {
        let suffix = if context.is_empty() {
            String::new()
        } else {
            format!(" {context}")
        };
        let mut d = Diagnostic::new(code, span, format!("unknown {what} `{name}`{suffix}"))
            .with_label(format!("no {what} by this name"));
        if let Some(s) = closest(name, known.iter().copied()) {
            d = d.with_help(format!("did you mean `{s}`?"));
        } else {
            let mut names: Vec<&str> = known.into_iter().take(8).collect();
            names.sort_unstable();
            if !names.is_empty() {
                d = d.with_help(format!("known: {}", names.join(", ")));
            }
        }
        self.error(d);
    }

    fn current(&mut self, current: &CurrentRef, span: Span) -> TExpr {
        self.reads = true;
        let Some(scope) = self.scopes.last() else {
            self.error(
                Diagnostic::new("E0210", span, format!("`{}` is only defined inside a filter", current.kind.keyword()))
                    .with_label("not inside `all(…)`, `first(…)` or `last(…)`")
                    .with_help("use it in a condition such as `@{Event.items.all(currentEventField.price > 10)}`"),
            );
            return poisoned(span);
        };
        if scope.keyword != current.kind {
            let (right, source) = match scope.keyword {
                CurrentKind::EventField => ("currentEventField", "an event"),
                CurrentKind::DataPackField => ("currentDataPackField", "a data source"),
            };
            let keyword_span = Span::new(
                span.start as usize,
                span.start as usize + current.kind.keyword().len(),
            );
            self.error(
                Diagnostic::new(
                    "E0211",
                    keyword_span,
                    format!("this collection comes from {source}: use `{right}`"),
                )
                .with_label(match current.kind {
                    CurrentKind::EventField => "`currentEventField` refers to event collections",
                    CurrentKind::DataPackField => {
                        "`currentDataPackField` refers to data-source collections"
                    }
                })
                .with_help(format!("write `{right}`")),
            );
            return poisoned(span);
        }
        let elem = scope.elem.clone();
        let keyword = scope.keyword;
        let (steps, ty) = self.steps(elem, &current.path, keyword);
        node(
            TKind::Field {
                root: Root::Current,
                steps,
                default: None,
            },
            ty,
            span,
        )
    }

    /// Types a path from `ty`, step by step; projection maps over lists.
    fn steps(&mut self, mut ty: Type, steps: &[Step], keyword: CurrentKind) -> (Vec<TStep>, Type) {
        let mut out = Vec::with_capacity(steps.len());
        for step in steps {
            let (typed, next) = self.step(&ty, step, keyword);
            out.push(typed);
            match next {
                Some(t) => ty = t,
                None => return (out, Type::Null),
            }
        }
        (out, ty)
    }

    fn step(&mut self, ty: &Type, step: &Step, keyword: CurrentKind) -> (TStep, Option<Type>) {
        match &step.kind {
            StepKind::Field(name) => (
                TStep::Field(name.clone()),
                self.field_step(ty, name, step.span),
            ),
            StepKind::Filter(kind, cond) => {
                let elem = match ty {
                    Type::List(e) => Some((**e).clone()),
                    Type::Null => Some(Type::Null),
                    other => {
                        self.error(
                            Diagnostic::new(
                                "E0208",
                                step.span,
                                format!("`{}(…)` needs a list, found `{other}`", kind.keyword()),
                            )
                            .with_label("not a collection"),
                        );
                        None
                    }
                };
                let Some(elem) = elem else {
                    return (TStep::Filter(*kind, None), None);
                };
                self.scopes.push(Scope {
                    keyword,
                    elem: elem.clone(),
                });
                let cond = cond.as_ref().map(|c| self.expr(c));
                self.scopes.pop();
                if let Some(c) = &cond {
                    self.expect_boolean(c, "a filter condition", "E0307");
                }
                let result = match kind {
                    FilterKind::All => ty.clone(),
                    FilterKind::First | FilterKind::Last => elem,
                };
                (TStep::Filter(*kind, cond), Some(result))
            }
            StepKind::At(index) => {
                let index = self.expr(index);
                if !matches!(index.ty, Type::Integer | Type::Null) {
                    self.error(
                        Diagnostic::new(
                            "E0306",
                            index.span,
                            format!("`at(…)` takes an integer index, found `{}`", index.ty),
                        )
                        .with_label(format!("this is `{}`", index.ty)),
                    );
                }
                let elem = match ty {
                    Type::List(e) => Some((**e).clone()),
                    Type::Null => Some(Type::Null),
                    other => {
                        self.error(
                            Diagnostic::new(
                                "E0208",
                                step.span,
                                format!("`at(…)` needs a list, found `{other}`"),
                            )
                            .with_label("not a collection"),
                        );
                        None
                    }
                };
                (TStep::At(index), elem)
            }
            StepKind::Entry(key) => {
                let t = self.map_step(ty, step.span, "entry", |v| v.clone());
                (TStep::Entry(key.clone()), t)
            }
            StepKind::FirstEntryKey => (
                TStep::FirstEntryKey,
                self.map_step(ty, step.span, "firstEntryKey", |_| Type::String),
            ),
            StepKind::Keys => (
                TStep::Keys,
                self.map_step(ty, step.span, "keys", |_| Type::list(Type::String)),
            ),
        }
    }

    fn map_step(
        &mut self,
        ty: &Type,
        span: Span,
        name: &str,
        result: impl Fn(&Type) -> Type,
    ) -> Option<Type> {
        match ty {
            Type::Map(v) => Some(result(v)),
            Type::Null => Some(result(&Type::Null)),
            // Inferred from data, a map is just an object whose keys we saw.
            Type::Object(fields) if self.catalog.strictness == Strictness::Inferred => {
                let mut value = Type::Null;
                for t in fields.values() {
                    value = value.unify(t).unwrap_or(value);
                }
                Some(result(&value))
            }
            other => {
                self.error(
                    Diagnostic::new(
                        "E0209",
                        span,
                        format!("`{name}(…)` needs a map, found `{other}`"),
                    )
                    .with_label("not a map")
                    .with_help("maps are objects with free keys, such as `identityMap`"),
                );
                None
            }
        }
    }

    fn field_step(&mut self, ty: &Type, name: &str, span: Span) -> Option<Type> {
        match ty {
            Type::Null => Some(Type::Null),
            Type::Object(fields) => match fields.get(name) {
                Some(t) => Some(t.clone()),
                None if self.catalog.strictness == Strictness::Inferred => {
                    // Typed from sample data: a name the sample lacks reads
                    // null, which is right for an optional field and silently
                    // wrong for a typo. Say so, with the sample's names.
                    let mut d = Diagnostic::warning(
                        "W0201",
                        span,
                        format!("`{name}` is not in the sample data"),
                    )
                    .with_label("no such key in the sample: this reads as null");
                    d = match closest(name, fields.keys().map(String::as_str)) {
                        Some(s) => d.with_help(format!("did you mean `{}`?", field_step(s))),
                        None => d.with_help(
                            "if the field is optional, this is fine; a catalog (`--catalog`) makes unknown fields errors",
                        ),
                    };
                    self.warnings.push(d);
                    Some(Type::Null)
                }
                None => {
                    let mut d = Diagnostic::new("E0205", span, format!("unknown field `{name}`"))
                        .with_label("no field by this name here");
                    if let Some(s) = closest(name, fields.keys().map(String::as_str)) {
                        d = d.with_help(format!("did you mean `{}`?", field_step(s)));
                    } else if !fields.is_empty() {
                        let names: Vec<String> =
                            fields.keys().map(|k| field_step(k)).take(10).collect();
                        let more = if fields.len() > names.len() {
                            ", …"
                        } else {
                            ""
                        };
                        d = d.with_help(format!("fields here: {}{more}", names.join(", ")));
                    }
                    self.error(d);
                    None
                }
            },
            // Projection: a field of each element, flattened one level.
            Type::List(elem) => {
                let t = self.field_step(elem, name, span)?;
                Some(match t {
                    Type::List(inner) => Type::List(inner),
                    other => Type::list(other),
                })
            }
            Type::Map(_) => {
                self.error(
                    Diagnostic::new(
                        "E0209",
                        span,
                        format!("`{name}` is read from a map with `entry('{name}')`"),
                    )
                    .with_label("this is a map, not an object")
                    .with_help(format!("write `.entry('{name}')`")),
                );
                None
            }
            other => {
                self.error(
                    Diagnostic::new("E0207", span, format!("{} has no field `{name}`", a(other)))
                        .with_label("the path ends before this step"),
                );
                None
            }
        }
    }
}

impl CurrentKind {
    fn from_origin(origin: Origin) -> CurrentKind {
        match origin {
            Origin::Event => CurrentKind::EventField,
            Origin::DataSource => CurrentKind::DataPackField,
            Origin::Action => CurrentKind::EventField,
        }
    }
}

/// Checks that a typed expression has the type a use requires (`--expect`).
pub fn expect_type(ty: &Type, span: Span, expected: &Type) -> Result<(), Diagnostic> {
    if ty == expected || *ty == Type::Null {
        return Ok(());
    }
    let mut d = Diagnostic::new(
        "E0309",
        span,
        format!("expected a `{expected}` expression, found `{ty}`"),
    )
    .with_label(format!("this is `{ty}`"));
    if *expected == Type::Boolean {
        d = d.with_help("a condition must be true or false: compare the value, e.g. `… == \"x\"` or `… is not null`");
    }
    Err(d)
}

/// `@{ExperiencePlatform.…}` for a data source, `#{OrderEvent.…}` for an
/// event: the name is right, the sigil is not.
fn wrong_sigil(span: Span, name: &str, what: &str, sigil: &str) -> Diagnostic {
    let example = match sigil {
        "#{" => format!("#{{{name}.FieldGroup.field}}"),
        "@action{" => format!("@action{{{name}.field}}"),
        _ => format!("@{{{name}.field}}"),
    };
    Diagnostic::new(
        "E0214",
        span,
        format!("`{name}` is {what}: write `{sigil}…}}`"),
    )
    .with_label(format!("{what}, read with `{sigil}`"))
    .with_help(format!(
        "`@{{…}}` reads an event, `#{{…}}` a data source, `@action{{…}}` an action's response: `{example}`"
    ))
}
