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
hyperfine --warmup 20 --runs 100 -N --export-json target/bench-cli.json \
  "$bin/ocf-mediator discover --json --address $address" \
  "$bin/ocf-mediator --help"
# `token` with a valid cached access token (no network): a profile made by a
# client-credentials login against tests/oidc/server.js, in a scratch state dir.
if [ -d tests/oidc/node_modules/oidc-provider ] && command -v dbus-run-session >/dev/null; then
  node=node; [ -x tests/oidc/.node/bin/node ] && node=$PWD/tests/oidc/.node/bin/node
  oidc_out=$(mktemp); (cd tests/oidc && exec "$node" server.js >"$oidc_out" 2>/dev/null) &
  oidc=$!
  trap 'kill $sim $oidc 2>/dev/null' EXIT
  for _ in $(seq 50); do [ -s "$oidc_out" ] && break; sleep 0.1; done
  issuer=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["issuer"])' "$oidc_out")
  home=$(mktemp -d)
  HOME=$home XDG_DATA_HOME=$home/data XDG_RUNTIME_DIR=$home dbus-run-session -- bash -c "
    printf pass | gnome-keyring-daemon --unlock --components=secrets >/dev/null
    printf factory-secret-value-0123456789 | $bin/ocf-mediator login --client-credentials --issuer $issuer \
      --client-id factory --audience https://cloud.test/ --client-secret-stdin --state-dir $home/state
    hyperfine --warmup 20 --runs 100 -N --export-json target/bench-token.json \
      '$bin/ocf-mediator token --state-dir $home/state'"
  python3 -c 'import json; r=json.load(open("target/bench-token.json"))["results"][0]; print("token (cached): median %.2f ms" % (r["median"] * 1000))'
fi
python3 - <<'PY'
import json
for r in json.load(open("target/bench-cli.json"))["results"]:
    print(f'{r["command"]}: median {r["median"]*1000:.2f} ms')
PY
