//! The compiler: typed AST → [`Program`]. Constants are folded through the
//! same operators and builtin implementations the VM uses; `and`/`or`/`if`
//! become jumps; field names, regexes and zone ids are resolved once.

use crate::builtins::{Check, Nulls};
use crate::catalog::Catalog;
use crate::checker::{self, Const, Root, TExpr, TKind, TStep};
use crate::diagnostic::Diagnostics;
use crate::program::{
    BinOp, Callee, Constant, FieldName, Instruction, Instructions, Path, PathRoot, Program,
    SourceRead,
};
use crate::span::Span;
use crate::syntax::{self, ast::BinaryOp, ast::UnaryOp};
use crate::temporal;
use crate::types::Type;
use crate::value::ops;
use crate::value::Value;
use crate::{big_stack, Type as T};
use std::sync::Arc;

/// Compiles expression text against a catalog.
///
/// ```
/// let catalog = jexpr::Catalog::no_data();
/// let program = jexpr::Compiler::new(&catalog).compile("1 + 2 * 3").unwrap();
/// let ctx = jexpr::Context::default();
/// assert_eq!(program.eval(&ctx).unwrap().display(), "7");
/// ```
pub struct Compiler<'c> {
    catalog: &'c Catalog,
    fold: bool,
}

impl<'c> Compiler<'c> {
    /// A compiler for expressions over `catalog`.
    pub fn new(catalog: &'c Catalog) -> Compiler<'c> {
        Compiler {
            catalog,
            fold: true,
        }
    }

    /// Turns constant folding on (the default) or off; results never differ.
    pub fn fold_constants(mut self, fold: bool) -> Compiler<'c> {
        self.fold = fold;
        self
    }

    /// Compiles `src` against the catalog: every problem, or the program.
    pub fn compile(&self, src: &str) -> Result<Program, Diagnostics> {
        let ast = syntax::parse(src)?;
        let compiled = big_stack::run_with_depth(ast.depth(), || {
            let typed = checker::check(&ast, src, self.catalog)?;
            Ok(self.compile_typed(&typed, src))
        });
        compiled
            .unwrap_or_else(|| Err(vec![big_stack::too_deep("compile")]))
            .map_err(Diagnostics::from)
    }

    /// Compiles an already checked expression.
    pub fn compile_typed(&self, typed: &TExpr, src: &str) -> Program {
        let mut emitter = Emitter {
            fold: self.fold,
            fold_budget: crate::vm::context::DEFAULT_FUEL,
            name_index: std::collections::HashMap::new(),
            barrier: 0,
            program: Program {
                code: Instructions::default(),
                constants: Vec::new(),
                names: Vec::new(),
                paths: Vec::new(),
                comparisons: Vec::new(),
                predicates: Vec::new(),
                events: Vec::new(),
                selections: Vec::new(),
                leaf_plans: Vec::new(),
                sources: Vec::new(),
                journey: Vec::new(),
                types: Vec::new(),
                callees: Vec::new(),
                ty: typed.ty.clone(),
                source_text: Arc::from(src),
                max_stack: 0,
                register_only: false,
                register_filters: Vec::new(),
                register_counts: Vec::new(),
                count_stream: None,
            },
        };
        emitter.expr(typed);
        let mut program = emitter.program;
        program.max_stack = program.stack_bound();
        program.register_only = program.fits_register();
        program.register_filters = program.find_register_filters();
        program.register_counts = program.find_register_counts();
        program.count_stream = program.find_count_stream();
        program.selections = (0..program.events.len())
            .map(|e| program.compute_selection(e))
            .collect();
        program.leaf_plans = (0..program.events.len())
            .map(|e| program.compute_leaf_plan(e))
            .collect();
        program
    }
}

mod fold;
mod fuse;

struct Emitter {
    fold: bool,
    /// Work constant folding may still do, in fuel units: folding a hostile
    /// program must not cost more than evaluating it would be allowed to.
    fold_budget: u64,
    /// Field name → index in `program.names`.
    name_index: std::collections::HashMap<String, u32>,
    program: Program,
    /// No instruction before this position may be folded away: a jump lands
    /// here, so the code before it is not a straight line.
    barrier: usize,
}

fn intern<T: PartialEq>(table: &mut Vec<T>, item: T) -> u32 {
    let index = table.iter().position(|x| *x == item).unwrap_or_else(|| {
        table.push(item);
        table.len() - 1
    });
    u32::try_from(index).unwrap_or(u32::MAX)
}

