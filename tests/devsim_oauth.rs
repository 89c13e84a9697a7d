//! The simulator's own OAuth server (`ocf-devsim lab`'s): each grant, the
//! one-time rules (codes, device codes, refresh tokens) and the refusals,
//! over HTTP; and `ocf-devsim cloud --issuer` taking its tokens and
//! exchanging its codes, unchanged.

mod common;
#[path = "common/cloud.rs"]
mod kit;
#[path = "common/sim_oauth.rs"]
mod sim_oauth;

use kit::{body, connect, expect_event, post};
use ocf_mediator::coap::Code;
use ocf_mediator::sim::cloud::authority::CodeClient;
use ocf_mediator::sim::cloud::{Cloud, CloudConfig, CloudHandle};
use serde_json::json;
use sim_oauth::{AUDIENCE, SimOAuth, pkce};

const LOOPBACK: &str = "http://127.0.0.1:43210/callback";

/// An authorization code for the public `web` client, with PKCE.
fn web_code(oauth: &SimOAuth, challenge: &str) -> String {
    let answer = oauth.get(
        "/authorize",
        &[
            ("response_type", "code"),
            ("client_id", "web"),
            ("redirect_uri", LOOPBACK),
            ("scope", "openid offline_access"),
            ("state", "s-1"),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ],
    );
    assert_eq!(answer.status, 302, "{answer:?}");
    assert_eq!(answer.location_param("state").as_deref(), Some("s-1"));
    answer
        .location_param("code")
        .expect("a code in the redirect")
}

fn exchange(oauth: &SimOAuth, code: &str, verifier: &str) -> sim_oauth::Answer {
    oauth.token(
        None,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", "web"),
            ("code", code),
            ("redirect_uri", LOOPBACK),
            ("code_verifier", verifier),
        ],
    )
}

#[test]
fn discovery_names_every_endpoint_and_the_keys_verify_its_tokens() {
    let oauth = SimOAuth::start();
    let document = oauth.get("/.well-known/openid-configuration", &[]).body;
    assert_eq!(document["issuer"], oauth.issuer.as_str());
    for endpoint in [
        "authorization_endpoint",
        "token_endpoint",
        "device_authorization_endpoint",
        "revocation_endpoint",
        "jwks_uri",
    ] {
        let url = document[endpoint].as_str().unwrap();
        assert!(url.starts_with(&oauth.issuer), "{endpoint}: {url}");
    }
    assert_eq!(
        document["code_challenge_methods_supported"],
        json!(["S256"])
    );
    let jwks = oauth.get("/.well-known/jwks.json", &[]).body;
    assert_eq!(jwks["keys"][0]["kty"], "EC");
    assert_eq!(jwks["keys"][0]["crv"], "P-256");
    assert!(
        jwks["keys"][0].get("d").is_none(),
        "no private part: {jwks}"
    );
}

#[test]
fn client_credentials_give_a_jwt_for_the_audience_naming_the_owner() {
    let oauth = SimOAuth::start();
    let secret = oauth.secret("m2m");
    let answer = oauth.token(
        Some(("m2m", &secret)),
        &[("grant_type", "client_credentials"), ("audience", AUDIENCE)],
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.headers["cache-control"], "no-store");
    assert_eq!(answer.body["token_type"], "Bearer");
    assert!(answer.body.get("refresh_token").is_none(), "{answer:?}");
    let claims = oauth.verify(answer.body["access_token"].as_str().unwrap());
    assert_eq!(claims["aud"], AUDIENCE);
    assert_eq!(claims["sub"], "m2m");
    assert_eq!(
        claims["https://plgd.dev/owner"],
        oauth.config.owner.as_str()
    );

    // The secret in the form (client_secret_post) works as well.
    let posted = oauth.token(
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "m2m"),
            ("client_secret", &secret),
        ],
    );
    assert_eq!(posted.status, 200, "{posted:?}");
}

