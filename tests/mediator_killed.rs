//! `ocf-mediator` killed with SIGKILL at random points of `own`, `cloud
//! configure` and `provision`, 100 runs each (the kill points come from a
//! seed the test prints; `OCF_CRASH_SEED` replays them). Each run takes a
//! fresh device of one `ocf-devsim device` process and kills the command
//! after a random delay within the time a clean run takes. Afterwards:
//!
//! - the store reads (`devices --json` succeeds, every later command too);
//! - the device, by the state it saves, is unowned, or owned with its key
//!   `present` in the store and answering an owner session with it;
//! - the same command run again completes: the device owned, its record
//!   complete, its owner credential there once, the cloud's trust anchor
//!   and ACE written once, and in RFNOP;
//! - at the end every device configured for the cloud has signed in, and
//!   SQLite's integrity check finds the store intact.
//!
//! Runs go four at a time, each lane on its own devices, against one store
//! (so the store also sees commands killed while others write).

mod common;
#[path = "common/crash.rs"]
mod crash;
#[path = "common/hub.rs"]
mod hub;
#[path = "common/cloud.rs"]
mod kit;
#[path = "common/oidc.rs"]
mod oidc;

use std::time::{Duration, Instant};

use crash::{Launcher, Left};
use hub::{Devices, Grant, Hub, cloud_writes};

const RUNS: usize = 100;
const LANES: usize = 4;
/// A device drops an ownership session that went silent (the mediator was
/// killed) after this long, undoing it if it had not left RFOTM; a minute
/// on the reference device, shorter here so that a leftover one is dropped
/// within the test.
const DEVICE_FLAGS: [&str; 2] = ["--session-idle-ms", "4000"];
const TIMEOUT: [&str; 2] = ["--timeout", "20s"];

/// The hub (which stays on the test's thread) and what the lanes share.
struct Rig {
    hub: Hub,
    lab: Lab,
}

/// The devices, the mediator in the hub's home, and the cloud's UUID.
struct Lab {
    devices: Devices,
    mediator: Launcher,
    sid: String,
}

/// A hub a factory line is logged in to, and `count` unowned devices.
fn rig(count: usize) -> Rig {
    let hub = Hub::start(Grant::ClientCredentials);
    let devices = Devices::start(count, &DEVICE_FLAGS);
    let mediator = Launcher::from(&hub.home.command(&[]));
    let sid = hub.cloud.sid();
    Rig {
        hub,
        lab: Lab {
            devices,
            mediator,
            sid,
        },
    }
}

impl Rig {
    /// Waits until the cloud has seen each device sign in.
    fn assert_signed_in(&self, dis: &[String]) {
        for di in dis {
            self.hub.wait_for("signin", di);
        }
    }
}

impl Lab {
    fn run(&self, args: &[&str]) -> common::Run {
        let mut all = vec!["--json"];
        all.extend_from_slice(&TIMEOUT);
        all.extend_from_slice(args);
        self.mediator.run(&all, "")
    }

    fn killed_after(&self, args: &[&str], delay: Duration) -> bool {
        let mut all = vec!["--json"];
        all.extend_from_slice(&TIMEOUT);
        all.extend_from_slice(args);
        self.mediator.killed_after(&all, "", delay)
    }

    /// Device `i` is unowned, or owned with its key in the store and
    /// answering an owner session; its UUID when owned.
    fn assert_unowned_or_ours(&self, i: usize, when: &str) -> Option<String> {
        crash::assert_unowned_or_ours(&self.mediator, &self.devices.state(i), when)
    }

    /// Device `i` owned by us, complete, one owner credential, in RFNOP;
    /// its UUID.
    fn assert_owned_and_complete(&self, i: usize, when: &str) -> String {
        crash::assert_owned_and_complete(&self.mediator, &self.devices.state(i), when)
    }

    /// Device `i` holds the cloud's trust anchor and ACE once, and its
    /// configuration for this cloud.
    fn assert_configured(&self, i: usize, when: &str) {
        let state = self.devices.state(i);
        assert_eq!(
            cloud_writes(&state, &self.sid),
            (1, 1),
            "{when}: the cloud's trust anchor and ACE, once each: {}",
            crash::summary(&state)
        );
        assert_eq!(
            state["security"]["cloud"]["sid"],
            self.sid.as_str(),
            "{when}: {}",
            crash::summary(&state)
        );
    }
}

