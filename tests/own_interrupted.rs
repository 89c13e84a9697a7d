//! Crash safety of `own`: the mediator is stopped dead (no close_notify, no
//! cleanup) before each request of each ownership transfer method in turn.
//! Afterwards the device is either back in RFOTM, or owned by us with the
//! key stored; and in both cases `own`, run again at once, completes, then
//! `disown` does.

mod common;
#[path = "common/dtls.rs"]
mod pki;

use std::time::{Duration, Instant};

use common::DevSim;
use common::keyring::TestHome;

struct Method {
    devsim_flags: Vec<String>,
    own_flags: Vec<String>,
    stdin: &'static str,
    _pki: Option<tempfile::TempDir>,
}

fn just_works() -> Method {
    Method {
        devsim_flags: vec![],
        own_flags: vec![],
        stdin: "",
        _pki: None,
    }
}

fn random_pin() -> Method {
    Method {
        devsim_flags: vec![
            "--otm".into(),
            "rdp".into(),
            "--pin".into(),
            "24681357".into(),
        ],
        own_flags: vec!["--pin-stdin".into()],
        stdin: "24681357\n",
        _pki: None,
    }
}

fn manufacturer_certificate() -> Method {
    let ca = pki::issue("Crash Test Root", pki::Kind::Ca, None, 0);
    let leaf = pki::issue(
        "uuid:00000000-0000-0000-0000-0000000000bb",
        pki::Kind::Server,
        Some(&ca),
        0,
    );
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    std::fs::write(file("ca.pem"), ca.pem()).unwrap();
    std::fs::write(file("chain.pem"), leaf.pem()).unwrap();
    std::fs::write(file("key.pem"), leaf.key_pem()).unwrap();
    Method {
        devsim_flags: vec![
            "--otm".into(),
            "mfg".into(),
            "--mfg-cert".into(),
            file("chain.pem"),
            "--mfg-key".into(),
            file("key.pem"),
        ],
        own_flags: vec!["--mfg-ca".into(), file("ca.pem")],
        stdin: "",
        _pki: Some(dir),
    }
}

/// What the simulated device holds, from the state it saves.
fn device_state(dir: &std::path::Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("device-0.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Stops `own` before request 0, 1, 2, … until it runs to the end, and
/// checks the promise after each stop: the device is unowned, or owned with
/// our key stored; and a rerun at once (the device still runs the dead
/// ownership session, which it keeps for a minute) completes it.
fn survives_a_crash_before_every_request(method: Method) {
    let home = TestHome::start();
    for stop_after in 0.. {
        let states = tempfile::tempdir().unwrap();
        let state_dir = states.path().to_str().unwrap().to_owned();
        let mut flags = vec!["--reset-delay-ms", "100", "--state-dir", &state_dir];
        flags.extend(method.devsim_flags.iter().map(String::as_str));
        let sim = DevSim::start(&flags);
        let address = sim.address(0);
        let mut own = vec!["--json", "own", address.as_str()];
        own.extend(method.own_flags.iter().map(String::as_str));
        let stop = stop_after.to_string();
        let run = home.mediator_with_env(
            &own,
            &[("OCF_MEDIATOR_TEST_STOP_AFTER", &stop)],
            method.stdin,
        );
        if run.code == 0 {
            assert!(
                stop_after > 10,
                "the plan has more requests than {stop_after}"
            );
            let di = run.json()["di"].as_str().unwrap().to_owned();
            assert_eq!(home.mediator(&["--json", "disown", "--yes", &di]).code, 0);
            return;
        }
        assert_eq!(run.code, 86, "stop after {stop_after}: {}", run.stderr);
        let device = device_state(states.path());
        let looks_owned = device["doxm"]["owned"] == true || device["pstat"]["s"] != 1;
        if looks_owned {
            let di = device["di"].as_str().unwrap();
            let listed = home.mediator(&["--json", "devices"]).json_lines();
            let ours = listed.iter().find(|d| d["di"] == di);
            assert!(
                ours.is_some_and(|d| d["key"] == "present"),
                "stop after {stop_after}: the device looks owned as {di}, but we hold no key for it: {listed:?}"
            );
        }
        let started = Instant::now();
        let again = home.mediator_with_stdin(&own, method.stdin);
        assert_eq!(
            again.code, 0,
            "stop after {stop_after}: own again: {}",
            again.stderr
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "stop after {stop_after}: the rerun waited {:?} (for the device to drop the dead session?)",
            started.elapsed()
        );
        let di = again.json()["di"].as_str().unwrap().to_owned();
        let listed = home.mediator(&["--json", "devices"]).json_lines();
        assert_eq!(
            listed.len(),
            1,
            "stop after {stop_after}: one record, no leftovers: {listed:?}"
        );
        assert_eq!(listed[0]["key"], "present");
        assert_eq!(listed[0]["complete"], true);
        let disown = home.mediator(&["--json", "disown", "--yes", &di]);
        assert_eq!(
            disown.code, 0,
            "stop after {stop_after}: disown: {}",
            disown.stderr
        );
        assert_eq!(home.mediator(&["--json", "devices"]).stdout, "");
    }
}

#[test]
fn just_works_survives_a_crash_before_every_request() {
    survives_a_crash_before_every_request(just_works());
}

#[test]
fn random_pin_survives_a_crash_before_every_request() {
    survives_a_crash_before_every_request(random_pin());
}

#[test]
fn manufacturer_certificate_survives_a_crash_before_every_request() {
    survives_a_crash_before_every_request(manufacturer_certificate());
}
