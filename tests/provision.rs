//! `provision` against simulated devices: own and configure in one go, a
//! device already ours configured over an owner session, and batches where
//! one device's failure leaves the others alone. (Registration with a
//! cloud is covered with `ocf-devsim cloud` in the cloud tests.)

mod common;
#[path = "common/dtls.rs"]
mod pki;

use common::keyring::TestHome;
use common::{DevSim, Run};
use serde_json::Value;

const SID: &str = "5f1e5a55-26b2-4ddd-9b27-2c3e1a7f0c01";

struct Cloud {
    ca: tempfile::NamedTempFile,
}

fn cloud() -> Cloud {
    let ca = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        ca.path(),
        pki::issue("Test Cloud CA", pki::Kind::Ca, None, 0).pem(),
    )
    .unwrap();
    Cloud { ca }
}

impl Cloud {
    fn flags(&self) -> Vec<String> {
        [
            "--cis",
            "coaps+tcp://127.0.0.1:5684",
            "--sid",
            SID,
            "--apn",
            "plgd",
            "--ca",
            self.ca.path().to_str().unwrap(),
            "--token-stdin",
            "--wait",
            "configured",
        ]
        .map(String::from)
        .to_vec()
    }
}

fn provision(home: &TestHome, cloud: &Cloud, devices: &[&str], extra: &[&str]) -> Run {
    let mut args: Vec<String> = vec!["--json".into(), "provision".into()];
    args.extend(devices.iter().map(|d| d.to_string()));
    args.extend(cloud.flags());
    args.extend(extra.iter().map(|e| e.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    home.mediator_with_stdin(&args, "one-time-code\n")
}

fn get(home: &TestHome, di: &str, href: &str) -> Value {
    let run = home.mediator(&["--json", "get", di, href]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.json()["representation"].clone()
}

fn count(list: &Value, pick: impl Fn(&Value) -> bool) -> usize {
    list.as_array().unwrap().iter().filter(|v| pick(v)).count()
}

#[test]
fn a_new_device_is_owned_and_configured_in_one_go() {
    let (home, cloud, sim) = (TestHome::start(), cloud(), DevSim::start(&[]));
    let run = provision(&home, &cloud, &[&sim.address(0)], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let record = run.json();
    assert_eq!(record["ok"], true);
    assert_eq!(record["cps"], "readytoregister");
    let steps: Vec<&str> = record["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        ["locate", "own"],
        "configured inside the ownership session"
    );
    let di = record["di"].as_str().unwrap();
    assert_ne!(di, sim.di(0), "the device took its new UUID");
    // Nothing listens at the cloud's address here: the device tries.
    let conf = get(&home, di, "/CoapCloudConfResURI");
    assert_eq!(conf["sid"].as_str(), Some(SID));
    assert!(
        ["readytoregister", "registering", "failed"].contains(&conf["cps"].as_str().unwrap()),
        "{conf}"
    );
    let creds = get(&home, di, "/oic/sec/cred")["creds"].clone();
    assert_eq!(
        count(&creds, |c| c["credusage"] == "oic.sec.cred.trustca"),
        1
    );
    let aces = get(&home, di, "/oic/sec/acl2")["aclist2"].clone();
    assert_eq!(count(&aces, |a| a["subject"]["uuid"] == SID), 1);
    assert_eq!(get(&home, di, "/oic/sec/pstat")["dos"]["s"], 3);
}

#[test]
fn a_device_already_ours_is_configured_over_an_owner_session_and_nothing_twice() {
    let (home, cloud, sim) = (TestHome::start(), cloud(), DevSim::start(&[]));
    let owned = home.mediator(&["--json", "own", &sim.address(0)]);
    assert_eq!(owned.code, 0, "{}", owned.stderr);
    let di = owned.json()["di"].as_str().unwrap().to_owned();
    for _ in 0..3 {
        let run = provision(&home, &cloud, &[&di], &[]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let steps = run.json()["steps"].clone();
        assert_eq!(steps[1]["step"], "configure");
    }
    let creds = get(&home, &di, "/oic/sec/cred")["creds"].clone();
    assert_eq!(count(&creds, |c| c["subjectuuid"] == SID), 1);
    let aces = get(&home, &di, "/oic/sec/acl2")["aclist2"].clone();
    assert_eq!(count(&aces, |a| a["subject"]["uuid"] == SID), 1);
}

#[test]
fn a_batch_where_some_pins_are_wrong_fails_exactly_those_and_a_rerun_changes_nothing() {
    let (home, cloud) = (TestHome::start(), cloud());
    let sim = DevSim::start(&["--count", "12", "--otm", "rdp", "--pin", "24681357"]);
    let dir = tempfile::tempdir().unwrap();
    let right = dir.path().join("right.pin");
    let wrong = dir.path().join("wrong.pin");
    std::fs::write(&right, "2468-1357\n").unwrap();
    std::fs::write(&wrong, "11111111\n").unwrap();
    let mut csv = String::from("device,pin_file\n");
    let bad = [2usize, 5, 9];
    for i in 0..12 {
        let pin = if bad.contains(&i) { &wrong } else { &right };
        csv.push_str(&format!("{},{}\n", sim.address(i), pin.display()));
    }
    let batch = dir.path().join("batch.csv");
    std::fs::write(&batch, csv).unwrap();
    let batch = batch.to_str().unwrap();
    let run = provision(&home, &cloud, &[], &["--batch", batch, "--jobs", "4"]);
    assert_eq!(run.code, 7, "{}", run.stderr);
    let records = run.json_lines();
    assert_eq!(records.len(), 12);
    for record in &records {
        let address = record["device"].as_str().unwrap();
        let index = (0..12).find(|i| sim.address(*i) == address).unwrap();
        if bad.contains(&index) {
            assert_eq!(record["ok"], false, "{record}");
            let failed = record["steps"].as_array().unwrap().last().unwrap().clone();
            assert_eq!(failed["step"], "own", "{record}");
            assert_eq!(record["exit"], 5, "{record}");
            assert!(
                record["error"].as_str().unwrap().contains("PIN"),
                "{record}"
            );
        } else {
            assert_eq!(record["ok"], true, "{record}");
        }
    }
    // Again, with the bad ones fixed: the good ones are configured already,
    // the others are taken now.
    let fixed = std::fs::read_to_string(batch)
        .unwrap()
        .replace("wrong.pin", "right.pin");
    std::fs::write(batch, fixed).unwrap();
    let again = provision(&home, &cloud, &[], &["--batch", batch, "--jobs", "4"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.json_lines().iter().all(|r| r["ok"] == true));
    let owned = home.mediator(&["--json", "devices"]).json_lines();
    assert_eq!(owned.len(), 12);
}

#[test]
fn a_bad_batch_file_is_refused_before_any_device_is_touched() {
    let (home, cloud) = (TestHome::start(), cloud());
    let dir = tempfile::tempdir().unwrap();
    let batch = dir.path().join("batch.jsonl");
    std::fs::write(
        &batch,
        "{\"device\": \"127.0.0.1:5683\"}\n{\"otm\": \"jw\"}\n",
    )
    .unwrap();
    let run = provision(&home, &cloud, &[], &["--batch", batch.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("line 2: no device"), "{}", run.stderr);
}
