//! End to end on loopback, with real processes: oidc-provider, `ocf-devsim
//! cloud`, `ocf-devsim device` and `ocf-mediator` (own, login --hub, token,
//! update). The device is owned and configured over the owner session (pstat
//! RFPRO, the cloud ACE, the trust anchor, coapcloudconf, RFNOP) and
//! registers; failures are seen from both sides: the cloud's `refused` line,
//! the device's `cps`/`clec` and its log.

mod common;
#[path = "common/cloud.rs"]
mod kit;
#[path = "common/oidc.rs"]
mod oidc;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use kit::CloudProcess;
use oidc::{AUDIENCE, DEVICE_SECRET, Home, Oidc, play_user};
use serde_json::{Value, json};

/// A device simulator whose stderr (its log) goes to a file.
struct LoggedDevices {
    child: Child,
    devices: Vec<Value>,
    log: tempfile::NamedTempFile,
}

impl LoggedDevices {
    fn start(count: usize) -> LoggedDevices {
        let log = tempfile::NamedTempFile::new().unwrap();
        let mut child = Command::new(common::DEVSIM)
            .args([
                "device",
                "--json",
                "--listen",
                "127.0.0.1:0",
                "--no-multicast",
            ])
            .args(["--count", &count.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log.reopen().unwrap())
            .spawn()
            .expect("start ocf-devsim device");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let devices = (0..count)
            .map(|_| serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap())
            .collect();
        LoggedDevices {
            child,
            devices,
            log,
        }
    }

    fn address(&self, index: usize) -> String {
        let ep = self.devices[index]["endpoints"][0].as_str().unwrap();
        ep.trim_start_matches("coap://").to_owned()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }
}

impl Drop for LoggedDevices {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn own(home: &Home, devices: &LoggedDevices, index: usize) -> String {
    let run = home.run(&["--json", "own", &devices.address(index)]);
    assert_eq!(run.code, 0, "own: {}", run.stderr);
    run.json()["di"].as_str().unwrap().to_owned()
}

fn update(home: &Home, di: &str, href: &str, body: &Value) -> Value {
    let run = home.run_with_stdin(
        &["--json", "update", di, href, "--data", "-"],
        &body.to_string(),
    );
    assert_eq!(run.code, 0, "update {href}: {}", run.stderr);
    run.json()["representation"].clone()
}

/// FACTS §1.1 step 3, over the owner session: RFPRO, the cloud's ACE, its
/// trust anchor, the cloud configuration, RFNOP.
fn configure(home: &Home, di: &str, sid: &str, anchor_pem: &str, cis: &str, apn: &str, at: &str) {
    configure_with(home, di, sid, anchor_pem, cis, apn, at, None);
}

/// As [`configure`], with an identity certificate (PEM) for the device.
#[allow(clippy::too_many_arguments)]
fn configure_with(
    home: &Home,
    di: &str,
    sid: &str,
    anchor_pem: &str,
    cis: &str,
    apn: &str,
    at: &str,
    identity_pem: Option<&str>,
) {
    update(home, di, "/oic/sec/pstat", &json!({"dos": {"s": 2}}));
    if let Some(pem) = identity_pem {
        update(
            home,
            di,
            "/oic/sec/cred",
            &json!({"creds": [{"subjectuuid": di, "credtype": 8, "credusage": "oic.sec.cred.cert",
                "publicdata": {"data": pem, "encoding": "oic.sec.encoding.pem"}}]}),
        );
    }
    update(
        home,
        di,
        "/oic/sec/acl2",
        &json!({"aclist2": [{"subject": {"uuid": sid}, "resources": [{"wc": "*"}], "permission": 31}]}),
    );
    update(
        home,
        di,
        "/oic/sec/cred",
        &json!({"creds": [{"subjectuuid": sid, "credtype": 8, "credusage": "oic.sec.cred.trustca",
            "publicdata": {"data": anchor_pem, "encoding": "oic.sec.encoding.pem"}}]}),
    );
    let conf = update(
        home,
        di,
        "/CoapCloudConfResURI",
        &json!({"at": at, "apn": apn, "cis": cis, "sid": sid}),
    );
    assert_eq!(conf["cps"], "readytoregister");
    assert!(conf.get("at").is_none(), "at is write-only: {conf}");
    update(home, di, "/oic/sec/pstat", &json!({"dos": {"s": 3}}));
}

fn cloud_conf(home: &Home, di: &str) -> Value {
    let run = home.run(&["--json", "get", di, "/CoapCloudConfResURI"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.json()["representation"].clone()
}

/// Waits until the device's coapcloudconf says `cps`.
fn wait_for_cps(home: &Home, di: &str, cps: &str) -> Value {
    let mut last = Value::Null;
    let reached = common::wait_until(Duration::from_secs(15), || {
        last = cloud_conf(home, di);
        last["cps"] == cps
    });
    assert!(reached, "the device never said cps {cps}: {last}");
    last
}

fn event_for<'a>(di: &'a str, name: &'a str) -> impl Fn(&Value) -> bool + 'a {
    move |e| e["event"] == name && e["di"] == di
}

#[test]
fn an_owned_device_registers_through_the_mediator_and_refreshes_its_token() {
    let port = oidc::free_port_outside_ephemeral_range();
    let redirect = format!("http://127.0.0.1:{port}/devices");
    let oidc = Oidc::start_with(&[("DEVICE_REDIRECT_URI", &redirect)]);
    let secret = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(secret.path(), DEVICE_SECRET).unwrap();
    let cloud = CloudProcess::start(&[
        "--issuer",
        &oidc.issuer,
        "--audience",
        AUDIENCE,
        "--client-id",
        "device",
        "--client-secret-file",
        secret.path().to_str().unwrap(),
        "--code-redirect-uri",
        &redirect,
        "--web-client-id",
        "mediator",
        "--expires-in",
        "4",
    ]);
    let home = Home::new();

    // The mediator logs in with the simulated hub's configuration, unchanged.
    let login = home.run_interactive(
        &[
            "--json",
            "login",
            "--device-code",
            "--hub",
            &cloud.hub(),
            "--device-redirect-uri",
            &redirect,
        ],
        |prompt| {
            play_user(prompt["verification_uri_complete"].as_str().unwrap());
        },
    );
    assert_eq!(login.code, 0, "login --hub: {}", login.stderr);
    let profile = home.run(&["--json", "profiles"]).json();
    assert_eq!(profile["sid"], cloud.sid());
    assert_eq!(profile["cis"], cloud.cis());

    let devices = LoggedDevices::start(1);
    let di = own(&home, &devices, 0);
    // A one-time code for this device, from the person at the OAuth server.
    let token = home.run_interactive(&["--json", "token", "--device", &di], |prompt| {
        play_user(prompt["url"].as_str().unwrap());
    });
    assert_eq!(token.code, 0, "token: {}", token.stderr);
    let code = token.json_lines()[1]["token"].as_str().unwrap().to_owned();

    configure(
        &home,
        &di,
        &cloud.sid(),
        &cloud.ca_pem(),
        &cloud.cis(),
        "plgd",
        &code,
    );
    let conf = wait_for_cps(&home, &di, "registered");
    assert_eq!(conf["clec"], 0);

    let long = Duration::from_secs(15);
    let signup = cloud.wait_for(long, "a sign-up", event_for(&di, "signup"));
    assert_eq!(
        signup["uid"], "tester",
        "the owner claim of the exchanged code"
    );
    cloud.wait_for(long, "a sign-in", event_for(&di, "signin"));
    let publish = cloud.wait_for(long, "a publication", event_for(&di, "publish"));
    assert!(
        publish["hrefs"]
            .as_array()
            .unwrap()
            .contains(&json!("/light/1")),
        "{publish}"
    );
    // expiresin 4: a refresh and a new sign-in follow.
    cloud.wait_for(long, "a refresh", event_for(&di, "refresh"));
    cloud.wait_for(long, "a second sign-in", |e| {
        e["event"] == "signin"
            && e["di"] == di.as_str()
            && cloud
                .events()
                .iter()
                .filter(|x| x["event"] == "signin" && x["di"] == di.as_str())
                .count()
                >= 2
    });

    // The owner deregisters the device: the sign-off DELETE, back to uninitialized.
    update(&home, &di, "/CoapCloudConfResURI", &json!({"cis": ""}));
    cloud.wait_for(long, "a sign-off", event_for(&di, "signoff"));
    wait_for_cps(&home, &di, "uninitialized");

    // No secret in what the cloud printed.
    let printed = cloud
        .events()
        .iter()
        .map(Value::to_string)
        .collect::<String>();
    assert!(!printed.contains(&code) && !printed.contains(DEVICE_SECRET));
    home.assert_no_leak(&[DEVICE_SECRET]);
}

#[test]
fn a_refused_sign_up_fails_the_device_with_clec_4_on_both_sides() {
    // A rehearsal cloud (no issuer): any code, once.
    let cloud = CloudProcess::start(&[]);
    let home = Home::new();
    let devices = LoggedDevices::start(3);
    let first = own(&home, &devices, 0);
    let second = own(&home, &devices, 1);
    let third = own(&home, &devices, 2);
    let (sid, pem, cis) = (cloud.sid(), cloud.ca_pem(), cloud.cis());

    configure(&home, &first, &sid, &pem, &cis, "plgd", "shared-code-0001");
    wait_for_cps(&home, &first, "registered");
    // The same one-time code again: 4.01.
    configure(&home, &second, &sid, &pem, &cis, "plgd", "shared-code-0001");
    let conf = wait_for_cps(&home, &second, "failed");
    assert_eq!(conf["clec"], 4);
    let refused = cloud.wait_for(
        Duration::from_secs(10),
        "a refusal",
        event_for(&second, "refused"),
    );
    assert_eq!(refused["code"], "4.01");
    assert!(
        refused["reason"].as_str().unwrap().contains("already used"),
        "{refused}"
    );
    // An authprovider the cloud does not know: 4.01.
    configure(
        &home,
        &third,
        &sid,
        &pem,
        &cis,
        "nobody",
        "another-code-0002",
    );
    let conf = wait_for_cps(&home, &third, "failed");
    assert_eq!(conf["clec"], 4);
    let refused = cloud.wait_for(
        Duration::from_secs(10),
        "a refusal",
        event_for(&third, "refused"),
    );
    assert!(
        refused["reason"]
            .as_str()
            .unwrap()
            .contains("unknown authprovider"),
        "{refused}"
    );
    let log = devices.log();
    assert!(
        log.contains(&format!(
            "{second} cloud: sign-up answered 4.01 Unauthorized"
        )),
        "the device says so: {log}"
    );
}

#[test]
fn a_wrong_trust_anchor_or_a_foreign_cn_is_refused_by_the_device() {
    let cloud = CloudProcess::start(&[]);
    let other = CloudProcess::start(&[]);
    let home = Home::new();
    let devices = LoggedDevices::start(2);
    let wrong_anchor = own(&home, &devices, 0);
    let wrong_sid = own(&home, &devices, 1);
    // The other cloud's CA as trust anchor.
    configure(
        &home,
        &wrong_anchor,
        &cloud.sid(),
        &other.ca_pem(),
        &cloud.cis(),
        "plgd",
        "code-0000001",
    );
    let conf = wait_for_cps(&home, &wrong_anchor, "failed");
    assert_eq!(conf["clec"], 2);
    // The right CA, but the device expects another sid than the cloud's CN.
    let sid = "6c1d8a0e-0000-4000-8000-00000000abcd";
    configure(
        &home,
        &wrong_sid,
        sid,
        &cloud.ca_pem(),
        &cloud.cis(),
        "plgd",
        "code-0000002",
    );
    let conf = wait_for_cps(&home, &wrong_sid, "failed");
    assert_eq!(conf["clec"], 2);
    let log = devices.log();
    assert!(
        log.contains(&format!("{wrong_anchor} cloud: TLS with"))
            && log.contains("does not chain to a trusted anchor"),
        "{log}"
    );
    assert!(
        log.contains(&format!("{wrong_sid} cloud: TLS with"))
            && log.contains(&format!("expected uuid:{sid}")),
        "{log}"
    );
    // The cloud saw the devices refuse it, and no sign-up.
    cloud.wait_for(Duration::from_secs(5), "a refused handshake", |e| {
        e["event"] == "refused" && e["reason"].as_str().unwrap_or("").contains("TLS handshake")
    });
    assert!(!cloud.events().iter().any(|e| e["event"] == "signup"));
}

/// The device's CSR (over the owner session), signed by the cloud's CA
/// service, as plgd's onboarding does (FACTS §1.1 step 5).
fn identity_certificate(home: &Home, di: &str, cloud: &CloudProcess) -> String {
    use base64::Engine;
    let run = home.run(&["--json", "get", di, "/oic/sec/csr"]);
    assert_eq!(run.code, 0, "GET csr: {}", run.stderr);
    let csr = run.json()["representation"]["csr"]
        .as_str()
        .unwrap()
        .to_owned();
    let b64 = base64::engine::general_purpose::STANDARD;
    let answer: Value = oidc::browser()
        .post(format!("{}/api/v1/sign/identity-csr", cloud.hub()))
        .json(&json!({"certificateSigningRequest": b64.encode(csr)}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let pem = b64
        .decode(
            answer["certificate"]
                .as_str()
                .unwrap_or_else(|| panic!("{answer}")),
        )
        .unwrap();
    String::from_utf8(pem).unwrap()
}

#[test]
fn require_client_cert_takes_a_device_with_an_identity_certificate() {
    let cloud = CloudProcess::start(&["--require-client-cert"]);
    let home = Home::new();
    let devices = LoggedDevices::start(1);
    let di = own(&home, &devices, 0);
    let identity = identity_certificate(&home, &di, &cloud);
    configure_with(
        &home,
        &di,
        &cloud.sid(),
        &cloud.ca_pem(),
        &cloud.cis(),
        "plgd",
        "code-0000004",
        Some(&identity),
    );
    wait_for_cps(&home, &di, "registered");
    cloud.wait_for(
        Duration::from_secs(10),
        "a publication",
        event_for(&di, "publish"),
    );
}

#[test]
fn require_client_cert_refuses_a_device_without_one_and_both_say_so() {
    let cloud = CloudProcess::start(&["--require-client-cert"]);
    let home = Home::new();
    let devices = LoggedDevices::start(1);
    let di = own(&home, &devices, 0);
    configure(
        &home,
        &di,
        &cloud.sid(),
        &cloud.ca_pem(),
        &cloud.cis(),
        "plgd",
        "code-0000003",
    );
    let conf = wait_for_cps(&home, &di, "failed");
    assert_eq!(conf["clec"], 2);
    let refused = cloud.wait_for(Duration::from_secs(10), "a refused handshake", |e| {
        e["event"] == "refused"
    });
    let reason = refused["reason"].as_str().unwrap();
    assert!(
        reason.contains("TLS handshake") && reason.contains("certificate"),
        "{reason}"
    );
    let log = devices.log();
    assert!(log.contains(&format!("{di} cloud: TLS with")), "{log}");
}
