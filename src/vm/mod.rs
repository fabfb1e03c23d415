//! The VM: runs a [`Program`] against a [`Context`].

pub mod context;
mod operand_stack;
mod register;

use crate::builtins::{Env, Nulls};
use crate::program::raw::Raw;
use crate::program::selective;
use crate::program::{Constant, Instruction, PathRoot, Program};
use crate::span::Span;
use crate::syntax::ast::FilterKind;
use crate::types::Type;
use crate::value::ops;
use crate::value::Value;
pub use context::{Context, DataSource};
use operand_stack::Stack;
use serde_json::Value as Json;
use std::cell::Cell;
use std::fmt;

/// An evaluation error, located at the sub-expression that failed (section 7).
#[derive(Clone, Debug, PartialEq)]
pub struct EvalError {
    /// What kind of failure this is (what a journey's `onError` reports).
    pub kind: EvalErrorKind,
    /// One line saying what failed.
    pub message: String,
    /// The sub-expression that failed.
    pub span: Span,
}

/// The kinds of evaluation failure, for programs that react to them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EvalErrorKind {
    /// Event or data-source data does not match its schema, or is not JSON.
    InvalidData,
    /// A data source failed to fetch.
    DataSource,
    /// Overflow, division by zero, a date out of range.
    Arithmetic,
    /// A function refused its arguments (`toInteger("x")`, a bad pattern).
    Function,
    /// The work limit (fuel) was reached.
    WorkLimit,
    /// A fault in jexpr itself; please report it.
    Internal,
}

impl EvalErrorKind {
    /// A stable code, like the compile errors' (`E0501` … `E0599`).
    pub fn code(self) -> &'static str {
        match self {
            EvalErrorKind::InvalidData => "E0501",
            EvalErrorKind::DataSource => "E0502",
            EvalErrorKind::Arithmetic => "E0503",
            EvalErrorKind::Function => "E0504",
            EvalErrorKind::WorkLimit => "E0505",
            EvalErrorKind::Internal => "E0599",
        }
    }

    /// A stable name (`invalidData`, `dataSource`, …) for traces and JSON.
    pub fn name(self) -> &'static str {
        match self {
            EvalErrorKind::InvalidData => "invalidData",
            EvalErrorKind::DataSource => "dataSource",
            EvalErrorKind::Arithmetic => "arithmetic",
            EvalErrorKind::Function => "function",
            EvalErrorKind::WorkLimit => "workLimit",
            EvalErrorKind::Internal => "internal",
        }
    }
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (at {}..{})",
            self.message, self.span.start, self.span.end
        )
    }
}

impl std::error::Error for EvalError {}

impl Program {
    /// What this program reads of event `name`: only its fused field paths,
    /// or everything when it accesses the event any other way.
    pub fn selection(&self, name: &str) -> Option<&selective::Selection> {
        let e = self.events.iter().position(|n| &**n == name)?;
        self.selections.get(e)
    }

    /// Parses the JSON payload of event `name`, keeping only what this
    /// program reads: the rest is skipped without being built.
    ///
    /// ```
    /// let context = serde_json::json!({"events": {"E": {"a": 1}}});
    /// let catalog = jexpr::Catalog::infer(&context);
    /// let program = jexpr::Compiler::new(&catalog).compile("@{E.a} == 1").unwrap();
    /// let event = program.read_event("E", br#"{"a": 1, "big": [1, 2, 3]}"#).unwrap();
    /// assert_eq!(event, serde_json::json!({"a": 1}));
    /// ```
    pub fn read_event(
        &self,
        name: &str,
        bytes: &[u8],
    ) -> Result<serde_json::Value, serde_json::Error> {
        match self.selection(name) {
            Some(selection) => selective::read(selection, bytes),
            // The program does not read this event: only check the bytes are JSON.
            None => selective::read(&selective::Selection::nothing(), bytes),
        }
    }

