//! Signalling messages of CoAP over TCP (RFC 8323 §5): CSM 7.01, Ping
//! 7.02, Pong 7.03, Release 7.04 and Abort 7.05. Their option numbers mean
//! something only within each code.

use std::fmt;

use super::frame::Frame;
use crate::coap::message::Code;
use crate::coap::option::{OptionNumber, decode_uint};

/// CSM: Max-Message-Size (uint), the largest message the sender accepts.
pub const MAX_MESSAGE_SIZE: OptionNumber = OptionNumber(2);
/// CSM: Block-Wise-Transfer (empty), the sender understands Block1/Block2.
pub const BLOCK_WISE_TRANSFER: OptionNumber = OptionNumber(4);
/// Ping and Pong: Custody (empty).
pub const CUSTODY: OptionNumber = OptionNumber(2);
/// Release: Alternative-Address (string, repeatable).
pub const ALTERNATIVE_ADDRESS: OptionNumber = OptionNumber(2);
/// Release: Hold-Off (uint seconds).
pub const HOLD_OFF: OptionNumber = OptionNumber(4);
/// Abort: Bad-CSM-Option (uint).
pub const BAD_CSM_OPTION: OptionNumber = OptionNumber(2);

/// The Max-Message-Size assumed until the peer's CSM says otherwise
/// (RFC 8323 §5.3.1).
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 1152;

/// A signalling message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Signal {
    /// 7.01 Capabilities and Settings.
    Csm {
        max_message_size: Option<u32>,
        block_wise: bool,
    },
    /// 7.02 Ping.
    Ping { custody: bool },
    /// 7.03 Pong.
    Pong { custody: bool },
    /// 7.04 Release: the sender will close the connection.
    Release {
        alternative_addresses: Vec<String>,
        hold_off: Option<u32>,
    },
    /// 7.05 Abort: the sender closes the connection now, and says why.
    Abort {
        bad_csm_option: Option<u16>,
        diagnostic: String,
    },
}

/// Why a signalling message cannot be taken.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignalError {
    /// A class 7 code other than 7.01–7.05.
    UnknownCode(Code),
    /// A critical option that this code does not define (RFC 8323 §5.1).
    UnknownCriticalOption { code: Code, option: u16 },
}

impl fmt::Display for SignalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownCode(code) => write!(f, "unknown signalling code {code}"),
            Self::UnknownCriticalOption { code, option } => {
                write!(f, "unknown critical option {option} in a {code} signal")
            }
        }
    }
}

impl std::error::Error for SignalError {}

impl Signal {
    /// Reads a class 7 message.
    pub fn from_frame(frame: &Frame) -> Result<Signal, SignalError> {
        let known: &[OptionNumber] = match frame.code {
            Code::CSM => &[MAX_MESSAGE_SIZE, BLOCK_WISE_TRANSFER],
            Code::PING | Code::PONG => &[CUSTODY],
            Code::RELEASE => &[ALTERNATIVE_ADDRESS, HOLD_OFF],
            Code::ABORT => &[BAD_CSM_OPTION],
            other => return Err(SignalError::UnknownCode(other)),
        };
        if let Some((number, _)) = frame
            .options
            .iter()
            .find(|(n, _)| n.is_critical() && !known.contains(n))
        {
            return Err(SignalError::UnknownCriticalOption {
                code: frame.code,
                option: number.0,
            });
        }
        let options = &frame.options;
        Ok(match frame.code {
            Code::CSM => Signal::Csm {
                max_message_size: options.get(MAX_MESSAGE_SIZE).and_then(decode_uint),
                block_wise: options.contains(BLOCK_WISE_TRANSFER),
            },
            Code::PING => Signal::Ping {
                custody: options.contains(CUSTODY),
            },
            Code::PONG => Signal::Pong {
                custody: options.contains(CUSTODY),
            },
            Code::RELEASE => Signal::Release {
                alternative_addresses: options
                    .all(ALTERNATIVE_ADDRESS)
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect(),
                hold_off: options.get(HOLD_OFF).and_then(decode_uint),
            },
            _ => Signal::Abort {
                bad_csm_option: options
                    .get(BAD_CSM_OPTION)
                    .and_then(decode_uint)
                    .and_then(|n| u16::try_from(n).ok()),
                diagnostic: String::from_utf8_lossy(&frame.payload).into_owned(),
            },
        })
    }

    /// The message for this signal, with `token` (empty but for Ping/Pong,
    /// where a Pong echoes its Ping's).
    pub fn to_frame(&self, token: Vec<u8>) -> Frame {
        let mut frame = Frame::new(self.code(), token);
        let options = &mut frame.options;
        match self {
            Signal::Csm {
                max_message_size,
                block_wise,
            } => {
                if let Some(size) = max_message_size {
                    options.push_uint(MAX_MESSAGE_SIZE, *size);
                }
                if *block_wise {
                    options.push(BLOCK_WISE_TRANSFER, Vec::new());
                }
            }
            Signal::Ping { custody } | Signal::Pong { custody } => {
                if *custody {
                    options.push(CUSTODY, Vec::new());
                }
            }
            Signal::Release {
                alternative_addresses,
                hold_off,
            } => {
                for address in alternative_addresses {
                    options.push(ALTERNATIVE_ADDRESS, address.as_bytes().to_vec());
                }
                if let Some(seconds) = hold_off {
                    options.push_uint(HOLD_OFF, *seconds);
                }
            }
            Signal::Abort {
                bad_csm_option,
                diagnostic,
            } => {
                if let Some(option) = bad_csm_option {
                    options.push_uint(BAD_CSM_OPTION, u32::from(*option));
                }
                frame.payload = diagnostic.as_bytes().to_vec();
            }
        }
        frame
    }

    pub fn code(&self) -> Code {
        match self {
            Signal::Csm { .. } => Code::CSM,
            Signal::Ping { .. } => Code::PING,
            Signal::Pong { .. } => Code::PONG,
            Signal::Release { .. } => Code::RELEASE,
            Signal::Abort { .. } => Code::ABORT,
        }
    }
}
