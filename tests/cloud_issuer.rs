//! The simulated cloud against a real OAuth server (oidc-provider): a
//! sign-up's JWT access token is checked by the issuer's JWKS (signature),
//! issuer, audience and expiry; anything else is a one-time code exchanged
//! once at the token endpoint. Each refusal is a 4.01 with its reason.

mod common;
#[path = "common/cloud.rs"]
mod kit;
#[path = "common/oidc.rs"]
mod oidc;

use kit::{body, connect, expect_event, post};
use ocf_mediator::coap::Code;
use ocf_mediator::sim::cloud::authority::CodeClient;
use ocf_mediator::sim::cloud::{Cloud, CloudConfig, CloudHandle};
use ocf_mediator::sim::jwt::JwtSigner;
use oidc::{AUDIENCE, FACTORY_SECRET, Oidc};
use serde_json::json;

const DI: &str = "1f021db2-1c4b-4cff-8a6c-efd6c9f5a502";

/// A JWT access token for the cloud's audience, from the factory client.
fn machine_token(oidc: &Oidc) -> String {
    let answer: serde_json::Value = oidc::browser()
        .post(oidc.url("/token"))
        .basic_auth("factory", Some(FACTORY_SECRET))
        .form(&[("grant_type", "client_credentials"), ("resource", AUDIENCE)])
        .send()
        .unwrap()
        .json()
        .unwrap();
    answer["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"))
        .to_owned()
}

async fn cloud_for(oidc: &Oidc, audience: &str) -> CloudHandle {
    Cloud::start(CloudConfig {
        issuer: Some(oidc.issuer.clone()),
        audience: Some(audience.to_owned()),
        code_client: Some(CodeClient {
            client_id: "device".into(),
            client_secret: oidc::DEVICE_SECRET.into(),
            redirect_uri: None,
        }),
        ..CloudConfig::default()
    })
    .await
    .expect("start the cloud with the issuer")
}

async fn sign_up_with(cloud: &mut CloudHandle, token: &str) -> (Code, serde_json::Value) {
    let mut session = connect(cloud, None).await;
    let answer = session
        .request(post(
            "/oic/sec/account",
            json!({"di": DI, "authprovider": "plgd", "accesstoken": token, "devicetype": "device"}),
        ))
        .await
        .unwrap();
    (answer.code, body(&answer))
}

#[test]
fn jwt_access_tokens_are_checked_against_the_issuer() {
    let oidc = Oidc::start();
    let token = machine_token(&oidc);
    let runtime = ocf_mediator::net::runtime().unwrap();
    runtime.block_on(async {
        // Signature, issuer, audience and expiry hold: signed up, as the token's owner.
        let mut cloud = cloud_for(&oidc, AUDIENCE).await;
        let (code, account) = sign_up_with(&mut cloud, &token).await;
        assert_eq!(code, Code::CHANGED, "{account}");
        let claims = oidc::jwt_claims(&token);
        assert_eq!(account["uid"], claims["sub"]);
        expect_event(&mut cloud, "signup").await;

        // The same claims signed with another key (the issuer's kid): 4.01.
        let forger = JwtSigner::generate("test");
        let forged = forger.sign("at+jwt", &claims);
        let (code, reason) = sign_up_with(&mut cloud, &forged).await;
        assert_eq!(code, Code::UNAUTHORIZED);
        assert!(reason.as_str().unwrap().contains("signature"), "{reason}");
        let event = expect_event(&mut cloud, "refused").await;
        assert_eq!(event.code.as_deref(), Some("4.01"));

        // Another issuer: 4.01.
        let mut elsewhere = claims.clone();
        elsewhere["iss"] = json!("http://127.0.0.1:9/");
        let foreign = forger.sign("at+jwt", &elsewhere);
        let (code, _) = sign_up_with(&mut cloud, &foreign).await;
        assert_eq!(code, Code::UNAUTHORIZED);

        // A code the OAuth server never issued: refused at its token endpoint.
        let (code, reason) = sign_up_with(&mut cloud, "no-such-code-123").await;
        assert_eq!(code, Code::UNAUTHORIZED);
        assert!(
            reason.as_str().unwrap().contains("token endpoint"),
            "{reason}"
        );

        // A cloud of another audience refuses the valid token.
        let mut other = cloud_for(&oidc, "https://another-cloud.test/").await;
        let (code, reason) = sign_up_with(&mut other, &token).await;
        assert_eq!(code, Code::UNAUTHORIZED);
        assert!(reason.as_str().unwrap().contains("meant for"), "{reason}");
    });
}

#[test]
fn an_expired_jwt_is_refused() {
    let oidc = Oidc::start_with(&[("ACCESS_TTL", "1")]);
    let token = machine_token(&oidc);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let runtime = ocf_mediator::net::runtime().unwrap();
    runtime.block_on(async {
        let mut cloud = cloud_for(&oidc, AUDIENCE).await;
        let (code, reason) = sign_up_with(&mut cloud, &token).await;
        assert_eq!(code, Code::UNAUTHORIZED);
        assert!(reason.as_str().unwrap().contains("expired"), "{reason}");
    });
}