#[test]
fn own_killed_at_random_points_leaves_each_device_unowned_or_ours_and_a_rerun_completes() {
    let started = Instant::now();
    let seed = crash::seed("own");
    let rig = rig(RUNS + LANES);
    let lab = &rig.lab;
    let span = crash::clean_span(LANES, |lane| {
        let run = lab.run(&["own", &lab.devices.address(RUNS + lane)]);
        assert_eq!(run.code, 0, "a clean own: {}", run.stderr);
    });
    let delays = crash::delays(seed, RUNS, span);
    let left = crash::in_lanes(RUNS, LANES, |i| {
        let address = lab.devices.address(i);
        let when = format!("own, run {i}, killed after {:?} (seed {seed})", delays[i]);
        let killed = lab.killed_after(&["own", &address], delays[i]);
        let left = Left::of(killed, &lab.devices.state(i));
        lab.assert_unowned_or_ours(i, &when);
        let again = lab.run(&["own", &address]);
        assert_eq!(again.code, 0, "{when}, then own again: {}", again.stderr);
        lab.assert_owned_and_complete(i, &format!("{when}, then own again"));
        left
    });
    crash::assert_store_intact(&rig.hub.home.home.state_dir());
    let tally = crash::tally("own", &left);
    eprintln!(
        "own: {RUNS} runs (left {tally}; clean run {span:?}) in {:?}",
        started.elapsed()
    );
}

#[test]
fn cloud_configure_killed_at_random_points_leaves_each_device_ours_and_a_rerun_completes() {
    let started = Instant::now();
    let seed = crash::seed("cloud configure");
    let rig = rig(RUNS + LANES);
    let lab = &rig.lab;
    let owned: Vec<String> = {
        crash::in_lanes(RUNS + LANES, LANES, |i| {
            let run = lab.run(&["own", &lab.devices.address(i)]);
            assert_eq!(run.code, 0, "own device {i}: {}", run.stderr);
            run.json()["di"].as_str().unwrap().to_owned()
        })
    };
    let span = crash::clean_span(LANES, |lane| {
        let run = lab.run(&["cloud", "configure", &owned[RUNS + lane]]);
        assert_eq!(run.code, 0, "a clean cloud configure: {}", run.stderr);
    });
    let delays = crash::delays(seed, RUNS, span);
    let left = crash::in_lanes(RUNS, LANES, |i| {
        let di = &owned[i];
        let when = format!(
            "cloud configure, run {i}, killed after {:?} (seed {seed})",
            delays[i]
        );
        let killed = lab.killed_after(&["cloud", "configure", di], delays[i]);
        let state = lab.devices.state(i);
        let left = if !killed {
            Left::Finished
        } else if state["pstat"]["s"] == 2 {
            Left::Owning
        } else {
            Left::Owned
        };
        assert_eq!(
            lab.assert_unowned_or_ours(i, &when).as_deref(),
            Some(di.as_str()),
            "{when}: the device stays ours"
        );
        let again = lab.run(&["cloud", "configure", di]);
        assert_eq!(
            again.code, 0,
            "{when}, then configure again: {}",
            again.stderr
        );
        let when = format!("{when}, then configure again");
        lab.assert_owned_and_complete(i, &when);
        lab.assert_configured(i, &when);
        left
    });
    crash::assert_store_intact(&rig.hub.home.home.state_dir());
    let tally = crash::tally("cloud configure", &left);
    rig.assert_signed_in(&owned);
    eprintln!(
        "cloud configure: {RUNS} runs (left {tally}, Owning meaning in RFPRO; clean run {span:?}) in {:?}",
        started.elapsed()
    );
}

#[test]
fn provision_killed_at_random_points_leaves_each_device_unowned_or_ours_and_a_rerun_completes() {
    let started = Instant::now();
    let seed = crash::seed("provision");
    let rig = rig(RUNS + LANES);
    let lab = &rig.lab;
    let span = crash::clean_span(LANES, |lane| {
        let run = lab.run(&["provision", &lab.devices.address(RUNS + lane)]);
        assert_eq!(run.code, 0, "a clean provision: {}", run.stderr);
    });
    let delays = crash::delays(seed, RUNS, span);
    let left = crash::in_lanes(RUNS, LANES, |i| {
        let address = lab.devices.address(i);
        let when = format!(
            "provision, run {i}, killed after {:?} (seed {seed})",
            delays[i]
        );
        let killed = lab.killed_after(&["provision", &address], delays[i]);
        let left = Left::of(killed, &lab.devices.state(i));
        lab.assert_unowned_or_ours(i, &when);
        let again = lab.run(&["provision", &address]);
        assert_eq!(
            again.code, 0,
            "{when}, then provision again: {}",
            again.stderr
        );
        let record = again.json();
        assert_eq!(record["cps"], "registered", "{when}: {record}");
        let when = format!("{when}, then provision again");
        let di = lab.assert_owned_and_complete(i, &when);
        lab.assert_configured(i, &when);
        (left, di)
    });
    let (left, dis): (Vec<Left>, Vec<String>) = left.into_iter().unzip();
    crash::assert_store_intact(&rig.hub.home.home.state_dir());
    let tally = crash::tally("provision", &left);
    rig.assert_signed_in(&dis);
    eprintln!(
        "provision: {RUNS} runs (left {tally}; clean run {span:?}) in {:?}",
        started.elapsed()
    );
}
