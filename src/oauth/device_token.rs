//! What a device needs as `at`, by the profile's device token kind:
//! an access token of the profile (for the cloud's audience), or — for hubs
//! whose device OAuth client uses authorization codes (plgd's default) — a
//! one-time code from an authorization request for the device client with
//! the device id, as plgd's UI does. The hub's coap-gateway exchanges that
//! code itself, with its client secret and its redirect URI, so the request
//! carries no PKCE challenge and must use the hub's redirect URI.

use std::io::BufRead;

use oauth2::basic::BasicClient;
use oauth2::{AuthUrl, ClientId, CsrfToken, RedirectUrl, Scope};
use url::Url;

use super::browser::{WAIT, show_authorization_url};
use super::http::Http;
use super::profile::{DeviceTokenKind, Profile};
use super::redirect::{Listener, code_from_pasted};
use super::tokens::{self, CachedToken, audience_params};
use crate::cli::exit::{Exit, failure};
use crate::cli::output::Output;
use crate::store::Secrets;

pub enum DeviceToken {
    AccessToken(CachedToken),
    AuthorizationCode(String),
}

pub async fn mint(
    profile: &Profile,
    secrets: &Secrets,
    device: Option<uuid::Uuid>,
    output: &Output,
    http: impl FnOnce() -> anyhow::Result<Http>,
) -> anyhow::Result<DeviceToken> {
    match profile.device.kind {
        DeviceTokenKind::AccessToken => Ok(DeviceToken::AccessToken(
            tokens::access_token(profile, secrets, http).await?,
        )),
        DeviceTokenKind::AuthorizationCode => {
            let Some(device) = device else {
                return Err(failure(
                    Exit::Usage,
                    format!(
                        "profile {:?} is for a hub whose devices sign up with a one-time authorization code: name the device with --device DI",
                        profile.name
                    ),
                ));
            };
            let code = authorization_code(&http()?, profile, device, output).await?;
            Ok(DeviceToken::AuthorizationCode(code))
        }
    }
}

async fn authorization_code(
    _http: &Http,
    profile: &Profile,
    device: uuid::Uuid,
    output: &Output,
) -> anyhow::Result<String> {
    let name = &profile.name;
    let Some(auth_url) = profile.endpoints.authorization_endpoint.clone() else {
        return Err(failure(
            Exit::Failed,
            format!(
                "the OAuth server {} of profile {name:?} has no authorization endpoint",
                profile.endpoints.issuer
            ),
        ));
    };
    let client_id = profile.device.client_id.clone().ok_or_else(|| {
        failure(
            Exit::Failed,
            format!("profile {name:?} names no device OAuth client: log in again with --hub"),
        )
    })?;
    let redirect_text = profile.device.redirect_uri.clone().ok_or_else(|| {
        failure(
            Exit::Usage,
            format!("profile {name:?} has no redirect URI for the device OAuth client: log in again with --device-redirect-uri URI (the coap-gateway's redirect URL)"),
        )
    })?;
    let redirect_uri = Url::parse(&redirect_text).map_err(|e| {
        failure(
            Exit::Failed,
            format!("the device redirect URI {redirect_text:?} is not a URL: {e}"),
        )
    })?;
    let client = BasicClient::new(ClientId::new(client_id))
        .set_auth_uri(AuthUrl::from_url(auth_url))
        .set_redirect_uri(RedirectUrl::from_url(redirect_uri.clone()));
    let mut request = client
        .authorize_url(CsrfToken::new_random)
        .add_scopes(profile.device.scopes.iter().cloned().map(Scope::new))
        .add_extra_param("device_id", device.to_string());
    for (key, value) in audience_params(profile.device.audience.as_deref()) {
        request = request.add_extra_param(key, value);
    }
    let (url, state) = request.url();
    // Capture the code from the redirect when the redirect URI is ours to serve.
    if let Some(listener) = Listener::bind_for(&redirect_uri).await? {
        show_authorization_url(output, &url, &redirect_uri);
        return listener.wait(state.secret(), WAIT).await;
    }
    if !output.interactive {
        return Err(failure(
            Exit::Usage,
            format!(
                "the device client's redirect URI {redirect_uri} is not a loopback address this machine can serve, so the code cannot be captured without a person: run `token` on a terminal and paste the address the browser ends at"
            ),
        ));
    }
    show_authorization_url(output, &url, &redirect_uri);
    eprintln!(
        "After logging in, the browser goes to {redirect_uri}…; paste that whole address (or just the code) here:"
    );
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    code_from_pasted(&line, state.secret())
}
