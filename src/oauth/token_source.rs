//! One profile's tokens for many concurrent tasks: the access token, cached
//! in the keyring and renewed when it is about to expire — once for all the
//! tasks that need it at that moment — and per-device tokens.

use std::sync::Arc;
use std::time::Duration;

use oauth2::ClientSecret;
use tokio::sync::{Mutex, OnceCell};
use uuid::Uuid;

use super::device_token::{self, DeviceToken};
use super::error::OAuthError;
use super::http::Http;
use super::profile::{self, DeviceTokenKind, Profile};
use super::single_flight::SingleFlight;
use super::tokens::{self, AccessToken};
use crate::interact::{Interaction, Secret};
use crate::store::{Secrets, Store};

/// How a [`TokenSource`] reaches the OAuth server.
#[derive(Debug)]
#[non_exhaustive]
pub struct TokenOptions {
    /// How long one HTTP request may take.
    pub timeout: Duration,
    /// The client secret of a client credentials profile, when the caller
    /// has it (e.g. from the environment); else the keyring's is used.
    pub client_secret: Option<Secret>,
}

impl TokenOptions {
    pub fn new(timeout: Duration) -> TokenOptions {
        TokenOptions {
            timeout,
            client_secret: None,
        }
    }

    pub fn with_client_secret(mut self, secret: Option<Secret>) -> TokenOptions {
        self.client_secret = secret;
        self
    }
}

/// The tokens of one profile. Clone it into every task that needs a token:
/// the clones share the cached token and its renewal.
#[derive(Clone)]
pub struct TokenSource {
    inner: Arc<Inner>,
}

struct Inner {
    profile: Profile,
    secrets: Secrets,
    timeout: Duration,
    client_secret: Option<ClientSecret>,
    interaction: Arc<dyn Interaction>,
    /// Made on the first network use: a cached token needs none.
    http: OnceCell<Http>,
    /// One being made on a thread of its own ([`TokenSource::prepare_http`]).
    http_prepared:
        std::sync::Mutex<Option<tokio::sync::oneshot::Receiver<Result<Http, OAuthError>>>>,
    access: SingleFlight<AccessToken, OAuthError>,
    /// One authorization request at a time: each binds the same redirect
    /// URI, and a person answers them in turn.
    minting: Mutex<()>,
}

impl TokenSource {
    /// The token source of the stored profile `name`.
    pub async fn open(
        store: &Store,
        name: &str,
        options: TokenOptions,
        interaction: Arc<dyn Interaction>,
    ) -> Result<TokenSource, OAuthError> {
        let profile = profile::require(store, name).await?;
        TokenSource::new(profile, options, interaction)
    }

    /// The token source of `profile`, whose secrets are in its keyring.
    pub fn new(
        profile: Profile,
        options: TokenOptions,
        interaction: Arc<dyn Interaction>,
    ) -> Result<TokenSource, OAuthError> {
        let secrets = Secrets::open(profile.keyring)?;
        Ok(TokenSource {
            inner: Arc::new(Inner {
                profile,
                secrets,
                timeout: options.timeout,
                client_secret: options
                    .client_secret
                    .map(|s| ClientSecret::new(s.expose().to_owned())),
                interaction,
                http: OnceCell::new(),
                http_prepared: std::sync::Mutex::new(None),
                access: SingleFlight::new(),
                minting: Mutex::new(()),
            }),
        })
    }

    pub fn profile(&self) -> &Profile {
        &self.inner.profile
    }

    /// The profile's access token with more than [`tokens::MARGIN`] of life
    /// left: the one in memory or the keyring when it has, else a renewed
    /// one (refreshed, or granted again with the client secret). Concurrent
    /// callers share one renewal.
    pub async fn access_token(&self) -> Result<AccessToken, OAuthError> {
        let inner = &self.inner;
        inner
            .access
            .get(AccessToken::fresh, || async {
                let name = &inner.profile.name;
                if let Some(cached) = tokens::cached(&inner.secrets, name).await? {
                    if cached.fresh() {
                        return Ok(cached);
                    }
                }
                let http = self.http().await?;
                tokens::renew(
                    http,
                    &inner.profile,
                    &inner.secrets,
                    inner.client_secret.as_ref(),
                )
                .await
            })
            .await
    }

