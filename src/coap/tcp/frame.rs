//! The CoAP over TCP message (RFC 8323 §3.2) and a decoder for a byte
//! stream that arrives in any chunking.
//!
//! ```text
//!  Len | TKL | Extended Length (0, 1, 2 or 4 bytes) | Code | Token | Options | 0xFF Payload
//! ```
//!
//! `Len` counts the options, the payload marker and the payload (not the
//! token, not the code). The options are the same as over UDP and go through
//! the one codec in [`crate::coap::option`].

use std::fmt;

use crate::coap::message::{Code, DecodeError};
use crate::coap::option::{Options, decode_options};

/// One CoAP over TCP message: a request, a response or a signal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub code: Code,
    /// 0 to 8 bytes.
    pub token: Vec<u8>,
    pub options: Options,
    pub payload: Vec<u8>,
}

/// Why bytes on a CoAP over TCP connection are not a message. Every one of
/// these ends the connection (RFC 8323 §3.3: there is no way to resync).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameError {
    /// Token length 9–15 is reserved.
    ReservedTokenLength(u8),
    /// The message announces more bytes than this side accepts.
    TooLarge { size: usize, limit: usize },
    /// The options or payload of a message are malformed.
    Malformed(DecodeError),
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ReservedTokenLength(l) => write!(f, "reserved token length {l}"),
            Self::TooLarge { size, limit } => write!(
                f,
                "a message of {size} bytes is larger than the {limit} bytes accepted"
            ),
            Self::Malformed(e) => write!(f, "malformed message: {e}"),
        }
    }
}

impl std::error::Error for FrameError {}

impl Frame {
    pub fn new(code: Code, token: Vec<u8>) -> Self {
        Frame {
            code,
            token,
            options: Options::default(),
            payload: Vec::new(),
        }
    }

    /// The encoded message.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            8 + self.token.len() + self.options.encoded_len_hint() + self.payload.len(),
        );
        self.encode_into(&mut out);
        out
    }

    /// Appends the encoded message to `out`. Tokens longer than 8 bytes are a
    /// programming error and are cut to 8.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        let token = &self.token[..self.token.len().min(8)];
        let mut body = Vec::with_capacity(self.options.encoded_len_hint() + 1 + self.payload.len());
        self.options.encode_into(&mut body);
        if !self.payload.is_empty() {
            body.push(0xff);
            body.extend_from_slice(&self.payload);
        }
        let len = body.len();
        let tkl = token.len() as u8;
        match len {
            0..=12 => out.push(((len as u8) << 4) | tkl),
            13..=268 => out.extend_from_slice(&[(13 << 4) | tkl, (len - 13) as u8]),
            269..=65_804 => {
                out.push((14 << 4) | tkl);
                out.extend_from_slice(&((len - 269) as u16).to_be_bytes());
            }
            _ => {
                out.push((15 << 4) | tkl);
                let extended = u32::try_from(len - 65_805).unwrap_or(u32::MAX);
                out.extend_from_slice(&extended.to_be_bytes());
            }
        }
        out.push(self.code.0);
        out.extend_from_slice(token);
        out.extend_from_slice(&body);
    }

    /// The size of the encoded message, without encoding it.
    pub fn encoded_len(&self) -> usize {
        let mut body = 0usize;
        let mut previous = 0u16;
        for (number, value) in self.options.iter() {
            body += 1
                + extension_len(usize::from(number.0 - previous))
                + extension_len(value.len())
                + value.len();
            previous = number.0;
        }
        if !self.payload.is_empty() {
            body += 1 + self.payload.len();
        }
        1 + length_extension_len(body) + 1 + self.token.len().min(8) + body
    }

    /// Decodes the first message of `bytes`. `Ok(None)` when the bytes end
    /// before the message does; otherwise the message and how many bytes it
    /// took.
    pub fn decode(bytes: &[u8], limit: usize) -> Result<Option<(Frame, usize)>, FrameError> {
        let Some(header) = Header::parse(bytes)? else {
            return Ok(None);
        };
        let size = header.total();
        if size > limit {
            return Err(FrameError::TooLarge { size, limit });
        }
        if bytes.len() < size {
            return Ok(None);
        }
        let code = Code(bytes[header.code_at]);
        let token_at = header.code_at + 1;
        let token = bytes[token_at..token_at + header.token_len].to_vec();
        let body_at = token_at + header.token_len;
        let (options, payload) =
            decode_options(&bytes[body_at..size], body_at).map_err(FrameError::Malformed)?;
        Ok(Some((
            Frame {
                code,
                token,
                options,
                payload: payload.to_vec(),
            },
            size,
        )))
    }
}

/// The fixed part of a message: where the code is, and the lengths.
struct Header {
    code_at: usize,
    token_len: usize,
    body_len: usize,
}

impl Header {
    fn parse(bytes: &[u8]) -> Result<Option<Header>, FrameError> {
        let Some(&first) = bytes.first() else {
            return Ok(None);
        };
        let tkl = first & 0x0f;
        if tkl > 8 {
            return Err(FrameError::ReservedTokenLength(tkl));
        }
        let (extension, base) = match first >> 4 {
            len @ 0..=12 => (0, usize::from(len)),
            13 => (1, 13),
            14 => (2, 269),
            _ => (4, 65_805),
        };
        let Some(ext) = bytes.get(1..1 + extension) else {
            return Ok(None);
        };
        let extended = ext
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        Ok(Some(Header {
            code_at: 1 + extension,
            token_len: usize::from(tkl),
            body_len: base.saturating_add(extended),
        }))
    }

    fn total(&self) -> usize {
        self.code_at + 1 + self.token_len + self.body_len
    }
}

fn extension_len(value: usize) -> usize {
    match value {
        0..=12 => 0,
        13..=268 => 1,
        _ => 2,
    }
}

fn length_extension_len(len: usize) -> usize {
    match len {
        0..=12 => 0,
        13..=268 => 1,
        269..=65_804 => 2,
        _ => 4,
    }
}

/// Turns a byte stream into messages, whatever the chunks it arrives in.
/// Holds at most one message larger than what has been taken out, and
/// refuses (before buffering it) any message above the limit.
#[derive(Debug)]
pub struct FrameDecoder {
    buffer: Vec<u8>,
    /// Bytes of `buffer` already decoded.
    start: usize,
    limit: usize,
}

impl FrameDecoder {
    /// A decoder accepting messages of at most `limit` bytes.
    pub fn new(limit: usize) -> Self {
        FrameDecoder {
            buffer: Vec::new(),
            start: 0,
            limit,
        }
    }

    /// The largest message accepted.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Adds received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start >= self.buffer.len() / 2 {
            self.buffer.drain(..self.start);
            self.start = 0;
        }
        self.buffer.extend_from_slice(bytes);
    }

    /// The next complete message, if the bytes so far hold one. An error is
    /// final: the stream cannot be read past it.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, FrameError> {
        match Frame::decode(&self.buffer[self.start..], self.limit)? {
            Some((frame, used)) => {
                self.start += used;
                if self.start == self.buffer.len() {
                    self.buffer.clear();
                    self.start = 0;
                }
                Ok(Some(frame))
            }
            None => Ok(None),
        }
    }

    /// Bytes received but not yet part of a whole message.
    pub fn pending(&self) -> usize {
        self.buffer.len() - self.start
    }
}
