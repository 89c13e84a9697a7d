//! The DTLS engine against itself, in memory, with simulated time: every suite,
//! both directions, loss, duplication, reordering, fragmentation, replay,
//! close_notify and clean failures.

#[path = "common/dtls.rs"]
mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use ocf_mediator::dtls::{
    AlertDescription, CipherSuite, ClientAuth, ClientConfig, Connection, CookieGuard, Error, Event,
    HelloVerdict, PskChoice, ServerConfig,
};

const ALL: &[CipherSuite] = &[
    CipherSuite::EcdhAnonWithAes128CbcSha256,
    CipherSuite::EcdhePskWithAes128CbcSha256,
    CipherSuite::PskWithAes128Ccm8,
    CipherSuite::EcdheEcdsaWithAes128Ccm8,
    CipherSuite::EcdheEcdsaWithAes128Ccm,
    CipherSuite::EcdhAnonWithAes128CbcShaTestOnly,
];

fn pki_for(suite: CipherSuite, pki: &Pki) -> Option<&Pki> {
    suite.uses_certificates().then_some(pki)
}

/// Handshake, then data both ways; returns the simulation for more checks.
fn connect_and_talk(mut sim: Sim, suite: CipherSuite) -> Sim {
    sim.handshake();
    assert!(sim.both_connected(), "{suite:?}: not connected");
    assert_eq!(connected_suite(&sim.client_events), Some(suite));
    assert_eq!(connected_suite(&sim.server_events), Some(suite));
    assert_eq!(
        sim.send(Dir::ToServer, b"GET /oic/d"),
        vec![b"GET /oic/d".to_vec()]
    );
    assert_eq!(
        sim.send(Dir::ToClient, b"2.05 Content"),
        vec![b"2.05 Content".to_vec()]
    );
    let big = vec![0xa5u8; 4000];
    assert_eq!(sim.send(Dir::ToServer, &big), vec![big.clone()]);
    sim
}

#[test]
fn every_suite_handshakes_and_carries_data_both_ways() {
    let pki = Pki::new(0);
    for &suite in ALL {
        let sim = connect_and_talk(Sim::for_suite(suite, pki_for(suite, &pki)), suite);
        let (ck, sk) = (
            sim.client.key_material().unwrap(),
            sim.server.key_material().unwrap(),
        );
        assert_eq!(ck, sk, "{suite:?}: both sides derive the same secrets");
        assert!(ck.extended_master_secret, "{suite:?}: EMS negotiated");
        assert_eq!(ck.key_block().len(), suite.key_block_len());
    }
}

#[test]
fn key_block_lengths_match_ocf() {
    assert_eq!(CipherSuite::EcdhAnonWithAes128CbcSha256.key_block_len(), 96);
    assert_eq!(CipherSuite::EcdhePskWithAes128CbcSha256.key_block_len(), 96);
    assert_eq!(CipherSuite::PskWithAes128Ccm8.key_block_len(), 40);
    assert_eq!(CipherSuite::EcdheEcdsaWithAes128Ccm8.key_block_len(), 40);
    assert_eq!(CipherSuite::EcdheEcdsaWithAes128Ccm.key_block_len(), 40);
}

#[test]
fn psk_hint_and_identity_reach_the_callbacks() {
    let device_uuid = [0x32u8; 16];
    let owner_uuid = [0x16u8; 16];
    let mut c = ClientConfig::new(&[CipherSuite::EcdhePskWithAes128CbcSha256]);
    // The client picks identity and key from the device's hint.
    c.psk = Some(Arc::new(move |hint| {
        (hint == Some(&device_uuid[..])).then(|| PskChoice {
            identity: owner_uuid.to_vec(),
            key: vec![7; 16],
        })
    }));
    let mut s = ServerConfig::new(&[CipherSuite::EcdhePskWithAes128CbcSha256]);
    s.psk_identity_hint = Some(device_uuid.to_vec());
    s.psk = Some(Arc::new(move |id| (id == owner_uuid).then(|| vec![7; 16])));
    let mut sim = Sim::new(c, s, 5);
    sim.handshake();
    assert!(sim.both_connected());
    for evs in [&sim.client_events, &sim.server_events] {
        let connected = evs
            .iter()
            .find(|e| matches!(e, Event::Connected { .. }))
            .unwrap();
        assert_eq!(
            connected,
            &Event::Connected {
                suite: CipherSuite::EcdhePskWithAes128CbcSha256,
                extended_master_secret: true,
                psk_identity: Some(owner_uuid.to_vec()),
                psk_identity_hint: Some(device_uuid.to_vec()),
            }
        );
    }
}

