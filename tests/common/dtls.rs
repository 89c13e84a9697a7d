//! Shared helpers for the DTLS tests: seeded RNGs, test PKI made with OpenSSL,
//! and an in-memory network with simulated time, loss, duplication and reordering.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ocf_mediator::dtls::{
    CertifiedKey, CipherSuite, ClientConfig, Connection, Error, Event, ServerConfig,
};
use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::extension::{BasicConstraints, ExtendedKeyUsage, KeyUsage};
use openssl::x509::{X509, X509NameBuilder};
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

pub fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

pub const PSK_ID: &[u8] = b"client-identity";
pub const PSK_KEY: &[u8] = &[0x11; 16];

// ---------------------------------------------------------------- PKI

pub struct Issued {
    pub cert: X509,
    pub key: PKey<Private>,
}

impl Issued {
    pub fn der(&self) -> Vec<u8> {
        self.cert.to_der().unwrap()
    }
    pub fn pkcs8(&self) -> Vec<u8> {
        self.key.private_key_to_pkcs8().unwrap()
    }
    pub fn pem(&self) -> Vec<u8> {
        self.cert.to_pem().unwrap()
    }
    pub fn key_pem(&self) -> Vec<u8> {
        self.key.private_key_to_pem_pkcs8().unwrap()
    }
}

#[derive(Clone, Copy, PartialEq)]
pub enum Kind {
    Ca,
    Server,
    Client,
}

fn p256_key() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
}

/// Issues a P-256 certificate; `padding` adds an OU of that many bytes so chains
/// can be made larger than a datagram.
pub fn issue(cn: &str, kind: Kind, issuer: Option<&Issued>, padding: usize) -> Issued {
    let ekus: &[&str] = match kind {
        Kind::Ca => &[],
        Kind::Server => &["serverAuth", "1.3.6.1.4.1.44924.1.6"],
        Kind::Client => &["clientAuth", "1.3.6.1.4.1.44924.1.6"],
    };
    issue_with_eku(cn, kind, issuer, padding, ekus)
}

/// Like [`issue`] with an explicit EKU list (OIDs or OpenSSL short names; empty = no extension).
pub fn issue_with_eku(
    cn: &str,
    kind: Kind,
    issuer: Option<&Issued>,
    padding: usize,
    ekus: &[&str],
) -> Issued {
    let key = p256_key();
    let mut name = X509NameBuilder::new().unwrap();
    name.append_entry_by_text("CN", cn).unwrap();
    if padding > 0 {
        name.append_entry_by_text("OU", &"p".repeat(padding.min(64)))
            .unwrap();
        for i in 0..padding / 64 {
            name.append_entry_by_text("O", &format!("{i:0>60}"))
                .unwrap();
        }
    }
    let name = name.build();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    let serial = BigNum::from_u32(rand_serial()).unwrap();
    b.set_serial_number(&serial.to_asn1_integer().unwrap())
        .unwrap();
    b.set_subject_name(&name).unwrap();
    b.set_issuer_name(issuer.map(|i| i.cert.subject_name()).unwrap_or(&name))
        .unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::days_from_now(0).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::days_from_now(30).unwrap())
        .unwrap();
    match kind {
        Kind::Ca => {
            b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
                .unwrap();
            b.append_extension(KeyUsage::new().critical().key_cert_sign().build().unwrap())
                .unwrap();
        }
        Kind::Server | Kind::Client => {
            b.append_extension(BasicConstraints::new().build().unwrap())
                .unwrap();
            b.append_extension(
                KeyUsage::new()
                    .critical()
                    .digital_signature()
                    .key_agreement()
                    .build()
                    .unwrap(),
            )
            .unwrap();
        }
    }
    if !ekus.is_empty() {
        let mut eku = ExtendedKeyUsage::new();
        for e in ekus {
            match *e {
                "serverAuth" => eku.server_auth(),
                "clientAuth" => eku.client_auth(),
                "codeSigning" => eku.code_signing(),
                oid => eku.other(oid),
            };
        }
        b.append_extension(eku.build().unwrap()).unwrap();
    }
    b.sign(
        issuer.map(|i| &i.key).unwrap_or(&key),
        MessageDigest::sha256(),
    )
    .unwrap();
    Issued {
        cert: b.build(),
        key,
    }
}

