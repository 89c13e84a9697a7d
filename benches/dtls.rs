//! CPU cost of DTLS handshakes (our engine vs two OpenSSL endpoints, both in
//! memory, both sides' work in one thread) and record protection throughput.
//! The mixed pairs (our client with OpenSSL's server, OpenSSL's client with
//! our server) tell the sides apart: each differs from `openssl_*` by one
//! side only. Run: `cargo bench --bench dtls`.

#[path = "../tests/common/dtls.rs"]
mod common;

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use common::*;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ocf_mediator::dtls::crypto::RecordProtection;
use ocf_mediator::dtls::{CipherSuite, Connection};
use openssl::pkey::PKey;
use openssl::ssl::{HandshakeError, Ssl, SslContext, SslMethod, SslStream, SslVerifyMode};
use openssl::x509::X509;

fn our_handshake(
    c: &Arc<ocf_mediator::dtls::ClientConfig>,
    s: &Arc<ocf_mediator::dtls::ServerConfig>,
    seed: u64,
) {
    let now = Instant::now();
    let mut client = Connection::client(c.clone(), now, rng(seed)).unwrap();
    let mut server = Connection::server(s.clone(), now, rng(seed + 1)).unwrap();
    for _ in 0..20 {
        while let Some(d) = client.poll_transmit() {
            server.handle_datagram(now, &d).unwrap();
        }
        while let Some(d) = server.poll_transmit() {
            client.handle_datagram(now, &d).unwrap();
        }
        if client.is_connected() && server.is_connected() {
            return;
        }
    }
    panic!("no handshake");
}

type Queue = Arc<Mutex<VecDeque<Vec<u8>>>>;

#[derive(Debug)]
struct Pipe {
    inbox: Queue,
    outbox: Queue,
}

impl Read for Pipe {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.inbox.lock().unwrap().pop_front() {
            Some(d) => {
                buf[..d.len()].copy_from_slice(&d);
                Ok(d.len())
            }
            None => Err(std::io::ErrorKind::WouldBlock.into()),
        }
    }
}

