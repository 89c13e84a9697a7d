//! A logout: revoke the profile's tokens where the server has a revocation
//! endpoint (RFC 7009), then delete its secrets and the profile.

use std::time::Duration;

use super::error::OAuthError;
use super::http::Http;
use super::profile::{self, Flow, Profile};
use super::tokens;
use crate::store::{Secrets, Store};

/// What became of the profile's tokens at the OAuth server.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Revocation {
    /// The server revoked them.
    Revoked,
    /// The server has no revocation endpoint.
    NotOffered,
    /// There was no token to revoke.
    NothingToRevoke,
    /// Revoking failed; the profile and its secrets are gone all the same.
    Failed(OAuthError),
}

/// What a logout did.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct LogoutOutcome {
    pub profile: String,
    pub revocation: Revocation,
}

/// Logs the profile `name` out: its tokens are revoked where the server
/// allows, and the profile and its secrets are deleted.
pub async fn logout(
    store: &Store,
    name: &str,
    timeout: Duration,
) -> Result<LogoutOutcome, OAuthError> {
    let profile = profile::require(store, name).await?;
    let secrets = Secrets::open(profile.keyring)?;
    let revocation = match &profile.endpoints.revocation_endpoint {
        Some(_) => match revoke(&profile, &secrets, timeout).await {
            Ok(true) => Revocation::Revoked,
            Ok(false) => Revocation::NothingToRevoke,
            Err(e) => Revocation::Failed(e),
        },
        None => Revocation::NotOffered,
    };
    tokens::forget(&secrets, name).await?;
    profile::remove(store, name).await?;
    Ok(LogoutOutcome {
        profile: name.to_owned(),
        revocation,
    })
}

/// Revokes the refresh token (or, for client credentials, the cached access
/// token) at the RFC 7009 endpoint. Returns whether something was revoked.
/// Done here rather than with the `oauth2` crate, whose revocation refuses
/// any endpoint that is not https:// (loopback test servers included).
async fn revoke(
    profile: &Profile,
    secrets: &Secrets,
    timeout: Duration,
) -> Result<bool, OAuthError> {
    let Some(url) = profile.endpoints.revocation_endpoint.clone() else {
        return Ok(false);
    };
    let name = &profile.name;
    let (token, hint, secret) = if profile.flow == Flow::ClientCredentials {
        let secret = tokens::stored_client_secret(secrets, name).await?;
        let token = tokens::cached(secrets, name)
            .await?
            .map(|c| c.secret().to_owned());
        (token, "access_token", secret)
    } else {
        (
            tokens::refresh_token(secrets, name).await?,
            "refresh_token",
            None,
        )
    };
    let Some(token) = token else {
        return Ok(false);
    };
    let http = Http::new(profile.tls_ca.as_deref(), timeout)?;
    let what = "the revocation endpoint";
    let status = http
        .post_form(
            &url,
            what,
            &profile.client_id,
            secret.as_ref().map(|s| s.secret().as_str()),
            &[("token", &token), ("token_type_hint", hint)],
        )
        .await?;
    if status.is_success() {
        Ok(true)
    } else {
        Err(OAuthError::HttpStatus {
            what: what.to_owned(),
            url: url.to_string(),
            status: status.as_u16(),
        })
    }
}
