//! `provision --batch` at factory scale, against oidc-provider and
//! `ocf-devsim cloud --issuer`: 200 simulated devices (Random PIN), 32 at a
//! time. The devices whose PIN file is wrong fail at `own`, exactly those,
//! each record naming the step; the others register. Run again with the
//! PINs fixed, the rest are taken and nothing already done is written
//! again; run a third time, nothing changes at all: no second trust anchor
//! or ACE on any device, no second sign-up at the cloud, and one access
//! token for the whole batch.

mod common;
#[path = "common/hub.rs"]
mod hub;
#[path = "common/cloud.rs"]
mod kit;
#[path = "common/oidc.rs"]
mod oidc;

use std::collections::{HashMap, HashSet};
use std::path::Path;

use hub::{Devices, Grant, Hub, cloud_writes, records, step_names};
use serde_json::Value;

const COUNT: usize = 200;
const PIN: &str = "24681357";
const WRONG: [usize; 10] = [3, 17, 42, 58, 99, 100, 131, 150, 177, 199];

/// The batch file: one device per line with its PIN file; the devices in
/// `wrong` get a PIN file with another PIN.
fn batch_file(dir: &Path, devices: &Devices, wrong: &[usize]) -> String {
    let right = dir.join("right.pin");
    let bad = dir.join("wrong.pin");
    std::fs::write(&right, format!("{PIN}\n")).unwrap();
    std::fs::write(&bad, "13572468\n").unwrap();
    let mut csv = String::from("# line 3, at the start of a shift\ndevice,pin_file\n");
    for i in 0..devices.count() {
        let pin = if wrong.contains(&i) { &bad } else { &right };
        csv.push_str(&format!("{},{}\n", devices.address(i), pin.display()));
    }
    let path = dir.join("batch.csv");
    std::fs::write(&path, csv).unwrap();
    path.to_str().unwrap().to_owned()
}

fn provision(hub: &Hub, batch: &str) -> common::Run {
    let (run, prompts) = hub.run(&[
        "--json",
        "--timeout",
        "60s",
        "provision",
        "--batch",
        batch,
        "--jobs",
        "32",
    ]);
    assert!(prompts.is_empty(), "nobody is asked: {prompts:?}");
    run
}

/// Each device's record, by the address it was named with.
fn by_device(run: &common::Run) -> HashMap<String, Value> {
    let all = records(run);
    assert_eq!(all.len(), COUNT, "one record per device:\n{}", run.stderr);
    all.into_iter()
        .map(|r| (r["device"].as_str().unwrap().to_owned(), r))
        .collect()
}

/// How many sign-ups the cloud saw, per device.
fn signups(hub: &Hub) -> HashMap<String, usize> {
    let mut count = HashMap::new();
    for event in hub.cloud.events() {
        if event["event"] == "signup" {
            *count
                .entry(event["di"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
    }
    count
}

/// What each device holds for its security: credentials and ACEs.
fn security(devices: &Devices) -> Vec<(Value, Value)> {
    (0..devices.count())
        .map(|i| {
            let state = devices.state(i);
            (
                state["security"]["creds"].clone(),
                state["security"]["aces"].clone(),
            )
        })
        .collect()
}

#[test]
fn a_batch_of_200_registers_all_but_the_wrong_pins_and_reruns_change_nothing() {
    let hub = Hub::start(Grant::ClientCredentials);
    let devices = Devices::start(COUNT, &["--otm", "rdp", "--pin", PIN]);
    let dir = tempfile::tempdir().unwrap();
    let sid = hub.cloud.sid();

    // First run: ten wrong PINs.
    let batch = batch_file(dir.path(), &devices, &WRONG);
    let run = provision(&hub, &batch);
    assert_eq!(run.code, 7, "{}", run.stderr);
    assert!(
        run.stderr.contains("10 of 200 devices failed"),
        "{}",
        run.stderr
    );
    let first = by_device(&run);
    for i in 0..COUNT {
        let record = &first[&devices.address(i)];
        if WRONG.contains(&i) {
            assert_eq!(record["ok"], false, "{record}");
            assert_eq!(record["failed_step"], "own", "{record}");
            assert_eq!(step_names(record), ["locate", "own"], "{record}");
            assert_eq!(record["exit"], 5, "{record}");
            assert!(
                record["error"].as_str().unwrap().contains("PIN"),
                "{record}"
            );
            assert!(record["steps"][1]["error"].is_string(), "{record}");
            assert_eq!(devices.state(i)["doxm"]["owned"], false, "left unowned");
        } else {
            assert_eq!(record["ok"], true, "{record}");
            assert_eq!(record["cps"], "registered", "{record}");
            assert_eq!(step_names(record), ["locate", "own", "register"]);
        }
    }
    let signed_up = signups(&hub);
    assert_eq!(signed_up.len(), COUNT - WRONG.len());
    assert!(signed_up.values().all(|n| *n == 1), "{signed_up:?}");
    // One access token for the whole batch (the one login fetched).
    assert_eq!(hub.oidc.token_requests("client_credentials"), 1);

    // Second run, PINs fixed: the ten are taken; the others are found
    // registered and left alone.
    let batch = batch_file(dir.path(), &devices, &[]);
    let run = provision(&hub, &batch);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let second = by_device(&run);
    for i in 0..COUNT {
        let record = &second[&devices.address(i)];
        assert_eq!(record["cps"], "registered", "{record}");
        let expected: &[&str] = if WRONG.contains(&i) {
            &["locate", "own", "register"]
        } else {
            &["locate", "configure", "register"]
        };
        assert_eq!(step_names(record), expected, "{record}");
    }
    let signed_up = signups(&hub);
    assert_eq!(signed_up.len(), COUNT);
    assert!(
        signed_up.values().all(|n| *n == 1),
        "no second sign-up: {signed_up:?}"
    );
    for i in 0..COUNT {
        assert_eq!(cloud_writes(&devices.state(i), &sid), (1, 1), "device {i}");
    }

    // Third run: nothing at all changes.
    let before = security(&devices);
    let dis: HashSet<String> = second
        .values()
        .map(|r| r["di"].as_str().unwrap().to_owned())
        .collect();
    let run = provision(&hub, &batch);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let third = by_device(&run);
    assert!(
        third
            .values()
            .all(|r| r["ok"] == true && r["cps"] == "registered")
    );
    let again: HashSet<String> = third
        .values()
        .map(|r| r["di"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(again, dis, "the same devices, under the same UUIDs");
    assert_eq!(security(&devices), before, "no credential or ACE written");
    assert_eq!(signups(&hub).values().sum::<usize>(), COUNT);
    assert_eq!(hub.oidc.token_requests("client_credentials"), 1);
    let owned = hub.home.run(&["--json", "devices"]).json_lines();
    assert_eq!(owned.len(), COUNT);
}
