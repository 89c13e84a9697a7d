//! What a device needs as `at`, by the profile's device token kind: an
//! access token of the profile (for the cloud's audience), or — for hubs
//! whose device OAuth client uses authorization codes (plgd's default) — a
//! one-time code from an authorization request for the device client with
//! the device id, as plgd's UI does. The hub's coap-gateway exchanges that
//! code itself, with its client secret and its redirect URI, so the request
//! carries no PKCE challenge and must use the hub's redirect URI.

use std::fmt;
use std::sync::Arc;

use oauth2::basic::BasicClient;
use oauth2::{AuthUrl, ClientId, CsrfToken, RedirectUrl, Scope};
use url::Url;
use uuid::Uuid;

use super::browser::{WAIT, show_authorization_url};
use super::error::{Endpoint, OAuthError};
use super::profile::Profile;
use super::redirect::{Listener, code_from_pasted};
use super::tokens::{AccessToken, audience_params};
use super::waiting::{Waiting, subject};
use crate::interact::{Declined, Interaction};

/// What a device is given as `at`. `Debug` never shows the secret.
#[derive(Clone)]
#[non_exhaustive]
pub enum DeviceToken {
    /// The profile's access token (shared by every device).
    AccessToken(AccessToken),
    /// A one-time authorization code for this device.
    AuthorizationCode { device: Uuid, code: String },
}

impl DeviceToken {
    /// The token or code itself, to send.
    pub fn secret(&self) -> &str {
        match self {
            DeviceToken::AccessToken(token) => token.secret(),
            DeviceToken::AuthorizationCode { code, .. } => code,
        }
    }
}

impl fmt::Debug for DeviceToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceToken::AccessToken(token) => f.debug_tuple("AccessToken").field(token).finish(),
            DeviceToken::AuthorizationCode { device, .. } => f
                .debug_struct("AuthorizationCode")
                .field("device", device)
                .finish_non_exhaustive(),
        }
    }
}

/// A one-time authorization code of the hub's device client for `device`:
/// a person logs in at the URL shown; the code comes back to the redirect
/// URI when this machine can listen on it, else the person pastes the
/// address the browser ended at.
pub async fn authorization_code(
    profile: &Profile,
    device: Uuid,
    interaction: &Arc<dyn Interaction>,
) -> Result<String, OAuthError> {
    let name = &profile.name;
    let Some(auth_url) = profile.endpoints.authorization_endpoint.clone() else {
        return Err(OAuthError::NoEndpoint {
            issuer: profile.endpoints.issuer.clone(),
            endpoint: Endpoint::Authorization,
        });
    };
    let client_id = profile
        .device
        .client_id
        .clone()
        .ok_or_else(|| OAuthError::NoDeviceClient {
            profile: name.clone(),
        })?;
    let redirect_text =
        profile
            .device
            .redirect_uri
            .clone()
            .ok_or_else(|| OAuthError::NoDeviceRedirectUri {
                profile: name.clone(),
            })?;
    let redirect_uri =
        Url::parse(&redirect_text).map_err(|_| OAuthError::BadDeviceRedirectUri {
            profile: name.clone(),
            text: redirect_text.clone(),
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
    let waiting_for = format!("waiting for the login for device {device}");
    // Capture the code from the redirect when the redirect URI is ours to serve.
    if let Some(listener) = Listener::bind_for(&redirect_uri).await? {
        show_authorization_url(&**interaction, &url, &redirect_uri);
        let _waiting = Waiting::start(&**interaction, subject(name), &waiting_for);
        return listener.wait(state.secret(), WAIT).await;
    }
    // Else a person pastes where the browser ended: ask only where one can.
    let needed = || {
        format!(
            "the device client's redirect URI {redirect_uri} is not a loopback address this machine can serve, so a person must paste the address the browser ends at"
        )
    };
    interaction
        .can_paste()
        .map_err(|reason| OAuthError::Declined {
            needed: needed(),
            reason,
        })?;
    show_authorization_url(&**interaction, &url, &redirect_uri);
    let prompt = format!(
        "After logging in, the browser goes to {redirect_uri}…; paste that whole address (or just the code) here:"
    );
    let asked = Arc::clone(interaction);
    // Pasting blocks (it reads a terminal): off the executor.
    let pasted = tokio::task::spawn_blocking(move || asked.paste(&prompt))
        .await
        .unwrap_or(Err(Declined::Cancelled))
        .map_err(|reason| OAuthError::Declined {
            needed: needed(),
            reason,
        })?;
    code_from_pasted(pasted.expose(), state.secret())
}
