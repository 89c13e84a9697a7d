#!/usr/bin/env bash
# What a hub-signed identity certificate costs `provision`, whole process,
# over loopback, against `ocf-devsim lab` (its hub's signing endpoint and
# OAuth server; the mediator logged in with client credentials, the kernel
# keyring inside `keyctl session`), `--wait configured`:
#   - one device at a time, --identity-cert hub and none alternating run by
#     run, each on a fresh unowned device; the difference of the medians is
#     what the certificate adds per device (issue 14: under 5 ms);
#   - batches (`--batch FILE --jobs JOBS`) of BATCH fresh devices, hub and
#     none alternating, REPEAT times; devices per second (issue 14: with
#     certificates within 30 % of without).
# Each is run against a cloud address where nothing listens (--cis and
# friends, the token on stdin), so that both modes leave the same work
# behind them; against the lab's own cloud (the profile's), where the
# devices with a certificate go on to register over mutual TLS on the same
# two cores and those without are refused at the handshake; and (batches)
# against a second lab whose cloud only asks for a certificate
# (--optional-client-cert, profile "optional"), where the devices of both
# modes register, with and without one.
# With a certificate, `provision` reads the CSR inside the ownership session
# once the device has its new UUID, has it signed while the session goes on
# (the hub's answer is checked: key, subject, profile, chain), writes it in
# RFPRO with the cloud configuration, and records it: one GET, a bigger
# cred POST (block-wise), one HTTP request beside them, one more commit.
# Usage: benches/certs.sh   (needs python3, keyutils; builds release)
# RUNS (default 40; 0 skips the single-device runs), BATCH (default 100),
# JOBS (default 16), REPEAT (default 7; 0 skips the batches). BIN=<dir> times the binaries there
# instead of building (to alternate two builds in the same machine state).
set -euo pipefail
if [ -n "${BIN:-}" ]; then BIN=$(cd "$BIN" && pwd); fi
cd "$(dirname "$0")/.."
if [ -z "${BIN:-}" ]; then
    cargo build --release --quiet --bins
    BIN=$PWD/target/release
fi
scratch=$(mktemp -d)
trap 'kill $(cat "$scratch"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$scratch"' EXIT
mkdir -p "$scratch/runtime" && chmod 700 "$scratch/runtime"
export HOME=$scratch XDG_DATA_HOME=$scratch/data XDG_RUNTIME_DIR=$scratch/runtime
export BIN SCRATCH=$scratch OUT=$PWD/target
export RUNS=${RUNS:-40} BATCH=${BATCH:-100} JOBS=${JOBS:-16} REPEAT=${REPEAT:-7}
export OCF_MEDIATOR_VOLATILE_KEYRING=1 OCF_MEDIATOR_STATE_DIR=$scratch/state
"$BIN/ocf-devsim" lab --json --devices 1 --dir "$scratch/lab" > "$scratch/lab.out" 2> /dev/null &
echo $! > "$scratch/lab.pid"
"$BIN/ocf-devsim" lab --json --devices 1 --optional-client-cert --dir "$scratch/lab-optional" \
    > "$scratch/lab-optional.out" 2> /dev/null &
echo $! > "$scratch/lab-optional.pid"
for _ in $(seq 500); do
    [ -s "$scratch/lab.out" ] && [ -s "$scratch/lab-optional.out" ] && break
    sleep 0.01
