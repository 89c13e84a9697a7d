//! The simulated cloud's CoAP gateway (started in-process, spoken to over
//! CoAP over TCP + TLS): the sign-up, sign-in, refresh, publication and
//! sign-off of FACTS §1.5, and every 4.00 and 4.01 case, each seen as the
//! answer and as the cloud's `refused` event with its reason.

mod common;
#[path = "common/cloud.rs"]
mod kit;

use std::time::Duration;

use kit::{body, connect, expect_event, post};
use ocf_mediator::coap::tcp::TcpConfig;
use ocf_mediator::coap::{Code, Request};
use ocf_mediator::net::coap_tcp::ClientSession;
use ocf_mediator::sim::cloud::{Cloud, CloudConfig, CloudHandle};
use serde_json::json;

const DI: &str = "1f021db2-1c4b-4cff-8a6c-efd6c9f5a502";
const OTHER_DI: &str = "2a5b6c7d-1111-4222-8333-944455556666";

async fn cloud(config: CloudConfig) -> CloudHandle {
    Cloud::start(config).await.expect("start the cloud")
}

async fn rehearsal() -> CloudHandle {
    cloud(CloudConfig::default()).await
}

/// Signs `di` up with `code`; the answer's JSON.
async fn sign_up(session: &mut ClientSession, di: &str, code: &str) -> serde_json::Value {
    let answer = session
        .request(post(
            "/oic/sec/account",
            json!({"di": di, "authprovider": "plgd", "accesstoken": code, "devicetype": "device"}),
        ))
        .await
        .unwrap();
    assert_eq!(answer.code, Code::CHANGED, "{}", body(&answer));
    // Two tokens and the rest fit the 1152 bytes a device without a CSM
    // accepts, with room for a long user id: no block-wise answer.
    assert!(answer.payload.len() < 900, "{} bytes", answer.payload.len());
    body(&answer)
}

async fn sign_in(session: &mut ClientSession, di: &str, account: &serde_json::Value) -> Code {
    let answer = session
        .request(post(
            "/oic/sec/session",
            json!({"uid": account["uid"], "di": di, "accesstoken": account["accesstoken"], "login": true}),
        ))
        .await
        .unwrap();
    answer.code
}

/// Sends a request that must be refused with `code`; checks the cloud's
/// `refused` event and returns its reason.
async fn refused(
    cloud: &mut CloudHandle,
    session: &mut ClientSession,
    request: Request,
    code: Code,
) -> String {
    let answer = session.request(request).await.unwrap();
    assert_eq!(answer.code, code, "answer: {}", body(&answer));
    let event = expect_event(cloud, "refused").await;
    assert_eq!(event.code.as_deref(), Some(code.to_string().as_str()));
    let reason = event.reason.unwrap();
    assert_eq!(body(&answer), serde_json::Value::String(reason.clone()));
    reason
}

