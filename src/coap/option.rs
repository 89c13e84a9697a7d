//! CoAP options: numbers (RFC 7252, RFC 7959 and OCF's), the ordered option
//! list of a message, and the uint and Block value formats.

use std::fmt;

use super::message::DecodeError;

/// An option number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OptionNumber(pub u16);

impl OptionNumber {
    pub const IF_MATCH: Self = Self(1);
    pub const URI_HOST: Self = Self(3);
    pub const ETAG: Self = Self(4);
    pub const IF_NONE_MATCH: Self = Self(5);
    pub const OBSERVE: Self = Self(6);
    pub const URI_PORT: Self = Self(7);
    pub const LOCATION_PATH: Self = Self(8);
    pub const URI_PATH: Self = Self(11);
    pub const CONTENT_FORMAT: Self = Self(12);
    pub const MAX_AGE: Self = Self(14);
    pub const URI_QUERY: Self = Self(15);
    pub const ACCEPT: Self = Self(17);
    pub const LOCATION_QUERY: Self = Self(20);
    pub const BLOCK2: Self = Self(23);
    pub const BLOCK1: Self = Self(27);
    pub const SIZE2: Self = Self(28);
    pub const PROXY_URI: Self = Self(35);
    pub const PROXY_SCHEME: Self = Self(39);
    pub const SIZE1: Self = Self(60);
    /// OCF-Accept-Content-Format-Version: the representation version a client accepts.
    pub const OCF_ACCEPT_CONTENT_FORMAT_VERSION: Self = Self(2049);
    /// OCF-Content-Format-Version: the representation version of a payload.
    pub const OCF_CONTENT_FORMAT_VERSION: Self = Self(2053);

    /// Odd option numbers are critical (RFC 7252 §5.4.1): a recipient that
    /// does not understand one must reject the message.
    pub fn is_critical(self) -> bool {
        self.0 & 1 == 1
    }

    /// The options this implementation understands; anything else that is
    /// critical makes a request fail with 4.02 Bad Option.
    pub fn is_known(self) -> bool {
        matches!(
            self.0,
            1 | 3
                | 4
                | 5
                | 6
                | 7
                | 8
                | 11
                | 12
                | 14
                | 15
                | 17
                | 20
                | 23
                | 27
                | 28
                | 35
                | 39
                | 60
                | 2049
                | 2053
        )
    }

    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "If-Match",
            3 => "Uri-Host",
            4 => "ETag",
            5 => "If-None-Match",
            6 => "Observe",
            7 => "Uri-Port",
            8 => "Location-Path",
            11 => "Uri-Path",
            12 => "Content-Format",
            14 => "Max-Age",
            15 => "Uri-Query",
            17 => "Accept",
            20 => "Location-Query",
            23 => "Block2",
            27 => "Block1",
            28 => "Size2",
            35 => "Proxy-Uri",
            39 => "Proxy-Scheme",
            60 => "Size1",
            2049 => "OCF-Accept-Content-Format-Version",
            2053 => "OCF-Content-Format-Version",
            _ => return None,
        })
    }
}

impl fmt::Display for OptionNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} ({})", self.0),
            None => write!(f, "option {}", self.0),
        }
    }
}

/// Content formats that matter here.
pub mod content_format {
    pub const TEXT_PLAIN: u16 = 0;
    pub const LINK_FORMAT: u16 = 40;
    pub const OCTET_STREAM: u16 = 42;
    pub const JSON: u16 = 50;
    pub const CBOR: u16 = 60;
    /// application/vnd.ocf+cbor, what OCF 1.0+ devices speak.
    pub const OCF_CBOR: u16 = 10000;
}

/// OCF content-format version 1.0.0 (5 bits major, 5 minor, 6 sub).
pub const OCF_VERSION_1_0: u32 = 2048;

/// The options of a message, kept in ascending number order; repeated
/// options keep their relative order, as the encoding requires.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    entries: Vec<(OptionNumber, Vec<u8>)>,
}

impl Options {
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = (OptionNumber, &[u8])> {
        self.entries.iter().map(|(n, v)| (*n, v.as_slice()))
    }