done
keyctl session - python3 - <<'PY' 2>&1 | { grep -v "Joined session keyring" || true; }
import json, os, resource, statistics, subprocess, sys, time
bin_, scratch, out = os.environ["BIN"], os.environ["SCRATCH"], os.environ["OUT"]
runs, batch, jobs, repeat = (int(os.environ[k]) for k in ("RUNS", "BATCH", "JOBS", "REPEAT"))
lab = json.loads(open(f"{scratch}/lab.out").readline())
lab_optional = json.loads(open(f"{scratch}/lab-optional.out").readline())
mediator = f"{bin_}/ocf-mediator"
for profile, its_lab in (("default", lab), ("optional", lab_optional)):
    subprocess.run([mediator, "--json", "login", "--profile", profile, "--hub", its_lab["hub"],
                    "--client-credentials", "--client-secret-stdin"],
                   input=its_lab["m2m_client_secret"].encode(), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

def devices(count, name):
    """`count` fresh unowned devices in one ocf-devsim: their addresses."""
    sim = subprocess.Popen([f"{bin_}/ocf-devsim", "device", "--json", "--listen", "127.0.0.1:0",
                            "--no-multicast", "--count", str(count)],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    open(f"{scratch}/{name}.pid", "w").write(f"{sim.pid}\n")
    return sim, [json.loads(sim.stdout.readline())["endpoints"][0] for _ in range(count)]

unreachable = ["--cis", "coaps+tcp://127.0.0.1:9", "--sid", lab["sid"], "--apn", "plgd",
               "--ca", lab["ca_file"], "--token-stdin"]

def provision(args, cloud):
    extra = {"unreachable": unreachable, "lab": [],
             "lab-optional": ["--profile", "optional"]}[cloud]
    start = time.perf_counter()
    run = subprocess.run([mediator, "--json", "--no-input", "provision", "--wait", "configured",
                          *extra, *args], input=b"a-token-nobody-checks",
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    took = time.perf_counter() - start
    if run.returncode != 0:
        sys.exit(f"provision {' '.join(args)} failed ({run.returncode}):\n"
                 f"{run.stdout.decode()}{run.stderr.decode()}")
    return took

# One device at a time; the first five pairs warm up. With the lab's cloud
# (the profile's: one token source for the token and the signer, as a
# station uses it), a pause after each run lets the device's registration
# (or refusal) end before the next run; with the unreachable cloud (--cis
# and friends), the signer needs a token source of its own.
single = {}
for cloud in ("lab", "unreachable") if runs else ():
    sim, addresses = devices(2 * (runs + 5), f"single-{cloud}")
    times = {"hub": [], "none": []}
    for i in range(runs + 5):
        for k, mode in enumerate(("hub", "none")):
            took = provision([addresses[2 * i + k], "--identity-cert", mode], cloud)
            if i >= 5:
                times[mode].append(took)
            if cloud == "lab":
                time.sleep(0.3)
    sim.kill()
    single[cloud] = times
    m = {mode: statistics.median(t) * 1000 for mode, t in times.items()}
    print(f"provision one device, whole process, {cloud} cloud, median of {runs}: "
          f"hub-signed certificate {m['hub']:.2f} ms, none {m['none']:.2f} ms, "
          f"added {m['hub'] - m['none']:+.2f} ms", flush=True)

# Batches of fresh devices, the two modes alternating. Beside the rate,
# the CPU time each party spent in the batch, per device: the mediator's
# (the process, from its rusage), the simulated devices' and the lab's
# (cloud, hub's CA, OAuth server: from /proc, so it includes the
# registrations that run meanwhile). On two cores they all share, the rate
# follows their sum; the mediator's share is what a station running it
# alone would see.
def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime

results, cpu = {}, {}
for cloud in ("unreachable", "lab", "lab-optional") if repeat else ():
    lab_pid = int(open(f"{scratch}/{'lab' if cloud == 'unreachable' else cloud}.pid").read())
    rates = {"hub": [], "none": []}
    spent = {mode: {"mediator": [], "devices": [], "lab": []} for mode in rates}
    for r in range(repeat):
        for mode in ("hub", "none"):
            sim, addresses = devices(batch, f"batch-{mode}")
            path = f"{scratch}/batch-{cloud}-{mode}-{r}.csv"
            open(path, "w").write("device\n" + "".join(a + "\n" for a in addresses))
            before = (children_cpu(), cpu_seconds(sim.pid), cpu_seconds(lab_pid))
            rates[mode].append(batch / provision(["--batch", path, "--jobs", str(jobs),
                                                   "--identity-cert", mode], cloud))
            after = (children_cpu(), cpu_seconds(sim.pid), cpu_seconds(lab_pid))
            for party, b, a in zip(("mediator", "devices", "lab"), before, after):
                spent[mode][party].append(1000 * (a - b) / batch)
            sim.kill()
            sim.wait()
    results[cloud], cpu[cloud] = rates, spent
    t = {m: statistics.median(v) for m, v in rates.items()}
    where = {"unreachable": "unreachable cloud", "lab": "lab cloud requiring certificates",
             "lab-optional": "lab cloud asking for certificates"}[cloud]
    print(f"provision --batch of {batch} --jobs {jobs}, {where}, median of {repeat}: "
          f"hub-signed {t['hub']:.1f} devices/s, none {t['none']:.1f} devices/s "
          f"({100 * (t['hub'] / t['none'] - 1):+.1f} %)", flush=True)
    for mode in ("hub", "none"):
        c = {party: statistics.median(v) for party, v in spent[mode].items()}
        print(f"    CPU per device, {mode:4}: mediator {c['mediator']:.2f} ms, devices "
              f"{c['devices']:.2f} ms, lab {c['lab']:.2f} ms", flush=True)
json.dump({"single_s": single, "batch_per_s": results, "batch_cpu_ms": cpu}, open(f"{out}/bench-certs.json", "w"))
PY
