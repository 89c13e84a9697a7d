//! Why pointing a device at its cloud, or watching it register, failed.

use std::fmt;

use super::state::CloudState;
use crate::mediator::AccessError;
use crate::oauth::OAuthError;
use crate::ocf::DeviceError;
use crate::store::StoreError;

#[derive(Debug)]
#[non_exhaustive]
pub enum CloudError {
    /// The request cannot be carried out as given; nothing was sent.
    Invalid(String),
    /// The device is not one this mediator owns, so it cannot be configured.
    NotOurs { device: String },
    /// The device lists no cloud configuration resource (rt `oic.r.coapcloudconf`).
    NoCloudResource { device: String },
    /// The device is set up for another cloud; `--force` moves it.
    OtherCloud {
        device: String,
        cis: String,
        sid: String,
    },
    /// The device cannot hold certificates (doxm `sct` lacks 8), so it
    /// cannot trust the cloud's certificate.
    NoCertificateSupport { device: String },
    /// No token for the device could be had.
    Token(OAuthError),
    /// Talking to the device failed; `in_rfpro` when it may have been left
    /// in RFPRO (configure it again, or reset it).
    Device { error: DeviceError, in_rfpro: bool },
    /// The store failed.
    Store(StoreError),
    /// The device reported that registration failed.
    Failed { device: String, state: CloudState },
    /// The device did not reach the state waited for in time.
    NotYet {
        device: String,
        wanted: &'static str,
        state: CloudState,
    },
    /// Stopped by a failpoint.
    Interrupted,
}

impl CloudError {
    pub fn device_error(&self) -> Option<&DeviceError> {
        match self {
            CloudError::Device { error, .. } => Some(error),
            _ => None,
        }
    }
}

impl fmt::Display for CloudError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloudError::Invalid(reason) => f.write_str(reason),
            CloudError::NotOurs { device } => write!(
                f,
                "{device} is not owned by this mediator: own it first (`ocf-mediator own`), or use `provision`"
            ),
            CloudError::NoCloudResource { device } => write!(
                f,
                "{device} lists no cloud configuration resource (oic.r.coapcloudconf), so it cannot use a cloud"
            ),
            CloudError::OtherCloud { device, cis, sid } => write!(
                f,
                "{device} is set up for another cloud ({cis}, sid {sid}); pass --force to deregister it \
                 from that cloud and configure this one"
            ),
            CloudError::NoCertificateSupport { device } => write!(
                f,
                "{device} cannot hold certificates (doxm sct has no 8), so it cannot trust the cloud"
            ),
            CloudError::Token(e) => write!(f, "no token for the device: {e}"),
            CloudError::Device {
                error,
                in_rfpro: true,
            } => write!(
                f,
                "{error}; the device may be left in RFPRO: run the command again, or disown and provision it"
            ),
            CloudError::Device { error, .. } => write!(f, "{error}"),
            CloudError::Store(e) => write!(f, "{e}"),
            CloudError::Failed { device, state } => write!(
                f,
                "{device} did not register with {} (clec {}): {}",
                cloud_named(state),
                state.clec,
                state.error_meaning()
            ),
            CloudError::NotYet {
                device,
                wanted,
                state,
            } => {
                write!(f, "{device} is not {wanted} in time: it is {}", state.cps)?;
                if !state.cis.is_empty() {
                    write!(f, " with {}", state.cis)?;
                }
                write!(f, " ({})", state.status_meaning())?;
                if state.clec != 0 {
                    write!(f, ", and its last error was: {}", state.error_meaning())?;
                }
                f.write_str("; give it longer with --timeout")
            }
            CloudError::Interrupted => f.write_str("stopped by a failpoint"),
        }
    }
}

impl std::error::Error for CloudError {}

/// The cloud a device was told to use, for messages.
fn cloud_named(state: &CloudState) -> &str {
    if state.cis.is_empty() {
        "its cloud"
    } else {
        &state.cis
    }
}

impl From<AccessError> for CloudError {
    fn from(e: AccessError) -> Self {
        match e {
            AccessError::Invalid(reason) => CloudError::Invalid(reason),
            AccessError::Device(error) => CloudError::Device {
                error,
                in_rfpro: false,
            },
            AccessError::Store(e) => CloudError::Store(e),
            AccessError::Declined { what, reason } => {
                CloudError::Invalid(format!("{what}: {reason}"))
            }
            AccessError::Interrupted => CloudError::Interrupted,
        }
    }
}

impl From<DeviceError> for CloudError {
    fn from(error: DeviceError) -> Self {
        CloudError::Device {
            error,
            in_rfpro: false,
        }
    }
}

impl From<crate::mediator::Interrupted> for CloudError {
    fn from(_: crate::mediator::Interrupted) -> Self {
        CloudError::Interrupted
    }
}

impl From<OAuthError> for CloudError {
    fn from(e: OAuthError) -> Self {
        CloudError::Token(e)
    }
}