impl Write for Pipe {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.outbox.lock().unwrap().push_back(buf.to_vec());
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn openssl_contexts(suite: CipherSuite, pki: &Pki) -> (SslContext, SslContext) {
    let name = match suite {
        CipherSuite::EcdhePskWithAes128CbcSha256 => "ECDHE-PSK-AES128-CBC-SHA256",
        CipherSuite::EcdheEcdsaWithAes128Ccm8 => "ECDHE-ECDSA-AES128-CCM8",
        _ => unreachable!(),
    };
    let mut c = SslContext::builder(SslMethod::dtls()).unwrap();
    let mut s = SslContext::builder(SslMethod::dtls()).unwrap();
    for b in [&mut c, &mut s] {
        b.set_cipher_list(name).unwrap();
        b.set_groups_list("P-256").unwrap();
    }
    if suite.uses_psk() {
        c.set_psk_client_callback(|_, _, id, key| {
            id[..PSK_ID.len()].copy_from_slice(PSK_ID);
            id[PSK_ID.len()] = 0;
            key[..16].copy_from_slice(PSK_KEY);
            Ok(16)
        });
        s.set_psk_server_callback(|_, _, key| {
            key[..16].copy_from_slice(PSK_KEY);
            Ok(16)
        });
    } else {
        let root = X509::from_der(&pki.root.der()).unwrap();
        for (b, leaf) in [(&mut s, &pki.server), (&mut c, &pki.client)] {
            b.set_certificate(&leaf.cert).unwrap();
            b.add_extra_chain_cert(pki.intermediate.cert.clone())
                .unwrap();
            b.set_private_key(
                &PKey::private_key_from_der(&leaf.key.private_key_to_der().unwrap()).unwrap(),
            )
            .unwrap();
            b.cert_store_mut().add_cert(root.clone()).unwrap();
            b.set_verify(SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT);
        }
    }
    (c.build(), s.build())
}

fn openssl_handshake(c: &SslContext, s: &SslContext) {
    let a: Queue = Default::default();
    let b: Queue = Default::default();
    let mut cm = Some(Ssl::new(c).unwrap().connect(Pipe {
        inbox: a.clone(),
        outbox: b.clone(),
    }));
    let mut sm = Some(Ssl::new(s).unwrap().accept(Pipe {
        inbox: b,
        outbox: a,
    }));
    let (mut cd, mut sd) = (false, false);
    for _ in 0..50 {
        if !cd {
            match cm.take().unwrap() {
                Ok(_) => cd = true,
                Err(HandshakeError::WouldBlock(m)) => cm = Some(m.handshake()),
                Err(e) => panic!("{e}"),
            }
        }
        if !sd {
            match sm.take().unwrap() {
                Ok(_) => sd = true,
                Err(HandshakeError::WouldBlock(m)) => sm = Some(m.handshake()),
                Err(e) => panic!("{e}"),
            }
        }
        if cd && sd {
            return;
        }
    }
    panic!("OpenSSL handshake did not finish");
}

/// Steps an OpenSSL handshake once; `true` once it is done.
fn step_openssl(
    m: &mut Option<Result<SslStream<Pipe>, HandshakeError<Pipe>>>,
    done: &mut bool,
) -> bool {
    if !*done {
        match m.take().unwrap() {
            Ok(_) => *done = true,
            Err(HandshakeError::WouldBlock(mid)) => *m = Some(mid.handshake()),
            Err(e) => panic!("{e}"),
        }
    }
    *done
}

/// Our engine on one side, OpenSSL on the other. `to_ssl` carries our
/// datagrams to OpenSSL, `from_ssl` OpenSSL's to us.
fn mixed_handshake(
    ours: &mut Connection,
    ssl: &mut Option<Result<SslStream<Pipe>, HandshakeError<Pipe>>>,
    to_ssl: &Queue,
    from_ssl: &Queue,
) {
    let now = Instant::now();
    let mut ssl_done = false;
    for _ in 0..50 {
        while let Some(d) = ours.poll_transmit() {
            to_ssl.lock().unwrap().push_back(d);
        }
        let done = step_openssl(ssl, &mut ssl_done);
        let arrived: Vec<Vec<u8>> = from_ssl.lock().unwrap().drain(..).collect();
        for d in arrived {
            ours.handle_datagram(now, &d).unwrap();
        }
        if done && ours.is_connected() {
            return;
        }
    }
    panic!("mixed handshake did not finish");
}

fn ours_client_vs_openssl_server(
    c: &Arc<ocf_mediator::dtls::ClientConfig>,
    s: &SslContext,
    seed: u64,
) {
    let (a, b): (Queue, Queue) = Default::default();
    let mut client = Connection::client(c.clone(), Instant::now(), rng(seed)).unwrap();
    let mut ssl = Some(Ssl::new(s).unwrap().accept(Pipe {
        inbox: a.clone(),
        outbox: b.clone(),
    }));
    mixed_handshake(&mut client, &mut ssl, &a, &b);
}

fn openssl_client_vs_ours_server(
    c: &SslContext,
    s: &Arc<ocf_mediator::dtls::ServerConfig>,
    seed: u64,
) {
    let (a, b): (Queue, Queue) = Default::default();
    let mut server = Connection::server(s.clone(), Instant::now(), rng(seed)).unwrap();
    let mut ssl = Some(Ssl::new(c).unwrap().connect(Pipe {
        inbox: a.clone(),
        outbox: b.clone(),
    }));
    mixed_handshake(&mut server, &mut ssl, &a, &b);
}

fn handshakes(cr: &mut Criterion) {
    let pki = Pki::new(0);
    let mut g = cr.benchmark_group("handshake");
    g.sample_size(30);
    for suite in [
        CipherSuite::EcdhAnonWithAes128CbcSha256,
        CipherSuite::EcdhePskWithAes128CbcSha256,
        CipherSuite::EcdheEcdsaWithAes128Ccm8,
    ] {
        let p = suite.uses_certificates().then_some(&pki);
        let c = Arc::new(client_config(suite, p));
        let mut s = server_config(suite, p);
        if p.is_some() {
            s.client_auth = ocf_mediator::dtls::ClientAuth::Required;
        }
        let s = Arc::new(s);
        let mut seed = 0;
        g.bench_function(format!("ours_{:04x}", suite.code()), |b| {
            b.iter(|| {
                seed += 2;
                our_handshake(&c, &s, seed)
            })
        });
    }
    for suite in [
        CipherSuite::EcdhePskWithAes128CbcSha256,
        CipherSuite::EcdheEcdsaWithAes128Ccm8,
    ] {
        let (oc, os) = openssl_contexts(suite, &pki);
        g.bench_function(format!("openssl_{:04x}", suite.code()), |b| {
            b.iter(|| openssl_handshake(&oc, &os))
        });
        let p = suite.uses_certificates().then_some(&pki);
        let c = Arc::new(client_config(suite, p));
        let mut s = server_config(suite, p);
        if p.is_some() {
            s.client_auth = ocf_mediator::dtls::ClientAuth::Required;
        }
        let s = Arc::new(s);
        let mut seed = 1000;
        g.bench_function(
            format!("ours_client_openssl_server_{:04x}", suite.code()),
            |b| {
                b.iter(|| {
                    seed += 1;
                    ours_client_vs_openssl_server(&c, &os, seed)
                })
            },
        );
        g.bench_function(
            format!("openssl_client_ours_server_{:04x}", suite.code()),
            |b| {
                b.iter(|| {
                    seed += 1;
                    openssl_client_vs_ours_server(&oc, &s, seed)
                })
            },
        );
    }
    g.finish();
}

fn records(cr: &mut Criterion) {
    let mut g = cr.benchmark_group("record_1k");
    g.throughput(Throughput::Bytes(1024));
    let data = vec![0x42u8; 1024];
    for (name, suite) in [
        ("cbc_sha256", CipherSuite::EcdhePskWithAes128CbcSha256),
        ("ccm_8", CipherSuite::PskWithAes128Ccm8),
    ] {
        let p = RecordProtection::new(suite, &[1; 32], &[2; 16], &[3; 4]);
        let sealed = p.seal(1, 7, 23, &data, [9; 16]);
        g.bench_function(format!("seal_{name}"), |b| {
            b.iter(|| p.seal(1, 7, 23, &data, [9; 16]))
        });
        g.bench_function(format!("open_{name}"), |b| {
            b.iter(|| p.open(1, 7, 23, &sealed).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, handshakes, records);
criterion_main!(benches);