#[test]
fn wrong_psk_fails_cleanly_on_both_sides() {
    for suite in [
        CipherSuite::EcdhePskWithAes128CbcSha256,
        CipherSuite::PskWithAes128Ccm8,
    ] {
        let c = ClientConfig::new(&[suite]).with_psk(PSK_ID, &[0x22; 16]);
        let s = server_config(suite, None);
        let mut sim = Sim::new(c, s, 9);
        sim.handshake();
        assert!(
            sim.client.is_closed() && sim.server.is_closed(),
            "{suite:?}"
        );
        assert_eq!(
            closed_error(&sim.server_events),
            Some(Some(Error::BadRecordMac))
        );
        assert_eq!(
            closed_error(&sim.client_events),
            Some(Some(Error::AlertReceived(AlertDescription::BadRecordMac)))
        );
        // It failed at once, not through retransmission timeouts.
        assert_eq!(sim.now, sim.start);
    }
}

#[test]
fn unknown_psk_identity_is_reported_to_both_sides() {
    let suite = CipherSuite::EcdhePskWithAes128CbcSha256;
    let c = ClientConfig::new(&[suite]).with_psk(b"stranger", PSK_KEY);
    let mut sim = Sim::new(c, server_config(suite, None), 3);
    sim.handshake();
    assert_eq!(
        closed_error(&sim.server_events),
        Some(Some(Error::UnknownPskIdentity))
    );
    assert_eq!(
        closed_error(&sim.client_events),
        Some(Some(Error::AlertReceived(
            AlertDescription::UnknownPskIdentity
        )))
    );
}

#[test]
fn no_common_suite_is_a_handshake_failure() {
    let c = client_config(CipherSuite::PskWithAes128Ccm8, None);
    let s = server_config(CipherSuite::EcdhAnonWithAes128CbcSha256, None);
    let mut sim = Sim::new(c, s, 4);
    sim.handshake();
    assert_eq!(
        closed_error(&sim.server_events),
        Some(Some(Error::HandshakeFailure(
            AlertDescription::HandshakeFailure
        )))
    );
    assert_eq!(
        closed_error(&sim.client_events),
        Some(Some(Error::AlertReceived(
            AlertDescription::HandshakeFailure
        )))
    );
}

#[test]
fn every_flight_lost_once_is_recovered_by_retransmission() {
    for &suite in &[
        CipherSuite::EcdhAnonWithAes128CbcSha256,
        CipherSuite::EcdhePskWithAes128CbcSha256,
    ] {
        let mut sim = Sim::for_suite(suite, None);
        let mut seen = std::collections::HashSet::new();
        // Drop the first copy of every distinct flight (by its first byte pattern).
        let mut n = 0;
        sim.run(
            &mut |dir, d| {
                n += 1;
                let key = (dir, d.len());
                if seen.insert(key) {
                    Fate::Drop
                } else {
                    Fate::Deliver
                }
            },
            Duration::from_secs(120),
        );
        assert!(sim.both_connected(), "{suite:?}");
        // Recovery needed simulated time: at least the 1 s initial timeout.
        assert!(sim.now - sim.start >= Duration::from_secs(1));
        assert!(n > 6);
    }
}

