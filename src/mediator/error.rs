//! Why finding or reaching a device failed.

use std::fmt;

use super::failpoint::Interrupted;
use crate::interact::Declined;
use crate::ocf::DeviceError;
use crate::store::StoreError;

/// A failure to find, reach or talk to a device.
#[derive(Debug)]
#[non_exhaustive]
pub enum AccessError {
    /// The request cannot be carried out as given; nothing was sent.
    Invalid(String),
    /// The device could not be found or failed.
    Device(DeviceError),
    /// The store or the keyring failed.
    Store(StoreError),
    /// A choice or an answer was needed and none was given.
    Declined { what: String, reason: Declined },
    /// Stopped by a failpoint (tests).
    Interrupted,
}

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccessError::Invalid(reason) => f.write_str(reason),
            AccessError::Device(e) => write!(f, "{e}"),
            AccessError::Store(e) => write!(f, "{e}"),
            AccessError::Declined { what, reason } => write!(f, "{what}: {reason}"),
            AccessError::Interrupted => write!(f, "{Interrupted}"),
        }
    }
}

impl std::error::Error for AccessError {}

impl From<DeviceError> for AccessError {
    fn from(e: DeviceError) -> Self {
        AccessError::Device(e)
    }
}

impl From<StoreError> for AccessError {
    fn from(e: StoreError) -> Self {
        AccessError::Store(e)
    }
}

impl From<Interrupted> for AccessError {
    fn from(_: Interrupted) -> Self {
        AccessError::Interrupted
    }
}
