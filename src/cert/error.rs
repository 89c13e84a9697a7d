//! Why an identity certificate could not be issued, written or used.

use std::fmt;

use crate::mediator::AccessError;
use crate::oauth::OAuthError;
use crate::ocf::DeviceError;
use crate::ocf::pki::CsrProblem;
use crate::store::StoreError;

#[derive(Debug)]
#[non_exhaustive]
pub enum CertError {
    /// The request cannot be carried out as given; nothing was sent.
    Invalid(String),
    /// The device is not one this mediator owns.
    NotOurs { device: String },
    /// The device's certificate signing request is not an identity request
    /// for it; nothing was signed.
    BadCsr { device: String, problem: CsrProblem },
    /// The hub's certificate authority refused to sign (its HTTP status and
    /// message).
    HubRefused {
        url: String,
        status: u16,
        message: String,
    },
    /// The hub could not be asked (no token, unreachable, no CA service).
    Hub(OAuthError),
    /// What a CA returned is not a usable identity certificate for the
    /// request; nothing was written to the device.
    BadCertificate { signer: String, detail: String },
    /// The local CA could not make or sign a certificate.
    LocalCa(String),
    /// The device has no identity certificate from this mediator (for a
    /// renewal or a certificate owner session).
    NoCertificate { device: String },
    /// Talking to the device failed; `in_rfpro` when it may have been left
    /// in RFPRO (run the command again).
    Device { error: DeviceError, in_rfpro: bool },
    /// The store or the keyring failed.
    Store(StoreError),
    /// Finding or reaching the device failed.
    Access(AccessError),
    /// Stopped by a failpoint.
    Interrupted,
}

impl CertError {
    pub fn device_error(&self) -> Option<&DeviceError> {
        match self {
            CertError::Device { error, .. } => Some(error),
            CertError::Access(AccessError::Device(error)) => Some(error),
            _ => None,
        }
    }
}

impl fmt::Display for CertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CertError::Invalid(reason) => f.write_str(reason),
            CertError::NotOurs { device } => write!(
                f,
                "{device} is not owned by this mediator: own it first (`ocf-mediator own`)"
            ),
            CertError::BadCsr { device, problem } => {
                write!(f, "{device}: {problem}; nothing was signed")
            }
            CertError::HubRefused {
                url,
                status,
                message,
            } => write!(
                f,
                "the hub's certificate authority ({url}) refused to sign (HTTP {status}): {message}"
            ),
            CertError::Hub(e) => write!(f, "the hub's certificate authority: {e}"),
            CertError::BadCertificate { signer, detail } => write!(
                f,
                "the certificate from the {signer} signer is unusable ({detail}); nothing was \
                 written to the device"
            ),
            CertError::LocalCa(reason) => write!(f, "the local CA: {reason}"),
            CertError::NoCertificate { device } => write!(
                f,
                "{device} has no identity certificate from this mediator: issue one first \
                 (`ocf-mediator cert issue`)"
            ),
            CertError::Device { error, in_rfpro } => {
                write!(f, "{error}")?;
                if *in_rfpro {
                    f.write_str(
                        "; the device may be left in RFPRO: run the command again to finish",
                    )?;
                }
                Ok(())
            }
            CertError::Store(e) => write!(f, "{e}"),
            CertError::Access(e) => write!(f, "{e}"),
            CertError::Interrupted => f.write_str("stopped by a failpoint"),
        }
    }
}

impl std::error::Error for CertError {}

impl From<StoreError> for CertError {
    fn from(e: StoreError) -> Self {
        CertError::Store(e)
    }
}

impl From<OAuthError> for CertError {
    fn from(e: OAuthError) -> Self {
        CertError::Hub(e)
    }
}

impl From<AccessError> for CertError {
    fn from(e: AccessError) -> Self {
        match e {
            AccessError::Interrupted => CertError::Interrupted,
            other => CertError::Access(other),
        }
    }
}

impl From<DeviceError> for CertError {
    fn from(error: DeviceError) -> Self {
        CertError::Device {
            error,
            in_rfpro: false,
        }
    }
}

impl From<crate::mediator::Interrupted> for CertError {
    fn from(_: crate::mediator::Interrupted) -> Self {
        CertError::Interrupted
    }
}
