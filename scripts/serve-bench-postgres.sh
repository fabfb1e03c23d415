#!/usr/bin/env bash
# `jexpr serve` on PostgreSQL: two processes on one throwaway cluster (started
# by scripts/with-postgres.sh), wrk posting batches of 100 events to both at
# once for SECONDS; reports events accepted per second (the processes' own
# counters), wrk's latency (request → durable 202), and how long after the
# load every accepted event was handled (its `enter` record in the state).
# Usage: scripts/serve-bench-postgres.sh [SECONDS]   (needs wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
cargo build --release -q
exec scripts/with-postgres.sh bash -c '
set -euo pipefail
secs='"$secs"'
work=$(mktemp -d)
pids=()
trap "kill \${pids[*]} 2>/dev/null || true; rm -rf $work" EXIT
for n in 1 2; do
  target/release/jexpr serve examples/journeys/welcome.journey.json \
    --catalog examples/journeys/catalog.json --state "$JEXPR_TEST_POSTGRES" \
    --process-name "p$n" --listen 127.0.0.1:1819$n 2>"$work/p$n.log" &
  pids+=($!)
  until curl -sf localhost:1819$n/healthz >/dev/null; do sleep 0.1; done
done
sleep 2 # the second process takes its share of the partitions
echo "== 2 processes, batch 100, ${secs}s, wrk -t1 -c8 against each =="
loads=()
for n in 1 2; do
  RUN="p$n-" BATCH=100 wrk -t1 -c8 -d"${secs}s" --latency -s scripts/serve-load.lua http://127.0.0.1:1819$n >"$work/wrk$n.txt" &
  loads+=($!)
done
wait "${loads[@]}"
ended=$(date +%s.%N)
accepted=0
for n in 1 2; do
  grep -E "50%|99%|Requests/sec" "$work/wrk$n.txt" | sed "s/^/  p$n /"
  a=$(curl -s localhost:1819$n/metrics | awk "/^jexpr_events_accepted_total/ {print \$2}")
  accepted=$((accepted + a))
done
echo "events accepted: $accepted ($((accepted / secs)) events/s)"
while true; do
  entered=$(psql "$JEXPR_TEST_POSTGRES" -Atc "SELECT count(*) FROM jexpr_trace WHERE line LIKE '"'"'%\"kind\":\"enter\"%'"'"'")
  [ "$entered" -ge "$accepted" ] && break
  sleep 0.2
done
echo "all $entered handled $(echo "$(date +%s.%N) - $ended" | bc) s after the load ended"
'
