//! The client credentials grant, for factory lines: no person, a client
//! secret given by the caller or kept in the keyring.

use oauth2::basic::{BasicClient, BasicTokenResponse};
use oauth2::{ClientId, ClientSecret, Scope, TokenUrl};

use super::error::{OAuthError, token_error};
use super::http::Http;
use super::profile::Profile;
use super::tokens::audience_params;

/// The client credentials grant (factory lines).
pub async fn grant(
    http: &Http,
    profile: &Profile,
    secret: &ClientSecret,
) -> Result<BasicTokenResponse, OAuthError> {
    let url = &profile.endpoints.token_endpoint;
    let client = BasicClient::new(ClientId::new(profile.client_id.clone()))
        .set_client_secret(secret.clone())
        .set_token_uri(TokenUrl::from_url(url.clone()));
    let mut request = client
        .exchange_client_credentials()
        .add_scopes(profile.scopes.iter().cloned().map(Scope::new));
    for (key, value) in audience_params(profile.audience.as_deref()) {
        request = request.add_extra_param(key, value);
    }
    request
        .request_async(http)
        .await
        .map_err(|e| token_error(e, url, None))
}
