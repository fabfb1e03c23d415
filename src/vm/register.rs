//! The boolean register machine: programs that are only comparisons of
//! fields with constants, joined by `and`/`or`/`not` (most journey
//! conditions), run with one `bool` and no operand stack. Whenever something
//! needs more (a list on the path, data to coerce, an error to locate), it
//! gives up and the full VM runs the program, which decides the same way.

use super::{compare_in_place, get, Context};
use crate::program::{Constant, Instruction, PathRoot, Program};
use crate::value::Value;
use serde_json::Value as Json;

/// The condition's value, or `None` to let the full VM evaluate it.
pub fn eval(program: &Program, ctx: &Context<'_>) -> Option<bool> {
    // Each instruction runs at most once: the fuel check is the program length.
    if ctx.fuel < program.code.len() as u64 {
        return None;
    }
    let mut acc = false;
    let mut pc = 0;
    while let Some(ins) = program.code.get(pc) {
        match *ins {
            Instruction::Compare(c) => acc = compare(program, ctx, c)?,
            Instruction::OrJump(target) if acc => {
                pc = target as usize;
                continue;
            }
            Instruction::AndJump(target) if !acc => {
                pc = target as usize;
                continue;
            }
            Instruction::OrJump(_) | Instruction::AndJump(_) | Instruction::ToBool => {}
            Instruction::Not => acc = !acc,
            Instruction::Const(k) => {
                acc = matches!(
                    program.constants.get(k as usize),
                    Some(Constant::Bool(true))
                )
            }
            _ => return None,
        }
        pc += 1;
    }
    Some(acc)
}

fn compare(program: &Program, ctx: &Context<'_>, c: u32) -> Option<bool> {
    let cmp = program.comparisons.get(c as usize)?;
    let path = program.paths.get(cmp.path as usize)?;
    let mut json: &Json = match path.root {
        PathRoot::Event(e) => match ctx.event(program.events.get(e as usize)?) {
            Some(j) => j,
            None => return leaf(program, cmp, &Value::Null),
        },
        PathRoot::Journey(j) => match ctx.journey.get(&**program.journey.get(j as usize)?) {
            Some(j) => j,
            None => return leaf(program, cmp, &Value::Null),
        },
        PathRoot::Current => return None,
    };
    for &n in path.names.iter() {
        let field = program.names.get(n as usize)?;
        match json {
            Json::Object(_) => match get(json, &field.name, &field.xdm) {
                Value::Json(child) => json = child,
                other => return leaf(program, cmp, &other),
            },
            // A list on the path means projection: the full VM does that.
            _ => return None,
        }
    }
    leaf(program, cmp, &Value::Json(json))
}

fn leaf(program: &Program, cmp: &crate::program::Comparison, raw: &Value<'_>) -> Option<bool> {
    let constant = program.constants.get(cmp.constant as usize);
    let ty = program
        .paths
        .get(cmp.path as usize)
        .and_then(|p| program.types.get(p.ty as usize));
    compare_in_place(cmp.op, raw, constant, ty)
}
