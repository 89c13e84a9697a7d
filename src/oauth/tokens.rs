//! Tokens of a profile in the keyring, and getting new ones. Every secret
//! lives in the keyring only: the refresh token, the client secret, and the
//! cached access token with its expiry.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use oauth2::basic::{BasicClient, BasicTokenResponse};
use oauth2::{ClientId, ClientSecret, RefreshToken, TokenResponse, TokenUrl};
use serde::{Deserialize, Serialize};

use super::error::{OAuthError, token_error};
use super::http::Http;
use super::profile::{self, Flow, Profile, keyring};
use crate::store::Secrets;

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

/// An access token of a profile, with its expiry. Never printed: `Debug`
/// shows only the expiry.
#[derive(Clone, Serialize, Deserialize)]
pub struct AccessToken {
    access_token: String,
    /// Unix seconds.
    expires_at: u64,
}

impl AccessToken {
    /// The token itself, to send.
    pub fn secret(&self) -> &str {
        &self.access_token
    }

    /// When it expires, in Unix seconds.
    pub fn expires_at(&self) -> u64 {
        self.expires_at
    }

    /// How long it lives from now (zero once expired).
    pub fn expires_in(&self) -> Duration {
        Duration::from_secs(self.expires_at.saturating_sub(now()))
    }

    /// Whether it has more than [`MARGIN`] of life left.
    pub fn fresh(&self) -> bool {
        self.expires_at > now() + MARGIN.as_secs()
    }

    fn from_response(response: &BasicTokenResponse) -> AccessToken {
        let life = response.expires_in().unwrap_or(DEFAULT_LIFE);
        AccessToken {
            access_token: response.access_token().secret().clone(),
            expires_at: now() + life.as_secs(),
        }
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
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
pub async fn store(
    secrets: &Secrets,
    profile: &str,
    response: &BasicTokenResponse,
) -> Result<AccessToken, OAuthError> {
    let token = AccessToken::from_response(response);
    let refresh = response.refresh_token().map(|r| r.secret().clone());
    let cached = serde_json::to_vec(&token).expect("a token serialises");
    let (refresh_account, access_account) = (
        profile::refresh_token_account(profile),
        profile::access_token_account(profile),
    );
    keyring(secrets, move |s| {
        if let Some(refresh) = refresh {
            s.set(&refresh_account, refresh.as_bytes())?;
        }
        s.set(&access_account, &cached)
    })
    .await?;
    Ok(token)
}

/// The cached access token, if any (fresh or not).
pub async fn cached(secrets: &Secrets, profile: &str) -> Result<Option<AccessToken>, OAuthError> {
    let account = profile::access_token_account(profile);
    let bytes = keyring(secrets, move |s| s.get(&account)).await?;
    // A damaged cache entry is only a cache miss.
    Ok(bytes.and_then(|b| serde_json::from_slice(&b).ok()))
}

/// The refresh token kept for the profile, if any.
pub async fn refresh_token(secrets: &Secrets, profile: &str) -> Result<Option<String>, OAuthError> {
    let account = profile::refresh_token_account(profile);
    let bytes = keyring(secrets, move |s| s.get(&account)).await?;
    Ok(bytes.map(|t| String::from_utf8_lossy(&t).into_owned()))
}

/// The client secret kept in the keyring, if any.
pub async fn stored_client_secret(
    secrets: &Secrets,
    profile: &str,
) -> Result<Option<ClientSecret>, OAuthError> {
    let account = profile::client_secret_account(profile);
    let bytes = keyring(secrets, move |s| s.get(&account)).await?;
    Ok(bytes.map(|b| ClientSecret::new(String::from_utf8_lossy(&b).into_owned())))
}

/// Deletes every secret of a profile from one keyring.
pub async fn forget(secrets: &Secrets, profile: &str) -> Result<(), OAuthError> {
    let accounts = [
        profile::refresh_token_account(profile),
        profile::client_secret_account(profile),
        profile::access_token_account(profile),
    ];
    keyring(secrets, move |s| {
        for account in &accounts {
            s.delete(account)?;
        }
        Ok(())
    })
    .await
}

/// A new access token for the profile, from the network: refreshed with
/// the refresh token, or granted again with the client secret (`secret`,
/// else the keyring's). Stored in the keyring before it is returned.
pub async fn renew(
    http: &Http,
    profile: &Profile,
    secrets: &Secrets,
    secret: Option<&ClientSecret>,
) -> Result<AccessToken, OAuthError> {
    let response = match profile.flow {
        Flow::ClientCredentials => {
            let stored;
            let secret = match secret {
                Some(secret) => secret,
                None => {
                    stored = stored_client_secret(secrets, &profile.name)
                        .await?
                        .ok_or_else(|| OAuthError::NoClientSecret {
                            profile: profile.name.clone(),
                        })?;
                    &stored
                }
            };
            super::client_credentials::grant(http, profile, secret).await?
        }
        Flow::DeviceCode | Flow::Browser => refresh(http, profile, secrets).await?,
    };
    store(secrets, &profile.name, &response).await
}

async fn refresh(
    http: &Http,
    profile: &Profile,
    secrets: &Secrets,
) -> Result<BasicTokenResponse, OAuthError> {
    let name = &profile.name;
    let Some(token) = refresh_token(secrets, name).await? else {
        return Err(OAuthError::NoRefreshToken {
            profile: name.clone(),
        });
    };
    let token = RefreshToken::new(token);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_never_shown_by_debug() {
        let token = AccessToken {
            access_token: "eyJ-very-secret".to_owned(),
            expires_at: 1,
        };
        assert!(!format!("{token:?}").contains("secret"));
        assert!(!token.fresh());
        assert_eq!(token.expires_in(), Duration::ZERO);
    }

    #[test]
    fn the_cache_entry_keeps_its_stored_shape() {
        // Profiles logged in by earlier versions keep their cached token.
        let stored = br#"{"access_token":"t","expires_at":4102444800}"#;
        let token: AccessToken = serde_json::from_slice(stored).unwrap();
        assert_eq!(token.secret(), "t");
        assert!(token.fresh());
    }
}
