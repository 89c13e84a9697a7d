//! Arbitrary datagrams into server connections: one still in its cookie stage,
//! and one that already accepted a genuine ClientHello (so the fuzzer reaches the
//! key exchange, certificate and Finished parsing without forging a cookie).
//! Input: a sequence of [len: u8][datagram] chunks; a zero length fires the timer.
#![no_main]

use std::sync::Arc;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use ocf_mediator::dtls::{
    CipherSuite, ClientAuth, ClientConfig, Connection, CookieGuard, HelloVerdict, ServerConfig,
};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

fn rng(s: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(s)
}

fn servers(suite: CipherSuite, now: Instant) -> Vec<Connection> {
    let mut s = ServerConfig::new(&[suite]).with_psk(b"id", &[1; 16]);
    s.client_auth = ClientAuth::Optional;
    s.psk_identity_hint = Some(vec![7; 16]);
    let s = Arc::new(s);
    let mut out = vec![Connection::server(s.clone(), now, rng(2)).unwrap()];
    // A genuine ClientHello through a CookieGuard.
    let c = Arc::new(ClientConfig::new(&[suite]).with_psk(b"id", &[1; 16]));
    let mut client = Connection::client(c, now, rng(3)).unwrap();
    let guard = CookieGuard::new([1; 32]);
    let ch1 = client.poll_transmit().unwrap();
    if let HelloVerdict::SendHelloVerifyRequest(hvr) = guard.check(b"p", &ch1) {
        let _ = client.handle_datagram(now, &hvr);
        let ch2 = client.poll_transmit().unwrap();
        if let HelloVerdict::Accept(h) = guard.check(b"p", &ch2) {
            if let Ok(conn) = Connection::server_from_hello(s, now, rng(4), h) {
                out.push(conn);
            }
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, data)) = data.split_first() else {
        return;
    };
    let suites = [
        CipherSuite::EcdhAnonWithAes128CbcSha256,
        CipherSuite::EcdhePskWithAes128CbcSha256,
        CipherSuite::PskWithAes128Ccm8,
    ];
    let mut now = Instant::now();
    for mut s in servers(suites[pick as usize % suites.len()], now) {
        let mut rest = data;
        while let Some((&len, tail)) = rest.split_first() {
            let n = (len as usize).min(tail.len());
            let (d, tail) = tail.split_at(n);
            rest = tail;
            if n == 0 {
                now += Duration::from_secs(2);
                s.handle_timeout(now);
            } else {
                let _ = s.handle_datagram(now, d);
            }
            while s.poll_transmit().is_some() {}
            while s.poll_event().is_some() {}
        }
    }
});
