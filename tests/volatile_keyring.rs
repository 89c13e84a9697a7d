//! `--volatile-keyring`: owner keys in the Linux kernel keyring, asked for
//! explicitly, with a warning; `devices` says which store holds each key.
//! The commands run in one kernel keyring session (`keyctl session`), as a
//! headless user's login session would be.

mod common;

use common::keyring::TestHome;
use common::{DevSim, MEDIATOR, Run, have};

#[test]
fn keys_go_to_the_kernel_keyring_only_when_asked_and_with_a_warning() {
    assert!(
        have("keyctl"),
        "keyutils is needed (scripts/setup.sh installs it)"
    );
    let home = TestHome::start();
    let sim = DevSim::start(&[]);
    let script = format!(
        "set -e; m={MEDIATOR}; \
         $m --volatile-keyring --json own {addr} > own.json 2> own.err; \
         di=$(sed 's/.*\"di\":\"\\([^\"]*\\)\".*/\\1/' own.json); \
         $m --json devices > devices.json; \
         $m --json get $di /oic/d > get.json",
        addr = sim.address(0)
    );
    let out = home
        .command("keyctl")
        .args(["session", "-", "bash", "-c", &script])
        .current_dir(home.path())
        .output()
        .unwrap();
    let run = Run::from(out);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let read = |name: &str| std::fs::read_to_string(home.path().join(name)).unwrap();
    assert!(
        read("own.err").contains("lost on reboot"),
        "{}",
        read("own.err")
    );
    let device: serde_json::Value = serde_json::from_str(&read("devices.json")).unwrap();
    assert_eq!(device["keyring"], "kernel");
    assert_eq!(device["key"], "present");
    assert!(
        read("get.json").contains("\"2.05\""),
        "{}",
        read("get.json")
    );
    assert!(
        home.secret_accounts().is_empty(),
        "nothing in the Secret Service"
    );
}