    /// What device `device` needs as `at`: the profile's access token, or a
    /// one-time authorization code for it on hubs whose devices sign up with
    /// codes (a person logs in for each).
    pub async fn device_token(&self, device: Uuid) -> Result<DeviceToken, OAuthError> {
        match self.inner.profile.device.kind {
            DeviceTokenKind::AccessToken => self.access_token().await.map(DeviceToken::AccessToken),
            DeviceTokenKind::AuthorizationCode => {
                let _turn = self.inner.minting.lock().await;
                let code = device_token::authorization_code(
                    &self.inner.profile,
                    device,
                    &self.inner.interaction,
                )
                .await?;
                Ok(DeviceToken::AuthorizationCode { device, code })
            }
        }
    }

    /// [`TokenSource::device_token`] when a device is named, else the
    /// access token (for clouds whose devices take access tokens).
    pub async fn token(&self, device: Option<Uuid>) -> Result<DeviceToken, OAuthError> {
        match (device, self.inner.profile.device.kind) {
            (Some(device), _) => self.device_token(device).await,
            (None, DeviceTokenKind::AccessToken) => {
                self.access_token().await.map(DeviceToken::AccessToken)
            }
            (None, DeviceTokenKind::AuthorizationCode) => Err(OAuthError::NeedsDeviceId {
                profile: self.inner.profile.name.clone(),
            }),
        }
    }

    /// Starts making the HTTP client on a thread of its own, for a caller
    /// that will surely need the network (e.g. the hub's certificate
    /// authority): the system's roots take tens of milliseconds to load,
    /// which then pass while the device is talked to instead of after.
    pub fn prepare_http(&self) {
        let inner = &self.inner;
        if inner.http.initialized() {
            return;
        }
        let mut prepared = inner
            .http_prepared
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if prepared.is_some() {
            return;
        }
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let (profile, timeout) = (inner.profile.clone(), inner.timeout);
        std::thread::spawn(move || {
            let _ = sender.send(Http::for_profile(&profile, timeout));
        });
        *prepared = Some(receiver);
    }

    /// POSTs `body` to an API of the profile's hub (`url`) with the
    /// profile's access token as bearer: the status and the JSON answer.
    pub async fn post_json(
        &self,
        url: &url::Url,
        what: &str,
        body: &serde_json::Value,
    ) -> Result<(http::StatusCode, serde_json::Value), OAuthError> {
        let token = self.access_token().await?;
        self.http()
            .await?
            .post_json_bearer(url, what, token.secret(), body)
            .await
    }

    /// How many times the access token was looked up beyond memory (in the
    /// keyring, then the network when stale) since this source was made.
    pub fn renewals(&self) -> u64 {
        self.inner.access.fetches()
    }

