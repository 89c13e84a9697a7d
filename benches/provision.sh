#!/usr/bin/env bash
# Whole-process benchmarks of `provision`, everything on this machine, the
# owner keys and the profile's secrets in the kernel keyring (inside
# `keyctl session`):
#   1. one device, own + cloud configure (--wait configured), Just Works:
#      hyperfine median (target, issue 13: < 15 ms). Each run gets a fresh
#      unowned device on the same port and a state that owns nothing yet
#      (hyperfine's --prepare restarts ocf-devsim, puts back the state made
#      by login, and drops the owner keys earlier runs stored);
#   2. a batch of 1000 simulated devices (one ocf-devsim process), own +
#      configure: devices/s (target >= 300) and the peak RSS of ocf-mediator
#      (/usr/bin/time -v; target < 150 MB), for each --jobs in $JOBS;
#   3. the same batch with --wait registered against `ocf-devsim cloud`
#      (checking each sign-up's JWT against oidc-provider): devices/s.
# The cloud profile is a client-credentials login against tests/oidc/server.js
# (oidc-provider); its cached access token serves every device, so no run
# waits for the OAuth server. In 1 and 2 the devices' cloud address is a
# closed port (they do not register, and use no CPU for it).
# Usage: benches/provision.sh   (needs hyperfine, keyutils, node with
#        tests/oidc/node_modules — scripts/setup.sh; builds release)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bins
[ -d tests/oidc/node_modules/oidc-provider ] || { echo "run scripts/setup.sh first (oidc-provider)" >&2; exit 1; }
scratch=$(mktemp -d)
export BIN=$PWD/target/release SCRATCH=$scratch STATE=$scratch/state
export PORT=$((20000 + RANDOM % 20000)) RUNS=${RUNS:-60} JOBS=${JOBS:-"16 32 64"} COUNT=${COUNT:-1000}
pids=()
cleanup() {
  [ -f "$scratch/sim.pid" ] && kill "$(cat "$scratch/sim.pid")" 2>/dev/null || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$scratch"
}
trap cleanup EXIT
wait_for_line() { for _ in $(seq 200); do [ -s "$1" ] && return 0; sleep 0.05; done; echo "$2 did not start" >&2; exit 1; }
json() { python3 -c "import json,sys; print(json.loads(open(sys.argv[1]).readline())[sys.argv[2]])" "$@"; }

node=node; [ -x tests/oidc/.node/bin/node ] && node=$PWD/tests/oidc/.node/bin/node
(cd tests/oidc && exec "$node" server.js >"$scratch/oidc.out" 2>/dev/null) & pids+=($!)
wait_for_line "$scratch/oidc.out" oidc-provider
export ISSUER=$(json "$scratch/oidc.out" issuer) AUDIENCE=https://cloud.test/
"$BIN/ocf-devsim" cloud --json --listen 127.0.0.1:0 --issuer "$ISSUER" --audience "$AUDIENCE" \
  >"$scratch/cloud.out" 2>/dev/null & pids+=($!)
wait_for_line "$scratch/cloud.out" "ocf-devsim cloud"
export SID=$(json "$scratch/cloud.out" sid) CIS=$(json "$scratch/cloud.out" cis) CA=$(json "$scratch/cloud.out" ca_file)
closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export NOWHERE=coaps+tcp://127.0.0.1:$closed

cat > "$scratch/fresh-device.sh" <<'SH'
#!/usr/bin/env bash
# Stops the previous device, starts an unowned one on the same port and
# puts back the store that owns nothing (the owner keys are sealed in the
# store; the keyring keeps only its key-encryption key and the profiles'
# secrets, which every run shares). The copy is synced here, untimed.
if [ -f "$SCRATCH/sim.pid" ]; then
  old=$(cat "$SCRATCH/sim.pid")
  kill "$old" 2>/dev/null || true
  for _ in $(seq 200); do kill -0 "$old" 2>/dev/null || break; sleep 0.01; done
fi
if [ -d "$SCRATCH/state-fresh" ]; then rm -rf "$STATE" && cp -a "$SCRATCH/state-fresh" "$STATE" && sync; fi
: > "$SCRATCH/sim.out"
"$BIN/ocf-devsim" device --json --listen "127.0.0.1:$PORT" --no-multicast > "$SCRATCH/sim.out" 2>/dev/null &
echo $! > "$SCRATCH/sim.pid"
for _ in $(seq 100); do [ -s "$SCRATCH/sim.out" ] && exit 0; sleep 0.01; done
echo "ocf-devsim did not start" >&2; exit 1
SH
chmod +x "$scratch/fresh-device.sh"