#[test]
fn lost_final_flight_is_resent_when_the_client_retransmits() {
    let suite = CipherSuite::EcdhePskWithAes128CbcSha256;
    let mut sim = Sim::for_suite(suite, None);
    // Drop the server's first CCS+Finished datagram (the one after flight 5).
    let mut server_datagrams = 0;
    sim.run(
        &mut |dir, _| {
            if dir == Dir::ToClient {
                server_datagrams += 1;
                // 1: HelloVerifyRequest, 2: flight 4, 3: flight 6
                if server_datagrams == 3 {
                    return Fate::Drop;
                }
            }
            Fate::Deliver
        },
        Duration::from_secs(60),
    );
    assert!(sim.both_connected());
    // The client resent flight 5 after 1.5 times the round trip its flight
    // 3 measured (none, in simulated time), raised to the 50 ms floor.
    assert_eq!(sim.now - sim.start, Duration::from_millis(50));
    assert_eq!(sim.send(Dir::ToServer, b"after"), vec![b"after".to_vec()]);
}

#[test]
fn duplicated_datagrams_change_nothing() {
    for &suite in ALL.iter().take(3) {
        let mut sim = Sim::for_suite(suite, None);
        sim.run(&mut |_, _| Fate::Duplicate, Duration::from_secs(60));
        assert!(sim.both_connected(), "{suite:?}");
        assert_eq!(sim.now, sim.start, "no timeout was needed");
        sim.client.send(b"once").unwrap();
        sim.step(&mut |_, _| Fate::Duplicate);
        let got: Vec<_> = sim
            .server_events
            .iter()
            .filter(|e| matches!(e, Event::ApplicationData(_)))
            .collect();
        assert_eq!(got.len(), 1, "the replayed copy is discarded");
    }
}

#[test]
fn reordered_datagrams_are_handled() {
    let pki = Pki::new(0);
    for &suite in ALL {
        // A small MTU splits flights over several datagrams, which then arrive reversed.
        let mut sim = {
            let mut c = client_config(suite, pki_for(suite, &pki));
            let mut s = server_config(suite, pki_for(suite, &pki));
            c.common.mtu = 200;
            s.common.mtu = 200;
            let mut sim = Sim::new(c, s, 11);
            sim.reorder = true;
            sim
        };
        sim.handshake();
        assert!(sim.both_connected(), "{suite:?}");
    }
}

#[test]
fn random_loss_duplication_and_reordering() {
    for seed in 1..=12u64 {
        for &suite in &[
            CipherSuite::EcdhAnonWithAes128CbcSha256,
            CipherSuite::EcdhePskWithAes128CbcSha256,
            CipherSuite::PskWithAes128Ccm8,
        ] {
            let mut c = client_config(suite, None);
            c.common.max_retransmissions = 12;
            let mut s = server_config(suite, None);
            s.common.max_retransmissions = 12;
            let mut sim = Sim::new(c, s, seed);
            sim.reorder = seed % 2 == 0;
            let mut chaos = Chaos(seed * 7919);
            sim.run(
                &mut |_, _| {
                    if chaos.percent(25) {
                        Fate::Drop
                    } else if chaos.percent(20) {
                        Fate::Duplicate
                    } else {
                        Fate::Deliver
                    }
                },
                Duration::from_secs(600),
            );
            assert!(sim.both_connected(), "seed {seed} {suite:?}");
            assert_eq!(sim.send(Dir::ToClient, b"ok"), vec![b"ok".to_vec()]);
        }
    }
}

#[test]
fn retransmission_backs_off_from_one_second_and_gives_up() {
    let now = std::time::Instant::now();
    let mut c = client_config(CipherSuite::EcdhAnonWithAes128CbcSha256, None);
    c.common.max_retransmit = Duration::from_secs(8);
    c.common.max_retransmissions = 5;
    let mut client = Connection::client(Arc::new(c), now, rng(1)).unwrap();
    let first = drain(&mut client);
    assert_eq!(first.len(), 1);
    let mut t = now;
    let mut gaps = Vec::new();
    while let Some(deadline) = client.poll_timeout() {
        gaps.push((deadline - t).as_secs());
        t = deadline;
        client.handle_timeout(t);
        if let Some(d) = client.poll_transmit() {
            assert_eq!(d.len(), first[0].len(), "the same ClientHello is resent");
            assert_ne!(d, first[0], "with a new record sequence number");
        }
    }
    assert_eq!(gaps, vec![1, 2, 4, 8, 8, 8]);
    assert!(client.is_closed());
    assert_eq!(
        client.poll_event(),
        Some(Event::Closed {
            error: Some(Error::Timeout)
        })
    );
}

