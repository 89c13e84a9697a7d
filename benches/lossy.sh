#!/usr/bin/env bash
# Whole-process figures of `own` (Just Works) and `provision` (own, cloud
# configuration, wait until registered) of one device at a time through a
# lossy network: `ocf-devsim lab` (unowned devices, their cloud, its OAuth
# server) and `ocf-mediator` in a network namespace of their own, where
# nftables drops one UDP datagram in LOSS (default 10) at random as it
# arrives, so each way (the devices' TCP to the cloud and the OAuth HTTP
# are not touched). Each run is a new `ocf-mediator` process on a device
# it has never seen, as on a factory line: it starts knowing nothing of the
# path's round trip.
# Prints, for each command: how many of RUNS (default 100) succeeded, and
# the median, 95th percentile and slowest time of those that did.
# Target (issue 16): at 10 % loss each way, >= 99 of 100 succeed, median
# under 1 s, 95th percentile under 3 s.
# Usage: benches/lossy.sh                (as root; iproute2, nftables,
#                                         keyutils, python3; builds release)
#        BIN=DIR benches/lossy.sh        (the binaries in DIR instead, e.g.
#                                         an earlier build, for before/after)
#        LOSS=0 benches/lossy.sh         (no loss, for reference)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
  echo "benches/lossy.sh: needs root (it creates a network namespace)" >&2
  exit 1
fi
for tool in ip nft keyctl python3; do
  command -v "$tool" >/dev/null || { echo "benches/lossy.sh: $tool missing: run scripts/setup.sh" >&2; exit 1; }
done
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet --bins
  BIN=$PWD/target/release
fi
export BIN RUNS=${RUNS:-100} LOSS=${LOSS:-10}
scratch=$(mktemp -d)
export NS="ocf-lossy-bench-$$" SCRATCH=$scratch
ip netns add "$NS"
cleanup() {
  [ -f "$scratch/lab.pid" ] && kill "$(cat "$scratch/lab.pid")" 2>/dev/null
  sleep 0.2
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT
ip -n "$NS" link set lo up
# The mediator's key-encryption keys go to a kernel session keyring of this
# run's own (--volatile-keyring), which keyctl makes and drops.
keyctl session ocf-lossy-bench python3 - <<'PY'
import json, os, statistics, subprocess, sys, time

bin_dir, ns, scratch = os.environ["BIN"], os.environ["NS"], os.environ["SCRATCH"]
runs, loss = int(os.environ["RUNS"]), int(os.environ["LOSS"])

def in_ns(*argv):
    return ["ip", "netns", "exec", ns, *argv]

# Twice RUNS devices: the first half for `own`, the second for `provision`.
lab = subprocess.Popen(
    in_ns(f"{bin_dir}/ocf-devsim", "lab", "--json", "--devices", str(2 * runs)),
    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
open(f"{scratch}/lab.pid", "w").write(str(lab.pid))
startup = json.loads(lab.stdout.readline())
# The cloud's event lines must be read, or the lab would block on them.
import threading
threading.Thread(target=lambda: [None for _ in lab.stdout], daemon=True).start()
devices = [d["endpoints"][0] for d in startup["devices"]]

env = {k: v for k, v in os.environ.items() if not k.startswith("OCF_MEDIATOR_")}
env.update(OCF_MEDIATOR_STATE_DIR=f"{scratch}/mediator",
           OCF_MEDIATOR_VOLATILE_KEYRING="1",
           OCF_MEDIATOR_CLIENT_SECRET=startup["m2m_client_secret"])
def mediator(*args):
    return subprocess.run(in_ns(f"{bin_dir}/ocf-mediator", *args), env=env,
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)

login = mediator("--json", "login", "--hub", startup["hub"], "--client-credentials")
if login.returncode != 0:
    sys.exit("login failed: " + login.stderr)
if loss > 0:
    rules = ("table inet lossy {\n chain prerouting {\n"
             "  type filter hook prerouting priority raw; policy accept;\n"
             f"  meta l4proto udp numgen random mod {loss} == 0 drop\n }}\n}}\n")
    subprocess.run(in_ns("nft", "-f", "-"), input=rules, text=True, check=True)

def percentile(values, p):
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]

label = f"{100 // loss} % loss each way" if loss > 0 else "no loss"
from datetime import datetime
def step_times(stdout):
    """(step, seconds) of a provision record's steps, from their start and end."""
    try:
        record = json.loads(stdout.splitlines()[-1])
    except (ValueError, IndexError):
        return []
    at = lambda t: datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp()
    return [(s["step"], at(s["end"]) - at(s["start"])) for s in record.get("steps", [])
            if s.get("start") and s.get("end")]

for command, targets in (("own", devices[:runs]), ("provision", devices[runs:])):
    times, failures, steps = [], [], []
    for device in targets:
        start = time.perf_counter()
        run = mediator("--json", "--no-input", command, device)
        elapsed = time.perf_counter() - start
        if run.returncode == 0:
            times.append(elapsed)
            steps.append((elapsed, step_times(run.stdout)))
        else:
            failures.append(run.returncode)
    line = f"{command:9} at {label}: {len(times)} of {runs} succeeded"
    if times:
        line += (f"; median {statistics.median(times):.3f} s, 95th percentile "
                 f"{percentile(times, 95):.3f} s, slowest {max(times):.3f} s")
    if failures:
        line += f"; exit codes of the failures: {sorted(failures)}"
    print(line, flush=True)
    # Where the slowest twentieth spent its time, step by step.
    slow = sorted(steps, key=lambda r: r[0], reverse=True)[:max(1, len(steps) // 20)]
    for elapsed, parts in slow:
        if parts:
            print(f"  {elapsed:.3f} s: " + ", ".join(f"{n} {t:.3f}" for n, t in parts), flush=True)
lab.terminate()
lab.wait()
PY
