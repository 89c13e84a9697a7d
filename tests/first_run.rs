//! The README's first command, exactly as written, on a machine with only
//! what it says is needed: no desktop keyring (no D-Bus session), no Node,
//! a scratch directory for a home. The build at its start is this test
//! run's own (`cargo test` built the binaries): the scratch directory gets
//! a `target/release` holding them, and the rest of the line runs as is.
//! It ends with every device registered, well within a minute.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const BUILD: &str = "cargo build --release && ";

/// The first `sh` block under "## First run" in README.md: one line.
fn first_command() -> String {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let section = readme
        .split("\n## First run\n")
        .nth(1)
        .expect("README.md has a \"## First run\" section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("\n```").next())
        .expect("the first run section has an sh block");
    let lines: Vec<&str> = block.lines().collect();
    assert_eq!(lines.len(), 1, "the first command is one line: {block}");
    lines[0].to_owned()
}

/// The directory of the binaries `cargo test` built.
fn built() -> PathBuf {
    Path::new(common::DEVSIM).parent().unwrap().to_owned()
}

#[test]
fn the_readme_s_first_command_registers_every_device_with_nothing_else_installed() {
    let command = first_command();
    let rest = command
        .strip_prefix(BUILD)
        .unwrap_or_else(|| panic!("the first command builds the tool first: {command}"));
    assert!(
        rest.contains("ocf-devsim lab") && rest.contains("ocf-mediator provision"),
        "{rest}"
    );
    let scratch = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(scratch.path().join("target")).unwrap();
    std::os::unix::fs::symlink(built(), scratch.path().join("target/release")).unwrap();
    let started = Instant::now();
    let run = common::Run::from(
        Command::new("sh")
            .args(["-c", rest])
            .current_dir(scratch.path())
            .env_clear()
            .env("PATH", format!("{}:/usr/bin:/bin", built().display()))
            .env("HOME", scratch.path())
            .output()
            .unwrap(),
    );
    let took = started.elapsed();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let devices = 3;
    let registered_rows = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("coap://") && l.contains("  registered  "))
        .count();
    assert_eq!(registered_rows, devices, "{}", run.stdout);
    assert!(
        run.stdout
            .contains(&format!("the cloud registered {devices} devices")),
        "{}",
        run.stdout
    );
    // Said on screen: where the rehearsal's secrets went.
    assert!(run.stdout.contains("kernel keyring"), "{}", run.stdout);
    assert!(took < Duration::from_secs(60), "took {took:?}");
    // Nothing was left in the scratch home but what the test put there.
    let left: Vec<_> = std::fs::read_dir(scratch.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("target")], "{left:?}");
}
