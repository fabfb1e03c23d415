#!/usr/bin/env bash
# Events per second of `jexpr run` on the example journey mix, in memory, on
# SQLite, and on PostgreSQL with 1, 2 and 4 processes sharing the state
# (a throwaway cluster with fsync on, started by scripts/with-postgres.sh).
# Usage: scripts/runner-bench.sh [PROFILES] [LINES]   (default 20000 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${JEXPR_TEST_POSTGRES:-}" ]; then
  JEXPR_PG_FSYNC=on exec scripts/with-postgres.sh "$0" "$@"
fi
profiles=${1:-20000}
lines=${2:-100000}
cargo build --release -q -p jexpr-cli
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 examples/journeys/generate.py "$dir" "$profiles" "$lines"
bin=target/release/jexpr
args=(examples/journeys/cart.journey.json examples/journeys/welcome.journey.json
  examples/journeys/winback.journey.json --catalog examples/journeys/catalog.json
  --profiles "$dir/profiles.jsonl" --events "$dir/events.jsonl" --until 2024-12-01T00:00:00Z)
now() { date +%s.%N; }
report() { awk -v n="$lines" -v s="$2" -v e="$3" -v what="$1" 'BEGIN { printf "%-28s %7.2f s  %9.0f events/s\n", what, e - s, n / (e - s) }'; }

echo "$lines lines, $profiles profiles, $(nproc) cores, $(date -u +%Y-%m-%d)"
s=$(now); "$bin" run "${args[@]}" >"$dir/mem.jsonl" 2>/dev/null; e=$(now); report "memory" "$s" "$e"
s=$(now); "$bin" run "${args[@]}" --state "$dir/state.db" --trace "$dir/sqlite.jsonl" 2>/dev/null; e=$(now); report "sqlite" "$s" "$e"
base=${JEXPR_TEST_POSTGRES%/*}
for n in 1 2 4; do
  db="jexpr_bench_$n"
  psql "$JEXPR_TEST_POSTGRES" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
  s=$(now)
  for i in $(seq 1 "$n"); do
    "$bin" run "${args[@]}" --state "$base/$db" --process-name "p$i" --lease-seconds 10 2>"$dir/p$i.err" &
  done
  wait
  e=$(now)
  report "postgresql, $n process(es)" "$s" "$e"
  "$bin" trace --state "$base/$db" >"$dir/pg$n.jsonl"
  python3 - "$dir/mem.jsonl" "$dir/pg$n.jsonl" <<'PY'
import collections, json, sys
def per(path):
    d = collections.defaultdict(list)
    for line in open(path):
        d[json.loads(line).get("profileId", "")].append(line)
    return d
if per(sys.argv[1]) != per(sys.argv[2]):
    sys.exit("the PostgreSQL trace differs from the in-memory one")
PY
done