/// Runs a handshake whose listed datagrams (by their order on the wire in
/// each direction, from 0) are lost; returns how long it took.
fn handshake_losing(client: ClientConfig, to_server: &[usize], to_client: &[usize]) -> Duration {
    let suite = CipherSuite::EcdhAnonWithAes128CbcSha256;
    let mut sim = Sim::new(client, server_config(suite, None), 4);
    let mut sent = std::collections::HashMap::new();
    sim.run(
        &mut |dir, _| {
            let n = sent.entry(dir).or_insert(0usize);
            let lost = match dir {
                Dir::ToServer => to_server.contains(n),
                Dir::ToClient => to_client.contains(n),
            };
            *n += 1;
            if lost { Fate::Drop } else { Fate::Deliver }
        },
        Duration::from_secs(120),
    );
    assert!(sim.both_connected());
    sim.now - sim.start
}

#[test]
fn a_known_round_trip_makes_a_lost_first_flight_cost_milliseconds() {
    let suite = CipherSuite::EcdhAnonWithAes128CbcSha256;
    // The first ClientHello is lost: blind, the client waits RFC 6347's
    // second; knowing a 2 ms round trip, 1.5 times it, raised to the
    // 50 ms floor (RFC 9147 §5.8.2).
    let blind = client_config(suite, None);
    assert_eq!(handshake_losing(blind, &[0], &[]), Duration::from_secs(1));
    let mut known = client_config(suite, None);
    known.common.initial_rtt = Some(Duration::from_millis(2));
    assert_eq!(
        handshake_losing(known, &[0], &[]),
        Duration::from_millis(50)
    );
}

#[test]
fn later_flights_wait_for_the_round_trip_the_first_one_measured() {
    let suite = CipherSuite::EcdhAnonWithAes128CbcSha256;
    // The HelloVerifyRequest came back at once (simulated time): the
    // client's next flights wait the 50 ms floor. The server's flight 4 is
    // lost; the client's retransmitted ClientHello makes the server resend
    // it at once, without waiting for its own (blind) second.
    let blind = client_config(suite, None);
    assert_eq!(
        handshake_losing(blind, &[], &[1]),
        Duration::from_millis(50)
    );
    // The ClientHello with the cookie is lost, then the retransmitted
    // flight 5: each loss costs its wait, and after a retransmitted
    // flight the backed-off value is kept (RFC 6347 §4.2.4.1, Karn):
    // 50 ms, then 100 ms.
    let blind = client_config(suite, None);
    assert_eq!(
        handshake_losing(blind, &[1, 3], &[]),
        Duration::from_millis(150)
    );
}

#[test]
fn application_data_replay_is_rejected() {
    let mut sim = Sim::for_suite(CipherSuite::EcdhePskWithAes128CbcSha256, None);
    sim.handshake();
    sim.client.send(b"pay once").unwrap();
    let d = sim.client.poll_transmit().unwrap();
    let t = sim.now;
    sim.server.handle_datagram(t, &d).unwrap();
    sim.server.handle_datagram(t, &d).unwrap();
    let mut got = 0;
    while let Some(e) = sim.server.poll_event() {
        if e == Event::ApplicationData(b"pay once".to_vec()) {
            got += 1;
        }
    }
    assert_eq!(got, 1);
    // Old records inside the window are still accepted once (reordering).
    sim.client.send(b"a").unwrap();
    let a = sim.client.poll_transmit().unwrap();
    sim.client.send(b"b").unwrap();
    let b = sim.client.poll_transmit().unwrap();
    sim.server.handle_datagram(t, &b).unwrap();
    sim.server.handle_datagram(t, &a).unwrap();
    sim.server.handle_datagram(t, &a).unwrap();
    let evs: Vec<_> = std::iter::from_fn(|| sim.server.poll_event()).collect();
    assert_eq!(
        evs,
        vec![
            Event::ApplicationData(b"b".to_vec()),
            Event::ApplicationData(b"a".to_vec())
        ]
    );
}

