//! What can go wrong in a login or a token request, as [`OAuthError`]: one
//! plain sentence each, naming the URL, the profile or the step, and never a
//! response body, a token or a secret. Exit codes are the command line's
//! business (`cli::exit::exit_for_oauth`).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use oauth2::{ErrorResponseType, RequestTokenError, StandardErrorResponse};
use url::Url;

use super::http::HttpError;
use crate::interact::Declined;
use crate::store::{SecretError, StoreError};

/// An endpoint of an OAuth server that a flow needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Endpoint {
    /// Where people log in (authorization code flows).
    Authorization,
    /// Where a device code is asked for (RFC 8628).
    DeviceAuthorization,
}

impl Endpoint {
    fn name(self) -> &'static str {
        match self {
            Endpoint::Authorization => "authorization",
            Endpoint::DeviceAuthorization => "device authorization",
        }
    }

    /// The login flows that do without this endpoint.
    fn alternatives(self) -> &'static str {
        match self {
            Endpoint::Authorization => "log in with the device-code or client-credentials flow",
            Endpoint::DeviceAuthorization => "log in with the browser or client-credentials flow",
        }
    }
}

/// Why a login, a logout or a token request failed.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum OAuthError {
    /// A profile name that cannot be used: names end up in keyring account
    /// names, so they are 1-64 letters, digits, '-', '_' or '.'.
    BadProfileName { name: String },
    /// There is no cloud profile by this name.
    NoProfile { name: String },
    /// The stored profile cannot be read (damaged, or from an incompatible version).
    DamagedProfile { name: String, detail: String },
    /// A first login of a profile with nothing to build it from (neither a
    /// hub nor an issuer).
    NewProfileNeedsSource { name: String },
    /// Text that should be a URL is not one.
    NotAUrl {
        what: String,
        text: String,
        detail: String,
    },
    /// A URL that is neither `https://` nor `http://` to a loopback host.
    InsecureUrl { what: String, url: String },
    /// The hub describes no OAuth client for this kind of login
    /// (`webOauthClient` for people, `m2mOauthClient` for factories) and
    /// none was given.
    HubHasNoClient { hub: String, which: &'static str },
    /// The OAuth server offers no endpoint of this kind, and the flow needs it.
    NoEndpoint { issuer: String, endpoint: Endpoint },
    /// The profile's cloud takes one-time authorization codes, which are made
    /// for one device: the device's id is needed.
    NeedsDeviceId { profile: String },
    /// The profile names no device OAuth client (it was not made from a hub).
    NoDeviceClient { profile: String },
    /// The profile knows no redirect URI for the hub's device OAuth client.
    NoDeviceRedirectUri { profile: String },
    /// The profile's redirect URI for the device OAuth client is not a URL.
    BadDeviceRedirectUri { profile: String, text: String },
    /// A client credentials login with no client secret: none was given and
    /// the keyring has none from an earlier login.
    ClientSecretNeeded { profile: String },
    /// The extra CA for HTTPS cannot be used, or the HTTPS client cannot be
    /// set up.
    TlsSetup { detail: String },

    /// The OAuth server refused the grant (`invalid_grant`: a refresh token
    /// that was revoked or expired, a used code). `profile` is the profile to
    /// log in again, when a stored grant was refused.
    GrantRefused {
        url: String,
        code: String,
        detail: Option<String>,
        profile: Option<String>,
    },
    /// The OAuth server refused the client (`invalid_client`,
    /// `unauthorized_client`): a wrong client secret or client id.
    ClientRefused {
        url: String,
        code: String,
        detail: Option<String>,
    },
    /// The person, or the server on their behalf, denied access
    /// (`access_denied`, at the token endpoint or in the redirect at `url`).
    AccessDenied { url: String, detail: Option<String> },
    /// The OAuth server refused the request for another reason (its error
    /// `code`, e.g. `invalid_scope`, `invalid_target`).
    Refused {
        url: String,
        code: String,
        detail: Option<String>,
    },
    /// The profile's access token expired and no refresh token is kept.
    NoRefreshToken { profile: String },
    /// A client credentials profile whose client secret is not in the keyring.
    NoClientSecret { profile: String },

    /// The device code expired before the login was completed.
    DeviceCodeExpired { url: String },
    /// A server did not answer within the time allowed for one request.
    TimedOut {
        what: String,
        url: String,
        after: Duration,
    },
    /// Nobody came back to the redirect URI in time (the login in the
    /// browser was not finished).
    NoRedirect {
        redirect_uri: String,
        waited: Duration,
    },

    /// A server cannot be reached (connection refused, name not found, TLS).
    Unreachable {
        what: String,
        url: String,
        detail: String,
    },
    /// A server answered with an HTTP error status.
    HttpStatus {
        what: String,
        url: String,
        status: u16,
    },
    /// A document or answer is not what the protocol says (not JSON, a field
    /// missing or of the wrong type).
    Malformed {
        what: String,
        url: String,
        problem: String,
    },
    /// The redirect URI cannot be listened on here.
    Listen { address: String, detail: String },

    /// Something only a person can give was needed, and could not be asked
    /// for or was refused.
    Declined { needed: String, reason: Declined },
    /// What was pasted holds no usable code.
    NoCodePasted { problem: &'static str },

    /// The keyring that holds the profile's secrets failed.
    Keyring(Arc<SecretError>),
    /// The store that holds the profiles failed.
    Store(Arc<StoreError>),
}

impl From<SecretError> for OAuthError {
    fn from(e: SecretError) -> OAuthError {
        OAuthError::Keyring(Arc::new(e))
    }
}

impl From<StoreError> for OAuthError {
    fn from(e: StoreError) -> OAuthError {
        OAuthError::Store(Arc::new(e))
    }
}

/// ` (detail)`, or nothing.
struct Detail<'a>(&'a Option<String>);

