//! Hostile or mistaken input on the command line, in files and on stdin:
//! every case ends with exit 2 and a sentence saying what is wrong, quickly,
//! and never with a panic (exit 101).

mod common;
#[path = "common/dtls.rs"]
mod pki;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::keyring::TestHome;
use common::{DEVSIM, DevSim, Run, mediator, mediator_command};

/// Exit 2, no panic, and `says` in stderr.
#[track_caller]
fn assert_usage_error(run: &Run, says: &str) {
    assert_eq!(
        run.code, 2,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(
        run.stderr.contains(says),
        "expected {says:?} in: {}",
        run.stderr
    );
}

/// Runs a command with `input` on stdin; a command that stops reading
/// early (as it should, at a limit) does not fail the writer.
fn with_stdin(mut command: Command, input: Vec<u8>) -> Run {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let run = Run::from(child.wait_with_output().unwrap());
    writer.join().unwrap();
    run
}

#[test]
fn durations_beyond_an_hour_zero_or_nonsense_are_usage_errors() {
    for (args, says) in [
        (&["--timeout", "1e20", "devices"][..], "longer than 1h"),
        (&["discover", "--wait", "1e19"], "longer than 1h"),
        (
            &["--timeout", "99999999999999999999s", "devices"],
            "longer than 1h",
        ),
        (&["--timeout", "2h", "profiles"], "longer than 1h"),
        (&["--timeout", "0", "devices"], "not more than zero"),
        (&["discover", "--wait", "0ms"], "not more than zero"),
        (&["--timeout", "NaN", "devices"], "not a duration"),
        (&["--timeout", "inf", "devices"], "not a duration"),
        (&["discover", "--wait", "soon"], "examples: 3s"),
    ] {
        assert_usage_error(&mediator(args), says);
    }
    let run = Run::from(
        mediator_command(&["devices"])
            .env("OCF_MEDIATOR_TIMEOUT", "1e20")
            .output()
            .unwrap(),
    );
    assert_usage_error(&run, "longer than 1h");
}

#[test]
fn every_number_flag_of_the_simulator_is_bounded() {
    for (flag, value) in [
        ("--multicast-delay-ms", "18446744073709551615"),
        ("--reset-delay-ms", "99999999999"),
        ("--session-idle-ms", "18446744073709551615"),
        ("--session-idle-ms", "0"),
        ("--count", "0"),
        ("--count", "65536"),
    ] {
        let output = Command::new(DEVSIM)
            .args(["device", "--no-multicast", flag, value])
            .output()
            .unwrap();
        assert_usage_error(&Run::from(output), "is not in");
    }
}

#[test]
fn a_body_from_an_endless_file_fails_at_once_naming_the_limit() {
    let sim = DevSim::start(&[]);
    let started = Instant::now();
    let run = mediator(&["update", &sim.address(0), "/oic/d", "--data", "@/dev/zero"]);
    assert_usage_error(&run, "--data @/dev/zero is larger than 1 MiB");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_body_on_stdin_beyond_the_limit_is_not_cut_and_blamed_on_its_json() {
    let sim = DevSim::start(&[]);
    // Valid JSON, one byte more than 1 MiB.
    let mut body = b"{\"n\": \"".to_vec();
    body.resize((1 << 20) - 1, b'a');
    body.extend_from_slice(b"\"}");
    let run = with_stdin(
        mediator_command(&["update", &sim.address(0), "/oic/d", "--data", "-"]),
        body,
    );
    assert_usage_error(&run, "the body on stdin (--data -) is larger than 1 MiB");
    assert!(!run.stderr.contains("not JSON"), "{}", run.stderr);
}

/// A CA certificate, a leaf it issued and the leaf's key, as PEM files.
struct PemFiles {
    dir: tempfile::TempDir,
}

impl PemFiles {
    fn new() -> PemFiles {
        let ca = pki::issue("Test Root CA", pki::Kind::Ca, None, 0);
        let leaf = pki::issue(
            "uuid:00000000-0000-0000-0000-0000000000aa",
            pki::Kind::Server,
            Some(&ca),
            0,
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
        std::fs::write(dir.path().join("chain.pem"), leaf.pem()).unwrap();
        std::fs::write(dir.path().join("key.pem"), leaf.key_pem()).unwrap();
        PemFiles { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_owned()
    }
}

/// No one needs to listen there: credentials are read before any traffic.
const COAPS: &str = "coaps://127.0.0.1:9";

#[test]
fn certificate_and_key_files_are_read_with_a_limit() {
    let pem = PemFiles::new();
    let ca = pem.path("ca.pem");
    let chain = pem.path("chain.pem");
    let key = pem.path("key.pem");
    for args in [
        ["--ca", "/dev/zero", "--cert", &chain, "--key", &key],
        ["--ca", &ca, "--cert", "/dev/zero", "--key", &key],
        ["--ca", &ca, "--cert", &chain, "--key", "/dev/zero"],
    ] {
        let mut all = vec!["get", COAPS, "/oic/d"];
        all.extend_from_slice(&args);
        assert_usage_error(&mediator(&all), "/dev/zero is larger than 1 MiB");
    }

    // The simulator's manufacturer certificate too.
    for (cert, key) in [("/dev/zero", key.as_str()), (chain.as_str(), "/dev/zero")] {
        let output = Command::new(DEVSIM)
            .args(["device", "--no-multicast", "--otm", "mfg"])
            .args(["--mfg-cert", cert, "--mfg-key", key])
            .output()
            .unwrap();
        assert_usage_error(&Run::from(output), "/dev/zero is larger than 1 MiB");
    }
}

#[test]
fn manufacturer_trust_anchors_are_read_with_a_limit() {
    let pem = PemFiles::new();
    let home = TestHome::start();
    let sim = DevSim::start(&[
        "--otm",
        "mfg",
        "--mfg-cert",
        &pem.path("chain.pem"),
        "--mfg-key",
        &pem.path("key.pem"),
    ]);
    let run = home.mediator(&["own", &sim.address(0), "--mfg-ca", "/dev/zero"]);
    assert_usage_error(&run, "/dev/zero is larger than 1 MiB");
}

#[test]
fn a_key_on_stdin_is_read_with_a_limit() {
    let run = with_stdin(
        mediator_command(&[
            "get",
            COAPS,
            "/oic/d",
            "--psk-identity",
            "me",
            "--psk-stdin",
        ]),
        vec![b'0'; 100_000],
    );
    assert_usage_error(&run, "the key on stdin (--psk-stdin) is larger than 4 KiB");
}

#[test]
fn a_pin_on_stdin_is_read_with_a_limit() {
    let home = TestHome::start();
    let sim = DevSim::start(&["--otm", "rdp", "--pin", "12345678"]);
    let mut command = home.command(common::MEDIATOR);
    command.args(["own", &sim.address(0), "--otm", "rdp", "--pin-stdin"]);
    let run = with_stdin(command, vec![b'1'; 100_000]);
    assert_usage_error(&run, "the PIN on stdin (--pin-stdin) is larger than 4 KiB");
}

/// A PIN that cannot be one is refused before anything is sent: the
/// "device" (a socket that would hear any request) gets nothing, and the
/// answer comes at once.
#[test]
fn a_pin_on_stdin_that_is_not_a_pin_is_refused_before_the_device_hears_anything() {
    let device = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    device.set_nonblocking(true).unwrap();
    let address = device.local_addr().unwrap().to_string();
    for (pin, says) in [
        ("12a45678\n", "a PIN is made of digits only"),
        ("123\n", "a PIN has 4 to 32 digits"),
        ("\n", "no PIN was given"),
    ] {
        let mut command = mediator_command(&["own", &address, "--otm", "rdp", "--pin-stdin"]);
        let state = tempfile::tempdir().unwrap();
        command.arg("--state-dir").arg(state.path());
        let started = Instant::now();
        let run = with_stdin(command, pin.as_bytes().to_vec());
        assert_usage_error(&run, says);
        assert!(started.elapsed() < Duration::from_secs(1), "{pin:?}");
        let mut buf = [0u8; 64];
        assert!(
            device.recv_from(&mut buf).is_err(),
            "{pin:?}: a request reached the device before the PIN was checked"
        );
    }
    // Nobody to ask for one (no terminal, no --pin-stdin): the same.
    let state = tempfile::tempdir().unwrap();
    let mut command = mediator_command(&["own", &address, "--otm", "rdp"]);
    command.arg("--state-dir").arg(state.path());
    let run = Run::from(command.output().unwrap());
    assert_usage_error(&run, "--pin-stdin");
    let mut buf = [0u8; 64];
    assert!(
        device.recv_from(&mut buf).is_err(),
        "a request reached the device"
    );
}
