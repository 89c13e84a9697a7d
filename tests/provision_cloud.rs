//! `provision` end to end with real processes on loopback: oidc-provider,
//! `ocf-devsim cloud --issuer` (which checks every sign-up's token or code
//! against oidc-provider), `ocf-devsim device` and `ocf-mediator` (`login
//! --hub`, then `provision`). A new device is owned, configured inside the
//! ownership session and registered; the cloud's log shows its sign-up with
//! the code or token the mediator obtained. A refused token and an
//! unreachable cloud are said, by `provision` and `cloud status`, in one
//! sentence with what to do.

mod common;
#[path = "common/hub.rs"]
mod hub;
#[path = "common/cloud.rs"]
mod kit;
#[path = "common/oidc.rs"]
mod oidc;

use hub::{Devices, Grant, Hub, cloud_writes, records, step_names};
use oidc::{DEVICE_SECRET, FACTORY_SECRET, jwt_claims};
use serde_json::Value;

/// The one record of a one-device run.
fn record(run: &common::Run) -> Value {
    let mut all = records(run);
    assert_eq!(all.len(), 1, "one record: {}\n{}", run.stdout, run.stderr);
    all.remove(0)
}

/// Every step has a start and an end, in order, as RFC 3339 times.
fn assert_timed(record: &Value) {
    for step in record["steps"].as_array().unwrap() {
        let start = humantime::parse_rfc3339(step["start"].as_str().unwrap()).unwrap();
        let end = humantime::parse_rfc3339(step["end"].as_str().unwrap()).unwrap();
        assert!(end >= start, "{step}");
    }
}

