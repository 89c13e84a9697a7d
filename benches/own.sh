#!/usr/bin/env bash
# Whole-process timing of a Just Works `own` of one local ocf-devsim device,
# once per keyring and once per fleet size:
#   - secret-service: a real Secret Service (gnome-keyring on a private D-Bus
#     session, as in the tests), the default;
#   - kernel: the kernel keyring (--volatile-keyring), inside `keyctl session`;
#   - with a mediator that owns nothing else, and with one that already owns
#     10,000 devices (records with sealed keys, made through the library by
#     examples/fill_store.rs).
# Targets: issue 4, median < 10 ms; issue 11, `own` with 10,000 owned within
# 10 % of `own` with none, for both keyrings. The owner key is sealed under
# the store's key-encryption key (read from the keyring once per process)
# and written with its record in one fsync'd SQLite transaction, which must
# be durable before the device leaves RFOTM.
# Each run gets a fresh unowned device and the store as it was before the
# first timed run (an untimed step restarts ocf-devsim on the same port and
# copies the store back from a snapshot: the mediator's identity, its KEK's
# check value and 0 or 10,000 devices; the KEK stays in the keyring). Runs
# with none and with 10,000 alternate; RUNS (default 60) of each are timed.
# Usage: benches/own.sh   (needs python3, dbus, gnome-keyring, keyutils; builds release)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bins --example fill_store
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/runtime" && chmod 700 "$scratch/runtime"
export HOME=$scratch XDG_DATA_HOME=$scratch/data XDG_RUNTIME_DIR=$scratch/runtime
export BIN=$PWD/target/release FILL=$PWD/target/release/examples/fill_store
export PORT=$((20000 + RANDOM % 20000)) SCRATCH=$scratch
export STATE=$scratch/data/ocf-mediator
export RUNS=${RUNS:-60} FLEET=${FLEET:-10000}
cat > "$scratch/fresh-device.sh" <<'SH'
#!/usr/bin/env bash
# Stops the previous device, puts the store back as in $SNAPSHOT, and
# starts an unowned device on the same port.
[ -f "$SCRATCH/sim.pid" ] && kill "$(cat "$SCRATCH/sim.pid")" 2>/dev/null && sleep 0.05
# The copy is synced here, untimed: else the first fsync of the timed run
# (the store's commit) would also wait for the file system to write it.
if [ -n "${SNAPSHOT:-}" ]; then rm -rf "$STATE"; cp -a "$SNAPSHOT" "$STATE"; sync; fi
: > "$SCRATCH/sim.out"
"$BIN/ocf-devsim" device --json --listen "127.0.0.1:$PORT" --no-multicast > "$SCRATCH/sim.out" 2>/dev/null &
echo $! > "$SCRATCH/sim.pid"
for _ in $(seq 300); do [ -s "$SCRATCH/sim.out" ] && exit 0; sleep 0.01; done
echo "ocf-devsim did not start" >&2; exit 1
SH
cat > "$scratch/bench.sh" <<'SH'
#!/usr/bin/env bash
# bench.sh KEYRING [FLAGS]: snapshots of a store with none and with $FLEET
# devices, then alternating timed runs on each.
set -euo pipefail
keyring=$1; shift
rm -rf "$STATE"
"$SCRATCH/fresh-device.sh"
# First use: the identity and the KEK; then the store owns nothing.
di=$("$BIN/ocf-mediator" --json own "$@" "127.0.0.1:$PORT" | sed 's/.*"di":"\([^"]*\)".*/\1/')
"$BIN/ocf-mediator" --no-input disown --yes --forget "$di" > /dev/null
fill_flags=()
[ "$keyring" = kernel ] && fill_flags=(--volatile-keyring)
# Both snapshots are checkpointed (fill_store does it, here with nothing to
# add), so that both start from the same empty log.
"$FILL" "$STATE" 0 "${fill_flags[@]}"
rm -rf "$SCRATCH/none" "$SCRATCH/fleet"
cp -a "$STATE" "$SCRATCH/none"
"$FILL" "$STATE" "$FLEET" "${fill_flags[@]}"
cp -a "$STATE" "$SCRATCH/fleet"
# The two fleet sizes alternate run by run, so that whatever else the
# machine is doing weighs on both alike.
python3 - "$keyring" "$@" <<'PY'
import json, os, statistics, subprocess, sys, time
keyring, flags = sys.argv[1], sys.argv[2:]
scratch, port, runs = os.environ["SCRATCH"], os.environ["PORT"], int(os.environ["RUNS"])
command = [os.environ["BIN"] + "/ocf-mediator", "own", *flags, "127.0.0.1:" + port]
times = {"none": [], "fleet": []}
for i in range(runs + 5):
    for fleet in ("none", "fleet"):
        env = dict(os.environ, SNAPSHOT=f"{scratch}/{fleet}")
        subprocess.run([f"{scratch}/fresh-device.sh"], env=env, check=True)
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if i >= 5:  # the first five of each are warm-up
            times[fleet].append(time.perf_counter() - start)
for fleet, t in times.items():
    json.dump({"median": statistics.median(t), "mean": statistics.mean(t), "times": t},
              open(f"target/bench-own-{keyring}-{fleet}.json", "w"))
PY
kill "$(cat "$SCRATCH/sim.pid")" 2>/dev/null || true
SH
chmod +x "$scratch/fresh-device.sh" "$scratch/bench.sh"
dbus-run-session -- bash -c '
  printf bench | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  sleep 0.2
  "$SCRATCH/bench.sh" secret-service
'  2>&1 | { grep -v "Failed to set fd limit" || true; }
keyctl session - "$scratch/bench.sh" kernel --volatile-keyring 2>&1 \
  | { grep -v "Joined session keyring" || true; }
python3 - <<'PY'
import json, os
fleet = os.environ.get("FLEET", "10000")
for keyring in ("secret-service", "kernel"):
    medians = {}
    for name in ("none", "fleet"):
        r = json.load(open(f"target/bench-own-{keyring}-{name}.json"))
        medians[name] = r["median"] * 1000
        owned = "none" if name == "none" else fleet
        print(f'own, {keyring} keyring, {owned} already owned: median {medians[name]:.2f} ms, mean {r["mean"]*1000:.2f} ms')
    print(f'  {fleet} owned vs none: {100 * (medians["fleet"] / medians["none"] - 1):+.1f} %')
PY
