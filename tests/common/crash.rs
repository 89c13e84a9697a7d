//! Helpers for the kill -9 tests: a mediator command that threads can
//! start (the home's environment captured once), a run stopped dead after
//! a delay, seeded delays, and runs spread over parallel lanes.
//!
//! Use from a test file with `#[path = "common/crash.rs"] mod crash;`
//! beside `mod common;`.
#![allow(dead_code)]

use std::ffi::OsString;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{MEDIATOR, Run, XorShift};

/// `ocf-mediator` with a fixed environment (a test home's), usable from
/// any thread: the homes keep what they printed in a `RefCell`, so they
/// stay on the test's thread.
#[derive(Clone)]
pub struct Launcher {
    envs: Vec<(OsString, Option<OsString>)>,
}

impl Launcher {
    /// The environment a prepared command sets and removes.
    pub fn from(template: &Command) -> Launcher {
        Launcher {
            envs: template
                .get_envs()
                .map(|(k, v)| (k.to_owned(), v.map(|v| v.to_owned())))
                .collect(),
        }
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(MEDIATOR);
        command.args(args);
        for (key, value) in &self.envs {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        command
    }

    /// Runs to the end, `stdin` written first.
    pub fn run(&self, args: &[&str], stdin: &str) -> Run {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run ocf-mediator");
        let written = child.stdin.take().unwrap().write_all(stdin.as_bytes());
        if let Err(e) = written {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
        }
        Run::from(child.wait_with_output().unwrap())
    }

    /// Starts the command and sends it SIGKILL after `delay`: whether it
    /// was still running then (else it ended on its own, successfully).
    pub fn killed_after(&self, args: &[&str], stdin: &str, delay: Duration) -> bool {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run ocf-mediator");
        let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
        let start = Instant::now();
        while start.elapsed() < delay {
            if let Ok(Some(status)) = child.try_wait() {
                let mut stderr = String::new();
                let _ = std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr);
                assert!(
                    status.success(),
                    "{args:?} failed before it was killed: {stderr}"
                );
                return false;
            }
            std::thread::sleep(Duration::from_micros(500));
        }
        let _ = child.kill();
        let _ = child.wait();
        // gnome-keyring-daemon may abort on a client killed mid-request
        // (see tests/common/keyring.rs): the next command waits for its
        // restart, as a user would before going on.
        if let Some(bus) = self.env("DBUS_SESSION_BUS_ADDRESS") {
            std::thread::sleep(Duration::from_millis(30));
            crate::common::keyring::wait_for_secret_service(&bus);
        }
        true
    }

    fn env(&self, key: &str) -> Option<String> {
        self.envs
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.as_ref())
            .map(|v| v.to_string_lossy().into_owned())
    }
}

/// The seed of a test's random kill points: `OCF_CRASH_SEED` to replay a
/// run, else the clock. Printed, so that a failure can be replayed.
pub fn seed(test: &str) -> u64 {
    let seed = match std::env::var("OCF_CRASH_SEED") {
        Ok(text) => text.parse().expect("OCF_CRASH_SEED is a number"),
        Err(_) => {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        }
    };
    eprintln!("{test}: kill points from seed {seed} (OCF_CRASH_SEED={seed} replays them)");
    seed
}

/// `runs` delays, each uniform within `span`.
pub fn delays(seed: u64, runs: usize, span: Duration) -> Vec<Duration> {
    let mut random = XorShift(seed);
    (0..runs)
        .map(|_| span.mul_f64((random.next() % 10_000) as f64 / 10_000.0))
        .collect()
}

