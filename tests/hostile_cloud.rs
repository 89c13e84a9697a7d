//! Hostile clouds: a hub and OAuth server (a test HTTP peer) that answer
//! with garbage JSON, HTML or bodies far too large, and a cloud whose
//! certificate's CN is not `uuid:<sid>` (`ocf-devsim cloud --misbehave-cn`).
//! Each ends in a clean error naming what was asked and what was wrong, in
//! bounded time and memory (peak RSS printed and bounded).

mod common;
#[path = "common/hostile.rs"]
mod hostile;
#[path = "common/http_peer.rs"]
mod http_peer;
#[path = "common/kernel_session.rs"]
mod kernel_session;
#[path = "common/cloud.rs"]
mod kit;

use std::time::Duration;

use hostile::{Hostile, Station, assert_clean_error};
use http_peer::{Answer, HttpPeer};

const BOUND: Duration = Duration::from_secs(30);
const HUB: &str = "/.well-known/hub-configuration";
const DISCOVERY: &str = "/.well-known/openid-configuration";

/// A hub configuration whose authority is the peer itself.
fn hub_document() -> String {
    r#"{"id": "4c1e4d0e-8f4a-4b36-9ac0-1c7b7b0a4a55",
        "coapGateway": "coaps+tcp://127.0.0.1:9",
        "authority": "{peer}",
        "deviceOauthClient": {"clientId": "device", "providerName": "plgd", "grantType": "clientCredentials"},
        "m2mOauthClient": {"clientId": "m2m", "scopes": []}}"#
        .to_owned()
}

fn discovery_document() -> String {
    r#"{"issuer": "{peer}", "token_endpoint": "{peer}/token"}"#.to_owned()
}

/// `login --hub PEER --client-credentials`, the secret on stdin.
fn login(peer: &HttpPeer) -> hostile::Measured {
    let station = Station::new();
    station.run_with_stdin(
        &[
            "--timeout",
            "10s",
            "login",
            "--hub",
            &peer.url,
            "--client-credentials",
            "--client-secret-stdin",
        ],
        "a-client-secret\n",
    )
}

/// The hub configuration answers `answer`: login fails, saying so.
#[track_caller]
fn hub_answers(case: &str, answer: Answer, says: &str) {
    let peer = HttpPeer::start();
    peer.answer(HUB, answer);
    let run = login(&peer);
    assert_clean_error(case, &run, 1, &["the hub configuration", HUB, says], BOUND);
}

/// The token endpoint answers `answer`: login fails, saying so.
#[track_caller]
fn token_endpoint_answers(case: &str, answer: Answer, says: &str) {
    let peer = HttpPeer::start();
    peer.answer(HUB, Answer::Json(hub_document()))
        .answer(DISCOVERY, Answer::Json(discovery_document()))
        .answer("/token", answer);
    let run = login(&peer);
    assert!(
        !run.run.stderr.contains("a-client-secret"),
        "{case}: the secret in: {}",
        run.run.stderr
    );
    assert_clean_error(case, &run, 1, &["/token", says], BOUND);
}

#[test]
fn a_hub_configuration_of_garbage_json_is_refused() {
    hub_answers(
        "hub: garbage JSON",
        Answer::Body(200, "application/json", b"{\"id\": [1, ".to_vec()),
        "not a JSON document",
    );
}

#[test]
fn a_hub_configuration_in_html_is_refused() {
    hub_answers(
        "hub: HTML",
        Answer::Body(
            200,
            "text/html",
            b"<html><body>Welcome</body></html>".to_vec(),
        ),
        "not a JSON document",
    );
}

#[test]
fn an_endless_hub_configuration_is_cut_at_the_body_limit() {
    hub_answers(
        "hub: 256 MiB, chunked",
        Answer::Endless { mib: 256 },
        "larger than 1024 KiB",
    );
}

#[test]
fn an_announced_giant_hub_configuration_is_refused_at_once() {
    hub_answers(
        "hub: 256 MiB, announced",
        Answer::Announced { mib: 256 },
        "larger than 1024 KiB",
    );
}

#[test]
fn a_token_answer_of_garbage_json_is_refused() {
    token_endpoint_answers(
        "token: garbage JSON",
        Answer::Body(200, "application/json", b"{\"access_token\": ".to_vec()),
        "token",
    );
}

#[test]
fn a_token_answer_in_html_is_refused() {
    token_endpoint_answers(
        "token: HTML",
        Answer::Body(
            200,
            "text/html",
            b"<html><body>Sign in</body></html>".to_vec(),
        ),
        "token",
    );
}

