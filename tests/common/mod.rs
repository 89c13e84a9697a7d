//! Helpers shared by the integration tests: run the binaries, start
//! simulated devices, find free ports. Each test file uses a part of it.
#![allow(dead_code)]

pub mod keyring;

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const MEDIATOR: &str = env!("CARGO_BIN_EXE_ocf-mediator");
pub const DEVSIM: &str = env!("CARGO_BIN_EXE_ocf-devsim");

/// The captures of a real device the tests take as known answers
/// (`tests/vectors/`, see its README).
pub fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

/// What a finished command did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from_output(output: Output) -> Run {
        Run::from(output)
    }

    pub fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Every stdout line parsed as JSON.
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l:?}: {e}")))
            .collect()
    }

    pub fn json(&self) -> serde_json::Value {
        let lines = self.json_lines();
        assert_eq!(
            lines.len(),
            1,
            "expected one JSON line, got:\n{}",
            self.stdout
        );
        lines.into_iter().next().unwrap()
    }
}

/// Runs `ocf-mediator` with arguments, no stdin, environment cleared of our variables.
pub fn mediator(args: &[&str]) -> Run {
    let output = mediator_command(args).output().expect("run ocf-mediator");
    Run::from(output)
}

pub fn mediator_command(args: &[&str]) -> Command {
    let mut command = Command::new(MEDIATOR);
    command.args(args).stdin(Stdio::null());
    for (key, _) in std::env::vars() {
        if key.starts_with("OCF_MEDIATOR_") {
            command.env_remove(key);
        }
    }
    command
}

/// A running `ocf-devsim device`, killed when dropped.
pub struct DevSim {
    child: Child,
    /// One entry per device: (di, name, endpoints).
    pub devices: Vec<serde_json::Value>,
}

impl DevSim {
    /// Starts devices on loopback with the given extra arguments.
    pub fn start(extra: &[&str]) -> DevSim {
        let mut args = vec![
            "device",
            "--json",
            "--listen",
            "127.0.0.1:0",
            "--no-multicast",
        ];
        args.extend_from_slice(extra);
        DevSim::start_with(Command::new(DEVSIM).args(&args))
    }

    /// Starts a devsim from a prepared command (adds stdout capture).
    pub fn start_with(command: &mut Command) -> DevSim {
        let count = command
            .get_args()
            .collect::<Vec<_>>()
            .windows(2)
            .find(|w| w[0] == "--count")
            .map(|w| w[1].to_string_lossy().parse::<usize>().unwrap())
            .unwrap_or(1);
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start ocf-devsim");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let mut devices = Vec::new();
        while devices.len() < count {
            let line = lines
                .next()
                .expect("ocf-devsim ended before announcing its devices")
                .unwrap();
            devices.push(serde_json::from_str(&line).expect("devsim JSON line"));
        }
        DevSim { child, devices }
    }

    pub fn di(&self, index: usize) -> String {
        self.devices[index]["di"].as_str().unwrap().to_owned()
    }

    /// The first endpoint of device `index`, as `127.0.0.1:PORT`.
    pub fn address(&self, index: usize) -> String {
        let ep = self.devices[index]["endpoints"][0].as_str().unwrap();
        ep.trim_start_matches("coap://").to_owned()
    }

    pub fn socket_addr(&self, index: usize) -> SocketAddr {
        self.address(index).parse().unwrap()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM and returns how the process ended (None if it did not within 5 s).
    pub fn terminate(&mut self) -> Option<std::process::ExitStatus> {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .ok()?;
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }
}

impl Drop for DevSim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A UDP port free on loopback right now.
pub fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Whether a program is on PATH.
pub fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Fails the test, naming the set-up step, unless each program is on PATH.
/// A missing peer is a failure, never a silent pass: the test would prove
/// nothing.
#[track_caller]
pub fn require(programs: &[&str], package: &str) {
    let missing: Vec<&str> = programs.iter().copied().filter(|p| !have(p)).collect();
    assert!(
        missing.is_empty(),
        "{} not installed: run scripts/setup.sh (it installs the Debian package {package})",
        missing.join(", ")
    );
}

/// Whether this process runs as root (from /proc, so no libc call).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("Uid:"))?;
            // Real, effective, saved, filesystem: the effective one counts.
            line.split_whitespace().nth(2).map(|uid| uid == "0")
        })
        .unwrap_or(false)
}

/// Fails the test unless it runs as root, saying why it needs to.
#[track_caller]
pub fn require_root(why: &str) {
    assert!(
        is_root(),
        "this test needs root ({why}): run the tests as root, as CI does (.ci/run)"
    );
}

/// Waits until `check` holds or the time is up.
pub fn wait_until(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// A raw CoAP exchange over UDP: send one datagram, return every datagram
/// received within `wait` (for codec and devsim shape tests).
pub fn raw_exchange(to: SocketAddr, datagram: &[u8], wait: Duration) -> Vec<Vec<u8>> {
    raw_exchange_n(to, datagram, usize::MAX, wait)
}

/// Sends a datagram and returns the first `count` datagrams answered within `wait`.
pub fn raw_exchange_n(
    to: SocketAddr,
    datagram: &[u8],
    count: usize,
    wait: Duration,
) -> Vec<Vec<u8>> {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.send_to(datagram, to).unwrap();
    let mut out = Vec::new();
    let deadline = Instant::now() + wait;
    let mut buf = [0u8; 65535];
    while out.len() < count {
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            break;
        };
        socket
            .set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .unwrap();
        match socket.recv_from(&mut buf) {
            Ok((n, _)) => out.push(buf[..n].to_vec()),
            Err(_) => break,
        }
    }
    out
}

/// Sends one datagram from a fresh socket.
pub fn raw_send(to: SocketAddr, datagram: &[u8]) {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .send_to(datagram, to)
        .unwrap();
}

/// A small deterministic generator for garbage inputs (xorshift64).
pub struct XorShift(pub u64);

impl XorShift {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}
