//! `ocf-devsim device` as a process: what it announces, how it stops, how
//! it refuses bad arguments.

mod common;

use std::process::Command;

use common::{DEVSIM, DevSim};

#[test]
fn several_devices_get_distinct_identities_and_ports() {
    let sim = DevSim::start(&["--count", "3", "--name", "Lamp"]);
    let mut dis: Vec<String> = (0..3).map(|i| sim.di(i)).collect();
    let mut ports: Vec<u16> = (0..3).map(|i| sim.socket_addr(i).port()).collect();
    let names: Vec<&str> = sim
        .devices
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Lamp 1", "Lamp 2", "Lamp 3"]);
    dis.sort();
    dis.dedup();
    ports.sort();
    ports.dedup();
    assert_eq!((dis.len(), ports.len()), (3, 3));
}

#[test]
fn a_fixed_port_numbers_the_devices_consecutively() {
    let base = loop {
        let p = common::free_udp_port();
        if p < 65000 && (1..3).all(|i| std::net::UdpSocket::bind(("127.0.0.1", p + i)).is_ok()) {
            break p;
        }
    };
    let listen = format!("127.0.0.1:{base}");
    let sim = DevSim::start_with(Command::new(DEVSIM).args([
        "device",
        "--json",
        "--no-multicast",
        "--count",
        "3",
        "--listen",
        &listen,
    ]));
    let ports: Vec<u16> = (0..3).map(|i| sim.socket_addr(i).port()).collect();
    assert_eq!(ports, [base, base + 1, base + 2]);
}

#[test]
fn sigterm_stops_it_cleanly() {
    let mut sim = DevSim::start(&[]);
    let status = sim.terminate().expect("ocf-devsim did not stop on SIGTERM");
    assert!(status.success(), "{status:?}");
}

#[test]
fn an_address_in_use_is_a_clear_error() {
    let taken = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let output = Command::new(DEVSIM)
        .args(["device", "--no-multicast", "--listen", &address])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&address) && stderr.contains("cannot listen"),
        "{stderr}"
    );
}

#[test]
fn a_state_file_that_is_not_one_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("device-0.json"), "not json").unwrap();
    let output = Command::new(DEVSIM)
        .args([
            "device",
            "--no-multicast",
            "--listen",
            "127.0.0.1:0",
            "--state-dir",
            dir.path().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("device-0.json"));
}
