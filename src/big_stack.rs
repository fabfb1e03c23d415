//! Running recursive stages on a stack big enough for the nesting limit.
//!
//! The parser, checker and compiler recurse once per nesting level, and a
//! debug build of pest's generated parser needs tens of KB per level. Rather
//! than trust the caller's stack (2 MB on a test thread), deep inputs run on a
//! scoped helper thread with a known stack; shallow ones, nearly every real
//! expression, run inline and pay nothing.

/// Nesting up to this depth runs on the caller's stack.
pub const INLINE_DEPTH: usize = 8;
/// Stack for the helper thread: room for `MAX_DEPTH` levels in a debug build.
const DEEP_STACK_BYTES: usize = 256 * 1024 * 1024;

/// Runs `f` inline when `depth` is small, else on a thread with a large stack.
/// Returns `None` only if the helper thread could not be started.
pub fn run_with_depth<T: Send>(depth: usize, f: impl FnOnce() -> T + Send) -> Option<T> {
    if depth <= INLINE_DEPTH {
        return Some(f());
    }
    std::thread::scope(|scope| {
        let handle = std::thread::Builder::new()
            .name("jexpr-deep".into())
            .stack_size(DEEP_STACK_BYTES)
            .spawn_scoped(scope, f)
            .ok()?;
        handle.join().ok()
    })
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
