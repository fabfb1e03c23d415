//! The boolean register machine: programs that are only comparisons and
//! boolean builtins of fields with constants, joined by `and`/`or`/`not`
//! (most journey conditions), run with one register and no operand stack.
//! Whenever something needs more (a list on the path, data to coerce, an
//! error to locate), it gives up and the full VM runs the program, which
//! decides the same way.

use super::{lookup, Context};
use crate::program::raw::{self, Raw};
use crate::program::{Constant, Instruction, PathRoot, Program};
use crate::types::Type;
use crate::value::Value;
use serde_json::Value as Json;

/// The condition's value from the context's data (`Some(None)` is `null`),
/// or `None` to let the full VM evaluate it.
pub fn eval(program: &Program, ctx: &Context<'_>) -> Option<Option<bool>> {
    run(program, ctx, &mut |p| leaf(program, ctx, p))
}

/// The same, with the leaves of the paths given by `leaf` (`None`: give up).
pub fn run<'d>(
    program: &Program,
    ctx: &Context<'_>,
    leaf: &mut impl FnMut(u32) -> Option<Raw<'d>>,
) -> Option<Option<bool>> {
    // Each instruction runs at most once: the fuel check is the program length.
    if ctx.fuel < program.code.len() as u64 {
        return None;
    }
    run_range(program, 0..program.code.len(), leaf).map(|(acc, _)| acc)
}

/// Runs the instructions in `range` (a whole program, or a filter's body
/// ending with its `end-filter`): the register's value and how many
/// instructions ran, or `None` to let the full VM run them. Inlined into
/// each caller with its `leaf`, so leaves stay in registers.
#[inline(always)]
pub(super) fn run_range<'d>(
    program: &Program,
    range: std::ops::Range<usize>,
    leaf: &mut impl FnMut(u32) -> Option<Raw<'d>>,
) -> Option<(Option<bool>, u64)> {
    let code = program.code.as_slice().get(range.clone())?;
    // The register holds true, false or null; jumps and `not` read null as false.
    let mut acc: Option<bool> = Some(false);
    let mut steps = 0u64;
    let mut at = 0;
    while let Some(ins) = code.get(at) {
        steps += 1;
        let truthy = acc == Some(true);
        match *ins {
            Instruction::Compare(c) => {
                let cmp = program.comparisons.get(c as usize)?;
                let constant = program.constants.get(cmp.constant as usize);
                // Read where the leaf was returned, not moved out first: a
                // move copies it with one wide load from narrower stores.
                let found = leaf(cmp.path);
                let raw = found.as_ref()?;
                acc = Some(raw::compare(
                    cmp.op,
                    raw,
                    constant,
                    path_type(program, cmp.path),
                )?);
            }
            Instruction::Predicate(f) => acc = predicate(program, f, leaf)?,
            Instruction::OrJump(target) if truthy => {
                acc = Some(true);
                at = (target as usize).checked_sub(range.start)?;
                continue;
            }
            Instruction::AndJump(target) if !truthy => {
                acc = Some(false);
                at = (target as usize).checked_sub(range.start)?;
                continue;
            }
            Instruction::OrJump(_) | Instruction::AndJump(_) | Instruction::EndFilter => {}
            Instruction::ToBool => acc = Some(truthy),
            Instruction::Not => acc = Some(!truthy),
            Instruction::Const(k) => match program.constants.get(k as usize) {
                Some(Constant::Bool(b)) => acc = Some(*b),
                _ => return None,
            },
            _ => return None,
        }
        at += 1;
    }
    Some((acc, steps))
}

/// A filter's condition for one element (`current`): the register's value
/// and how many instructions ran, or `None` to let the full VM decide.
pub fn run_body(
    program: &Program,
    ctx: &Context<'_>,
    body: std::ops::Range<usize>,
    element: &Json,
) -> Option<(Option<bool>, u64)> {
    run_range(
        program,
        body,
        &mut |p| match program.paths.get(p as usize)?.root {
            PathRoot::Current => walk_leaf(program, element, p),
            _ => leaf(program, ctx, p),
        },
    )
}

/// The scalar at path `p` (null when absent), or `None` when reaching it
/// needs the full VM (a list or scalar on the way means projection).
/// Always inlined: its result returned through memory stalled the
/// caller (a quarter of a plain condition's time).
#[inline(always)]
pub fn leaf<'c>(program: &Program, ctx: &'c Context<'_>, p: u32) -> Option<Raw<'c>> {
    let path = program.paths.get(p as usize)?;
    let root: &'c Json = match path.root {
        PathRoot::Event(e) => match ctx.event(program.events.get(e as usize)?) {
            Some(j) => j,
            None => return Some(Raw::Null),
        },
        PathRoot::Journey(j) => match ctx.journey.get(&**program.journey.get(j as usize)?) {
            Some(j) => j,
            None => return Some(Raw::Null),
        },
        PathRoot::Current => return None,
    };
    walk_leaf(program, root, p)
}

/// Path `p`'s field names followed from `json`, as [`leaf`] does.
/// Inlined: its result returned through memory stalled the caller.
#[inline]
fn walk_leaf<'c>(program: &Program, mut json: &'c Json, p: u32) -> Option<Raw<'c>> {
    let path = program.paths.get(p as usize)?;
    for &n in path.names.iter() {
        let field = program.names.get(n as usize)?;
        match json {
            Json::Object(_) => match lookup(json, &field.name, &field.xdm) {
                Some(child) => json = child,
                None => return Some(Raw::Null),
            },
            Json::Null => return Some(Raw::Null),
            _ => return None,
        }
    }
    Raw::of_json(json)
}

fn path_type(program: &Program, p: u32) -> Option<&Type> {
    program
        .paths
        .get(p as usize)
        .and_then(|path| program.types.get(path.ty as usize))
}

/// `f(path, constant)` on a string leaf (`Some(None)`: null, from a null
/// argument); anything else goes to the full VM.
fn predicate<'d>(
    program: &Program,
    f: u32,
    leaf: &mut impl FnMut(u32) -> Option<Raw<'d>>,
) -> Option<Option<bool>> {
    let pred = program.predicates.get(f as usize)?;
    let text = match (leaf(pred.path)?, path_type(program, pred.path)) {
        (Raw::Null, _) => return Some(None),
        (Raw::Str(s), Some(Type::String)) => s,
        _ => return None,
    };
    let k = program.constants.get(pred.constant as usize)?;
    if matches!(k, Constant::Null) {
        return Some(None);
    }
    let overload = pred.callee.builtin.overloads.get(pred.callee.overload)?;
    // Built in place: a value made first and moved in was copied from
    // where its parts had just been stored, a store-forwarding stall.
    let mut args = [Value::str(text), k.to_value()];
    match crate::builtins::with_pure_env(|env| (overload.imp)(&mut args, env)) {
        Ok(Value::Bool(b)) => Some(Some(b)),
        Ok(Value::Null) => Some(None),
        _ => None,
    }
}
