//! Cloud login and device tokens against a real OAuth 2.0 server
//! (oidc-provider): each flow end to end, refresh, revocation, failures and
//! their exit codes, and that no secret leaks.

mod common;
#[path = "common/oidc.rs"]
mod oidc;

use oidc::{AUDIENCE, FACTORY_SECRET, HUB_ID, Home, Oidc, jwt_claims, play_user};

/// Logs in with the device code flow, playing the person.
fn device_code_login(home: &Home, args: &[&str]) -> common::Run {
    home.device_code_login(args)
}

fn issuer_args(oidc: &Oidc) -> Vec<String> {
    [
        "--issuer",
        &oidc.issuer,
        "--client-id",
        "mediator",
        "--audience",
        AUDIENCE,
    ]
    .map(str::to_owned)
    .to_vec()
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn device_code_login_gives_a_token_for_the_cloud_audience_and_a_cached_token_needs_no_network() {
    let mut oidc = Oidc::start();
    let home = Home::new();
    let login = device_code_login(&home, &strs(&issuer_args(&oidc)));
    assert_eq!(login.code, 0, "{}", login.stderr);
    let done = &login.json_lines()[1];
    assert_eq!(done["event"], "logged_in");
    assert_eq!(done["refresh_token"], true);

    let token = home.run(&["token"]);
    assert_eq!(token.code, 0, "{}", token.stderr);
    let at = token.stdout.trim().to_owned();
    let claims = jwt_claims(&at);
    assert_eq!(claims["aud"], AUDIENCE);
    assert_eq!(claims["sub"], "tester");

    // With the server gone, the cached token still comes back.
    let refresh_tokens = oidc.issued_refresh_tokens();
    oidc.stop();
    let again = home.run(&["token"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(again.stdout.trim(), at);

    let mut secrets: Vec<&str> = refresh_tokens.iter().map(String::as_str).collect();
    secrets.push(&at);
    home.assert_no_leak(&secrets);
}

#[test]
fn browser_login_uses_pkce_and_the_loopback_redirect() {
    let oidc = Oidc::start();
    let home = Home::new();
    let mut args = vec!["--json", "-vv", "login", "--browser"];
    let issuer = issuer_args(&oidc);
    args.extend(strs(&issuer));
    let login = home.run_interactive(&args, |prompt| {
        assert_eq!(prompt["event"], "authorization_url", "{prompt}");
        let url = prompt["url"].as_str().unwrap();
        assert!(url.contains("code_challenge_method=S256"), "{url}");
        assert!(
            prompt["redirect_uri"]
                .as_str()
                .unwrap()
                .starts_with("http://127.0.0.1:")
        );
        let (last, page) = play_user(url);
        assert!(last.starts_with("http://127.0.0.1:"), "{last}");
        assert!(page.contains("got the answer"), "{page}");
    });
    assert_eq!(login.code, 0, "{}", login.stderr);
    let token = home.run(&["token"]);
    assert_eq!(token.code, 0, "{}", token.stderr);
    assert_eq!(jwt_claims(token.stdout.trim())["aud"], AUDIENCE);
    let issued = oidc.issued_refresh_tokens();
    home.assert_no_leak(&strs(&issued));
}

#[test]
fn client_credentials_login_takes_the_secret_from_stdin_then_the_keyring() {
    let oidc = Oidc::start();
    let home = Home::new();
    let args = [
        "--json",
        "-vv",
        "login",
        "--client-credentials",
        "--issuer",
        &oidc.issuer,
        "--client-id",
        "factory",
        "--audience",
        AUDIENCE,
        "--client-secret-stdin",
    ];
    let login = home.run_with_stdin(&args, &format!("{FACTORY_SECRET}\n"));
    assert_eq!(login.code, 0, "{}", login.stderr);
    let token = home.run(&["token", "--json"]);
    assert_eq!(token.code, 0, "{}", token.stderr);
    let line = token.json();
    assert_eq!(line["device_token"], "access-token");
    assert_eq!(jwt_claims(line["token"].as_str().unwrap())["aud"], AUDIENCE);

    // A second login finds the secret in the keyring.
    let again = home.run(&["login", "--client-credentials"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    home.assert_no_leak(&[FACTORY_SECRET, line["token"].as_str().unwrap()]);
}

#[test]
fn a_wrong_client_secret_is_an_authentication_failure() {
    let oidc = Oidc::start();
    let home = Home::new();
    let run = home.run_with_stdin(
        &[
            "login",
            "--client-credentials",
            "--issuer",
            &oidc.issuer,
            "--client-id",
            "factory",
            "--client-secret-stdin",
        ],
        "not-the-secret-at-all",
    );
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(run.stderr.contains("invalid_client"), "{}", run.stderr);
    home.assert_no_leak(&["not-the-secret-at-all"]);
}

#[test]
fn an_expired_access_token_is_refreshed_transparently() {
    // Tokens living less than the refresh margin are refreshed on every use.
    let oidc = Oidc::start_with(&[("ACCESS_TTL", "5")]);
    let home = Home::new();
    assert_eq!(device_code_login(&home, &strs(&issuer_args(&oidc))).code, 0);
    let first = home.run(&["token"]);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let second = home.run(&["-vv", "token"]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_ne!(first.stdout, second.stdout);
    assert_eq!(jwt_claims(second.stdout.trim())["sub"], "tester");
    home.assert_no_leak(&strs(&oidc.issued_refresh_tokens()));
}

#[test]
fn a_revoked_refresh_token_asks_to_log_in_again() {
    let oidc = Oidc::start_with(&[("ACCESS_TTL", "5")]);
    let home = Home::new();
    assert_eq!(device_code_login(&home, &strs(&issuer_args(&oidc))).code, 0);
    oidc.revoke_refresh_tokens();
    let run = home.run(&["token"]);
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(run.stderr.contains("log in again"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
}

#[test]
fn login_with_a_plgd_hub_and_one_time_device_codes() {
    let port = oidc::free_port_outside_ephemeral_range();
    let redirect = format!("http://127.0.0.1:{port}/devices");
    let oidc = Oidc::start_with(&[("DEVICE_REDIRECT_URI", &redirect)]);
    let home = Home::new();
    // plgd's document does not say the coap-gateway's redirect URL: the user does.
    let login = device_code_login(
        &home,
        &["--hub", &oidc.issuer, "--device-redirect-uri", &redirect],
    );
    assert_eq!(login.code, 0, "{}", login.stderr);

    let profiles = home.run(&["--json", "profiles"]).json();
    assert_eq!(profiles["sid"], HUB_ID);
    assert_eq!(profiles["apn"], "plgd");
    assert_eq!(profiles["cis"], "coaps+tcp://127.0.0.1:5684");
    assert_eq!(profiles["client_id"], "mediator");
    assert_eq!(profiles["device_token"], "authorization-code");

    // The device's code needs the device id.
    assert_eq!(home.run(&["token"]).code, 2);
    let di = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
    let token = home.run_interactive(&["--json", "token", "--device", di], |prompt| {
        assert_eq!(prompt["event"], "authorization_url", "{prompt}");
        let url = prompt["url"].as_str().unwrap();
        assert!(
            url.contains("client_id=device") && url.contains(&format!("device_id={di}")),
            "{url}"
        );
        let (last, _) = play_user(url);
        assert!(last.contains("code="), "{last}");
    });
    assert_eq!(token.code, 0, "{}", token.stderr);
    let line = &token.json_lines()[1];
    assert_eq!(line["device_token"], "authorization-code");
    // The hub exchanges it with the device client's secret, as plgd's coap-gateway does.
    let exchanged = oidc.exchange_as_hub(line["token"].as_str().unwrap(), &redirect);
    assert!(exchanged["access_token"].is_string(), "{exchanged}");
}

#[test]
fn a_hub_whose_devices_take_access_tokens_gets_one_from_the_m2m_client() {
    let oidc = Oidc::start_with(&[("HUB_DEVICE_GRANT", "clientCredentials")]);
    let home = Home::new();
    let login = home.run_with_stdin(
        &[
            "login",
            "--hub",
            &oidc.issuer,
            "--client-credentials",
            "--client-secret-stdin",
        ],
        FACTORY_SECRET,
    );
    assert_eq!(login.code, 0, "{}", login.stderr);
    let token = home.run(&["token", "--device", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"]);
    assert_eq!(token.code, 0, "{}", token.stderr);
    assert_eq!(jwt_claims(token.stdout.trim())["aud"], AUDIENCE);
    assert_eq!(jwt_claims(token.stdout.trim())["client_id"], "factory");
}

#[test]
fn logout_revokes_and_forgets_the_profile() {
    let oidc = Oidc::start();
    let home = Home::new();
    assert_eq!(device_code_login(&home, &strs(&issuer_args(&oidc))).code, 0);
    let out = home.run(&["--json", "logout"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
    assert_eq!(out.json()["revoked"], true);
    assert!(home.run(&["--json", "profiles"]).stdout.is_empty());
    let token = home.run(&["token"]);
    assert_eq!(token.code, 2, "{}", token.stderr);
    assert!(token.stderr.contains("login"), "{}", token.stderr);
}

#[test]
fn an_unreachable_issuer_is_named() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let issuer = format!("http://127.0.0.1:{port}");
    let run = Home::new().run(&[
        "login",
        "--device-code",
        "--issuer",
        &issuer,
        "--client-id",
        "x",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot reach") && run.stderr.contains(&issuer),
        "{}",
        run.stderr
    );
}

#[test]
fn malformed_discovery_documents_are_named() {
    let oidc = Oidc::start();
    let home = Home::new();
    let broken = oidc.url("/broken-json");
    let run = home.run(&[
        "login",
        "--device-code",
        "--issuer",
        &broken,
        "--client-id",
        "x",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("not a JSON document") && run.stderr.contains(&broken),
        "{}",
        run.stderr
    );
    let partial = oidc.url("/no-token-endpoint");
    let run = home.run(&[
        "login",
        "--device-code",
        "--issuer",
        &partial,
        "--client-id",
        "x",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("\"token_endpoint\" is missing"),
        "{}",
        run.stderr
    );
}

#[test]
fn plain_http_is_only_for_loopback() {
    let run = Home::new().run(&[
        "login",
        "--issuer",
        "http://auth.example.com",
        "--client-id",
        "x",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("https://"), "{}", run.stderr);
}

#[test]
fn a_client_secret_on_stdin_is_read_with_a_limit() {
    let oidc = Oidc::start();
    let home = Home::new();
    let secret = "s".repeat(10_000);
    let run = home.run_with_stdin(
        &[
            "login",
            "--client-credentials",
            "--issuer",
            &oidc.issuer,
            "--client-id",
            "factory",
            "--client-secret-stdin",
        ],
        &secret,
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("the client secret on stdin (--client-secret-stdin) is larger than 4 KiB"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_trust_anchor_file_is_read_with_a_limit() {
    let home = Home::new();
    let run = home.run(&[
        "login",
        "--issuer",
        "http://127.0.0.1:9",
        "--client-id",
        "x",
        "--ca",
        "/dev/zero",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("--ca /dev/zero is larger than 1 MiB"),
        "{}",
        run.stderr
    );
}
