//! Identity certificates (issue 14): a device's CSR signed by the hub's
//! certificate authority or the mediator's own CA, written to the device
//! with its CA as a trust anchor, used by the device for cloud TLS and by
//! the mediator for owner sessions over the certificate suites.
//!
//! Real peers: `ocf-devsim lab` (a cloud that requires client certificates,
//! as a plgd hub does, with its OAuth server and signing endpoint), the
//! simulated device (as strict as iotivity-lite about certificates),
//! gnome-keyring (the KEK that seals the local CA's key), and OpenSSL,
//! which verifies what the devices were given.

mod common;
#[path = "common/lab.rs"]
mod lab;
#[path = "common/oidc.rs"]
mod oidc;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, SystemTime};

use common::{DevSim, Run};
use lab::LabProcess;
use oidc::Home;
use serde_json::Value;

/// A station logged in to a lab's hub as a factory line: the lab's cloud
/// requires client certificates.
struct Station {
    lab: LabProcess,
    home: Home,
}

impl Station {
    fn start(devices: usize) -> Station {
        Station::start_with(&[], devices)
    }

    /// As [`Station::start`], the lab started with `lab_args` too.
    fn start_with(lab_args: &[&str], devices: usize) -> Station {
        let count = devices.to_string();
        let mut args = vec!["--devices", &count];
        args.extend_from_slice(lab_args);
        let lab = LabProcess::start(&args);
        let home = Home::new();
        let login = home.run_with_stdin(
            &[
                "--json",
                "login",
                "--hub",
                &lab.hub(),
                "--client-credentials",
                "--client-secret-stdin",
            ],
            &lab.text("m2m_client_secret"),
        );
        assert_eq!(login.code, 0, "login: {}", login.stderr);
        Station { lab, home }
    }

    fn run(&self, args: &[&str]) -> Run {
        self.home.run(args)
    }

    /// `provision --batch` of the lab's devices with `extra`: the records.
    fn provision(&self, extra: &[&str]) -> Vec<Value> {
        let file = self.lab.text("devices_file");
        let mut args = vec!["--json", "--no-input", "provision", "--batch", &file];
        args.extend_from_slice(extra);
        let run = self.run(&args);
        assert!(
            run.code == 0 || run.code == 7,
            "{}\n{}",
            run.stdout,
            run.stderr
        );
        run.json_lines()
    }

    /// The lab's cloud events named `name`.
    fn events(&self, name: &str) -> Vec<Value> {
        self.lab
            .events()
            .into_iter()
            .filter(|e| e["event"] == name)
            .collect()
    }
}

/// A resource of a device we own, over its owner session (`extra`: more
/// flags, e.g. --owner-cert).
fn get(home: &Home, di: &str, href: &str, extra: &[&str]) -> Value {
    let mut args = vec!["--json", "get", di, href];
    args.extend_from_slice(extra);
    let run = home.run(&args);
    assert_eq!(run.code, 0, "GET {href}: {}", run.stderr);
    run.json()["representation"].clone()
}

/// The device's certificate credentials with `usage`, as it lists them.
fn certs(home: &Home, di: &str, usage: &str) -> Vec<Value> {
    get(home, di, "/oic/sec/cred", &[])["creds"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["credtype"] == 8 && c["credusage"] == usage)
        .cloned()
        .collect()
}

fn pem_of(cred: &Value) -> String {
    cred["publicdata"]["data"].as_str().unwrap().to_owned()
}

