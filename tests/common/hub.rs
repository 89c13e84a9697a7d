//! A whole cloud on loopback for the `provision` tests: oidc-provider (the
//! OAuth server), `ocf-devsim cloud --issuer` (the hub: its CoAP gateway
//! checks each sign-up's token or code against oidc-provider) and a mediator
//! home logged in to it — as a person, on a hub whose devices sign up with
//! one-time authorization codes (plgd's default), or as a factory line with
//! client credentials, on a hub whose devices sign up with access tokens.
//! Simulated devices keep their state in a directory the tests read.
//!
//! Use from a test file with `mod common;`, `#[path = "common/cloud.rs"] mod
//! kit;`, `#[path = "common/oidc.rs"] mod oidc;` and
//! `#[path = "common/hub.rs"] mod hub;`.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::common::{DEVSIM, Run};
use crate::kit::CloudProcess;
use crate::oidc::{
    AUDIENCE, DEVICE_SECRET, FACTORY_SECRET, Home, Oidc, free_port_outside_ephemeral_range,
    play_user,
};

/// How the hub's devices sign up (its `deviceOauthClient.grantType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grant {
    /// A one-time code per device, from a person's login (plgd's default).
    AuthorizationCode,
    /// The profile's access token, from client credentials.
    ClientCredentials,
}

/// oidc-provider, the simulated hub, and a mediator logged in to it.
pub struct Hub {
    pub oidc: Oidc,
    pub cloud: CloudProcess,
    pub home: Home,
    pub grant: Grant,
    /// The cloud's flags beyond its addresses, to restart it.
    cloud_flags: Vec<String>,
    _secret: tempfile::NamedTempFile,
}

impl Hub {
    pub fn start(grant: Grant) -> Hub {
        Hub::start_with(grant, &[])
    }

    /// With more `ocf-devsim cloud` flags.
    pub fn start_with(grant: Grant, cloud_flags: &[&str]) -> Hub {
        let port = free_port_outside_ephemeral_range();
        let redirect = format!("http://127.0.0.1:{port}/devices");
        let oidc = Oidc::start_with(&[("DEVICE_REDIRECT_URI", &redirect)]);
        let secret = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(secret.path(), DEVICE_SECRET).unwrap();
        let mut flags = vec![
            "--issuer",
            &oidc.issuer,
            "--audience",
            AUDIENCE,
            "--client-id",
            "device",
            "--client-secret-file",
            secret.path().to_str().unwrap(),
            "--code-redirect-uri",
            &redirect,
            "--web-client-id",
            "mediator",
            "--m2m-client-id",
            "factory",
        ];
        flags.extend_from_slice(cloud_flags);
        let cloud = CloudProcess::start(&flags);
        let cloud_flags = flags.iter().map(|f| f.to_string()).collect();
        let home = Home::new();
        let login = match grant {
            Grant::AuthorizationCode => home.run_interactive(
                &[
                    "--json",
                    "login",
                    "--device-code",
                    "--hub",
                    &cloud.hub(),
                    "--device-redirect-uri",
                    &redirect,
                ],
                |prompt| {
                    play_user(prompt["verification_uri_complete"].as_str().unwrap());
                },
            ),
            Grant::ClientCredentials => {
                // The same hub, configured for devices that take access
                // tokens: its document, with that grant, served by the
                // OAuth server's test endpoint.
                let browser = crate::oidc::browser();
                let mut document: Value = browser
                    .get(format!("{}/.well-known/hub-configuration", cloud.hub()))
                    .send()
                    .unwrap()
                    .json()
                    .unwrap();
                document["deviceOauthClient"]["grantType"] = "clientCredentials".into();
                let stored = browser
                    .post(oidc.url("/test/hub-configuration"))
                    .json(&document)
                    .send()
                    .unwrap();
                assert!(stored.status().is_success());
                home.run_with_stdin(
                    &[
                        "login",
                        "--hub",
                        &oidc.issuer,
                        "--client-credentials",
                        "--client-secret-stdin",
                    ],
                    FACTORY_SECRET,
                )
            }
        };
        assert_eq!(login.code, 0, "login --hub: {}", login.stderr);
        Hub {
            oidc,
            cloud,
            home,
            grant,
            cloud_flags,
            _secret: secret,
        }
    }

