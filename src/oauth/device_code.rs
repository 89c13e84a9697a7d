//! The device authorization grant (RFC 8628): show the verification URI and
//! the user code, then poll at the server's interval (slowing down when told)
//! until the user has approved, refused, or the code expired.

use oauth2::basic::{BasicClient, BasicTokenResponse};
use oauth2::{
    ClientId, DeviceAuthorizationUrl, Scope, StandardDeviceAuthorizationResponse, TokenUrl,
};

use super::error::{Endpoint, OAuthError, token_error};
use super::http::Http;
use super::profile::Profile;
use super::tokens::audience_params;
use super::waiting::{Waiting, subject};
use crate::interact::{Interaction, Notice};

pub async fn login(
    http: &Http,
    profile: &Profile,
    interaction: &dyn Interaction,
) -> Result<BasicTokenResponse, OAuthError> {
    let Some(device_url) = profile.endpoints.device_authorization_endpoint.clone() else {
        return Err(OAuthError::NoEndpoint {
            issuer: profile.endpoints.issuer.clone(),
            endpoint: Endpoint::DeviceAuthorization,
        });
    };
    let token_url = profile.endpoints.token_endpoint.clone();
    let client = BasicClient::new(ClientId::new(profile.client_id.clone()))
        .set_device_authorization_url(DeviceAuthorizationUrl::from_url(device_url.clone()))
        .set_token_uri(TokenUrl::from_url(token_url.clone()));
    let mut request = client
        .exchange_device_code()
        .add_scopes(profile.scopes.iter().cloned().map(Scope::new));
    for (key, value) in audience_params(profile.audience.as_deref()) {
        request = request.add_extra_param(key, value);
    }
    let details: StandardDeviceAuthorizationResponse = request
        .request_async(http)
        .await
        .map_err(|e| token_error(e, &device_url, None))?;

    // A prompt for the person logging in, shown even when quiet.
    interaction.notice(&Notice::DeviceCode {
        verification_uri: details.verification_uri().as_str(),
        verification_uri_complete: details
            .verification_uri_complete()
            .map(|u| u.secret().as_str()),
        user_code: details.user_code().secret(),
        expires_in: details.expires_in(),
        interval: details.interval(),
    });
    let _waiting = Waiting::start(
        interaction,
        subject(&profile.name),
        "waiting for the login in the browser",
    );
    client
        .exchange_device_access_token(&details)
        .request_async(http, tokio::time::sleep, None)
        .await
        .map_err(|e| token_error(e, &token_url, None))
}
