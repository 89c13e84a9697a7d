//! Arbitrary datagrams into a fresh client connection (every suite offered).
//! Input: a sequence of [len: u8][datagram] chunks; a zero length fires the timer.
#![no_main]

use std::sync::Arc;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use ocf_mediator::dtls::{CipherSuite, ClientConfig, Connection};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

fuzz_target!(|data: &[u8]| {
    let mut suites = CipherSuite::OCF_ALL.to_vec();
    suites.push(CipherSuite::EcdhAnonWithAes128CbcShaTestOnly);
    let cfg = Arc::new(ClientConfig::new(&suites).with_psk(b"id", &[1; 16]));
    let mut now = Instant::now();
    let mut c = Connection::client(cfg, now, ChaCha20Rng::seed_from_u64(1)).unwrap();
    let mut rest = data;
    while let Some((&len, tail)) = rest.split_first() {
        let n = (len as usize).min(tail.len());
        let (d, tail) = tail.split_at(n);
        rest = tail;
        if n == 0 {
            now += Duration::from_secs(2);
            c.handle_timeout(now);
        } else {
            let _ = c.handle_datagram(now, d);
        }
        while c.poll_transmit().is_some() {}
        while c.poll_event().is_some() {}
    }
});
