//! A compiled expression: instructions, constants and tables. Written by the
//! compiler, read by the VM; immutable and `Send + Sync`, so one `Program`
//! serves every evaluation on every thread.

pub(crate) mod elements;
mod instructions;
pub(crate) mod raw;
pub(crate) mod selective;

pub(crate) use instructions::Instructions;

use crate::builtins::Builtin;
use crate::syntax::ast::{FilterKind, TestOp};
use crate::temporal::{self, Zone, ZonedDateTime};
use crate::types::Type;
use crate::value::Value;
use chrono::{NaiveDate, NaiveDateTime};
use std::borrow::Cow;
use std::fmt::Write;
use std::sync::Arc;

/// One VM instruction. Operands index the program's tables.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Instruction {
    /// Push constant `k`.
    Const(u32),
    /// Push the payload of event `e` (null when the context has none).
    Event(u32),
    /// Pop the `params` of data source `s`, fetch it, push its data.
    Source(u32),
    /// Push journey property `p`.
    Journey(u32),
    /// Push the element the innermost filter is visiting.
    Current,
    /// Push the value at path `p` (root and field names), read as its static type.
    Load(u32),
    /// Push the comparison `c` of a path with a constant (a fused `Load, Const, Binary`).
    Compare(u32),
    /// Push the boolean builtin `p` applied to a path and a constant (a fused `Load, Const, Call`).
    Predicate(u32),
    /// Pop data, push its field `name` (mapped over lists and flattened one level).
    Field(u32),
    /// Pop a list, run the condition in the next `len` instructions per element, push the result.
    Filter(FilterKind, u32),
    /// End of a filter condition: its value is the top of the stack.
    EndFilter,
    /// Pop an index and a list, push the element (null when out of range).
    At,
    /// Pop a map, push the value of key `name`.
    Entry(u32),
    /// Pop a map, push its first key.
    FirstEntryKey,
    /// Pop a map, push its keys.
    Keys,
    /// Read the data on top of the stack as static type `t` (dates parsed, lists typed).
    Coerce(u32),
    /// If the top is not null, jump to `target` (past a default value); else pop it.
    DefaultUnlessNull(u32),
    /// `and`: pop; if not true, push false and jump to `target`.
    AndJump(u32),
    /// `or`: pop; if true, push true and jump to `target`.
    OrJump(u32),
    /// Pop; push true if it was true, else false (null counts as false).
    ToBool,
    /// Pop; jump to `target` unless it was true.
    JumpUnlessTrue(u32),
    /// Jump to `target`.
    Jump(u32),
    /// Pop a boolean, push its negation (null → true).
    Not,
    /// Pop a number or duration, push its negation.
    Neg,
    /// Pop two operands, push the result of the operator.
    Binary(BinOp),
    /// Pop a value, push the test's result.
    Test(TestOp),
    /// Pop `argc` arguments, call builtin overload `f`, push the result.
    Call(u32, u8),
    /// Pop `n` values, push them as a list.
    MakeList(u32),
}

pub use crate::value::ops::BinOp;
pub use selective::EventReader;

/// A compile-time value; the program's constant pool.
#[derive(Clone, Debug)]
pub enum Constant {
    Null,
    Bool(bool),
    Int(i64),
    Dec(f64),
    Str(Arc<str>),
    DateTime(ZonedDateTime),
    DateTimeOnly(NaiveDateTime),
    DateOnly(NaiveDate),
    Duration(i64),
    List(Vec<Constant>),
    Regex(regex::Regex),
    Zone(Zone),
}

