//! The CoAP message (RFC 7252 §3) and its datagram encoding.
//!
//! The decoder is strict: anything RFC 7252 calls a message format error is
//! rejected with a [`DecodeError`] that says where the datagram went wrong,
//! because a device on the network is untrusted input. It never panics and
//! allocates at most the datagram's size.

use std::fmt;

use super::option::{Options, decode_options};

/// The 2-bit message type of RFC 7252 §3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageType {
    Confirmable,
    NonConfirmable,
    Acknowledgement,
    Reset,
}

impl MessageType {
    fn from_bits(bits: u8) -> Self {
        match bits & 0b11 {
            0 => Self::Confirmable,
            1 => Self::NonConfirmable,
            2 => Self::Acknowledgement,
            _ => Self::Reset,
        }
    }

    fn bits(self) -> u8 {
        match self {
            Self::Confirmable => 0,
            Self::NonConfirmable => 1,
            Self::Acknowledgement => 2,
            Self::Reset => 3,
        }
    }

    /// The short name used in captures and logs: CON, NON, ACK, RST.
    pub fn abbreviation(self) -> &'static str {
        match self {
            Self::Confirmable => "CON",
            Self::NonConfirmable => "NON",
            Self::Acknowledgement => "ACK",
            Self::Reset => "RST",
        }
    }
}

/// A CoAP code: 3-bit class and 5-bit detail, written `c.dd`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Code(pub u8);

impl Code {
    pub const EMPTY: Code = Code(0x00);
    pub const GET: Code = Code(0x01);
    pub const POST: Code = Code(0x02);
    pub const PUT: Code = Code(0x03);
    pub const DELETE: Code = Code(0x04);
    pub const CREATED: Code = Code::new(2, 1);
    pub const DELETED: Code = Code::new(2, 2);
    pub const VALID: Code = Code::new(2, 3);
    pub const CHANGED: Code = Code::new(2, 4);
    pub const CONTENT: Code = Code::new(2, 5);
    pub const CONTINUE: Code = Code::new(2, 31);
    pub const BAD_REQUEST: Code = Code::new(4, 0);
    pub const UNAUTHORIZED: Code = Code::new(4, 1);
    pub const BAD_OPTION: Code = Code::new(4, 2);
    pub const FORBIDDEN: Code = Code::new(4, 3);
    pub const NOT_FOUND: Code = Code::new(4, 4);
    pub const METHOD_NOT_ALLOWED: Code = Code::new(4, 5);
    pub const NOT_ACCEPTABLE: Code = Code::new(4, 6);
    pub const REQUEST_ENTITY_INCOMPLETE: Code = Code::new(4, 8);
    pub const REQUEST_ENTITY_TOO_LARGE: Code = Code::new(4, 13);
    pub const UNSUPPORTED_CONTENT_FORMAT: Code = Code::new(4, 15);
    pub const INTERNAL_SERVER_ERROR: Code = Code::new(5, 0);
    pub const SERVICE_UNAVAILABLE: Code = Code::new(5, 3);
    /// Signalling codes of CoAP over TCP (RFC 8323 §5).
    pub const CSM: Code = Code::new(7, 1);
    pub const PING: Code = Code::new(7, 2);
    pub const PONG: Code = Code::new(7, 3);
    pub const RELEASE: Code = Code::new(7, 4);
    pub const ABORT: Code = Code::new(7, 5);

    pub const fn new(class: u8, detail: u8) -> Code {
        Code((class << 5) | (detail & 0x1f))
    }

    pub fn class(self) -> u8 {
        self.0 >> 5
    }

    pub fn detail(self) -> u8 {
        self.0 & 0x1f
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn is_request(self) -> bool {
        self.class() == 0 && self.0 != 0
    }

    pub fn is_response(self) -> bool {
        (2..=5).contains(&self.class())
    }

    /// A signalling code of CoAP over TCP (class 7, RFC 8323 §5).
    pub fn is_signalling(self) -> bool {
        self.class() == 7
    }

    pub fn is_success(self) -> bool {
        self.class() == 2
    }

    /// The RFC 7252 name of the code, for messages meant for people.
    pub fn name(self) -> &'static str {
        match (self.class(), self.detail()) {
            (0, 0) => "Empty",
            (0, 1) => "GET",
            (0, 2) => "POST",
            (0, 3) => "PUT",
            (0, 4) => "DELETE",
            (2, 1) => "Created",
            (2, 2) => "Deleted",
            (2, 3) => "Valid",
            (2, 4) => "Changed",
            (2, 5) => "Content",
            (2, 31) => "Continue",
            (4, 0) => "Bad Request",
            (4, 1) => "Unauthorized",
            (4, 2) => "Bad Option",
            (4, 3) => "Forbidden",
            (4, 4) => "Not Found",
            (4, 5) => "Method Not Allowed",
            (4, 6) => "Not Acceptable",
            (4, 8) => "Request Entity Incomplete",
            (4, 12) => "Precondition Failed",
            (4, 13) => "Request Entity Too Large",
            (4, 15) => "Unsupported Content-Format",
            (5, 0) => "Internal Server Error",
            (5, 1) => "Not Implemented",
            (5, 2) => "Bad Gateway",
            (5, 3) => "Service Unavailable",
            (5, 4) => "Gateway Timeout",
            (5, 5) => "Proxying Not Supported",
            (7, 1) => "CSM",
            (7, 2) => "Ping",
            (7, 3) => "Pong",
            (7, 4) => "Release",
            (7, 5) => "Abort",
            _ => "",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:02}", self.class(), self.detail())
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self, self.name())
    }
}

