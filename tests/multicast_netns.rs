//! Multicast discovery on a real link: two network namespaces joined by a
//! veth pair, `ocf-devsim` in one, `ocf-mediator` in the other. Nothing
//! touches the host's interfaces; the namespaces are deleted when each test
//! ends, also on panic.
//!
//! Needs root (CI runs as root) and iproute2: each test fails, saying so,
//! when it runs without them.

mod common;

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{DEVSIM, DevSim, MEDIATOR, Run, wait_until};
use serde_json::Value;

/// The veth end in the mediator's namespace and in the device's.
const IF_MEDIATOR: &str = "ocfm0";
const IF_DEVICE: &str = "ocfd0";
const V4_MEDIATOR: &str = "10.213.7.1";
const V4_DEVICE: &str = "10.213.7.2";
const ULA_MEDIATOR: &str = "fd00:213:7::1";
const ULA_DEVICE: &str = "fd00:213:7::2";

/// Addresses the veth ends get besides their IPv6 link-local ones.
#[derive(Clone, Copy)]
struct Addressing {
    ipv4: bool,
    /// A unique local IPv6 address (fd00::/8), as routers advertise on many LANs.
    ula: bool,
}

/// Two namespaces and the veth pair between them; deleted on drop.
struct Link {
    mediator_ns: String,
    device_ns: String,
}

fn run_ip(args: &[&str]) -> Result<String, String> {
    let output = Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run ip: {e}"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

fn must(result: Result<String, String>) -> String {
    result.unwrap_or_else(|e| panic!("namespace setup failed: {e}"))
}

impl Link {
    /// Creates the namespaces (names carry the pid and `tag`); fails the
    /// test, naming what is missing, when namespaces cannot be made here.
    fn create(tag: &str, addressing: Addressing) -> Link {
        common::require_root("it creates network namespaces");
        common::require(&["ip"], "iproute2");
        common::require(&["sysctl"], "procps");
        let pid = std::process::id();
        let mediator_ns = format!("ocf-{pid}-{tag}-m");
        let device_ns = format!("ocf-{pid}-{tag}-d");
        must(run_ip(&["netns", "add", &mediator_ns]));
        // From here on, Drop removes whatever was made.
        let link = Link {
            mediator_ns,
            device_ns,
        };
        must(run_ip(&["netns", "add", &link.device_ns]));
        must(run_ip(&[
            "link",
            "add",
            IF_MEDIATOR,
            "netns",
            &link.mediator_ns,
            "type",
            "veth",
            "peer",
            "name",
            IF_DEVICE,
            "netns",
            &link.device_ns,
        ]));
        for (ns, iface, v4, ula) in [
            (&link.mediator_ns, IF_MEDIATOR, V4_MEDIATOR, ULA_MEDIATOR),
            (&link.device_ns, IF_DEVICE, V4_DEVICE, ULA_DEVICE),
        ] {
            must(run_ip(&["-n", ns, "link", "set", "lo", "up"]));
            // No duplicate address detection: the link-local address is
            // usable as soon as the link is up.
            must(run_ip(&[
                "netns",
                "exec",
                ns,
                "sysctl",
                "-qw",
                &format!("net.ipv6.conf.{iface}.accept_dad=0"),
            ]));
            if addressing.ipv4 {
                must(run_ip(&[
                    "-n",
                    ns,
                    "addr",
                    "add",
                    &format!("{v4}/24"),
                    "dev",
                    iface,
                ]));
            }
            if addressing.ula {
                must(run_ip(&[
                    "-n",
                    ns,
                    "addr",
                    "add",
                    &format!("{ula}/64"),
                    "dev",
                    iface,
                    "nodad",
                ]));
            }
            must(run_ip(&["-n", ns, "link", "set", iface, "up"]));
        }
        for (ns, iface) in [
            (&link.mediator_ns, IF_MEDIATOR),
            (&link.device_ns, IF_DEVICE),
        ] {
            let ready = wait_until(Duration::from_secs(10), || {
                let Ok(out) = run_ip(&[
                    "-n", ns, "-6", "addr", "show", "dev", iface, "scope", "link",
                ]) else {
                    return false;
                };
                out.contains("fe80::") && !out.contains("tentative")
            });
            assert!(
                ready,
                "no usable link-local address on {iface} in {ns}:\n{}",
                run_ip(&["-n", ns, "addr"]).unwrap_or_default()
            );
        }
        link
    }

    /// The device side's IPv6 link-local address.
    fn device_link_local(&self) -> String {
        let out = must(run_ip(&[
            "-n",
            &self.device_ns,
            "-6",
            "-o",
            "addr",
            "show",
            "dev",
            IF_DEVICE,
            "scope",
            "link",
        ]));
        out.split_whitespace()
            .find(|w| w.starts_with("fe80::"))
            .and_then(|w| w.split('/').next())
            .expect("a link-local address")
            .to_owned()
    }

    /// Starts `ocf-devsim device --json` in the device namespace, answering
    /// multicast after up to 300 ms.
    fn devsim(&self, extra: &[&str]) -> DevSim {
        self.devsim_delaying("300", extra)
    }

    /// The same, answering multicast after up to `delay_ms`.
    fn devsim_delaying(&self, delay_ms: &str, extra: &[&str]) -> DevSim {
        let mut command = Command::new("ip");
        command
            .args(["netns", "exec", &self.device_ns, DEVSIM])
            .args(["device", "--json", "--multicast-delay-ms", delay_ms]);
        command.args(extra);
        DevSim::start_with(&mut command)
    }

    /// Runs `ocf-mediator` in the mediator namespace.
    fn mediator(&self, args: &[&str]) -> Run {
        self.mediator_with_env(args, &[])
    }

    /// Runs `ocf-mediator` in the mediator namespace with these variables.
    fn mediator_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut command = Command::new("ip");
        command
            .args(["netns", "exec", &self.mediator_ns, MEDIATOR])
            .args(args)
            .stdin(Stdio::null());
        for (key, _) in std::env::vars() {
            if key.starts_with("OCF_MEDIATOR_") {
                command.env_remove(key);
            }
        }
        command.envs(env.iter().copied());
        let output = command.output().expect("run ocf-mediator in a namespace");
        let run = Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        assert!(
            !run.stderr.contains("panicked"),
            "ocf-mediator panicked:\n{}",
            run.stderr
        );
        run
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        // Deleting a namespace deletes its veth end, and so the pair.
        for ns in [&self.device_ns, &self.mediator_ns] {
            let _ = run_ip(&["netns", "del", ns]);
        }
    }
}