#[test]
fn a_hub_whose_devices_sign_up_with_codes_registers_a_new_device() {
    let hub = Hub::start(Grant::AuthorizationCode);
    let devices = Devices::start(1, &[]);
    let (run, prompts) = hub.run(&["--json", "provision", &devices.address(0)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let record = record(&run);
    assert_eq!(record["ok"], true, "{record}");
    assert_eq!(record["cps"], "registered", "{record}");
    assert_eq!(step_names(&record), ["locate", "own", "register"]);
    assert_timed(&record);
    assert_eq!(record["name"], "ocf-devsim");
    let di = record["di"].as_str().unwrap();
    assert_ne!(di, devices.first_di(0), "the device took a new UUID");

    // The person was asked once, for a code for the UUID the device took.
    assert_eq!(prompts.len(), 1, "{prompts:?}");
    let url = prompts[0]["url"].as_str().unwrap();
    assert!(url.contains(&format!("device_id={di}")), "{url}");
    // The device signed up with that code: the cloud exchanged exactly one
    // code, and the account is the person's who logged in for it.
    let signup = hub.wait_for("signup", di);
    assert_eq!(signup["uid"], "tester", "{signup}");
    assert_eq!(hub.oidc.token_requests("authorization_code"), 1);
    hub.wait_for("signin", di);
    assert_eq!(cloud_writes(&devices.state(0), &hub.cloud.sid()), (1, 1));
    hub.home.assert_no_leak(&[DEVICE_SECRET]);
}

#[test]
fn a_hub_whose_devices_sign_up_with_access_tokens_registers_a_new_device() {
    let hub = Hub::start(Grant::ClientCredentials);
    let devices = Devices::start(1, &[]);
    let (run, prompts) = hub.run(&["--json", "provision", &devices.address(0)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(prompts.is_empty(), "nobody is asked: {prompts:?}");
    let record = record(&run);
    assert_eq!(record["cps"], "registered", "{record}");
    assert_eq!(step_names(&record), ["locate", "own", "register"]);
    let di = record["di"].as_str().unwrap();

    // The device signed up with the profile's access token: the one login
    // fetched (no other was granted), whose owner the account is.
    let signup = hub.wait_for("signup", di);
    assert_eq!(hub.oidc.token_requests("client_credentials"), 1);
    let token = hub.home.run(&["token"]);
    assert_eq!(token.code, 0, "{}", token.stderr);
    let claims = jwt_claims(token.stdout.trim());
    assert_eq!(signup["uid"], claims["sub"], "{signup}");
    assert_eq!(hub.oidc.token_requests("client_credentials"), 1);
    hub.wait_for("publish", di);
    hub.home
        .assert_no_leak(&[token.stdout.trim(), FACTORY_SECRET]);
}

#[test]
fn a_device_already_ours_is_configured_over_an_owner_session_and_registers() {
    let hub = Hub::start(Grant::ClientCredentials);
    let devices = Devices::start(1, &[]);
    let owned = hub.home.run(&["--json", "own", &devices.address(0)]);
    assert_eq!(owned.code, 0, "{}", owned.stderr);
    let di = owned.json()["di"].as_str().unwrap().to_owned();
    let (run, _) = hub.run(&["--json", "provision", &di]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let record = record(&run);
    assert_eq!(step_names(&record), ["locate", "configure", "register"]);
    assert_eq!(record["cps"], "registered");
    hub.wait_for("signup", &di);
}

#[test]
fn a_refused_token_fails_the_device_and_both_commands_say_why() {
    let hub = Hub::start(Grant::ClientCredentials);
    let devices = Devices::start(1, &[]);
    let (run, _) = hub.run_with_stdin(
        &["--json", "provision", "--token-stdin", &devices.address(0)],
        Some("not-a-token-the-cloud-knows\n"),
    );
    assert_eq!(run.code, 5, "{}\n{}", run.stdout, run.stderr);
    let record = record(&run);
    assert_eq!(record["ok"], false);
    assert_eq!(record["cps"], "failed");
    assert_eq!(record["exit"], 5);
    let failed = record["steps"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (failed["step"].as_str(), failed["ok"].as_bool()),
        (Some("register"), Some(false))
    );
    let said = "the cloud refused the device's token";
    assert!(record["error"].as_str().unwrap().contains(said), "{record}");
    assert!(run.stderr.contains(said), "{}", run.stderr);
    let di = record["di"].as_str().unwrap();
    let refused = hub.wait_for("refused", di);
    assert_eq!(refused["code"], "4.01");

    let status = hub.home.run(&["cloud", "status", di]);
    assert_eq!(status.code, 5, "{}\n{}", status.stdout, status.stderr);
    assert!(status.stdout.contains("failed"), "{}", status.stdout);
    assert!(status.stderr.contains(said), "{}", status.stderr);
    assert!(
        status.stderr.contains("run `provision` again"),
        "what to do: {}",
        status.stderr
    );
    assert!(!run.stdout.contains("not-a-token") && !run.stderr.contains("not-a-token"));
}

#[test]
fn an_unreachable_cloud_fails_the_device_and_both_commands_say_why() {
    let hub = Hub::start(Grant::ClientCredentials);
    let devices = Devices::start(1, &[]);
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cis = format!("coaps+tcp://127.0.0.1:{closed}");
    let sid = hub.cloud.sid();
    let ca = hub.ca_file();
    let (run, _) = hub.run(&[
        "--json",
        "--timeout",
        "20s",
        "provision",
        &devices.address(0),
        "--cis",
        &cis,
        "--sid",
        &sid,
        "--apn",
        "plgd",
        "--ca",
        &ca,
    ]);
    assert_eq!(run.code, 2, "--cis without --token-stdin: {}", run.stderr);
    let (run, _) = hub.run_with_stdin(
        &[
            "--json",
            "--timeout",
            "20s",
            "provision",
            &devices.address(0),
            "--cis",
            &cis,
            "--sid",
            &sid,
            "--apn",
            "plgd",
            "--ca",
            &ca,
            "--token-stdin",
        ],
        Some("some-code-0001\n"),
    );
    assert_eq!(run.code, 4, "{}\n{}", run.stdout, run.stderr);
    let record = record(&run);
    assert_eq!(record["cps"], "failed");
    assert_eq!(record["exit"], 4);
    let said = "the device could not connect to the cloud";
    assert!(run.stderr.contains(said), "{}", run.stderr);
    assert!(
        run.stderr.contains(&cis),
        "names the address: {}",
        run.stderr
    );
    let di = record["di"].as_str().unwrap();
    assert!(
        devices
            .log()
            .contains(&format!("{di} cloud: cannot connect to {cis}")),
        "{}",
        devices.log()
    );
    let status = hub.home.run(&["--json", "cloud", "status", di]);
    assert_eq!(status.code, 4, "{}\n{}", status.stdout, status.stderr);
    let line = &status.json_lines()[0];
    assert_eq!(
        (line["cps"].as_str(), line["clec"].as_i64()),
        (Some("failed"), Some(2))
    );
    assert!(status.stderr.contains(said), "{}", status.stderr);
}
