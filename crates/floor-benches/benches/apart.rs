//! The peers and floors of `peer-benches` again, in a binary built without
//! serde_json's `preserve_order` (which jexpr needs and which slows every
//! `serde_json::Value` a peer or floor touches). Groups are named
//! `apart_<group>`; scripts/peer-bench.sh runs this binary and the main one
//! alternately and reports both.

use criterion::{criterion_group, criterion_main, Criterion};
use peer_benches::*;

fn apart(c: &mut Criterion) {
    let mut group = c.benchmark_group("apart_yardstick");
    yardstick_peers(&mut group);
    group.finish();
    let mut group = c.benchmark_group("apart_event_condition");
    event_condition_peers(&mut group);
    group.finish();
    let mut group = c.benchmark_group("apart_collection");
    collection_peers(&mut group);
    group.finish();
    let mut group = c.benchmark_group("apart_collection_size");
    for n in COLLECTION_SIZES {
        group.throughput(criterion::Throughput::Elements(n as u64));
        collection_size_peers(&mut group, n);
    }
    group.finish();
    let mut group = c.benchmark_group("apart_end_to_end");
    end_to_end_peers(&mut group);
    group.finish();
    let mut group = c.benchmark_group("apart_collection_end_to_end");
    collection_end_to_end_peers(&mut group);
    group.finish();
    let mut group = c.benchmark_group("apart_journey_step");
    step_peers(&mut group);
    group.finish();
}

criterion_group!(benches, apart);
criterion_main!(benches);