#[tokio::test]
async fn sign_up_sign_in_publish_refresh_and_sign_off() {
    let mut cloud = rehearsal().await;
    let mut session = connect(&cloud, None).await;
    let account = sign_up(&mut session, DI, "test-auth-code-123").await;
    for name in ["accesstoken", "refreshtoken", "uid"] {
        assert!(account[name].is_string(), "{account}");
    }
    assert_eq!(account["expiresin"], 3600);
    let event = expect_event(&mut cloud, "signup").await;
    assert_eq!(event.di.as_deref(), Some(DI));

    assert_eq!(sign_in(&mut session, DI, &account).await, Code::CHANGED);
    expect_event(&mut cloud, "signin").await;
    let online = cloud.signed_in();
    assert_eq!(online.len(), 1);
    assert_eq!(online[0].0.to_string(), DI);

    let links = json!({"di": DI, "n": "cloud_server", "ttl": 0, "links": [
        {"href": "/light/1", "rt": ["core.light"], "if": ["oic.if.rw", "oic.if.baseline"], "rel": "hosts", "ins": 1, "p": {"bm": 3}}]});
    let answer = session
        .request(post("/oic/rd?rt=oic.wk.rdpub", links.clone()))
        .await
        .unwrap();
    assert_eq!(answer.code, Code::CHANGED);
    assert_eq!(body(&answer), links, "the publication is echoed");
    let event = expect_event(&mut cloud, "publish").await;
    assert_eq!(event.hrefs, Some(vec!["/light/1".to_owned()]));

    let answer = session
        .request(post(
            "/oic/sec/tokenrefresh",
            json!({"uid": account["uid"], "di": DI, "authprovider": "plgd", "granttype": "refresh_token", "refreshtoken": account["refreshtoken"]}),
        ))
        .await
        .unwrap();
    assert_eq!(answer.code, Code::CHANGED);
    let renewed = body(&answer);
    assert_ne!(renewed["refreshtoken"], account["refreshtoken"], "rotated");
    expect_event(&mut cloud, "refresh").await;

    let href = format!(
        "/oic/sec/account?uid={}&di={DI}&accesstoken={}",
        account["uid"].as_str().unwrap(),
        renewed["accesstoken"].as_str().unwrap()
    );
    let answer = session
        .request(Request::new(Code::DELETE, &href))
        .await
        .unwrap();
    assert_eq!(answer.code, Code::DELETED);
    expect_event(&mut cloud, "signoff").await;
    assert!(cloud.signed_in().is_empty(), "signed off, not signed in");
    // The tokens of a device that signed off are void.
    let after = json!({"uid": account["uid"], "di": DI, "accesstoken": renewed["accesstoken"], "login": true});
    let reason = refused(
        &mut cloud,
        &mut session,
        post("/oic/sec/session", after),
        Code::UNAUTHORIZED,
    )
    .await;
    assert!(reason.contains("revoked"), "{reason}");
}

#[tokio::test]
async fn wrong_or_missing_properties_are_4_00() {
    let mut cloud = rehearsal().await;
    let mut session = connect(&cloud, None).await;
    let bad = Code::BAD_REQUEST;
    let cases = [
        (
            "/oic/sec/account",
            json!({"authprovider": "plgd", "accesstoken": "c"}),
            "di is missing",
        ),
        (
            "/oic/sec/account",
            json!({"di": "not-a-uuid", "accesstoken": "c"}),
            "di is not a UUID",
        ),
        (
            "/oic/sec/account",
            json!({"di": DI}),
            "accesstoken is missing",
        ),
        (
            "/oic/sec/account",
            json!({"di": DI, "accesstoken": 7}),
            "accesstoken is not a string",
        ),
        (
            "/oic/sec/session",
            json!({"di": DI, "accesstoken": "a", "login": true}),
            "uid is missing",
        ),
        (
            "/oic/sec/session",
            json!({"uid": "u", "di": DI, "accesstoken": "a"}),
            "login is missing",
        ),
        (
            "/oic/sec/session",
            json!({"uid": "u", "di": DI, "accesstoken": "a", "login": "yes"}),
            "login is not a boolean",
        ),
        (
            "/oic/sec/tokenrefresh",
            json!({"uid": "u", "di": DI}),
            "refreshtoken is missing",
        ),
        (
            "/oic/sec/tokenrefresh",
            json!({"uid": "u", "di": DI, "refreshtoken": "r", "granttype": "password"}),
            "not refresh_token",
        ),
        (
            "/oic/sec/account",
            json!(["not", "a", "map"]),
            "not a CBOR map",
        ),
    ];
    for (href, payload, expected) in cases {
        let reason = refused(&mut cloud, &mut session, post(href, payload.clone()), bad).await;
        assert!(reason.contains(expected), "{href} {payload}: {reason}");
    }
    // Not CBOR at all.
    let mut garbage = post("/oic/sec/account", json!({}));
    garbage.payload = vec![0xff, 0x00];
    let reason = refused(&mut cloud, &mut session, garbage, bad).await;
    assert!(reason.contains("not CBOR"), "{reason}");
    // A publication without links, once signed in.
    let account = sign_up(&mut session, DI, "code-a").await;
    assert_eq!(sign_in(&mut session, DI, &account).await, Code::CHANGED);
    let reason = refused(
        &mut cloud,
        &mut session,
        post("/oic/rd", json!({"di": DI, "ttl": 0})),
        bad,
    )
    .await;
    assert!(reason.contains("no links"), "{reason}");
}

