//! Interoperability with OpenSSL 3 (DTLS 1.2): the `openssl` binary over real
//! UDP sockets on 127.0.0.1 (our client vs `s_server`, `s_client` vs our server)
//! for 0xC0A8, 0xC037, 0xC0AE and 0xC0AC with mutual authentication, and 0xC018;
//! and the `openssl` crate in memory to cross-check the master secret, randoms
//! and owner PSK derivation. Needs the `openssl` command (Debian package openssl).

#[path = "common/dtls.rs"]
mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use ocf_mediator::dtls::{
    CipherSuite, ClientAuth, Connection, CookieGuard, Event, HelloVerdict, derive_owner_psk,
};

const TIMEOUT: Duration = Duration::from_secs(20);

fn openssl_name(suite: CipherSuite) -> &'static str {
    match suite {
        CipherSuite::PskWithAes128Ccm8 => "PSK-AES128-CCM8",
        CipherSuite::EcdhePskWithAes128CbcSha256 => "ECDHE-PSK-AES128-CBC-SHA256",
        CipherSuite::EcdheEcdsaWithAes128Ccm8 => "ECDHE-ECDSA-AES128-CCM8",
        CipherSuite::EcdheEcdsaWithAes128Ccm => "ECDHE-ECDSA-AES128-CCM",
        CipherSuite::EcdhAnonWithAes128CbcShaTestOnly => "AECDH-AES128-SHA:@SECLEVEL=0",
        s => panic!("OpenSSL has no {s:?}"),
    }
}

