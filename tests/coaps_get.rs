//! `ocf-mediator get coaps://…` through our DTLS engine against libcoap's
//! `coap-server-openssl` (OpenSSL's DTLS): PSK, and certificates with mutual
//! authentication. Keys come from stdin, never from argv.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{Run, mediator};
use ocf_mediator::ocf::credentials::{psk_from_hex, psk_identity};

const SERVER: &str = "coap-server-openssl";
const PSK: &str = "ocf-mediator test key";

/// libcoap's DTLS server; coaps on port+1. Killed on drop.
struct CoapsServer {
    child: Child,
    port: u16,
}

impl Drop for CoapsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl CoapsServer {
    fn start(args: &[&str]) -> CoapsServer {
        let port = loop {
            let p = common::free_udp_port();
            if p < 65000 && std::net::UdpSocket::bind(("127.0.0.1", p + 1)).is_ok() {
                break p;
            }
        };
        let child = Command::new(SERVER)
            .args(["-A", "127.0.0.1", "-p", &port.to_string()])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start coap-server-openssl");
        // Ready once its plain port answers.
        let ready = common::wait_until(Duration::from_secs(5), || {
            mediator(&[
                "get",
                &format!("127.0.0.1:{port}"),
                "/time",
                "--timeout",
                "200ms",
            ])
            .code
                == 0
        });
        assert!(ready, "coap-server-openssl did not start");
        CoapsServer { child, port }
    }

    fn uri(&self) -> String {
        format!("coaps://127.0.0.1:{}", self.port + 1)
    }
}

/// libcoap's DTLS server and the openssl tool (for the test PKI), or a
/// failure naming the set-up step.
fn require_tools() {
    common::require(&[SERVER], "libcoap3-bin");
    common::require(&["openssl"], "openssl");
}

