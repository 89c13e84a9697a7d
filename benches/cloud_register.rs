//! One `ocf-devsim cloud` registers many simulated devices: sign-up,
//! sign-in and publication, each over its own TLS 1.2 connection, CoAP over
//! TCP. Target (issue 12): 1000 devices in under 5 s on a 2-core machine,
//! devices and cloud both on it.
//!
//! The cloud is the release binary in a process of its own (one core); the
//! devices' cloud clients run in this process (the other core), configured
//! as an owner leaves them (RFNOP, trust anchor, coapcloudconf with a code
//! each). The time runs from the first connection to the last device
//! online (signed in, its publication answered); the cloud's own JSON lines
//! then confirm one `publish` per device. Memory per connected device: the
//! growth of each process's resident set over the run, divided by the
//! number of devices, with every connection still open.
//!
//! Usage: `cargo bench --bench cloud_register` (OCF_BENCH_DEVICES=N for
//! another count). Exits 1 when the target is missed.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ocf_mediator::sim::cloud_client::CloudClientConfig;
use ocf_mediator::sim::cloud_link::{configured_device, run_clients};

const TARGET: Duration = Duration::from_secs(5);

fn resident_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn main() {
    let count: usize = std::env::var("OCF_BENCH_DEVICES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let mut cloud = Command::new(env!("CARGO_BIN_EXE_ocf-devsim"))
        .args(["cloud", "--json", "--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start ocf-devsim cloud");
    let mut lines = BufReader::new(cloud.stdout.take().unwrap()).lines();
    let startup: serde_json::Value =
        serde_json::from_str(&lines.next().unwrap().unwrap()).expect("startup line");
    let published = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(AtomicUsize::new(0));
    {
        let (published, refused) = (published.clone(), refused.clone());
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if line.contains("\"event\":\"publish\"") {
                    published.fetch_add(1, Ordering::Relaxed);
                } else if line.contains("\"event\":\"refused\"") {
                    refused.fetch_add(1, Ordering::Relaxed);
                    eprintln!("{line}");
                }
            }
        });
    }
    let sid = startup["sid"].as_str().unwrap().to_owned();
    let cis = startup["cis"].as_str().unwrap().to_owned();
    let ca = std::fs::read_to_string(startup["ca_file"].as_str().unwrap()).unwrap();
    let mut devices: Vec<_> = (0..count)
        .map(|i| {
            configured_device(
                &format!("bench {i}"),
                &sid,
                &ca,
                &cis,
                "plgd",
                &format!("bench-code-{i:05}"),
            )
        })
        .collect();

    let runtime = ocf_mediator::net::runtime().unwrap();
    let cloud_before = resident_kib(cloud.id());
    let own_before = resident_kib(std::process::id());
    let start = Instant::now();
    let online = runtime.block_on(run_clients(
        &mut devices,
        CloudClientConfig::default(),
        Duration::from_secs(60),
        |_, clients| clients.iter().all(|c| c.is_online()),
    ));
    let elapsed = start.elapsed();
    let confirmed = Instant::now();
    while published.load(Ordering::Relaxed) < count && confirmed.elapsed() < Duration::from_secs(10)
    {
        std::thread::sleep(Duration::from_millis(10));
    }
    let cloud_after = resident_kib(cloud.id());
    let own_after = resident_kib(std::process::id());
    let _ = cloud.kill();
    let _ = cloud.wait();

    let registered = devices
        .iter()
        .filter(|d| d.security.cloud.cps == "registered")
        .count();
    let per = |before: u64, after: u64| (after.saturating_sub(before)) as f64 / count as f64;
    println!(
        "cloud_register: {count} devices (sign-up + sign-in + publish, TLS 1.2, CoAP over TCP)"
    );
    println!("  all online:            {online} ({registered} registered)");
    println!(
        "  time:                  {:.3} s (target < {} s)",
        elapsed.as_secs_f64(),
        TARGET.as_secs()
    );
    println!(
        "  rate:                  {:.0} devices/s",
        count as f64 / elapsed.as_secs_f64()
    );
    println!(
        "  cloud publish events:  {} (refused: {})",
        published.load(Ordering::Relaxed),
        refused.load(Ordering::Relaxed)
    );
    println!(
        "  cloud memory:          {:.1} KiB per connected device ({} -> {} KiB resident)",
        per(cloud_before, cloud_after),
        cloud_before,
        cloud_after
    );
    println!(
        "  device-side memory:    {:.1} KiB per device ({} -> {} KiB resident, clients and state)",
        per(own_before, own_after),
        own_before,
        own_after
    );
    let ok = online && published.load(Ordering::Relaxed) >= count && elapsed < TARGET;
    println!(
        "  result:                {}",
        if ok { "PASS" } else { "FAIL" }
    );
    if !ok {
        std::process::exit(1);
    }
}
