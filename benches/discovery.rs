//! Performance targets of the foundation (issue 2), measured with criterion:
//! - unicast discovery of one local ocf-devsim plus its /oic/d: median < 5 ms
//!   wall, as a whole `ocf-mediator discover --address` process and in-process;
//! - `ocf-mediator --help`: < 5 ms.
//!
//! Run: `cargo bench --bench discovery` (uses the release binaries).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use ocf_mediator::net::{DiscoverOptions, discover};

const MEDIATOR: &str = env!("CARGO_BIN_EXE_ocf-mediator");
const DEVSIM: &str = env!("CARGO_BIN_EXE_ocf-devsim");

struct Sim(Child, String);

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_sim() -> Sim {
    let mut child = Command::new(DEVSIM)
        .args([
            "device",
            "--json",
            "--listen",
            "127.0.0.1:0",
            "--no-multicast",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start ocf-devsim");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let device: serde_json::Value = serde_json::from_str(&line).unwrap();
    let address = device["endpoints"][0]
        .as_str()
        .unwrap()
        .trim_start_matches("coap://")
        .to_owned();
    Sim(child, address)
}

fn benches(c: &mut Criterion) {
    let sim = start_sim();
    let mut group = c.benchmark_group("discovery");
    group.measurement_time(Duration::from_secs(5));

    group.bench_function("cli_unicast_discover_one_device", |b| {
        b.iter(|| {
            let out = Command::new(MEDIATOR)
                .args(["discover", "--json", "--address", &sim.1])
                .stdin(Stdio::null())
                .output()
                .unwrap();
            assert!(out.status.success());
            assert!(out.stdout.starts_with(b"{\"di\""));
        })
    });

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let options = DiscoverOptions {
        multicast: false,
        addresses: vec![sim.1.parse().unwrap()],
        ..DiscoverOptions::default()
    };
    group.bench_function("library_unicast_discover_one_device", |b| {
        b.iter(|| {
            let outcome = runtime.block_on(discover(&options)).unwrap();
            assert_eq!(outcome.devices.len(), 1);
            assert!(outcome.devices[0].name.is_some());
        })
    });
    group.finish();

    c.bench_function("cli_help", |b| {
        b.iter(|| {
            let out = Command::new(MEDIATOR).arg("--help").output().unwrap();
            assert!(out.status.success());
        })
    });
}

criterion_group!(name = group; config = Criterion::default().sample_size(50); targets = benches);
criterion_main!(group);