    /// Evaluates the program with event `name`'s payload given as JSON bytes
    /// (replacing any event of that name in `ctx`), and returns the value in
    /// CLI.md's JSON encoding (a condition gives a JSON boolean or null). A
    /// condition made of comparisons reads just its leaves from the bytes,
    /// building no JSON tree; anything else reads the fields it needs
    /// (`read_event`) and runs as usual. Invalid JSON is an evaluation error.
    pub fn eval_event_bytes(
        &self,
        ctx: &Context<'_>,
        name: &str,
        bytes: &[u8],
    ) -> Result<serde_json::Value, EvalError> {
        let invalid = |e: serde_json::Error| EvalError {
            kind: EvalErrorKind::InvalidData,
            message: format!("event `{name}` is not valid JSON: {e}"),
            span: Span::default(),
        };
        let event = self.events.iter().position(|n| &**n == name);
        if let Some(stream) = self
            .count_stream
            .as_ref()
            .filter(|s| Some(s.event as usize) == event)
        {
            if let Some(v) = count_condition_bytes(self, ctx, stream, bytes).map_err(invalid)? {
                return Ok(v);
            }
        }
        if let Some(plan) = event
            .and_then(|e| self.leaf_plans.get(e))
            .and_then(Option::as_ref)
        {
            if let Some(leaves) = selective::extract(plan, bytes).map_err(invalid)? {
                let mut leaf = |p: u32| match plan.slot(p) {
                    Some(slot) => leaves.get(slot).and_then(selective::Leaf::raw),
                    None => register::leaf(self, ctx, p),
                };
                if let Some(result) = register::run(self, ctx, &mut leaf) {
                    return Ok(result.map_or(serde_json::Value::Null, serde_json::Value::Bool));
                }
            }
        }
        let payload = self.read_event(name, bytes).map_err(invalid)?;
        let mut events: Vec<(&str, &serde_json::Value)> = ctx
            .events
            .iter()
            .filter(|(n, _)| *n != name)
            .copied()
            .collect();
        events.push((name, &payload));
        let with_event = Context {
            events,
            actions: ctx.actions.clone(),
            data: Box::new(context::Borrowed(&*ctx.data)),
            audiences: ctx.audiences.clone(),
            journey: ctx.journey.clone(),
            now: ctx.now,
            time_zone: ctx.time_zone,
            seed: ctx.seed,
            fuel: ctx.fuel,
            kept: Default::default(),
        };
        self.eval(&with_event).map(|v| v.to_json())
    }

    /// Evaluates the program against `ctx`.
    ///
    /// ```
    /// use jexpr::{Catalog, Compiler, Context};
    /// let context = serde_json::json!({"events": {"Order": {"total": 120.5, "channel": "web"}}});
    /// let catalog = Catalog::infer(&context);
    /// let program = Compiler::new(&catalog).compile(r#"@{Order.total} > 100.0 and @{Order.channel} == "web""#).unwrap();
    /// let ctx = Context::from_json(&context).unwrap();
    /// assert!(program.eval(&ctx).unwrap().truthy());
    /// ```
    pub fn eval<'c>(&'c self, ctx: &'c Context<'_>) -> Result<Value<'c>, EvalError> {
        if self.register_only {
            if let Some(result) = register::eval(self, ctx) {
                return Ok(result.map_or(Value::Null, Value::Bool));
            }
        }
        if !self.register_counts.is_empty() {
            if let Some(v) = count_condition(self, ctx) {
                return Ok(v);
            }
        }
        self.eval_machine(ctx, true).0
    }

    /// Evaluates on the full VM only, skipping the boolean register fast
    /// path (for tests that check the two agree).
    #[doc(hidden)]
    pub fn eval_general<'c>(&'c self, ctx: &'c Context<'_>) -> Result<Value<'c>, EvalError> {
        self.eval_machine(ctx, false).0
    }

    /// The fuel left after evaluating on the VM with or without its filter
    /// fast paths (for tests that check both charge the same).
    #[doc(hidden)]
    pub fn fuel_left(&self, ctx: &Context<'_>, fast: bool) -> u64 {
        self.eval_machine(ctx, fast).1
    }

    /// Evaluates on the VM; with `fast`, filters whose condition fits the
    /// register run it per element on the register.
    fn eval_machine<'c>(
        &'c self,
        ctx: &'c Context<'_>,
        fast: bool,
    ) -> (Result<Value<'c>, EvalError>, u64) {
        let rng = Cell::new(ctx.seed);
        let in_audience = |name: &str| ctx.in_audience(name);
        let env = Env {
            now: ctx.now,
            in_audience: &in_audience,
            rng: &rng,
        };
        let mut machine = Machine {
            program: self,
            ctx,
            env: &env,
            stack: Stack::with_depth(self.max_stack),
            currents: Vec::new(),
            fuel: ctx.fuel,
            fast,
        };
        // Without backward jumps each instruction runs at most once per filter
        // element, so fuel is charged per run of a body, not per instruction.
        let result = machine
            .burn(0, self.code.len() as u64)
            .and_then(|()| machine.run(0, self.code.len()))
            .map(|()| machine.stack.pop());
        (result, machine.fuel)
    }

    /// Evaluates a condition: `null` counts as false (section 1).
    pub fn eval_condition(&self, ctx: &Context<'_>) -> Result<bool, EvalError> {
        self.eval(ctx).map(|v| v.truthy())
    }
}

struct Machine<'c, 'e> {
    program: &'c Program,
    ctx: &'c Context<'c>,
    env: &'e Env<'e>,
    stack: Stack<'c>,
    /// Elements being visited by the enclosing filters, innermost last.
    currents: Vec<Value<'c>>,
    fuel: u64,
    /// Filters run their condition on the register where it fits.
    fast: bool,
}