#[test]
fn tampered_records_are_dropped_after_the_handshake() {
    for suite in [
        CipherSuite::EcdhePskWithAes128CbcSha256,
        CipherSuite::PskWithAes128Ccm8,
    ] {
        let mut sim = Sim::for_suite(suite, None);
        sim.handshake();
        sim.client.send(b"secret").unwrap();
        let mut d = sim.client.poll_transmit().unwrap();
        let last = d.len() - 1;
        d[last] ^= 1;
        let t = sim.now;
        assert!(sim.server.handle_datagram(t, &d).is_ok());
        assert_eq!(sim.server.poll_event(), None);
        assert!(sim.server.is_connected());
    }
}

#[test]
fn close_notify_closes_both_sides() {
    let mut sim = Sim::for_suite(CipherSuite::EcdhAnonWithAes128CbcSha256, None);
    sim.handshake();
    sim.client.close();
    assert!(sim.client.is_closed());
    assert_eq!(sim.client.send(b"x"), Err(Error::NotConnected));
    sim.step(&mut |_, _| Fate::Deliver);
    assert!(sim.server.is_closed());
    assert_eq!(closed_error(&sim.server_events), Some(None));
    assert_eq!(sim.server.send(b"late"), Err(Error::PeerClosed));
    // The server answered with its own close_notify.
    assert!(sim.wire.last().is_some_and(|(d, _)| *d == Dir::ToClient));
}

#[test]
fn small_mtu_fragments_a_certificate_chain_larger_than_a_datagram() {
    let pki = Pki::new(300);
    let chain_len: usize = pki.server_key().chain.iter().map(|c| c.len()).sum();
    assert!(chain_len > 1200, "test chain is {chain_len} bytes");
    for suite in [
        CipherSuite::EcdheEcdsaWithAes128Ccm8,
        CipherSuite::EcdheEcdsaWithAes128Ccm,
    ] {
        let mut c = client_config(suite, Some(&pki));
        let mut s = server_config(suite, Some(&pki));
        s.client_auth = ClientAuth::Required;
        c.common.mtu = 256;
        s.common.mtu = 256;
        let mut sim = Sim::new(c, s, 21);
        sim.handshake();
        assert!(sim.both_connected(), "{suite:?}");
        assert!(sim.wire.iter().all(|(_, d)| d.len() <= 256));
        let ee = sim.client_events.iter().find_map(|e| match e {
            Event::PeerCertificates(c) => Some(c.clone()),
            _ => None,
        });
        assert_eq!(ee, Some(vec![pki.server.der(), pki.intermediate.der()]));
        assert_eq!(sim.server.peer_certificates()[0], pki.client.der());
        assert!(
            sim.server_events
                .iter()
                .any(|e| matches!(e, Event::PeerCertificates(_)))
        );
    }
}

#[test]
fn fragmented_flights_survive_loss() {
    let pki = Pki::new(300);
    let suite = CipherSuite::EcdheEcdsaWithAes128Ccm8;
    for seed in 1..=4u64 {
        let mut c = client_config(suite, Some(&pki));
        let mut s = server_config(suite, Some(&pki));
        c.common.mtu = 300;
        s.common.mtu = 300;
        c.common.max_retransmissions = 12;
        s.common.max_retransmissions = 12;
        let mut sim = Sim::new(c, s, seed);
        let mut chaos = Chaos(seed * 31);
        sim.run(
            &mut |_, _| {
                if chaos.percent(20) {
                    Fate::Drop
                } else {
                    Fate::Deliver
                }
            },
            Duration::from_secs(600),
        );
        assert!(sim.both_connected(), "seed {seed}");
    }
}

