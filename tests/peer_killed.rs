//! The peers die instead of the mediator: the simulated devices' process,
//! or the cloud's, killed with SIGKILL at a random point of `provision`
//! (seeded; `OCF_CRASH_SEED` replays the points). The mediator ends with a
//! clean error (an exit code of the table, a sentence naming the device or
//! the cloud and the step, no panic), nothing it had is lost (a device
//! that says it is owned has its key in the store and answers an owner
//! session), and once the peer is back where it was, the same command
//! completes: the device registered, the cloud's writes there once.

mod common;
#[path = "common/crash.rs"]
mod crash;
#[path = "common/hub.rs"]
mod hub;
#[path = "common/cloud.rs"]
mod kit;
#[path = "common/oidc.rs"]
mod oidc;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::Run;
use crash::Launcher;
use hub::{Devices, Grant, Hub, cloud_writes};

const RUNS: usize = 10;
/// As in tests/mediator_killed.rs: a dead ownership session is dropped
/// within the test.
const DEVICE_FLAGS: [&str; 2] = ["--session-idle-ms", "4000"];
/// Short, so that a mediator whose peer died gives up soon.
const SHORT: &str = "3s";

/// `provision ADDRESS --json --timeout SHORT`, started; `kill` runs after
/// `delay` (the peer dies); the mediator's run to its end.
fn provision_while(
    mediator: &Launcher,
    address: &str,
    delay: Duration,
    kill: impl FnOnce(),
) -> Run {
    let child = mediator
        .command(&["--json", "--timeout", SHORT, "provision", address])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(delay);
    kill();
    Run::from(child.wait_with_output().unwrap())
}

fn provision(mediator: &Launcher, address: &str) -> Run {
    mediator.run(&["--json", "--timeout", "20s", "provision", address], "")
}

/// A provision that completed: the device registered, owned by us,
/// complete, with the cloud's trust anchor and ACE once.
fn assert_provisioned(
    mediator: &Launcher,
    run: &Run,
    state: &serde_json::Value,
    sid: &str,
    when: &str,
) {
    assert_eq!(run.code, 0, "{when}: {}", run.stderr);
    let record = run.json();
    assert_eq!(record["cps"], "registered", "{when}: {record}");
    crash::assert_owned_and_complete(mediator, state, when);
    assert_eq!(
        cloud_writes(state, sid),
        (1, 1),
        "{when}: the cloud's trust anchor and ACE, once each: {}",
        crash::summary(state)
    );
}

/// How long a clean provision takes once warm: the first of a process's
/// store, token and hub connections costs more than the runs to kill, and
/// kill points within that would mostly fall after the end. The time of
/// the last of `addresses`. Kills fall within the first four fifths of it.
fn clean_span(mediator: &Launcher, addresses: &[String]) -> Duration {
    let mut took = Duration::ZERO;
    for address in addresses {
        let start = Instant::now();
        let run = provision(mediator, address);
        assert_eq!(run.code, 0, "a clean provision: {}", run.stderr);
        took = start.elapsed();
    }
    took
}