#[test]
fn an_endless_token_answer_is_cut_at_the_body_limit() {
    token_endpoint_answers(
        "token: 256 MiB, chunked",
        Answer::Endless { mib: 256 },
        "larger than 1024 KiB",
    );
}

#[test]
fn a_cloud_whose_certificate_is_not_uuid_sid_is_refused_by_the_device() {
    let cloud = kit::CloudProcess::start(&[
        "--misbehave-cn",
        "uuid:00000000-0000-4000-8000-000000000bad",
    ]);
    let station = Station::new();
    let device = Hostile::normal(1, &[]);
    let owned = station.run(&["--json", "own", &device.address()]);
    assert_eq!(owned.run.code, 0, "{}", owned.run.stderr);
    let di = owned.run.json()["di"].as_str().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, cloud.ca_pem()).unwrap();
    let configured = station.run_with_stdin(
        &[
            "cloud",
            "configure",
            &di,
            "--cis",
            &cloud.cis(),
            "--sid",
            &cloud.sid(),
            "--apn",
            "plgd",
            "--ca",
            ca.to_str().unwrap(),
            "--token-stdin",
        ],
        "a-token\n",
    );
    assert_eq!(configured.run.code, 0, "{}", configured.run.stderr);
    let run = station.run(&[
        "--timeout",
        "10s",
        "cloud",
        "status",
        &di,
        "--wait",
        "registered",
    ]);
    assert_clean_error(
        "cloud certificate CN",
        &run,
        4,
        &[
            &di,
            "did not register",
            "(clec 2)",
            "certificate matches the trust anchor and sid",
        ],
        BOUND,
    );
    assert!(
        cloud.events().iter().all(|e| e["event"] != "signup"),
        "the device signed up with an impostor: {:?}",
        cloud.events()
    );
}

/// A device owned and configured for a cloud that answers sign-ups as
/// `--misbehave-signup MODE`; `cloud status --wait registered` then.
fn sign_up_answered(mode: &str, timeout: &str) -> (hostile::Measured, String, kit::CloudProcess) {
    let cloud = kit::CloudProcess::start(&["--misbehave-signup", mode]);
    let station = Station::new();
    let device = Hostile::normal(1, &[]);
    let owned = station.run(&["--json", "own", &device.address()]);
    assert_eq!(owned.run.code, 0, "{}", owned.run.stderr);
    let di = owned.run.json()["di"].as_str().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, cloud.ca_pem()).unwrap();
    let ca = ca.to_str().unwrap();
    let configured = station.run_with_stdin(
        &[
            "cloud",
            "configure",
            &di,
            "--cis",
            &cloud.cis(),
            "--sid",
            &cloud.sid(),
            "--apn",
            "plgd",
            "--ca",
            ca,
            "--token-stdin",
        ],
        "a-token\n",
    );
    assert_eq!(configured.run.code, 0, "{}", configured.run.stderr);
    let waited = station.run(&[
        "--timeout",
        timeout,
        "cloud",
        "status",
        &di,
        "--wait",
        "registered",
    ]);
    (waited, di, cloud)
}

/// The device takes the sign-up answer as iotivity-lite does (cps failed,
/// clec 1: an error response) and the wait ends at once, saying so.
#[track_caller]
fn sign_up_refused_by_the_device(mode: &str) {
    let (run, di, _cloud) = sign_up_answered(mode, "20s");
    let case = format!("sign-up {mode}");
    assert_clean_error(
        &case,
        &run,
        5,
        &[&di, "did not register", "(clec 1)"],
        BOUND,
    );
    assert!(
        run.elapsed < Duration::from_secs(10),
        "{case}: the failure was reported, yet the wait took {:?}",
        run.elapsed
    );
}

#[test]
fn a_sign_up_answer_of_garbage_cbor_fails_the_registration() {
    sign_up_refused_by_the_device("garbage-cbor");
}

#[test]
fn a_sign_up_answer_with_a_numeric_access_token_fails_the_registration() {
    sign_up_refused_by_the_device("wrong-types");
}

#[test]
fn a_sign_up_answer_without_expiresin_fails_the_registration() {
    sign_up_refused_by_the_device("no-expiresin");
}

#[test]
fn a_sign_up_answered_4_00_fails_the_registration() {
    sign_up_refused_by_the_device("bad-request");
}

#[test]
fn a_sign_up_answered_5_03_fails_the_registration() {
    sign_up_refused_by_the_device("unavailable");
}