#[test]
fn server_requiring_a_client_certificate_rejects_a_client_without_one() {
    let pki = Pki::new(0);
    let suite = CipherSuite::EcdheEcdsaWithAes128Ccm8;
    let mut c = client_config(suite, Some(&pki));
    c.common.certificate = None;
    let mut s = server_config(suite, Some(&pki));
    s.client_auth = ClientAuth::Required;
    let mut sim = Sim::new(c, s, 2);
    sim.handshake();
    assert_eq!(
        closed_error(&sim.server_events),
        Some(Some(Error::CertificateRequired))
    );
    assert!(sim.client.is_closed());
    // Optional client auth accepts it.
    let mut c = client_config(suite, Some(&pki));
    c.common.certificate = None;
    let mut s = server_config(suite, Some(&pki));
    s.client_auth = ClientAuth::Optional;
    let mut sim = Sim::new(c, s, 2);
    sim.handshake();
    assert!(sim.both_connected());
    assert!(sim.server.peer_certificates().is_empty());
}

#[test]
fn untrusted_server_certificate_is_rejected() {
    let pki = Pki::new(0);
    let other = Pki::new(0);
    let suite = CipherSuite::EcdheEcdsaWithAes128Ccm;
    let mut c = client_config(suite, Some(&pki));
    c.common.trust_anchors = vec![other.root.der()];
    let mut sim = Sim::new(c, server_config(suite, Some(&pki)), 2);
    sim.handshake();
    match closed_error(&sim.client_events) {
        Some(Some(Error::CertificateInvalid { reason })) => assert!(!reason.is_empty()),
        e => panic!("unexpected {e:?}"),
    }
    assert_eq!(
        closed_error(&sim.server_events),
        Some(Some(Error::AlertReceived(AlertDescription::BadCertificate)))
    );
}

#[test]
fn untrusted_client_certificate_is_rejected() {
    let pki = Pki::new(0);
    let other = Pki::new(0);
    let suite = CipherSuite::EcdheEcdsaWithAes128Ccm8;
    let mut c = client_config(suite, Some(&pki));
    c.common.certificate = Some(other.client_key());
    let mut s = server_config(suite, Some(&pki));
    s.client_auth = ClientAuth::Required;
    let mut sim = Sim::new(c, s, 2);
    sim.handshake();
    assert!(matches!(
        closed_error(&sim.server_events),
        Some(Some(Error::CertificateInvalid { .. }))
    ));
}

#[test]
fn cookie_guard_answers_statelessly_then_hands_over_the_hello() {
    let suite = CipherSuite::EcdhePskWithAes128CbcSha256;
    let now = std::time::Instant::now();
    let guard = CookieGuard::new([9; 32]);
    let mut client = Connection::client(Arc::new(client_config(suite, None)), now, rng(1)).unwrap();
    let ch1 = client.poll_transmit().unwrap();
    let HelloVerdict::SendHelloVerifyRequest(hvr) = guard.check(b"10.0.0.1:5684", &ch1) else {
        panic!("expected a HelloVerifyRequest")
    };
    // The same hello from another address gets another cookie; garbage is dropped.
    let HelloVerdict::SendHelloVerifyRequest(hvr2) = guard.check(b"10.0.0.2:5684", &ch1) else {
        panic!()
    };
    assert_ne!(hvr, hvr2);
    assert!(matches!(
        guard.check(b"x", b"\x16\xfe\xfd"),
        HelloVerdict::Drop
    ));
    client.handle_datagram(now, &hvr).unwrap();
    let ch2 = client.poll_transmit().unwrap();
    assert!(matches!(
        guard.check(b"10.0.0.2:5684", &ch2),
        HelloVerdict::SendHelloVerifyRequest(_)
    ));
    let HelloVerdict::Accept(hello) = guard.check(b"10.0.0.1:5684", &ch2) else {
        panic!("cookie should verify")
    };
    let s = Arc::new(server_config(suite, None));
    let mut server = Connection::server_from_hello(s, now, rng(2), hello).unwrap();
    for _ in 0..4 {
        while let Some(d) = server.poll_transmit() {
            client.handle_datagram(now, &d).unwrap();
        }
        while let Some(d) = client.poll_transmit() {
            server.handle_datagram(now, &d).unwrap();
        }
    }
    assert!(client.is_connected() && server.is_connected());
}

