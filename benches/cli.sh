#!/usr/bin/env bash
# Whole-process timings with hyperfine (Debian package `hyperfine`):
#   unicast discovery of one local ocf-devsim plus its /oic/d, and --help.
# Targets (issue 2): median under 5 ms each.
# Usage: benches/cli.sh   (builds the release binaries first)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bins
bin=target/release
out=$(mktemp)
"$bin/ocf-devsim" device --json --listen 127.0.0.1:0 --no-multicast >"$out" &
sim=$!
trap 'kill $sim 2>/dev/null' EXIT
for _ in $(seq 50); do [ -s "$out" ] && break; sleep 0.1; done
address=$(grep -o '127\.0\.0\.1:[0-9]*' "$out" | head -1)
hyperfine --warmup 20 --runs 300 -N --export-json target/bench-cli.json \
  "$bin/ocf-mediator discover --json --address $address" \
  "$bin/ocf-mediator --help"
python3 - <<'PY'
import json
for r in json.load(open("target/bench-cli.json"))["results"]:
    print(f'{r["command"]}: median {r["median"]*1000:.2f} ms')
PY
