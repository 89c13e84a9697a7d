//! Provisioning through a lossy network: `ocf-devsim lab` (devices, their
//! cloud, its OAuth server) and `ocf-mediator` in a network namespace whose
//! nftables drops one UDP datagram in ten at random, each way (the CoAP and
//! DTLS of the ownership sequence; the devices' TCP to the cloud and the
//! mediator's OAuth are not touched).
//!
//! Every provision ends `registered` within the default timeout, or fails
//! with a clean timeout and leaves the device so that provisioning it again
//! (without the loss) completes it; fewer than 95 % registered fails the
//! test (the target is 99 %). The times (median, 95th percentile) are
//! printed, not asserted: `benches/lossy.sh` measures them on release
//! builds.
//!
//! Needs root, iproute2 and nftables (scripts/setup.sh); fails without.

mod common;
#[path = "common/kernel_session.rs"]
mod kernel_session;
#[path = "common/lab.rs"]
mod lab;
#[path = "common/netns.rs"]
mod netns;

use std::process::Stdio;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::{MEDIATOR, Run};
use lab::LabProcess;
use netns::Netns;
use serde_json::Value;
use tempfile::TempDir;

/// One lab at a time: the tests measure time, and share two cores.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// A lab and a logged-in mediator state, in a namespace of their own.
struct LossyLab {
    lab: LabProcess,
    state: TempDir,
    // Dropped last: the processes inside go first.
    ns: Netns,
}

impl LossyLab {
    fn start(tag: &str, devices: usize) -> LossyLab {
        // The mediator's key-encryption keys go to a kernel session keyring
        // of this test's own, which its processes inherit.
        kernel_session::join_new_session_keyring();
        let ns = Netns::create(tag);
        let mut command = ns.command(common::DEVSIM);
        command.args(["lab", "--json", "--devices", &devices.to_string()]);
        let lab = LabProcess::start_with(command);
        let state = tempfile::tempdir().unwrap();
        let lossy = LossyLab { lab, state, ns };
        let login = lossy.mediator(&[
            "--json",
            "login",
            "--hub",
            &lossy.lab.hub(),
            "--client-credentials",
        ]);
        assert_eq!(login.code, 0, "login: {}", login.stderr);
        lossy
    }

    /// `ocf-mediator ARGS` in the namespace, with this lab's state.
    fn mediator(&self, args: &[&str]) -> Run {
        let mut command = self.ns.command(MEDIATOR);
        command.args(args).stdin(Stdio::null());
        for (key, _) in std::env::vars() {
            if key.starts_with("OCF_MEDIATOR_") {
                command.env_remove(key);
            }
        }
        command
            .env("OCF_MEDIATOR_STATE_DIR", self.state.path())
            .env("OCF_MEDIATOR_VOLATILE_KEYRING", "1")
            .env(
                "OCF_MEDIATOR_CLIENT_SECRET",
                self.lab.text("m2m_client_secret"),
            );
        let run = Run::from(command.output().expect("run ocf-mediator in the namespace"));
        assert!(
            !run.stderr.contains("panicked"),
            "ocf-mediator panicked:\n{}",
            run.stderr
        );
        run
    }

    fn device(&self, index: usize) -> String {
        self.lab.devices()[index]["endpoints"][0]
            .as_str()
            .unwrap()
            .to_owned()
    }

    fn provision(&self, devices: &[&str]) -> Run {
        let mut args = vec!["--json", "--no-input", "provision"];
        args.extend_from_slice(devices);
        self.mediator(&args)
    }
}

/// A provision record that ended well, or with a clean timeout.
fn registered_or_timed_out(record: &Value) -> bool {
    if record["ok"] == true {
        assert_eq!(record["cps"], "registered", "{record}");
        return true;
    }
    assert_eq!(
        record["exit"], 4,
        "a failure under loss is a timeout, said plainly: {record}"
    );
    let error = record["error"].as_str().unwrap_or_default();
    assert!(
        !error.contains(" { ") && !error.contains("Error("),
        "no debug text: {error}"
    );
    false
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[test]
fn a_hundred_provisions_at_ten_percent_loss_each_way_end_registered_or_time_out_cleanly() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    const RUNS: usize = 100;
    let lossy = LossyLab::start("p100", RUNS);
    lossy.ns.lose_udp(10);
    let mut took = Vec::new();
    let mut timed_out = Vec::new();
    for index in 0..RUNS {
        let device = lossy.device(index);
        let started = Instant::now();
        let run = lossy.provision(&[&device]);
        let elapsed = started.elapsed();
        let record = run.json();
        if registered_or_timed_out(&record) {
            assert_eq!(run.code, 0, "{}", run.stderr);
            took.push(elapsed);
        } else {
            assert_eq!(run.code, 4, "{}", run.stderr);
            timed_out.push(device);
        }
    }
    took.sort();
    eprintln!(
        "provision at 10 % loss each way (debug build): {} of {RUNS} registered; median {:?}, 95th percentile {:?}, slowest {:?}",
        took.len(),
        percentile(&took, 50.0),
        percentile(&took, 95.0),
        took.last().unwrap(),
    );
    // Whatever a timeout left behind, provisioning again finishes it.
    lossy.ns.stop_losing();
    for device in &timed_out {
        let run = lossy.provision(&[device]);
        assert_eq!(run.code, 0, "again {device}: {}", run.stdout);
    }
    assert!(
        took.len() * 100 >= RUNS * 95,
        "only {} of {RUNS} provisions ended registered",
        took.len()
    );
}

#[test]
fn a_batch_of_fifty_with_sixteen_jobs_at_ten_percent_loss_each_way() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    const DEVICES: usize = 50;
    let lossy = LossyLab::start("b50", DEVICES);
    lossy.ns.lose_udp(10);
    let file = lossy.lab.text("devices_file");
    let started = Instant::now();
    let run = lossy.mediator(&[
        "--json",
        "--no-input",
        "provision",
        "--batch",
        &file,
        "--jobs",
        "16",
    ]);
    let elapsed = started.elapsed();
    let records = run.json_lines();
    assert_eq!(records.len(), DEVICES, "{}", run.stdout);
    let registered = records
        .iter()
        .filter(|r| registered_or_timed_out(r))
        .count();
    assert_eq!(
        run.code,
        if registered == DEVICES { 0 } else { 7 },
        "{}",
        run.stderr
    );
    eprintln!(
        "batch of {DEVICES}, 16 jobs, at 10 % loss each way (debug build): {registered} registered in {elapsed:?}"
    );
    // The same batch again, without the loss, finishes what was left and
    // leaves the rest alone.
    lossy.ns.stop_losing();
    let again = lossy.mediator(&["--json", "--no-input", "provision", "--batch", &file]);
    assert_eq!(again.code, 0, "{}", again.stdout);
    for record in again.json_lines() {
        assert_eq!(record["cps"], "registered", "{record}");
    }
    assert!(
        registered * 100 >= DEVICES * 95,
        "only {registered} of {DEVICES} devices ended registered"
    );
}
