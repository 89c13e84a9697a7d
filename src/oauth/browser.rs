//! The authorization code grant with PKCE (S256) and a loopback redirect on
//! 127.0.0.1 (RFC 8252): asks for a browser to be opened where there is one,
//! shows the URL, and exchanges the code that comes back.

use std::time::Duration;

use oauth2::basic::{BasicClient, BasicTokenResponse};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, CsrfToken, PkceCodeChallenge, RedirectUrl, Scope,
    TokenUrl,
};
use url::Url;

use super::error::{Endpoint, OAuthError, token_error};
use super::http::Http;
use super::profile::Profile;
use super::redirect::Listener;
use super::tokens::audience_params;
use super::waiting::{Waiting, subject};
use crate::interact::{Interaction, Notice};

/// How long a person has to finish the login in the browser.
pub const WAIT: Duration = Duration::from_secs(300);

pub async fn login(
    http: &Http,
    profile: &Profile,
    interaction: &dyn Interaction,
) -> Result<BasicTokenResponse, OAuthError> {
    let Some(auth_url) = profile.endpoints.authorization_endpoint.clone() else {
        return Err(OAuthError::NoEndpoint {
            issuer: profile.endpoints.issuer.clone(),
            endpoint: Endpoint::Authorization,
        });
    };
    let token_url = profile.endpoints.token_endpoint.clone();
    let listener = Listener::bind_any().await?;
    let client = BasicClient::new(ClientId::new(profile.client_id.clone()))
        .set_auth_uri(AuthUrl::from_url(auth_url))
        .set_token_uri(TokenUrl::from_url(token_url.clone()))
        .set_redirect_uri(RedirectUrl::from_url(listener.redirect_uri.clone()));
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(CsrfToken::new_random)
        .add_scopes(profile.scopes.iter().cloned().map(Scope::new))
        .set_pkce_challenge(challenge);
    for (key, value) in audience_params(profile.audience.as_deref()) {
        request = request.add_extra_param(key, value);
    }
    let (url, state) = request.url();
    show_authorization_url(interaction, &url, &listener.redirect_uri);
    let code = {
        let _waiting = Waiting::start(
            interaction,
            subject(&profile.name),
            "waiting for the login in the browser",
        );
        listener.wait(state.secret(), WAIT).await?
    };
    client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(http)
        .await
        .map_err(|e| token_error(e, &token_url, None))
}

/// Opens a browser at `url` where one can be, and tells where to go.
pub fn show_authorization_url(interaction: &dyn Interaction, url: &Url, redirect_uri: &Url) {
    let browser_opened = interaction.open_browser(url);
    interaction.notice(&Notice::AuthorizationUrl {
        url,
        redirect_uri,
        browser_opened,
    });
}
