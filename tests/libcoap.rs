//! libcoap (Debian `libcoap3-bin`, 4.3) as an independent CoAP peer.
//!
//! - `ocf-mediator get` / `discover` against `coap-server-notls`: plain
//!   resources, the retry without OCF's options after 4.02 Bad Option, a
//!   5000-byte resource fetched with Block2, and a clear "not an OCF device".
//! - `coap-client-notls` against `ocf-devsim`: libcoap's client knows no way
//!   to accept OCF's critical option 2053 (it never calls
//!   `coap_register_option`), so it drops every OCF 2.05 response. The tests
//!   check what does interoperate: libcoap parses the devsim's response (its
//!   debug log shows the options and the CBOR payload, which decodes to the
//!   device's `di`), and error responses, which carry no 2053, reach it.
//!
//! Each test fails, naming scripts/setup.sh, when the libcoap binaries are missing.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{DevSim, free_udp_port, mediator, raw_exchange, wait_until};
use ocf_mediator::ocf::representation::{cbor_to_json, decode_cbor};

const SERVER: &str = "coap-server-notls";
const CLIENT: &str = "coap-client-notls";

/// libcoap's tools, or a failure naming the set-up step.
fn require_libcoap() {
    common::require(&[SERVER, CLIENT], "libcoap3-bin");
    // Line-buffers the server's log (below).
    common::require(&["stdbuf"], "coreutils");
}

/// A `coap-server-notls` on 127.0.0.1, logging every PDU (`-v 7`) to a
/// file; killed when dropped.
struct LibcoapServer {
    child: Child,
    port: u16,
    log: tempfile::NamedTempFile,
}

impl LibcoapServer {
    fn start() -> LibcoapServer {
        // The port is free when picked; another process may take it before
        // the server binds, so try a few.
        for _ in 0..5 {
            let port = free_udp_port();
            let log = tempfile::NamedTempFile::new().unwrap();
            // libcoap logs PDUs through stdio: line-buffer it so the log is
            // complete when a request has been answered.
            let child = Command::new("stdbuf")
                .args(["-oL", "-eL", SERVER])
                .args(["-A", "127.0.0.1", "-p", &port.to_string(), "-v", "7"])
                .stdin(Stdio::null())
                .stdout(log.reopen().unwrap())
                .stderr(log.reopen().unwrap())
                .spawn()
                .expect("start coap-server-notls");
            let mut server = LibcoapServer { child, port, log };
            // A bare confirmable GET of `/` (message id 0x0001). Ready when
            // libcoap's banner answers: if the server could not bind (another
            // test's device took the port first) it may keep running, and
            // the answer would come from that device instead.
            let ping = [0x40, 0x01, 0x00, 0x01];
            let addr = format!("127.0.0.1:{port}").parse().unwrap();
            let ready = wait_until(Duration::from_secs(5), || {
                if server.child.try_wait().unwrap().is_some() {
                    return true;
                }
                raw_exchange(addr, &ping, Duration::from_millis(100))
                    .iter()
                    .any(|answer| answer.windows(7).any(|w| w == b"libcoap"))
            });
            if ready && server.child.try_wait().unwrap().is_none() {
                return server;
            }
            eprintln!(
                "coap-server-notls on port {port} did not come up:\n{}",
                server.log_text()
            );
        }
        panic!("coap-server-notls did not start");
    }

    fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Everything the server logged so far.
    fn log_text(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(self.log.path()).unwrap()).into_owned()
    }

    /// The header lines of the PDUs the server logged (`v:1 t:… c:… [ options ]`).
    fn pdus(&self) -> Vec<String> {
        self.log_text()
            .lines()
            .filter(|l| l.starts_with("v:1 "))
            .map(|l| l.split(" :: ").next().unwrap_or(l).to_owned())
            .collect()
    }

    /// The logged PDUs once `done` holds for them. The server logs a
    /// response just after sending it, so the last line may lag the client.
    fn pdus_when(&self, done: impl Fn(&[String]) -> bool) -> Vec<String> {
        wait_until(Duration::from_secs(3), || done(&self.pdus()));
        self.pdus()
    }

    /// Stores `payload` in the example server's `/example_data` with
    /// libcoap's own client (block-wise PUT, Block1).
    fn put_example_data(&self, payload: &[u8], content_format: Option<&str>) {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), payload).unwrap();
        let mut command = Command::new(CLIENT);
        command
            .args(["-B", "5", "-m", "put", "-f"])
            .arg(file.path());
        if let Some(format) = content_format {
            command.args(["-t", format]);
        }
        let output = command
            .arg(format!("coap://{}/example_data", self.address()))
            .stdin(Stdio::null())
            .output()
            .expect("run coap-client-notls");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success() && !stderr.contains("4.") && !stderr.contains("5."),
            "PUT /example_data failed: {stderr}"
        );
    }
}

impl Drop for LibcoapServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn assert_no_panic(stderr: &str) {
    assert!(
        !stderr.contains("panicked"),
        "ocf-mediator panicked:\n{stderr}"
    );
}

/// A payload where every 10-byte record names its own offset, so a block
/// that is lost, repeated or out of order changes the text.
fn numbered_text(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 10);
    let mut offset = 0;
    while out.len() < len {
        out.extend_from_slice(format!("{offset:08}\n").as_bytes());
        offset += 9;
    }
    out.truncate(len);
    out
}