fn rand_serial() -> u32 {
    let mut b = [0u8; 4];
    openssl::rand::rand_bytes(&mut b).unwrap();
    u32::from_be_bytes(b) >> 1
}

/// root → intermediate → {server leaf, client leaf}.
pub struct Pki {
    pub root: Issued,
    pub intermediate: Issued,
    pub server: Issued,
    pub client: Issued,
}

impl Pki {
    pub fn new(padding: usize) -> Pki {
        let root = issue("Test Root", Kind::Ca, None, padding);
        let intermediate = issue("Test Intermediate", Kind::Ca, Some(&root), padding);
        let server = issue(
            "uuid:95dd205a-157f-4582-7432-1eed3000de30",
            Kind::Server,
            Some(&intermediate),
            padding,
        );
        let client = issue(
            "uuid:1f5b5c4d-56a4-45c2-57bc-98abe007ee36",
            Kind::Client,
            Some(&intermediate),
            padding,
        );
        Pki {
            root,
            intermediate,
            server,
            client,
        }
    }

    pub fn server_key(&self) -> CertifiedKey {
        CertifiedKey::new(
            vec![self.server.der(), self.intermediate.der()],
            &self.server.pkcs8(),
        )
        .unwrap()
    }

    pub fn client_key(&self) -> CertifiedKey {
        CertifiedKey::new(
            vec![self.client.der(), self.intermediate.der()],
            &self.client.pkcs8(),
        )
        .unwrap()
    }
}

// ---------------------------------------------------------------- configs

pub fn client_config(suite: CipherSuite, pki: Option<&Pki>) -> ClientConfig {
    let mut c = ClientConfig::new(&[suite]).with_psk(PSK_ID, PSK_KEY);
    if let Some(p) = pki {
        c.common.trust_anchors = vec![p.root.der()];
        c.common.certificate = Some(p.client_key());
    }
    c
}

pub fn server_config(suite: CipherSuite, pki: Option<&Pki>) -> ServerConfig {
    let mut s = ServerConfig::new(&[suite]).with_psk(PSK_ID, PSK_KEY);
    s.psk_identity_hint = Some(b"device-hint".to_vec());
    if let Some(p) = pki {
        s.common.trust_anchors = vec![p.root.der()];
        s.common.certificate = Some(p.server_key());
    }
    s
}

// ---------------------------------------------------------------- simulated network

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dir {
    ToServer,
    ToClient,
}

/// What the network does with one datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    Deliver,
    Drop,
    Duplicate,
    /// Deliver with the bits `mask` flipped in the byte at this index (mod length).
    Corrupt(usize, u8),
}

pub struct Sim {
    pub client: Connection,
    pub server: Connection,
    pub now: Instant,
    pub start: Instant,
    pub client_events: Vec<Event>,
    pub server_events: Vec<Event>,
    /// Every datagram that was put on the wire, in order, with its direction.
    pub wire: Vec<(Dir, Vec<u8>)>,
    /// Reverse the order of each batch of datagrams before delivery.
    pub reorder: bool,
    pub client_errors: Vec<Error>,
    pub server_errors: Vec<Error>,
}

impl Sim {
    pub fn new(c: ClientConfig, s: ServerConfig, seed: u64) -> Sim {
        let now = Instant::now();
        Sim {
            client: Connection::client(Arc::new(c), now, rng(seed)).unwrap(),
            server: Connection::server(Arc::new(s), now, rng(seed + 1000)).unwrap(),
            now,
            start: now,
            client_events: Vec::new(),
            server_events: Vec::new(),
            wire: Vec::new(),
            reorder: false,
            client_errors: Vec::new(),
            server_errors: Vec::new(),
        }
    }

    pub fn for_suite(suite: CipherSuite, pki: Option<&Pki>) -> Sim {
        Sim::new(client_config(suite, pki), server_config(suite, pki), 1)
    }

    fn drain_events(&mut self) {
        while let Some(e) = self.client.poll_event() {
            self.client_events.push(e);
        }
        while let Some(e) = self.server.poll_event() {
            self.server_events.push(e);
        }
    }