fn hexs(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// PEM files of a test PKI in a scratch directory.
struct PkiFiles {
    dir: PathBuf,
}

impl PkiFiles {
    fn new(pki: &Pki, tag: &str) -> PkiFiles {
        let dir = std::env::temp_dir().join(format!("dtls-openssl-{}-{tag}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, data) in [
            ("root.pem", pki.root.pem()),
            ("inter.pem", pki.intermediate.pem()),
            ("server.pem", pki.server.pem()),
            ("server.key", pki.server.key_pem()),
            ("client.pem", pki.client.pem()),
            ("client.key", pki.client.key_pem()),
        ] {
            std::fs::write(dir.join(name), data).unwrap();
        }
        PkiFiles { dir }
    }
    fn p(&self, name: &str) -> String {
        self.dir.join(name).to_string_lossy().into_owned()
    }
}

impl Drop for PkiFiles {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A running openssl process whose stdout is collected; killed on drop.
struct OpenSsl {
    child: Child,
    out: Arc<Mutex<String>>,
}

impl OpenSsl {
    fn spawn(args: &[String]) -> OpenSsl {
        let mut child = Command::new("openssl")
            .args(args)
            .stdin(Stdio::piped()) // kept open: s_server exits at once on EOF
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the openssl command is needed (apt-get install openssl)");
        let out = Arc::new(Mutex::new(String::new()));
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let out = out.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines() {
                    let Ok(line) = line else { break };
                    let mut o = out.lock().unwrap();
                    o.push_str(&line);
                    o.push('\n');
                }
            });
        }
        OpenSsl { child, out }
    }

    fn output(&self) -> String {
        self.out.lock().unwrap().clone()
    }

    fn wait_for(&self, needle: &str) -> bool {
        let end = Instant::now() + TIMEOUT;
        while Instant::now() < end {
            if self.output().contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    fn type_line(&mut self, line: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    }
}

impl Drop for OpenSsl {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

thread_local! {
    /// Largest datagram our engine sent on this test's thread.
    static MAX_SENT: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Checks the certificates really need fragmenting and our datagrams kept to the MTU.
fn check_fragmentation(pki: &Pki, mtu: Option<usize>) {
    if let Some(m) = mtu {
        let chain: usize = pki.server_key().chain.iter().map(|c| c.len()).sum();
        assert!(chain > 4 * m, "chain of {chain} bytes for MTU {m}");
        assert!(
            MAX_SENT.with(|s| s.get()) <= m,
            "a datagram exceeded the MTU"
        );
    }
}

/// Drives `conn` over `sock` with real time until `done` says so (or the timeout).
fn drive(
    conn: &mut Connection,
    sock: &UdpSocket,
    peer: &mut Option<SocketAddr>,
    events: &mut Vec<Event>,
    mut done: impl FnMut(&[Event]) -> bool,
) -> bool {
    let end = Instant::now() + TIMEOUT;
    let mut buf = vec![0u8; 65536];
    while Instant::now() < end {
        while let Some(d) = conn.poll_transmit() {
            MAX_SENT.with(|m| m.set(m.get().max(d.len())));
            if let Some(p) = peer {
                sock.send_to(&d, *p).unwrap();
            }
        }
        while let Some(e) = conn.poll_event() {
            events.push(e);
        }
        if done(events) {
            return true;
        }
        let wait = conn
            .poll_timeout()
            .map(|t| t.saturating_duration_since(Instant::now()))
            .unwrap_or(Duration::from_millis(50))
            .clamp(Duration::from_millis(1), Duration::from_millis(50));
        sock.set_read_timeout(Some(wait)).unwrap();
        match sock.recv_from(&mut buf) {
            Ok((n, from)) => {
                peer.get_or_insert(from);
                let _ = conn.handle_datagram(Instant::now(), &buf[..n]);
            }
            Err(_) => conn.handle_timeout(Instant::now()),
        }
    }
    false
}

fn app_data(events: &[Event]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            Event::ApplicationData(d) => Some(String::from_utf8_lossy(d).into_owned()),
            _ => None,
        })
        .collect()
}

fn suite_args(suite: CipherSuite, files: &PkiFiles, server: bool) -> Vec<String> {
    let mut a: Vec<String> = vec!["-cipher".into(), openssl_name(suite).into()];
    if suite.uses_psk() {
        a.extend(["-psk".into(), hexs(PSK_KEY)]);
        a.extend([
            "-psk_identity".into(),
            String::from_utf8(PSK_ID.to_vec()).unwrap(),
        ]);
        if server {
            a.extend(["-psk_hint".into(), "device-hint".into()]);
        }
    }
    if suite.uses_certificates() {
        let (cert, key) = if server {
            ("server.pem", "server.key")
        } else {
            ("client.pem", "client.key")
        };
        a.extend(["-cert".into(), files.p(cert), "-key".into(), files.p(key)]);
        a.extend(["-cert_chain".into(), files.p("inter.pem")]);
        a.extend(["-CAfile".into(), files.p("root.pem")]);
        a.extend(["-verify_return_error".into()]);
        a.extend([
            if server { "-Verify" } else { "-verify" }.into(),
            "5".into(),
        ]);
    } else if server {
        a.push("-nocert".into());
    }
    a
}

/// Our client against `openssl s_server`.
fn our_client_vs_s_server(suite: CipherSuite) {
    our_client_vs_s_server_with(suite, 0, None)
}

/// `padding` makes the certificates larger; `mtu` is given to both sides.
fn our_client_vs_s_server_with(suite: CipherSuite, padding: usize, mtu: Option<usize>) {
    let pki = Pki::new(padding);
    // The padding is in the name: the small-MTU tests run the same suite
    // in parallel, and one's cleanup must not delete the other's files.
    let files = PkiFiles::new(&pki, &format!("c{:04x}-{padding}", suite.code()));
    let port = free_udp_port();
    let mut args: Vec<String> = ["s_server", "-dtls1_2", "-naccept", "1", "-accept"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.push(format!("127.0.0.1:{port}"));
    args.extend(suite_args(suite, &files, true));
    if let Some(m) = mtu {
        // OpenSSL's -mtu is the link MTU: it subtracts the IP and UDP headers.
        args.extend(["-mtu".into(), (m + 28).to_string()]);
    }
    let mut server = OpenSsl::spawn(&args);
    assert!(
        server.wait_for("ACCEPT"),
        "s_server did not start: {}",
        server.output()
    );

    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut cfg = client_config(suite, suite.uses_certificates().then_some(&pki));
    if let Some(m) = mtu {
        cfg.common.mtu = m;
    }
    let mut conn = Connection::client(Arc::new(cfg), Instant::now(), rng(7)).unwrap();
    let mut peer = Some(SocketAddr::from(([127, 0, 0, 1], port)));
    let mut events = Vec::new();
    let ok = drive(&mut conn, &sock, &mut peer, &mut events, |e| {
        e.iter()
            .any(|e| matches!(e, Event::Connected { .. } | Event::Closed { .. }))
    });
    assert!(
        ok && conn.is_connected(),
        "{suite:?}: {events:?}\n{}",
        server.output()
    );
    assert_eq!(connected_suite(&events), Some(suite));
    if suite.uses_certificates() {
        assert_eq!(conn.peer_certificates()[0], pki.server.der());
    }
    conn.send(b"hello from rust\n").unwrap();
    drive(&mut conn, &sock, &mut peer, &mut events, |_| true);
    assert!(server.wait_for("hello from rust"), "{}", server.output());
    server.type_line("hello from openssl");
    let ok = drive(&mut conn, &sock, &mut peer, &mut events, |e| {
        app_data(e).contains("hello from openssl")
    });
    assert!(ok, "{suite:?}: no data from s_server: {events:?}");
    assert!(
        conn.key_material().unwrap().extended_master_secret,
        "OpenSSL negotiates extended master secret with us"
    );
    conn.close();
    drive(&mut conn, &sock, &mut peer, &mut events, |_| true);
    check_fragmentation(&pki, mtu);
}

/// `openssl s_client` against our server (behind a CookieGuard).
fn s_client_vs_our_server(suite: CipherSuite) {
    s_client_vs_our_server_with(suite, 0, None)
}

fn s_client_vs_our_server_with(suite: CipherSuite, padding: usize, mtu: Option<usize>) {
    let pki = Pki::new(padding);
    // The padding is in the name: the small-MTU tests run the same suite
    // in parallel, and one's cleanup must not delete the other's files.
    let files = PkiFiles::new(&pki, &format!("s{:04x}-{padding}", suite.code()));
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = sock.local_addr().unwrap().port();
    let mut args: Vec<String> = ["s_client", "-dtls1_2", "-connect"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.push(format!("127.0.0.1:{port}"));
    args.extend(suite_args(suite, &files, false));
    if let Some(m) = mtu {
        args.extend(["-mtu".into(), (m + 28).to_string()]);
    }
    let mut client = OpenSsl::spawn(&args);

    let mut cfg = server_config(suite, suite.uses_certificates().then_some(&pki));
    if let Some(m) = mtu {
        cfg.common.mtu = m;
    }
    cfg.client_auth = ClientAuth::Required;
    let cfg = Arc::new(cfg);
    // Stateless cookie stage first, as a real server socket would do it.
    let guard = CookieGuard::new([0x5c; 32]);
    let mut buf = vec![0u8; 65536];
    sock.set_read_timeout(Some(TIMEOUT)).unwrap();
    let (hello, from) = loop {
        let (n, from) = sock
            .recv_from(&mut buf)
            .expect("no ClientHello from s_client");
        match guard.check(from.to_string().as_bytes(), &buf[..n]) {
            HelloVerdict::SendHelloVerifyRequest(d) => {
                sock.send_to(&d, from).unwrap();
            }
            HelloVerdict::Accept(h) => break (h, from),
            HelloVerdict::Drop => {}
        }
    };
    let mut conn = Connection::server_from_hello(cfg, Instant::now(), rng(8), hello).unwrap();
    let mut peer = Some(from);
    let mut events = Vec::new();
    let ok = drive(&mut conn, &sock, &mut peer, &mut events, |e| {
        e.iter()
            .any(|e| matches!(e, Event::Connected { .. } | Event::Closed { .. }))
    });
    assert!(
        ok && conn.is_connected(),
        "{suite:?}: {events:?}\n{}",
        client.output()
    );
    assert_eq!(connected_suite(&events), Some(suite));
    if suite.uses_psk() {
        assert!(events.iter().any(|e| matches!(e,
            Event::Connected { psk_identity: Some(id), .. } if id == PSK_ID)));
    }
    if suite.uses_certificates() {
        assert_eq!(conn.peer_certificates()[0], pki.client.der());
    }
    assert!(
        client.wait_for("Extended master secret: yes"),
        "{}",
        client.output()
    );
    client.type_line("hello from openssl");
    let ok = drive(&mut conn, &sock, &mut peer, &mut events, |e| {
        app_data(e).contains("hello from openssl")
    });
    assert!(ok, "{suite:?}: {events:?}\n{}", client.output());
    conn.send(b"hello from rust\n").unwrap();
    drive(&mut conn, &sock, &mut peer, &mut events, |_| true);
    assert!(client.wait_for("hello from rust"), "{}", client.output());
    // Closing s_client's stdin makes it send close_notify.
    drop(client.child.stdin.take());
    let ok = drive(&mut conn, &sock, &mut peer, &mut events, |e| {
        e.iter().any(|e| matches!(e, Event::Closed { .. }))
    });
    assert!(ok, "{suite:?}: no close_notify: {events:?}");
    assert_eq!(closed_error(&events), Some(None));
    check_fragmentation(&pki, mtu);
}

#[test]
fn psk_ccm8_our_client_vs_openssl_server() {
    our_client_vs_s_server(CipherSuite::PskWithAes128Ccm8);
}

#[test]
fn psk_ccm8_openssl_client_vs_our_server() {
    s_client_vs_our_server(CipherSuite::PskWithAes128Ccm8);
}

#[test]
fn ecdhe_psk_cbc_our_client_vs_openssl_server() {
    our_client_vs_s_server(CipherSuite::EcdhePskWithAes128CbcSha256);
}

#[test]
fn ecdhe_psk_cbc_openssl_client_vs_our_server() {
    s_client_vs_our_server(CipherSuite::EcdhePskWithAes128CbcSha256);
}

#[test]
fn ecdhe_ecdsa_ccm8_mutual_auth_our_client_vs_openssl_server() {
    our_client_vs_s_server(CipherSuite::EcdheEcdsaWithAes128Ccm8);
}

#[test]
fn ecdhe_ecdsa_ccm8_mutual_auth_openssl_client_vs_our_server() {
    s_client_vs_our_server(CipherSuite::EcdheEcdsaWithAes128Ccm8);
}

#[test]
fn ecdhe_ecdsa_ccm_mutual_auth_our_client_vs_openssl_server() {
    our_client_vs_s_server(CipherSuite::EcdheEcdsaWithAes128Ccm);
}

#[test]
fn ecdhe_ecdsa_ccm_mutual_auth_openssl_client_vs_our_server() {
    s_client_vs_our_server(CipherSuite::EcdheEcdsaWithAes128Ccm);
}

#[test]
fn certificate_chains_fragmented_to_a_small_mtu_our_client_vs_openssl_server() {
    // Leaf + intermediate of about 2.5 KB each way, 400-byte datagrams.
    our_client_vs_s_server_with(CipherSuite::EcdheEcdsaWithAes128Ccm8, 600, Some(400));
}

#[test]
fn certificate_chains_fragmented_to_a_small_mtu_openssl_client_vs_our_server() {
    s_client_vs_our_server_with(CipherSuite::EcdheEcdsaWithAes128Ccm8, 600, Some(400));
}

#[test]
fn anonymous_ecdh_c018_our_client_vs_openssl_server() {
    our_client_vs_s_server(CipherSuite::EcdhAnonWithAes128CbcShaTestOnly);
}

#[test]
fn anonymous_ecdh_c018_openssl_client_vs_our_server() {
    s_client_vs_our_server(CipherSuite::EcdhAnonWithAes128CbcShaTestOnly);
}

// ------------------------------------------------------------ openssl crate, in memory

/// A datagram pipe end for OpenSSL: each write is one datagram, each read takes one.
#[derive(Debug)]
struct MemDgram {
    inbox: Arc<Mutex<std::collections::VecDeque<Vec<u8>>>>,
    outbox: Arc<Mutex<std::collections::VecDeque<Vec<u8>>>>,
}

impl Read for MemDgram {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.inbox.lock().unwrap().pop_front() {
            Some(d) => {
                let n = d.len().min(buf.len());
                buf[..n].copy_from_slice(&d[..n]);
                Ok(n)
            }
            None => Err(std::io::ErrorKind::WouldBlock.into()),
        }
    }
}

impl Write for MemDgram {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.outbox.lock().unwrap().push_back(buf.to_vec());
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

type Queue = Arc<Mutex<std::collections::VecDeque<Vec<u8>>>>;

/// Our engine and an OpenSSL endpoint joined in memory.
struct MemPair {
    ours: Connection,
    stream: openssl::ssl::SslStream<MemDgram>,
    to_openssl: Queue,
    from_openssl: Queue,
}

impl MemPair {
    /// Moves OpenSSL's datagrams to us and returns ours (not delivered).
    fn deliver_openssl_output(&mut self) -> Vec<Vec<u8>> {
        let now = Instant::now();
        while let Some(d) = self.from_openssl.lock().unwrap().pop_front() {
            let _ = self.ours.handle_datagram(now, &d);
        }
        std::iter::from_fn(|| self.ours.poll_transmit()).collect()
    }
}

/// Runs our engine against an OpenSSL endpoint in memory; returns OpenSSL's view
/// of (master secret, client random, server random) and our connection.
fn in_memory_vs_openssl(
    suite: CipherSuite,
    ours_is_client: bool,
    openssl_without_ems: bool,
) -> ([u8; 48], [u8; 32], [u8; 32], Connection) {
    let p = in_memory_pair(suite, ours_is_client, openssl_without_ems);
    let ssl = p.stream.ssl();
    let mut ms = [0u8; 48];
    assert_eq!(ssl.session().unwrap().master_key(&mut ms), 48);
    let (mut cr, mut sr) = ([0u8; 32], [0u8; 32]);
    ssl.client_random(&mut cr);
    ssl.server_random(&mut sr);
    (ms, cr, sr, p.ours)
}

fn in_memory_pair(suite: CipherSuite, ours_is_client: bool, openssl_without_ems: bool) -> MemPair {
    use openssl::ssl::{HandshakeError, SslContext, SslMethod, SslStream};
    let to_openssl: Queue = Default::default();
    let from_openssl: Queue = Default::default();
    let mut ctx = SslContext::builder(SslMethod::dtls()).unwrap();
    ctx.set_cipher_list(openssl_name(suite)).unwrap();
    ctx.set_min_proto_version(Some(openssl::ssl::SslVersion::DTLS1_2))
        .unwrap();
    if openssl_without_ems {
        // SSL_OP_NO_EXTENDED_MASTER_SECRET (bit 0 in OpenSSL 3), not named by the crate.
        ctx.set_options(openssl::ssl::SslOptions::from_bits_retain(1));
    }
    if ours_is_client {
        ctx.set_psk_server_callback(|_, id, key| {
            assert_eq!(id, Some(PSK_ID));
            key[..PSK_KEY.len()].copy_from_slice(PSK_KEY);
            Ok(PSK_KEY.len())
        });
    } else {
        ctx.set_psk_client_callback(|_, _hint, id, key| {
            id[..PSK_ID.len()].copy_from_slice(PSK_ID);
            id[PSK_ID.len()] = 0;
            key[..PSK_KEY.len()].copy_from_slice(PSK_KEY);
            Ok(PSK_KEY.len())
        });
    }
    let ctx = ctx.build();
    let ssl = openssl::ssl::Ssl::new(&ctx).unwrap();
    let pipe = MemDgram {
        inbox: to_openssl.clone(),
        outbox: from_openssl.clone(),
    };
    let now = Instant::now();
    let mut ours = if ours_is_client {
        Connection::client(Arc::new(client_config(suite, None)), now, rng(3)).unwrap()
    } else {
        Connection::server(Arc::new(server_config(suite, None)), now, rng(3)).unwrap()
    };
    let mut mid = Some(if ours_is_client {
        ssl.accept(pipe)
    } else {
        ssl.connect(pipe)
    });
    let mut stream: Option<SslStream<MemDgram>> = None;
    for _ in 0..100 {
        while let Some(d) = ours.poll_transmit() {
            to_openssl.lock().unwrap().push_back(d);
        }
        if stream.is_none() {
            match mid.take().unwrap() {
                Ok(s) => stream = Some(s),
                Err(HandshakeError::WouldBlock(m)) => mid = Some(m.handshake()),
                Err(e) => panic!("OpenSSL handshake failed: {e}"),
            }
        }
        while let Some(d) = from_openssl.lock().unwrap().pop_front() {
            ours.handle_datagram(now, &d).unwrap();
        }
        if stream.is_some() && ours.is_connected() {
            break;
        }
    }
    let stream = stream.expect("OpenSSL finished its handshake");
    assert!(ours.is_connected());
    MemPair {
        ours,
        stream,
        to_openssl,
        from_openssl,
    }
}

#[test]
fn master_secret_and_owner_psk_agree_with_openssl() {
    for suite in [
        CipherSuite::EcdhePskWithAes128CbcSha256,
        CipherSuite::PskWithAes128Ccm8,
    ] {
        for ours_is_client in [true, false] {
            let (ms, cr, sr, ours) = in_memory_vs_openssl(suite, ours_is_client, false);
            let km = ours.key_material().unwrap();
            assert!(km.extended_master_secret);
            assert_eq!(km.master_secret, ms, "{suite:?}");
            assert_eq!(km.client_random, cr);
            assert_eq!(km.server_random, sr);
            // The owner PSK derived from OpenSSL's secrets equals ours.
            let mut theirs = km.clone();
            theirs.master_secret = ms;
            let (owner, device) = ([1u8; 16], [2u8; 16]);
            assert_eq!(
                derive_owner_psk(&km, "oic.sec.doxm.rdp", owner, device),
                derive_owner_psk(&theirs, "oic.sec.doxm.rdp", owner, device)
            );
        }
    }
}

#[test]
fn classic_master_secret_when_the_peer_refuses_extended_master_secret() {
    for ours_is_client in [true, false] {
        let suite = CipherSuite::EcdhePskWithAes128CbcSha256;
        let (ms, _, _, ours) = in_memory_vs_openssl(suite, ours_is_client, true);
        let km = ours.key_material().unwrap();
        assert!(!km.extended_master_secret);
        assert_eq!(km.master_secret, ms);
    }
}

unsafe extern "C" {
    // libssl (linked through openssl-sys), which does not bind this one.
    fn SSL_renegotiate(s: *mut openssl_sys::SSL) -> std::os::raw::c_int;
}

#[test]
fn renegotiation_is_refused_and_the_connection_stays_up() {
    use foreign_types::ForeignTypeRef;
    for ours_is_client in [true, false] {
        let mut p = in_memory_pair(
            CipherSuite::EcdhePskWithAes128CbcSha256,
            ours_is_client,
            false,
        );
        while p.ours.poll_event().is_some() {}
        // OpenSSL starts a renegotiation: a HelloRequest from a server, a new
        // ClientHello (in epoch 1) from a client.
        let ptr = p.stream.ssl().as_ptr();
        // SAFETY: `ptr` is the live SSL of `p.stream`, used on this thread only.
        unsafe {
            assert_eq!(SSL_renegotiate(ptr), 1);
            // A server returns at once after its HelloRequest; a client waits.
            openssl_sys::SSL_do_handshake(ptr);
        }
        assert!(
            !p.from_openssl.lock().unwrap().is_empty(),
            "OpenSSL sent its request"
        );
        let answer = p.deliver_openssl_output();
        assert!(p.ours.is_connected(), "ours_is_client={ours_is_client}");
        assert_eq!(p.ours.poll_event(), None, "no event, no failure");
        // Our answer is one encrypted (epoch 1) alert record: no_renegotiation.
        assert_eq!(answer.len(), 1);
        let recs = ocf_mediator::dtls::record::parse_datagram(&answer[0]);
        assert_eq!(
            (recs.len(), recs[0].content_type, recs[0].epoch),
            (1, 21, 1)
        );
        p.to_openssl.lock().unwrap().extend(answer);
        // We can still send; OpenSSL decrypts our alert and gives up its renegotiation
        // with "no renegotiation", which proves the alert is well formed.
        p.ours.send(b"still up").unwrap();
        let d = p.ours.poll_transmit().unwrap();
        p.to_openssl.lock().unwrap().push_back(d);
        let mut buf = [0u8; 64];
        let err = p.stream.ssl_read(&mut buf).unwrap_err();
        assert!(format!("{err:?}").contains("no renegotiation"), "{err:?}");
    }
}
