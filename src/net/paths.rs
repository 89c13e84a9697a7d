//! What this process measured of each host's round trip, kept between the
//! exchanges with it: the engines start from it instead of their timers
//! for an unknown path.
//!
//! A command talks to one device through several engines in turn: a CoAP
//! client for discovery, another for selecting the ownership method, a DTLS
//! handshake, a CoAP client inside the session. Each would otherwise start
//! blind (CoAP's 2 s, DTLS's 1 s) and pay that for a loss before it measured
//! anything. CoCoA asks that an endpoint's RTO state be kept "as long as
//! possible", at least as long as other state such as a DTLS connection
//! (draft-ietf-core-cocoa §4.3), and RFC 9147 §5.8.2 that a DTLS timer
//! start from a round trip known "from previous connections to the same
//! server". The state is kept per host (IP address and scope), not per
//! port: a device's plain and secure ports are the same host on the same
//! path, which CoCoA §4 allows ("based on entire hosts").

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::coap::Cocoa;
use crate::coap::rto::BLIND_RTO;

/// The most hosts remembered; beyond, the least recently updated goes.
const MAX_HOSTS: usize = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Host {
    ip: IpAddr,
    /// The IPv6 zone: the same link-local address on two links is two hosts.
    scope: u32,
}

impl Host {
    fn of(peer: SocketAddr) -> Host {
        let scope = match peer {
            SocketAddr::V6(v6) => v6.scope_id(),
            SocketAddr::V4(_) => 0,
        };
        Host {
            ip: peer.ip(),
            scope,
        }
    }
}

struct Entry {
    path: Cocoa,
    stored: Instant,
}

static PATHS: Mutex<Option<HashMap<Host, Entry>>> = Mutex::new(None);

fn with<T>(f: impl FnOnce(&mut HashMap<Host, Entry>) -> T) -> T {
    let mut guard = PATHS.lock().unwrap_or_else(|p| p.into_inner());
    f(guard.get_or_insert_with(HashMap::new))
}

/// What was measured of `peer`'s host, for a CoAP client to start from.
pub fn cocoa(peer: SocketAddr) -> Option<Cocoa> {
    with(|paths| paths.get(&Host::of(peer)).map(|e| e.path.clone()))
}

/// Keeps what a CoAP client measured of `peer`.
pub fn remember(peer: SocketAddr, path: &Cocoa, now: Instant) {
    if path.is_blind() {
        return;
    }
    with(|paths| {
        if paths.len() >= MAX_HOSTS && !paths.contains_key(&Host::of(peer)) {
            let oldest = paths
                .iter()
                .min_by_key(|(_, e)| e.stored)
                .map(|(host, _)| *host);
            if let Some(oldest) = oldest {
                paths.remove(&oldest);
            }
        }
        paths.insert(
            Host::of(peer),
            Entry {
                path: path.clone(),
                stored: now,
            },
        );
    });
}

/// The round trip to `peer`'s host for a DTLS handshake to start from: the
/// smoothed round trip of exchanges answered without a retransmission.
pub fn rtt(peer: SocketAddr) -> Option<Duration> {
    with(|paths| paths.get(&Host::of(peer))?.path.srtt())
}

/// Keeps a round trip to `peer` that a DTLS handshake measured (a flight
/// answered without a retransmission), as a clean sample for CoAP.
pub fn remember_rtt(peer: SocketAddr, rtt: Duration, now: Instant) {
    let mut path = cocoa(peer).unwrap_or_else(|| Cocoa::new(BLIND_RTO, now));
    path.on_answer(now, rtt, 0);
    remember(peer, &path, now);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_is_remembered_across_its_ports() {
        let now = Instant::now();
        let plain: SocketAddr = "192.0.2.77:5683".parse().unwrap();
        let secure: SocketAddr = "192.0.2.77:40123".parse().unwrap();
        assert_eq!(rtt(secure), None);
        remember_rtt(plain, Duration::from_millis(4), now);
        assert_eq!(rtt(secure), Some(Duration::from_millis(4)));
        let other: SocketAddr = "[fe80::77%2]:5683".parse().unwrap();
        let other_link: SocketAddr = "[fe80::77%3]:5683".parse().unwrap();
        remember_rtt(other, Duration::from_millis(9), now);
        assert_eq!(rtt(other_link), None, "another link, another host");
    }
}