impl<'c> Machine<'c, '_> {
    fn error(&self, pc: usize, kind: EvalErrorKind, message: impl Into<String>) -> EvalError {
        EvalError {
            kind,
            message: message.into(),
            span: self.program.code.span(pc),
        }
    }

    fn burn(&mut self, pc: usize, amount: u64) -> Result<(), EvalError> {
        match self.fuel.checked_sub(amount) {
            Some(left) => {
                self.fuel = left;
                Ok(())
            }
            None => Err(self.error(
                pc,
                EvalErrorKind::WorkLimit,
                format!(
                    "evaluation stopped: the work limit ({} steps) was reached",
                    self.ctx.fuel
                ),
            )),
        }
    }

    fn pop(&mut self) -> Value<'c> {
        self.stack.pop()
    }

    fn push(&mut self, pc: usize, v: Value<'c>) -> Result<(), EvalError> {
        if self.stack.push(v) {
            Ok(())
        } else {
            Err(self.error(
                pc,
                EvalErrorKind::Internal,
                "internal error: the operand stack is full",
            ))
        }
    }

    fn name(&self, n: u32) -> (&'c str, &'c str) {
        let program: &'c Program = self.program;
        program
            .names
            .get(n as usize)
            .map_or(("", ""), |f| (&*f.name, &*f.xdm))
    }

    /// Runs the instructions in `[start, end)`.
    fn run(&mut self, start: usize, end: usize) -> Result<(), EvalError> {
        let program: &'c Program = self.program;
        let mut pc = start;
        while pc < end {
            self.burn(pc, 1)?;
            let Some(ins) = program.code.get(pc) else {
                break;
            };
            pc += 1;
            match ins {
                Instruction::Const(k) => {
                    let v = program
                        .constants
                        .get(k as usize)
                        .map_or(Value::Null, |c| c.to_value());
                    self.push(pc - 1, v)?;
                }
                Instruction::Event(e) => {
                    let name = program.events.get(e as usize).map_or("", |s| s);
                    let v = self.ctx.event(name).map_or(Value::Null, Value::Json);
                    self.push(pc - 1, v)?;
                }
                Instruction::Source(s) => {
                    let Some(read) = program.sources.get(s as usize) else {
                        return Err(self.error(
                            pc - 1,
                            EvalErrorKind::Internal,
                            "internal error: an instruction names a missing table entry",
                        ));
                    };
                    let values = self.stack.take_n(read.params.len());
                    let params: Vec<(&str, Value<'_>)> =
                        read.params.iter().map(|p| &**p).zip(values).collect();
                    let data: &'c dyn DataSource = &*self.ctx.data;
                    let fetched = data
                        .fetch(&read.source, &read.group, &params)
                        .map_err(|e| {
                            self.error(
                                pc - 1,
                                EvalErrorKind::DataSource,
                                format!("data source `{}.{}` failed: {e}", read.source, read.group),
                            )
                        })?;
                    let ctx: &'c Context<'c> = self.ctx;
                    let v = match fetched {
                        None => Value::Null,
                        Some(context::Fetched::Borrowed(json)) => Value::Json(json),
                        Some(context::Fetched::Shared(data)) => Value::Json(ctx.kept.keep(data)),
                    };
                    self.push(pc - 1, v)?;
                }
                Instruction::Journey(p) => {
                    let name = program.journey.get(p as usize).map_or("", |s| s);
                    let v = self
                        .ctx
                        .journey
                        .get(name)
                        .map_or(Value::Null, |j| Value::Json(j));
                    self.push(pc - 1, v)?;
                }
                Instruction::Current => {
                    let v = self.currents.last().cloned().unwrap_or_default();
                    self.push(pc - 1, v)?;
                }
                Instruction::Load(p) => {
                    let v = self.load(pc - 1, p)?;
                    self.push(pc - 1, v)?;
                }
                Instruction::Compare(c) => {
                    let v = self.compare(pc - 1, c)?;
                    self.push(pc - 1, Value::Bool(v))?;
                }
                Instruction::Predicate(f) => {
                    let v = self.predicate(pc - 1, f)?;
                    self.push(pc - 1, v)?;
                }
                Instruction::Field(n) => {
                    let (name, xdm) = self.name(n);
                    let v = self.pop();
                    let projected = self.field(pc - 1, v, name, xdm)?;
                    self.push(pc - 1, projected)?;
                }
                Instruction::Filter(kind, len) => {
                    let body = pc..pc + len as usize;
                    let v = self.pop();
                    if let Some(count) = self.count_on_register(pc - 1, &v, body.clone()) {
                        // The filter, its projection, coercion and `count` in one pass.
                        self.push(pc - 1, Value::Int(count))?;
                        pc = body.end + 3;
                        continue;
                    }
                    if let Some(projected) = self.projected_on_register(pc - 1, &v, kind, &body) {
                        // The filter and the field step after it in one pass.
                        self.push(pc - 1, projected)?;
                        pc = body.end + 1;
                        continue;
                    }
                    let result = self.filter(pc - 1, v, kind, body.clone())?;
                    self.push(pc - 1, result)?;
                    pc = body.end;
                }
                Instruction::EndFilter => {}
                Instruction::At => {
                    let index = self.pop();
                    let list = self.pop();
                    let v = match (index, list) {
                        (Value::Int(i), Value::Json(Json::Array(items))) => usize::try_from(i)
                            .ok()
                            .and_then(|i| items.get(i))
                            .map_or(Value::Null, Value::Json),
                        (Value::Int(i), Value::List(mut items)) => usize::try_from(i)
                            .ok()
                            .filter(|i| *i < items.len())
                            .map_or(Value::Null, |i| std::mem::take(&mut items[i])),
                        _ => Value::Null,
                    };
                    self.push(pc - 1, v)?;
                }
                Instruction::Entry(n) => {
                    let (key, _) = self.name(n);
                    let v = match self.pop() {
                        Value::Json(Json::Object(map)) => {
                            map.get(key).map_or(Value::Null, Value::Json)
                        }
                        _ => Value::Null,
                    };
                    self.push(pc - 1, v)?;
                }
                Instruction::FirstEntryKey => {
                    let v = match self.pop() {
                        Value::Json(Json::Object(map)) => {
                            map.keys().next().map_or(Value::Null, |k| Value::str(k))
                        }
                        _ => Value::Null,
                    };
                    self.push(pc - 1, v)?;
                }
                Instruction::Keys => {
                    let v = match self.pop() {
                        Value::Json(Json::Object(map)) => {
                            Value::List(map.keys().map(|k| Value::str(k)).collect())
                        }
                        _ => Value::Null,
                    };
                    self.push(pc - 1, v)?;
                }
                Instruction::Coerce(t) => {
                    let v = self.pop();
                    let v = match program.types.get(t as usize) {
                        Some(ty) => ops::coerce(v, ty)
                            .map_err(|e| self.error(pc - 1, EvalErrorKind::InvalidData, e))?,
                        None => v,
                    };
                    self.push(pc - 1, v)?;
                }
                Instruction::DefaultUnlessNull(target) => {
                    if self.stack.top().is_some_and(|v| !v.is_null()) {
                        pc = target as usize;
                    } else {
                        self.pop();
                    }
                }
                Instruction::AndJump(target) => {
                    if !self.pop().truthy() {
                        self.push(pc - 1, Value::Bool(false))?;
                        pc = target as usize;
                    }
                }
                Instruction::OrJump(target) => {
                    if self.pop().truthy() {
                        self.push(pc - 1, Value::Bool(true))?;
                        pc = target as usize;
                    }
                }
                Instruction::ToBool => {
                    let v = self.pop().truthy();
                    self.push(pc - 1, Value::Bool(v))?;
                }
                Instruction::JumpUnlessTrue(target) => {
                    if !self.pop().truthy() {
                        pc = target as usize;
                    }
                }
                Instruction::Jump(target) => pc = target as usize,
                Instruction::Not => {
                    let v = self.pop();
                    self.push(pc - 1, ops::not(&v))?;
                }
                Instruction::Neg => {
                    let v = self.pop();
                    let v = ops::negate(v)
                        .map_err(|e| self.error(pc - 1, EvalErrorKind::Arithmetic, e))?;
                    self.push(pc - 1, v)?;
                }
                Instruction::Binary(op) => {
                    let r = self.pop();
                    let l = self.pop();
                    let v = ops::binary(op, l, r)
                        .map_err(|e| self.error(pc - 1, EvalErrorKind::Arithmetic, e))?;
                    self.burn(pc - 1, ops::alloc_units(&v))?;
                    self.push(pc - 1, v)?;
                }
                Instruction::Test(op) => {
                    let v = self.pop();
                    self.push(pc - 1, ops::test(op, &v))?;
                }
                Instruction::Call(f, argc) => {
                    let Some(callee) = program.callees.get(f as usize) else {
                        return Err(self.error(
                            pc - 1,
                            EvalErrorKind::Internal,
                            "internal error: an instruction names a missing table entry",
                        ));
                    };
                    let env = self.env;
                    // A builtin's work grows with its arguments: charge for it.
                    let units: u64 = self
                        .stack
                        .top_n(argc as usize)
                        .iter()
                        .map(ops::work_units)
                        .sum();
                    self.burn(pc - 1, units)?;
                    let args = self.stack.top_n(argc as usize);
                    let v = if callee.builtin.nulls == Nulls::Propagate
                        && args.iter().any(Value::is_null)
                    {
                        Value::Null
                    } else {
                        let imp = callee.builtin.overloads.get(callee.overload).map(|o| o.imp);
                        match imp {
                            Some(imp) => match imp(args, env).and_then(ops::checked_result) {
                                Ok(v) => v,
                                Err(e) => {
                                    return Err(self.error(pc - 1, EvalErrorKind::Function, e))
                                }
                            },
                            None => Value::Null,
                        }
                    };
                    self.stack.drop_n(argc as usize);
                    self.burn(pc - 1, ops::alloc_units(&v))?;
                    self.push(pc - 1, v)?;
                }
                Instruction::MakeList(n) => {
                    self.burn(pc - 1, u64::from(n))?;
                    let items = self.stack.take_n(n as usize);
                    self.push(pc - 1, Value::List(items))?;
                }
            }
        }
        Ok(())
    }

    /// A fused comparison of a path with a constant. When the data has the
    /// JSON form of its static type, it is compared in place; anything else
    /// (dates, lists, data that needs coercion) takes the general route, so
    /// the result is the same either way.
    fn compare(&mut self, pc: usize, c: u32) -> Result<bool, EvalError> {
        let program: &'c Program = self.program;
        let Some(cmp) = program.comparisons.get(c as usize).copied() else {
            return Err(self.error(
                pc,
                EvalErrorKind::Internal,
                "internal error: a comparison instruction names a missing table entry",
            ));
        };
        let constant = program.constants.get(cmp.constant as usize);
        let ty = program
            .paths
            .get(cmp.path as usize)
            .and_then(|p| program.types.get(p.ty as usize));
        let raw = self.walk(pc, cmp.path)?;
        if let Some(result) =
            Raw::of(&raw).and_then(|r| crate::program::raw::compare(cmp.op, &r, constant, ty))
        {
            return Ok(result);
        }
        let value = match ty {
            Some(ty) => {
                ops::coerce(raw, ty).map_err(|e| self.error(pc, EvalErrorKind::InvalidData, e))?
            }
            None => raw,
        };
        let k = constant.map_or(Value::Null, Constant::to_value);
        let result = ops::binary(cmp.op, value, k)
            .map_err(|e| self.error(pc, EvalErrorKind::Arithmetic, e))?;
        Ok(result.truthy())
    }

    /// A fused `f(path, constant)` call of a pure boolean builtin.
    fn predicate(&mut self, pc: usize, f: u32) -> Result<Value<'c>, EvalError> {
        let program: &'c Program = self.program;
        let Some(pred) = program.predicates.get(f as usize) else {
            return Err(self.error(
                pc,
                EvalErrorKind::Internal,
                "internal error: an instruction names a missing table entry",
            ));
        };
        let v = self.load(pc, pred.path)?;
        let k = program
            .constants
            .get(pred.constant as usize)
            .map_or(Value::Null, Constant::to_value);
        if v.is_null() || k.is_null() {
            return Ok(Value::Null);
        }
        let Some(overload) = pred.callee.builtin.overloads.get(pred.callee.overload) else {
            return Err(self.error(
                pc,
                EvalErrorKind::Internal,
                "internal error: an instruction names a missing table entry",
            ));
        };
        let mut args = [v, k];
        (overload.imp)(&mut args, self.env)
            .and_then(ops::checked_result)
            .map_err(|e| self.error(pc, EvalErrorKind::Function, e))
    }

    /// A fused path: root, field names, coercion, without touching the stack.
    fn load(&mut self, pc: usize, p: u32) -> Result<Value<'c>, EvalError> {
        let program: &'c Program = self.program;
        let raw = self.walk(pc, p)?;
        match program
            .paths
            .get(p as usize)
            .and_then(|path| program.types.get(path.ty as usize))
        {
            Some(ty) => {
                ops::coerce(raw, ty).map_err(|e| self.error(pc, EvalErrorKind::InvalidData, e))
            }
            None => Ok(raw),
        }
    }

    /// The data at path `p`, not yet read as its type.
    fn walk(&mut self, pc: usize, p: u32) -> Result<Value<'c>, EvalError> {
        let program: &'c Program = self.program;
        let Some(path) = program.paths.get(p as usize) else {
            return Err(self.error(
                pc,
                EvalErrorKind::Internal,
                "internal error: an instruction names a missing table entry",
            ));
        };
        let mut v = match path.root {
            PathRoot::Event(e) => {
                let name = program.events.get(e as usize).map_or("", |s| s);
                self.ctx.event(name).map_or(Value::Null, Value::Json)
            }
            PathRoot::Journey(j) => {
                let name = program.journey.get(j as usize).map_or("", |s| s);
                self.ctx
                    .journey
                    .get(name)
                    .map_or(Value::Null, |j| Value::Json(j))
            }
            PathRoot::Current => self.currents.last().cloned().unwrap_or_default(),
        };
        for &n in path.names.iter() {
            let (name, xdm) = self.name(n);
            v = match v {
                Value::Json(json @ Json::Object(_)) => get(json, name, xdm),
                Value::Null => return Ok(Value::Null),
                other => self.field(pc, other, name, xdm)?,
            };
        }
        Ok(v)
    }

    /// A field of an object, or of every element of a list (flattened one level).
    fn field(
        &mut self,
        pc: usize,
        v: Value<'c>,
        name: &str,
        xdm: &str,
    ) -> Result<Value<'c>, EvalError> {
        let elements: Vec<Value<'c>> = match v {
            Value::Json(Json::Array(items)) => items.iter().map(Value::Json).collect(),
            Value::List(items) => items,
            Value::Json(json) => return Ok(get(json, name, xdm)),
            _ => return Ok(Value::Null),
        };
        self.burn(pc, elements.len() as u64)?;
        let mut out = Vec::with_capacity(elements.len());
        for element in elements {
            match element {
                Value::Json(json) => project_into(&mut out, json, name, xdm),
                _ => out.push(Value::Null),
            }
        }
        Ok(Value::List(out))
    }

    fn filter(
        &mut self,
        pc: usize,
        v: Value<'c>,
        kind: FilterKind,
        body: std::ops::Range<usize>,
    ) -> Result<Value<'c>, EvalError> {
        if let Value::Json(Json::Array(items)) = v {
            if self.fast && self.program.register_filters.contains(&(pc as u32)) {
                if let Some(result) = self.filter_on_register(items, kind, body.clone(), None) {
                    return Ok(result);
                }
            }
        }
        let elements: Vec<Value<'c>> = match v {
            Value::Json(Json::Array(items)) => items.iter().map(Value::Json).collect(),
            Value::List(items) => items,
            _ => return Ok(Value::Null),
        };
        self.burn(pc, elements.len() as u64)?;
        // Sized once, so visiting elements does not allocate.
        let mut kept = Vec::with_capacity(if kind == FilterKind::All {
            elements.len()
        } else {
            0
        });
        for element in elements {
            self.burn(pc, body.len() as u64)?;
            let keep = if body.is_empty() {
                true
            } else {
                self.currents.push(element.clone());
                let result = self.run(body.start, body.end);
                self.currents.pop();
                result?;
                self.pop().truthy()
            };
            if keep {
                if kind == FilterKind::First {
                    return Ok(element);
                }
                kept.push(element);
            }
        }
        Ok(match kind {
            FilterKind::All => Value::List(kept),
            _ => kept.pop().unwrap_or_default(),
        })
    }
}