    /// Stops the cloud dead (SIGKILL), as a crash or a power cut would.
    pub fn kill_cloud(&mut self) {
        self.cloud.kill();
    }

    /// Starts the cloud again at the same addresses with the same flags
    /// (with `--state-dir` among them: the same sid, CA and token keys).
    pub fn restart_cloud(&mut self) {
        let mut flags = self.cloud.listen_flags();
        flags.extend(self.cloud_flags.iter().cloned());
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        self.cloud = CloudProcess::start(&flags);
    }

    /// Runs `ocf-mediator ARGS` in the home, playing the person at every
    /// authorization URL it shows (`--json` prompts). The prompts are left
    /// out of the run's stdout and returned apart.
    pub fn run(&self, args: &[&str]) -> (Run, Vec<Value>) {
        self.run_with_stdin(args, None)
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: Option<&str>) -> (Run, Vec<Value>) {
        let mut child = self
            .home
            .command(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(input) = stdin {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
        }
        let mut stderr = child.stderr.take().unwrap();
        let errors = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let mut stdout = String::new();
        let mut prompts = Vec::new();
        for line in BufReader::new(child.stdout.take().unwrap()).lines() {
            let line = line.unwrap();
            match serde_json::from_str::<Value>(&line) {
                Ok(prompt) if prompt["event"] == "authorization_url" => {
                    play_user(prompt["url"].as_str().unwrap());
                    prompts.push(prompt);
                }
                _ => {
                    stdout.push_str(&line);
                    stdout.push('\n');
                }
            }
        }
        let status = child.wait().unwrap();
        let run = Run {
            code: status.code().unwrap_or(-1),
            stdout,
            stderr: errors.join().unwrap(),
        };
        let mut seen = self.home.seen.borrow_mut();
        seen.push_str(&run.stderr);
        seen.push_str(&run.stdout);
        (run, prompts)
    }

    /// The cloud's trust anchor file, as `--ca` takes it.
    pub fn ca_file(&self) -> String {
        self.cloud.startup["ca_file"].as_str().unwrap().to_owned()
    }

    /// The cloud's events named `name` for device `di`.
    pub fn events(&self, name: &str, di: &str) -> Vec<Value> {
        self.cloud
            .events()
            .into_iter()
            .filter(|e| e["event"] == name && e["di"] == di)
            .collect()
    }

    /// Waits for the cloud's event `name` for `di`.
    pub fn wait_for(&self, name: &str, di: &str) -> Value {
        self.cloud
            .wait_for(Duration::from_secs(20), &format!("{name} of {di}"), |e| {
                e["event"] == name && e["di"] == di
            })
    }
}

/// `ocf-devsim device --count N` keeping each device's state in a
/// directory (read by the tests), its log (stderr) in a file.
pub struct Devices {
    child: Child,
    pub devices: Vec<Value>,
    pub dir: tempfile::TempDir,
    log: tempfile::NamedTempFile,
}

impl Devices {
    pub fn start(count: usize, extra: &[&str]) -> Devices {
        let dir = tempfile::tempdir().unwrap();
        Devices::start_in(dir, count, extra)
    }

    /// In a state directory of earlier devices (they keep their identity).
    pub fn start_in(dir: tempfile::TempDir, count: usize, extra: &[&str]) -> Devices {
        Devices::launch(
            &[],
            dir,
            count,
            &[&["--listen", "127.0.0.1:0", "--no-multicast"], extra].concat(),
        )
    }

