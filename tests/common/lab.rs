//! A running `ocf-devsim lab --json`: its startup line, and its event lines
//! collected as they come. Stopped with SIGTERM when dropped.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

pub struct LabProcess {
    child: Child,
    pub startup: Value,
    pub lines: Arc<Mutex<Vec<Value>>>,
}

impl LabProcess {
    /// `ocf-devsim lab --json ARGS`.
    pub fn start(args: &[&str]) -> LabProcess {
        let mut command = Command::new(crate::common::DEVSIM);
        command.args(["lab", "--json"]).args(args);
        LabProcess::start_with(command)
    }

    /// A lab from a prepared command (`ocf-devsim lab --json …`, perhaps
    /// run inside a network namespace).
    pub fn start_with(mut command: Command) -> LabProcess {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start ocf-devsim lab");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines
            .next()
            .expect("ocf-devsim lab ended before its startup line")
            .unwrap();
        let startup: Value =
            serde_json::from_str(&first).unwrap_or_else(|_| panic!("startup line {first:?}"));
        let collected = Arc::new(Mutex::new(Vec::new()));
        let sink = collected.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let value: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|_| panic!("not a JSON line: {line:?}"));
                sink.lock().unwrap().push(value);
            }
        });
        LabProcess {
            child,
            startup,
            lines: collected,
        }
    }

    pub fn hub(&self) -> String {
        self.text("hub")
    }

    pub fn text(&self, key: &str) -> String {
        self.startup[key]
            .as_str()
            .unwrap_or_else(|| panic!("no {key} in {}", self.startup))
            .to_owned()
    }

    pub fn devices(&self) -> Vec<Value> {
        self.startup["devices"].as_array().unwrap().clone()
    }

    pub fn events(&self) -> Vec<Value> {
        self.lines.lock().unwrap().clone()
    }

    /// The devices that the cloud saw sign up, sign in and publish.
    pub fn registered(&self) -> Vec<String> {
        let events = self.events();
        let did = |name: &str, di: &str| {
            events
                .iter()
                .any(|e| e["event"] == name && e["di"].as_str() == Some(di))
        };
        let mut devices: Vec<String> = events
            .iter()
            .filter(|e| e["event"] == "signup")
            .filter_map(|e| e["di"].as_str())
            .filter(|di| did("signin", di) && did("publish", di))
            .map(str::to_owned)
            .collect();
        devices.sort();
        devices.dedup();
        devices
    }

    /// Waits until the cloud registered these devices.
    pub fn wait_registered(&self, devices: &[String], timeout: Duration) {
        let done = crate::common::wait_until(timeout, || {
            let registered = self.registered();
            devices.iter().all(|d| registered.contains(d))
        });
        assert!(
            done,
            "the cloud did not register {devices:?} within {timeout:?}; it said:\n{}",
            self.events()
                .iter()
                .map(Value::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for LabProcess {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let ended = crate::common::wait_until(Duration::from_secs(5), || {
            matches!(self.child.try_wait(), Ok(Some(_)))
        });
        if !ended {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}
