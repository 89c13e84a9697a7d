//! `keys export` and `keys import`: a station's owner keys move to a new
//! one (an empty state directory and keyring) and the devices are managed
//! from there; a wrong passphrase, a damaged or newer file, and an existing
//! output file are refused with a sentence and an exit code.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::keyring::TestHome;
use common::{DevSim, Run};

const PASSPHRASE: &str = "correct horse battery staple\n";

fn own(home: &TestHome, sim: &DevSim) -> String {
    let run = home.mediator(&["--json", "own", &sim.address(0)]);
    assert_eq!(run.code, 0, "own: {}", run.stderr);
    run.json()["di"].as_str().unwrap().to_owned()
}

fn export(home: &TestHome, file: &std::path::Path, extra: &[&str], passphrase: &str) -> Run {
    let mut args = vec![
        "keys",
        "export",
        "--out",
        file.to_str().unwrap(),
        "--passphrase-stdin",
    ];
    args.extend_from_slice(extra);
    home.mediator_with_stdin(&args, passphrase)
}

fn import(home: &TestHome, file: &std::path::Path, passphrase: &str) -> Run {
    home.mediator_with_stdin(
        &[
            "--json",
            "keys",
            "import",
            file.to_str().unwrap(),
            "--passphrase-stdin",
        ],
        passphrase,
    )
}

#[test]
fn a_new_station_manages_the_devices_of_an_export() {
    let sim = DevSim::start(&[]);
    let kept = tempfile::tempdir().unwrap();
    let file = kept.path().join("station.keys");
    let di = {
        let old = TestHome::start();
        let di = own(&old, &sim);
        let run = export(&old, &file, &[], PASSPHRASE);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(run.stdout.contains("1 device"), "{}", run.stdout);
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        di
        // The old home goes: its state directory and its keyring.
    };
    let new = TestHome::start();
    let run = import(&new, &file, PASSPHRASE);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["import"], "added");
    let listed = new.mediator(&["--json", "devices"]).json();
    assert_eq!(
        (listed["di"].as_str(), listed["key"].as_str()),
        (Some(di.as_str()), Some("present"))
    );
    let device = new.mediator(&["--json", "get", &di, "/oic/d"]);
    assert_eq!(
        device.code, 0,
        "owner session after import: {}",
        device.stderr
    );
    assert_eq!(device.json()["representation"]["di"], di.as_str());

    let again = import(&new, &file, PASSPHRASE);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(again.json()["import"], "already-present");
    assert_eq!(new.mediator(&["--json", "disown", "--yes", &di]).code, 0);
}

#[test]
fn a_wrong_passphrase_a_damaged_file_and_a_newer_format_are_told_apart() {
    let sim = DevSim::start(&[]);
    let home = TestHome::start();
    own(&home, &sim);
    let file = home.path().join("keys.export");
    assert_eq!(export(&home, &file, &[], PASSPHRASE).code, 0);
    let fresh = TestHome::start();

    let run = import(&fresh, &file, "not the passphrase\n");
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(
        run.stderr.contains("passphrase does not open"),
        "{}",
        run.stderr
    );

    let mut bytes = std::fs::read(&file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    let damaged = home.path().join("damaged.export");
    std::fs::write(&damaged, &bytes).unwrap();
    let run = import(&fresh, &damaged, PASSPHRASE);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("damaged"), "{}", run.stderr);

    let mut bytes = std::fs::read(&file).unwrap();
    bytes[8] = 2;
    let newer = home.path().join("newer.export");
    std::fs::write(&newer, &bytes).unwrap();
    let run = import(&fresh, &newer, PASSPHRASE);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("newer"), "{}", run.stderr);

    let run = import(&fresh, &home.path().join("no-such-file"), PASSPHRASE);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(fresh.mediator(&["--json", "devices"]).stdout.is_empty());
}

#[test]
fn an_existing_file_is_replaced_only_with_force() {
    let sim = DevSim::start(&[]);
    let home = TestHome::start();
    own(&home, &sim);
    let file = home.path().join("keys.export");
    std::fs::write(&file, b"precious").unwrap();
    let run = export(&home, &file, &[], PASSPHRASE);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--force"), "{}", run.stderr);
    assert_eq!(std::fs::read(&file).unwrap(), b"precious");
    let run = export(&home, &file, &["--force"], PASSPHRASE);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_ne!(std::fs::read(&file).unwrap(), b"precious");
}

#[test]
fn the_passphrase_comes_from_stdin_or_a_terminal_and_is_long_enough() {
    let sim = DevSim::start(&[]);
    let home = TestHome::start();
    let di = own(&home, &sim);
    let file = home.path().join("keys.export");
    let run = home.mediator(&["keys", "export", "--out", file.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--passphrase-stdin"), "{}", run.stderr);
    let run = export(&home, &file, &[], "short\n");
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(!file.exists());
    let run = export(
        &home,
        &file,
        &["--device", "0685b4b5-8f60-4b1c-a6de-2d6b4b3c0d7e"],
        PASSPHRASE,
    );
    assert_eq!(run.code, 3, "an unknown device: {}", run.stderr);
    let run = export(&home, &file, &["--device", &di], PASSPHRASE);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn devices_of_another_mediator_are_not_mixed_into_one_that_owns_devices() {
    let sim_a = DevSim::start(&[]);
    let sim_b = DevSim::start(&[]);
    let a = TestHome::start();
    own(&a, &sim_a);
    let file = a.path().join("a.export");
    assert_eq!(export(&a, &file, &[], PASSPHRASE).code, 0);
    let b = TestHome::start();
    own(&b, &sim_b);
    let run = import(&b, &file, PASSPHRASE);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("empty state directory"),
        "{}",
        run.stderr
    );
}
