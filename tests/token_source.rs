//! One profile's tokens shared by many tasks in one process, as a batch of
//! devices uses them: the library's `TokenSource` against a real OAuth server
//! (oidc-provider) and a real keyring (gnome-keyring), after a login by the
//! command line. A refresh token may be rotated at each use, so a hundred
//! refreshes racing each other would also be a hundred chances to lose the
//! login: the source must refresh once for all of them.
//!
//! One test in this file: it points the process's D-Bus session at its
//! scratch home, which the library's Secret Service connection then keeps.

mod common;
#[path = "common/oidc.rs"]
mod oidc;

use std::sync::Arc;
use std::time::Duration;

use ocf_mediator::interact::Unattended;
use ocf_mediator::oauth::{DeviceToken, TokenOptions, TokenSource};
use ocf_mediator::store::Store;
use oidc::{AUDIENCE, Home, Oidc, jwt_claims};

#[test]
fn a_hundred_devices_asking_at_once_for_an_expired_token_cause_one_refresh() {
    // Tokens that live less than the refresh margin are stale at once.
    let oidc = Oidc::start_with(&[("ACCESS_TTL", "5")]);
    let home = Home::new();
    let issuer = oidc.issuer.clone();
    let login = home.device_code_login(&[
        "--issuer",
        &issuer,
        "--client-id",
        "mediator",
        "--audience",
        AUDIENCE,
    ]);
    assert_eq!(login.code, 0, "{}", login.stderr);
    // SAFETY: the only test of this process, before it starts any thread
    // that reads the environment.
    unsafe { std::env::set_var("DBUS_SESSION_BUS_ADDRESS", home.home.bus_address()) };

    let runtime = ocf_mediator::net::runtime().unwrap();
    let source = runtime.block_on(async {
        let store = Store::open(Some(&home.home.state_dir())).unwrap();
        let options = TokenOptions::new(Duration::from_secs(10));
        TokenSource::open(&store, "default", options, Arc::new(Unattended))
            .await
            .unwrap()
    });
    for wave in 1..=2 {
        let tokens = runtime.block_on(ask_at_once(&source, 100));
        assert_eq!(
            oidc.token_requests("refresh_token"),
            wave,
            "one refresh per wave of askers"
        );
        let first = tokens[0].secret();
        assert!(tokens.iter().all(|t| t.secret() == first));
        assert!(matches!(tokens[0], DeviceToken::AccessToken(_)));
        let claims = jwt_claims(first);
        assert_eq!(claims["aud"], AUDIENCE);
        assert_eq!(claims["sub"], "tester");
    }
    // The last refresh token is the one kept: the command line still works.
    let token = home.run(&["token"]);
    assert_eq!(token.code, 0, "{}", token.stderr);
    assert_eq!(oidc.token_requests("refresh_token"), 3);
}

/// `device_token` for `count` devices, from as many tasks started at once.
async fn ask_at_once(source: &TokenSource, count: u128) -> Vec<DeviceToken> {
    let tasks: Vec<_> = (0..count)
        .map(|n| {
            let source = source.clone();
            tokio::spawn(async move { source.device_token(uuid::Uuid::from_u128(n + 1)).await })
        })
        .collect();
    let mut tokens = Vec::new();
    for task in tasks {
        tokens.push(task.await.unwrap().unwrap());
    }
    tokens
}