/// Why a datagram is not a CoAP message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// Shorter than the 4-byte fixed header.
    TooShort { len: usize },
    /// The version field is not 1.
    UnsupportedVersion(u8),
    /// Token length 9–15 is reserved.
    ReservedTokenLength(u8),
    /// The datagram ends inside the token.
    TruncatedToken { expected: usize, available: usize },
    /// The datagram ends inside an option's extended delta, length or value.
    TruncatedOption { at: usize },
    /// Nibble 15 used as an option delta or length outside the payload marker.
    ReservedOptionNibble { at: usize },
    /// The option number would exceed 65535.
    OptionNumberOverflow { at: usize },
    /// A payload marker followed by no payload (RFC 7252 §3).
    EmptyPayloadAfterMarker,
    /// An Empty message (code 0.00) with a token, options or payload.
    NonEmptyEmptyMessage,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooShort { len } => {
                write!(f, "datagram of {len} bytes is shorter than a CoAP header")
            }
            Self::UnsupportedVersion(v) => write!(f, "CoAP version {v} is not 1"),
            Self::ReservedTokenLength(l) => write!(f, "reserved token length {l}"),
            Self::TruncatedToken {
                expected,
                available,
            } => write!(
                f,
                "token of {expected} bytes truncated to {available} bytes"
            ),
            Self::TruncatedOption { at } => write!(f, "option truncated at byte {at}"),
            Self::ReservedOptionNibble { at } => {
                write!(f, "reserved option delta or length 15 at byte {at}")
            }
            Self::OptionNumberOverflow { at } => {
                write!(f, "option number above 65535 at byte {at}")
            }
            Self::EmptyPayloadAfterMarker => f.write_str("payload marker without payload"),
            Self::NonEmptyEmptyMessage => {
                f.write_str("empty message (0.00) carries a token, options or payload")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// A CoAP message as it travels in one UDP datagram.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub mtype: MessageType,
    pub code: Code,
    pub message_id: u16,
    /// 0 to 8 bytes; longer tokens are truncated by [`Message::encode`]'s caller contract.
    pub token: Vec<u8>,
    pub options: Options,
    pub payload: Vec<u8>,
}

impl Message {
    pub fn new(mtype: MessageType, code: Code, message_id: u16) -> Self {
        Message {
            mtype,
            code,
            message_id,
            token: Vec::new(),
            options: Options::default(),
            payload: Vec::new(),
        }
    }

    /// An empty ACK (RFC 7252 §4.2) for a confirmable message.
    pub fn empty_ack(message_id: u16) -> Self {
        Message::new(MessageType::Acknowledgement, Code::EMPTY, message_id)
    }

    /// A Reset for a message we cannot or will not process.
    pub fn reset(message_id: u16) -> Self {
        Message::new(MessageType::Reset, Code::EMPTY, message_id)
    }

    /// Decodes one datagram.
    pub fn decode(datagram: &[u8]) -> Result<Message, DecodeError> {
        let [first, code, mid_hi, mid_lo, rest @ ..] = datagram else {
            return Err(DecodeError::TooShort {
                len: datagram.len(),
            });
        };
        let version = first >> 6;
        if version != 1 {
            return Err(DecodeError::UnsupportedVersion(version));
        }
        let token_len = first & 0x0f;
        if token_len > 8 {
            return Err(DecodeError::ReservedTokenLength(token_len));
        }
        let token_len = usize::from(token_len);
        if rest.len() < token_len {
            return Err(DecodeError::TruncatedToken {
                expected: token_len,
                available: rest.len(),
            });
        }
        let (token, rest) = rest.split_at(token_len);
        let (options, payload) = decode_options(rest, 4 + token_len)?;
        let message = Message {
            mtype: MessageType::from_bits(first >> 4),
            code: Code(*code),
            message_id: u16::from_be_bytes([*mid_hi, *mid_lo]),
            token: token.to_vec(),
            options,
            payload: payload.to_vec(),
        };
        if message.code.is_empty()
            && (!message.token.is_empty() || !message.options.is_empty() || !payload.is_empty())
        {
            return Err(DecodeError::NonEmptyEmptyMessage);
        }
        Ok(message)
    }

    /// Encodes the message into a datagram. Tokens longer than 8 bytes are a
    /// programming error and are cut to 8.
    pub fn encode(&self) -> Vec<u8> {
        let token = &self.token[..self.token.len().min(8)];
        let mut out = Vec::with_capacity(
            4 + token.len() + self.options.encoded_len_hint() + 1 + self.payload.len(),
        );
        out.push((1 << 6) | (self.mtype.bits() << 4) | token.len() as u8);
        out.push(self.code.0);
        out.extend_from_slice(&self.message_id.to_be_bytes());
        out.extend_from_slice(token);
        self.options.encode_into(&mut out);
        if !self.payload.is_empty() {
            out.push(0xff);
            out.extend_from_slice(&self.payload);
        }
        out
    }
}
