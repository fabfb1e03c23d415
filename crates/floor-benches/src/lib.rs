//! Benchmarks only: see `benches/apart.rs`.
