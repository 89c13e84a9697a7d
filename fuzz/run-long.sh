#!/usr/bin/env bash
# Long fuzzing runs, outside CI: each target in turn for FUZZ_SECONDS
# (default 3600) on its committed corpus, which grows; prints each target's
# executions. Afterwards `cargo fuzz cmin <target>` keeps the corpus small.
# Usage: fuzz/run-long.sh [target…]   (cargo-fuzz: scripts/fuzz-smoke.sh installs it)
set -euo pipefail
cd "$(dirname "$0")/.."
export RUSTC_BOOTSTRAP=1
seconds=${FUZZ_SECONDS:-3600}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list)
failed=()
for target in "${targets[@]}"; do
  log=$(mktemp)
  if cargo fuzz run -O "$target" -- -max_total_time="$seconds" -print_final_stats=1 -close_fd_mask=3 >"$log" 2>&1; then
    echo "$target: $(grep -oP 'number_of_executed_units: \K[0-9]+' "$log") executions in ${seconds}s"
  else
    grep -E "ERROR|panicked|Failing input|artifacts/" "$log" | head -n 20
    echo "$target: FAILED (input in fuzz/artifacts/$target/)"
    failed+=("$target")
  fi
  rm -f "$log"
done
[ ${#failed[@]} -eq 0 ] || { echo "failed: ${failed[*]}"; exit 1; }
