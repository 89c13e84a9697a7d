//! Helpers for the hostile-peer tests: a mediator station (state directory,
//! volatile keyring in a kernel session keyring of the test's own), runs
//! measured for time and peak memory, misbehaving simulated devices, and the
//! checks every case makes: a clean error naming the device and the step,
//! in bounded time and memory, and nothing lost.
//!
//! Use with `mod common;` and `#[path = "common/hostile.rs"] mod hostile;`.
#![allow(dead_code)]

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{DevSim, MEDIATOR, Run};

/// The most a mediator may hold at its peak, whatever a peer sends.
pub const MEMORY_BOUND_MIB: f64 = 100.0;

/// A run of `ocf-mediator`, with how long it took and its peak RSS.
pub struct Measured {
    pub run: Run,
    pub elapsed: Duration,
    /// The process's peak resident set (VmHWM), as `/usr/bin/time` saw it.
    pub peak_rss_mib: f64,
}

/// A mediator's home: its state directory, its secrets in the kernel
/// keyring of the test's session.
pub struct Station {
    pub state: tempfile::TempDir,
    /// Where `/usr/bin/time` writes the last run's peak RSS.
    rss: tempfile::NamedTempFile,
}

/// GNU time (Debian package `time`, installed by scripts/setup.sh).
const TIME: &str = "/usr/bin/time";

impl Station {
    pub fn new() -> Station {
        crate::common::require(&[TIME], "time");
        crate::kernel_session::join_new_session_keyring();
        Station {
            state: tempfile::tempdir().unwrap(),
            rss: tempfile::NamedTempFile::new().unwrap(),
        }
    }

    /// `ocf-mediator ARGS` under `/usr/bin/time`, which writes its peak
    /// RSS to `rss`. (Not the rusage of our own child: a child forked from
    /// this big test process counts our pages until it execs.)
    pub fn command(&self, args: &[&str]) -> Command {
        let plain = crate::common::mediator_command(args);
        let mut command = Command::new(TIME);
        command
            .args(["-f", "%M", "-o"])
            .arg(self.rss.path())
            .arg(MEDIATOR)
            .args(args)
            .stdin(Stdio::null());
        for (key, value) in plain.get_envs() {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        command
            .env("OCF_MEDIATOR_STATE_DIR", self.state.path())
            .env("OCF_MEDIATOR_VOLATILE_KEYRING", "1")
            .env("OCF_MEDIATOR_NO_INPUT", "1");
        command
    }

    /// Runs `ocf-mediator ARGS`, measuring it.
    pub fn run(&self, args: &[&str]) -> Measured {
        self.measure(self.command(args))
    }

    /// Runs it with `input` on stdin.
    pub fn run_with_stdin(&self, args: &[&str], input: &str) -> Measured {
        let mut command = self.command(args);
        command.stdin(Stdio::piped());
        self.measured(measure_with_stdin(command, Some(input)))
    }

    /// Runs a command made by [`Station::command`] to its end, measured.
    pub fn measure(&self, command: Command) -> Measured {
        self.measured(measure_with_stdin(command, None))
    }

    /// With the peak RSS `/usr/bin/time` wrote.
    fn measured(&self, mut m: Measured) -> Measured {
        let text = std::fs::read_to_string(self.rss.path()).unwrap_or_default();
        // The last line is the figure (a signal's note may come before it).
        let kib: f64 = text
            .lines()
            .last()
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or_else(|| panic!("no peak RSS from {TIME}: {text:?}"));
        m.peak_rss_mib = kib / 1024.0;
        m
    }

    /// What `devices --json` lists.
    pub fn devices(&self) -> Vec<Value> {
        let run = self.run(&["--json", "devices"]).run;
        assert_eq!(run.code, 0, "devices: {}", run.stderr);
        run.json_lines()
    }
}

fn measure_with_stdin(mut command: Command, input: Option<&str>) -> Measured {
    let started = Instant::now();
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {MEDIATOR}: {e}"));
    if let Some(input) = input {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input.as_bytes()).unwrap();
    }
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stdout.read_to_end(&mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stderr.read_to_end(&mut text);
        text
    });
    let status = child.wait().unwrap();
    let elapsed = started.elapsed();
    let code = status.code().unwrap_or(-1);
    Measured {
        run: Run {
            code,
            stdout: String::from_utf8_lossy(&out.join().unwrap()).into_owned(),
            stderr: String::from_utf8_lossy(&err.join().unwrap()).into_owned(),
        },
        elapsed,
        peak_rss_mib: 0.0,
    }
}

