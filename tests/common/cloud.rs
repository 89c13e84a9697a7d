//! Helpers for the cloud tests: a cloud started in-process with a client
//! that speaks to it over CoAP over TCP + TLS, and an `ocf-devsim cloud`
//! process whose JSON lines are collected.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ocf_mediator::coap::tcp::TcpConfig;
use ocf_mediator::coap::{Code, Request, Response};
use ocf_mediator::net::coap_tcp::{ClientSession, ClientTls};
use ocf_mediator::net::tls::anchored_client_config;
use ocf_mediator::ocf::representation::{cbor_to_json, decode_cbor, json_to_cbor};
use ocf_mediator::sim::cloud::ca::pem_certificates;
use ocf_mediator::sim::cloud::{CloudEvent, CloudHandle};
use ocf_mediator::sim::wire_cbor::encode_indefinite;

/// A TLS client that trusts the cloud's CA (no CN check: a test client),
/// optionally showing a certificate.
pub async fn connect(
    cloud: &CloudHandle,
    identity: Option<(Vec<Vec<u8>>, Vec<u8>)>,
) -> ClientSession {
    try_connect(cloud, identity)
        .await
        .expect("connect to the cloud")
}

/// As [`connect`], with the failure returned.
pub async fn try_connect(
    cloud: &CloudHandle,
    identity: Option<(Vec<Vec<u8>>, Vec<u8>)>,
) -> Result<ClientSession, ocf_mediator::net::coap_tcp::LinkError> {
    let anchors = pem_certificates(cloud.ca_pem());
    let config = match identity {
        None => anchored_client_config(&anchors).unwrap(),
        Some((chain, key)) => {
            let sid = cloud.info.sid.to_string();
            ocf_mediator::net::tls::pinned_client_config(
                &anchors,
                &format!("uuid:{sid}"),
                Some((&chain, &key)),
            )
            .unwrap()
            .0
        }
    };
    let addr = cloud
        .info
        .cis
        .trim_start_matches("coaps+tcp://")
        .parse()
        .unwrap();
    ClientSession::connect(
        addr,
        Some(&ClientTls { config, note: None }),
        TcpConfig::default(),
        Duration::from_secs(5),
    )
    .await
}

/// A POST with an OCF CBOR body given as JSON.
pub fn post(href: &str, body: serde_json::Value) -> Request {
    let mut request = ocf_mediator::ocf::request::ocf_request_with_body(
        Code::POST,
        href,
        encode_indefinite(&json_to_cbor(&body)),
    );
    request.options.set_uri(href);
    request
}

/// The body of a response as JSON (text as a JSON string).
pub fn body(response: &Response) -> serde_json::Value {
    match decode_cbor(&response.payload) {
        Ok(value) if response.content_format() == Some(10000) => cbor_to_json(&value),
        _ => serde_json::Value::String(String::from_utf8_lossy(&response.payload).into_owned()),
    }
}

/// Waits for the next event named `name`, skipping others.
pub async fn expect_event(cloud: &mut CloudHandle, name: &str) -> CloudEvent {
    let wait = async {
        loop {
            let event = cloud.next_event().await.expect("the cloud stopped");
            if event.event == name {
                return event;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), wait)
        .await
        .unwrap_or_else(|_| panic!("no {name} event within 10 s"))
}

/// A running `ocf-devsim cloud --json`, killed when dropped; its event
/// lines are collected as they come.
pub struct CloudProcess {
    child: Child,
    pub startup: serde_json::Value,
    pub lines: Arc<Mutex<Vec<serde_json::Value>>>,
}

impl CloudProcess {
    pub fn start(extra: &[&str]) -> CloudProcess {
        CloudProcess::start_with_stdin(extra, None)
    }

    pub fn start_with_stdin(extra: &[&str], stdin: Option<&str>) -> CloudProcess {
        CloudProcess::start_in(&[], extra, stdin)
    }

    /// Starts under a command prefix (e.g. `ip netns exec NS`).
    pub fn start_in(prefix: &[&str], extra: &[&str], stdin: Option<&str>) -> CloudProcess {
        let mut args: Vec<&str> = prefix.iter().skip(1).copied().collect();
        args.extend([crate::common::DEVSIM, "cloud", "--json"]);
        // A free port, unless the caller chose one (a restart keeps its cis).
        if !extra.contains(&"--listen") {
            args.extend(["--listen", "127.0.0.1:0"]);
        }
        args.extend_from_slice(extra);
        let program = prefix.first().copied().unwrap_or(crate::common::DEVSIM);
        if prefix.is_empty() {
            args.remove(0);
        }
        let mut child = Command::new(program)
            .args(&args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start ocf-devsim cloud");
        if let Some(input) = stdin {
            use std::io::Write;
            let mut pipe = child.stdin.take().unwrap();
            pipe.write_all(input.as_bytes()).unwrap();
        }
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines
            .next()
            .expect("ocf-devsim cloud ended before its startup line")
            .unwrap();
        let startup: serde_json::Value =
            serde_json::from_str(&first).unwrap_or_else(|_| panic!("startup line {first:?}"));
        let collected = Arc::new(Mutex::new(Vec::new()));
        let sink = collected.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let value: serde_json::Value = serde_json::from_str(&line)
                    .unwrap_or_else(|_| panic!("not a JSON line: {line:?}"));
                sink.lock().unwrap().push(value);
            }
        });
        CloudProcess {
            child,
            startup,
            lines: collected,
        }
    }

    /// Stops the cloud dead (SIGKILL): no goodbye to its devices, its
    /// state directory as it was.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The gateway's and the HTTP side's addresses, as `--listen` and
    /// `--http-listen` take them (to restart a cloud where it was).
    pub fn listen_flags(&self) -> Vec<String> {
        let http = self.startup["hub_configuration_url"]
            .as_str()
            .unwrap()
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap()
            .to_owned();
        vec![
            "--listen".into(),
            self.cis().trim_start_matches("coaps+tcp://").to_owned(),
            "--http-listen".into(),
            http,
        ]
    }

    pub fn sid(&self) -> String {
        self.startup["sid"].as_str().unwrap().to_owned()
    }

    pub fn cis(&self) -> String {
        self.startup["cis"].as_str().unwrap().to_owned()
    }

    pub fn ca_pem(&self) -> String {
        std::fs::read_to_string(self.startup["ca_file"].as_str().unwrap()).unwrap()
    }

    /// The hub's base URL (without /.well-known/hub-configuration).
    pub fn hub(&self) -> String {
        self.startup["hub_configuration_url"]
            .as_str()
            .unwrap()
            .trim_end_matches("/.well-known/hub-configuration")
            .to_owned()
    }

    pub fn events(&self) -> Vec<serde_json::Value> {
        self.lines.lock().unwrap().clone()
    }

    /// Waits until an event matches; returns it.
    pub fn wait_for(
        &self,
        timeout: Duration,
        what: &str,
        matches: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let mut found = None;
        crate::common::wait_until(timeout, || {
            found = self.events().into_iter().find(|e| matches(e));
            found.is_some()
        });
        found.unwrap_or_else(|| {
            panic!(
                "no {what} within {timeout:?}; the cloud said:\n{}",
                self.events()
                    .iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        })
    }
}

impl Drop for CloudProcess {
    fn drop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            // Ended (or killed) already: its pid may be another's now.
            return;
        }
        // SIGTERM first: the cloud removes its scratch directory on the way out.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let ended = crate::common::wait_until(Duration::from_secs(3), || {
            matches!(self.child.try_wait(), Ok(Some(_)))
        });
        if !ended {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}