impl<'c> Machine<'c, '_> {
    /// `count(list.all(cond).field)` where the filter runs on the register
    /// (`Program::register_counts`): the count, with the fuel the full VM
    /// would charge for the filter, `field`, `coerce` and `count`; `None`
    /// (nothing charged) when anything needs the full VM: a kept element's
    /// field that is a list, or data not of its type (an error there).
    fn count_on_register(
        &mut self,
        filter_pc: usize,
        v: &Value<'c>,
        body: std::ops::Range<usize>,
    ) -> Option<i64> {
        if !self.fast {
            return None;
        }
        let Value::Json(Json::Array(items)) = v else {
            return None;
        };
        let (count, charged) =
            count_filtered(self.program, self.ctx, self.fuel, filter_pc, items, body)?;
        self.fuel -= charged;
        Some(count)
    }

    /// `list.all(cond).field` where the filter runs on the register: the
    /// kept elements' fields gathered as they are found, with no list of
    /// the kept elements in between; `None` as for
    /// [`Machine::filter_on_register`].
    fn projected_on_register(
        &mut self,
        filter_pc: usize,
        v: &Value<'c>,
        kind: FilterKind,
        body: &std::ops::Range<usize>,
    ) -> Option<Value<'c>> {
        let program: &'c Program = self.program;
        if !self.fast
            || kind != FilterKind::All
            || !program
                .register_filters
                .contains(&u32::try_from(filter_pc).ok()?)
        {
            return None;
        }
        let (Value::Json(Json::Array(items)), Some(Instruction::Field(n))) =
            (v, program.code.get(body.end))
        else {
            return None;
        };
        self.filter_on_register(items, kind, body.clone(), Some(n))
    }

    /// A filter over JSON elements whose condition runs on the register: no
    /// operand stack, no values, no clone per element. `None` when an
    /// element needs the full VM (or the fuel might not last), and then the
    /// full VM runs the whole filter: nothing was charged or kept. Charges
    /// the fuel the full VM would: the elements, then per element the body's
    /// length and the instructions run. With `project` (a filter of kind
    /// `all` followed by that field step) the field step is done too, each
    /// kept element projected as the full VM's `field` projects it, and
    /// charged as it charges: the instruction and one per kept element.
    fn filter_on_register(
        &mut self,
        items: &'c [Json],
        kind: FilterKind,
        body: std::ops::Range<usize>,
        project: Option<u32>,
    ) -> Option<Value<'c>> {
        let n = items.len() as u64;
        let per_element = 2 * body.len() as u64;
        let projection = if project.is_some() { n + 1 } else { 0 };
        let worst = n
            .saturating_mul(per_element)
            .saturating_add(n)
            .saturating_add(projection);
        if self.fuel < worst {
            return None;
        }
        let field = project.map(|n| self.name(n));
        let mut burned = n;
        let mut kept = Vec::with_capacity(if kind == FilterKind::All {
            items.len()
        } else {
            0
        });
        let mut kept_count = 0;
        let mut last = None;
        for item in items {
            let (acc, steps) = register::run_body(self.program, self.ctx, body.clone(), item)?;
            burned += body.len() as u64 + steps;
            if acc == Some(true) {
                match (kind, field) {
                    (FilterKind::First, _) => {
                        self.fuel -= burned;
                        return Some(Value::Json(item));
                    }
                    (FilterKind::All, Some((name, xdm))) => {
                        kept_count += 1;
                        project_into(&mut kept, item, name, xdm);
                    }
                    (FilterKind::All, None) => kept.push(Value::Json(item)),
                    (FilterKind::Last, _) => last = Some(item),
                }
            }
        }
        if field.is_some() {
            burned += 1 + kept_count;
        }
        self.fuel -= burned;
        Some(match kind {
            FilterKind::All => Value::List(kept),
            _ => last.map_or(Value::Null, Value::Json),
        })
    }
}

