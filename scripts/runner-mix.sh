#!/usr/bin/env bash
# Issue 15's runner benchmark at scale: 21 journeys (seven copies each of
# welcome, cart and winback, with their own ids, so every event is read by
# seven journeys), PROFILES profiles and LINES lines over 180 days from
# examples/journeys/generate.py, in memory and with SQLite (`--state`).
# Prints time, events/s, trace records/s and peak RSS of each run. The
# SQLite run reads the first SQLITE_LINES lines (default: all).
# Usage: [SQLITE_LINES=N] scripts/runner-mix.sh [PROFILES] [LINES]   (default 100000 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
profiles=${1:-100000}
lines=${2:-1000000}
cargo build --release -q -p jexpr-cli
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# Spread over 180 days (from 2024-05-01), like the committed example.
python3 examples/journeys/generate.py "$dir" "$profiles" "$lines" 180
python3 - "$dir" <<'PY'
import json, sys
out = sys.argv[1]
for name in ["welcome", "cart", "winback"]:
    journey = json.load(open(f"examples/journeys/{name}.journey.json"))
    for copy in range(1, 8):
        journey["id"] = f"{name}-{copy}"
        for node in journey["nodes"].values():
            if node.get("type") == "jump":
                node["journey"] = f"{node['journey'].rsplit('-', 1)[0]}-{copy}"
        json.dump(journey, open(f"{out}/{name}-{copy}.journey.json", "w"))
PY
bin=target/release/jexpr
args=("$dir"/*.journey.json --catalog examples/journeys/catalog.json
  --profiles "$dir/profiles.jsonl" --events "$dir/events.jsonl" --until 2024-12-01T00:00:00Z)
echo "$(ls "$dir"/*.journey.json | wc -l) journeys, $profiles profiles, $lines lines, $(nproc) cores, $(date -u +%Y-%m-%d)"
measure() {
  local label=$1 lines=$2; shift 2
  if ! /usr/bin/time -f "%e %M" -o "$dir/time" "$bin" run "${args[@]}" "$@" 2>"$dir/summary" >/dev/null; then
    cat "$dir/summary" >&2
    exit 1
  fi
  read -r secs kb < "$dir/time"
  local records
  records=$(wc -l < "$dir/$label.jsonl")
  printf "%-8s %8d lines %8.1f s %9.0f events/s %9.0f records/s  peak RSS %5d MiB\n" "$label" "$lines" "$secs" \
    "$(python3 -c "print($lines / max($secs, 0.001))")" "$(python3 -c "print($records / max($secs, 0.001))")" $((kb / 1024))
  echo "         $(tail -1 "$dir/summary")"
}
measure memory "$lines" --trace "$dir/memory.jsonl"
sqlite_lines=${SQLITE_LINES:-$lines}
head -n "$sqlite_lines" "$dir/events.jsonl" > "$dir/sqlite-events.jsonl"
args=("${args[@]/$dir\/events.jsonl/$dir/sqlite-events.jsonl}")
measure sqlite "$sqlite_lines" --state "$dir/state.db" --trace "$dir/sqlite.jsonl"
if [ "$sqlite_lines" = "$lines" ]; then
  cmp -s "$dir/memory.jsonl" "$dir/sqlite.jsonl" && echo "traces: identical" || echo "traces: DIFFER"
fi
