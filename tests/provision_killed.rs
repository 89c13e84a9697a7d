//! `provision` killed with SIGKILL at random points of a batch, 20 times:
//! afterwards no simulated device is owned (by its own saved state) without
//! `ocf-mediator devices` holding its owner key, and running the same batch
//! again completes every device — registered, with one trust anchor and one
//! ACE for the cloud.

mod common;
#[path = "common/hub.rs"]
mod hub;
#[path = "common/cloud.rs"]
mod kit;
#[path = "common/oidc.rs"]
mod oidc;

use std::collections::HashMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::XorShift;
use hub::{Devices, Grant, Hub, cloud_writes, records};

const RUNS: usize = 20;
const DEVICES: usize = 12;
/// A mediator killed during a handshake leaves it half done at the device,
/// which drops it when it times out (up to a minute on the reference
/// device; sooner here, so that a rerun can wait for it).
const DEVICE_FLAGS: [&str; 2] = ["--session-idle-ms", "4000"];

fn batch_file(dir: &std::path::Path, devices: &Devices) -> String {
    let lines: String = (0..devices.count())
        .map(|i| format!("{{\"device\": \"{}\"}}\n", devices.address(i)))
        .collect();
    let path = dir.join("batch.jsonl");
    std::fs::write(&path, lines).unwrap();
    path.to_str().unwrap().to_owned()
}

fn batch_args(batch: &str) -> Vec<&str> {
    vec![
        "--json",
        "--timeout",
        "30s",
        "provision",
        "--batch",
        batch,
        "--jobs",
        "4",
    ]
}

/// Runs the batch, killing the mediator with SIGKILL after `delay`;
/// whether it was still running then.
fn killed_after(hub: &Hub, batch: &str, delay: Duration) -> bool {
    let mut child = hub
        .home
        .command(&batch_args(batch))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while start.elapsed() < delay {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = child.kill();
    let _ = child.wait();
    true
}

/// The owner keys the mediator holds, by device UUID.
fn keys(hub: &Hub) -> HashMap<String, String> {
    let run = hub.home.run(&["--json", "devices"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.json_lines()
        .into_iter()
        .map(|d| {
            (
                d["di"].as_str().unwrap().to_owned(),
                d["key"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// No device that says it is owned (its saved doxm) lacks its key here.
fn assert_no_device_owned_without_its_key(hub: &Hub, devices: &Devices, when: &str) {
    let keys = keys(hub);
    for i in 0..devices.count() {
        let state = devices.state(i);
        if state["doxm"]["owned"] == true {
            let di = state["di"].as_str().unwrap();
            assert_eq!(
                keys.get(di).map(String::as_str),
                Some("present"),
                "{when}: device {i} ({di}) is owned, and the mediator holds no key for it: {keys:?}"
            );
        }
    }
}

#[test]
fn kill_9_at_random_points_never_leaves_a_device_owned_without_its_key() {
    let hub = Hub::start(Grant::ClientCredentials);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("kill delays from seed {seed}");
    let mut random = XorShift(seed);
    // How long a whole batch takes here: the kills fall within it.
    let devices = Devices::start(DEVICES, &DEVICE_FLAGS);
    let dir = tempfile::tempdir().unwrap();
    let batch = batch_file(dir.path(), &devices);
    let start = Instant::now();
    let (whole, _) = hub.run(&batch_args(&batch));
    let span = start.elapsed();
    assert_eq!(whole.code, 0, "{}", whole.stderr);
    drop(devices);

    let mut interrupted = 0;
    for run in 0..RUNS {
        let devices = Devices::start(DEVICES, &DEVICE_FLAGS);
        let batch = batch_file(dir.path(), &devices);
        let delay = span.mul_f64((random.next() % 1000) as f64 / 1000.0);
        if killed_after(&hub, &batch, delay) {
            interrupted += 1;
        }
        let when = format!("run {run}, killed after {delay:?} (seed {seed})");
        assert_no_device_owned_without_its_key(&hub, &devices, &when);

        // The same batch again finishes every device.
        let (again, _) = hub.run(&batch_args(&batch));
        assert_eq!(again.code, 0, "{when}, then again: {}", again.stderr);
        let done = records(&again);
        assert_eq!(done.len(), DEVICES);
        for record in &done {
            assert_eq!(record["cps"], "registered", "{when}: {record}");
        }
        let sid = hub.cloud.sid();
        for i in 0..DEVICES {
            assert_eq!(
                cloud_writes(&devices.state(i), &sid),
                (1, 1),
                "{when}: device {i} holds the cloud's trust anchor and ACE once"
            );
        }
        assert_no_device_owned_without_its_key(&hub, &devices, &format!("{when}, then again"));
    }
    assert!(
        interrupted >= RUNS / 2,
        "only {interrupted} of {RUNS} runs were killed before they ended"
    );
}
