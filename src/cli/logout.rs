//! `logout`: revoke the profile's tokens where the server has a revocation
//! endpoint (RFC 7009), then delete its secrets and the profile.

use serde_json::json;

use super::args::{GlobalArgs, ProfileArgs};
use super::cloud_state;
use super::exit::{Exit, failure};
use super::output::Output;
use crate::oauth::http::Http;
use crate::oauth::profile::{self, Flow, Profile};
use crate::oauth::tokens::{self, secret_error};
use crate::store::Secrets;

pub async fn run(args: &ProfileArgs, global: &GlobalArgs, output: &Output) -> anyhow::Result<Exit> {
    let name = &args.profile;
    profile::check_name(name)?;
    let state = cloud_state::state(global)?;
    let profile = profile::require(&state, name).await?;
    let secrets = cloud_state::secrets(profile.keyring)?;
    let revoked = match &profile.endpoints.revocation_endpoint {
        Some(_) => {
            let http = cloud_state::http(profile.tls_ca.as_deref(), global.timeout)?;
            match revoke(&http, &profile, &secrets).await {
                Ok(revoked) => revoked,
                Err(e) => {
                    output.note(&format!("warning: could not revoke the tokens: {e:#}"));
                    false
                }
            }
        }
        None => {
            output.debug("the OAuth server has no revocation endpoint");
            false
        }
    };
    for account in [
        profile::refresh_token_account(name),
        profile::client_secret_account(name),
        profile::access_token_account(name),
    ] {
        secrets.delete(&account).map_err(secret_error)?;
    }
    profile::remove(&state, name).await?;
    if output.json {
        output.json_line(&json!({"event": "logged_out", "profile": name, "revoked": revoked}));
    } else {
        let how = if revoked { " (tokens revoked)" } else { "" };
        output.note(&format!("Logged out: profile {name} deleted{how}"));
    }
    Ok(Exit::Success)
}

/// Revokes the refresh token (or, for client credentials, the cached access
/// token) at the RFC 7009 endpoint. Returns whether something was revoked.
/// Done here rather than with the `oauth2` crate, whose revocation refuses
/// any endpoint that is not https:// (loopback test servers included).
async fn revoke(http: &Http, profile: &Profile, secrets: &Secrets) -> anyhow::Result<bool> {
    let Some(url) = profile.endpoints.revocation_endpoint.clone() else {
        return Ok(false);
    };
    let (token, hint, secret) = if profile.flow == Flow::ClientCredentials {
        let secret = tokens::client_secret(secrets, &profile.name)?;
        let token = tokens::cached(secrets, &profile.name)?.map(|c| c.access_token);
        (token, "access_token", secret)
    } else {
        let token = secrets
            .get(&profile::refresh_token_account(&profile.name))
            .map_err(secret_error)?
            .map(|t| String::from_utf8_lossy(&t).into_owned());
        (token, "refresh_token", None)
    };
    let Some(token) = token else {
        return Ok(false);
    };
    let status = http
        .post_form(
            &url,
            "the revocation endpoint",
            &profile.client_id,
            secret.as_ref().map(|s| s.secret().as_str()),
            &[("token", &token), ("token_type_hint", hint)],
        )
        .await?;
    if status.is_success() {
        Ok(true)
    } else {
        Err(failure(
            Exit::Failed,
            format!("the revocation endpoint {url} answered HTTP {status}"),
        ))
    }
}