impl Emitter {
    fn pc(&self) -> u32 {
        u32::try_from(self.program.code.len()).unwrap_or(u32::MAX)
    }

    fn push(&mut self, ins: Instruction, span: Span) {
        self.program.code.push(ins, span);
    }

    fn patch(&mut self, at: u32, ins: Instruction) {
        self.program.code.patch(at as usize, ins);
    }

    /// Marks the current position as a jump target.
    fn land(&mut self) -> u32 {
        self.barrier = self.program.code.len();
        self.pc()
    }

    fn constant(&mut self, c: Constant, span: Span) {
        let k = u32::try_from(self.program.constants.len()).unwrap_or(u32::MAX);
        self.program.constants.push(c);
        self.push(Instruction::Const(k), span);
    }

    fn name(&mut self, name: &str) -> u32 {
        // Hashed: a program may name many fields (linear search was
        // quadratic over 100,000 of them).
        if let Some(i) = self.name_index.get(name) {
            return *i;
        }
        self.program.names.push(FieldName {
            name: Arc::from(name),
            xdm: Arc::from(format!("xdm:{name}")),
        });
        let index = u32::try_from(self.program.names.len() - 1).unwrap_or(u32::MAX);
        self.name_index.insert(name.to_string(), index);
        index
    }

    fn type_index(&mut self, t: &Type) -> u32 {
        intern(&mut self.program.types, t.clone())
    }

    fn expr(&mut self, e: &TExpr) {
        let span = e.span;
        match &e.kind {
            TKind::Const(c) => self.constant(constant_of(c), span),
            TKind::List(items) => {
                for item in items {
                    self.expr(item);
                }
                let n = items.len();
                if !self.try_fold(n, span, |values| Ok(Value::List(values))) {
                    self.push(
                        Instruction::MakeList(u32::try_from(n).unwrap_or(u32::MAX)),
                        span,
                    );
                }
            }
            TKind::Field {
                root,
                steps,
                default,
            } => self.field(root, steps, default.as_deref(), &e.ty, span),
            TKind::Call {
                builtin,
                overload,
                args,
            } => {
                let params = builtin
                    .overloads
                    .get(*overload)
                    .map_or(&[][..], |o| o.params);
                for (i, arg) in args.iter().enumerate() {
                    let check = params.get(i).map_or(Check::None, |p| p.check);
                    self.argument(arg, check);
                }
                let callee = Callee {
                    builtin,
                    overload: *overload,
                };
                let folded = builtin.pure
                    && self.try_fold(args.len(), span, |mut values| {
                        if builtin.nulls == Nulls::Propagate && values.iter().any(Value::is_null) {
                            return Ok(Value::Null);
                        }
                        let imp = callee
                            .builtin
                            .overloads
                            .get(callee.overload)
                            .map(|o| o.imp)
                            .ok_or("no overload")?;
                        crate::builtins::with_pure_env(|env| imp(&mut values, env))
                            .and_then(ops::checked_result)
                    });
                if !folded && !self.fuse_predicate(callee, span) {
                    let index = self.program.callees.len();
                    self.program.callees.push(callee);
                    let argc = u8::try_from(args.len()).unwrap_or(u8::MAX);
                    self.push(
                        Instruction::Call(u32::try_from(index).unwrap_or(u32::MAX), argc),
                        span,
                    );
                }
            }
            TKind::Unary(op, operand) => {
                self.expr(operand);
                let folded = self.try_fold(1, span, |mut v| {
                    let v = v.pop().unwrap_or_default();
                    match op {
                        UnaryOp::Not => Ok(ops::not(&v)),
                        UnaryOp::Neg => ops::negate(v),
                    }
                });
                if !folded {
                    self.push(
                        if *op == UnaryOp::Not {
                            Instruction::Not
                        } else {
                            Instruction::Neg
                        },
                        span,
                    );
                }
            }
            TKind::Binary(BinaryOp::And, l, r) => self.logical(true, l, r, span),
            TKind::Binary(BinaryOp::Or, l, r) => self.logical(false, l, r, span),
            TKind::Binary(op, l, r) => {
                self.expr(l);
                self.expr(r);
                let op = binop(*op, &l.ty, &r.ty);
                if self.fuse_comparison(op, span) {
                    return;
                }
                let folded = self.try_fold(2, span, |mut v| {
                    let r = v.pop().unwrap_or_default();
                    let l = v.pop().unwrap_or_default();
                    ops::binary(op, l, r)
                });
                if !folded {
                    self.push(Instruction::Binary(op), span);
                }
            }
            TKind::Test(op, operand) => {
                self.expr(operand);
                if !self.try_fold(1, span, |v| {
                    Ok(ops::test(*op, v.first().unwrap_or(&Value::Null)))
                }) {
                    self.push(Instruction::Test(*op), span);
                }
            }
            TKind::If(parts) => self.conditional(parts, &e.ty, span),
        }
    }