#[tokio::test]
async fn an_unknown_authprovider_is_4_01() {
    let mut cloud = rehearsal().await;
    let mut session = connect(&cloud, None).await;
    let reason = refused(
        &mut cloud,
        &mut session,
        post(
            "/oic/sec/account",
            json!({"di": DI, "authprovider": "elsewhere", "accesstoken": "c"}),
        ),
        Code::UNAUTHORIZED,
    )
    .await;
    assert!(reason.contains("unknown authprovider"), "{reason}");
}

#[tokio::test]
async fn a_reused_one_time_code_is_4_01() {
    let mut cloud = rehearsal().await;
    let mut session = connect(&cloud, None).await;
    sign_up(&mut session, DI, "one-time-code").await;
    // The real device retries a sign-up with the same code (capture README).
    let again = post(
        "/oic/sec/account",
        json!({"di": DI, "authprovider": "plgd", "accesstoken": "one-time-code", "devicetype": "device"}),
    );
    let reason = refused(&mut cloud, &mut session, again, Code::UNAUTHORIZED).await;
    assert!(reason.contains("already used"), "{reason}");
}

#[tokio::test]
async fn bad_expired_or_foreign_tokens_are_4_01() {
    // Long enough for the checks before the expiry one on a loaded machine.
    let mut cloud = cloud(CloudConfig {
        expires_in: 4,
        ..CloudConfig::default()
    })
    .await;
    let mut session = connect(&cloud, None).await;
    let account = sign_up(&mut session, DI, "code-1").await;
    let other = sign_up(&mut session, OTHER_DI, "code-2").await;
    let unauthorized = Code::UNAUTHORIZED;
    // Not a token of this cloud.
    let forged = json!({"uid": account["uid"], "di": DI, "accesstoken": "made-up", "login": true});
    let reason = refused(
        &mut cloud,
        &mut session,
        post("/oic/sec/session", forged),
        unauthorized,
    )
    .await;
    assert!(reason.contains("bad access token"), "{reason}");
    // Another device's token.
    let foreign =
        json!({"uid": other["uid"], "di": DI, "accesstoken": other["accesstoken"], "login": true});
    let reason = refused(
        &mut cloud,
        &mut session,
        post("/oic/sec/session", foreign),
        unauthorized,
    )
    .await;
    assert!(reason.contains("another device"), "{reason}");
    // Publishing before signing in.
    let early = post("/oic/rd", json!({"di": DI, "links": []}));
    let reason = refused(&mut cloud, &mut session, early, unauthorized).await;
    assert!(reason.contains("not signed in"), "{reason}");
    // Expired (expiresin 4).
    tokio::time::sleep(Duration::from_millis(5100)).await;
    let late = json!({"uid": account["uid"], "di": DI, "accesstoken": account["accesstoken"], "login": true});
    let reason = refused(
        &mut cloud,
        &mut session,
        post("/oic/sec/session", late),
        unauthorized,
    )
    .await;
    assert!(reason.contains("expired"), "{reason}");
}

#[tokio::test]
async fn a_refresh_token_works_once() {
    let mut cloud = rehearsal().await;
    let mut session = connect(&cloud, None).await;
    let account = sign_up(&mut session, DI, "code").await;
    let refresh = json!({"uid": account["uid"], "di": DI, "refreshtoken": account["refreshtoken"]});
    let answer = session
        .request(post("/oic/sec/tokenrefresh", refresh.clone()))
        .await
        .unwrap();
    assert_eq!(answer.code, Code::CHANGED);
    let reason = refused(
        &mut cloud,
        &mut session,
        post("/oic/sec/tokenrefresh", refresh),
        Code::UNAUTHORIZED,
    )
    .await;
    assert!(reason.contains("already used"), "{reason}");
}

#[tokio::test]
async fn a_sign_off_without_its_query_is_4_02() {
    let mut cloud = rehearsal().await;
    let mut session = connect(&cloud, None).await;
    let reason = refused(
        &mut cloud,
        &mut session,
        Request::new(
            Code::DELETE,
            "/oic/sec/account?di=1f021db2-1c4b-4cff-8a6c-efd6c9f5a502",
        ),
        Code::BAD_OPTION,
    )
    .await;
    assert!(reason.contains("accesstoken"), "{reason}");
}