    async fn http(&self) -> Result<&Http, OAuthError> {
        let inner = &self.inner;
        inner
            .http
            .get_or_try_init(|| async {
                let prepared = inner
                    .http_prepared
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .take();
                match prepared {
                    Some(receiver) => match receiver.await {
                        Ok(made) => made,
                        Err(_) => Http::for_profile(&inner.profile, inner.timeout),
                    },
                    None => Http::for_profile(&inner.profile, inner.timeout),
                }
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interact::{Scripted, Unattended};
    use crate::oauth::discovery::Endpoints;
    use crate::oauth::profile::{DeviceClient, Flow};
    use crate::store::KeyringKind;
    use url::Url;

    /// A profile of a hub whose device client uses codes and redirects to
    /// `redirect_uri`; nothing of it is contacted by the tests.
    fn code_hub_profile(redirect_uri: &str) -> Profile {
        Profile {
            name: "hub".to_owned(),
            hub: Some(Url::parse("https://hub.example").unwrap()),
            endpoints: Endpoints {
                issuer: "https://auth.example".to_owned(),
                token_endpoint: Url::parse("https://auth.example/token").unwrap(),
                authorization_endpoint: Some(Url::parse("https://auth.example/authorize").unwrap()),
                device_authorization_endpoint: None,
                revocation_endpoint: None,
            },
            client_id: "web".to_owned(),
            audience: None,
            scopes: vec![],
            flow: Flow::DeviceCode,
            device: DeviceClient {
                kind: DeviceTokenKind::AuthorizationCode,
                client_id: Some("device".to_owned()),
                audience: Some("https://cloud.example/".to_owned()),
                scopes: vec!["offline_access".to_owned()],
                redirect_uri: Some(redirect_uri.to_owned()),
            },
            cis: None,
            apn: None,
            sid: None,
            trust_anchor: None,
            certificate_authority: None,
            tls_ca: None,
            keyring: KeyringKind::Kernel,
        }
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    const DEVICE: Uuid = Uuid::from_u128(0x0a1b2c3d_4e5f_4a6b_8c7d_9e0f1a2b3c4d);

    #[test]
    fn a_code_the_browser_brought_to_a_remote_redirect_uri_is_pasted() {
        let person = Arc::new(Scripted::new().with_pastes(&["c0de-for-the-device\n"]));
        let source = TokenSource::new(
            code_hub_profile("https://hub.example/devices"),
            TokenOptions::new(Duration::from_secs(5)),
            person.clone(),
        )
        .unwrap();
        let token = runtime().block_on(source.device_token(DEVICE)).unwrap();
        assert!(
            matches!(&token, DeviceToken::AuthorizationCode { device, code } if *device == DEVICE && code == "c0de-for-the-device")
        );
        assert!(!format!("{token:?}").contains("c0de"));
        let shown = person.transcript();
        assert!(
            shown[0].starts_with("browser https://auth.example/authorize?"),
            "{shown:?}"
        );
        assert!(
            shown[0].contains("client_id=device")
                && shown[0].contains(&format!("device_id={DEVICE}"))
        );
        assert!(shown[1].contains("AuthorizationUrl"), "{shown:?}");
        assert!(shown[2].starts_with("paste After logging in"), "{shown:?}");
    }

    #[test]
    fn nobody_to_paste_fails_before_anything_is_shown() {
        let source = TokenSource::new(
            code_hub_profile("https://hub.example/devices"),
            TokenOptions::new(Duration::from_secs(5)),
            Arc::new(Unattended),
        )
        .unwrap();
        let error = runtime().block_on(source.device_token(DEVICE)).unwrap_err();
        assert!(matches!(&error, OAuthError::Declined { .. }), "{error:?}");
        assert!(
            error.to_string().contains("https://hub.example/devices"),
            "{error}"
        );
    }

    #[test]
    fn a_code_needs_the_device_it_is_for() {
        let source = TokenSource::new(
            code_hub_profile("https://hub.example/devices"),
            TokenOptions::new(Duration::from_secs(5)),
            Arc::new(Unattended),
        )
        .unwrap();
        let error = runtime().block_on(source.token(None)).unwrap_err();
        assert!(matches!(error, OAuthError::NeedsDeviceId { .. }));
    }

    #[test]
    fn a_token_source_can_be_shared_by_spawned_tasks() {
        fn send_and_static<T: Send + 'static>(_: &T) {}
        let source = TokenSource::new(
            code_hub_profile("https://hub.example/devices"),
            TokenOptions::new(Duration::from_secs(5)),
            Arc::new(Unattended),
        )
        .unwrap();
        let shared = source.clone();
        send_and_static(&async move { shared.device_token(DEVICE).await });
        let shared = source.clone();
        send_and_static(&async move { shared.access_token().await });
    }
}
