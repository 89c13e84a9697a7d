//! `devices`: what this mediator owns, read from its state file, with the
//! owner key looked up in the real OS keyring of a scratch home.

mod common;

use common::keyring::TestHome;

const DI: &str = "95dd205a-157f-4582-7432-1eed3000de30";

fn home_owning_one_device() -> TestHome {
    let home = TestHome::start();
    std::fs::create_dir_all(home.state_dir()).unwrap();
    let state = serde_json::json!({
        "mediator_uuid": "1f5b5c4d-56a4-45c2-57bc-98abe007ee36",
        "devices": { DI: {
            "name": "Kitchen Light", "endpoints": ["coaps://127.0.0.1:5684"],
            "otm": "jw", "keyring": "secret-service", "complete": true
        }}
    });
    std::fs::write(home.state_dir().join("state.json"), state.to_string()).unwrap();
    home
}

fn store_secret(home: &TestHome, account: &str, secret: &str) {
    let mut child = home
        .command("secret-tool")
        .args(["store", "--label=test", "service", "ocf-mediator"])
        .args(["username", account, "target", "default"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(secret.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
}

#[test]
fn a_new_mediator_owns_nothing() {
    let home = TestHome::start();
    let run = home.mediator(&["--json", "devices"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    let run = home.mediator(&["devices"]);
    assert!(run.stderr.contains("owns no devices"), "{}", run.stderr);
}

#[test]
fn an_owned_device_is_listed_with_its_key_in_the_keyring() {
    let home = home_owning_one_device();
    store_secret(&home, &format!("device/{DI}"), "0123456789abcdef");
    let device = home.mediator(&["--json", "devices"]).json();
    assert_eq!(device["di"], DI);
    assert_eq!(device["name"], "Kitchen Light");
    assert_eq!(device["keyring"], "secret-service");
    assert_eq!(device["key"], "present");
    let table = home.mediator(&["devices"]).stdout;
    assert!(table.contains("present (secret-service)"), "{table}");
}

#[test]
fn a_lost_key_is_reported_missing() {
    let home = home_owning_one_device();
    let device = home.mediator(&["--json", "devices"]).json();
    assert_eq!(device["key"], "missing");
}

#[test]
fn a_damaged_state_file_is_named_with_what_to_do() {
    let home = TestHome::start();
    std::fs::create_dir_all(home.state_dir()).unwrap();
    std::fs::write(home.state_dir().join("state.json"), "{not json").unwrap();
    let run = home.mediator(&["devices"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("state.json") && run.stderr.contains("damaged"),
        "{}",
        run.stderr
    );
}