#[test]
fn devices_killed_mid_provision_give_a_clean_error_lose_nothing_and_a_rerun_completes() {
    let started = Instant::now();
    let seed = crash::seed("devices killed");
    let hub = Hub::start(Grant::ClientCredentials);
    let mediator = Launcher::from(&hub.home.command(&[]));
    let sid = hub.cloud.sid();
    let span = {
        let devices = Devices::start(2, &DEVICE_FLAGS);
        clean_span(&mediator, &[devices.address(0), devices.address(1)])
    };
    let delays = crash::delays(seed, RUNS, span * 4 / 5);
    let mut failed = 0;
    for (run, delay) in delays.into_iter().enumerate() {
        let when = format!("run {run}, devices killed after {delay:?} (seed {seed})");
        let listen = format!("127.0.0.1:{}", common::free_udp_port());
        let devices = Devices::start_at(tempfile::tempdir().unwrap(), 1, &listen, &DEVICE_FLAGS);
        let address = devices.address(0);
        let first_di = devices.first_di(0);
        let mut dir = None;
        let killed = provision_while(&mediator, &address, delay, || dir = Some(devices.kill()));
        let dir = dir.unwrap();
        let state = hub::state_in(dir.path(), 0);
        if killed.code != 0 {
            failed += 1;
            let di = state["di"].as_str().unwrap();
            crash::assert_clean_error(&killed, &[&[&address, &first_di, di]], &when);
        }
        crash::assert_unowned_or_ours_offline(&mediator, &state, &when);
        // Back where it was, from what it had saved.
        let devices = Devices::start_at(dir, 1, &listen, &DEVICE_FLAGS);
        crash::assert_unowned_or_ours(&mediator, &devices.state(0), &format!("{when}, restarted"));
        let before = crash::summary(&devices.state(0));
        let again = provision(&mediator, &address);
        let when = format!("{when}, then provision again (the device restarted as {before})");
        assert_provisioned(&mediator, &again, &devices.state(0), &sid, &when);
    }
    assert!(
        failed >= RUNS / 5,
        "only {failed} of {RUNS} runs met a dead device"
    );
    crash::assert_store_intact(&hub.home.home.state_dir());
    eprintln!(
        "devices killed: {RUNS} runs ({failed} met the dead devices, clean run {span:?}) in {:?}",
        started.elapsed()
    );
}

#[test]
fn the_cloud_killed_mid_provision_gives_a_clean_error_loses_nothing_and_a_rerun_completes() {
    let started = Instant::now();
    let seed = crash::seed("cloud killed");
    let state = tempfile::tempdir().unwrap();
    let mut hub = Hub::start_with(
        Grant::ClientCredentials,
        &["--state-dir", state.path().to_str().unwrap()],
    );
    let mediator = Launcher::from(&hub.home.command(&[]));
    let sid = hub.cloud.sid();
    let cis = hub.cloud.cis();
    let devices = Devices::start(RUNS + 2, &DEVICE_FLAGS);
    let span = clean_span(
        &mediator,
        &[devices.address(RUNS + 1), devices.address(RUNS)],
    );
    let registered_before = devices.state(RUNS)["di"].as_str().unwrap().to_owned();
    let delays = crash::delays(seed, RUNS, span * 4 / 5);
    let mut failed = 0;
    for (run, delay) in delays.into_iter().enumerate() {
        let when = format!("run {run}, cloud killed after {delay:?} (seed {seed})");
        let address = devices.address(run);
        let killed = provision_while(&mediator, &address, delay, || hub.kill_cloud());
        if killed.code != 0 {
            failed += 1;
            let di = devices.state(run)["di"].as_str().unwrap().to_owned();
            // The device by its address, UUID or name (a certificate step
            // names it as the ownership session does); the cloud by its
            // address or UUID, or the hub's certificate authority it serves.
            let record = hub::records(&killed).into_iter().next().unwrap_or_default();
            let name = record["name"].as_str().unwrap_or(&address).to_owned();
            crash::assert_clean_error(
                &killed,
                &[
                    &[&address, &di, &name],
                    &[&cis, &sid, "the hub's certificate authority"],
                ],
                &when,
            );
        }
        crash::assert_unowned_or_ours(&mediator, &devices.state(run), &when);
        hub.restart_cloud();
        assert_eq!(hub.cloud.sid(), sid, "the cloud keeps its sid");
        let again = provision(&mediator, &address);
        let when = format!("{when}, then provision again");
        assert_provisioned(&mediator, &again, &devices.state(run), &sid, &when);
    }
    // The device registered before the first kill is back with the cloud
    // on its own, with the tokens it had.
    hub.wait_for("signin", &registered_before);
    assert!(
        failed >= RUNS / 5,
        "only {failed} of {RUNS} runs met a dead cloud"
    );
    crash::assert_store_intact(&hub.home.home.state_dir());
    eprintln!(
        "cloud killed: {RUNS} runs ({failed} met the dead cloud, clean run {span:?}) in {:?}",
        started.elapsed()
    );
}
