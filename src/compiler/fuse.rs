//! Instruction fusion: a field load followed by a constant and a comparison
//! (or a pure boolean builtin) becomes one instruction, which the VM and the
//! register machine run without building intermediate values.

use super::Emitter;
use crate::builtins::Nulls;
use crate::program::{BinOp, Callee, Comparison, Instruction, Predicate};
use crate::span::Span;

impl Emitter {
    /// `Load p, Const k, <comparison>` becomes `Compare`: the VM compares the
    /// data with the constant without building intermediate values.
    pub(super) fn fuse_comparison(&mut self, op: BinOp, span: Span) -> bool {
        if !matches!(
            op,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge
        ) {
            return false;
        }
        let Some((path, constant)) = self.take_load_const() else {
            return false;
        };
        let c = u32::try_from(self.program.comparisons.len()).unwrap_or(u32::MAX);
        self.program
            .comparisons
            .push(Comparison { path, op, constant });
        self.push(Instruction::Compare(c), span);
        true
    }

    /// `Load p, Const k, Call f` of a pure boolean builtin becomes `Predicate`.
    pub(super) fn fuse_predicate(&mut self, callee: Callee, span: Span) -> bool {
        let returns_boolean = callee
            .builtin
            .overloads
            .get(callee.overload)
            .is_some_and(|o| o.ret == crate::builtins::Ty::Boolean && o.params.len() == 2);
        if !callee.builtin.pure || callee.builtin.nulls != Nulls::Propagate || !returns_boolean {
            return false;
        }
        let Some((path, constant)) = self.take_load_const() else {
            return false;
        };
        let p = u32::try_from(self.program.predicates.len()).unwrap_or(u32::MAX);
        self.program.predicates.push(Predicate {
            path,
            callee,
            constant,
        });
        self.push(Instruction::Predicate(p), span);
        true
    }

    /// Removes a trailing `Load p, Const k` (after the last jump target) and
    /// returns `(p, k)`, for fusing it into one instruction.
    pub(super) fn take_load_const(&mut self) -> Option<(u32, u32)> {
        let tail = self.program.code.from(self.barrier)?;
        let [.., Instruction::Load(path), Instruction::Const(constant)] = *tail else {
            return None;
        };
        self.program.code.pop_n(2);
        Some((path, constant))
    }
}