/// Field `name` of one element of a list, added to `out` as the `field`
/// instruction adds it: a list's items one by one (flattened one level).
fn project_into<'j>(out: &mut Vec<Value<'j>>, element: &'j Json, name: &str, xdm: &str) {
    match get(element, name, xdm) {
        Value::Json(Json::Array(inner)) => out.extend(inner.iter().map(Value::Json)),
        other => out.push(other),
    }
}

/// The count of `Machine::count_on_register` over `items` and the fuel the
/// full VM would charge for it, or `None` (see there). Never more than
/// `fuel` is charged.
fn count_filtered(
    program: &Program,
    ctx: &Context<'_>,
    fuel: u64,
    filter_pc: usize,
    items: &[Json],
    body: std::ops::Range<usize>,
) -> Option<(i64, u64)> {
    let plan = program
        .register_counts
        .iter()
        .find(|c| c.filter as usize == filter_pc)?;
    let Some(Type::List(elem)) = program.types.get(plan.ty as usize) else {
        return None;
    };
    let field = program.names.get(plan.name as usize)?;
    let n = items.len() as u64;
    let worst = n
        .saturating_mul(2 * body.len() as u64 + 3)
        .saturating_add(4);
    if fuel < worst {
        return None;
    }
    let (mut burned, mut kept, mut count) = (n, 0u64, 0i64);
    for item in items {
        let (acc, steps) = register::run_body(program, ctx, body.clone(), item)?;
        burned += body.len() as u64 + steps;
        if acc != Some(true) {
            continue;
        }
        kept += 1;
        let projected = get(item, &field.name, &field.xdm);
        let present = match Raw::of(&projected).and_then(|r| counts_as_is(r, elem)) {
            Some(present) => present,
            None => match projected {
                Value::Json(Json::Array(_)) => return None,
                Value::Json(json) => !ops::coerce(Value::Json(json), elem).ok()?.is_null(),
                other => !other.is_null(),
            },
        };
        count += i64::from(present);
    }
    // `field` (1 + an element each), `coerce` (1), `count` (1 + 1 + the list).
    Some((count, burned + 4 + 2 * kept))
}