impl Constant {
    pub fn to_value(&self) -> Value<'_> {
        match self {
            Constant::Null => Value::Null,
            Constant::Bool(b) => Value::Bool(*b),
            Constant::Int(i) => Value::Int(*i),
            Constant::Dec(d) => Value::Dec(*d),
            Constant::Str(s) => Value::Str(Cow::Borrowed(s)),
            Constant::DateTime(d) => Value::DateTime(*d),
            Constant::DateTimeOnly(d) => Value::DateTimeOnly(*d),
            Constant::DateOnly(d) => Value::DateOnly(*d),
            Constant::Duration(d) => Value::Duration(*d),
            Constant::List(items) => Value::List(items.iter().map(Constant::to_value).collect()),
            Constant::Regex(r) => Value::Regex(r),
            Constant::Zone(z) => Value::Zone(*z),
        }
    }

    /// The constant for a value computed at compile time; `None` for data.
    pub fn from_value(v: &Value<'_>) -> Option<Constant> {
        Some(match v {
            Value::Null => Constant::Null,
            Value::Bool(b) => Constant::Bool(*b),
            Value::Int(i) => Constant::Int(*i),
            Value::Dec(d) => Constant::Dec(*d),
            Value::Str(s) => Constant::Str(Arc::from(s.as_ref())),
            Value::DateTime(d) => Constant::DateTime(*d),
            Value::DateTimeOnly(d) => Constant::DateTimeOnly(*d),
            Value::DateOnly(d) => Constant::DateOnly(*d),
            Value::Duration(d) => Constant::Duration(*d),
            Value::List(items) => Constant::List(
                items
                    .iter()
                    .map(Constant::from_value)
                    .collect::<Option<_>>()?,
            ),
            Value::Regex(r) => Constant::Regex((*r).clone()),
            Value::Zone(z) => Constant::Zone(*z),
            Value::Json(_) => return None,
        })
    }
}

/// A field name and its `xdm:`-prefixed twin, so payload keys match either.
#[derive(Clone, Debug)]
pub struct FieldName {
    pub name: Arc<str>,
    pub xdm: Arc<str>,
}

/// Where a fused path starts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PathRoot {
    Event(u32),
    Journey(u32),
    Current,
}

/// A field path read by one `Load`: the root, the field names, the type.
#[derive(Clone, Debug)]
pub struct Path {
    pub root: PathRoot,
    pub names: Box<[u32]>,
    pub ty: u32,
}

/// A comparison of a field path with a constant, `path op constant`.
#[derive(Clone, Copy, Debug)]
pub struct Comparison {
    pub path: u32,
    pub op: BinOp,
    pub constant: u32,
}

/// A boolean builtin applied to a field path and a constant: `f(path, constant)`.
#[derive(Clone, Copy, Debug)]
pub struct Predicate {
    pub path: u32,
    pub callee: Callee,
    pub constant: u32,
}

/// A data-source read: which field group, and the names of its parameters.
#[derive(Clone, Debug)]
pub struct SourceRead {
    pub source: Arc<str>,
    pub group: Arc<str>,
    pub params: Vec<Arc<str>>,
}

/// A resolved builtin overload.
#[derive(Clone, Copy, Debug)]
pub struct Callee {
    pub builtin: &'static Builtin,
    pub overload: usize,
}

/// A compiled expression: immutable, `Send + Sync`, evaluated with [`Program::eval`](crate::Program::eval).
#[derive(Clone, Debug)]
pub struct Program {
    /// The code, each instruction with the span of its expression (for errors).
    pub(crate) code: Instructions,
    pub(crate) constants: Vec<Constant>,
    pub(crate) names: Vec<FieldName>,
    pub(crate) paths: Vec<Path>,
    pub(crate) comparisons: Vec<Comparison>,
    pub(crate) predicates: Vec<Predicate>,
    pub(crate) events: Vec<Arc<str>>,
    /// What the program reads of each event (parallel to `events`).
    pub(crate) selections: Vec<crate::program::selective::Selection>,
    /// For register programs, where their leaves sit in each event's bytes.
    pub(crate) leaf_plans: Vec<Option<crate::program::selective::LeafPlan>>,
    pub(crate) sources: Vec<SourceRead>,
    pub(crate) journey: Vec<Arc<str>>,
    pub(crate) types: Vec<Type>,
    pub(crate) callees: Vec<Callee>,
    pub(crate) ty: Type,
    pub(crate) source_text: Arc<str>,
    /// An upper bound of the operand stack's depth.
    pub(crate) max_stack: usize,
    /// The program is only comparisons joined by `and`/`or`/`not`, so it can
    /// run on one boolean register (`vm::register`).
    pub(crate) register_only: bool,
    /// Where a filter's condition can run on the register for each element
    /// (`vm::register::fits_body`): the filters' instruction positions.
    pub(crate) register_filters: Vec<u32>,
    /// `count(list.all(cond).field)` over such a filter, counted in one
    /// pass (`Machine::count_on_register`): the filter's position, the
    /// projected field's name and the list type it is read as.
    pub(crate) register_counts: Vec<RegisterCount>,
    /// A count condition's elements streamed from bytes
    /// (`Program::eval_event_bytes`).
    pub(crate) count_stream: Option<CountStream>,
}

