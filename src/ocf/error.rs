//! What can go wrong between the mediator and a device, in words for the
//! person who has to act on it. Every operation that talks to devices
//! (discovery, ownership, owner sessions, cloud configuration) reports its
//! device failures as a [`DeviceError`], naming the device and the step.

use std::fmt;

use crate::coap::Code;
use crate::net::secure::SessionError;

/// A failure talking to one device.
#[derive(Debug)]
#[non_exhaustive]
pub enum DeviceError {
    /// No device answered to this name, UUID or address.
    NotFound { device: String, detail: String },
    /// Several devices answer to this name and none was chosen.
    Ambiguous {
        name: String,
        candidates: Vec<String>,
    },
    /// Nothing listens at that address: the host answered that the port is
    /// closed (ICMP port unreachable).
    Unreachable { peer: String },
    /// The device did not answer in time.
    TimedOut { peer: String, step: String },
    /// The device answered the request with an error code.
    Refused {
        peer: String,
        step: String,
        code: Code,
        /// The device's diagnostic payload, when it sent text.
        diagnostic: Option<String>,
    },
    /// The DTLS handshake did not authenticate: the key, PIN, identity or
    /// certificate was not accepted (by either side).
    Authentication {
        peer: String,
        step: String,
        detail: String,
    },
    /// The device answered something that cannot be used (malformed CBOR,
    /// a missing property, a broken block-wise transfer).
    Malformed {
        peer: String,
        step: String,
        detail: String,
    },
    /// The device lists no secure (coaps://) endpoint, so no DTLS session
    /// can be opened with it.
    NoSecureEndpoint { device: String },
    /// A local network failure (no socket, no route).
    Network { peer: String, detail: String },
}

impl DeviceError {
    /// The same failure with the device called `name` (its name and UUID)
    /// instead of the address a session was opened to.
    pub fn naming(self, name: &str) -> DeviceError {
        let name = name.to_owned();
        match self {
            DeviceError::Unreachable { .. } => DeviceError::Unreachable { peer: name },
            DeviceError::TimedOut { step, .. } => DeviceError::TimedOut { peer: name, step },
            DeviceError::Refused {
                step,
                code,
                diagnostic,
                ..
            } => DeviceError::Refused {
                peer: name,
                step,
                code,
                diagnostic,
            },
            DeviceError::Authentication { step, detail, .. } => DeviceError::Authentication {
                peer: name,
                step,
                detail,
            },
            DeviceError::Malformed { step, detail, .. } => DeviceError::Malformed {
                peer: name,
                step,
                detail,
            },
            DeviceError::Network { detail, .. } => DeviceError::Network { peer: name, detail },
            other => other,
        }
    }

    /// The error for a failed DTLS session or request on it.
    pub fn from_session(peer: &str, step: &str, error: SessionError) -> DeviceError {
        let peer = peer.to_owned();
        let step = step.to_owned();
        if error.is_authentication() {
            return DeviceError::Authentication {
                peer,
                step,
                detail: error.to_string(),
            };
        }
        match error {
            SessionError::TimedOut | SessionError::Dtls(crate::dtls::Error::Timeout) => {
                DeviceError::TimedOut { peer, step }
            }
            SessionError::Coap(crate::coap::client::Error::Timeout) => {
                DeviceError::TimedOut { peer, step }
            }
            SessionError::Io(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                DeviceError::Unreachable { peer }
            }
            SessionError::Io(e) => DeviceError::Network {
                peer,
                detail: e.to_string(),
            },
            other => DeviceError::Malformed {
                peer,
                step,
                detail: other.to_string(),
            },
        }
    }

    /// The error for a CoAP exchange over plain UDP that failed.
    pub fn from_coap(peer: &str, step: &str, error: crate::coap::client::Error) -> DeviceError {
        match error {
            crate::coap::client::Error::Timeout => DeviceError::TimedOut {
                peer: peer.to_owned(),
                step: step.to_owned(),
            },
            other => DeviceError::Malformed {
                peer: peer.to_owned(),
                step: step.to_owned(),
                detail: other.to_string(),
            },
        }
    }

    /// The CoAP code of a refusal.
    pub fn code(&self) -> Option<Code> {
        match self {
            DeviceError::Refused { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// Whether the device itself refused a request (it heard us and said no).
    pub fn is_refusal(&self) -> bool {
        matches!(self, DeviceError::Refused { .. })
    }

    /// The step that failed, when there was one.
    pub fn step(&self) -> Option<&str> {
        match self {
            DeviceError::TimedOut { step, .. }
            | DeviceError::Refused { step, .. }
            | DeviceError::Authentication { step, .. }
            | DeviceError::Malformed { step, .. } => Some(step),
            _ => None,
        }
    }
}

impl fmt::Display for DeviceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceError::NotFound { device, detail } => write!(f, "{device}: {detail}"),
            DeviceError::Ambiguous { name, candidates } => write!(
                f,
                "{} devices are named {name:?}; name one by UUID:\n  {}",
                candidates.len(),
                candidates.join("\n  ")
            ),
            DeviceError::Unreachable { peer } => write!(
                f,
                "{peer} refused the connection: nothing listens on that port; \
                 `ocf-mediator discover` lists devices and their ports"
            ),
            DeviceError::TimedOut { peer, step } => write!(
                f,
                "{peer} did not answer in time ({step}); check that it is on and reachable, \
                 or allow more time with --timeout"
            ),
            DeviceError::Refused {
                peer,
                step,
                code,
                diagnostic,
            } => {
                write!(
                    f,
                    "{peer}: {step}: the device answered {code} {}",
                    code.name()
                )?;
                if let Some(text) = diagnostic.as_deref().filter(|t| !t.is_empty()) {
                    write!(f, " ({text})")?;
                }
                f.write_str(refusal_hint(*code))
            }
            DeviceError::Authentication { peer, step, .. } => write!(
                f,
                "{peer}: {step}: the secure session was not accepted (wrong key, PIN, identity or \
                 certificate)"
            ),
            DeviceError::Malformed { peer, step, detail } => {
                write!(
                    f,
                    "{peer}: {step}: the device's answer cannot be used: {detail}"
                )
            }
            DeviceError::NoSecureEndpoint { device } => write!(
                f,
                "{device} lists no coaps:// endpoint, so no secure session can be opened with it \
                 (devices list none when asked over loopback; ask it over a network address)"
            ),
            DeviceError::Network { peer, detail } => write!(f, "{peer}: network error: {detail}"),
        }
    }
}

impl std::error::Error for DeviceError {}

fn refusal_hint(code: Code) -> &'static str {
    match code {
        Code::UNAUTHORIZED => {
            " (not allowed: the device serves it only over a secure session, or the ACL does not grant it)"
        }
        Code::NOT_FOUND => " (no such resource; `get DEVICE /oic/res` lists them)",
        _ => "",
    }
}

/// The detail behind an authentication failure, for `-v`.
pub fn authentication_detail(error: &DeviceError) -> Option<&str> {
    match error {
        DeviceError::Authentication { detail, .. } => Some(detail),
        _ => None,
    }
}
