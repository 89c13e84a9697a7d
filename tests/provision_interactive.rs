//! `provision` at a terminal, driven through tmux, with everything inside a
//! network namespace of its own (multicast over its loopback finds the
//! devices, and nobody else's): oidc-provider, `ocf-devsim cloud --issuer`
//! and three simulated devices. With no device named, a person picks two of
//! the unowned devices found, watches one progress line per device, and
//! reads the summary table.

mod common;
#[path = "common/hub.rs"]
mod hub;
#[path = "common/cloud.rs"]
mod kit;
#[path = "common/netns.rs"]
mod netns;
#[path = "common/oidc.rs"]
mod oidc;
#[path = "common/tmux.rs"]
mod tmux;

use std::process::Stdio;
use std::time::Duration;

use common::keyring::TestHome;
use common::{MEDIATOR, Run};
use hub::Devices;
use kit::CloudProcess;
use netns::Netns;
use oidc::{AUDIENCE, FACTORY_SECRET, Oidc};
use tmux::Tmux;

/// `ocf-mediator ARGS` inside the namespace, in the test home.
fn mediator_in(home: &TestHome, ns: &Netns, args: &[&str], stdin: &str) -> Run {
    use std::io::Write;
    let mut command = home.command("ip");
    command
        .args(ns.prefix()[1..].iter())
        .arg(MEDIATOR)
        .args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("OCF_MEDIATOR_") {
            command.env_remove(key);
        }
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    Run::from(child.wait_with_output().unwrap())
}

/// The lines drawn on the terminal, escape sequences taken out.
fn drawn_lines(written: &str) -> Vec<String> {
    let mut plain = String::new();
    let mut chars = written.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters final-byte.
            if chars.peek() == Some(&'[') {
                chars.next();
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            continue;
        }
        plain.push(c);
    }
    plain
        .split(['\r', '\n'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_person_picks_devices_watches_their_lines_and_reads_the_summary() {
    let ns = Netns::loopback_only("provision");
    let prefix = ns.prefix();
    let oidc = Oidc::start_in(&prefix, &[]);
    let cloud = CloudProcess::start_in(
        &prefix,
        &["--issuer", &oidc.issuer, "--audience", AUDIENCE],
        None,
    );
    let devices = Devices::start_under(
        &prefix,
        3,
        &["--name", "Porch", "--multicast-delay-ms", "200"],
    );
    let home = TestHome::start();
    let ca = cloud.startup["ca_file"].as_str().unwrap().to_owned();
    let login = mediator_in(
        &home,
        &ns,
        &[
            "login",
            "--client-credentials",
            "--issuer",
            &oidc.issuer,
            "--client-id",
            "factory",
            "--audience",
            AUDIENCE,
            "--client-secret-stdin",
            "--cis",
            &cloud.cis(),
            "--sid",
            &cloud.sid(),
            "--apn",
            "plgd",
            "--ca",
            &ca,
        ],
        FACTORY_SECRET,
    );
    assert_eq!(login.code, 0, "{}", login.stderr);

    let terminal = Tmux::run(
        &home,
        &format!("{} {MEDIATOR} provision", ns.shell_prefix()),
    );
    let picker = terminal.wait_for(
        "Which devices should be provisioned?",
        Duration::from_secs(30),
    );
    // Each unowned device with its name, UUID and methods; the first two
    // offered are picked.
    let offered: Vec<&str> = picker.lines().filter(|l| l.contains("Porch")).collect();
    assert_eq!(offered.len(), 3, "{picker}");
    let uuid_in = |line: &str| -> String {
        (0..devices.count())
            .map(|i| devices.first_di(i))
            .find(|di| line.contains(di.as_str()))
            .unwrap_or_else(|| panic!("no device of ours in {line:?}"))
    };
    assert!(offered.iter().all(|l| l.contains("jw")), "{picker}");
    assert!(
        offered[0].contains("Porch 1") && offered[2].contains("Porch 3"),
        "in order: {picker}"
    );
    let picked = [uuid_in(offered[0]), uuid_in(offered[1])];
    let left = uuid_in(offered[2]);
    terminal.press(&["Space", "Down", "Space", "Enter"]);

    let screen = terminal.wait_for("EXIT=", Duration::from_secs(60));
    assert!(screen.contains("EXIT=0"), "{screen}");
    // The summary: each picked device registered, the other not there.
    let table: Vec<&str> = screen
        .lines()
        .skip_while(|l| !l.starts_with("DEVICE"))
        .take_while(|l| !l.starts_with("EXIT="))
        .collect();
    assert!(
        table[0].contains("DI") && table[0].contains("RESULT"),
        "{screen}"
    );
    for di in &picked {
        let row = table
            .iter()
            .find(|l| l.starts_with(di.as_str()))
            .unwrap_or_else(|| panic!("no row for {di}:\n{screen}"));
        assert!(row.contains("registered") && row.contains("Porch"), "{row}");
    }
    assert!(!screen.contains(&format!("{left} ")), "{screen}");
    // While they ran: one line per device, with its step and its time.
    let drawn = drawn_lines(&terminal.written());
    for di in &picked {
        let lines: Vec<&String> = drawn
            .iter()
            .filter(|l| l.contains(di.as_str()) && l.ends_with("s)"))
            .collect();
        assert!(
            !lines.is_empty(),
            "no progress line for {di}; drawn:\n{}",
            drawn.join("\n")
        );
    }
    assert!(
        !screen.contains("waiting until"),
        "the progress lines are cleared at the end:\n{screen}"
    );

    let owned = mediator_in(&home, &ns, &["--json", "devices"], "");
    assert_eq!(owned.json_lines().len(), 2, "{}", owned.stdout);
    drop(devices);
}
