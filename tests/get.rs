//! `ocf-mediator get` over plain CoAP against simulated devices.

mod common;

use common::{DevSim, mediator};

#[test]
fn a_resource_is_printed_as_json() {
    let sim = DevSim::start(&["--name", "Porch"]);
    let run = mediator(&["get", &sim.address(0), "/oic/d"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let value: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(value["n"], "Porch");
    assert_eq!(value["di"], sim.di(0));
    assert_eq!(value["icv"], "ocf.2.0.5");
}

#[test]
fn json_output_is_one_line_with_the_answer_and_its_context() {
    let sim = DevSim::start(&[]);
    let uri = format!("coap://{}", sim.address(0));
    let run = mediator(&["--json", "get", &uri, "/oic/sec/doxm"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let line = run.json();
    assert_eq!(line["code"], "2.05");
    assert_eq!(line["content_format"], 10000);
    assert_eq!(line["href"], "/oic/sec/doxm");
    assert_eq!(line["endpoint"], uri);
    assert_eq!(line["representation"]["owned"], false);
    assert_eq!(line["representation"]["deviceuuid"], sim.di(0));
}

#[test]
fn ipv6_addresses_work() {
    let sim = DevSim::start_with(std::process::Command::new(common::DEVSIM).args([
        "device",
        "--json",
        "--listen",
        "[::1]:0",
        "--no-multicast",
    ]));
    let endpoint = sim.devices[0]["endpoints"][0].as_str().unwrap().to_owned();
    assert!(endpoint.starts_with("coap://[::1]:"), "{endpoint}");
    let run = mediator(&["get", &endpoint, "/oic/p"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("\"pi\""), "{}", run.stdout);
}

#[test]
fn a_block_wise_answer_arrives_whole() {
    let sim = DevSim::start(&[]);
    let run = mediator(&["--json", "get", &sim.address(0), "/oic/res"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let links = run.json()["representation"].as_array().unwrap().clone();
    assert_eq!(links.len(), 17);
    assert!(
        links
            .iter()
            .all(|l| l["anchor"] == format!("ocf://{}", sim.di(0)))
    );
}

#[test]
fn query_filters_reach_the_device() {
    let sim = DevSim::start(&[]);
    let run = mediator(&[
        "--json",
        "get",
        &sim.address(0),
        "/oic/res?rt=oic.r.coapcloudconf",
    ]);
    let links = run.json()["representation"].as_array().unwrap().clone();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0]["href"], "/CoapCloudConfResURI");
}

#[test]
fn a_refused_read_exits_6_and_says_why() {
    let sim = DevSim::start(&[]);
    let run = mediator(&["get", &sim.address(0), "/oic/sec/cred"]);
    assert_eq!(run.code, 6);
    assert!(
        run.stderr.contains("4.01 Unauthorized") && run.stderr.contains("/oic/sec/cred"),
        "{}",
        run.stderr
    );
    let missing = mediator(&["get", &sim.address(0), "/no/such"]);
    assert_eq!(missing.code, 6);
    assert!(
        missing.stderr.contains("4.04 Not Found"),
        "{}",
        missing.stderr
    );
}

#[test]
fn a_silent_device_times_out_with_exit_4() {
    // Bound, so the port is open, but it never answers.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let address = silent.local_addr().unwrap().to_string();
    let run = mediator(&["get", &address, "/oic/d", "--timeout", "1s"]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(run.stderr.contains(&address), "{}", run.stderr);
}

#[test]
fn a_closed_port_fails_at_once_naming_the_port() {
    let address = format!("127.0.0.1:{}", common::free_udp_port());
    let started = std::time::Instant::now();
    let run = mediator(&["get", &address, "/oic/d", "--timeout", "10s"]);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "{address} refused the connection: nothing listens on that port"
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn bad_arguments_are_usage_errors() {
    let sim = DevSim::start(&[]);
    let blank = mediator(&["get", &sim.address(0), " "]);
    assert_eq!(blank.code, 2, "{}", blank.stderr);
    let secure = mediator(&["get", &format!("coaps://{}", sim.address(0)), "/oic/d"]);
    assert_eq!(secure.code, 2, "{}", secure.stderr);
    assert!(secure.stderr.contains("coaps://"), "{}", secure.stderr);
}

#[test]
fn a_path_without_its_leading_slash_is_accepted() {
    let sim = DevSim::start(&[]);
    let run = mediator(&["get", &sim.address(0), "oic/p"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}