/// A program that is only `count(@{E.path.all(cond).field}) op constant`
/// with its filter on the register (see [`Program::count_shape`]).
pub struct CountShape<'p> {
    /// The event read.
    pub event: u32,
    /// The field steps from the event to the list.
    pub steps: &'p [Instruction],
    pub count: RegisterCount,
    /// The filter's body, ending with its `end-filter`.
    pub body: std::ops::Range<usize>,
    /// The constant compared with and the operator.
    pub constant: u32,
    pub op: BinOp,
}

/// How to count the elements of a [`CountShape`] program streamed from an
/// event's bytes: the list's path and each element's leaves, the filter's
/// (by path id) and the projected field's (by `projection`).
#[derive(Clone, Debug)]
pub struct CountStream {
    pub event: u32,
    pub elements: crate::program::elements::ElementsPlan,
    /// The projected field's pseudo path id in the element plan.
    pub projection: u32,
}

/// A register filter followed by `field name`, `coerce list type` and
/// `call count/1`.
#[derive(Clone, Copy, Debug)]
pub struct RegisterCount {
    pub filter: u32,
    pub name: u32,
    pub ty: u32,
}

impl Program {
    /// The static type of the expression's value.
    pub fn ty(&self) -> &Type {
        &self.ty
    }

    /// The expression text the program was compiled from.
    pub fn source(&self) -> &str {
        &self.source_text
    }

    /// The journey properties (`@{journey.name}`) the program reads, so an
    /// embedder can fill only those.
    pub fn journey_properties(&self) -> impl Iterator<Item = &str> {
        self.journey.iter().map(|n| &**n)
    }

    /// The events the program reads (`@{Name.…}`), so an embedder keeps
    /// only the payloads some program will read.
    pub fn events_read(&self) -> impl Iterator<Item = &str> {
        self.events.iter().map(|n| &**n)
    }

    /// Number of instructions.
    pub fn len(&self) -> usize {
        self.code.len()
    }

    /// Whether the program has no instructions.
    pub fn is_empty(&self) -> bool {
        self.code.len() == 0
    }

    /// Computes the selection of event number `e` (once, at compile time).
    pub(crate) fn compute_selection(&self, e: usize) -> crate::program::selective::Selection {
        use crate::program::selective::Selection;
        let e = u32::try_from(e).unwrap_or(u32::MAX);
        let mut selection = Selection::nothing();
        for (pc, ins) in self.code.as_slice().iter().enumerate() {
            if *ins == Instruction::Event(e) {
                match self.filtered_selection(pc) {
                    Some((prefix, elements)) => selection.add_at(&prefix, &elements),
                    None => return Selection::All,
                }
            }
        }
        for path in &self.paths {
            if path.root == PathRoot::Event(e) {
                selection.add_path(&self.path_names(&path.names));
            }
        }
        selection
    }

    fn path_names(&self, names: &[u32]) -> Vec<&str> {
        names
            .iter()
            .map(|n| self.names.get(*n as usize).map_or("", |f| &*f.name))
            .collect()
    }

