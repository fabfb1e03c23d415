#!/usr/bin/env bash
# The peer benchmarks, run as issue 15 asks: jexpr beside cel 0.15, evalexpr
# and hand-written floors in one binary (crates/peer-benches, which has
# serde_json's `preserve_order` because jexpr needs it), and the same peers
# and floors in a binary built without it (crates/floor-benches), run
# alternately ROUNDS times. Prints each benchmark's median over the rounds
# and the ratios BENCHMARKS.md reports, against both kinds of floor.
# Usage: scripts/peer-bench.sh [ROUNDS] [extra criterion arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-2}
shift || true
args=(--warm-up-time 1 --measurement-time 3 "$@")
if cargo tree -q -p floor-benches -e features -i serde_json | grep -q preserve_order; then
  echo "peer-bench: floor-benches must not enable serde_json's preserve_order" >&2
  exit 1
fi
cargo bench -q -p peer-benches --bench peers --no-run
cargo bench -q -p floor-benches --bench apart --no-run
out=target/peer-bench
rm -rf "$out" && mkdir -p "$out"
for r in $(seq 1 "$rounds"); do
  echo "round $r/$rounds: peers (with preserve_order)" >&2
  cargo bench -q -p peer-benches --bench peers -- "${args[@]}" > "$out/peers-$r.log" 2>&1
  python3 scripts/criterion-medians.py collect > "$out/round-$r-a.json"
  echo "round $r/$rounds: floors and peers apart (without preserve_order)" >&2
  cargo bench -q -p floor-benches --bench apart -- "${args[@]}" > "$out/apart-$r.log" 2>&1
  python3 scripts/criterion-medians.py collect > "$out/round-$r-b.json"
done
python3 scripts/criterion-medians.py report "$out"/round-*.json