    /// Moves datagrams both ways once, each through `fate`. Returns how many moved.
    pub fn step(&mut self, fate: &mut dyn FnMut(Dir, &[u8]) -> Fate) -> usize {
        let mut moved = 0;
        for dir in [Dir::ToServer, Dir::ToClient] {
            let mut batch = Vec::new();
            let from = match dir {
                Dir::ToServer => &mut self.client,
                Dir::ToClient => &mut self.server,
            };
            while let Some(d) = from.poll_transmit() {
                batch.push(d);
            }
            if self.reorder {
                batch.reverse();
            }
            for d in batch {
                moved += 1;
                self.wire.push((dir, d.clone()));
                let mut d = d;
                let copies = match fate(dir, &d) {
                    Fate::Deliver => 1,
                    Fate::Drop => 0,
                    Fate::Duplicate => 2,
                    Fate::Corrupt(i, mask) => {
                        let n = d.len();
                        d[i % n] ^= mask;
                        1
                    }
                };
                for _ in 0..copies {
                    let (to, errs) = match dir {
                        Dir::ToServer => (&mut self.server, &mut self.server_errors),
                        Dir::ToClient => (&mut self.client, &mut self.client_errors),
                    };
                    if let Err(e) = to.handle_datagram(self.now, &d) {
                        errs.push(e);
                    }
                }
            }
        }
        self.drain_events();
        moved
    }

    /// Runs until both sides are connected (or closed), advancing simulated time to
    /// the next deadline whenever the network is idle. Gives up after `limit` of
    /// simulated time.
    pub fn run(&mut self, fate: &mut dyn FnMut(Dir, &[u8]) -> Fate, limit: Duration) {
        for _ in 0..10_000 {
            let done = |c: &Connection| c.is_connected() || c.is_closed();
            if done(&self.client) && done(&self.server) {
                // Flush what is still in flight (the last flight, alerts).
                self.step(fate);
                return;
            }
            if self.step(fate) > 0 {
                continue;
            }
            let next = [self.client.poll_timeout(), self.server.poll_timeout()]
                .into_iter()
                .flatten()
                .min();
            let Some(next) = next else { return };
            if next.duration_since(self.start) > limit {
                return;
            }
            self.now = self.now.max(next);
            self.client.handle_timeout(self.now);
            self.server.handle_timeout(self.now);
            self.drain_events();
        }
    }

    pub fn handshake(&mut self) {
        self.run(&mut |_, _| Fate::Deliver, Duration::from_secs(120));
    }

    pub fn both_connected(&self) -> bool {
        self.client.is_connected() && self.server.is_connected()
    }

    /// Sends `data` from one side and returns what the other side received.
    pub fn send(&mut self, dir: Dir, data: &[u8]) -> Vec<Vec<u8>> {
        match dir {
            Dir::ToServer => self.client.send(data).unwrap(),
            Dir::ToClient => self.server.send(data).unwrap(),
        }
        let before = match dir {
            Dir::ToServer => self.server_events.len(),
            Dir::ToClient => self.client_events.len(),
        };
        self.step(&mut |_, _| Fate::Deliver);
        let evs = match dir {
            Dir::ToServer => &self.server_events[before..],
            Dir::ToClient => &self.client_events[before..],
        };
        evs.iter()
            .filter_map(|e| match e {
                Event::ApplicationData(d) => Some(d.clone()),
                _ => None,
            })
            .collect()
    }
}

pub fn connected_suite(events: &[Event]) -> Option<CipherSuite> {
    events.iter().find_map(|e| match e {
        Event::Connected { suite, .. } => Some(*suite),
        _ => None,
    })
}

pub fn closed_error(events: &[Event]) -> Option<Option<Error>> {
    events.iter().find_map(|e| match e {
        Event::Closed { error } => Some(error.clone()),
        _ => None,
    })
}

/// A tiny deterministic PRNG for network chaos (independent of the engine's RNG).
pub struct Chaos(pub u64);

impl Chaos {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn percent(&mut self, p: u64) -> bool {
        self.next() % 100 < p
    }
}

/// Drains `VecDeque` helper for tests that collect datagrams manually.
pub fn drain(c: &mut Connection) -> VecDeque<Vec<u8>> {
    let mut q = VecDeque::new();
    while let Some(d) = c.poll_transmit() {
        q.push_back(d);
    }
    q
}
