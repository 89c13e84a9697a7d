//! `cloud configure | status | deregister` against a simulated device this
//! mediator owns: the trust anchor, the cloud ACE and the configuration
//! under RFPRO, never written twice; another cloud refused without --force.

mod common;
#[path = "common/dtls.rs"]
mod pki;

use common::keyring::TestHome;
use common::{DevSim, Run};
use serde_json::Value;

const SID: &str = "5f1e5a55-26b2-4ddd-9b27-2c3e1a7f0c01";
const OTHER_SID: &str = "6a2f6b66-37c3-4eee-8c38-3d4f2b8a1d02";

struct Rig {
    home: TestHome,
    _sim: DevSim,
    di: String,
    ca: tempfile::NamedTempFile,
}

/// A device owned by this mediator, and a cloud CA.
fn rig() -> Rig {
    let home = TestHome::start();
    let sim = DevSim::start(&[]);
    let run = home.mediator(&["--json", "own", &sim.address(0)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let di = run.json()["di"].as_str().unwrap().to_owned();
    let ca = tempfile::NamedTempFile::new().unwrap();
    let cert = pki::issue("Test Cloud CA", pki::Kind::Ca, None, 0);
    std::fs::write(ca.path(), cert.pem()).unwrap();
    Rig {
        home,
        _sim: sim,
        di,
        ca,
    }
}

impl Rig {
    fn configure(&self, sid: &str, extra: &[&str]) -> Run {
        let ca = self.ca.path().to_str().unwrap();
        let mut args = vec![
            "--json",
            "cloud",
            "configure",
            &self.di,
            "--cis",
            "coaps+tcp://127.0.0.1:5684",
            "--sid",
            sid,
            "--apn",
            "plgd",
            "--ca",
            ca,
            "--token-stdin",
        ];
        args.extend_from_slice(extra);
        self.home.mediator_with_stdin(&args, "one-time-code\n")
    }

    fn get(&self, href: &str) -> Value {
        let run = self.home.mediator(&["--json", "get", &self.di, href]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.json()["representation"].clone()
    }

    fn count(&self, href: &str, list: &str, pick: impl Fn(&Value) -> bool) -> usize {
        self.get(href)[list]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| pick(v))
            .count()
    }
}

#[test]
fn configure_writes_anchor_ace_and_configuration_and_leaves_rfnop() {
    let rig = rig();
    let run = rig.configure(SID, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let line = run.json();
    assert_eq!(
        line["cps"], "readytoregister",
        "as the device answered the write"
    );
    assert_eq!(line["sid"], SID);
    assert_eq!(line["changed"], true);
    assert!(
        !run.stdout.contains("one-time-code"),
        "the token never shows"
    );
    let anchors = rig.count("/oic/sec/cred", "creds", |c| {
        c["credusage"] == "oic.sec.cred.trustca" && c["subjectuuid"] == SID
    });
    assert_eq!(anchors, 1);
    let aces = rig.count("/oic/sec/acl2", "aclist2", |a| a["subject"]["uuid"] == SID);
    assert_eq!(aces, 1);
    assert_eq!(rig.get("/oic/sec/pstat")["dos"]["s"], 3, "back in RFNOP");
}

#[test]
fn configuring_ten_times_writes_the_anchor_and_the_ace_once() {
    let rig = rig();
    for _ in 0..10 {
        let run = rig.configure(SID, &[]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let anchors = rig.count("/oic/sec/cred", "creds", |c| c["subjectuuid"] == SID);
    let aces = rig.count("/oic/sec/acl2", "aclist2", |a| a["subject"]["uuid"] == SID);
    assert_eq!((anchors, aces), (1, 1));
}

#[test]
fn another_cloud_is_refused_unless_forced() {
    let rig = rig();
    let first = rig.configure(SID, &[]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let refused = rig.configure(OTHER_SID, &[]);
    assert_eq!(refused.code, 6, "{}", refused.stderr);
    assert!(refused.stderr.contains("--force"), "{}", refused.stderr);
    let forced = rig.configure(OTHER_SID, &["--force"]);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert_eq!(forced.json()["sid"], OTHER_SID);
}

#[test]
fn status_says_what_cps_means_and_deregister_leaves_the_cloud() {
    let rig = rig();
    assert_eq!(rig.configure(SID, &[]).code, 0);
    // Nothing listens at the cloud's address: the device tries, and fails;
    // whichever state it is in is shown with what it means.
    let status = rig.home.mediator(&["cloud", "status", &rig.di]);
    // Failed (after its third attempt) exits 4, saying why.
    let failed = status.stdout.contains("failed — ");
    assert_eq!(status.code, if failed { 4 } else { 0 }, "{}", status.stderr);
    let said = [
        "readytoregister — configured; about to connect to the cloud",
        "registering — connecting and signing up with the cloud",
        "failed — the last attempt to register failed",
    ];
    assert!(
        said.iter().any(|s| status.stdout.contains(s)),
        "{}",
        status.stdout
    );
    let left = rig
        .home
        .mediator(&["--json", "cloud", "deregister", &rig.di]);
    assert_eq!(left.code, 0, "{}", left.stderr);
    assert_eq!(left.json()["cps"], "uninitialized");
    let again = rig.home.mediator(&["--json", "cloud", "status", &rig.di]);
    assert_eq!(again.json()["cps"], "uninitialized");
}

#[test]
fn a_device_that_is_not_ours_is_refused_before_anything_is_sent() {
    let home = TestHome::start();
    let sim = DevSim::start(&[]);
    let ca = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(ca.path(), pki::issue("CA", pki::Kind::Ca, None, 0).pem()).unwrap();
    let run = home.mediator_with_stdin(
        &[
            "cloud",
            "configure",
            &sim.address(0),
            "--cis",
            "coaps+tcp://127.0.0.1:5684",
            "--sid",
            SID,
            "--apn",
            "plgd",
            "--ca",
            ca.path().to_str().unwrap(),
            "--token-stdin",
        ],
        "code",
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains("not owned by this mediator"),
        "{}",
        run.stderr
    );
}
