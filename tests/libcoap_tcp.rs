//! libcoap (Debian `libcoap3-bin`, 4.3) as an independent peer of our CoAP
//! over TCP (RFC 8323) and over TCP + TLS, in both directions, with
//! representations larger than the peer's Max-Message-Size (libcoap's `-X`)
//! so that block-wise transfers happen.
//!
//! - `coap-client-openssl` against our server (`net::coap_tcp::serve` with a
//!   small handler): a 5000-byte GET comes back whole through Block2 slices
//!   that fit libcoap's `-X 300`; a 5000-byte PUT reaches our handler whole
//!   through libcoap's Block1 parts. libcoap 4.3.1's client holds its
//!   requests until the server's CSM arrives (without one it logs "timeout
//!   waiting for first response" and never sends), so this server sends its
//!   CSM; so does our client against libcoap's server, which likewise
//!   serves nothing before the client's CSM. The mirror image of the real
//!   OCF device, which sends none and breaks when a CSM comes first: our
//!   CSM is a switch, on only here (and in `cloud_gateway`'s `--csm` test).
//! - Our client (`ClientSession`) against `coap-server-openssl -X 300`: it
//!   reads libcoap's CSM first (libcoap closes a connection on a message
//!   above its limit, even one sent before its CSM could be read), then a
//!   5000-byte PUT of `/example_data` goes in Block1 parts that fit 300
//!   bytes, and the GET of it comes back whole through libcoap's Block2.
//!
//! A missing libcoap is a failure that names `scripts/setup.sh`.

mod common;

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use ocf_mediator::coap::server::Reply;
use ocf_mediator::coap::tcp::{IncomingRequest, TcpConfig};
use ocf_mediator::coap::{Code, OptionNumber, Request};
use ocf_mediator::net::coap_tcp::{ClientSession, ClientTls, PeerInfo, RequestHandler, serve};
use ocf_mediator::net::tls::{ClientCertPolicy, anchored_client_config, server_config};
use ocf_mediator::sim::cloud::ca::{CloudCa, Leaf};

const CLIENT: &str = "coap-client-openssl";
const SERVER: &str = "coap-server-openssl";

fn require_libcoap() {
    common::require(&[CLIENT, SERVER], "libcoap3-bin");
}

/// 10-byte records naming their own offset: a lost or repeated block shows.
fn numbered(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 10);
    while out.len() < len {
        out.extend_from_slice(format!("{:09}\n", out.len()).as_bytes());
    }
    out.truncate(len);
    out
}

/// Our test server's resources: GET /big (5000 bytes), PUT /store.
struct Resources {
    stored: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl RequestHandler for Resources {
    type Session = ();

    fn open(&self, _peer: &PeerInfo) {}

    async fn handle(&self, _session: &mut (), request: &IncomingRequest) -> Reply {
        match (request.path().as_str(), request.code()) {
            ("/big", Code::GET) => {
                let mut reply = Reply::new(Code::CONTENT);
                reply.options.set_uint(OptionNumber::CONTENT_FORMAT, 0);
                reply.payload = numbered(5000);
                reply
            }
            ("/store", Code::PUT | Code::POST) => {
                self.stored
                    .lock()
                    .unwrap()
                    .push(request.frame.payload.clone());
                Reply::new(Code::CHANGED)
            }
            _ => Reply::new(Code::NOT_FOUND),
        }
    }
}

/// Our server on a thread of its own; stops when dropped.
struct OurServer {
    port: u16,
    stored: Arc<Mutex<Vec<Vec<u8>>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl OurServer {
    fn start(tls: Option<&Leaf>) -> OurServer {
        let stored = Arc::new(Mutex::new(Vec::new()));
        let tls = tls.map(|leaf| {
            server_config(&leaf.chain, &leaf.key_pkcs8, &ClientCertPolicy::None).unwrap()
        });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (port_tx, port_rx) = std::sync::mpsc::channel();
        let handler = Arc::new(Resources {
            stored: stored.clone(),
        });
        std::thread::spawn(move || {
            let runtime = ocf_mediator::net::runtime().unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                port_tx.send(listener.local_addr().unwrap().port()).unwrap();
                let config = TcpConfig {
                    send_csm: true,
                    // Announced in our CSM: larger PUTs come block-wise.
                    max_message_size: 1152,
                    ..TcpConfig::default()
                };
                serve(listener, tls, config, handler, async {
                    let _ = stopped.await;
                })
                .await;
            });
        });
        OurServer {
            port: port_rx.recv().unwrap(),
            stored,
            stop: Some(stop),
        }
    }
}

impl Drop for OurServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// A CA and a server certificate as PEM files, for libcoap.
struct Pki {
    ca: CloudCa,
    leaf: Leaf,
    dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Pki {
        let ca = CloudCa::generate("libcoap interop CA").unwrap();
        let leaf = ca
            .leaf("uuid:5f9e3b0c-8e1f-4a7e-9c51-2a4f0e6b7d10")
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), &ca.cert_pem).unwrap();
        std::fs::write(
            dir.path().join("cert.pem"),
            pem("CERTIFICATE", &leaf.chain[0]),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("key.pem"),
            pem("PRIVATE KEY", &leaf.key_pkcs8),
        )
        .unwrap();
        Pki { ca, leaf, dir }
    }

    fn file(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_owned()
    }

    fn client_tls(&self) -> ClientTls {
        ClientTls {
            config: anchored_client_config(std::slice::from_ref(&self.ca.cert_der)).unwrap(),
            note: None,
        }
    }
}