impl fmt::Display for Detail<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(detail) => write!(f, " ({detail})"),
            None => Ok(()),
        }
    }
}

fn log_in_again(f: &mut fmt::Formatter<'_>, profile: &str) -> fmt::Result {
    write!(
        f,
        "log in again with `ocf-mediator login --profile {profile}`"
    )
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use OAuthError as E;
        match self {
            E::BadProfileName { name } => write!(
                f,
                "profile name {name:?} must be 1-64 letters, digits, '-', '_' or '.'"
            ),
            E::NoProfile { name } => write!(
                f,
                "no cloud profile {name:?}: create it with `ocf-mediator login --profile {name} --hub URL` (or --issuer URL --client-id ID)"
            ),
            E::DamagedProfile { name, detail } => {
                write!(f, "profile {name:?} cannot be read ({detail}): ")?;
                log_in_again(f, name)
            }
            E::NewProfileNeedsSource { name } => write!(
                f,
                "profile {name:?} does not exist yet: give --hub URL, or --issuer URL --client-id ID"
            ),
            E::NotAUrl { what, text, detail } => {
                write!(f, "{what} {text:?} is not a URL: {detail}")
            }
            E::InsecureUrl { what, url } => match url.split(':').next().unwrap_or_default() {
                "http" => write!(
                    f,
                    "{what} {url} must use https:// (plain http:// is allowed only for loopback hosts)"
                ),
                other => write!(f, "{what} {url} has scheme {other}:, expected https://"),
            },
            E::HubHasNoClient { hub, which } => {
                write!(f, "the hub {hub} has no {which}: give --client-id")
            }
            E::NoEndpoint { issuer, endpoint } => write!(
                f,
                "the OAuth server {issuer} offers no {} endpoint: {}",
                endpoint.name(),
                endpoint.alternatives()
            ),
            E::NeedsDeviceId { profile } => write!(
                f,
                "profile {profile:?} is for a hub whose devices sign up with a one-time authorization code: name the device with --device DI"
            ),
            E::NoDeviceClient { profile } => write!(
                f,
                "profile {profile:?} names no device OAuth client: log in again with --hub"
            ),
            E::NoDeviceRedirectUri { profile } => write!(
                f,
                "profile {profile:?} has no redirect URI for the device OAuth client: log in again with --device-redirect-uri URI (the coap-gateway's redirect URL)"
            ),
            E::BadDeviceRedirectUri { profile, text } => write!(
                f,
                "the device redirect URI {text:?} of profile {profile:?} is not a URL: log in again with --device-redirect-uri URI"
            ),
            E::ClientSecretNeeded { profile } => write!(
                f,
                "the client credentials login of profile {profile:?} needs the client secret: --client-secret-stdin, OCF_MEDIATOR_CLIENT_SECRET, or a previous login of this profile"
            ),
            E::TlsSetup { detail } => write!(f, "cannot set up HTTPS: {detail}"),
            E::GrantRefused {
                url,
                code,
                detail,
                profile,
            } => {
                write!(
                    f,
                    "the OAuth server refused the grant: {code}{} at {url}",
                    Detail(detail)
                )?;
                if let Some(profile) = profile {
                    f.write_str(": ")?;
                    log_in_again(f, profile)?;
                }
                Ok(())
            }
            E::ClientRefused { url, code, detail } => write!(
                f,
                "the OAuth server refused the client credentials: {code}{} at {url}",
                Detail(detail)
            ),
            E::AccessDenied { url, detail } => {
                write!(f, "access was denied{} at {url}", Detail(detail))
            }
            E::Refused { url, code, detail } => write!(
                f,
                "the OAuth server refused the request: {code}{} at {url}",
                Detail(detail)
            ),
            E::NoRefreshToken { profile } => {
                write!(
                    f,
                    "the access token of profile {profile:?} expired and there is no refresh token: "
                )?;
                log_in_again(f, profile)
            }
            E::NoClientSecret { profile } => write!(
                f,
                "no client secret for profile {profile:?} in the keyring: log in again with `ocf-mediator login --profile {profile} --client-credentials`"
            ),
            E::DeviceCodeExpired { url } => write!(
                f,
                "the device code expired before the login was completed ({url})"
            ),
            E::TimedOut { what, url, after } => write!(
                f,
                "{what} {url} did not answer within {}",
                humantime::format_duration(*after)
            ),
            E::NoRedirect {
                redirect_uri,
                waited,
            } => write!(
                f,
                "no answer reached {redirect_uri} within {}",
                humantime::format_duration(*waited)
            ),
            E::Unreachable { what, url, detail } => {
                write!(f, "cannot reach {what} {url}: {detail}")
            }
            E::HttpStatus { what, url, status } => {
                write!(f, "{what} {url} answered HTTP {status}")
            }
            E::Malformed { what, url, problem } => {
                write!(f, "{what} {url} is malformed: {problem}")
            }
            E::Listen { address, detail } => write!(f, "cannot listen on {address}: {detail}"),
            E::Declined { needed, reason } => write!(f, "{needed}, but {reason}"),
            E::NoCodePasted { problem } => f.write_str(problem),
            E::Keyring(e) => write!(f, "{e}"),
            E::Store(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for OAuthError {}

/// An error text from a server, fit to show: the first 200 characters,
/// without control characters.
pub(crate) fn server_text(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(200).collect()
}

/// Maps a failed request of the `oauth2` crate to `url`. `profile` is the
/// profile whose stored grant was used (a refused grant then asks to log it
/// in again).
pub(crate) fn token_error<T>(
    error: RequestTokenError<HttpError, StandardErrorResponse<T>>,
    url: &Url,
    profile: Option<&str>,
) -> OAuthError
where
    T: ErrorResponseType + AsRef<str> + fmt::Display + 'static,
{
    match error {
        RequestTokenError::ServerResponse(response) => {
            let code = server_text(response.error().as_ref());
            let detail = response.error_description().map(|d| server_text(d));
            let url = url.to_string();
            match code.as_str() {
                "invalid_grant" | "invalid_token" => OAuthError::GrantRefused {
                    url,
                    code,
                    detail,
                    profile: profile.map(str::to_owned),
                },
                "invalid_client" | "unauthorized_client" => {
                    OAuthError::ClientRefused { url, code, detail }
                }
                "access_denied" => OAuthError::AccessDenied { url, detail },
                "expired_token" => OAuthError::DeviceCodeExpired { url },
                _ => OAuthError::Refused { url, code, detail },
            }
        }
        RequestTokenError::Request(HttpError(e)) => e,
        RequestTokenError::Parse(e, _body) => OAuthError::Malformed {
            what: "the token response from".to_owned(),
            url: url.to_string(),
            problem: e.inner().to_string(),
        },
        // The oauth2 crate's own verdicts, e.g. on device code polling.
        RequestTokenError::Other(text) if text.contains("expired") => {
            OAuthError::DeviceCodeExpired {
                url: url.to_string(),
            }
        }
        RequestTokenError::Other(text) => OAuthError::Malformed {
            what: "the answer of".to_owned(),
            url: url.to_string(),
            problem: server_text(&text),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oauth2::basic::BasicErrorResponseType;

    fn refused(code: BasicErrorResponseType, description: &str) -> OAuthError {
        let url = Url::parse("https://auth.example/token").unwrap();
        let response = StandardErrorResponse::new(code, Some(description.to_owned()), None);
        token_error(
            RequestTokenError::ServerResponse(response),
            &url,
            Some("work"),
        )
    }

    #[test]
    fn a_refused_grant_names_the_profile_to_log_in_again() {
        let e = refused(
            BasicErrorResponseType::InvalidGrant,
            "grant request is invalid",
        );
        assert!(matches!(&e, OAuthError::GrantRefused { profile: Some(p), .. } if p == "work"));
        assert_eq!(
            e.to_string(),
            "the OAuth server refused the grant: invalid_grant (grant request is invalid) at \
             https://auth.example/token: log in again with `ocf-mediator login --profile work`"
        );
    }

    #[test]
    fn refusals_are_told_apart_by_their_code() {
        assert!(matches!(
            refused(BasicErrorResponseType::InvalidClient, "x"),
            OAuthError::ClientRefused { .. }
        ));
        assert!(matches!(
            refused(BasicErrorResponseType::InvalidScope, "x"),
            OAuthError::Refused { .. }
        ));
        let denied = refused(
            BasicErrorResponseType::Extension("access_denied".into()),
            "x",
        );
        assert!(matches!(denied, OAuthError::AccessDenied { .. }));
    }

    #[test]
    fn server_text_is_cut_and_loses_control_characters() {
        let text = format!("a\x1b[2Jb{}", "c".repeat(500));
        let shown = server_text(&text);
        assert!(!shown.contains('\x1b'));
        assert_eq!(shown.chars().count(), 200);
    }
}
