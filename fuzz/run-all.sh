#!/usr/bin/env bash
# Runs each fuzz target for SECONDS (default 600) one after another.
# cargo-fuzz needs nightly features: RUSTC_BOOTSTRAP=1 enables them on the
# stable toolchain; no sanitizer (-s none) so no nightly runtime is needed.
set -u
cd "$(dirname "$0")"
secs=${1:-600}
for t in compile eval catalog event_bytes; do
  echo "== $t"
  RUSTC_BOOTSTRAP=1 cargo fuzz run -s none "$t" "corpus/$t" -- -max_total_time="$secs" -max_len=4096 -rss_limit_mb=2048 2>&1 | tail -15
done