/// Runs coap-client; returns (stdout bytes written to -o, stderr log).
fn libcoap_client(args: &[&str], uri: &str) -> (Vec<u8>, String) {
    let out = tempfile::NamedTempFile::new().unwrap();
    let output = Command::new(CLIENT)
        .args(["-B", "10", "-v", "7", "-o"])
        .arg(out.path())
        .args(args)
        .arg(uri)
        .stdin(Stdio::null())
        .output()
        .expect("run coap-client-openssl");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (std::fs::read(out.path()).unwrap_or_default(), log)
}

#[test]
fn libcoap_client_gets_a_large_representation_in_blocks_that_fit_its_max_message_size() {
    require_libcoap();
    let pki = Pki::new();
    for tls in [false, true] {
        let server = OurServer::start(tls.then_some(&pki.leaf));
        let uri = if tls {
            format!("coaps+tcp://127.0.0.1:{}/big", server.port)
        } else {
            format!("coap+tcp://127.0.0.1:{}/big", server.port)
        };
        let ca = pki.file("ca.pem");
        let mut args = vec!["-X", "300"];
        if tls {
            args.extend(["-R", ca.as_str()]);
        }
        let (body, log) = libcoap_client(&args, &uri);
        assert_eq!(body, numbered(5000), "tls {tls}; libcoap said:\n{log}");
        // Every response libcoap received was a Block2 slice within 300 bytes.
        let received: Vec<usize> = log
            .lines()
            .filter_map(|l| l.split("received ").nth(1)?.split(' ').next()?.parse().ok())
            .collect();
        assert!(!received.is_empty(), "{log}");
        assert!(received.iter().all(|n| *n <= 300), "{received:?}\n{log}");
        assert!(log.contains("Block2:"), "{log}");
    }
}

#[test]
fn libcoap_client_puts_a_large_body_block_wise_to_our_server() {
    require_libcoap();
    let pki = Pki::new();
    for tls in [false, true] {
        let server = OurServer::start(tls.then_some(&pki.leaf));
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), numbered(5000)).unwrap();
        let scheme = if tls { "coaps+tcp" } else { "coap+tcp" };
        let uri = format!("{scheme}://127.0.0.1:{}/store", server.port);
        let ca = pki.file("ca.pem");
        let path = file.path().to_str().unwrap().to_owned();
        let mut args = vec!["-m", "put", "-f", path.as_str()];
        if tls {
            args.extend(["-R", ca.as_str()]);
        }
        let (_, log) = libcoap_client(&args, &uri);
        assert!(log.contains("Block1:"), "libcoap went block-wise: {log}");
        let stored = server.stored.lock().unwrap().clone();
        assert_eq!(
            stored,
            vec![numbered(5000)],
            "tls {tls}; libcoap said:\n{log}"
        );
    }
}

/// A coap-server-openssl on 127.0.0.1 (TCP on `port`, TLS on `port + 1`).
struct LibcoapServer {
    child: Child,
    port: u16,
}

impl LibcoapServer {
    fn start(pki: &Pki) -> LibcoapServer {
        for _ in 0..5 {
            let port = oidc_free_port();
            let child = Command::new(SERVER)
                .args(["-A", "127.0.0.1", "-p", &port.to_string(), "-X", "300"])
                .args(["-c", &pki.file("cert.pem"), "-j", &pki.file("key.pem")])
                .args(["-C", &pki.file("ca.pem"), "-n"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start coap-server-openssl");
            let mut server = LibcoapServer { child, port };
            let up = common::wait_until(Duration::from_secs(5), || {
                std::net::TcpStream::connect(("127.0.0.1", port + 1)).is_ok()
            });
            if up && server.child.try_wait().unwrap().is_none() {
                return server;
            }
        }
        panic!("coap-server-openssl did not start");
    }
}

impl Drop for LibcoapServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Two free TCP ports in a row (libcoap takes port and port + 1).
fn oidc_free_port() -> u16 {
    for _ in 0..100 {
        let first = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = first.local_addr().unwrap().port();
        if port < u16::MAX && std::net::TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
    panic!("no two free ports in a row");
}

#[test]
fn our_client_puts_and_gets_block_wise_with_libcoaps_server() {
    require_libcoap();
    let pki = Pki::new();
    let server = LibcoapServer::start(&pki);
    let runtime = ocf_mediator::net::runtime().unwrap();
    for tls in [false, true] {
        runtime.block_on(async {
            let (port, tls_config) = if tls {
                (server.port + 1, Some(pki.client_tls()))
            } else {
                (server.port, None)
            };
            let mut session = ClientSession::connect(
                ([127, 0, 0, 1], port).into(),
                tls_config.as_ref(),
                // libcoap's server, too, serves nothing before our CSM.
                TcpConfig {
                    send_csm: true,
                    ..TcpConfig::default()
                },
                Duration::from_secs(5),
            )
            .await
            .unwrap_or_else(|e| panic!("connect (tls {tls}): {e}"));
            // libcoap's server sends its CSM first; its -X 300 applies from then.
            assert!(session.await_capabilities(Duration::from_secs(5)).await);
            let body = numbered(5000 + usize::from(tls));
            let mut put = Request::new(Code::PUT, "/example_data");
            put.options.set_uint(OptionNumber::CONTENT_FORMAT, 0);
            put.payload = body.clone();
            let answer = session.request(put).await.unwrap();
            assert!(answer.code.is_success(), "PUT answered {}", answer.code);
            assert_eq!(
                session.connection().peer_max_message_size(),
                300,
                "libcoap's CSM announced -X 300"
            );
            let answer = session
                .request(Request::get("/example_data"))
                .await
                .unwrap();
            assert_eq!(answer.code, Code::CONTENT);
            assert_eq!(answer.payload, body, "tls {tls}");
            session.close().await;
        });
    }
}