    fn argument(&mut self, arg: &TExpr, check: Check) {
        let text = match &arg.kind {
            TKind::Const(Const::String(s)) => Some(s.clone()),
            _ => None,
        };
        match (check, text) {
            (Check::Regex, Some(pattern)) => match crate::builtins::compile_regex(&pattern) {
                Ok(re) => self.constant(Constant::Regex(re), arg.span),
                Err(_) => self.expr(arg),
            },
            (Check::Zone | Check::ConstZone, Some(zone)) => match temporal::parse_zone(&zone) {
                Some(z) => self.constant(Constant::Zone(z), arg.span),
                None => self.expr(arg),
            },
            _ => self.expr(arg),
        }
    }

    /// `and` (`is_and`) / `or` with short-circuit jumps; a null operand counts as false.
    fn logical(&mut self, is_and: bool, l: &TExpr, r: &TExpr, span: Span) {
        self.expr(l);
        if let Some(consts) = self.trailing_constants(1) {
            let left = consts.first().is_some_and(|c| c.to_value().truthy());
            self.program.code.pop_n(1);
            if left != is_and {
                // `false and …` / `true or …`: the right side is never evaluated.
                self.constant(Constant::Bool(left), span);
                return;
            }
            self.expr(r);
            if !self.try_fold(1, span, |v| {
                Ok(Value::Bool(v.first().is_some_and(Value::truthy)))
            }) {
                self.push(Instruction::ToBool, span);
            }
            return;
        }
        let jump = self.pc();
        self.push(Instruction::Jump(0), span);
        self.expr(r);
        self.push(Instruction::ToBool, span);
        let end = self.pc();
        self.patch(
            jump,
            if is_and {
                Instruction::AndJump(end)
            } else {
                Instruction::OrJump(end)
            },
        );
    }

    fn conditional(&mut self, parts: &[TExpr; 3], ty: &Type, span: Span) {
        let [cond, then, other] = parts;
        self.expr(cond);
        if let Some(consts) = self.trailing_constants(1) {
            let taken = if consts.first().is_some_and(|c| c.to_value().truthy()) {
                then
            } else {
                other
            };
            self.program.code.pop_n(1);
            self.branch(taken, ty);
            return;
        }
        let to_else = self.pc();
        self.push(Instruction::JumpUnlessTrue(0), span);
        self.branch(then, ty);
        let to_end = self.pc();
        self.push(Instruction::Jump(0), span);
        let else_at = self.land();
        self.branch(other, ty);
        let end = self.land();
        self.patch(to_else, Instruction::JumpUnlessTrue(else_at));
        self.patch(to_end, Instruction::Jump(end));
    }

    /// A branch of `if`; an integer branch of a decimal `if` is widened.
    fn branch(&mut self, e: &TExpr, ty: &Type) {
        self.expr(e);
        if *ty == T::Decimal && e.ty == T::Integer {
            let t = self.type_index(ty);
            if !self.try_fold(1, e.span, |mut v| {
                ops::coerce(v.pop().unwrap_or_default(), &T::Decimal)
            }) {
                self.push(Instruction::Coerce(t), e.span);
            }
        }
    }

    /// A path of plain field steps from an event, journey property or filter
    /// element is one fused `Load`.
    fn fused_path(&mut self, root: &Root, steps: &[TStep], ty: &Type) -> Option<Instruction> {
        let root = match root {
            Root::Event(name) => {
                PathRoot::Event(intern(&mut self.program.events, Arc::from(name.as_str())))
            }
            Root::Journey(name) => {
                PathRoot::Journey(intern(&mut self.program.journey, Arc::from(name.as_str())))
            }
            Root::Current => PathRoot::Current,
            Root::DataSource { .. } => return None,
        };
        let names = steps
            .iter()
            .map(|s| match s {
                TStep::Field(name) => Some(self.name(name)),
                _ => None,
            })
            .collect::<Option<Box<[u32]>>>()?;
        let ty = self.type_index(ty);
        let p = u32::try_from(self.program.paths.len()).unwrap_or(u32::MAX);
        self.program.paths.push(Path { root, names, ty });
        Some(Instruction::Load(p))
    }

