//! `ocf-mediator update`: JSON bodies POSTed as OCF CBOR, against the
//! simulated device's doxm write rules.

mod common;

use std::io::Write;
use std::process::Stdio;

use common::{DevSim, mediator, mediator_command};

#[test]
fn an_update_is_applied_and_its_answer_shown() {
    let sim = DevSim::start(&[]);
    let run = mediator(&[
        "--json",
        "update",
        &sim.address(0),
        "/oic/sec/doxm",
        "--data",
        r#"{"oxmsel": 0}"#,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let line = run.json();
    assert_eq!(line["code"], "2.04");
    assert_eq!(line["representation"]["oxmsel"], 0);
    let after = mediator(&["--json", "get", &sim.address(0), "/oic/sec/doxm"]);
    assert_eq!(after.json()["representation"]["oxmsel"], 0);
}

#[test]
fn the_simulated_device_keeps_updates_in_its_state_dir() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().to_str().unwrap();
    let sim = DevSim::start(&["--state-dir", state]);
    assert_eq!(
        mediator(&[
            "update",
            &sim.address(0),
            "/oic/sec/doxm",
            "-d",
            r#"{"oxmsel":0}"#
        ])
        .code,
        0
    );
    drop(sim);
    let again = DevSim::start(&["--state-dir", state]);
    let doxm = mediator(&["--json", "get", &again.address(0), "/oic/sec/doxm"]).json();
    assert_eq!(doxm["representation"]["oxmsel"], 0);
}

#[test]
fn a_refused_update_exits_6_with_the_code() {
    let sim = DevSim::start(&[]);
    let bad = mediator(&[
        "update",
        &sim.address(0),
        "/oic/sec/doxm",
        "--data",
        r#"{"oxmsel": 7}"#,
    ]);
    assert_eq!(bad.code, 6);
    assert!(
        bad.stderr
            .contains("POST /oic/sec/doxm: the device answered 4.00 Bad Request"),
        "{}",
        bad.stderr
    );
    // Access is checked before the method, as on the reference device.
    let read_only = mediator(&[
        "update",
        &sim.address(0),
        "/oic/d",
        "--data",
        r#"{"n": "x"}"#,
    ]);
    assert_eq!(read_only.code, 6);
    assert!(read_only.stderr.contains("4.01"), "{}", read_only.stderr);
}

#[test]
fn a_large_body_goes_block_wise_and_arrives_whole() {
    let sim = DevSim::start(&[]);
    // Reassembled by the device (Block1), then refused for its unknown key:
    // a 4.00 from the handler, not a 4.08/4.13 from the transfer.
    let body = format!(r#"{{"oxmsel": 0, "padding": "{}"}}"#, "x".repeat(3000));
    let run = mediator(&["update", &sim.address(0), "/oic/sec/doxm", "--data", &body]);
    assert_eq!(run.code, 6, "{}", run.stderr);
    assert!(run.stderr.contains("4.00 Bad Request"), "{}", run.stderr);
}

#[test]
fn the_body_can_come_from_a_file_or_stdin() {
    let sim = DevSim::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("body.json");
    std::fs::write(&file, r#"{"oxmsel": 0}"#).unwrap();
    let from_file = mediator(&[
        "update",
        &sim.address(0),
        "/oic/sec/doxm",
        "--data",
        &format!("@{}", file.display()),
    ]);
    assert_eq!(from_file.code, 0, "{}", from_file.stderr);

    let mut child = mediator_command(&["update", &sim.address(0), "/oic/sec/doxm", "--data", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(br#"{"oxmsel": 0}"#)
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn bodies_that_are_not_json_objects_are_usage_errors() {
    let sim = DevSim::start(&[]);
    for data in ["{oxmsel: 0}", "[1, 2]", "@/nonexistent/body.json"] {
        let run = mediator(&["update", &sim.address(0), "/oic/sec/doxm", "--data", data]);
        assert_eq!(run.code, 2, "{data}: {}", run.stderr);
    }
    let both = mediator(&[
        "update",
        "coaps://127.0.0.1:5684",
        "/x",
        "--data",
        "-",
        "--psk-identity",
        "a",
        "--psk-stdin",
    ]);
    assert_eq!(both.code, 2);
    assert!(both.stderr.contains("not both"), "{}", both.stderr);
}
