//! What a device says cannot forge the screen: a device name with escape
//! sequences (`\e[2K\r` erases the line and returns to its start) is shown
//! escaped in tables and messages, kept exact in JSON and in the state file.

mod common;

use common::keyring::TestHome;
use common::{DevSim, mediator};

const NAME: &str = "\u{1b}[2K\rEvil\u{9b}1m";
const SHOWN: &str = "\\e[2K\\rEvil\\u{9b}1m";

#[track_caller]
fn assert_no_raw_controls(text: &str) {
    assert!(
        !text.contains(['\u{1b}', '\r', '\u{9b}']),
        "raw control characters reached the terminal: {text:?}"
    );
}

#[test]
fn discover_shows_the_name_escaped_and_json_keeps_it_exact() {
    let sim = DevSim::start(&["--name", NAME]);
    let table = mediator(&["discover", "--address", &sim.address(0)]);
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert_no_raw_controls(&table.stdout);
    assert!(table.stdout.contains(SHOWN), "{}", table.stdout);

    let json = mediator(&["--json", "discover", "--address", &sim.address(0)]);
    assert_eq!(json.json()["name"], NAME);
}

#[test]
fn get_prints_the_representation_without_raw_control_characters() {
    let sim = DevSim::start(&["--name", NAME]);
    let text = mediator(&["get", &sim.address(0), "/oic/d"]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert_no_raw_controls(&text.stdout);

    let json = mediator(&["--json", "get", &sim.address(0), "/oic/d"]);
    assert_eq!(json.json()["representation"]["n"], NAME);
}

#[test]
fn own_and_devices_show_the_name_escaped_and_the_state_keeps_it_raw() {
    let home = TestHome::start();
    let sim = DevSim::start(&["--name", NAME]);
    let own = home.mediator(&["own", &sim.address(0)]);
    assert_eq!(own.code, 0, "{}", own.stderr);
    assert_no_raw_controls(&own.stdout);
    assert_no_raw_controls(&own.stderr);
    assert!(own.stdout.contains(SHOWN), "{}", own.stdout);

    let devices = home.mediator(&["devices"]);
    assert_no_raw_controls(&devices.stdout);
    assert!(devices.stdout.contains(SHOWN), "{}", devices.stdout);
    assert_eq!(devices.stdout.lines().count(), 2, "{}", devices.stdout);

    let json = home.mediator(&["--json", "devices"]);
    assert_eq!(json.json()["name"], NAME);
    let state = home.state();
    let entry = state["devices"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap();
    assert_eq!(entry["name"], NAME, "the state keeps the raw name");
}