/// A program that is only `count(@{E.path.all(cond).field}) op constant`
/// with the filter on the register, evaluated without setting a VM up: the
/// path walked through objects, the elements counted, the count compared.
/// `None` lets the VM run it: another shape, data only the VM decides
/// exactly (an error, a list on the path), or fuel too short for the VM's
/// worst case (the VM then says where it runs out). With enough fuel the
/// VM would not run out either, so the answers agree.
fn count_condition<'c>(program: &'c Program, ctx: &'c Context<'_>) -> Option<Value<'c>> {
    let shape = program.count_shape()?;
    let bound = 2 * program.code.len() as u64;
    if ctx.fuel < bound {
        return None;
    }
    let mut json = ctx.event(program.events.get(shape.event as usize)?)?;
    for step in shape.steps {
        let Instruction::Field(n) = step else {
            return None;
        };
        let field = program.names.get(*n as usize)?;
        json = match json {
            Json::Object(_) => lookup(json, &field.name, &field.xdm)?,
            _ => return None,
        };
    }
    let Json::Array(items) = json else {
        return None;
    };
    let filter = shape.count.filter as usize;
    let (count, _) = count_filtered(program, ctx, ctx.fuel - bound, filter, items, shape.body)?;
    let constant = program.constants.get(shape.constant as usize)?.to_value();
    ops::binary(shape.op, Value::Int(count), constant).ok()
}