#[test]
fn a_wrong_or_missing_client_secret_is_refused() {
    let oauth = SimOAuth::start();
    let wrong = oauth.token(
        Some(("m2m", "not-the-secret")),
        &[("grant_type", "client_credentials")],
    );
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.error(), "invalid_client");
    assert!(wrong.headers.contains_key("www-authenticate"));
    let missing = oauth.token(
        None,
        &[("grant_type", "client_credentials"), ("client_id", "m2m")],
    );
    assert_eq!(missing.error(), "invalid_client");
    let unknown = oauth.token(
        Some(("nobody", "x")),
        &[("grant_type", "client_credentials")],
    );
    assert_eq!(unknown.error(), "invalid_client");
    // A client may use only its own grants.
    let web = oauth.token(
        None,
        &[("grant_type", "client_credentials"), ("client_id", "web")],
    );
    assert_eq!(web.error(), "unauthorized_client");
}

#[test]
fn an_authorization_code_is_approved_at_once_and_good_for_one_exchange() {
    let oauth = SimOAuth::start();
    let (verifier, challenge) = pkce();
    let code = web_code(&oauth, &challenge);
    let first = exchange(&oauth, &code, &verifier);
    assert_eq!(first.status, 200, "{first:?}");
    let refresh = first.body["refresh_token"].as_str().unwrap().to_owned();
    assert!(
        first.body["id_token"].is_string(),
        "openid asked: {first:?}"
    );
    let claims = oauth.verify(first.body["access_token"].as_str().unwrap());
    assert_eq!(claims["sub"], oauth.config.owner.as_str());

    // The same code again: refused, and what it gave is revoked.
    let again = exchange(&oauth, &code, &verifier);
    assert_eq!(again.error(), "invalid_grant");
    assert!(
        again.body["error_description"]
            .as_str()
            .unwrap()
            .contains("already used"),
        "{again:?}"
    );
    let refreshed = oauth.token(
        None,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", "web"),
            ("refresh_token", &refresh),
        ],
    );
    assert_eq!(refreshed.error(), "invalid_grant", "{refreshed:?}");
}

#[test]
fn a_bad_pkce_verifier_is_refused_and_spends_the_code() {
    let oauth = SimOAuth::start();
    let (verifier, challenge) = pkce();
    let code = web_code(&oauth, &challenge);
    let wrong = exchange(
        &oauth,
        &code,
        "another-verifier-0123456789-0123456789-0123456789",
    );
    assert_eq!(wrong.error(), "invalid_grant");
    assert!(
        wrong.body["error_description"]
            .as_str()
            .unwrap()
            .contains("code_verifier"),
        "{wrong:?}"
    );
    // The right verifier comes too late: the code is spent.
    assert_eq!(exchange(&oauth, &code, &verifier).error(), "invalid_grant");
    // And no verifier at all for a code asked with a challenge.
    let code = web_code(&oauth, &challenge);
    let none = oauth.token(
        None,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", "web"),
            ("code", &code),
            ("redirect_uri", LOOPBACK),
        ],
    );
    assert_eq!(none.error(), "invalid_grant");
}

