//! The journey runner end to end: events per second of the example journey
//! mix (examples/journeys: welcome, cart and winback over 4,000 lines of 600
//! profiles, with conditions, splits, actions, waits, reactions and a weekly
//! audience read), in memory and with a SQLite state.
//!
//! `cargo bench -p jexpr-journey --bench runner`; larger runs and
//! PostgreSQL are measured by scripts/runner-bench.sh and scripts/scale.sh.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use jexpr_journey::engine::Journeys;
use jexpr_journey::runner::Runner;
use jexpr_journey::store::{Fingerprint, MemoryStore, SqliteStore};
use jexpr_journey::{CompiledJourney, JourneyCatalog};
use std::path::{Path, PathBuf};

const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/journeys");

fn compiled(catalog: &JourneyCatalog) -> Vec<CompiledJourney> {
    let files: Vec<(String, String)> = ["welcome", "cart", "winback"]
        .iter()
        .map(|n| {
            let path = Path::new(EXAMPLES).join(format!("{n}.journey.json"));
            let text = std::fs::read_to_string(&path).expect("example journey");
            (path.display().to_string(), text)
        })
        .collect();
    let (report, compiled) = jexpr_journey::check(&files, catalog);
    assert!(!report.has_errors(), "{}", report.render());
    compiled
}

fn runner(c: &mut Criterion) {
    let catalog =
        JourneyCatalog::load(&Path::new(EXAMPLES).join("catalog.json")).expect("example catalog");
    let events = std::fs::read(Path::new(EXAMPLES).join("events.jsonl")).expect("events");
    let profiles = std::fs::read(Path::new(EXAMPLES).join("profiles.jsonl")).expect("profiles");
    let lines = events.iter().filter(|b| **b == b'\n').count() as u64;
    let mut group = c.benchmark_group("runner/example-mix");
    group.throughput(Throughput::Elements(lines));
    group.sample_size(10);
    group.bench_function("memory", |b| {
        b.iter_batched(
            || compiled(&catalog),
            |journeys| {
                let mut out = std::io::sink();
                let runner = Runner::new(
                    Journeys::new(journeys),
                    &catalog,
                    MemoryStore::default(),
                    &mut out,
                );
                let mut p = &profiles[..];
                runner.run(Some(&mut p), &events[..], None).expect("run")
            },
            BatchSize::PerIteration,
        )
    });
    let dir = std::env::temp_dir().join(format!("jexpr-bench-runner-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut n = 0u32;
    group.bench_function("sqlite", |b| {
        b.iter_batched(
            || {
                n += 1;
                let path: PathBuf = dir.join(format!("state-{n}.db"));
                let store = SqliteStore::open(&path, &Fingerprint::default()).expect("state");
                (compiled(&catalog), store, path)
            },
            |(journeys, store, path)| {
                let mut out = std::io::sink();
                let runner = Runner::new(Journeys::new(journeys), &catalog, store, &mut out);
                let mut p = &profiles[..];
                let summary = runner.run(Some(&mut p), &events[..], None).expect("run");
                for suffix in ["", "-wal", "-shm", "-lock"] {
                    let mut name = path.clone().into_os_string();
                    name.push(suffix);
                    let _ = std::fs::remove_file(name);
                }
                summary
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, runner);
criterion_main!(benches);
