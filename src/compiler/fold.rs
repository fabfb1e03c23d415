//! Constant folding: pure, constant, straight-line code is computed at
//! compile time by the very implementations the VM runs (`value::ops`, the
//! builtins), so folding and evaluation cannot disagree. A fold that fails
//! is left for run time, where it is an evaluation error.

use super::Emitter;
use crate::program::{Constant, Instruction};
use crate::span::Span;
use crate::value::Value;

impl Emitter {
    /// The constants the last `n` instructions push, if they are all `Const`.
    pub(super) fn trailing_constants(&self, n: usize) -> Option<Vec<Constant>> {
        if !self.fold || self.program.code.len() < n + self.barrier {
            return None;
        }
        let tail = self.program.code.last_n(n)?;
        tail.iter()
            .map(|ins| match ins {
                Instruction::Const(k) => self.program.constants.get(*k as usize).cloned(),
                _ => None,
            })
            .collect()
    }

    /// Replaces the last `n` constant pushes by the constant `f` computes
    /// from them. A failure is left for the VM to report at run time.
    pub(super) fn try_fold(
        &mut self,
        n: usize,
        span: Span,
        f: impl FnOnce(Vec<Value<'_>>) -> Result<Value<'_>, String>,
    ) -> bool {
        let Some(consts) = self.trailing_constants(n) else {
            return false;
        };
        let values: Vec<Value<'_>> = consts.iter().map(Constant::to_value).collect();
        let units: u64 = values.iter().map(crate::value::ops::work_units).sum();
        if units > self.fold_budget {
            return false;
        }
        self.fold_budget -= units;
        let Some(value) = f(values).ok() else {
            return false;
        };
        // What the folded constant allocated counts too: folding must not
        // take more memory than evaluating would be allowed to.
        let allocated = crate::value::ops::alloc_units(&value);
        if allocated > self.fold_budget {
            return false;
        }
        self.fold_budget -= allocated;
        let Some(folded) = Constant::from_value(&value) else {
            return false;
        };
        self.program.code.pop_n(n);
        self.constant(folded, span);
        true
    }
}
