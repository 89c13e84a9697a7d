#!/usr/bin/env bash
# How `devices` scales with the fleet: `ocf-mediator --json devices` (every
# owned device listed, each sealed key opened to say whether it opens) and
# the table for people, with 1,000, 10,000 and 100,000 owned devices (made
# by examples/fill_store.rs), kernel keyring, whole process under hyperfine.
# `own` with a large fleet: FLEET=100000 benches/own.sh; a lookup by name
# among 100,000: cargo bench --bench store.
# Usage: benches/fleet.sh   (needs hyperfine, keyutils; builds release)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bins --example fill_store
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export BIN=$PWD/target/release SCRATCH=$scratch
keyctl session - bash -c '
  set -euo pipefail
  for n in 1000 10000 100000; do
    "$BIN/examples/fill_store" "$SCRATCH/fleet-$n" "$n" --volatile-keyring
  done
  hyperfine --warmup 3 --runs 20 -N --export-json target/bench-fleet.json \
    -L n 1000,10000,100000 \
    "$BIN/ocf-mediator --json --state-dir $SCRATCH/fleet-{n} devices" \
    "$BIN/ocf-mediator --state-dir $SCRATCH/fleet-{n} devices"
' 2>&1 | { grep -v "Joined session keyring" || true; }