    /// Adds an option after any existing ones with the same number.
    pub fn push(&mut self, number: OptionNumber, value: Vec<u8>) {
        let at = self.entries.partition_point(|(n, _)| *n <= number);
        self.entries.insert(at, (number, value));
    }

    pub fn push_uint(&mut self, number: OptionNumber, value: u32) {
        self.push(number, encode_uint(value));
    }

    /// Replaces every occurrence of `number` with one value.
    pub fn set(&mut self, number: OptionNumber, value: Vec<u8>) {
        self.remove(number);
        self.push(number, value);
    }

    pub fn set_uint(&mut self, number: OptionNumber, value: u32) {
        self.set(number, encode_uint(value));
    }

    pub fn remove(&mut self, number: OptionNumber) {
        self.entries.retain(|(n, _)| *n != number);
    }

    pub fn get(&self, number: OptionNumber) -> Option<&[u8]> {
        self.all(number).next()
    }

    pub fn all(&self, number: OptionNumber) -> impl Iterator<Item = &[u8]> {
        self.entries
            .iter()
            .filter(move |(n, _)| *n == number)
            .map(|(_, v)| v.as_slice())
    }

    pub fn contains(&self, number: OptionNumber) -> bool {
        self.get(number).is_some()
    }

    /// The first value of a uint option; `None` when absent or longer than 4 bytes.
    pub fn get_uint(&self, number: OptionNumber) -> Option<u32> {
        self.get(number).and_then(decode_uint)
    }

    /// The request path, from Uri-Path options, as `/a/b`.
    pub fn uri_path(&self) -> String {
        let mut path = String::new();
        for segment in self.all(OptionNumber::URI_PATH) {
            path.push('/');
            path.push_str(&String::from_utf8_lossy(segment));
        }
        if path.is_empty() {
            path.push('/');
        }
        path
    }

    /// The request query strings, from Uri-Query options.
    pub fn uri_queries(&self) -> impl Iterator<Item = String> + '_ {
        self.all(OptionNumber::URI_QUERY)
            .map(|q| String::from_utf8_lossy(q).into_owned())
    }

    /// Sets Uri-Path and Uri-Query from `/a/b?x=1&y=2`.
    pub fn set_uri(&mut self, href: &str) {
        self.remove(OptionNumber::URI_PATH);
        self.remove(OptionNumber::URI_QUERY);
        let (path, query) = match href.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (href, None),
        };
        for segment in path.split('/').filter(|s| !s.is_empty()) {
            self.push(OptionNumber::URI_PATH, segment.as_bytes().to_vec());
        }
        for q in query
            .into_iter()
            .flat_map(|q| q.split('&'))
            .filter(|q| !q.is_empty())
        {
            self.push(OptionNumber::URI_QUERY, q.as_bytes().to_vec());
        }
    }

    /// The first critical option not in [`OptionNumber::is_known`], if any.
    pub fn unknown_critical(&self) -> Option<OptionNumber> {
        self.entries
            .iter()
            .map(|(n, _)| *n)
            .find(|n| n.is_critical() && !n.is_known())
    }

    pub(crate) fn encoded_len_hint(&self) -> usize {
        self.entries.iter().map(|(_, v)| v.len() + 3).sum()
    }

    /// Writes the options in RFC 7252 §3.1 form (deltas from the previous
    /// number), as both framings carry them.
    pub(crate) fn encode_into(&self, out: &mut Vec<u8>) {
        let mut previous = 0u16;
        for (number, value) in &self.entries {
            let (delta_nibble, (delta_ext, delta_len)) = extended(usize::from(number.0 - previous));
            let (len_nibble, (len_ext, len_len)) = extended(value.len());
            out.push((delta_nibble << 4) | len_nibble);
            out.extend_from_slice(&delta_ext[..delta_len]);
            out.extend_from_slice(&len_ext[..len_len]);
            out.extend_from_slice(value);
            previous = number.0;
        }
    }
}

