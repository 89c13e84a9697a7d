//! Crash safety of `own`: the mediator is stopped dead (no close_notify, no
//! cleanup) before each request of each ownership transfer method in turn.
//! Afterwards the device is either back in RFOTM, or owned by us with the
//! key stored; and in both cases `own` completes, then `disown` does.

mod common;
#[path = "common/dtls.rs"]
mod pki;

use std::time::Duration;

use common::DevSim;
use common::keyring::TestHome;

/// How long the device keeps a silent session (the dead mediator's DOC);
/// long enough for a keyring write under load inside a live DOC.
const SESSION_IDLE_MS: &str = "1200";

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

/// Stops `own` before request 0, 1, 2, … until it runs to the end, and
/// checks the promise after each stop.
fn survives_a_crash_before_every_request(method: Method) {
    let home = TestHome::start();
    for stop_after in 0.. {
        let mut flags = vec![
            "--reset-delay-ms",
            "100",
            "--session-idle-ms",
            SESSION_IDLE_MS,
        ];
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
            assert_eq!(home.mediator(&["--json", "disown", &di]).code, 0);
            return;
        }
        assert_eq!(run.code, 86, "stop after {stop_after}: {}", run.stderr);
        // Let the device drop the dead session, as it would after a crash.
        std::thread::sleep(Duration::from_millis(
            SESSION_IDLE_MS.parse::<u64>().unwrap() + 300,
        ));
        let device = home
            .mediator(&["--json", "discover", "--address", &address])
            .json();
        let di = device["di"].as_str().unwrap().to_owned();
        match device["owned"].as_bool() {
            Some(false) => {}
            Some(true) => {
                let entry = &home.state()["devices"][&di];
                assert!(
                    entry.is_object(),
                    "stop after {stop_after}: owned, but we have no entry for {di}"
                );
                assert!(
                    home.has_owner_key(&di),
                    "stop after {stop_after}: owned, key missing"
                );
            }
            None => panic!("stop after {stop_after}: ownership unknown: {device}"),
        }
        let again = home.mediator_with_stdin(&own, method.stdin);
        assert_eq!(
            again.code, 0,
            "stop after {stop_after}: own again: {}",
            again.stderr
        );
        let di = again.json()["di"].as_str().unwrap().to_owned();
        let listed = home.mediator(&["--json", "devices"]).json_lines();
        assert_eq!(
            listed.len(),
            1,
            "stop after {stop_after}: one entry, no leftovers: {listed:?}"
        );
        assert_eq!(listed[0]["key"], "present");
        let disown = home.mediator(&["--json", "disown", &di]);
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