    /// What the event read at `pc` (`event`) is used for when it is a list
    /// reached by field steps and filtered on the register, then projected
    /// to a field: the list's path, and what of each element the filter and
    /// the projection read. `None` when the event is used any other way
    /// (then all of it is read).
    fn filtered_selection(
        &self,
        pc: usize,
    ) -> Option<(Vec<&str>, crate::program::selective::Selection)> {
        use crate::program::selective::Selection;
        let code = self.code.as_slice();
        let fields = |mut at: usize| {
            let mut names = Vec::new();
            while let Some(Instruction::Field(n)) = code.get(at) {
                names.push(self.names.get(*n as usize).map_or("", |f| &*f.name));
                at += 1;
            }
            (names, at)
        };
        let (prefix, at) = fields(pc + 1);
        let Some(Instruction::Filter(_, len)) = code.get(at) else {
            return None;
        };
        if !self.register_filters.contains(&u32::try_from(at).ok()?) {
            return None;
        }
        let body = at + 1..at + 1 + *len as usize;
        let mut elements = Selection::nothing();
        for ins in code.get(body.clone())? {
            let path = match *ins {
                Instruction::Compare(c) => self.comparisons.get(c as usize)?.path,
                Instruction::Predicate(f) => self.predicates.get(f as usize)?.path,
                _ => continue,
            };
            let path = self.paths.get(path as usize)?;
            if path.root == PathRoot::Current {
                elements.add_path(&self.path_names(&path.names));
            }
        }
        // The kept elements are only projected: the projection is all of
        // them anything after reads.
        let (projection, _) = fields(body.end);
        if projection.is_empty() {
            return None;
        }
        elements.add_path(&projection);
        Some((prefix, elements))
    }

    /// The leaf plan of event number `e`, for register programs only.
    pub(crate) fn compute_leaf_plan(
        &self,
        e: usize,
    ) -> Option<crate::program::selective::LeafPlan> {
        if !self.register_only {
            return None;
        }
        let root = PathRoot::Event(u32::try_from(e).ok()?);
        let paths: Vec<(usize, Vec<&str>)> = self
            .paths
            .iter()
            .enumerate()
            .filter(|(_, p)| p.root == root)
            .map(|(id, p)| {
                let names = p
                    .names
                    .iter()
                    .map(|n| self.names.get(*n as usize).map_or("", |f| &*f.name))
                    .collect();
                (id, names)
            })
            .collect();
        crate::program::selective::LeafPlan::build(&paths, self.paths.len())
    }

    /// The register filters of kind `all` whose kept elements are only
    /// projected to one field of a scalar type and counted.
    pub(crate) fn find_register_counts(&self) -> Vec<RegisterCount> {
        let code = self.code.as_slice();
        let mut found = Vec::new();
        for &at in &self.register_filters {
            let Some(Instruction::Filter(FilterKind::All, len)) = code.get(at as usize) else {
                continue;
            };
            let end = at as usize + 1 + *len as usize;
            let (
                Some(Instruction::Field(name)),
                Some(Instruction::Coerce(ty)),
                Some(Instruction::Call(f, 1)),
            ) = (code.get(end), code.get(end + 1), code.get(end + 2))
            else {
                continue;
            };
            let is_count = self
                .callees
                .get(*f as usize)
                .is_some_and(|c| c.builtin.name == "count");
            let scalar_list = matches!(
                self.types.get(*ty as usize),
                Some(Type::List(elem)) if matches!(**elem, Type::String | Type::Integer | Type::Decimal | Type::Boolean)
            );
            if is_count && scalar_list {
                found.push(RegisterCount {
                    filter: at,
                    name: *name,
                    ty: *ty,
                });
            }
        }
        found
    }