    /// At a chosen address (device 0 there, device i at its port + i), in
    /// a state directory of earlier devices: a restart where they were.
    pub fn start_at(dir: tempfile::TempDir, count: usize, listen: &str, extra: &[&str]) -> Devices {
        Devices::launch(
            &[],
            dir,
            count,
            &[&["--listen", listen, "--no-multicast"], extra].concat(),
        )
    }

    /// Under a command prefix (e.g. `ip netns exec NS`), on every address,
    /// answering multicast.
    pub fn start_under(prefix: &[&str], count: usize, extra: &[&str]) -> Devices {
        Devices::launch(prefix, tempfile::tempdir().unwrap(), count, extra)
    }

    fn launch(prefix: &[&str], dir: tempfile::TempDir, count: usize, extra: &[&str]) -> Devices {
        let log = tempfile::NamedTempFile::new().unwrap();
        let mut command = match prefix.split_first() {
            Some((program, args)) => {
                let mut command = Command::new(program);
                command.args(args).arg(DEVSIM);
                command
            }
            None => Command::new(DEVSIM),
        };
        let mut child = command
            .args(["device", "--json"])
            .args(["--count", &count.to_string()])
            .arg("--state-dir")
            .arg(dir.path())
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log.reopen().unwrap())
            .spawn()
            .expect("start ocf-devsim device");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let devices = (0..count)
            .map(|_| {
                let line = lines
                    .next()
                    .expect("ocf-devsim ended before announcing its devices")
                    .unwrap();
                serde_json::from_str(&line).unwrap()
            })
            .collect();
        Devices {
            child,
            devices,
            dir,
            log,
        }
    }

    pub fn address(&self, index: usize) -> String {
        let ep = self.devices[index]["endpoints"][0].as_str().unwrap();
        ep.trim_start_matches("coap://").to_owned()
    }

    /// The UUID it announced at start.
    pub fn first_di(&self, index: usize) -> String {
        self.devices[index]["di"].as_str().unwrap().to_owned()
    }

    /// Its state as saved now.
    pub fn state(&self, index: usize) -> Value {
        state_in(self.dir.path(), index)
    }

    pub fn count(&self) -> usize {
        self.devices.len()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    /// Stops the devices dead (SIGKILL: no goodbye, nothing saved but what
    /// they had saved) and hands back their state directory.
    pub fn kill(mut self) -> tempfile::TempDir {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap())
    }

    /// Stops the devices (SIGTERM: they save their state) and hands back
    /// their state directory.
    pub fn stop(mut self) -> tempfile::TempDir {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap())
    }
}

impl Drop for Devices {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Device `index`'s saved state in `dir`.
pub fn state_in(dir: &Path, index: usize) -> Value {
    let path: PathBuf = dir.join(format!("device-{index}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What a device's saved state holds of a cloud `sid`: its trust anchors
/// and its ACEs.
pub fn cloud_writes(state: &Value, sid: &str) -> (usize, usize) {
    let anchors = state["security"]["creds"].as_array().map_or(0, |creds| {
        creds
            .iter()
            .filter(|c| {
                c["credusage"] == "oic.sec.cred.trustca"
                    && c["subjectuuid"]
                        .as_str()
                        .is_some_and(|s| s.eq_ignore_ascii_case(sid))
            })
            .count()
    });
    let aces = state["security"]["aces"].as_array().map_or(0, |aces| {
        aces.iter()
            .filter(|a| {
                a["subject"]["uuid"]
                    .as_str()
                    .is_some_and(|s| s.eq_ignore_ascii_case(sid))
            })
            .count()
    });
    (anchors, aces)
}

/// The records of a `provision --json` run (its error line left out).
pub fn records(run: &Run) -> Vec<Value> {
    run.json_lines()
        .into_iter()
        .filter(|l| l.get("steps").is_some())
        .collect()
}

/// The names of a record's steps, in order.
pub fn step_names(record: &Value) -> Vec<String> {
    record["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap().to_owned())
        .collect()
}
