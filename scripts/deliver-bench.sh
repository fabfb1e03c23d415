#!/usr/bin/env bash
# Actions over HTTP, measured: N events (default 20000), each a new profile
# entering a journey whose one action has an endpoint, replayed by
# `jexpr run` three ways — recorded only, answered from --responses (the
# delivery mechanism without a request), and --deliver to `jexpr receive`
# on loopback (keep-alive, one call at a time) — and the wall time of each.
# Usage: scripts/deliver-bench.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}
cargo build --release -q
work=$(mktemp -d)
trap 'kill $receiver 2>/dev/null || true; rm -rf "$work"' EXIT
cat >"$work/catalog.json" <<'JSON'
{"events": {"Go": {"fields": {"who": "string"}, "profileId": "@{Go.who}"}},
 "actions": {"hook": {"params": {"who": "string"},
                      "endpoint": {"url": "http://127.0.0.1:18184/hook", "signingSecretEnv": "BENCH_SECRET",
                                   "capping": {"maxCalls": 1000000, "period": "PT1S"}}}}}
JSON
cat >"$work/j.json" <<'JSON'
{"id": "j", "version": 1, "start": "go", "nodes": {
  "go": {"type": "event", "event": "Go", "next": "call"},
  "call": {"type": "action", "action": "hook", "params": {"who": "@{Go.who}"}, "next": "done"},
  "done": {"type": "end"}}}
JSON
echo '{"action": "hook", "status": "http_200", "body": {}}' >"$work/responses.jsonl"
python3 - "$n" >"$work/events.jsonl" <<'PY'
import sys, datetime
t = datetime.datetime(2024, 5, 1)
for i in range(int(sys.argv[1])):
    print('{"time": "%s", "event": "Go", "payload": {"who": "p%d"}}' % ((t + datetime.timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ"), i))
PY
export BENCH_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
target/release/jexpr receive --listen 127.0.0.1:18184 --secret-env BENCH_SECRET >"$work/received.jsonl" 2>/dev/null &
receiver=$!
until curl -s -o /dev/null localhost:18184/; do sleep 0.1; done
run() {
  local label=$1; shift
  local start end
  start=$(date +%s.%N)
  target/release/jexpr run "$work/j.json" --catalog "$work/catalog.json" --events "$work/events.jsonl" --trace "$work/trace.jsonl" "$@" 2>/dev/null
  end=$(date +%s.%N)
  echo "$label: $(echo "$end - $start" | bc) s for $n actions ($(echo "$n / ($end - $start)" | bc) actions/s)"
}
run "recorded only       "
run "--responses (mocked)" --responses "$work/responses.jsonl"
run "--deliver (HTTP)    " --deliver
echo "received: $(wc -l <"$work/received.jsonl") requests, $(grep -c '"signature":"valid"' "$work/received.jsonl") with a valid signature"
