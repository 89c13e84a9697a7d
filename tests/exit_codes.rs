//! The same failure has the same exit code and the same sentence in every
//! command that meets it (the table of `ocf-mediator --help`): a closed
//! port is 3 at once, silence 4 after `--timeout`, a refusal 6, whether
//! `discover --address`, `get`, `own`, `disown`, `cloud …` or `provision`
//! sent the request. With `--json` the error line (for `provision`, the
//! device's record) carries that code and sentence.

mod common;

use std::net::UdpSocket;
use std::thread;
use std::time::{Duration, Instant};

use common::{DevSim, Run, mediator_command};
use serde_json::Value;

/// Every command that takes a DEVICE, aimed at `device`.
fn every_command(device: &str, ca: &str) -> Vec<Vec<String>> {
    let cloud = [
        "--cis",
        "coaps+tcp://127.0.0.1:5684",
        "--sid",
        "5f1e5a55-26b2-4ddd-9b27-2c3e1a7f0c01",
        "--apn",
        "plgd",
        "--ca",
        ca,
        "--token-stdin",
    ];
    let mut commands: Vec<Vec<&str>> = vec![
        vec!["discover", "--address", device],
        vec!["get", device, "/oic/d"],
        vec![
            "update",
            device,
            "/oic/sec/doxm",
            "--data",
            r#"{"oxmsel":0}"#,
        ],
        vec!["own", device],
        vec!["own", "--dry-run", device],
        vec!["disown", "--yes", device],
        vec!["disown", "--yes", "--dry-run", device],
        vec!["cloud", "status", device],
        vec!["cloud", "deregister", device],
        vec!["cloud", "configure", device],
        vec!["provision", device],
    ];
    commands[9].extend_from_slice(&cloud);
    commands[10].extend_from_slice(&cloud);
    commands
        .into_iter()
        .map(|c| c.into_iter().map(str::to_owned).collect())
        .collect()
}

/// Runs each command at once (in a state directory of its own), with
/// `--json` and a one-time code on stdin for those that read one.
fn run_all(commands: Vec<Vec<String>>) -> Vec<(Vec<String>, Run, Duration)> {
    let runs: Vec<_> = commands
        .into_iter()
        .map(|args| {
            thread::spawn(move || {
                let state = tempfile::tempdir().unwrap();
                let mut all = vec!["--json", "--no-input", "--timeout", "1s"];
                all.extend(args.iter().map(String::as_str));
                let started = Instant::now();
                let mut command = mediator_command(&all);
                command
                    .arg("--state-dir")
                    .arg(state.path())
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped());
                let mut child = command.spawn().unwrap();
                use std::io::Write;
                let _ = child.stdin.take().unwrap().write_all(b"one-time-code\n");
                let run = Run::from(child.wait_with_output().unwrap());
                (args, run, started.elapsed())
            })
        })
        .collect();
    runs.into_iter().map(|r| r.join().unwrap()).collect()
}

/// Each command ended with `exit`, said one sentence containing `says`
/// on stderr, and with `--json` its last line carries the same code and
/// sentence (`provision`'s last line is the device's record, which has
/// them as `error` and `exit`).
#[track_caller]
fn assert_same_failure(runs: &[(Vec<String>, Run, Duration)], exit: i32, says: &str) {
    let mut sentences = std::collections::BTreeSet::new();
    for (args, run, _) in runs {
        assert_eq!(run.code, exit, "{args:?}: {}\n{}", run.stderr, run.stdout);
        let stderr = run
            .stderr
            .lines()
            .find_map(|l| l.strip_prefix("error: "))
            .unwrap_or_else(|| panic!("{args:?}: no error on stderr: {}", run.stderr));
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        let lines = run.json_lines();
        let last: &Value = lines
            .last()
            .unwrap_or_else(|| panic!("{args:?}: no JSON line"));
        assert_eq!(last["exit"], exit, "{args:?}: {last}");
        assert_eq!(last["error"], stderr, "{args:?}: the same sentence");
        // The same words but for the request each command was at (its
        // `step`; a provision record's failed step's `request`): the device
        // as named and what happened.
        let failed_request = last["steps"]
            .as_array()
            .and_then(|steps| steps.iter().find(|s| s["ok"] == false))
            .and_then(|s| s["request"].as_str());
        let sentence = match last["step"].as_str().or(failed_request) {
            Some(step) => stderr.replace(&format!("({step})"), "(…)"),
            None => stderr.to_owned(),
        };
        sentences.insert(sentence);
    }
    assert_eq!(
        sentences.len(),
        1,
        "one failure, one sentence: {sentences:#?}"
    );
}

fn ca_file() -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    let out = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args([
            "-nodes",
            "-subj",
            "/CN=Exit Codes CA",
            "-days",
            "1",
            "-keyout",
            "/dev/null",
        ])
        .arg("-out")
        .arg(file.path())
        .output()
        .expect("openssl: run scripts/setup.sh");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    file
}

#[test]
fn a_closed_port_is_exit_3_at_once_in_every_command() {
    let ca = ca_file();
    let closed = format!("127.0.0.1:{}", common::free_udp_port());
    let runs = run_all(every_command(&closed, ca.path().to_str().unwrap()));
    assert_same_failure(
        &runs,
        3,
        "refused the connection: nothing listens on that port",
    );
    for (args, _, took) in &runs {
        assert!(
            *took < Duration::from_millis(900),
            "{args:?} waited {took:?}"
        );
    }
}

#[test]
fn silence_is_exit_4_after_the_timeout_in_every_command() {
    let ca = ca_file();
    // Bound, so no ICMP answer either: only silence.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let silent = silent.local_addr().unwrap().to_string();
    let runs = run_all(every_command(&silent, ca.path().to_str().unwrap()));
    assert_same_failure(&runs, 4, "did not answer in time");
    for (args, _, took) in &runs {
        assert!(
            *took >= Duration::from_secs(1) && *took < Duration::from_secs(3),
            "{args:?} gave up after {took:?} with --timeout 1s"
        );
    }
}

#[test]
fn a_refusal_is_exit_6_with_the_device_s_code_in_every_command_that_meets_it() {
    let sim = DevSim::start(&[]);
    let device = sim.address(0);
    // The credentials are not for anyone who asks without a secure session.
    let runs = run_all(vec![
        vec!["get".into(), device.clone(), "/oic/sec/cred".into()],
        vec![
            "update".into(),
            device.clone(),
            "/oic/sec/cred".into(),
            "--data".into(),
            r#"{"creds":[]}"#.into(),
        ],
    ]);
    for (args, run, _) in &runs {
        assert_eq!(run.code, 6, "{args:?}: {}", run.stderr);
        let error = run.json();
        assert_eq!(error["exit"], 6);
        assert_eq!(error["code"], "4.01", "{args:?}: {error}");
        assert!(
            error["step"].as_str().unwrap().ends_with("/oic/sec/cred"),
            "{error}"
        );
    }
}
