//! Evaluating a comparison of scalar fields does not allocate (values borrow
//! from the event, the operand stack is inline), and a collection does not
//! allocate per element. Counted with a global allocator, per thread, so the
//! tests may run in parallel.

use jexpr::{Catalog, Compiler, Context};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    // Const-initialised: reading them never allocates.
    static ACTIVE: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ACTIVE.try_with(|active| {
            if active.get() {
                let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
            }
        });
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
    ALLOCATIONS.with(|n| n.set(0));
    ACTIVE.with(|a| a.set(true));
    f();
    ACTIVE.with(|a| a.set(false));
    ALLOCATIONS.with(|n| n.get())
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

#[test]
fn collections_do_not_allocate_per_element() {
    let doc = |n: usize| {
        // Prices spread so that both sizes keep some elements (same work per element).
        let products: Vec<serde_json::Value> = (0..n)
            .map(|i| serde_json::json!({"sku": format!("S{i}"), "price": (i * 37 % 100) as f64}))
            .collect();
        serde_json::json!({"events": {"E": {"products": products}}})
    };
    let small = doc(3);
    let large = doc(300);
    let catalog = Catalog::infer(&small);
    let program = Compiler::new(&catalog)
        .compile("count(@{E.products.all(currentEventField.price > 50.0).sku}) > 1")
        .expect("compiles");
    let count = |d: &serde_json::Value| {
        let ctx = Context::from_json(d).expect("context");
        allocations_during(|| drop(program.eval(&ctx)))
    };
    let (a, b) = (count(&small), count(&large));
    assert_eq!(
        a, b,
        "3 elements allocate {a} times, 300 elements {b} times"
    );
}
