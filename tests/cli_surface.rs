//! The command line itself: help, version, usage errors, environment
//! variables for global flags, completions.

mod common;

use common::{DevSim, mediator, mediator_command};

#[test]
fn help_lists_the_commands_and_the_exit_codes() {
    let run = mediator(&["--help"]);
    assert_eq!(run.code, 0);
    for command in ["discover", "get", "update", "completions"] {
        assert!(run.stdout.contains(command), "{command}: {}", run.stdout);
    }
    assert!(run.stdout.contains("Exit status"), "{}", run.stdout);
    assert!(
        run.stdout.contains("[env: OCF_MEDIATOR_JSON="),
        "{}",
        run.stdout
    );
}

#[test]
fn version_is_printed() {
    let run = mediator(&["--version"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.starts_with("ocf-mediator "), "{}", run.stdout);
}

#[test]
fn unknown_commands_and_flags_exit_2() {
    assert_eq!(mediator(&["frobnicate"]).code, 2);
    assert_eq!(mediator(&["discover", "--no-such-flag"]).code, 2);
    assert_eq!(mediator(&["discover", "--wait", "soon"]).code, 2);
    assert_eq!(mediator(&[]).code, 2);
}

#[test]
fn global_flags_can_come_from_the_environment() {
    let sim = DevSim::start(&[]);
    let output = mediator_command(&["discover", "--address", &sim.address(0)])
        .env("OCF_MEDIATOR_JSON", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let line: serde_json::Value =
        serde_json::from_str(stdout.trim()).expect("JSON because of OCF_MEDIATOR_JSON");
    assert_eq!(line["di"], sim.di(0));

    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let silent = socket.local_addr().unwrap().to_string();
    let started = std::time::Instant::now();
    let output = mediator_command(&["get", &silent, "/oic/d"])
        .env("OCF_MEDIATOR_TIMEOUT", "300ms")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(4));
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn json_errors_are_one_line_on_stdout_and_text_on_stderr() {
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let run = mediator(&[
        "--json",
        "get",
        &silent.local_addr().unwrap().to_string(),
        "/oic/d",
        "--timeout",
        "200ms",
    ]);
    assert_eq!(run.code, 4);
    let error = run.json();
    assert_eq!(error["exit"], 4);
    assert!(error["error"].as_str().unwrap().contains("did not answer"));
    assert_eq!(error["step"], "GET /oic/d");
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
}

/// A command line refused before anything runs is an error like any
/// other: with `--json` (given anywhere, or from the environment) one line
/// on stdout with exit 2, and clap's text on stderr.
#[test]
fn usage_errors_are_a_json_line_too() {
    for args in [
        &["--json", "bogus"][..],
        &["get", "--json"],
        &["--json", "--timeout", "1e20", "devices"],
        &["--json", "own", "--otm", "nope", "127.0.0.1:5683"],
    ] {
        let run = mediator(args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        let error = run.json();
        assert_eq!(error["exit"], 2, "{args:?}");
        let sentence = error["error"].as_str().unwrap();
        assert!(
            !sentence.starts_with("error:") && !sentence.contains('\n'),
            "{args:?}: {sentence:?}"
        );
        let first = run.stderr.lines().next().unwrap();
        assert!(
            first.starts_with("error: ") && sentence.starts_with(&first["error: ".len()..]),
            "{args:?}: the same words on stderr: {}",
            run.stderr
        );
    }
    let from_env = mediator_command(&["bogus"])
        .env("OCF_MEDIATOR_JSON", "1")
        .output()
        .unwrap();
    assert_eq!(common::Run::from(from_env).json()["exit"], 2);
    let text = mediator(&["bogus"]);
    assert!(
        text.stdout.is_empty(),
        "no JSON unless asked: {}",
        text.stdout
    );
    let help = mediator(&["--json", "--help"]);
    assert_eq!(help.code, 0);
    assert!(!help.stdout.starts_with('{'), "help is help");
}

#[test]
fn completions_are_printed_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = mediator(&["completions", shell]);
        assert_eq!(run.code, 0, "{shell}");
        // The script asks the binary, by name, through COMPLETE=<shell>.
        assert!(run.stdout.contains("COMPLETE"), "{shell}: {}", run.stdout);
        assert!(
            run.stdout.contains("ocf-mediator"),
            "{shell}: {}",
            run.stdout
        );
    }
    assert_eq!(mediator(&["completions", "tcsh"]).code, 2);
}