#[test]
fn a_public_client_must_use_pkce_and_a_registered_redirect() {
    let oauth = SimOAuth::start();
    let without = oauth.get(
        "/authorize",
        &[
            ("response_type", "code"),
            ("client_id", "web"),
            ("redirect_uri", LOOPBACK),
            ("state", "s-2"),
        ],
    );
    // Told through the redirect, as RFC 6749 §4.1.2.1 says.
    assert_eq!(without.status, 302);
    assert_eq!(
        without.location_param("error").as_deref(),
        Some("invalid_request")
    );
    assert_eq!(without.location_param("state").as_deref(), Some("s-2"));
    assert!(without.location_param("code").is_none());
    // A redirect that is not the client's is never followed: shown instead.
    let (_, challenge) = pkce();
    let elsewhere = oauth.get(
        "/authorize",
        &[
            ("response_type", "code"),
            ("client_id", "web"),
            ("redirect_uri", "https://attacker.example/cb"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    );
    assert_eq!(elsewhere.status, 400);
    assert!(elsewhere.location.is_none());
    // Only S256.
    let plain = oauth.get(
        "/authorize",
        &[
            ("response_type", "code"),
            ("client_id", "web"),
            ("redirect_uri", LOOPBACK),
            ("code_challenge", &challenge),
            ("code_challenge_method", "plain"),
        ],
    );
    assert_eq!(
        plain.location_param("error").as_deref(),
        Some("invalid_request")
    );
}

#[test]
fn without_a_redirect_uri_the_device_client_gets_its_code_as_json() {
    let oauth = SimOAuth::start();
    let answer = oauth.get(
        "/authorize",
        &[
            ("response_type", "code"),
            ("client_id", "device"),
            ("scope", "offline_access"),
            ("device_id", "3f1d2c4b-5a69-4e7f-8a9b-0c1d2e3f4a5b"),
        ],
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    let code = answer.body["code"].as_str().unwrap();
    let secret = oauth.secret("device");
    let tokens = oauth.token(
        Some(("device", &secret)),
        &[("grant_type", "authorization_code"), ("code", code)],
    );
    assert_eq!(tokens.status, 200, "{tokens:?}");
    assert!(tokens.body["refresh_token"].is_string(), "{tokens:?}");
    let claims = oauth.verify(tokens.body["access_token"].as_str().unwrap());
    assert_eq!(
        claims["https://plgd.dev/deviceId"],
        "3f1d2c4b-5a69-4e7f-8a9b-0c1d2e3f4a5b"
    );
    // Another client cannot exchange it.
    let stolen = oauth.token(
        Some(("m2m", &oauth.secret("m2m"))),
        &[("grant_type", "authorization_code"), ("code", code)],
    );
    assert_eq!(stolen.error(), "unauthorized_client");
}

#[test]
fn refresh_tokens_rotate_and_a_reused_one_revokes_the_grant() {
    let oauth = SimOAuth::start();
    let (verifier, challenge) = pkce();
    let code = web_code(&oauth, &challenge);
    let first = exchange(&oauth, &code, &verifier);
    let refresh = |token: &str| {
        oauth.token(
            None,
            &[
                ("grant_type", "refresh_token"),
                ("client_id", "web"),
                ("refresh_token", token),
            ],
        )
    };
    let r1 = first.body["refresh_token"].as_str().unwrap().to_owned();
    let second = refresh(&r1);
    assert_eq!(second.status, 200, "{second:?}");
    let r2 = second.body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(r1, r2, "a new refresh token at each use");
    oauth.verify(second.body["access_token"].as_str().unwrap());
    // The old one again: refused, and the new one with it.
    assert_eq!(refresh(&r1).error(), "invalid_grant");
    assert_eq!(refresh(&r2).error(), "invalid_grant");
}

#[test]
fn a_device_code_is_approved_at_once_and_good_for_one_poll() {
    let oauth = SimOAuth::start();
    let authorization = oauth.post(
        "/oauth/device/code",
        None,
        &[("client_id", "web"), ("scope", "openid offline_access")],
    );
    assert_eq!(authorization.status, 200, "{authorization:?}");
    let body = &authorization.body;
    let user_code = body["user_code"].as_str().unwrap();
    assert_eq!(user_code.len(), 9, "XXXX-XXXX: {user_code}");
    let page = oauth.get("/device", &[("user_code", user_code)]).body;
    assert!(page.as_str().unwrap().contains("approved"), "{page}");
    let poll = || {
        oauth.token(
            None,
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("client_id", "web"),
                ("device_code", body["device_code"].as_str().unwrap()),
            ],
        )
    };
    let tokens = poll();
    assert_eq!(tokens.status, 200, "{tokens:?}");
    oauth.verify(tokens.body["access_token"].as_str().unwrap());
    assert!(tokens.body["refresh_token"].is_string());
    assert_eq!(poll().error(), "invalid_grant");
}

#[test]
fn an_expired_device_code_or_authorization_code_is_refused() {
    let oauth = SimOAuth::start_with(|config| {
        config.device_code_ttl = 1;
        config.code_ttl = 1;
    });
    let authorization = oauth.post("/oauth/device/code", None, &[("client_id", "web")]);
    let (verifier, challenge) = pkce();
    let code = web_code(&oauth, &challenge);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let poll = oauth.token(
        None,
        &[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("client_id", "web"),
            (
                "device_code",
                authorization.body["device_code"].as_str().unwrap(),
            ),
        ],
    );
    assert_eq!(poll.error(), "expired_token", "{poll:?}");
    let late = exchange(&oauth, &code, &verifier);
    assert_eq!(late.error(), "invalid_grant");
    assert!(
        late.body["error_description"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{late:?}"
    );
}

#[test]
fn another_audience_a_repeated_parameter_or_another_grant_type_is_refused() {
    let oauth = SimOAuth::start();
    let basic = Some(("m2m", oauth.config.secret_of("m2m").unwrap()));
    let other = oauth.token(
        basic,
        &[
            ("grant_type", "client_credentials"),
            ("resource", "https://another-cloud.test/"),
        ],
    );
    assert_eq!(other.error(), "invalid_target");
    let twice = oauth.token(
        basic,
        &[
            ("grant_type", "client_credentials"),
            ("grant_type", "client_credentials"),
        ],
    );
    assert_eq!(twice.error(), "invalid_request");
    let password = oauth.token(basic, &[("grant_type", "password")]);
    assert_eq!(password.error(), "unsupported_grant_type");
}

#[test]
fn a_revoked_refresh_token_is_refused() {
    let oauth = SimOAuth::start();
    let (verifier, challenge) = pkce();
    let code = web_code(&oauth, &challenge);
    let tokens = exchange(&oauth, &code, &verifier);
    let refresh = tokens.body["refresh_token"].as_str().unwrap();
    let revoked = oauth.post(
        "/oauth/revoke",
        None,
        &[
            ("client_id", "web"),
            ("token", refresh),
            ("token_type_hint", "refresh_token"),
        ],
    );
    assert_eq!(revoked.status, 200, "{revoked:?}");
    let used = oauth.token(
        None,
        &[
            ("grant_type", "refresh_token"),
            ("client_id", "web"),
            ("refresh_token", refresh),
        ],
    );
    assert_eq!(used.error(), "invalid_grant");
}

/// The simulated cloud, configured as `ocf-devsim cloud --issuer URL
/// --audience A --client-id device` is.
async fn cloud_trusting(oauth: &SimOAuth) -> CloudHandle {
    Cloud::start(CloudConfig {
        issuer: Some(oauth.issuer.clone()),
        audience: Some(AUDIENCE.to_owned()),
        owner_claim: oauth.config.owner_claim.clone(),
        code_client: Some(CodeClient {
            client_id: "device".into(),
            client_secret: oauth.secret("device"),
            redirect_uri: None,
        }),
        ..CloudConfig::default()
    })
    .await
    .expect("start the cloud with the issuer")
}

async fn sign_up(cloud: &CloudHandle, di: &str, token: &str) -> (Code, serde_json::Value) {
    let mut session = connect(cloud, None).await;
    let answer = session
        .request(post(
            "/oic/sec/account",
            json!({"di": di, "authprovider": "plgd", "accesstoken": token, "devicetype": "device"}),
        ))
        .await
        .unwrap();
    (answer.code, body(&answer))
}

#[test]
fn the_cloud_takes_its_access_tokens_and_exchanges_its_codes_once() {
    let oauth = SimOAuth::start();
    let access = oauth.token(
        Some(("m2m", &oauth.secret("m2m"))),
        &[("grant_type", "client_credentials")],
    );
    let access = access.body["access_token"].as_str().unwrap().to_owned();
    let code = oauth.get(
        "/authorize",
        &[
            ("response_type", "code"),
            ("client_id", "device"),
            ("scope", "offline_access"),
        ],
    );
    let code = code.body["code"].as_str().unwrap().to_owned();
    let runtime = ocf_mediator::net::runtime().unwrap();
    runtime.block_on(async {
        let mut cloud = cloud_trusting(&oauth).await;
        // A JWT access token: checked by signature, issuer, audience, expiry.
        let di = "0a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d";
        let (answer, account) = sign_up(&cloud, di, &access).await;
        assert_eq!(answer, Code::CHANGED, "{account}");
        assert_eq!(account["uid"], oauth.config.owner.as_str());
        expect_event(&mut cloud, "signup").await;
        // A one-time code: exchanged at the token endpoint, once.
        let other = "1b2c3d4e-5f6a-4b7c-8d9e-9f0a1b2c3d4e";
        let (answer, account) = sign_up(&cloud, other, &code).await;
        assert_eq!(answer, Code::CHANGED, "{account}");
        expect_event(&mut cloud, "signup").await;
        let third = "2c3d4e5f-6a7b-4c8d-9e0f-0a1b2c3d4e5f";
        let (answer, reason) = sign_up(&cloud, third, &code).await;
        assert_eq!(answer, Code::UNAUTHORIZED, "{reason}");
        let event = expect_event(&mut cloud, "refused").await;
        assert_eq!(event.code.as_deref(), Some("4.01"));
    });
}
