//! Exit codes (documented in the man page), the error type that carries
//! one, and the mapping of the library's errors to them: the only place
//! that knows exit codes.

use std::fmt;
use std::process::ExitCode;

use crate::cert::CertError;
use crate::cloud::CloudError;
use crate::interact::Declined;
use crate::mediator::AccessError;
use crate::oauth::OAuthError;
use crate::ocf::DeviceError;
use crate::otm::{DisownError, OwnError};
use crate::provision::ProvisionError;
use crate::store::StoreError;

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

/// The exit code table, as a literal so that `concat!` can put it after
/// the examples of the top-level help.
macro_rules! exit_codes_table {
    () => {
        "\
Exit status:
  0  success
  1  the operation failed
  2  usage error
  3  device not found
  4  timed out
  5  authentication failed (OAuth or DTLS)
  6  the device refused a request
  7  some devices of a batch failed"
    };
}
pub(crate) use exit_codes_table;

/// The exit code table, for the top-level help and man page.
pub const EXIT_CODES_HELP: &str = exit_codes_table!();

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

/// The exit code an error maps to: the one place that knows the table.
pub fn exit_of(error: &anyhow::Error) -> Exit {
    for cause in error.chain() {
        if let Some(f) = cause.downcast_ref::<Failure>() {
            return f.exit;
        }
        if let Some(e) = cause.downcast_ref::<OwnError>() {
            return own_exit(e);
        }
        if let Some(e) = cause.downcast_ref::<DisownError>() {
            return disown_exit(e);
        }
        if let Some(e) = cause.downcast_ref::<AccessError>() {
            return access_exit(e);
        }
        if let Some(e) = cause.downcast_ref::<OAuthError>() {
            return exit_for_oauth(e);
        }
        if let Some(e) = cause.downcast_ref::<CloudError>() {
            return cloud_exit(e);
        }
        if let Some(e) = cause.downcast_ref::<CertError>() {
            return cert_exit(e);
        }
        if let Some(e) = cause.downcast_ref::<DeviceError>() {
            return device_exit(e);
        }
        if let Some(e) = cause.downcast_ref::<StoreError>() {
            return store_exit(e);
        }
        if let Some(e) = cause.downcast_ref::<Declined>() {
            return declined_exit(e);
        }
    }
    Exit::Failed
}

/// Whether an operation was stopped by its failpoint (crash tests).
pub fn interrupted(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<OwnError>(),
            Some(OwnError::Interrupted)
        ) || matches!(
            cause.downcast_ref::<DisownError>(),
            Some(DisownError::Interrupted)
        ) || matches!(
            cause.downcast_ref::<AccessError>(),
            Some(AccessError::Interrupted)
        ) || matches!(
            cause.downcast_ref::<CertError>(),
            Some(CertError::Interrupted)
        )
    })
}

/// The device failure behind an error, for the JSON error line.
pub fn device_error_of(error: &anyhow::Error) -> Option<&DeviceError> {
    error.chain().find_map(|cause| {
        cause
            .downcast_ref::<DeviceError>()
            .or_else(|| cause.downcast_ref::<OwnError>()?.device_error())
            .or_else(|| cause.downcast_ref::<DisownError>()?.device_error())
            .or_else(|| cause.downcast_ref::<CloudError>()?.device_error())
            .or_else(|| cause.downcast_ref::<CertError>()?.device_error())
            .or_else(|| match cause.downcast_ref::<AccessError>()? {
                AccessError::Device(e) => Some(e),
                _ => None,
            })
    })
}

pub fn device_exit(error: &DeviceError) -> Exit {
    match error {
        DeviceError::NotFound { .. } | DeviceError::Unreachable { .. } => Exit::NotFound,
        DeviceError::Ambiguous { .. } => Exit::Usage,
        DeviceError::TimedOut { .. } => Exit::TimedOut,
        DeviceError::Refused { .. } => Exit::Refused,
        DeviceError::Authentication { .. } => Exit::AuthFailed,
        _ => Exit::Failed,
    }
}

/// A missing or unusable owner key is an authentication failure: the
/// device cannot be reached as its owner.
fn store_exit(error: &StoreError) -> Exit {
    match error {
        StoreError::KeyMissing { .. }
        | StoreError::WrongKek { .. }
        | StoreError::KekLost { .. }
        | StoreError::SealedKeyDamaged { .. } => Exit::AuthFailed,
        _ => Exit::Failed,
    }
}

