#!/usr/bin/env bash
# `jexpr serve` (SQLite) with 1,000,000 waiting instances: loads them with
# batches of 100 (each event a new profile entering the welcome journey, its
# first wait shortened to WAIT by --wait-override), then measures the idle
# server (CPU time and resident memory over 30 s, before anything is due) and
# the timer lateness when they all fall due (jexpr_timer_lateness_seconds).
# Usage: scripts/serve-bench-million.sh [WAIT]   (default PT4M; needs wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
wait=${1:-PT4M}
cargo build --release -q
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
target/release/jexpr serve examples/journeys/welcome.journey.json \
  --catalog examples/journeys/catalog.json --state "$work/serve.db" \
  --listen 127.0.0.1:18183 --wait-override "$wait" 2>"$work/server.log" &
server=$!
until curl -sf localhost:18183/healthz >/dev/null; do sleep 0.1; done
waiting() { curl -s localhost:18183/metrics | awk '/^jexpr_instances_waiting/ {print $2}'; }
started=$(date +%s)
run=0
while [ "$(waiting)" -lt 1000000 ]; do
  run=$((run + 1))
  RUN="r$run-" BATCH=100 wrk -t1 -c16 -d5s -s scripts/serve-load.lua http://127.0.0.1:18183 >/dev/null
done
loaded=$(date +%s)
echo "loaded $(waiting) waiting instances in $((loaded - started)) s; state $(du -sh "$work" | cut -f1)"
cpu() { awk '{print $14 + $15}' "/proc/$server/stat"; }
rss() { awk '/VmRSS/ {print $2 / 1024 " MiB"}' "/proc/$server/status"; }
c0=$(cpu); r0=$(rss); sleep 30; c1=$(cpu); r1=$(rss)
echo "idle 30 s: CPU ticks $c0 -> $c1 (1 tick = 10 ms); resident $r0 -> $r1"
# Wait for the first waits (and the rest) to fall due and fire.
while [ "$(waiting)" -gt 0 ] && [ "$(curl -s localhost:18183/metrics | awk '/^jexpr_timer_lateness_seconds_count/ {print $2}')" -lt 1000000 ]; do sleep 5; done
echo "after the waits fell due ($(( $(date +%s) - loaded )) s after loading):"
curl -s localhost:18183/metrics | grep -E "^jexpr_timer_lateness_seconds_(bucket|count|sum)"
kill -TERM $server; wait $server || true