fn devices(home: &Home) -> Vec<Value> {
    let run = home.run(&["--json", "devices"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.json_lines()
}

/// OpenSSL's view of a certificate chain (PEM, leaf first) against a trust
/// anchor: `verify` with the CAs after the leaf as untrusted
/// intermediates, and the leaf's subject and extensions.
fn openssl_verify(dir: &Path, chain_pem: &str, anchor_pem: &str) -> (bool, String) {
    let blocks: Vec<String> = chain_pem
        .split_inclusive("-----END CERTIFICATE-----")
        .filter(|b| b.contains("BEGIN CERTIFICATE"))
        .map(|b| format!("{}\n", b.trim()))
        .collect();
    assert!(!blocks.is_empty(), "no certificate in {chain_pem:?}");
    let leaf = dir.join("leaf.pem");
    let rest = dir.join("rest.pem");
    let anchor = dir.join("anchor.pem");
    std::fs::write(&leaf, &blocks[0]).unwrap();
    std::fs::write(&rest, blocks[1..].concat()).unwrap();
    std::fs::write(&anchor, anchor_pem).unwrap();
    let mut verify = Command::new("openssl");
    verify
        .arg("verify")
        .arg("-purpose")
        .arg("sslclient")
        .arg("-CAfile")
        .arg(&anchor);
    if blocks.len() > 1 {
        verify.arg("-untrusted").arg(&rest);
    }
    let verified = verify
        .arg(&leaf)
        .output()
        .expect("openssl (run scripts/setup.sh to install it)");
    let shown = Command::new("openssl")
        .args(["x509", "-noout", "-subject", "-enddate", "-ext"])
        .arg("keyUsage,extendedKeyUsage,basicConstraints")
        .arg("-in")
        .arg(&leaf)
        .output()
        .expect("openssl (run scripts/setup.sh to install it)");
    (
        verified.status.success(),
        format!(
            "{}{}{}",
            String::from_utf8_lossy(&verified.stdout),
            String::from_utf8_lossy(&verified.stderr),
            String::from_utf8_lossy(&shown.stdout)
        ),
    )
}

/// OpenSSL's view of a certificate signing request (PEM): whether its
/// signature verifies with its own key, and that key (PEM).
fn openssl_csr(dir: &Path, csr_pem: &str) -> (bool, String) {
    let csr = dir.join("csr.pem");
    std::fs::write(&csr, csr_pem).unwrap();
    let checked = Command::new("openssl")
        .args(["req", "-verify", "-noout", "-pubkey", "-in"])
        .arg(&csr)
        .output()
        .expect("openssl (run scripts/setup.sh to install it)");
    (
        checked.status.success(),
        String::from_utf8_lossy(&checked.stdout).into_owned(),
    )
}

/// A certificate's public key (PEM), as OpenSSL reads it.
fn openssl_pubkey(dir: &Path, cert_pem: &str) -> String {
    let cert = dir.join("cert.pem");
    std::fs::write(&cert, cert_pem).unwrap();
    let shown = Command::new("openssl")
        .args(["x509", "-noout", "-pubkey", "-in"])
        .arg(&cert)
        .output()
        .expect("openssl (run scripts/setup.sh to install it)");
    assert!(shown.status.success(), "{cert_pem}");
    String::from_utf8_lossy(&shown.stdout).into_owned()
}

/// Days from now until an RFC 3339 time.
fn days_until(rfc3339: &str) -> f64 {
    let t = humantime::parse_rfc3339(rfc3339).unwrap();
    t.duration_since(SystemTime::now()).unwrap().as_secs_f64() / 86400.0
}

#[test]
fn hub_signed_certificates_let_devices_register_with_a_cloud_that_requires_them() {
    let station = Station::start(2);
    // The profile's hub names a certificate authority: hub is the default.
    let records = station.provision(&[]);
    let mut owned = Vec::new();
    for record in &records {
        assert_eq!(record["ok"], true, "{record}");
        assert_eq!(record["cps"], "registered", "{record}");
        owned.push(record["di"].as_str().unwrap().to_owned());
    }
    station.lab.wait_registered(&owned, Duration::from_secs(10));
    // The hub signed each device's new UUID, and refused nothing.
    let signed: Vec<String> = station
        .events("sign")
        .iter()
        .map(|e| e["di"].as_str().unwrap().to_owned())
        .collect();
    for di in &owned {
        assert!(signed.contains(di), "{di} not signed: {signed:?}");
    }
    assert!(station.events("refused").is_empty());
    let owner = get(&station.home, &owned[0], "/oic/sec/doxm", &[])["devowneruuid"]
        .as_str()
        .unwrap()
        .to_owned();
    let dir = tempfile::tempdir().unwrap();
    for di in &owned {
        // One identity certificate for the device, and its CA trusted for
        // this mediator; OpenSSL verifies the one against the other.
        let identity = certs(&station.home, di, "oic.sec.cred.cert");
        assert_eq!(identity.len(), 1, "{identity:?}");
        assert_eq!(identity[0]["subjectuuid"], di.as_str());
        let anchors: Vec<Value> = certs(&station.home, di, "oic.sec.cred.trustca")
            .into_iter()
            .filter(|c| c["subjectuuid"] == owner.as_str())
            .collect();
        assert_eq!(anchors.len(), 1, "{anchors:?}");
        // The chain leaves out the CA written beside it as the anchor.
        let chain = pem_of(&identity[0]);
        assert_eq!(chain.matches("BEGIN CERTIFICATE").count(), 1, "{chain}");
        assert!(!chain.contains(pem_of(&anchors[0]).trim()), "{chain}");
        let (ok, said) = openssl_verify(dir.path(), &chain, &pem_of(&anchors[0]));
        assert!(ok, "{said}");
        assert!(said.contains(&format!("CN = uuid:{di}")), "{said}");
        assert!(said.contains("1.3.6.1.4.1.44924.1.6"), "{said}");
        // The device's CSR (signed with its key made at manufacture) is
        // one OpenSSL verifies, for the key its certificate holds.
        let csr = get(&station.home, di, "/oic/sec/csr", &[]);
        let (verified, csr_key) = openssl_csr(dir.path(), csr["csr"].as_str().unwrap());
        assert!(verified, "{csr}");
        assert_eq!(csr_key, openssl_pubkey(dir.path(), &pem_of(&identity[0])));
    }
    // `devices` says when each certificate expires.
    for device in devices(&station.home) {
        let expiry = device["cert_not_after"]
            .as_str()
            .unwrap_or_else(|| panic!("{device}"));
        assert!(days_until(expiry) > 1.0, "{device}");
    }
    let table = station.run(&["devices"]);
    assert!(table.stdout.contains("CERT EXPIRES"), "{}", table.stdout);
    // An owner session over the certificate suites: the hub signs the
    // mediator's own certificate (CN uuid:<owner>) on first use.
    get(&station.home, &owned[0], "/oic/d", &["--owner-cert"]);
    let mediator_signed = station.events("sign");
    assert!(
        mediator_signed.iter().any(|e| e["di"] == owner.as_str()),
        "{mediator_signed:?}"
    );
    // Renewed by the signer on record, the hub of the profile.
    let renewed = station.run(&["--json", "cert", "renew", &owned[0]]);
    assert_eq!(renewed.code, 0, "{}", renewed.stderr);
    let answer = renewed.json();
    assert_eq!(
        (answer["cert_signer"].as_str(), answer["replaced"].as_u64()),
        (Some("hub:default"), Some(1)),
        "{answer}"
    );
    assert_eq!(
        certs(&station.home, &owned[0], "oic.sec.cred.cert").len(),
        1
    );
}

#[test]
fn without_a_certificate_the_cloud_refuses_the_device_and_cloud_status_says_why() {
    let station = Station::start(1);
    let records = station.provision(&["--identity-cert", "none", "--wait", "configured"]);
    assert_eq!(records[0]["ok"], true, "{}", records[0]);
    let di = records[0]["di"].as_str().unwrap().to_owned();
    // The cloud refuses the handshake without a client certificate.
    let refused = station.lab.events();
    let done = common::wait_until(Duration::from_secs(10), || {
        !station.events("refused").is_empty()
    });
    assert!(done, "no refusal: {refused:?}");
    let status = station.run(&["--json", "cloud", "status", &di, "--wait", "registered"]);
    assert_ne!(status.code, 0, "{}", status.stdout);
    // It failed to register: `cloud status` exits as provision would (4,
    // the cloud could not be reached), and says it lacks a certificate.
    let text = station.run(&["cloud", "status", &di]);
    assert_eq!(text.code, 4, "{}", text.stderr);
    assert!(text.stdout.contains("failed"), "{}", text.stdout);
    assert!(
        text.stdout.contains("no identity certificate")
            && text.stdout.contains(&format!("cert issue {di}")),
        "{}",
        text.stdout
    );
    let json = station.run(&["--json", "cloud", "status", &di]);
    assert_eq!(json.json_lines()[0]["cert_not_after"], Value::Null);
    // Provisioned again (hub by default), it gets its certificate over an
    // owner session and registers.
    let again = station.provision(&[]);
    assert_eq!(again[0]["ok"], true, "{}", again[0]);
    assert_eq!(again[0]["cps"], "registered", "{}", again[0]);
    let steps: Vec<&str> = again[0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["locate", "certificate", "configure", "register"]);
}

#[test]
fn a_cloud_that_only_asks_for_a_certificate_registers_devices_with_and_without_one() {
    let station = Station::start_with(&["--optional-client-cert"], 2);
    for (device, mode) in station.lab.devices().iter().zip(["none", "hub"]) {
        let endpoint = device["endpoints"][0].as_str().unwrap();
        let args = [
            "--json",
            "--no-input",
            "provision",
            endpoint,
            "--identity-cert",
            mode,
        ];
        let run = station.run(&args);
        assert_eq!(run.code, 0, "{mode}: {}\n{}", run.stdout, run.stderr);
        let record = &run.json_lines()[0];
        assert_eq!(record["cps"], "registered", "{mode}: {record}");
    }
    assert!(
        station.events("refused").is_empty(),
        "{:?}",
        station.lab.events()
    );
}

#[test]
fn a_cloud_that_only_asks_for_a_certificate_still_refuses_one_from_another_ca() {
    let station = Station::start_with(&["--optional-client-cert"], 1);
    let endpoint = station.lab.devices()[0]["endpoints"][0]
        .as_str()
        .unwrap()
        .to_owned();
    // The mediator's own CA signs it: the cloud does not know that CA.
    let args = [
        "--json",
        "--no-input",
        "provision",
        &endpoint,
        "--identity-cert",
        "local",
    ];
    let run = station.run(&args);
    assert_ne!(run.code, 0, "{}", run.stdout);
    let record = &run.json_lines()[0];
    assert_eq!(record["cps"], "failed", "{record}");
    assert!(
        !station.events("refused").is_empty(),
        "{:?}",
        station.lab.events()
    );
}

#[test]
fn a_local_ca_issues_certificates_that_verify_and_open_owner_sessions_over_0xc0ae() {
    let home = Home::new();
    let sim = DevSim::start(&["--count", "2"]);
    let run = home.run(&[
        "--json",
        "own",
        &sim.address(0),
        "--identity-cert",
        "local",
        "--cert-lifetime",
        "30d",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let owned = run.json();
    let di = owned["di"].as_str().unwrap().to_owned();
    assert_eq!(owned["cert_signer"], "local", "{owned}");
    let days = days_until(owned["cert_not_after"].as_str().unwrap());
    assert!((29.9..30.1).contains(&days), "{owned}");
    // The chain the device holds verifies against the trust anchor it holds
    // for this mediator, which is the CA `cert ca` exports.
    let ca = home.run(&["cert", "ca"]);
    assert_eq!(ca.code, 0, "{}", ca.stderr);
    let identity = certs(&home, &di, "oic.sec.cred.cert");
    let anchors = certs(&home, &di, "oic.sec.cred.trustca");
    assert_eq!((identity.len(), anchors.len()), (1, 1));
    assert_eq!(pem_of(&anchors[0]).trim(), ca.stdout.trim());
    let dir = tempfile::tempdir().unwrap();
    let (ok, said) = openssl_verify(dir.path(), &pem_of(&identity[0]), &pem_of(&anchors[0]));
    assert!(ok, "{said}");
    assert!(said.contains("1.3.6.1.4.1.44924.1.6"), "{said}");
    assert!(said.contains("Digital Signature, Key Agreement"), "{said}");
    assert!(said.contains("CA:FALSE"), "{said}");
    // An owner session over the certificate suites, both sides showing
    // their identity certificates.
    let run = home.run(&["-v", "--json", "get", &di, "/oic/sec/doxm", "--owner-cert"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("DTLS session with TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8 (owner session)"),
        "{}",
        run.stderr
    );
    assert_eq!(run.json()["representation"]["deviceuuid"], di.as_str());
    // A device without a certificate from us has no such session.
    let plain = home.run(&["--json", "own", &sim.address(1), "--identity-cert", "none"]);
    assert_eq!(plain.code, 0, "{}", plain.stderr);
    let other = plain.json()["di"].as_str().unwrap().to_owned();
    let refused = home.run(&["get", &other, "/oic/d", "--owner-cert"]);
    assert_eq!(refused.code, 3, "{}", refused.stderr);
    assert!(refused.stderr.contains("cert issue"), "{}", refused.stderr);
    // `cert issue` gives it one; the table lists both expiries.
    let issued = home.run(&["--json", "cert", "issue", &other, "--signer", "local"]);
    assert_eq!(issued.code, 0, "{}", issued.stderr);
    assert_eq!(issued.json()["cert_signer"], "local");
    let expiries: Vec<Value> = devices(&home)
        .iter()
        .map(|d| d["cert_not_after"].clone())
        .collect();
    assert!(expiries.iter().all(Value::is_string), "{expiries:?}");
    get(&home, &other, "/oic/d", &["--owner-cert"]);
}

#[test]
fn the_local_ca_s_key_is_sealed_under_the_keyring_s_key_and_useless_without_it() {
    let home = Home::new();
    let sim = DevSim::start(&[]);
    let run = home.run(&["--json", "own", &sim.address(0), "--identity-cert", "local"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The keyring holds one secret of the store, its KEK; no item of the CA.
    let accounts = home.home.secret_accounts();
    assert!(
        accounts.iter().all(|a| a.starts_with("kek/")),
        "{accounts:?}"
    );
    // No file holds a private key in the clear, and the store's row holds
    // it sealed: not a PKCS#8 key.
    let state = home.home.state_dir();
    for entry in std::fs::read_dir(&state).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("PRIVATE KEY"), "a key in the clear");
    }
    let db = rusqlite::Connection::open(state.join("store.sqlite3")).unwrap();
    let sealed: Vec<u8> = db
        .query_row(
            "SELECT sealed_key FROM credentials WHERE name = 'local-ca'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    drop(db);
    use p256::pkcs8::DecodePrivateKey;
    assert!(p256::SecretKey::from_pkcs8_der(&sealed).is_err());
    assert!(
        !sealed
            .windows(7)
            .any(|w| w == [0x30, 0x81, 0x87, 0x02, 0x01, 0x00, 0x30])
    );
    // The keyring loses the KEK: the CA's key is lost with it.
    home.home.forget_kek();
    let ca = home.run(&["cert", "ca"]);
    assert_ne!(ca.code, 0, "{}", ca.stdout);
    assert!(ca.stderr.contains("key-encryption key"), "{}", ca.stderr);
}

/// A CSR a device got wrong is refused before anything is signed: the hub
/// never hears of it, and the device is given nothing.
fn refused_before_signing(fault: &str, says: &str) {
    let station = Station::start(1);
    let sim = DevSim::start(&["--csr-fault", fault]);
    let run = station.run(&["--json", "own", &sim.address(0), "--identity-cert", "none"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let di = run.json()["di"].as_str().unwrap().to_owned();
    let issue = station.run(&["cert", "issue", &di, "--signer", "hub"]);
    assert_eq!(issue.code, 1, "{}", issue.stderr);
    assert!(issue.stderr.contains(says), "{}", issue.stderr);
    assert!(
        issue.stderr.contains("nothing was signed"),
        "{}",
        issue.stderr
    );
    assert!(station.events("sign").is_empty());
    assert!(station.events("refused").is_empty());
    assert!(certs(&station.home, &di, "oic.sec.cred.cert").is_empty());
    assert_eq!(devices(&station.home)[0]["cert_not_after"], Value::Null);
    // Owning with a certificate leaves such a device unowned.
    let other = DevSim::start(&["--csr-fault", fault]);
    let own = station.run(&["own", &other.address(0), "--identity-cert", "hub"]);
    assert_ne!(own.code, 0, "{}", own.stdout);
    assert!(own.stderr.contains(says), "{}", own.stderr);
    assert!(own.stderr.contains("reset"), "{}", own.stderr);
    let unowned = common::wait_until(Duration::from_secs(10), || {
        let doxm = common::mediator(&["--json", "get", &other.address(0), "/oic/sec/doxm"]);
        doxm.code == 0 && doxm.json()["representation"]["owned"] == false
    });
    assert!(unowned, "the device is not back unowned");
    assert!(station.events("sign").is_empty());
}

#[test]
fn a_csr_for_another_uuid_is_refused_before_signing() {
    refused_before_signing("subject", "not uuid:");
}

#[test]
fn a_csr_with_a_p384_key_is_refused_before_signing() {
    refused_before_signing("p384", "not a P-256 key (curve P-384)");
}

#[test]
fn a_csr_whose_signature_does_not_verify_is_refused_before_signing() {
    refused_before_signing("signature", "signature does not verify");
}

#[test]
fn renew_replaces_the_certificate_and_only_when_asked_or_due() {
    let home = Home::new();
    let sim = DevSim::start(&[]);
    let run = home.run(&[
        "--json",
        "own",
        &sim.address(0),
        "--identity-cert",
        "local",
        "--cert-lifetime",
        "10d",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let di = run.json()["di"].as_str().unwrap().to_owned();
    let before = pem_of(&certs(&home, &di, "oic.sec.cred.cert")[0]);
    // Not due within a day: left alone.
    let skipped = home.run(&["--json", "cert", "renew", &di, "--within", "1d"]);
    assert_eq!(skipped.code, 0, "{}", skipped.stderr);
    assert_eq!(skipped.json()["renewed"], false);
    assert_eq!(pem_of(&certs(&home, &di, "oic.sec.cred.cert")[0]), before);
    // Due within 30 days: renewed, for the lifetime asked, replacing the old.
    let renewed = home.run(&[
        "--json",
        "cert",
        "renew",
        &di,
        "--within",
        "30d",
        "--cert-lifetime",
        "90d",
    ]);
    assert_eq!(renewed.code, 0, "{}", renewed.stderr);
    let answer = renewed.json();
    assert_eq!(answer["renewed"], true);
    assert_eq!(answer["replaced"], 1, "{answer}");
    assert!(days_until(answer["cert_not_after"].as_str().unwrap()) > 89.0);
    let identity = certs(&home, &di, "oic.sec.cred.cert");
    assert_eq!(identity.len(), 1, "{identity:?}");
    assert_ne!(pem_of(&identity[0]), before);
    // The same CA: its trust anchor is not written twice.
    assert_eq!(certs(&home, &di, "oic.sec.cred.trustca").len(), 1);
    get(&home, &di, "/oic/d", &["--owner-cert"]);
    // A device without a certificate from us has nothing to renew.
    let bare = DevSim::start(&[]);
    let run = home.run(&["--json", "own", &bare.address(0), "--identity-cert", "none"]);
    let other = run.json()["di"].as_str().unwrap().to_owned();
    let nothing = home.run(&["cert", "renew", &other]);
    assert_eq!(nothing.code, 3, "{}", nothing.stderr);
    assert!(nothing.stderr.contains("cert issue"), "{}", nothing.stderr);
}