fn declined_exit(reason: &Declined) -> Exit {
    match reason {
        Declined::NotInteractive { .. } | Declined::Exhausted => Exit::Usage,
        _ => Exit::Failed,
    }
}

fn access_exit(error: &AccessError) -> Exit {
    match error {
        AccessError::Invalid(_) => Exit::Usage,
        AccessError::Device(e) => device_exit(e),
        AccessError::Declined { reason, .. } => declined_exit(reason),
        AccessError::Store(e) => store_exit(e),
        _ => Exit::Failed,
    }
}

fn own_exit(error: &OwnError) -> Exit {
    match error {
        OwnError::Invalid(_) | OwnError::MethodNotOffered { .. } => Exit::Usage,
        OwnError::OwnedByAnother { .. } => Exit::Refused,
        OwnError::NotAuthenticated { .. } => Exit::AuthFailed,
        OwnError::Declined(reason) => declined_exit(reason),
        OwnError::Device { error, .. } => device_exit(error),
        OwnError::Store { error, .. } => store_exit(error),
        OwnError::Provisioning { error, .. } => {
            if let Some(e) = error.downcast_ref::<CloudError>() {
                cloud_exit(e)
            } else if let Some(e) = error.downcast_ref::<CertError>() {
                cert_exit(e)
            } else if let Some(e) = error.downcast_ref::<OAuthError>() {
                exit_for_oauth(e)
            } else {
                Exit::Failed
            }
        }
        _ => Exit::Failed,
    }
}

fn disown_exit(error: &DisownError) -> Exit {
    match error {
        DisownError::NotOurs { .. } => Exit::NotFound,
        DisownError::NotConfirmed(Some(reason)) => declined_exit(reason),
        DisownError::NotConfirmed(None) => Exit::Failed,
        DisownError::Invalid(_) => Exit::Usage,
        DisownError::Device { error, .. } | DisownError::NotBack { error, .. } => {
            device_exit(error)
        }
        DisownError::Store(e) => store_exit(e),
        _ => Exit::Failed,
    }
}

/// A device's failure in `provision`.
pub fn exit_for_failure(failure: &ProvisionError) -> Exit {
    match failure {
        ProvisionError::Access(e) => access_exit(e),
        ProvisionError::Own(e) => own_exit(e),
        ProvisionError::Cloud(e) => cloud_exit(e),
        ProvisionError::Cert(e) => cert_exit(e),
        _ => Exit::Failed,
    }
}

/// Identity certificates: a signer that refuses the user's token is 5, a
/// device that is not ours (or has no certificate from us) 3, a bad CSR or
/// an unusable answer 1.
fn cert_exit(error: &CertError) -> Exit {
    match error {
        CertError::Invalid(_) => Exit::Usage,
        CertError::NotOurs { .. } | CertError::NoCertificate { .. } => Exit::NotFound,
        CertError::HubRefused { status, .. } if *status == 401 || *status == 403 => {
            Exit::AuthFailed
        }
        CertError::Hub(e) => exit_for_oauth(e),
        CertError::Device { error, .. } => device_exit(error),
        CertError::Store(e) => store_exit(e),
        CertError::Access(e) => access_exit(e),
        _ => Exit::Failed,
    }
}

/// Cloud configuration and registration: a device that failed to register
/// says why through clec — a refused token (or a refused sign-up or
/// refresh) is 5, an unreachable cloud 4.
fn cloud_exit(error: &CloudError) -> Exit {
    match error {
        CloudError::Invalid(_) => Exit::Usage,
        CloudError::NotOurs { .. } => Exit::NotFound,
        CloudError::OtherCloud { .. } => Exit::Refused,
        CloudError::Token(e) => exit_for_oauth(e),
        CloudError::Device { error, .. } => device_exit(error),
        CloudError::Store(e) => store_exit(e),
        CloudError::Failed { state, .. } => match state.clec {
            1 | 3 | 4 => Exit::AuthFailed,
            2 => Exit::TimedOut,
            _ => Exit::Failed,
        },
        CloudError::NotYet { .. } => Exit::TimedOut,
        _ => Exit::Failed,
    }
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