#[tokio::test]
async fn the_device_id_is_bound_to_the_client_certificate() {
    let mut cloud = cloud(CloudConfig {
        require_client_cert: true,
        ..CloudConfig::default()
    })
    .await;
    let leaf = cloud.ca.leaf(&format!("uuid:{DI}")).unwrap();
    let identity = Some((leaf.chain.clone(), leaf.key_pkcs8.clone()));
    let mut session = connect(&cloud, identity.clone()).await;
    let reason = refused(
        &mut cloud,
        &mut session,
        post(
            "/oic/sec/account",
            json!({"di": OTHER_DI, "accesstoken": "c1"}),
        ),
        Code::UNAUTHORIZED,
    )
    .await;
    assert!(reason.contains(&format!("uuid:{DI}")), "{reason}");
    // Its own id goes.
    let mut session = connect(&cloud, identity).await;
    sign_up(&mut session, DI, "c2").await;
}

#[tokio::test]
async fn without_a_client_certificate_a_requiring_cloud_refuses_the_handshake() {
    let mut cloud = cloud(CloudConfig {
        require_client_cert: true,
        ..CloudConfig::default()
    })
    .await;
    let refused_here = match kit::try_connect(&cloud, None).await {
        Err(e) => e.to_string(),
        Ok(_) => panic!("the cloud took a client without a certificate"),
    };
    assert!(
        refused_here.contains("CertificateRequired"),
        "{refused_here}"
    );
    let event = expect_event(&mut cloud, "refused").await;
    let reason = event.reason.unwrap();
    assert!(
        reason.contains("TLS handshake") && reason.contains("certificate"),
        "{reason}"
    );
}

#[tokio::test]
async fn our_csm_is_sent_only_when_asked() {
    for send_csm in [false, true] {
        let cloud = cloud(CloudConfig {
            send_csm,
            ..CloudConfig::default()
        })
        .await;
        let mut session = connect(&cloud, None).await;
        sign_up(&mut session, DI, "code").await;
        assert_eq!(session.connection().peer_sent_csm(), send_csm);
        if send_csm {
            assert_eq!(
                session.connection().peer_max_message_size(),
                TcpConfig::default().max_message_size
            );
        }
    }
}

#[tokio::test]
async fn a_redirect_sends_the_device_to_a_second_instance_that_accepts_its_tokens() {
    use ocf_mediator::sim::cloud_client::CloudClientConfig;
    use ocf_mediator::sim::cloud_link::{configured_device, run_clients};
    let shared = tempfile::tempdir().unwrap();
    let mut second = cloud(CloudConfig {
        state_dir: Some(shared.path().to_owned()),
        ..CloudConfig::default()
    })
    .await;
    let mut first = cloud(CloudConfig {
        state_dir: Some(shared.path().to_owned()),
        redirect_to: Some(second.info.cis.clone()),
        ..CloudConfig::default()
    })
    .await;
    assert_eq!(first.info.sid, second.info.sid, "one hub, two gateways");
    let sid = first.info.sid.to_string();
    let mut devices = vec![configured_device(
        "redirected",
        &sid,
        first.ca_pem(),
        &first.info.cis,
        "plgd",
        "code-r",
    )];
    let online = run_clients(
        &mut devices,
        CloudClientConfig::default(),
        Duration::from_secs(10),
        |_, clients| clients[0].is_online(),
    )
    .await;
    if !online {
        let mut seen = Vec::new();
        while let Some(e) = first.try_event().or_else(|| second.try_event()) {
            seen.push(e);
        }
        panic!("not online: {:?}\n{seen:#?}", devices[0].security.cloud);
    }
    let di = devices[0].di.to_string();
    // Signed up at the first, signed in and published at the second.
    assert_eq!(
        expect_event(&mut first, "signup").await.di,
        Some(di.clone())
    );
    assert_eq!(
        expect_event(&mut second, "signin").await.di,
        Some(di.clone())
    );
    assert_eq!(expect_event(&mut second, "publish").await.di, Some(di));
    assert_eq!(devices[0].security.cloud.cis, second.info.cis);
    assert_eq!(devices[0].security.cloud.cps, "registered");
}