/// Whether a projected scalar counts in a fused `count`: data of the
/// element type is read as itself (counted), null or absent is not; `None`
/// when reading it needs coercion, or it is not a scalar.
fn counts_as_is(raw: Raw<'_>, elem: &Type) -> Option<bool> {
    match (raw, elem) {
        (Raw::Null, _) => Some(false),
        (Raw::Str(_), Type::String)
        | (Raw::Bool(_), Type::Boolean)
        | (Raw::Int(_) | Raw::Float(_), Type::Decimal)
        | (Raw::Int(_), Type::Integer) => Some(true),
        _ => None,
    }
}

/// [`count_condition`] with the event given as bytes and its list streamed
/// (`Program::count_stream`): each element's leaves read into slots, the
/// filter run on them, the projected field counted, with no JSON tree and
/// no list. `Ok(None)` lets the general route decide, as `count_condition`
/// would (and also when the fuel the VM would charge is more than there
/// is: the VM then says where it runs out).
fn count_condition_bytes(
    program: &Program,
    ctx: &Context<'_>,
    stream: &crate::program::CountStream,
    bytes: &[u8],
) -> Result<Option<serde_json::Value>, serde_json::Error> {
    let Some(shape) = program.count_shape() else {
        return Ok(None);
    };
    let Some(Type::List(elem)) = program.types.get(shape.count.ty as usize) else {
        return Ok(None);
    };
    let plan = stream.elements.element();
    let projection = plan.slot(stream.projection);
    let body = shape.body.clone();
    let (mut n, mut burned, mut kept, mut count) = (0u64, 0u64, 0u64, 0i64);
    let mut each = |leaves: &[selective::Leaf<'_>]| -> bool {
        let mut leaf = |p: u32| match plan.slot(p) {
            Some(slot) => leaves.get(slot).and_then(selective::Leaf::raw),
            None => None,
        };
        let Some((acc, steps)) = register::run_range(program, body.clone(), &mut leaf) else {
            return false;
        };
        n += 1;
        burned += body.len() as u64 + steps;
        if acc != Some(true) {
            return true;
        }
        kept += 1;
        // Anything `counts_as_is` does not decide (a list, data to coerce)
        // is decided by the general route.
        let present = projection
            .and_then(|s| leaves.get(s))
            .and_then(selective::Leaf::raw)
            .and_then(|r| counts_as_is(r, elem));
        let Some(present) = present else {
            return false;
        };
        count += i64::from(present);
        true
    };
    if !crate::program::elements::for_each_element(&stream.elements, bytes, &mut each)? {
        return Ok(None);
    }
    // What the VM would charge: at most twice the code outside the filter,
    // then as `count_filtered` counts it.
    let charged = (2 * program.code.len() as u64)
        .saturating_add(n)
        .saturating_add(burned)
        .saturating_add(4 + 2 * kept);
    if charged > ctx.fuel {
        return Ok(None);
    }
    let Some(constant) = program.constants.get(shape.constant as usize) else {
        return Ok(None);
    };
    Ok(
        ops::binary(shape.op, Value::Int(count), constant.to_value())
            .ok()
            .map(|v| v.to_json()),
    )
}

/// Field `name` (or its `xdm:` twin) of a JSON object, as data; null when absent.
pub(crate) fn get<'j>(json: &'j Json, name: &str, xdm: &str) -> Value<'j> {
    match lookup(json, name, xdm) {
        Some(Json::Null) | None => Value::Null,
        Some(child) => Value::Json(child),
    }
}

/// Field `name` of a JSON object, or its `xdm:` twin when only that exists.
/// Small objects are scanned: comparing short keys beats hashing them.
pub(crate) fn lookup<'j>(json: &'j Json, name: &str, xdm: &str) -> Option<&'j Json> {
    let Json::Object(map) = json else {
        return None;
    };
    if map.len() > 16 {
        return map.get(name).or_else(|| map.get(xdm));
    }
    let mut twin = None;
    for (k, v) in map {
        if same(k, name) {
            return Some(v);
        }
        if twin.is_none() && same(k, xdm) {
            twin = Some(v);
        }
    }
    twin
}

/// String equality that rejects most different keys by length and first
/// byte before calling `memcmp`.
#[inline]
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.as_bytes().first() == b.as_bytes().first() && a == b
}