/// Runs the mediator with `stdin` piped in.
fn mediator_with_stdin(args: &[&str], stdin: &str) -> Run {
    let mut child = common::mediator_command(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn psk_session_with_libcoap() {
    require_tools();
    let server = CoapsServer::start(&["-k", PSK]);
    let run = mediator_with_stdin(
        &[
            "--json",
            "-v",
            "get",
            &server.uri(),
            "/time",
            "--psk-identity",
            "client",
            "--psk-stdin",
        ],
        &format!("{}\n", hex(PSK.as_bytes())),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let line = run.json();
    assert_eq!(line["code"], "2.05");
    assert_eq!(line["endpoint"], server.uri());
    assert!(!line["representation"].as_str().unwrap().is_empty());
    // libcoap's DTLS takes PSK-AES128-CCM8, not ECDHE-PSK-AES128-CBC-SHA256.
    assert!(
        run.stderr.contains("TLS_PSK_WITH_AES_128_CCM_8"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains(&hex(PSK.as_bytes())),
        "the key never shows"
    );
}

#[test]
fn a_wrong_psk_fails_without_an_answer() {
    require_tools();
    let server = CoapsServer::start(&["-k", PSK]);
    let run = mediator_with_stdin(
        &[
            "get",
            &server.uri(),
            "/time",
            "--psk-identity",
            "client",
            "--psk-stdin",
            "--timeout",
            "3s",
        ],
        "00112233445566778899aabbccddeeff",
    );
    // OpenSSL drops our undecryptable Finished silently, as mbedTLS devices
    // do: heard but never confirmed means the key is wrong.
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(
        run.stderr.contains("DTLS handshake")
            && run.stderr.contains("not accepted")
            && run.stderr.contains("key"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
}

/// A P-256 CA, and a leaf for `name` with server and client EKUs, made by OpenSSL.
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Pki {
        let pki = Pki {
            dir: tempfile::tempdir().unwrap(),
        };
        pki.openssl(&[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            "ca.key",
        ]);
        pki.openssl(&[
            "req",
            "-x509",
            "-new",
            "-key",
            "ca.key",
            "-subj",
            "/CN=Test CA",
            "-days",
            "30",
            "-out",
            "ca.pem",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign",
        ]);
        std::fs::write(
            pki.path("leaf.ext"),
            "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n",
        )
        .unwrap();
        pki
    }

    fn leaf(&self, name: &str, cn: &str) -> (PathBuf, PathBuf) {
        let key = format!("{name}.key");
        let csr = format!("{name}.csr");
        let pem = format!("{name}.pem");
        self.openssl(&[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            &key,
        ]);
        self.openssl(&[
            "req",
            "-new",
            "-key",
            &key,
            "-subj",
            &format!("/CN={cn}"),
            "-out",
            &csr,
        ]);
        self.openssl(&[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "30",
            "-out",
            &pem,
            "-extfile",
            "leaf.ext",
        ]);
        (self.path(&pem), self.path(&key))
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn openssl(&self, args: &[&str]) {
        let status = Command::new("openssl")
            .args(args)
            .current_dir(self.dir.path())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "openssl {args:?}");
    }
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn certificate_session_with_mutual_authentication() {
    require_tools();
    let pki = Pki::new();
    let (server_cert, server_key) = pki.leaf("server", "uuid:11111111-2222-3333-4444-555555555555");
    let (client_cert, client_key) = pki.leaf("client", "uuid:aaaaaaaa-2222-3333-4444-555555555555");
    let ca = pki.path("ca.pem");
    let server = CoapsServer::start(&["-c", s(&server_cert), "-j", s(&server_key), "-C", s(&ca)]);
    let run = mediator(&[
        "-v",
        "get",
        &server.uri(),
        "/time",
        "--ca",
        s(&ca),
        "--cert",
        s(&client_cert),
        "--key",
        s(&client_key),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("TLS_ECDHE_ECDSA_WITH_AES_128_CCM"),
        "{}",
        run.stderr
    );
    assert!(!run.stdout.trim().is_empty());
}

#[test]
fn a_device_chain_outside_the_trust_anchors_is_an_authentication_failure() {
    require_tools();
    let pki = Pki::new();
    let other = Pki::new();
    let (server_cert, server_key) = pki.leaf("server", "uuid:11111111-2222-3333-4444-555555555555");
    let (client_cert, client_key) = pki.leaf("client", "uuid:aaaaaaaa-2222-3333-4444-555555555555");
    let server = CoapsServer::start(&[
        "-c",
        s(&server_cert),
        "-j",
        s(&server_key),
        "-C",
        s(&pki.path("ca.pem")),
    ]);
    let run = mediator(&[
        "get",
        &server.uri(),
        "/time",
        "--ca",
        s(&other.path("ca.pem")),
        "--cert",
        s(&client_cert),
        "--key",
        s(&client_key),
        "--timeout",
        "5s",
    ]);
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(run.stderr.contains("certificate"), "{}", run.stderr);
}

#[test]
fn credentials_are_checked_before_any_traffic() {
    let no_credentials = mediator(&["get", "coaps://127.0.0.1:5684", "/oic/d"]);
    assert_eq!(no_credentials.code, 2);
    assert!(
        no_credentials.stderr.contains("--psk-identity"),
        "{}",
        no_credentials.stderr
    );
    let not_hex = mediator_with_stdin(
        &[
            "get",
            "coaps://127.0.0.1:5684",
            "/oic/d",
            "--psk-identity",
            "x",
            "--psk-stdin",
        ],
        "zz",
    );
    assert_eq!(not_hex.code, 2, "{}", not_hex.stderr);
    let key_in_argv = mediator(&[
        "get",
        "coaps://127.0.0.1:5684",
        "/oic/d",
        "--psk-identity",
        "x",
    ]);
    assert_eq!(key_in_argv.code, 2, "--psk-identity requires --psk-stdin");
    let missing_file = mediator(&[
        "get",
        "coaps://127.0.0.1:5684",
        "/oic/d",
        "--ca",
        "/nonexistent.pem",
    ]);
    assert_eq!(missing_file.code, 2);
    assert!(
        missing_file.stderr.contains("/nonexistent.pem"),
        "{}",
        missing_file.stderr
    );
}

#[test]
fn psk_identities_and_keys_are_parsed_as_ocf_devices_expect() {
    assert_eq!(
        psk_identity("uuid:16007caf-c316-475f-7641-d6b36e64149a").unwrap(),
        [
            0x16, 0x00, 0x7c, 0xaf, 0xc3, 0x16, 0x47, 0x5f, 0x76, 0x41, 0xd6, 0xb3, 0x6e, 0x64,
            0x14, 0x9a
        ]
    );
    assert_eq!(
        psk_identity("oic.sec.doxm.rdp").unwrap(),
        b"oic.sec.doxm.rdp"
    );
    assert!(psk_identity("uuid:not-a-uuid").is_err());
    assert_eq!(
        psk_from_hex("a764dd0f\n").unwrap(),
        [0xa7, 0x64, 0xdd, 0x0f]
    );
    assert!(psk_from_hex("abc").is_err());
    assert!(psk_from_hex("").is_err());
}
