//! The ownership sequence through a network that loses, duplicates and
//! reorders datagrams: the simulated device and the mediator's library on
//! the in-memory network (`net::udp`'s `Fate`), with simulated time, so each
//! seed replays exactly. Every `own` completes, and the device ends exactly
//! as after a clean run: no request was applied twice because of a
//! duplicate or a retransmission (the device's credential and ACE counters
//! would show it).
//!
//! The network's fate is the process's, so this file holds one test.

#[path = "common/kernel_session.rs"]
mod kernel_session;
#[path = "common/memory_lab.rs"]
mod memory_lab;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use memory_lab::{lab, lab_with_timeout, simulated};
use ocf_mediator::interact::Unattended;
use ocf_mediator::net::udp::{Fate, memory_network};
use ocf_mediator::otm::{self, MethodChoice};
use ocf_mediator::sim::SecurityConfig;
use serde_json::{Value, json};

fn just_works() -> SecurityConfig {
    SecurityConfig {
        oxms: vec![0],
        pin: None,
        mfg: None,
        csr_fault: None,
    }
}

/// A small deterministic generator (xorshift64).
struct Chaos(u64);

impl Chaos {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// What an owned device holds, without what differs between runs (UUIDs,
/// keys): its states, and how many credentials and ACEs were ever added.
fn shape(saved: &Value) -> Value {
    let security = &saved["security"];
    let creds: Vec<Value> = security["creds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| json!([c["credtype"], c["credusage"]]))
        .collect();
    let aces: Vec<Value> = security["aces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| json!([a["permission"], a["resources"].as_array().unwrap().len()]))
        .collect();
    json!({
        "owned": saved["doxm"]["owned"],
        "s": saved["pstat"]["s"],
        "creds": creds,
        "aces": aces,
        "credids_used": security["next_credid"],
        "aceids_used": security["next_aceid"],
    })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[test]
fn own_through_loss_duplication_and_reordering_applies_every_request_once() {
    simulated(|| async {
        let clean = lab(1, just_works(), Arc::new(Unattended)).await;
        otm::own(&clean.mediator, clean.request(0, MethodChoice::Auto))
            .await
            .expect("owned on a clean network");
        let expected = shape(&clean.saved(0));

        let net = memory_network().expect("the labs use the in-memory network");
        let mut took = Vec::new();
        for seed in 1..=40u64 {
            // Correctness, not speed: four losses in a row of one exchange
            // take 7 s, and the default 10 s could run out.
            let lab = lab_with_timeout(
                1,
                just_works(),
                Arc::new(Unattended),
                Duration::from_secs(60),
            )
            .await;
            let mut chaos = Chaos(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
            // Each datagram, either way: 10 % lost, 10 % twice, 10 % held
            // back up to 20 ms (overtaken by later ones). Not longer: a
            // ClientHello retransmitted after 50 ms and then held back past
            // the end of the handshake would reach the device as a client
            // that reconnected, and the device (as mbedTLS does, and the
            // simulator with it) would drop the new session for it.
            net.set_fate(Some(move |_: SocketAddr, _: SocketAddr, _: &[u8]| {
                match chaos.next() % 100 {
                    0..10 => Fate::Drop,
                    10..20 => Fate::Duplicate,
                    20..30 => Fate::Delay(Duration::from_millis(1 + chaos.next() % 20)),
                    _ => Fate::Deliver,
                }
            }));
            let started = tokio::time::Instant::now();
            let owned = otm::own(&lab.mediator, lab.request(0, MethodChoice::Auto)).await;
            took.push(started.elapsed());
            net.set_fate(None::<fn(SocketAddr, SocketAddr, &[u8]) -> Fate>);
            let owned = owned.unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            let saved = lab.saved(0);
            assert_eq!(saved["di"], owned.di.to_string(), "seed {seed}");
            assert_eq!(shape(&saved), expected, "seed {seed}: {saved:#}");
        }
        took.sort();
        eprintln!(
            "own through 10 % loss, 10 % duplication, 10 % reordering (simulated time): median {:?}, 95th percentile {:?}, slowest {:?}",
            percentile(&took, 50.0),
            percentile(&took, 95.0),
            took.last().unwrap()
        );
    })
}
