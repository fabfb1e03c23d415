//! The operand stack: inline for the common small program, so evaluating a
//! simple condition does not allocate; on the heap, sized once, otherwise.

use crate::value::Value;

/// Programs whose stack fits in this many slots evaluate without allocating it.
pub const INLINE_SLOTS: usize = 8;

// The inline variant is large on purpose: it is what avoids the allocation.
#[allow(clippy::large_enum_variant)]
enum Slots<'c> {
    Inline([Value<'c>; INLINE_SLOTS]),
    Heap(Box<[Value<'c>]>),
}

pub struct Stack<'c> {
    slots: Slots<'c>,
    len: usize,
}

impl<'c> Stack<'c> {
    /// A stack with room for `depth` values (the compiler's bound).
    pub fn with_depth(depth: usize) -> Stack<'c> {
        let slots = if depth <= INLINE_SLOTS {
            Slots::Inline([const { Value::Null }; INLINE_SLOTS])
        } else {
            Slots::Heap((0..depth).map(|_| Value::Null).collect())
        };
        Stack { slots, len: 0 }
    }

    fn slots(&mut self) -> &mut [Value<'c>] {
        match &mut self.slots {
            Slots::Inline(a) => a,
            Slots::Heap(b) => b,
        }
    }

    /// Pushes `v`; `false` if the stack is full (a compiler bug, reported, not a panic).
    #[must_use]
    pub fn push(&mut self, v: Value<'c>) -> bool {
        let len = self.len;
        match self.slots().get_mut(len) {
            Some(slot) => {
                *slot = v;
                self.len += 1;
                true
            }
            None => false,
        }
    }

    pub fn pop(&mut self) -> Value<'c> {
        if self.len == 0 {
            return Value::Null;
        }
        self.len -= 1;
        let len = self.len;
        self.slots()
            .get_mut(len)
            .map(std::mem::take)
            .unwrap_or_default()
    }

    pub fn top(&self) -> Option<&Value<'c>> {
        let slots: &[Value<'c>] = match &self.slots {
            Slots::Inline(a) => a,
            Slots::Heap(b) => b,
        };
        self.len.checked_sub(1).and_then(|i| slots.get(i))
    }

    /// The top `n` values, in push order.
    pub fn top_n(&mut self, n: usize) -> &mut [Value<'c>] {
        let len = self.len;
        let at = len.saturating_sub(n);
        self.slots().get_mut(at..len).unwrap_or_default()
    }

    /// Removes the top `n` values (after `top_n` was used).
    pub fn drop_n(&mut self, n: usize) {
        for _ in 0..n.min(self.len) {
            self.pop();
        }
    }

    /// Moves the top `n` values out, in push order.
    pub fn take_n(&mut self, n: usize) -> Vec<Value<'c>> {
        let items = self.top_n(n).iter_mut().map(std::mem::take).collect();
        self.len = self.len.saturating_sub(n);
        items
    }
}
