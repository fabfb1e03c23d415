#!/usr/bin/env bash
# Measures the runner at scale: N profiles each enter a journey and wait 30
# days, so N instances are waiting at the end. Prints the time, events/s and
# peak RSS of an in-memory and a SQLite run, and the state's size per instance.
# Usage: scripts/scale.sh [N]   (default 1000000; needs a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cargo build --release -q -p jexpr-cli
cat > "$dir/catalog.json" <<'JSON'
{"events": {"Signup": {"fields": {"plan": "string"}}},
 "actions": {"email": {"params": {"to": "string"}}}}
JSON
cat > "$dir/wait.json" <<'JSON'
{"id": "hold", "version": 1, "start": "s",
 "nodes": {"s": {"type": "event", "event": "Signup", "when": "@{Signup.plan} != \"none\"", "next": "hello"},
           "hello": {"type": "action", "action": "email", "params": {"to": "@{journey.profileId}"}, "next": "w"},
           "w": {"type": "wait", "duration": "P30D", "next": "e"},
           "e": {"type": "end"}}}
JSON
python3 - "$n" "$dir/events.jsonl" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    for i in range(n):
        f.write('{"time": "2024-05-01T00:00:00Z", "event": "Signup", "profileId": "p%07d", "payload": {"plan": "pro"}}\n' % i)
PY
measure() {
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$dir/time" ./target/release/jexpr run "$dir/wait.json" --catalog "$dir/catalog.json" \
    --events "$dir/events.jsonl" --trace "$dir/trace.jsonl" "$@" 2>/dev/null
  read -r secs kb < "$dir/time"
  echo "$label: $n lines in ${secs} s = $(python3 -c "print(round($n / max($secs, 0.001)))") events/s; peak RSS $((kb / 1024)) MiB"
}
measure "memory"
measure "sqlite" --state "$dir/state.db" --commit-every 1000
bytes=$(stat -c %s "$dir/state.db")
echo "state: $((bytes / 1024 / 1024)) MiB for $n waiting instances = $((bytes / n)) bytes per instance (trace outbox included)"
