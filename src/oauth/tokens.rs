//! Tokens of a profile: the cached access token, refresh and re-fetch.
//! Every secret lives in the keyring only: the refresh token, the client
//! secret, and the cached access token with its expiry.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use oauth2::basic::{BasicClient, BasicTokenResponse};
use oauth2::{ClientId, ClientSecret, RefreshToken, TokenResponse, TokenUrl};
use serde::{Deserialize, Serialize};

use super::errors::token_error;
use super::http::Http;
use super::profile::{self, Flow, Profile};
use crate::cli::exit::{Exit, failure};
use crate::store::{SecretError, Secrets};

/// A cached token is used only while it has this much life left.
pub const MARGIN: Duration = Duration::from_secs(30);
/// Life assumed when the server does not say (`expires_in` missing).
const DEFAULT_LIFE: Duration = Duration::from_secs(300);

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The cached access token, as stored in the keyring.
#[derive(Serialize, Deserialize)]
pub struct CachedToken {
    pub access_token: String,
    /// Unix seconds.
    pub expires_at: u64,
}

impl CachedToken {
    pub fn fresh(&self) -> bool {
        self.expires_at > now() + MARGIN.as_secs()
    }
}

pub fn secret_error(error: SecretError) -> anyhow::Error {
    failure(Exit::Failed, error.to_string())
}

/// Extra parameters naming the audience: Auth0-style `audience`, and RFC 8707
/// `resource` when the audience is an absolute URI (oidc-provider, Keycloak).
pub fn audience_params(audience: Option<&str>) -> Vec<(&'static str, String)> {
    let mut params = Vec::new();
    if let Some(audience) = audience {
        params.push(("audience", audience.to_owned()));
        if url::Url::parse(audience).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) {
            params.push(("resource", audience.to_owned()));
        }
    }
    params
}

/// Saves what a token response brought: the access token (cached with its
/// expiry) and, when there is one, the (possibly rotated) refresh token.
pub fn store(
    secrets: &Secrets,
    profile: &str,
    response: &BasicTokenResponse,
) -> anyhow::Result<CachedToken> {
    let life = response.expires_in().unwrap_or(DEFAULT_LIFE);
    let cached = CachedToken {
        access_token: response.access_token().secret().clone(),
        expires_at: now() + life.as_secs(),
    };
    if let Some(refresh) = response.refresh_token() {
        secrets
            .set(
                &profile::refresh_token_account(profile),
                refresh.secret().as_bytes(),
            )
            .map_err(secret_error)?;
    }
    let json = serde_json::to_vec(&cached)?;
    secrets
        .set(&profile::access_token_account(profile), &json)
        .map_err(secret_error)?;
    Ok(cached)
}

/// The cached access token, if any (fresh or not).
pub fn cached(secrets: &Secrets, profile: &str) -> anyhow::Result<Option<CachedToken>> {
    let Some(bytes) = secrets
        .get(&profile::access_token_account(profile))
        .map_err(secret_error)?
    else {
        return Ok(None);
    };
    // A damaged cache entry is only a cache miss.
    Ok(serde_json::from_slice(&bytes).ok())
}

/// A fresh access token of the profile: the cached one when it has life
/// left (no network), else refreshed (or re-fetched with the client secret).
pub async fn access_token(
    profile: &Profile,
    secrets: &Secrets,
    http: impl FnOnce() -> anyhow::Result<Http>,
) -> anyhow::Result<CachedToken> {
    if let Some(cached) = cached(secrets, &profile.name)? {
        if cached.fresh() {
            return Ok(cached);
        }
    }
    let http = http()?;
    let response = match profile.flow {
        Flow::ClientCredentials => {
            let secret = client_secret(secrets, &profile.name)?.ok_or_else(|| {
                failure(
                    Exit::AuthFailed,
                    format!(
                        "no client secret for profile {:?} in the keyring: log in again with `ocf-mediator login --profile {} --client-credentials`",
                        profile.name, profile.name
                    ),
                )
            })?;
            super::client_credentials::grant(&http, profile, &secret).await?
        }
        Flow::DeviceCode | Flow::Browser => refresh(&http, profile, secrets).await?,
    };
    store(secrets, &profile.name, &response)
}

/// The client secret: `OCF_MEDIATOR_CLIENT_SECRET`, else the keyring.
pub fn client_secret(secrets: &Secrets, profile: &str) -> anyhow::Result<Option<ClientSecret>> {
    if let Ok(secret) = std::env::var("OCF_MEDIATOR_CLIENT_SECRET") {
        if !secret.is_empty() {
            return Ok(Some(ClientSecret::new(secret)));
        }
    }
    let stored = secrets
        .get(&profile::client_secret_account(profile))
        .map_err(secret_error)?;
    Ok(stored.map(|bytes| ClientSecret::new(String::from_utf8_lossy(&bytes).into_owned())))
}

async fn refresh(
    http: &Http,
    profile: &Profile,
    secrets: &Secrets,
) -> anyhow::Result<BasicTokenResponse> {
    let name = &profile.name;
    let Some(token) = secrets
        .get(&profile::refresh_token_account(name))
        .map_err(secret_error)?
    else {
        return Err(failure(
            Exit::AuthFailed,
            format!(
                "the access token of profile {name:?} expired and there is no refresh token: log in again with `ocf-mediator login --profile {name}`"
            ),
        ));
    };
    let token = RefreshToken::new(String::from_utf8_lossy(&token).into_owned());
    let url = &profile.endpoints.token_endpoint;
    let client = BasicClient::new(ClientId::new(profile.client_id.clone()))
        .set_token_uri(TokenUrl::from_url(url.clone()));
    let mut request = client.exchange_refresh_token(&token);
    for (key, value) in audience_params(profile.audience.as_deref()) {
        request = request.add_extra_param(key, value);
    }
    request
        .request_async(http)
        .await
        .map_err(|e| token_error(e, url, Some(name)))
}