    fn field(
        &mut self,
        root: &Root,
        steps: &[TStep],
        default: Option<&TExpr>,
        ty: &Type,
        span: Span,
    ) {
        if let Some(load) = self.fused_path(root, steps, ty) {
            self.push(load, span);
            self.default_value(default, span);
            return;
        }
        match root {
            Root::Event(name) => {
                let e = intern(&mut self.program.events, Arc::from(name.as_str()));
                self.push(Instruction::Event(e), span);
            }
            Root::Journey(name) => {
                let p = intern(&mut self.program.journey, Arc::from(name.as_str()));
                self.push(Instruction::Journey(p), span);
            }
            Root::Current => self.push(Instruction::Current, span),
            Root::DataSource {
                source,
                group,
                params,
            } => {
                for (_, value) in params {
                    self.expr(value);
                }
                let read = SourceRead {
                    source: Arc::from(source.as_str()),
                    group: Arc::from(group.as_str()),
                    params: params.iter().map(|(n, _)| Arc::from(n.as_str())).collect(),
                };
                let s = u32::try_from(self.program.sources.len()).unwrap_or(u32::MAX);
                self.program.sources.push(read);
                self.push(Instruction::Source(s), span);
            }
        }
        for step in steps {
            match step {
                TStep::Field(name) => {
                    let n = self.name(name);
                    self.push(Instruction::Field(n), span);
                }
                TStep::Filter(kind, cond) => {
                    let at = self.pc();
                    self.push(Instruction::Filter(*kind, 0), span);
                    if let Some(cond) = cond {
                        self.expr(cond);
                        self.push(Instruction::EndFilter, cond.span);
                    }
                    let len = self.land() - at - 1;
                    self.patch(at, Instruction::Filter(*kind, len));
                }
                TStep::At(index) => {
                    self.expr(index);
                    self.push(Instruction::At, span);
                }
                TStep::Entry(key) => {
                    let n = self.name(key);
                    self.push(Instruction::Entry(n), span);
                }
                TStep::FirstEntryKey => self.push(Instruction::FirstEntryKey, span),
                TStep::Keys => self.push(Instruction::Keys, span),
            }
        }
        let t = self.type_index(ty);
        self.push(Instruction::Coerce(t), span);
        self.default_value(default, span);
    }

    fn default_value(&mut self, default: Option<&TExpr>, span: Span) {
        if let Some(default) = default {
            let at = self.pc();
            self.push(Instruction::DefaultUnlessNull(0), span);
            self.expr(default);
            let end = self.land();
            self.patch(at, Instruction::DefaultUnlessNull(end));
        }
    }
}

fn binop(op: BinaryOp, l: &Type, r: &Type) -> BinOp {
    match op {
        BinaryOp::Add if *l == T::String || *r == T::String => BinOp::Concat,
        BinaryOp::Add => BinOp::Add,
        BinaryOp::Sub => BinOp::Sub,
        BinaryOp::Mul => BinOp::Mul,
        BinaryOp::Div => BinOp::Div,
        BinaryOp::Rem => BinOp::Rem,
        BinaryOp::Eq => BinOp::Eq,
        BinaryOp::Ne => BinOp::Ne,
        BinaryOp::Lt => BinOp::Lt,
        BinaryOp::Le => BinOp::Le,
        BinaryOp::Gt => BinOp::Gt,
        BinaryOp::Ge => BinOp::Ge,
        // `and`/`or` compile to jumps (`Emitter::logical`) and never get here.
        BinaryOp::And | BinaryOp::Or => BinOp::Eq,
    }
}

fn constant_of(c: &Const) -> Constant {
    match c {
        Const::Null => Constant::Null,
        Const::Bool(b) => Constant::Bool(*b),
        Const::Integer(i) => Constant::Int(*i),
        Const::Decimal(d) => Constant::Dec(*d),
        Const::String(s) => Constant::Str(s.clone()),
        Const::DateOnly(d) => Constant::DateOnly(*d),
        Const::DateTimeOnly(d) => Constant::DateTimeOnly(*d),
        Const::DateTime(d) => Constant::DateTime(*d),
    }
}
