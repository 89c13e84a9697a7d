//! Exit codes (documented in the man page), the error type that carries
//! one, and the mapping of the library's errors to them: the only place
//! that knows exit codes.

use std::fmt;
use std::process::ExitCode;

use crate::interact::Declined;
use crate::oauth::OAuthError;

/// How `ocf-mediator` ends. Stable: scripts depend on these numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Success = 0,
    /// The operation failed.
    Failed = 1,
    /// The command line was wrong.
    Usage = 2,
    /// The device was not found.
    NotFound = 3,
    /// The device did not answer in time.
    TimedOut = 4,
    /// Authentication failed (OAuth or DTLS).
    AuthFailed = 5,
    /// The device refused a request (a CoAP 4.xx or 5.xx answer).
    Refused = 6,
    /// Some devices of a batch failed.
    BatchPartial = 7,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

/// The exit code table, for help and man pages.
pub const EXIT_CODES_HELP: &str = "\
Exit status:
  0  success
  1  the operation failed
  2  usage error
  3  device not found
  4  timed out
  5  authentication failed (OAuth or DTLS)
  6  the device refused a request
  7  some devices of a batch failed";

/// An error that knows its exit code. Commands return it through `anyhow`;
/// `main` finds it with `downcast_ref`.
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// Makes an error with an exit code.
pub fn failure(exit: Exit, message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Failure {
        exit,
        message: message.into(),
    })
}

/// The exit code an error maps to.
pub fn exit_of(error: &anyhow::Error) -> Exit {
    error
        .chain()
        .find_map(|e| {
            if let Some(failure) = e.downcast_ref::<Failure>() {
                Some(failure.exit)
            } else {
                e.downcast_ref::<OAuthError>().map(exit_for_oauth)
            }
        })
        .unwrap_or(Exit::Failed)
}

/// Logins and tokens: refused credentials and grants are 5, expiry and
/// timeouts 4, what the command line got wrong 2, the rest (unreachable
/// servers, malformed answers, the keyring) 1.
pub fn exit_for_oauth(error: &OAuthError) -> Exit {
    use OAuthError as E;
    match error {
        E::BadProfileName { .. }
        | E::NoProfile { .. }
        | E::NewProfileNeedsSource { .. }
        | E::NotAUrl { .. }
        | E::InsecureUrl { .. }
        | E::HubHasNoClient { .. }
        | E::NoEndpoint { .. }
        | E::NeedsDeviceId { .. }
        | E::NoDeviceRedirectUri { .. }
        | E::ClientSecretNeeded { .. }
        | E::NoCodePasted { .. } => Exit::Usage,
        E::Declined {
            reason: Declined::NotInteractive { .. },
            ..
        } => Exit::Usage,
        E::GrantRefused { .. }
        | E::ClientRefused { .. }
        | E::AccessDenied { .. }
        | E::NoRefreshToken { .. }
        | E::NoClientSecret { .. } => Exit::AuthFailed,
        E::DeviceCodeExpired { .. } | E::TimedOut { .. } | E::NoRedirect { .. } => Exit::TimedOut,
        // Listed, not a wildcard: a new variant must be given its code here.
        E::DamagedProfile { .. }
        | E::NoDeviceClient { .. }
        | E::BadDeviceRedirectUri { .. }
        | E::TlsSetup { .. }
        | E::Refused { .. }
        | E::Unreachable { .. }
        | E::HttpStatus { .. }
        | E::Malformed { .. }
        | E::Listen { .. }
        | E::Declined { .. }
        | E::Keyring(_)
        | E::Store(_) => Exit::Failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> String {
        "https://auth.example/token".to_owned()
    }

    #[test]
    fn oauth_errors_keep_their_exit_codes_through_anyhow() {
        let cases = [
            (
                OAuthError::ClientRefused {
                    url: url(),
                    code: "invalid_client".into(),
                    detail: None,
                },
                Exit::AuthFailed,
            ),
            (
                OAuthError::NoRefreshToken {
                    profile: "p".into(),
                },
                Exit::AuthFailed,
            ),
            (OAuthError::DeviceCodeExpired { url: url() }, Exit::TimedOut),
            (
                OAuthError::Unreachable {
                    what: "the OAuth server".into(),
                    url: url(),
                    detail: "connection refused".into(),
                },
                Exit::Failed,
            ),
            (OAuthError::NoProfile { name: "p".into() }, Exit::Usage),
            (
                OAuthError::Declined {
                    needed: "a code".into(),
                    reason: Declined::NotInteractive { hint: "x".into() },
                },
                Exit::Usage,
            ),
        ];
        for (error, exit) in cases {
            let wrapped = anyhow::Error::new(error).context("while logging in");
            assert_eq!(exit_of(&wrapped), exit, "{wrapped:#}");
        }
    }
}
