//! OAuth failures as exit codes: refused credentials or grants are exit 5,
//! expiry and timeouts exit 4, unreachable servers and bad answers exit 1.
//! Messages never carry a response body (it may hold tokens).

use oauth2::{ErrorResponseType, RequestTokenError, StandardErrorResponse};
use url::Url;

use super::http::HttpError;
use crate::cli::exit::{Exit, failure};

/// Maps a failed token-endpoint request. `relogin` is the profile whose
/// login must be repeated when the grant itself was refused.
pub fn token_error<T>(
    error: RequestTokenError<HttpError, StandardErrorResponse<T>>,
    url: &Url,
    relogin: Option<&str>,
) -> anyhow::Error
where
    T: ErrorResponseType + AsRef<str> + std::fmt::Display + 'static,
{
    match error {
        RequestTokenError::ServerResponse(response) => {
            let code = response.error().as_ref().to_owned();
            let detail = response
                .error_description()
                .map(|d| format!(" ({})", d.chars().take(200).collect::<String>()))
                .unwrap_or_default();
            let again = relogin
                .map(|p| format!(": log in again with `ocf-mediator login --profile {p}`"))
                .unwrap_or_default();
            let exit = match code.as_str() {
                "expired_token" => Exit::TimedOut,
                "invalid_grant"
                | "invalid_client"
                | "access_denied"
                | "unauthorized_client"
                | "invalid_token" => Exit::AuthFailed,
                _ => Exit::Failed,
            };
            let what = match code.as_str() {
                "invalid_grant" => "the OAuth server refused the grant",
                "invalid_client" => "the OAuth server refused the client credentials",
                "access_denied" => "access was denied",
                "expired_token" => "the device code expired before the login was completed",
                _ => "the OAuth server refused the request",
            };
            failure(exit, format!("{what}: {code}{detail} at {url}{again}"))
        }
        RequestTokenError::Request(e) => {
            let exit = if e.timed_out() {
                Exit::TimedOut
            } else {
                Exit::Failed
            };
            failure(exit, e.to_string())
        }
        RequestTokenError::Parse(e, _body) => failure(
            Exit::Failed,
            format!("the token response from {url} is malformed: {}", e.inner()),
        ),
        RequestTokenError::Other(text) => {
            let exit = if text.contains("expired") || text.contains("timed out") {
                Exit::TimedOut
            } else {
                Exit::Failed
            };
            failure(exit, format!("{text} ({url})"))
        }
    }
}
