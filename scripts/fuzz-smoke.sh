#!/usr/bin/env bash
# Builds every cargo-fuzz target and runs each briefly (FUZZ_SECONDS, default
# 15), so parsers of network input are fuzzed on every CI run. A crash fails.
# cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP lets the stable toolchain
# build it.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-15}
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
export RUSTC_BOOTSTRAP=1
log=$(mktemp)
for target in $(cargo fuzz list); do
  echo "fuzz: $target for ${seconds}s"
  if ! cargo fuzz run "$target" -- -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "fuzz: $target failed"
    exit 1
  fi
  grep -E "^stat::number_of_executed_units" "$log" || true
done