    /// The program's [`CountShape`], if it has it exactly: event, field
    /// steps, a register count's filter, field, coerce and count, then a
    /// constant and an operator.
    pub(crate) fn count_shape(&self) -> Option<CountShape<'_>> {
        let code = self.code.as_slice();
        let [Instruction::Event(e), rest @ ..] = code else {
            return None;
        };
        let [.., Instruction::Call(_, 1), Instruction::Const(k), Instruction::Binary(op)] = rest
        else {
            return None;
        };
        let count = *self.register_counts.first()?;
        let filter = count.filter as usize;
        let Some(Instruction::Filter(_, len)) = code.get(filter) else {
            return None;
        };
        let body = filter + 1..filter + 1 + *len as usize;
        // Exactly: event, field steps, the filter, field, coerce, count, const, op.
        if body.end + 5 != code.len() {
            return None;
        }
        let steps = code.get(1..filter)?;
        if !steps.iter().all(|s| matches!(s, Instruction::Field(_))) {
            return None;
        }
        Some(CountShape {
            event: *e,
            steps,
            count,
            body,
            constant: *k,
            op: *op,
        })
    }

    /// The [`CountStream`] of a [`CountShape`] program whose filter reads
    /// only the element's fields (no other event, no journey property).
    pub(crate) fn find_count_stream(&self) -> Option<CountStream> {
        let shape = self.count_shape()?;
        let mut leaves: Vec<(usize, Vec<&str>)> = Vec::new();
        for ins in self.code.as_slice().get(shape.body.clone())? {
            let id = match *ins {
                Instruction::Compare(c) => self.comparisons.get(c as usize)?.path,
                Instruction::Predicate(f) => self.predicates.get(f as usize)?.path,
                _ => continue,
            };
            let path = self.paths.get(id as usize)?;
            if path.root != PathRoot::Current {
                return None;
            }
            leaves.push((id as usize, self.path_names(&path.names)));
        }
        let projection = self.paths.len();
        let field = self.names.get(shape.count.name as usize)?;
        leaves.push((projection, vec![&*field.name]));
        let element = crate::program::selective::LeafPlan::build(&leaves, projection + 1)?;
        let path = shape
            .steps
            .iter()
            .map(|step| match step {
                Instruction::Field(n) => self.names.get(*n as usize).map(|f| f.name.to_string()),
                _ => None,
            })
            .collect::<Option<Vec<String>>>()?;
        Some(CountStream {
            event: shape.event,
            elements: crate::program::elements::ElementsPlan::new(path, element)?,
            projection: u32::try_from(projection).ok()?,
        })
    }

    /// Whether every instruction is one the boolean register machine runs.
    pub(crate) fn fits_register(&self) -> bool {
        self.code
            .as_slice()
            .iter()
            .all(|ins| self.runs_on_register(ins, |_| true))
    }

    /// Whether the register machine runs `ins`: comparisons and predicates
    /// joined by `and`/`or`/`not`, boolean constants, and jumps to a target
    /// `jump_ok` accepts.
    fn runs_on_register(&self, ins: &Instruction, jump_ok: impl Fn(usize) -> bool) -> bool {
        match *ins {
            Instruction::Compare(_)
            | Instruction::Predicate(_)
            | Instruction::ToBool
            | Instruction::Not => true,
            Instruction::OrJump(t) | Instruction::AndJump(t) => jump_ok(t as usize),
            Instruction::Const(k) => {
                matches!(self.constants.get(k as usize), Some(Constant::Bool(_)))
            }
            _ => false,
        }
    }

    /// The filters whose condition can run on the register for each
    /// element: the body (ending with its `end-filter`) is register
    /// instructions that jump only within it.
    pub(crate) fn find_register_filters(&self) -> Vec<u32> {
        let code = self.code.as_slice();
        let mut found = Vec::new();
        for (at, ins) in code.iter().enumerate() {
            let Instruction::Filter(_, len) = *ins else {
                continue;
            };
            let body = at + 1..at + 1 + len as usize;
            let Some((Instruction::EndFilter, condition)) =
                code.get(body.clone()).and_then(<[Instruction]>::split_last)
            else {
                continue;
            };
            let fits = !condition.is_empty()
                && condition
                    .iter()
                    .all(|ins| self.runs_on_register(ins, |t| body.contains(&t)));
            if let (true, Ok(at)) = (fits, u32::try_from(at)) {
                found.push(at);
            }
        }
        found
    }

    /// An upper bound of the stack depth: the straight-line sum of stack
    /// effects never undercounts, because both sides of every jump meet at
    /// the same depth and the linear walk counts both.
    pub(crate) fn stack_bound(&self) -> usize {
        let mut depth: i64 = 0;
        let mut max: i64 = 1;
        for ins in self.code.as_slice() {
            // Every instruction's effect on the stack, named: a new
            // instruction must be given one here (no wildcard).
            depth += match *ins {
                Instruction::Const(_)
                | Instruction::Event(_)
                | Instruction::Journey(_)
                | Instruction::Current
                | Instruction::Load(_)
                | Instruction::Compare(_)
                | Instruction::Predicate(_) => 1,
                Instruction::Source(s) => {
                    1 - self
                        .sources
                        .get(s as usize)
                        .map_or(0, |r| r.params.len() as i64)
                }
                Instruction::Field(_)
                | Instruction::Filter(..)
                | Instruction::Entry(_)
                | Instruction::FirstEntryKey
                | Instruction::Keys
                | Instruction::Coerce(_)
                | Instruction::ToBool
                | Instruction::Jump(_)
                | Instruction::Not
                | Instruction::Neg
                | Instruction::Test(_) => 0,
                Instruction::At
                | Instruction::EndFilter
                | Instruction::DefaultUnlessNull(_)
                | Instruction::AndJump(_)
                | Instruction::OrJump(_)
                | Instruction::JumpUnlessTrue(_)
                | Instruction::Binary(_) => -1,
                Instruction::Call(_, argc) => 1 - i64::from(argc),
                Instruction::MakeList(n) => 1 - i64::from(n),
            };
            max = max.max(depth);
        }
        usize::try_from(max).unwrap_or(usize::MAX)
    }

    fn describe_path(&self, p: u32) -> String {
        let Some(path) = self.paths.get(p as usize) else {
            return "?".into();
        };
        let name = |i: u32| self.names.get(i as usize).map_or("?", |n| &*n.name);
        let root = match path.root {
            PathRoot::Event(e) => self
                .events
                .get(e as usize)
                .map_or("?".to_string(), |s| s.to_string()),
            PathRoot::Journey(j) => format!(
                "journey.{}",
                self.journey.get(j as usize).map_or("?", |s| s)
            ),
            PathRoot::Current => "current".to_string(),
        };
        let mut text = root;
        for n in path.names.iter() {
            text.push('.');
            text.push_str(name(*n));
        }
        let ty = self
            .types
            .get(path.ty as usize)
            .map_or("?".into(), |t| t.to_string());
        format!("{text} as {ty}")
    }

    /// A listing of the instructions with their operands resolved.
    pub fn disassemble(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "; {} → {}", self.source_text, self.ty);
        for (pc, ins) in self.code.as_slice().iter().enumerate() {
            let _ = write!(out, "{pc:4}  ");
            let name = |i: u32| self.names.get(i as usize).map_or("?", |n| &*n.name);
            let _ = match *ins {
                Instruction::Const(k) => {
                    let text = self
                        .constants
                        .get(k as usize)
                        .map_or("?".into(), describe_constant);
                    write!(out, "const      {text}")
                }
                Instruction::Event(e) => write!(
                    out,
                    "event      {}",
                    self.events.get(e as usize).map_or("?", |s| s)
                ),
                Instruction::Source(s) => match self.sources.get(s as usize) {
                    Some(src) if src.params.is_empty() => {
                        write!(out, "source     {}.{}", src.source, src.group)
                    }
                    Some(src) => write!(
                        out,
                        "source     {}.{} params({})",
                        src.source,
                        src.group,
                        src.params.join(", ")
                    ),
                    None => write!(out, "source     ?"),
                },
                Instruction::Journey(p) => write!(
                    out,
                    "journey    {}",
                    self.journey.get(p as usize).map_or("?", |s| s)
                ),
                Instruction::Current => write!(out, "current"),
                Instruction::Compare(c) => match self.comparisons.get(c as usize) {
                    Some(cmp) => {
                        let path = self.describe_path(cmp.path);
                        let k = self
                            .constants
                            .get(cmp.constant as usize)
                            .map_or("?".into(), describe_constant);
                        write!(out, "compare    {path} {} {k}", binop_name(cmp.op))
                    }
                    None => write!(out, "compare    ?"),
                },
                Instruction::Load(p) => write!(out, "load       {}", self.describe_path(p)),
                Instruction::Predicate(f) => match self.predicates.get(f as usize) {
                    Some(pred) => {
                        let path = self.describe_path(pred.path);
                        let k = self
                            .constants
                            .get(pred.constant as usize)
                            .map_or("?".into(), describe_constant);
                        write!(out, "predicate  {}({path}, {k})", pred.callee.builtin.name)
                    }
                    None => write!(out, "predicate  ?"),
                },
                Instruction::Field(n) => write!(out, "field      {}", name(n)),
                Instruction::Filter(kind, len) => {
                    write!(
                        out,
                        "filter     {} until {}",
                        kind.keyword(),
                        pc + 1 + len as usize
                    )
                }
                Instruction::EndFilter => write!(out, "end-filter"),
                Instruction::At => write!(out, "at"),
                Instruction::Entry(n) => write!(out, "entry      {}", name(n)),
                Instruction::FirstEntryKey => write!(out, "first-key"),
                Instruction::Keys => write!(out, "keys"),
                Instruction::Coerce(t) => {
                    write!(
                        out,
                        "coerce     {}",
                        self.types
                            .get(t as usize)
                            .map_or("?".into(), |t| t.to_string())
                    )
                }
                Instruction::DefaultUnlessNull(t) => write!(out, "default    else → {t}"),
                Instruction::AndJump(t) => write!(out, "and        false → {t}"),
                Instruction::OrJump(t) => write!(out, "or         true → {t}"),
                Instruction::ToBool => write!(out, "to-bool"),
                Instruction::JumpUnlessTrue(t) => write!(out, "jump-unless-true → {t}"),
                Instruction::Jump(t) => write!(out, "jump       → {t}"),
                Instruction::Not => write!(out, "not"),
                Instruction::Neg => write!(out, "neg"),
                Instruction::Binary(op) => write!(out, "{}", binop_name(op)),
                Instruction::Test(op) => write!(out, "test       {}", op.text()),
                Instruction::Call(f, argc) => {
                    let f = self.callees.get(f as usize).map_or("?", |c| c.builtin.name);
                    write!(out, "call       {f}/{argc}")
                }
                Instruction::MakeList(n) => write!(out, "list       {n}"),
            };
            out.push('\n');
        }
        out
    }
}

fn binop_name(op: BinOp) -> &'static str {
    match op {
        BinOp::Eq => "eq",
        BinOp::Ne => "ne",
        BinOp::Lt => "lt",
        BinOp::Le => "le",
        BinOp::Gt => "gt",
        BinOp::Ge => "ge",
        BinOp::Add => "add",
        BinOp::Sub => "sub",
        BinOp::Mul => "mul",
        BinOp::Div => "div",
        BinOp::Rem => "rem",
        BinOp::Concat => "concat",
    }
}

fn describe_constant(c: &Constant) -> String {
    match c {
        Constant::Regex(r) => format!("regex {:?}", r.as_str()),
        Constant::Zone(z) => format!("zone {}", crate::value::zone_name(*z)),
        Constant::DateTime(d) => format!("dateTime {}", temporal::format_date_time(d)),
        other => other.to_value().display_quoted(),
    }
}

#[cfg(test)]
mod tests {
    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn program_is_send_and_sync() {
        assert_send_sync::<super::Program>();
    }
}