/// Text that only Rust's debug formatting or a panic prints.
const DEBUG_TEXT: [&str; 10] = [
    "panicked",
    "RUST_BACKTRACE",
    "Error {",
    "Some(",
    "None",
    "kind:",
    "Io(",
    "Os {",
    "RecursionLimitExceeded",
    "Syntax(",
];

/// The run ended with exit `code`, its error naming each of `says` (the
/// device, the step, what went wrong), within `within`, under the memory
/// bound; no panic, no debug text. Prints the figures.
#[track_caller]
pub fn assert_clean_error(case: &str, m: &Measured, code: i32, says: &[&str], within: Duration) {
    println!(
        "{case}: exit {} in {:.2} s, peak RSS {:.1} MiB: {}",
        m.run.code,
        m.elapsed.as_secs_f64(),
        m.peak_rss_mib,
        m.run.stderr.trim()
    );
    assert_eq!(
        m.run.code, code,
        "{case}: stdout {}\nstderr {}",
        m.run.stdout, m.run.stderr
    );
    for debug in DEBUG_TEXT {
        assert!(
            !m.run.stderr.contains(debug) && !m.run.stdout.contains(debug),
            "{case}: {debug:?} in:\n{}\n{}",
            m.run.stdout,
            m.run.stderr
        );
    }
    for needle in says {
        assert!(
            m.run.stderr.contains(needle),
            "{case}: expected {needle:?} in: {}",
            m.run.stderr
        );
    }
    assert!(
        m.elapsed < within,
        "{case}: took {:?}, more than {within:?}",
        m.elapsed
    );
    assert_memory_bounded(case, m);
}

#[track_caller]
pub fn assert_memory_bounded(case: &str, m: &Measured) {
    assert!(
        m.peak_rss_mib > 0.0 && m.peak_rss_mib < MEMORY_BOUND_MIB,
        "{case}: peak RSS {:.1} MiB (bound {MEMORY_BOUND_MIB} MiB)",
        m.peak_rss_mib
    );
}

/// One simulated device misbehaving as `mode` (`ocf-devsim device
/// --misbehave MODE`), its state in a directory the test reads.
pub struct Hostile {
    pub sim: DevSim,
    pub dir: tempfile::TempDir,
}

impl Hostile {
    pub fn start(mode: &str, extra: &[&str]) -> Hostile {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().to_str().unwrap().to_owned();
        let mut args = vec!["--state-dir", &state, "--misbehave", mode];
        args.extend_from_slice(extra);
        Hostile {
            sim: DevSim::start(&args),
            dir,
        }
    }

    /// Well-behaved devices, the same way (for comparisons and batches).
    pub fn normal(count: usize, extra: &[&str]) -> Hostile {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().to_str().unwrap().to_owned();
        let count = count.to_string();
        let mut args = vec!["--state-dir", &state, "--count", &count];
        args.extend_from_slice(extra);
        Hostile {
            sim: DevSim::start(&args),
            dir,
        }
    }

    pub fn address(&self) -> String {
        self.sim.address(0)
    }

    /// Its first UUID (before any ownership transfer).
    pub fn di(&self) -> String {
        self.sim.di(0)
    }

    /// What device `index` holds now, from the state it saves.
    pub fn state(&self, index: usize) -> Value {
        device_state(self.dir.path(), index)
    }
}

pub fn device_state(dir: &Path, index: usize) -> Value {
    let path = dir.join(format!("device-{index}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// Nothing lost: a device (at `address`) that looks owned (doxm owned, or
/// out of RFOTM) is one the station holds a sealed key for: under the UUID
/// it has now, or in the record of a transfer to it that stopped half-way.
#[track_caller]
pub fn assert_nothing_lost(case: &str, station: &Station, address: &str, state: &Value) {
    let looks_owned = state["doxm"]["owned"] == true || state["pstat"]["s"] != 1;
    if !looks_owned {
        return;
    }
    let di = state["di"].as_str().unwrap();
    let listed = station.devices();
    let at_address = |d: &Value| {
        d["endpoints"].as_array().is_some_and(|eps| {
            eps.iter()
                .any(|e| e.as_str() == Some(&format!("coap://{address}")))
        })
    };
    let ours = listed
        .iter()
        .find(|d| d["di"] == di || (d["complete"] == false && at_address(d)));
    assert!(
        ours.is_some_and(|d| d["key"] == "present"),
        "{case}: the device looks owned as {di}, but the station holds no key for it: {listed:?}"
    );
}
