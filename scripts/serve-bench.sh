#!/usr/bin/env bash
# Ingestion throughput and latency of `jexpr serve` (SQLite), measured with
# wrk against the release binary: for batch sizes 1 and 100, events accepted
# per second (from the server's own counter) and wrk's latency percentiles.
# Usage: scripts/serve-bench.sh [SECONDS]   (needs wrk: apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
cargo build --release -q
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
for batch in 1 100; do
  rm -f "$work"/serve.db*
  target/release/jexpr serve examples/journeys/welcome.journey.json \
    --catalog examples/journeys/catalog.json --state "$work/serve.db" \
    --listen 127.0.0.1:18181 2>"$work/server.log" &
  server=$!
  until curl -sf localhost:18181/healthz >/dev/null; do sleep 0.1; done
  echo "== batch $batch, ${secs}s, wrk -t1 -c16 =="
  BATCH=$batch wrk -t1 -c16 -d"${secs}s" --latency -s scripts/serve-load.lua http://127.0.0.1:18181 |
    grep -E "Latency|50%|90%|99%|Requests/sec|requests in|Non-2xx"
  accepted=$(curl -s localhost:18181/metrics | awk '/^jexpr_events_accepted_total/ {print $2}')
  echo "events accepted: $accepted ($(( accepted / secs )) events/s)"
  kill -TERM $server; wait $server || true
done
