#!/usr/bin/env bash
# `jexpr serve` (SQLite) with 1,000,000 waiting instances: loads them with
# batches of 100 (each event a new profile entering the welcome journey and
# waiting its three days), measures the idle server (CPU time and resident
# memory over 30 s), then sends a trickle of probe events (100/s for 60 s)
# that enter a journey waiting 5 s (scripts/bench/tick.journey.json), and
# reports their timer lateness (jexpr_timer_lateness_seconds) — the cost of
# firing a timer with a million others in the index.
# Usage: scripts/serve-bench-million.sh [INSTANCES]   (default 1000000; needs wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
want=${1:-1000000}
cargo build --release -q
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
target/release/jexpr serve examples/journeys/welcome.journey.json scripts/bench/tick.journey.json \
  --catalog examples/journeys/catalog.json --state "$work/serve.db" \
  --listen 127.0.0.1:18183 2>"$work/server.log" &
server=$!
until curl -sf localhost:18183/healthz >/dev/null; do sleep 0.1; done
metric() { curl -s localhost:18183/metrics | awk -v m="$1" '$1 == m {print $2}'; }
started=$(date +%s)
run=0
while [ "$(metric jexpr_instances_waiting)" -lt "$want" ]; do
  run=$((run + 1))
  RUN="r$run-" BATCH=100 wrk -t1 -c16 -d5s -s scripts/serve-load.lua http://127.0.0.1:18183 >/dev/null
  sleep 3 # the waiting gauge is refreshed at the first quiet moment
done
loaded=$(date +%s)
echo "loaded $(metric jexpr_instances_waiting) waiting instances in $((loaded - started)) s; state $(du -sh "$work" | cut -f1)"
cpu() { awk '{print $14 + $15}' "/proc/$server/stat"; }
rss() { awk '/VmRSS/ {print $2 / 1024 " MiB"}' "/proc/$server/status"; }
c0=$(cpu); r0=$(rss); sleep 30; c1=$(cpu); r1=$(rss)
echo "idle 30 s: CPU ticks $c0 -> $c1 (1 tick = 10 ms); resident $r0 -> $r1"
RATE=100 wrk -t1 -c1 -d60s -s scripts/bench/tick.lua http://127.0.0.1:18183 | grep -E "requests in"
sleep 8
echo "timer lateness of the probes (a million other instances waiting):"
curl -s localhost:18183/metrics | grep -E "^jexpr_timer_lateness_seconds_(bucket|count|sum)"
echo "resident after: $(rss)"
kill -TERM $server; wait $server || true
