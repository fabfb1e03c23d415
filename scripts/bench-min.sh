#!/usr/bin/env bash
# Runs one criterion bench binary ROUNDS times (1 s each) and prints each
# benchmark's minimum and median over the rounds: on a noisy machine the
# minimum of short runs is steadier than one long run's median.
# Usage: scripts/bench-min.sh ROUNDS PACKAGE BENCH [FILTER]
#   e.g. scripts/bench-min.sh 8 peer-benches peers '^(end_to_end|journey_step)/'
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=$1 package=$2 bench=$3 filter=${4:-}
cargo bench -q -p "$package" --bench "$bench" --no-run
bin=$(cargo bench -q -p "$package" --bench "$bench" --no-run --message-format=json 2>/dev/null |
  python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == sys.argv[1]:
        print(m["executable"])' "$bench" | tail -1)
for _ in $(seq "$rounds"); do
  "$bin" --bench --warm-up-time 0.5 --measurement-time 1 --output-format bencher $filter 2>/dev/null |
    awk '/^test / {gsub(",", "", $5); print $2, $5}'
done | python3 -c '
import statistics, sys
runs = {}
for line in sys.stdin:
    name, ns = line.split()
    runs.setdefault(name, []).append(float(ns))
print("| benchmark | min (ns) | median (ns) | runs |\n|---|---|---|---|")
for name in sorted(runs):
    print(f"| {name} | {min(runs[name]):.0f} | {statistics.median(runs[name]):.0f} | {len(runs[name])} |")
'
