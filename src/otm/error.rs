//! Why taking or giving up ownership failed, and what state the device was
//! left in.

use std::fmt;

use super::Method;
use crate::interact::Declined;
use crate::mediator::AccessError;
use crate::ocf::DeviceError;
use crate::store::StoreError;

/// What a failed operation left on the device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeviceLeft {
    /// Nothing of ownership was written; the device is as it was found.
    Untouched,
    /// The device was reset and is ownable again (with a new UUID).
    Reset,
    /// The device may hold our credential: its owner key is kept, and
    /// running the operation again finishes or repairs it.
    KeyKept,
    /// The device did not confirm a reset; it drops the half-done
    /// ownership when its ownership session ends.
    Unconfirmed,
}

impl DeviceLeft {
    fn advice(self, di: Option<uuid::Uuid>) -> String {
        match self {
            DeviceLeft::Untouched => String::new(),
            DeviceLeft::Reset => {
                "; the device was reset and is ownable again once it restarts".into()
            }
            DeviceLeft::KeyKept => match di {
                Some(di) => format!(
                    "; the owner key is kept, so run `ocf-mediator own {di}` again to finish or repair it"
                ),
                None => "; the owner key is kept, so run `ocf-mediator own` again to finish or repair it".into(),
            },
            DeviceLeft::Unconfirmed => "; the device did not confirm a reset: it stays in RFOTM and \
                drops the partial ownership when its ownership session ends (else reset it at the device)"
                .into(),
        }
    }
}

/// Why `own` failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum OwnError {
    /// The request cannot be carried out as given (e.g. the manufacturer
    /// certificate method without trust anchors); nothing was sent.
    Invalid(String),
    /// The device does not offer the method asked for (`asked`), or none
    /// this mediator can use (`asked` is `None`); nothing was sent.
    MethodNotOffered {
        device: String,
        asked: Option<Method>,
        offered: Vec<u64>,
    },
    /// The device is owned, and not by this mediator.
    OwnedByAnother { device: String },
    /// The device did not accept the PIN, or its manufacturer certificate
    /// did not verify; nothing was written and it is still ownable.
    NotAuthenticated {
        device: String,
        method: Method,
        tries: u32,
        error: DeviceError,
    },
    /// An answer the operation needed (the PIN) was not given; the device
    /// is as it was found.
    Declined(Declined),
    /// Finding or talking to the device failed.
    Device {
        error: DeviceError,
        left: DeviceLeft,
        di: Option<uuid::Uuid>,
    },
    /// The store or the keyring failed.
    Store { error: StoreError, left: DeviceLeft },
    /// The writes to make in RFPRO could not be prepared (e.g. no cloud
    /// token); the device was reset before it looked owned.
    Provisioning {
        /// The device, as its ownership session names it.
        device: String,
        error: Box<dyn std::error::Error + Send + Sync>,
        left: DeviceLeft,
    },
    /// Stopped by a failpoint; nothing was cleaned up, as after a crash.
    Interrupted,
}

impl OwnError {
    /// What the failure left on the device.
    pub fn left(&self) -> DeviceLeft {
        match self {
            OwnError::Device { left, .. }
            | OwnError::Store { left, .. }
            | OwnError::Provisioning { left, .. } => *left,
            OwnError::Interrupted => DeviceLeft::KeyKept,
            _ => DeviceLeft::Untouched,
        }
    }

    pub(crate) fn device(error: DeviceError, left: DeviceLeft) -> OwnError {
        OwnError::Device {
            error,
            left,
            di: None,
        }
    }
}

impl fmt::Display for OwnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OwnError::Invalid(reason) => f.write_str(reason),
            OwnError::MethodNotOffered {
                device,
                asked: Some(method),
                offered,
            } => write!(
                f,
                "{device} does not offer {method} ({}); it offers: {}",
                method.name(),
                names(offered)
            ),
            OwnError::MethodNotOffered {
                device, offered, ..
            } => write!(
                f,
                "{device} offers no ownership transfer method this mediator can use ({})",
                names(offered)
            ),
            OwnError::OwnedByAnother { device } => write!(
                f,
                "{device} is already owned, and not by this mediator; it must be reset by its \
                 owner or at the device before it can be taken"
            ),
            OwnError::NotAuthenticated {
                device,
                method: Method::RandomPin,
                tries,
                ..
            } => {
                let tries = if *tries > 1 {
                    format!(" ({tries} tries)")
                } else {
                    String::new()
                };
                write!(
                    f,
                    "{device} did not accept the PIN{tries}; it is still unowned: run `own` again \
                     with the PIN it shows then"
                )
            }
            OwnError::NotAuthenticated {
                device,
                method: Method::ManufacturerCertificate,
                error,
                ..
            } => write!(
                f,
                "the manufacturer certificate of {device} does not verify against --mfg-ca{}; \
                 nothing was written to it",
                super::own::certificate_detail(error)
            ),
            // Just Works has no secret to get wrong: what failed (the
            // device's Finished, its alert) is all there is to say.
            OwnError::NotAuthenticated { device, error, .. } => {
                write!(f, "{device}: ownership transfer handshake: ")?;
                match crate::ocf::error::authentication_detail(error) {
                    Some(detail) => write!(f, "the Just Works handshake failed ({detail})")?,
                    None => f.write_str("the device refused the Just Works handshake")?,
                }
                f.write_str("; nothing was written to it")
            }
            OwnError::Declined(reason) => write!(f, "no PIN: {reason}"),
            OwnError::Device { error, left, di } => write!(f, "{error}{}", left.advice(*di)),
            OwnError::Provisioning {
                device,
                error,
                left,
            } => write!(
                f,
                "{device}: not taken, as what it needs in RFPRO could not be prepared: {error}{}",
                left.advice(None)
            ),
            OwnError::Store { error, left } => write!(
                f,
                "the owner key could not be stored, so the device was not taken: {error}{}",
                left.advice(None)
            ),
            OwnError::Interrupted => f.write_str("stopped by a failpoint"),
        }
    }
}

