//! The device authorization grant (RFC 8628): show the verification URI and
//! the user code, then poll at the server's interval (slowing down when told)
//! until the user has approved, refused, or the code expired.

use oauth2::basic::{BasicClient, BasicTokenResponse};
use oauth2::{
    ClientId, DeviceAuthorizationUrl, Scope, StandardDeviceAuthorizationResponse, TokenUrl,
};
use serde_json::json;

use super::errors::token_error;
use super::http::Http;
use super::profile::Profile;
use super::tokens::audience_params;
use crate::cli::exit::{Exit, failure};
use crate::cli::output::Output;

pub async fn login(
    http: &Http,
    profile: &Profile,
    output: &Output,
) -> anyhow::Result<BasicTokenResponse> {
    let Some(device_url) = profile.endpoints.device_authorization_endpoint.clone() else {
        return Err(failure(
            Exit::Usage,
            format!(
                "the OAuth server {} offers no device authorization endpoint: use --browser or --client-credentials",
                profile.endpoints.issuer
            ),
        ));
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

    let uri = details.verification_uri().as_str();
    let complete = details
        .verification_uri_complete()
        .map(|u| u.secret().as_str());
    let code = details.user_code().secret();
    let expires_in = details.expires_in().as_secs();
    if output.json {
        output.json_line(&json!({
            "event": "device_code",
            "verification_uri": uri,
            "verification_uri_complete": complete,
            "user_code": code,
            "expires_in": expires_in,
            "interval": details.interval().as_secs(),
        }));
    } else {
        // A prompt for the person at the terminal, even with --quiet.
        eprintln!("To log in, open {uri} and enter the code {code}");
        if let Some(complete) = complete {
            eprintln!("(or open {complete})");
        }
        eprintln!(
            "Waiting for the login (the code expires in {})…",
            humantime::format_duration(details.expires_in())
        );
    }
    let spinner = output.spinner("waiting for the login in the browser");
    let result = client
        .exchange_device_access_token(&details)
        .request_async(http, tokio::time::sleep, None)
        .await
        .map_err(|e| token_error(e, &token_url, None));
    if let Some(spinner) = spinner {
        spinner.finish_and_clear();
    }
    result
}