keyctl session - bash -c '
set -euo pipefail
login() {
  printf factory-secret-value-0123456789 | "$BIN/ocf-mediator" --state-dir "$STATE" --volatile-keyring -q \
    login --profile "$1" --client-credentials --issuer "$ISSUER" --client-id factory --audience "$AUDIENCE" \
    --client-secret-stdin --cis "$2" --sid "$SID" --apn plgd --ca "$CA"
}
login configured "$NOWHERE"
login registered "$CIS"
"$BIN/ocf-mediator" --state-dir "$STATE" --volatile-keyring -q token --profile configured >/dev/null
"$BIN/ocf-mediator" --state-dir "$STATE" --volatile-keyring -q token --profile registered >/dev/null
# The first device makes the mediator identity; forgotten again, the state
# (identity and profiles, no device) is what every run starts from.
"$SCRATCH/fresh-device.sh"
di=$("$BIN/ocf-mediator" --state-dir "$STATE" --volatile-keyring --json provision --profile configured \
  --wait configured "127.0.0.1:$PORT" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"di\"])")
"$BIN/ocf-mediator" --state-dir "$STATE" -q disown --forget --yes "$di"
cp -a "$STATE" "$SCRATCH/state-fresh"

echo "== 1. one device, own + configure, Just Works, kernel keyring (load average: $(cut -d" " -f1-3 /proc/loadavg))"
hyperfine --warmup 5 --runs "$RUNS" -N --prepare "$SCRATCH/fresh-device.sh" \
  --export-json target/bench-provision-one.json \
  "$BIN/ocf-mediator --state-dir $STATE --volatile-keyring -q provision --profile configured --wait configured 127.0.0.1:$PORT"
kill "$(cat "$SCRATCH/sim.pid")" 2>/dev/null || true

cpu_ticks() { awk '"'"'{ print $14 + $15 }'"'"' "/proc/$1/stat"; }
batch() {  # profile wait jobs
  rm -rf "$STATE" && cp -a "$SCRATCH/state-fresh" "$STATE" && sync
  "$BIN/ocf-devsim" device --json --listen 127.0.0.1:0 --no-multicast --count "$COUNT" \
    >"$SCRATCH/devices.out" 2>/dev/null &
  local sim=$!
  echo $sim > "$SCRATCH/sim.pid"
  for _ in $(seq 600); do [ "$(wc -l < "$SCRATCH/devices.out")" -ge "$COUNT" ] && break; sleep 0.05; done
  python3 -c "
import json, sys
with open(sys.argv[2], \"w\") as out:
    for line in open(sys.argv[1]):
        out.write(json.loads(line)[\"endpoints\"][0][len(\"coap://\"):] + \"\n\")" \
    "$SCRATCH/devices.out" "$SCRATCH/batch.txt"
  # CPU seconds the simulator spends on the batch itself (not on starting).
  local sim_before; sim_before=$(cpu_ticks $sim)
  /usr/bin/time -v -o "$SCRATCH/time.txt" ${WRAP:-} "$BIN/ocf-mediator" --state-dir "$STATE" --volatile-keyring --json \
    --timeout 60s provision --profile "$1" --wait "$2" --batch "$SCRATCH/batch.txt" --jobs "$3" \
    >"$SCRATCH/records.jsonl" 2>"$SCRATCH/batch.err" || true
  local sim_cpu=$(( $(cpu_ticks $sim) - sim_before ))
  kill $sim 2>/dev/null || true; wait $sim 2>/dev/null || true
  python3 - "$SCRATCH/time.txt" "$SCRATCH/records.jsonl" "$1" "$2" "$3" "$sim_cpu" "$(getconf CLK_TCK)" <<PY
import json, re, sys
text = open(sys.argv[1]).read()
wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", text)
seconds = int(wall.group(1) or 0) * 3600 + int(wall.group(2)) * 60 + float(wall.group(3))
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
records = [json.loads(l) for l in open(sys.argv[2]) if l.startswith("{")]
ok = sum(1 for r in records if r.get("ok"))
cpu = float(re.search(r"User time \(seconds\): ([\d.]+)", text).group(1)) + \
    float(re.search(r"System time \(seconds\): ([\d.]+)", text).group(1))
sim_cpu = int(sys.argv[6]) / int(sys.argv[7])
print(f"{len(records)} devices, --wait {sys.argv[4]}, --jobs {sys.argv[5]}: {ok} ok in {seconds:.2f} s = "
      f"{ok / seconds:.0f} devices/s; peak RSS of ocf-mediator {rss / 1024:.1f} MB; "
      f"CPU: ocf-mediator {cpu:.2f} s, ocf-devsim {sim_cpu:.2f} s")
PY
}
echo "== 2. $COUNT devices, own + configure (load average: $(cut -d" " -f1-3 /proc/loadavg))"
for jobs in $JOBS; do batch configured configured "$jobs"; done
echo "== 3. $COUNT devices, own + configure + registered with ocf-devsim cloud"
for jobs in $JOBS; do batch registered registered "$jobs"; done
'
python3 - <<'PY'
import json
r = json.load(open("target/bench-provision-one.json"))["results"][0]
print(f'provision, one device, own + configure, kernel keyring: median {r["median"]*1000:.2f} ms, mean {r["mean"]*1000:.2f} ms')
PY