impl std::error::Error for OwnError {}

impl OwnError {
    /// The device failure behind this error, if there was one.
    pub fn device_error(&self) -> Option<&DeviceError> {
        match self {
            OwnError::NotAuthenticated { error, .. } | OwnError::Device { error, .. } => {
                Some(error)
            }
            _ => None,
        }
    }
}

fn names(oxms: &[u64]) -> String {
    if oxms.is_empty() {
        return "none".into();
    }
    oxms.iter()
        .map(|o| crate::ocf::resources::oxm_name(*o))
        .collect::<Vec<_>>()
        .join(", ")
}

impl From<AccessError> for OwnError {
    fn from(e: AccessError) -> Self {
        match e {
            AccessError::Invalid(reason) => OwnError::Invalid(reason),
            AccessError::Device(error) => OwnError::device(error, DeviceLeft::Untouched),
            AccessError::Store(error) => OwnError::Store {
                error,
                left: DeviceLeft::Untouched,
            },
            AccessError::Declined { reason, .. } => OwnError::Declined(reason),
            AccessError::Interrupted => OwnError::Interrupted,
        }
    }
}

impl From<crate::mediator::Interrupted> for OwnError {
    fn from(_: crate::mediator::Interrupted) -> Self {
        OwnError::Interrupted
    }
}

/// Why `disown` failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum DisownError {
    /// The device is not one this mediator owns.
    NotOurs { device: String },
    /// The reset needs a confirmation that was refused or not given.
    NotConfirmed(Option<Declined>),
    /// Finding or talking to the device failed; its key is kept.
    Device {
        error: DeviceError,
        di: Option<uuid::Uuid>,
    },
    /// The device accepted the reset but did not come back unowned in time;
    /// its key is kept.
    NotBack { di: uuid::Uuid, error: DeviceError },
    /// The store or the keyring failed.
    Store(StoreError),
    /// The request cannot be carried out as given.
    Invalid(String),
    /// Stopped by a failpoint.
    Interrupted,
}

impl fmt::Display for DisownError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DisownError::NotOurs { device } => write!(
                f,
                "{device} is not owned by this mediator (`ocf-mediator devices` lists those it owns)"
            ),
            DisownError::NotConfirmed(None) => f.write_str("not confirmed; nothing was done"),
            DisownError::NotConfirmed(Some(reason)) => {
                write!(
                    f,
                    "the reset was not confirmed ({reason}); nothing was done"
                )
            }
            DisownError::Device {
                error,
                di: Some(di),
            } => write!(
                f,
                "{error}; if {di} is gone for good, `ocf-mediator disown --forget {di}` drops its \
                 record and key"
            ),
            DisownError::Device { error, di: None } => write!(f, "{error}"),
            DisownError::NotBack { di, error } => write!(
                f,
                "the device accepted the reset but did not come back ({error}); its key is kept: \
                 run `ocf-mediator disown {di}` again"
            ),
            DisownError::Store(e) => write!(f, "{e}"),
            DisownError::Invalid(reason) => f.write_str(reason),
            DisownError::Interrupted => f.write_str("stopped by a failpoint"),
        }
    }
}

impl std::error::Error for DisownError {}

impl DisownError {
    /// The device failure behind this error, if there was one.
    pub fn device_error(&self) -> Option<&DeviceError> {
        match self {
            DisownError::Device { error, .. } | DisownError::NotBack { error, .. } => Some(error),
            _ => None,
        }
    }
}

impl From<AccessError> for DisownError {
    fn from(e: AccessError) -> Self {
        match e {
            AccessError::Invalid(reason) => DisownError::Invalid(reason),
            AccessError::Device(error) => DisownError::Device { error, di: None },
            AccessError::Store(error) => DisownError::Store(error),
            AccessError::Declined { reason, .. } => DisownError::NotConfirmed(Some(reason)),
            AccessError::Interrupted => DisownError::Interrupted,
        }
    }
}

impl From<crate::mediator::Interrupted> for DisownError {
    fn from(_: crate::mediator::Interrupted) -> Self {
        DisownError::Interrupted
    }
}

impl From<StoreError> for DisownError {
    fn from(e: StoreError) -> Self {
        DisownError::Store(e)
    }
}
