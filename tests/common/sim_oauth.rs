//! The simulator's own OAuth server, started in-process on a thread of its
//! own for a test, and a plain HTTP client that never follows redirects (a
//! test looks at each answer).
#![allow(dead_code)]

use std::sync::mpsc;
use std::thread::JoinHandle;

use ocf_mediator::sim::jwt::{Expectations, KeySet, verify};
use ocf_mediator::sim::oauth::{OAuthConfig, OAuthServer};
use serde_json::Value;
use tokio::sync::oneshot;

pub const AUDIENCE: &str = "https://cloud.test/";

/// A running server, stopped when dropped.
pub struct SimOAuth {
    pub issuer: String,
    pub config: OAuthConfig,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// What an endpoint answered.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    /// The `Location` of a redirect.
    pub location: Option<url::Url>,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Answer {
    /// A query parameter of the redirect's location.
    pub fn location_param(&self, name: &str) -> Option<String> {
        self.location
            .as_ref()?
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    pub fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or("")
    }
}

impl SimOAuth {
    /// A rehearsal's server (`web`, `m2m`, `device`) for [`AUDIENCE`].
    pub fn start() -> SimOAuth {
        SimOAuth::start_with(|_| {})
    }

    /// The same, with some settings changed first (lifetimes).
    pub fn start_with(tune: impl FnOnce(&mut OAuthConfig)) -> SimOAuth {
        let mut config = OAuthConfig::rehearsal(([127, 0, 0, 1], 0).into(), AUDIENCE);
        tune(&mut config);
        let (started_tx, started) = mpsc::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = ocf_mediator::net::runtime().unwrap();
            runtime.block_on(async move {
                let handle = OAuthServer::start(config)
                    .await
                    .expect("start the OAuth server");
                started_tx
                    .send((handle.issuer.clone(), handle.config.clone()))
                    .unwrap();
                let _ = stopped.await;
                drop(handle);
            });
        });
        let (issuer, config) = started.recv().expect("the OAuth server's thread ended");
        SimOAuth {
            issuer,
            config,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    pub fn secret(&self, client: &str) -> String {
        self.config.secret_of(client).unwrap().to_owned()
    }

    /// GET `path` with these query parameters.
    pub fn get(&self, path: &str, query: &[(&str, &str)]) -> Answer {
        let mut url = url::Url::parse(&self.url(path)).unwrap();
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        answer(client().get(url).send().unwrap())
    }

    /// POSTs a form to the token endpoint, with HTTP Basic when a client
    /// and secret are given.
    pub fn token(&self, basic: Option<(&str, &str)>, form: &[(&str, &str)]) -> Answer {
        self.post("/oauth/token", basic, form)
    }

    pub fn post(&self, path: &str, basic: Option<(&str, &str)>, form: &[(&str, &str)]) -> Answer {
        let mut request = client().post(self.url(path)).form(form);
        if let Some((id, secret)) = basic {
            request = request.basic_auth(id, Some(secret));
        }
        answer(request.send().unwrap())
    }

    /// Checks an access token as a resource server would (the JWKS,
    /// issuer, [`AUDIENCE`], expiry) and returns its claims.
    pub fn verify(&self, token: &str) -> Value {
        let jwks = self.get("/.well-known/jwks.json", &[]).body;
        let keys = KeySet::from_jwks(&jwks);
        verify(
            token,
            &keys,
            &Expectations {
                issuer: &self.issuer,
                audience: Some(AUDIENCE),
                now: now(),
            },
        )
        .unwrap_or_else(|e| panic!("the access token does not verify: {e}"))
    }
}

impl Drop for SimOAuth {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// An HTTP client that shows redirects instead of following them.
pub fn client() -> reqwest::blocking::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn answer(response: reqwest::blocking::Response) -> Answer {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let location = headers
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| url::Url::parse(v).ok());
    let text = response.text().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer {
        status,
        location,
        body,
        headers,
    }
}

/// A PKCE pair (verifier, S256 challenge), RFC 7636.
pub fn pkce() -> (String, String) {
    use base64::Engine;
    use sha2::Digest;
    let verifier = format!("verifier-{}-0123456789abcdefghijklmnopqrstuv", now());
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}
