//! The authorization code grant with PKCE (S256) and a loopback redirect on
//! 127.0.0.1 (RFC 8252): opens a browser where there is one, prints the URL
//! otherwise, and exchanges the code that comes back.

use std::time::Duration;

use oauth2::basic::{BasicClient, BasicTokenResponse};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, CsrfToken, PkceCodeChallenge, RedirectUrl, Scope,
    TokenUrl,
};

use super::errors::token_error;
use super::http::Http;
use super::profile::Profile;
use super::redirect::{self, Listener};
use super::tokens::audience_params;
use crate::cli::exit::{Exit, failure};
use crate::cli::output::Output;

/// How long a person has to finish the login in the browser.
pub const WAIT: Duration = Duration::from_secs(300);

pub async fn login(
    http: &Http,
    profile: &Profile,
    output: &Output,
) -> anyhow::Result<BasicTokenResponse> {
    let Some(auth_url) = profile.endpoints.authorization_endpoint.clone() else {
        return Err(failure(
            Exit::Usage,
            format!(
                "the OAuth server {} offers no authorization endpoint: use --device-code or --client-credentials",
                profile.endpoints.issuer
            ),
        ));
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
    show_authorization_url(output, &url, &listener.redirect_uri);
    let code = listener.wait(state.secret(), WAIT).await?;
    client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(http)
        .await
        .map_err(|e| token_error(e, &token_url, None))
}

/// Tells where to go: a JSON event, or text on stderr; opens a browser where one exists.
pub fn show_authorization_url(output: &Output, url: &url::Url, redirect_uri: &url::Url) {
    let opened = redirect::open_browser(url);
    if output.json {
        output.json_line(&serde_json::json!({
            "event": "authorization_url",
            "url": url.as_str(),
            "redirect_uri": redirect_uri.as_str(),
            "browser_opened": opened,
        }));
    } else if opened {
        eprintln!("A browser was opened to log in. If it did not show up, open:\n{url}");
    } else {
        eprintln!("Open this address in a browser to log in:\n{url}");
    }
}