/// The port of an announced endpoint (`coap://10.213.7.2:41234`).
fn port_of(endpoint: &Value) -> u16 {
    let text = endpoint.as_str().unwrap();
    text.rsplit(':').next().unwrap().parse().unwrap()
}

/// The discovery record of device `index` of `devsim`, checked for what
/// every unowned simulated device reports.
fn record_of<'a>(records: &'a [Value], devsim: &DevSim, index: usize) -> &'a Value {
    let di = devsim.di(index);
    let matching: Vec<&Value> = records.iter().filter(|r| r["di"] == di.as_str()).collect();
    assert_eq!(
        matching.len(),
        1,
        "device {di} should be listed once: {records:#?}"
    );
    let record = matching[0];
    assert_eq!(record["name"], devsim.devices[index]["name"], "{record}");
    assert_eq!(record["owned"], false, "{record}");
    assert_eq!(record["oxms"], serde_json::json!([0]), "{record}");
    assert_eq!(record["otms"], serde_json::json!(["jw"]), "{record}");
    assert_eq!(record["cloud_conf"], "/CoapCloudConfResURI", "{record}");
    record
}

#[test]
fn ipv4_multicast_finds_devices_with_their_endpoints() {
    let link = Link::create(
        "v4",
        Addressing {
            ipv4: true,
            ula: false,
        },
    );
    // IPv4-only sockets: answers can only go back to IPv4 (224.0.1.187) requests.
    let devsim = link.devsim(&["--listen", &format!("{V4_DEVICE}:0"), "--count", "2"]);
    let run = link.mediator(&["--json", "discover", "--wait", "2s"]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let records = run.json_lines();
    assert_eq!(records.len(), 2, "{records:#?}");
    for index in 0..2 {
        let record = record_of(&records, &devsim, index);
        let port = port_of(&devsim.devices[index]["endpoints"][0]);
        let secure = port_of(&devsim.devices[index]["endpoints"][1]);
        let endpoints = [
            format!("coap://{V4_DEVICE}:{port}"),
            format!("coaps://{V4_DEVICE}:{secure}"),
        ];
        // Filled from the device's eps (asked over the veth, not loopback).
        assert_eq!(
            record["endpoints"],
            serde_json::json!(endpoints),
            "{record}"
        );
        assert_eq!(record["address"], format!("{V4_DEVICE}:{port}"), "{record}");
    }
}

#[test]
fn ipv6_multicast_finds_devices_with_their_endpoints() {
    // No IPv4 on the link at all.
    let link = Link::create(
        "v6",
        Addressing {
            ipv4: false,
            ula: true,
        },
    );
    let devsim = link.devsim(&["--listen", &format!("[{ULA_DEVICE}]:0"), "--count", "2"]);
    let run = link.mediator(&["--json", "discover", "--wait", "2s"]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let records = run.json_lines();
    assert_eq!(records.len(), 2, "{records:#?}");
    for index in 0..2 {
        let record = record_of(&records, &devsim, index);
        let port = port_of(&devsim.devices[index]["endpoints"][0]);
        let secure = port_of(&devsim.devices[index]["endpoints"][1]);
        let endpoints = [
            format!("coap://[{ULA_DEVICE}]:{port}"),
            format!("coaps://[{ULA_DEVICE}]:{secure}"),
        ];
        assert_eq!(
            record["endpoints"],
            serde_json::json!(endpoints),
            "{record}"
        );
        assert_eq!(
            record["address"],
            format!("[{ULA_DEVICE}]:{port}"),
            "{record}"
        );
    }
}

/// The most common IPv6 LAN has nothing but link-local addresses. The
/// device must join ff02::158 on such an interface, the mediator must send
/// there, and the device's eps must list its link-local endpoint
/// (`coap://[fe80::…%if]:port`, as iotivity-lite does).
#[test]
fn link_local_only_ipv6_network() {
    let link = Link::create(
        "ll",
        Addressing {
            ipv4: false,
            ula: false,
        },
    );
    let devsim = link.devsim(&["--listen", "[::]:0"]);
    let device_ll = link.device_link_local();
    let port = port_of(&devsim.devices[0]["endpoints"][0]);
    let run = link.mediator(&["--json", "discover", "--wait", "2s"]);
    assert_eq!(
        run.code, 0,
        "nothing found over link-local IPv6 (if-addrs drops fe80:: addresses unless built \
         with its `link-local` feature); stderr: {}",
        run.stderr
    );
    let records = run.json_lines();
    assert_eq!(records.len(), 1, "{records:#?}");
    let record = record_of(&records, &devsim, 0);
    // The answering address carries the mediator's zone (its interface).
    let address = record["address"].as_str().unwrap();
    assert!(
        address.starts_with(&format!("[{device_ll}%")) && address.ends_with(&format!("]:{port}")),
        "{record}"
    );
    // The eps carry the device's own zone, as a real device writes them.
    let endpoint = format!("coap://[{device_ll}%{IF_DEVICE}]:{port}");
    assert!(
        record["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e == endpoint.as_str()),
        "{endpoint} not in {record}"
    );

    // The link-local address with the mediator's interface as zone, by name.
    let address = format!("coap://[{device_ll}%{IF_MEDIATOR}]:{port}");
    let run = link.mediator(&["--json", "get", &address, "/oic/d"]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert_eq!(run.json()["representation"]["di"], devsim.di(0).as_str());
    // And by UUID, through link-local multicast.
    let run = link.mediator(&["--json", "get", &devsim.di(0), "/oic/d"]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert_eq!(run.json()["endpoint"], address.as_str());
}

#[test]
fn dual_stack_devices_list_both_families_and_rounds_accumulate() {
    let link = Link::create(
        "ds",
        Addressing {
            ipv4: true,
            ula: true,
        },
    );
    // The default: one wildcard dual-stack socket per device.
    let devsim = link.devsim(&["--count", "2"]);
    let started = Instant::now();
    let run = link.mediator(&["--json", "discover", "--wait", "1s", "--rounds", "2"]);
    assert!(
        started.elapsed() >= Duration::from_millis(1900),
        "two rounds of 1 s ended after {:?}",
        started.elapsed()
    );
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let records = run.json_lines();
    // Two rounds, three IPv6 groups and IPv4, both families answered: still
    // one record per device.
    assert_eq!(records.len(), 2, "{records:#?}");
    let dis: HashSet<&str> = records.iter().map(|r| r["di"].as_str().unwrap()).collect();
    assert_eq!(dis.len(), 2);
    for index in 0..2 {
        let record = record_of(&records, &devsim, index);
        let port = port_of(&devsim.devices[index]["endpoints"][0]);
        let endpoints: Vec<&str> = record["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e.as_str().unwrap())
            .collect();
        for expected in [
            format!("coap://{V4_DEVICE}:{port}"),
            format!("coap://[{ULA_DEVICE}]:{port}"),
        ] {
            assert!(
                endpoints.contains(&expected.as_str()),
                "{expected} not in {record}"
            );
        }
        assert!(
            endpoints
                .iter()
                .all(|e| !e.contains("127.0.0.1") && !e.contains("[::1]")),
            "loopback endpoints listed: {record}"
        );
    }
}

#[test]
fn get_by_uuid_and_by_name_resolves_through_multicast() {
    let link = Link::create(
        "get",
        Addressing {
            ipv4: true,
            ula: false,
        },
    );
    let devsim = link.devsim(&["--name", "netns lamp"]);
    let di = devsim.di(0);
    let port = port_of(&devsim.devices[0]["endpoints"][0]);

    let run = link.mediator(&["get", &di, "/oic/d"]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let shown: Value = serde_json::from_str(&run.stdout).expect("/oic/d as JSON");
    assert_eq!(shown["di"], di.as_str());
    assert_eq!(shown["n"], "netns lamp");

    let run = link.mediator(&["--json", "get", &di, "/oic/sec/doxm"]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let json = run.json();
    assert_eq!(json["code"], "2.05");
    assert_eq!(json["representation"]["deviceuuid"], di.as_str());
    assert_eq!(json["representation"]["owned"], false);
    // Resolved to the device's address on the veth (either family).
    let device = json["endpoint"].as_str().unwrap();
    assert!(
        device.ends_with(&format!(":{port}")) && !device.contains("127.0.0.1"),
        "{json}"
    );

    let run = link.mediator(&["--json", "get", "netns lamp", "/oic/d"]);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    assert_eq!(run.json()["representation"]["di"], di.as_str());

    // A UUID nobody has: not found (3), named in the message.
    let absent = "0685b960-736f-46f7-bebc-0e3f2bc3c4f0";
    let run = link.mediator(&["--timeout", "1s", "get", absent, "/oic/d"]);
    assert_eq!(run.code, 3, "stdout: {} stderr: {}", run.stdout, run.stderr);
    assert!(run.stderr.contains(absent), "stderr: {}", run.stderr);
}

#[test]
fn shell_completion_offers_devices_that_answer_a_short_multicast_look() {
    let link = Link::create(
        "complete",
        Addressing {
            ipv4: true,
            ula: false,
        },
    );
    // A device that answers at once: the look lasts at most 300 ms.
    let devsim = link.devsim_delaying("0", &["--listen", &format!("{V4_DEVICE}:0")]);
    let state = tempfile::tempdir().unwrap();
    let state_dir = state.path().to_str().unwrap();
    let ask = |extra: &[(&str, &str)]| {
        let mut env = vec![
            ("COMPLETE", "bash"),
            ("_CLAP_COMPLETE_INDEX", "2"),
            ("OCF_MEDIATOR_STATE_DIR", state_dir),
        ];
        env.extend_from_slice(extra);
        let started = Instant::now();
        let run = link.mediator_with_env(&["--", "ocf-mediator", "own", ""], &env);
        assert_eq!(run.code, 0, "{}", run.stderr);
        (run.stdout.replace('\u{b}', " "), started.elapsed())
    };
    let (offered, took) = ask(&[]);
    assert!(offered.contains(&devsim.di(0)), "{offered}");
    assert!(took < Duration::from_secs(1), "completion took {took:?}");
    let (offered, _) = ask(&[("OCF_MEDIATOR_NO_NETWORK_COMPLETION", "1")]);
    assert!(!offered.contains(&devsim.di(0)), "{offered}");
}