#[test]
fn get_time_from_libcoap_retries_without_ocf_options() {
    require_libcoap();
    let server = LibcoapServer::start();
    let uri = format!("coap://{}", server.address());

    let run = mediator(&["-v", "get", &uri, "/time"]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert_no_panic(&run.stderr);
    // libcoap's clock resource: "Nov 28 12:39:10" (month, day, time).
    let text = run.stdout.trim_end_matches('\n');
    assert_eq!(run.stdout.lines().count(), 1, "stdout: {:?}", run.stdout);
    assert!(
        text.len() >= 14 && text.matches(':').count() == 2,
        "not libcoap's time: {text:?}"
    );
    assert!(
        run.stderr
            .contains("answered 4.02 Bad Option: asking again without OCF's options"),
        "stderr: {}",
        run.stderr
    );

    // What the server saw: the OCF request refused with 4.02, then the same
    // GET without Accept and option 2049, answered 2.05.
    let pdus = server.pdus_when(|pdus| pdus.iter().filter(|p| p.contains(" c:2.05 ")).count() >= 2);
    let time: Vec<&String> = pdus
        .iter()
        .filter(|p| p.contains("Uri-Path:time") || p.contains(" c:2.05 ") || p.contains(" c:4.02 "))
        .collect();
    let first_get = time
        .iter()
        .position(|p| p.contains("c:GET") && p.contains("Uri-Path:time"))
        .expect("the server logged no GET /time");
    let ocf_get = time[first_get];
    assert!(
        ocf_get.contains("Accept:10000") && ocf_get.contains("2049:"),
        "first GET should carry OCF's options: {ocf_get}"
    );
    assert!(
        time[first_get + 1].contains("c:4.02"),
        "{:#?}",
        &time[first_get..]
    );
    let plain_get = time[first_get + 2];
    assert!(
        plain_get.contains("c:GET") && !plain_get.contains("2049") && !plain_get.contains("Accept"),
        "retry should have no OCF options: {plain_get}"
    );
    assert!(
        time[first_get + 3].contains("c:2.05"),
        "{:#?}",
        &time[first_get..]
    );

    // Without -v: just the value, nothing on stderr.
    let quiet = mediator(&["get", &uri, "time"]);
    assert_eq!(quiet.code, 0, "stderr: {}", quiet.stderr);
    assert_eq!(quiet.stderr, "");
}

#[test]
fn get_json_from_libcoap() {
    require_libcoap();
    let server = LibcoapServer::start();
    let device = format!("coap://{}", server.address());

    let run = mediator(&["--json", "get", &server.address(), "/time"]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let json = run.json();
    assert_eq!(json["endpoint"], device.as_str());
    assert_eq!(json["href"], "/time");
    assert_eq!(json["code"], "2.05");
    // libcoap sends /time without Content-Format (text/plain by default).
    assert!(json["content_format"].is_null(), "{json}");
    let time = json["representation"]
        .as_str()
        .expect("text representation");
    assert_eq!(time.matches(':').count(), 2, "{time:?}");

    // `/` is text (libcoap leaves out Content-Format 0) and names libcoap.
    let run = mediator(&["--json", "get", &device, "/"]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let json = run.json();
    assert_eq!(json["href"], "/");
    assert_eq!(json["code"], "2.05");
    assert!(json["content_format"].is_null(), "{json}");
    let text = json["representation"].as_str().unwrap();
    assert!(
        text.starts_with("This is a test server made with libcoap"),
        "{text:?}"
    );

    // A path libcoap does not serve: 4.04, exit 6 (refused), named in the message.
    let run = mediator(&["--json", "get", &device, "/oic/d"]);
    assert_eq!(run.code, 6, "stdout: {} stderr: {}", run.stdout, run.stderr);
    let error = run.json();
    assert_eq!(
        (error["exit"].as_u64(), error["code"].as_str()),
        (Some(6), Some("4.04"))
    );
    assert!(
        run.stderr.contains("4.04") && run.stderr.contains(&server.address()),
        "stderr: {}",
        run.stderr
    );
    assert_no_panic(&run.stderr);
}

/// The Block2 responses among logged PDUs: each one's block number, whether
/// more follow, and the block size.
fn block2_responses(pdus: &[String]) -> Vec<(u32, bool, u32)> {
    pdus.iter()
        .filter(|p| p.contains(" c:2.05 ") && p.contains("Size2:"))
        .filter_map(|p| {
            let block = p.split("Block2:").nth(1)?.split([',', ' ']).next()?;
            let mut parts = block.split('/');
            let num = parts.next()?.parse().ok()?;
            let more = parts.next()? == "M";
            let size = parts.next()?.parse().ok()?;
            Some((num, more, size))
        })
        .collect()
}

#[test]
fn get_large_text_resource_blockwise() {
    require_libcoap();
    let server = LibcoapServer::start();
    let payload = numbered_text(5000);
    server.put_example_data(&payload, None);
    let uri = format!("coap://{}", server.address());

    let before = block2_responses(&server.pdus()).len();
    let run = mediator(&["get", &uri, "/example_data"]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert_eq!(run.stdout.len(), 5001, "5000 bytes and a newline");
    assert!(
        run.stdout.as_bytes() == [payload.as_slice(), b"\n"].concat(),
        "the text differs from what was stored"
    );

    // The server sent it as five 1024-byte Block2 blocks, 0..=4, the last without M.
    let pdus = server.pdus_when(|pdus| {
        block2_responses(pdus)[before..]
            .last()
            .is_some_and(|(_, more, _)| !more)
    });
    let blocks = &block2_responses(&pdus)[before..];
    assert_eq!(
        blocks,
        [
            (0, true, 1024),
            (1, true, 1024),
            (2, true, 1024),
            (3, true, 1024),
            (4, false, 1024)
        ],
        "server log:\n{pdus:#?}"
    );
    // Our client asked for each following block (Block2 in the request).
    for num in 1..=4 {
        let asked = format!("Uri-Path:example_data, Block2:{num}/_/1024 ]");
        assert!(
            pdus.iter()
                .any(|p| p.contains("c:GET") && p.contains(&asked)),
            "no GET for block {num}:\n{pdus:#?}"
        );
    }

    let run = mediator(&["--json", "get", &uri, "/example_data"]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let json = run.json();
    assert_eq!(json["code"], "2.05");
    assert_eq!(
        json["representation"].as_str().unwrap().as_bytes(),
        payload.as_slice()
    );
}

#[test]
fn get_large_binary_resource_blockwise() {
    require_libcoap();
    use base64::Engine;
    let server = LibcoapServer::start();
    // Every byte value, not UTF-8: shown as base64 (content format 42).
    let payload: Vec<u8> = (0..6000u32).map(|i| (i * 7 + i / 256) as u8).collect();
    server.put_example_data(&payload, Some("42"));

    let before = block2_responses(&server.pdus()).len();
    let run = mediator(&["--json", "get", &server.address(), "/example_data"]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let json = run.json();
    assert_eq!(json["content_format"], 42);
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(json["representation"].as_str().unwrap())
        .unwrap();
    assert_eq!(bytes.len(), 6000);
    assert!(bytes == payload, "the bytes differ from what was stored");
    let pdus = server.pdus_when(|pdus| {
        block2_responses(pdus)[before..]
            .last()
            .is_some_and(|(_, more, _)| !more)
    });
    let blocks = &block2_responses(&pdus)[before..];
    assert_eq!(blocks.len(), 6, "server log:\n{pdus:#?}");
    assert_eq!(blocks.last(), Some(&(5, false, 1024)));
}

#[test]
fn discover_libcoap_server_is_not_an_ocf_device() {
    require_libcoap();
    let server = LibcoapServer::start();
    let address = server.address();

    for args in [
        vec!["discover", "--address", &address],
        vec!["--json", "discover", "--address", &address],
    ] {
        let run = mediator(&args);
        assert_eq!(
            run.code, 3,
            "{args:?}: stdout: {} stderr: {}",
            run.stdout, run.stderr
        );
        if args[0] == "--json" {
            // No device line; the error line, as every command's.
            let error = run.json();
            assert_eq!(error["exit"], 3, "{error}");
            assert!(
                error["error"]
                    .as_str()
                    .unwrap()
                    .contains("not an OCF device"),
                "{error}"
            );
        } else {
            assert_eq!(run.stdout, "", "{args:?}");
        }
        assert_no_panic(&run.stderr);
        assert!(
            run.stderr.contains(&address) && run.stderr.contains("not an OCF device"),
            "{args:?}: stderr: {}",
            run.stderr
        );
    }

    // A libcoap server beside a real (simulated) device: the device is
    // listed, the server is reported (an error line of its own), and the
    // exit code says one was not found.
    let devsim = DevSim::start(&[]);
    let run = mediator(&[
        "--json",
        "discover",
        "--address",
        &address,
        "--address",
        &devsim.address(0),
    ]);
    assert_eq!(run.code, 3, "stderr: {}", run.stderr);
    let lines = run.json_lines();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    assert_eq!(lines[0]["di"], devsim.di(0).as_str());
    assert_eq!(lines[1]["exit"], 3);
    assert!(run.stderr.contains(&address), "stderr: {}", run.stderr);
    assert_no_panic(&run.stderr);
}

/// Runs `coap-client-notls` with a short wait; returns (stdout, stderr).
fn coap_client(args: &[&str]) -> (String, String) {
    let output = Command::new(CLIENT)
        .args(["-B", "2"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run coap-client-notls");
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn libcoap_client_gets_devsim_error_responses() {
    require_libcoap();
    let devsim = DevSim::start(&[]);
    let base = format!("coap://{}", devsim.address(0));

    // Error responses carry neither Content-Format 10000 nor option 2053:
    // libcoap's client accepts them and prints the code on stderr.
    let (_, stderr) = coap_client(&[&format!("{base}/no/such/resource")]);
    assert_eq!(stderr.trim(), "4.04", "stderr: {stderr}");

    // Accept: application/cbor (60) is refused like the reference device does.
    let (_, stderr) = coap_client(&["-A", "60", &format!("{base}/oic/d")]);
    assert_eq!(stderr.trim(), "4.06", "stderr: {stderr}");

    // A write without a secure session.
    let (_, stderr) = coap_client(&["-m", "post", "-e", "x", &format!("{base}/oic/d")]);
    assert!(stderr.trim().starts_with("4."), "stderr: {stderr}");
}

#[test]
fn libcoap_client_reads_the_devices_well_known_core() {
    require_libcoap();
    let devsim = DevSim::start(&[]);
    let base = format!("coap://{}", devsim.address(0));
    // RFC 6690 link format carries no OCF option: a generic client reads it whole,
    // block-wise (it is larger than one block).
    let (stdout, stderr) = coap_client(&[&format!("{base}/.well-known/core")]);
    assert!(stderr.trim().is_empty(), "stderr: {stderr}");
    for href in [
        "</oic/res>",
        "</oic/d>",
        "</oic/sec/doxm>",
        "</CoapCloudConfResURI>",
    ] {
        assert!(stdout.contains(href), "{href} missing from: {stdout}");
    }
    assert!(stdout.contains(r#"rt="oic.r.coapcloudconf""#), "{stdout}");
    // Filters work as on /oic/res.
    let (stdout, _) = coap_client(&[&format!("{base}/.well-known/core?rt=oic.r.doxm")]);
    assert_eq!(
        stdout.trim(),
        r#"</oic/sec/doxm>;rt="oic.r.doxm";if="oic.if.rw oic.if.baseline";ct=10000"#
    );
}

/// Pulls the hex dump of the first binary payload out of libcoap's debug log
/// (`<<a7626469…>>`).
fn logged_payload(log: &str) -> Option<Vec<u8>> {
    let line = log
        .lines()
        .find(|l| l.starts_with("<<") && l.ends_with(">>") && !l.contains(' '))?;
    let hex = &line[2..line.len() - 2];
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

#[test]
fn libcoap_client_parses_devsim_response_but_rejects_option_2053() {
    require_libcoap();
    let devsim = DevSim::start(&[]);
    let uri = format!("coap://{}/oic/d", devsim.address(0));

    // libcoap 4.3's coap-client has no way to register option 2053 as known
    // (no coap_register_option call; -O only adds options to the request),
    // so it drops the 2.05 and times out without printing the payload.
    let (stdout, stderr) = coap_client(&["-v", "7", &uri]);
    let log = format!("{stdout}{stderr}");
    assert!(
        log.contains("unknown critical option 2053"),
        "libcoap accepted option 2053 now? Then assert the payload instead.\n{log}"
    );
    // Its parser read our response correctly: the options, and the payload.
    let response = log
        .lines()
        .find(|l| l.starts_with("v:1 t:ACK c:2.05"))
        .unwrap_or_else(|| panic!("no 2.05 in libcoap's log:\n{log}"));
    assert!(
        response.contains(r"[ Content-Format:10000, 2053:\x08\x00 ]"),
        "{response}"
    );
    let payload = logged_payload(&log).unwrap_or_else(|| panic!("no payload dump:\n{log}"));
    assert!(
        response.contains(&format!("binary data length {}", payload.len())),
        "{response}"
    );
    let json = cbor_to_json(&decode_cbor(&payload).expect("the payload is CBOR"));
    assert_eq!(json["di"], devsim.di(0).as_str(), "{json}");
    assert_eq!(json["n"], devsim.devices[0]["name"], "{json}");
    assert_eq!(json["icv"], "ocf.2.0.5", "{json}");

    // The same with OCF's Accept options given by hand (-A 10000 and
    // -O 2049 with version 1.0.0 = 0x0800): still refused for 2053.
    let (stdout, stderr) = coap_client(&["-v", "7", "-A", "10000", "-O", "2049,0x0800", &uri]);
    let log = format!("{stdout}{stderr}");
    assert!(log.contains("2049:"), "request without 2049?\n{log}");
    assert!(log.contains("unknown critical option 2053"), "{log}");
}