/// No answer: the device is still registering when the wait runs out,
/// and the error says so (a timeout, naming the device and its state).
#[test]
fn a_silent_sign_up_ends_the_wait_with_a_clean_timeout() {
    let (run, di, cloud) = sign_up_answered("silent", "4s");
    assert_clean_error(
        "sign-up silent",
        &run,
        4,
        &[&di, "is not registered in time", "registering", "--timeout"],
        BOUND,
    );
    assert!(
        cloud
            .events()
            .iter()
            .any(|e| e["event"] == "signup-misbehaved"),
        "the device never signed up: {:?}",
        cloud.events()
    );
}
const SIGN: &str = "/api/v1/sign/identity-csr";

/// A station logged in to a hub (the peer) whose certificate authority is
/// the peer too.
fn station_of_a_hub_whose_ca_answers(answer: Answer) -> (Station, HttpPeer) {
    let peer = HttpPeer::start();
    let hub = hub_document().replace(
        r#""authority": "{peer}","#,
        r#""authority": "{peer}", "certificateAuthority": "{peer}","#,
    );
    peer.answer(HUB, Answer::Json(hub))
        .answer(DISCOVERY, Answer::Json(discovery_document()))
        .answer(
            "/token",
            Answer::Json(
                r#"{"access_token": "an-access-token", "token_type": "Bearer", "expires_in": 3600}"#
                    .to_owned(),
            ),
        )
        .answer(SIGN, answer);
    let station = Station::new();
    let logged_in = station.run_with_stdin(
        &[
            "login",
            "--hub",
            &peer.url,
            "--client-credentials",
            "--client-secret-stdin",
        ],
        "a-client-secret\n",
    );
    assert_eq!(logged_in.run.code, 0, "login: {}", logged_in.run.stderr);
    (station, peer)
}

/// `own --identity-cert hub` with the hub's CA answering `answer`: a clean
/// error naming the device and the certificate step, and no identity
/// certificate written to the device.
#[track_caller]
fn the_hub_ca_answers(case: &str, answer: Answer, code: i32, says: &str) {
    let (station, _peer) = station_of_a_hub_whose_ca_answers(answer);
    let device = Hostile::normal(1, &[]);
    let run = station.run(&[
        "--timeout",
        "10s",
        "own",
        &device.address(),
        "--identity-cert",
        "hub",
    ]);
    assert_clean_error(
        case,
        &run,
        code,
        &[&device.di(), "certificate", says],
        BOUND,
    );
    let creds = device.state(0)["security"]["creds"].clone();
    assert!(
        creds
            .as_array()
            .is_some_and(|c| c.iter().all(|c| c["credusage"] != "oic.sec.cred.cert")),
        "{case}: an identity certificate was written: {creds}"
    );
}

#[test]
fn a_hub_ca_answering_garbage_json_writes_no_certificate() {
    the_hub_ca_answers(
        "hub CA: garbage JSON",
        Answer::Body(200, "application/json", b"{\"certificate\": ".to_vec()),
        1,
        "no certificate",
    );
}

#[test]
fn a_hub_ca_answering_html_writes_no_certificate() {
    the_hub_ca_answers(
        "hub CA: HTML",
        Answer::Body(
            200,
            "text/html",
            b"<html><body>Sign in</body></html>".to_vec(),
        ),
        1,
        "no certificate",
    );
}

#[test]
fn an_endless_hub_ca_answer_is_cut_at_the_body_limit() {
    the_hub_ca_answers(
        "hub CA: 256 MiB, chunked",
        Answer::Endless { mib: 256 },
        1,
        "larger than 1024 KiB",
    );
}

#[test]
fn a_hub_ca_answering_401_writes_no_certificate() {
    the_hub_ca_answers(
        "hub CA: 401",
        Answer::Body(
            401,
            "application/json",
            br#"{"message": "token expired"}"#.to_vec(),
        ),
        5,
        "HTTP 401",
    );
}

#[test]
fn a_hub_ca_answering_500_writes_no_certificate() {
    the_hub_ca_answers(
        "hub CA: 500",
        Answer::Body(500, "text/plain", b"internal error".to_vec()),
        1,
        "HTTP 500",
    );
}

/// A certificate for another key (a CA's own, here: not the CSR's).
#[test]
fn a_hub_ca_answering_a_certificate_for_another_key_writes_no_certificate() {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(
        rcgen::DnType::CommonName,
        "uuid:00000000-0000-4000-8000-000000000bad",
    );
    let pem = params.self_signed(&key).unwrap().pem();
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(pem);
    the_hub_ca_answers(
        "hub CA: another key",
        Answer::Json(format!(r#"{{"certificate": "{encoded}"}}"#)),
        1,
        "not for the request's key",
    );
}
