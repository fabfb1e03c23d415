//! Running recursive stages on a stack big enough for the nesting limit.
//!
//! The parser, checker and compiler recurse once per nesting level, and a
//! debug build of pest's generated parser needs tens of KB per level. Rather
//! than trust the caller's stack (2 MB on a test thread), a stage runs inline
//! when the stack left is ample for its depth, and otherwise on a fresh stack
//! segment (`stacker`, which pest already uses) — no thread is started.

/// Stack a nesting level may need (pest's generated code is much larger
/// unoptimised).
const PER_LEVEL: usize = if cfg!(debug_assertions) {
    64 * 1024
} else {
    32 * 1024
};
/// Room kept beyond the estimate.
const RED_ZONE: usize = 256 * 1024;

/// Runs `f` inline when the stack left is ample for `depth` levels, else on
/// a new stack segment of the size needed. (`Option` for callers that once
/// could fail to start a helper thread; it is always `Some` now.)
pub fn run_with_depth<T>(depth: usize, f: impl FnOnce() -> T) -> Option<T> {
    let needed = depth.saturating_add(8).saturating_mul(PER_LEVEL);
    match stacker::remaining_stack() {
        Some(left) if left > needed.saturating_add(RED_ZONE) => Some(f()),
        _ => Some(stacker::grow(needed.saturating_add(RED_ZONE), f)),
    }
}

/// The diagnostic for input nested too deeply for `stage` on this machine
/// (the helper thread could not be started).
pub fn too_deep(stage: &str) -> crate::Diagnostic {
    crate::Diagnostic::new(
        "E0121",
        crate::Span::point(0),
        format!("the expression is nested too deeply to {stage} on this machine"),
    )
}