#[test]
fn garbage_never_panics_and_never_connects() {
    let mut chaos = Chaos(77);
    for round in 0..300 {
        let mut sim = Sim::for_suite(CipherSuite::EcdhePskWithAes128CbcSha256, None);
        // Advance a random number of steps into the handshake, then inject noise.
        for _ in 0..(round % 4) {
            sim.step(&mut |_, _| Fate::Deliver);
        }
        let mut d = vec![0u8; (chaos.next() % 300) as usize];
        d.iter_mut().for_each(|b| *b = chaos.next() as u8);
        if d.len() > 13 && round % 2 == 0 {
            // A plausible record header so the parsers below are reached.
            d[0] = 22;
            d[1] = 0xfe;
            d[2] = 0xfd;
            d[3] = 0;
            d[4] = 0;
            let l = (d.len() - 13) as u16;
            d[11..13].copy_from_slice(&l.to_be_bytes());
        }
        let t = sim.now;
        let _ = sim.client.handle_datagram(t, &d);
        let _ = sim.server.handle_datagram(t, &d);
    }
}

/// Handshake with a chain root → intermediate(EKU `inter_eku`) → server leaf(EKU `leaf_eku`).
fn chain_with_ekus(inter_eku: &[&str], leaf_eku: &[&str]) -> Option<Option<Error>> {
    let pki = Pki::new(0);
    let inter = issue_with_eku("Inter", Kind::Ca, Some(&pki.root), 0, inter_eku);
    let leaf = issue_with_eku("uuid:leaf", Kind::Server, Some(&inter), 0, leaf_eku);
    let suite = CipherSuite::EcdheEcdsaWithAes128Ccm8;
    let c = client_config(suite, Some(&pki));
    let mut s = server_config(suite, Some(&pki));
    s.common.certificate = Some(
        ocf_mediator::dtls::CertifiedKey::new(vec![leaf.der(), inter.der()], &leaf.pkcs8())
            .unwrap(),
    );
    let mut sim = Sim::new(c, s, 6);
    sim.handshake();
    if sim.both_connected() {
        None
    } else {
        closed_error(&sim.client_events)
    }
}

#[test]
fn extended_key_usage_follows_ocf_practice() {
    const OCF: &str = "1.3.6.1.4.1.44924.1.6";
    // Intermediates without EKU, or with only OCF's, are fine.
    assert_eq!(chain_with_ekus(&[], &["serverAuth"]), None);
    assert_eq!(chain_with_ekus(&[OCF], &["serverAuth", OCF]), None);
    // A leaf with the OCF identity purpose only, or without EKU, is accepted.
    assert_eq!(chain_with_ekus(&[], &[OCF]), None);
    assert_eq!(chain_with_ekus(&[], &[]), None);
    // A leaf for another purpose is refused; so is an intermediate restricted to one.
    for (inter, leaf) in [
        (&[][..], &["codeSigning"][..]),
        (&["codeSigning"][..], &["serverAuth"][..]),
    ] {
        match chain_with_ekus(inter, leaf) {
            Some(Some(Error::CertificateInvalid { reason })) => assert!(!reason.is_empty()),
            other => panic!("{inter:?}/{leaf:?}: {other:?}"),
        }
    }
}

#[test]
fn data_reordered_ahead_of_the_final_flight_is_delivered_after_connected() {
    for suite in [
        CipherSuite::EcdhePskWithAes128CbcSha256,
        CipherSuite::PskWithAes128Ccm8,
    ] {
        let now = std::time::Instant::now();
        let mut client =
            Connection::client(Arc::new(client_config(suite, None)), now, rng(1)).unwrap();
        let mut server =
            Connection::server(Arc::new(server_config(suite, None)), now, rng(2)).unwrap();
        while !server.is_connected() {
            for d in drain(&mut client) {
                server.handle_datagram(now, &d).unwrap();
            }
            if server.is_connected() {
                break;
            }
            for d in drain(&mut server) {
                client.handle_datagram(now, &d).unwrap();
            }
        }
        let flight6 = drain(&mut server);
        server.send(b"early").unwrap();
        let early = server.poll_transmit().unwrap();
        client.handle_datagram(now, &early).unwrap();
        assert!(!client.is_connected());
        for d in flight6 {
            client.handle_datagram(now, &d).unwrap();
        }
        let evs: Vec<_> = std::iter::from_fn(|| client.poll_event()).collect();
        assert!(matches!(evs[0], Event::Connected { .. }), "{evs:?}");
        assert_eq!(evs[1..], [Event::ApplicationData(b"early".to_vec())]);
    }
}

