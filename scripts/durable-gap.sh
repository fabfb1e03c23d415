#!/usr/bin/env bash
# Issue 27's durable-runner workload: PROFILES profiles (default 30,000) and
# LINES lines (default 90,000) from examples/journeys/generate.py, two
# journeys — welcome (waits and a reaction) and a big-spender journey (a
# condition on the cart total and an action) — replayed by `jexpr run` in
# memory and with `--state` (SQLite). Prints each run's wall, user and
# system time, and the ratio. With PERF=1, records the SQLite run with
# `perf` and prints its top symbols (the profile that explains the gap).
# Usage: [PERF=1] scripts/durable-gap.sh [PROFILES] [LINES]
set -euo pipefail
cd "$(dirname "$0")/.."
profiles=${1:-30000}
lines=${2:-90000}
cargo build --release -q -p jexpr-cli
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 examples/journeys/generate.py "$dir" "$profiles" "$lines" 60
cat >"$dir/bigspender.journey.json" <<'JSON'
{"id": "bigspender", "version": 1, "name": "Big spenders", "start": "cart",
 "reentrance": {"allowed": true},
 "nodes": {
   "cart": {"type": "event", "event": "CartUpdated", "next": "big"},
   "big": {"type": "condition",
           "paths": [{"label": "big", "when": "@{CartUpdated.total} > 300.0", "next": "thank"}],
           "otherwise": "done"},
   "thank": {"type": "action", "action": "email",
             "params": {"to": "@{CartUpdated.email}", "subject": "\"Thank you\"", "greeting": "\"Hello\""},
             "next": "done"},
   "done": {"type": "end"}}}
JSON
args=(examples/journeys/welcome.journey.json "$dir/bigspender.journey.json"
      --catalog examples/journeys/catalog.json --profiles "$dir/profiles.jsonl"
      --events "$dir/events.jsonl" --trace "$dir/trace.jsonl")
run() {
  local label=$1; shift
  rm -f "$dir/state.db"* "$dir/trace.jsonl"
  /usr/bin/time -f "$label: %e s wall, %U s user, %S s system, %M KiB peak" \
    target/release/jexpr run "${args[@]}" "$@" 2>&1 >/dev/null | grep -E "^$label|wrote"
}
run memory
run sqlite --state "$dir/state.db"
if [ "${PERF:-0}" = 1 ]; then
  rm -f "$dir/state.db"* "$dir/trace.jsonl"
  perf record -g -o "$dir/perf.data" target/release/jexpr run "${args[@]}" --state "$dir/state.db" >/dev/null 2>&1
  perf report -i "$dir/perf.data" --no-children --percent-limit 1.5 --stdio 2>/dev/null | grep -E "^ +[0-9]" | head -25
fi