/// Reads the options and the payload that follow the token, in the form
/// both framings share (RFC 7252 §3.1; RFC 8323 §3.2). `offset` is where
/// `bytes` starts in the whole message, for the positions errors report.
pub(crate) fn decode_options(bytes: &[u8], offset: usize) -> Result<(Options, &[u8]), DecodeError> {
    let mut rest = bytes;
    let mut options = Options::default();
    let mut number: u32 = 0;
    while let Some((&byte, after)) = rest.split_first() {
        if byte == 0xff {
            if after.is_empty() {
                return Err(DecodeError::EmptyPayloadAfterMarker);
            }
            return Ok((options, after));
        }
        let at = offset + (bytes.len() - rest.len());
        let mut cursor = after;
        let delta = read_extended(byte >> 4, &mut cursor, at)?;
        let length = read_extended(byte & 0x0f, &mut cursor, at)?;
        number += delta;
        if number > u32::from(u16::MAX) {
            return Err(DecodeError::OptionNumberOverflow { at });
        }
        let length = length as usize;
        if cursor.len() < length {
            return Err(DecodeError::TruncatedOption { at });
        }
        let (value, after_value) = cursor.split_at(length);
        options.push(OptionNumber(number as u16), value.to_vec());
        rest = after_value;
    }
    Ok((options, &[]))
}

/// Reads the extended form of an option delta or length nibble (RFC 7252 §3.1).
fn read_extended(nibble: u8, cursor: &mut &[u8], at: usize) -> Result<u32, DecodeError> {
    match nibble {
        0..=12 => Ok(u32::from(nibble)),
        13 => {
            let (&b, rest) = cursor
                .split_first()
                .ok_or(DecodeError::TruncatedOption { at })?;
            *cursor = rest;
            Ok(u32::from(b) + 13)
        }
        14 => {
            let [hi, lo, rest @ ..] = *cursor else {
                return Err(DecodeError::TruncatedOption { at });
            };
            *cursor = rest;
            Ok(u32::from(u16::from_be_bytes([*hi, *lo])) + 269)
        }
        _ => Err(DecodeError::ReservedOptionNibble { at }),
    }
}

/// Writes an option delta or length nibble and returns its extension bytes.
fn extended(value: usize) -> (u8, ([u8; 2], usize)) {
    match value {
        0..=12 => (value as u8, ([0, 0], 0)),
        13..=268 => (13, ([(value - 13) as u8, 0], 1)),
        _ => {
            let v = (value - 269).min(u16::MAX as usize) as u16;
            (14, (v.to_be_bytes(), 2))
        }
    }
}

/// Encodes a uint option value in the fewest bytes (RFC 7252 §3.2).
pub fn encode_uint(value: u32) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    bytes[skip..].to_vec()
}

/// Decodes a uint option value of at most 4 bytes.
pub fn decode_uint(bytes: &[u8]) -> Option<u32> {
    if bytes.len() > 4 {
        return None;
    }
    Some(bytes.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)))
}

/// A Block1 or Block2 option value (RFC 7959 §2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block {
    pub num: u32,
    pub more: bool,
    /// Size exponent: the block holds 2^(szx+4) bytes; 7 is reserved.
    pub szx: u8,
}

impl Block {
    /// The largest block number a 3-byte Block option can carry.
    pub const MAX_NUM: u32 = (1 << 20) - 1;

    pub fn new(num: u32, more: bool, size: usize) -> Self {
        Block {
            num,
            more,
            szx: size_exponent(size),
        }
    }

    pub fn size(self) -> usize {
        1 << (u32::from(self.szx.min(6)) + 4)
    }

    /// Byte offset of this block in the whole body.
    pub fn offset(self) -> usize {
        self.num as usize * self.size()
    }

    pub fn decode(bytes: &[u8]) -> Option<Block> {
        let value = decode_uint(bytes)?;
        if bytes.len() > 3 {
            return None;
        }
        let szx = (value & 0x7) as u8;
        if szx == 7 {
            return None;
        }
        Some(Block {
            num: value >> 4,
            more: value & 0x8 != 0,
            szx,
        })
    }

    pub fn encode(self) -> Vec<u8> {
        encode_uint((self.num << 4) | (u32::from(self.more) << 3) | u32::from(self.szx & 0x7))
    }
}

/// The size exponent of the largest block size not above `size` (16..=1024).
pub fn size_exponent(size: usize) -> u8 {
    let size = size.clamp(16, 1024);
    (usize::BITS - 1 - size.leading_zeros()) as u8 - 4
}
