//! Evaluating a comparison of scalar fields does not allocate: values borrow
//! from the event and the operand stack is inline. Counted with a global
//! allocator, so this test file runs single-threaded on purpose.

use jexpr::{Catalog, Compiler, Context};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_during(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    f();
    ALLOCATIONS.load(Ordering::SeqCst) - before
}

#[test]
fn scalar_field_comparisons_do_not_allocate() {
    let doc = serde_json::json!({"events": {"E": {
        "Origin": "MOW", "Country": "RU", "Value": 100, "Adults": 1, "total": 249.9,
        "at": "2024-05-01T10:00:00Z", "user": {"email": "vip@example.com"}
    }}});
    let catalog = Catalog::infer(&doc);
    let ctx = Context::from_json(&doc).expect("context");
    let conditions = [
        r#"(@{E.Origin} == "MOW" or @{E.Country} == "RU") and (@{E.Value} >= 100 or @{E.Adults} == 1)"#,
        r#"@{E.total} > 100.0 and @{E.user.email} != "x""#,
        r#"@{E.at} < toDateTime("2025-01-01T00:00:00Z") and not (@{E.Adults} is null)"#,
    ];
    for src in conditions {
        let program = Compiler::new(&catalog).compile(src).expect("compiles");
        let mut result = false;
        let n = allocations_during(|| {
            result = program.eval(&ctx).map(|v| v.truthy()).unwrap_or(false);
        });
        assert!(result, "{src} should be true");
        assert_eq!(n, 0, "{src} allocated {n} times");
    }
    // The counter does count: building a new string allocates.
    let concat = Compiler::new(&catalog)
        .compile(r#""x" + @{E.Origin} == "xMOW""#)
        .expect("compiles");
    assert!(allocations_during(|| drop(concat.eval(&ctx))) > 0);
}