/// Runs `each(run)` for every run in `0..runs`, `lanes` at a time (run `r`
/// in lane `r % lanes`, in order within its lane); what each returned, in
/// run order.
pub fn in_lanes<R: Send>(runs: usize, lanes: usize, each: impl Fn(usize) -> R + Sync) -> Vec<R> {
    let mut results: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..lanes)
            .map(|lane| {
                let each = &each;
                scope.spawn(move || {
                    (lane..runs)
                        .step_by(lanes)
                        .map(|run| (run, each(run)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    results.sort_by_key(|(run, _)| *run);
    results.into_iter().map(|(_, r)| r).collect()
}

/// Where a kill left a device, by the state it saved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Left {
    /// The command had ended before the kill.
    Finished,
    /// Unowned: nothing had happened, or the device undid it.
    Unowned,
    /// In RFOTM, with the ownership under way.
    Owning,
    /// Out of RFOTM: owned, in RFPRO or RFNOP.
    Owned,
}

impl Left {
    pub fn of(killed: bool, state: &serde_json::Value) -> Left {
        if !killed {
            Left::Finished
        } else if state["pstat"]["s"] != 1 {
            Left::Owned
        } else if state["doxm"]["owned"] == true || state["doxm"]["devowneruuid"] != NIL {
            Left::Owning
        } else {
            Left::Unowned
        }
    }
}

const NIL: &str = "00000000-0000-0000-0000-000000000000";

/// How many runs ended in each place; fails unless at least a quarter of
/// them were killed before they ended.
pub fn tally(what: &str, left: &[Left]) -> String {
    let mut counts = std::collections::BTreeMap::new();
    for l in left {
        *counts.entry(*l).or_insert(0usize) += 1;
    }
    let killed = left.iter().filter(|l| **l != Left::Finished).count();
    assert!(
        killed * 4 >= left.len(),
        "{what}: only {killed} of {} runs were killed before they ended: {counts:?}",
        left.len()
    );
    format!("{counts:?}")
}

/// How long a clean run takes with `lanes` of them at once (as the
/// killed runs will be): the median of them (the machine's load changes
/// while the test runs; the slowest would let most runs end before their
/// kill). `f(lane)` does one clean run.
pub fn clean_span(lanes: usize, f: impl Fn(usize) + Sync) -> Duration {
    let spans = in_lanes(lanes, lanes, |lane| {
        let start = Instant::now();
        f(lane);
        start.elapsed()
    });
    eprintln!("clean runs took {spans:?}");
    let mut spans = spans;
    spans.sort();
    spans[spans.len() / 2]
}

/// The store's devices (`devices --json`); fails unless the store reads.
pub fn listed(mediator: &Launcher, when: &str) -> Vec<serde_json::Value> {
    let run = mediator.run(&["--json", "devices"], "");
    assert_eq!(
        run.code, 0,
        "{when}: the store does not read: {}",
        run.stderr
    );
    run.json_lines()
}

/// A resource of an owned device, over an owner session.
pub fn owner_get(mediator: &Launcher, di: &str, href: &str, when: &str) -> serde_json::Value {
    let run = mediator.run(&["--json", "--timeout", "20s", "get", di, href], "");
    assert_eq!(
        run.code, 0,
        "{when}: no owner session with {di}: {}",
        run.stderr
    );
    run.json()["representation"].clone()
}

/// The promise after a crash: a device (by the state it saved) is
/// unowned, or owned with its key `present` in the store and answering an
/// owner session with it. Its UUID when it is owned.
pub fn assert_unowned_or_ours(
    mediator: &Launcher,
    state: &serde_json::Value,
    when: &str,
) -> Option<String> {
    let di = assert_unowned_or_ours_offline(mediator, state, when)?;
    // A device still in RFOTM still runs the dead mediator's ownership
    // session, and refuses any other until it drops that one and undoes
    // the ownership (iotivity-lite does the same): only a device that left
    // RFOTM can be asked over an owner session.
    if state["pstat"]["s"] != 1 {
        let when = format!(
            "{when} (the device: owned {}, dos.s {})",
            state["doxm"]["owned"], state["pstat"]["s"]
        );
        owner_get(mediator, &di, "/oic/sec/doxm", &when);
    }
    Some(di)
}

/// As [`assert_unowned_or_ours`], for a device that is not running: by
/// its saved state and the store only.
pub fn assert_unowned_or_ours_offline(
    mediator: &Launcher,
    state: &serde_json::Value,
    when: &str,
) -> Option<String> {
    let listed = listed(mediator, when);
    let looks_owned = state["doxm"]["owned"] == true || state["pstat"]["s"] != 1;
    if !looks_owned {
        return None;
    }
    let di = state["di"].as_str().unwrap().to_owned();
    let ours = listed.iter().find(|d| d["di"] == di.as_str());
    assert!(
        ours.is_some_and(|d| d["key"] == "present"),
        "{when}: the device looks owned as {di} (owned {}, dos.s {}), and the store holds no key for it: {listed:?}",
        state["doxm"]["owned"],
        state["pstat"]["s"]
    );
    Some(di)
}

/// After a run that completed: the device owned by us, in RFNOP, with one
/// owner credential, complete in the store and answering an owner session.
/// Its UUID.
pub fn assert_owned_and_complete(
    mediator: &Launcher,
    state: &serde_json::Value,
    when: &str,
) -> String {
    let di = state["di"].as_str().unwrap().to_owned();
    assert_eq!(state["doxm"]["owned"], true, "{when}: {}", summary(state));
    assert_eq!(
        state["pstat"]["s"],
        3,
        "{when}: not in RFNOP: {}",
        summary(state)
    );
    let owner = state["doxm"]["devowneruuid"].as_str().unwrap();
    let owner_creds = state["security"]["creds"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["credtype"] == 1 && c["subjectuuid"] == owner)
        .count();
    assert_eq!(
        owner_creds,
        1,
        "{when}: owner credentials: {}",
        summary(state)
    );
    let listed = listed(mediator, when);
    let ours = listed.iter().find(|d| d["di"] == di.as_str());
    assert!(
        ours.is_some_and(|d| d["key"] == "present" && d["complete"] == true),
        "{when}: {di} is not complete in the store: {listed:?}"
    );
    owner_get(mediator, &di, "/oic/d", when);
    di
}

/// A failure a person or a script can act on: an exit code of the table
/// (not a usage error, not a panic); a sentence on stderr with no Rust
/// debug text that names, for each group of `names`, one of them (the
/// device by address, first or new UUID; the cloud); with `--json`, a
/// record of the failed step or an error line naming its step.
pub fn assert_clean_error(run: &Run, names: &[&[&str]], when: &str) {
    assert!(
        [1, 3, 4, 5, 6, 7].contains(&run.code),
        "{when}: exit {}: {}",
        run.code,
        run.stderr
    );
    for debug in [
        "panicked",
        "RUST_BACKTRACE",
        "Os {",
        "kind:",
        "Custom {",
        "Error {",
    ] {
        assert!(
            !run.stderr.contains(debug),
            "{when}: debug text on stderr: {}",
            run.stderr
        );
    }
    for group in names {
        assert!(
            group.iter().any(|n| run.stderr.contains(n)),
            "{when}: the error names none of {group:?}: {}",
            run.stderr
        );
    }
    let last = run.json_lines().pop().unwrap_or_default();
    let step = last["failed_step"].as_str().or(last["step"].as_str());
    assert!(
        step.is_some_and(|s| !s.is_empty()),
        "{when}: no failed step on stdout: {}",
        run.stdout
    );
}

/// What a device's saved state says of its ownership and cloud, in one
/// line (the whole state holds certificates).
pub fn summary(state: &serde_json::Value) -> String {
    let creds: Vec<String> = state["security"]["creds"]
        .as_array()
        .map(|creds| {
            creds
                .iter()
                .map(|c| {
                    format!(
                        "{} type {} {}",
                        c["subjectuuid"].as_str().unwrap_or("?"),
                        c["credtype"],
                        c["credusage"].as_str().unwrap_or("")
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let cloud = &state["security"]["cloud"];
    format!(
        "di {}, owned {}, owner {}, dos.s {}, creds {creds:?}, {} ACEs, cloud sid {} cps {}",
        state["di"],
        state["doxm"]["owned"],
        state["doxm"]["devowneruuid"],
        state["pstat"]["s"],
        state["security"]["aces"].as_array().map_or(0, Vec::len),
        cloud["sid"],
        cloud["cps"]
    )
}

/// SQLite's own check of a store after the kills (`PRAGMA
/// integrity_check`, every page and index), beyond every command reading
/// it: "ok", or the test fails with what SQLite found.
pub fn assert_store_intact(state_dir: &std::path::Path) {
    let db = rusqlite::Connection::open(state_dir.join("store.sqlite3")).unwrap();
    let verdict: String = db
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .unwrap();
    assert_eq!(verdict, "ok", "the store after the kills");
}