#[test]
fn a_damaged_first_client_hello_costs_one_more_cookie_round_trip() {
    let suite = CipherSuite::EcdhePskWithAes128CbcSha256;
    let mut sim = Sim::for_suite(suite, None);
    let mut first = true;
    // Byte 13+12+2+5 lies in the ClientHello random, which the cookie covers.
    sim.run(
        &mut |dir, _| {
            if dir == Dir::ToServer && std::mem::take(&mut first) {
                Fate::Corrupt(32, 0x01)
            } else {
                Fate::Deliver
            }
        },
        Duration::from_secs(30),
    );
    assert!(sim.both_connected());
    assert_eq!(sim.now, sim.start, "no timeout needed");
    let hvrs = sim
        .wire
        .iter()
        .filter(|(d, w)| *d == Dir::ToClient && w.len() > 25 && w[13] == 3)
        .count();
    assert_eq!(hvrs, 2, "a second HelloVerifyRequest with the right cookie");
}

#[test]
fn tampering_with_any_handshake_datagram_never_yields_mismatched_sessions() {
    let pki = Pki::new(0);
    for &suite in &[
        CipherSuite::EcdhAnonWithAes128CbcSha256,
        CipherSuite::EcdhePskWithAes128CbcSha256,
        CipherSuite::PskWithAes128Ccm8,
        CipherSuite::EcdheEcdsaWithAes128Ccm8,
    ] {
        let p = pki_for(suite, &pki);
        for target in 0..8usize {
            for (pos, mask) in [
                (0, 0x80),
                (4, 1),
                (11, 1),
                (13, 1),
                (20, 4),
                (30, 1),
                (60, 2),
                (100, 1),
                (200, 8),
                (usize::MAX, 1),
            ] {
                let mut c = client_config(suite, p);
                let mut s = server_config(suite, p);
                c.common.max_retransmissions = 3;
                s.common.max_retransmissions = 3;
                let mut sim = Sim::new(c, s, 13);
                let mut n = 0;
                sim.run(
                    &mut |_, d| {
                        n += 1;
                        if n - 1 == target {
                            Fate::Corrupt(if pos == usize::MAX { d.len() - 1 } else { pos }, mask)
                        } else {
                            Fate::Deliver
                        }
                    },
                    Duration::from_secs(120),
                );
                let case = format!("{suite:?} datagram {target} byte {pos}");
                assert!(sim.wire.len() < 200, "{case}: no retransmission storm");
                if sim.both_connected() {
                    assert_eq!(
                        sim.client.key_material(),
                        sim.server.key_material(),
                        "{case}"
                    );
                    assert_eq!(sim.send(Dir::ToServer, b"x"), vec![b"x".to_vec()], "{case}");
                } else {
                    // Nobody is left half-way: each side finished or failed cleanly.
                    for (side, conn) in [("client", &sim.client), ("server", &sim.server)] {
                        assert!(
                            conn.is_connected() || conn.is_closed(),
                            "{case}: {side} stuck"
                        );
                    }
                    assert!(sim.client.is_closed() || sim.server.is_closed(), "{case}");
                }
            }
        }
    }
}

#[test]
fn connections_can_move_between_threads() {
    // The tokio driver keeps one Connection per peer in tasks.
    fn assert_send<T: Send + 'static>() {}
    assert_send::<Connection>();
    assert_send::<Event>();
    assert_send::<Error>();
    fn assert_sync<T: Send + Sync>() {}
    assert_sync::<ClientConfig>();
    assert_sync::<ServerConfig>();
    assert_sync::<CookieGuard>();
}
