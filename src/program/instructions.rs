//! The instruction buffer: each instruction with the span of the expression
//! it belongs to, kept together so no edit can put them out of step.

use super::Instruction;
use crate::span::Span;

/// Instructions and their spans, always of equal length.
#[derive(Clone, Debug, Default)]
pub(crate) struct Instructions {
    code: Vec<Instruction>,
    spans: Vec<Span>,
}

impl Instructions {
    /// Appends `ins`, located at `span`.
    pub fn push(&mut self, ins: Instruction, span: Span) {
        self.code.push(ins);
        self.spans.push(span);
    }

    /// Removes the last `n` instructions (all of them if fewer).
    pub fn pop_n(&mut self, n: usize) {
        let keep = self.code.len().saturating_sub(n);
        self.code.truncate(keep);
        self.spans.truncate(keep);
    }

    /// Replaces the instruction at `at` (its span stays).
    pub fn patch(&mut self, at: usize, ins: Instruction) {
        if let Some(slot) = self.code.get_mut(at) {
            *slot = ins;
        }
    }

    /// The last `n` instructions, if there are that many.
    pub fn last_n(&self, n: usize) -> Option<&[Instruction]> {
        self.code.get(self.code.len().checked_sub(n)?..)
    }

    /// The instructions from `start` on.
    pub fn from(&self, start: usize) -> Option<&[Instruction]> {
        self.code.get(start..)
    }

    /// The instruction at `pc`.
    pub fn get(&self, pc: usize) -> Option<Instruction> {
        self.code.get(pc).copied()
    }

    /// The span of the instruction at `pc` (empty past the end).
    pub fn span(&self, pc: usize) -> Span {
        self.spans.get(pc).copied().unwrap_or_default()
    }

    /// All instructions in order.
    pub fn as_slice(&self) -> &[Instruction] {
        &self.code
    }

    /// Number of instructions.
    pub fn len(&self) -> usize {
        self.code.len()
    }
}
