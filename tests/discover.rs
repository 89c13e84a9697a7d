//! `ocf-mediator discover` against simulated devices on loopback (unicast;
//! multicast is covered in tests/multicast_netns.rs).

mod common;

use std::time::{Duration, Instant};

use common::{DevSim, mediator};

#[test]
fn a_device_is_described_by_one_json_line() {
    let sim = DevSim::start(&["--name", "Kitchen Light"]);
    let run = mediator(&["discover", "--json", "--address", &sim.address(0)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let device = run.json();
    assert_eq!(device["di"], sim.di(0));
    assert_eq!(device["name"], "Kitchen Light");
    assert_eq!(device["owned"], false);
    assert_eq!(device["oxms"], serde_json::json!([0]));
    assert_eq!(device["otms"], serde_json::json!(["jw"]));
    // Over loopback the simulator lists its loopback eps, plain and secure
    // (a real device lists none there; see eps_for in src/sim/host.rs).
    assert_eq!(device["endpoints"], sim.devices[0]["endpoints"]);
    assert!(
        device["endpoints"][1]
            .as_str()
            .unwrap()
            .starts_with("coaps://127.0.0.1:"),
        "{device}"
    );
    assert_eq!(device["cloud_conf"], "/CoapCloudConfResURI");
}

#[test]
fn people_get_a_table() {
    let sim = DevSim::start(&["--name", "Hall"]);
    let run = mediator(&["discover", "--address", &sim.address(0)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(
        lines[0].starts_with("DI") && lines[0].contains("NAME") && lines[0].contains("OWNED"),
        "{}",
        run.stdout
    );
    assert!(
        lines[1].contains(&sim.di(0)) && lines[1].contains("Hall") && lines[1].contains(" no "),
        "{}",
        run.stdout
    );
}

#[test]
fn several_addressed_devices_are_all_listed_and_discovery_returns_when_they_have_answered() {
    let sim = DevSim::start(&["--count", "3"]);
    let mut args = vec![
        "discover".to_owned(),
        "--json".to_owned(),
        "--wait".to_owned(),
        "30s".to_owned(),
    ];
    for i in 0..3 {
        args.push("--address".into());
        args.push(sim.address(i));
    }
    let started = Instant::now();
    let run = mediator(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "unicast discovery does not wait for --wait"
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut found: Vec<String> = run
        .json_lines()
        .iter()
        .map(|d| d["di"].as_str().unwrap().to_owned())
        .collect();
    let mut expected: Vec<String> = (0..3).map(|i| sim.di(i)).collect();
    found.sort();
    expected.sort();
    assert_eq!(found, expected);
}

#[test]
fn a_silent_address_is_reported_by_name_with_exit_code_3() {
    let port = common::free_udp_port();
    let address = format!("127.0.0.1:{port}");
    let run = mediator(&["discover", "--address", &address, "--timeout", "1s"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(run.stderr.contains(&address), "{}", run.stderr);
    assert!(run.stdout.is_empty());
}

#[test]
fn filters_select_owned_or_unowned_devices() {
    let sim = DevSim::start(&[]);
    let unowned = mediator(&[
        "discover",
        "--json",
        "--unowned",
        "--address",
        &sim.address(0),
    ]);
    assert_eq!(unowned.json_lines().len(), 1);
    let owned = mediator(&[
        "discover",
        "--json",
        "--owned",
        "--address",
        &sim.address(0),
    ]);
    assert!(owned.stdout.is_empty());
    assert_eq!(owned.code, 3, "nothing matched");
}

#[test]
fn an_address_that_is_not_an_address_is_a_usage_error() {
    let run = mediator(&["discover", "--address", "kitchen light"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("kitchen light"), "{}", run.stderr);
}

#[test]
fn simulated_devices_keep_their_identity_in_a_state_dir() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().to_str().unwrap();
    let first = DevSim::start(&["--state-dir", state, "--count", "2"]);
    let dis = [first.di(0), first.di(1)];
    assert_ne!(dis[0], dis[1]);
    drop(first);
    let again = DevSim::start(&["--state-dir", state, "--count", "2"]);
    assert_eq!([again.di(0), again.di(1)], dis);
}

/// A fake device that holds back its `/oic/res` answer until it has been
/// asked for `/oic/d` and doxm: discovery must not wait for the listing
/// (block-wise on real devices) before asking for them.
fn device_answering_the_listing_last() -> String {
    use ocf_mediator::coap::{Code, Message, MessageType, OptionNumber};
    use std::net::UdpSocket;

    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let address = socket.local_addr().unwrap().to_string();
    let di = "2f0b8cf5-6f5e-4c6e-9d5a-3a1f2b6c7d8e";
    let cbor = |value: serde_json::Value| {
        let mut bytes = Vec::new();
        ciborium::into_writer(&value, &mut bytes).unwrap();
        bytes
    };
    let answer = move |request: &Message, payload: Vec<u8>| {
        let mut m = Message::new(
            MessageType::Acknowledgement,
            Code::CONTENT,
            request.message_id,
        );
        m.token = request.token.clone();
        m.options.set_uint(OptionNumber::CONTENT_FORMAT, 10000);
        m.payload = payload;
        m.encode()
    };
    std::thread::spawn(move || {
        let mut buf = [0u8; 2048];
        let mut listing = None;
        let mut asked = (false, false);
        while let Ok((n, from)) = socket.recv_from(&mut buf) {
            let Ok(request) = Message::decode(&buf[..n]) else {
                continue;
            };
            match request.options.uri_path().as_str() {
                "/oic/res" => listing = Some((request, from)),
                "/oic/d" => {
                    asked.0 = true;
                    let d = cbor(serde_json::json!({"n": "early bird", "di": di}));
                    let _ = socket.send_to(&answer(&request, d), from);
                }
                "/oic/sec/doxm" => {
                    asked.1 = true;
                    let doxm = cbor(serde_json::json!({"owned": false, "oxms": [0], "oxmsel": 0}));
                    let _ = socket.send_to(&answer(&request, doxm), from);
                }
                _ => {}
            }
            if asked == (true, true) {
                if let Some((request, from)) = listing.take() {
                    let links = cbor(serde_json::json!([{
                        "anchor": format!("ocf://{di}"), "href": "/oic/d", "rt": ["oic.wk.d"],
                        "if": ["oic.if.r"], "p": {"bm": 3}, "eps": []
                    }]));
                    let _ = socket.send_to(&answer(&request, links), from);
                }
            }
        }
    });
    address
}

#[test]
fn an_addressed_device_is_asked_for_its_name_and_ownership_without_waiting_for_its_listing() {
    let address = device_answering_the_listing_last();
    let run = mediator(&[
        "--json",
        "--timeout",
        "2s",
        "discover",
        "--address",
        &address,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let device = run.json();
    assert_eq!(device["name"], "early bird");
    assert_eq!(device["owned"], false);
    assert_eq!(device["otms"], serde_json::json!(["jw"]));
}
