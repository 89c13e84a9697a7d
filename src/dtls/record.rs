//! The DTLS record layer framing (RFC 6347 §4.1).

use super::codec::{Reader, put_u16, put_u48};
use super::error::Error;

pub const HEADER_LEN: usize = 13;
pub const DTLS12: u16 = 0xfefd;
/// DTLS 1.0: clients may use it in the record version of the first ClientHello.
pub const DTLS10: u16 = 0xfeff;
/// Largest record payload we accept (2^14 plaintext + 2048 expansion, RFC 5246 §6.2.3).
pub const MAX_PAYLOAD: usize = 16384 + 2048;

pub const CT_CHANGE_CIPHER_SPEC: u8 = 20;
pub const CT_ALERT: u8 = 21;
pub const CT_HANDSHAKE: u8 = 22;
pub const CT_APPLICATION_DATA: u8 = 23;

/// One record as parsed from a datagram (payload still protected when epoch > 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record<'a> {
    pub content_type: u8,
    pub version: u16,
    pub epoch: u16,
    pub seq: u64,
    pub payload: &'a [u8],
}

/// Splits a datagram into records. Parsing stops at the first malformed record:
/// what came before it is still returned (RFC 6347 §4.1.2.7: invalid records are
/// discarded, not fatal).
pub fn parse_datagram(datagram: &[u8]) -> Vec<Record<'_>> {
    let mut out = Vec::new();
    let mut r = Reader::new(datagram);
    while !r.is_empty() {
        match parse_one(&mut r) {
            Ok(rec) => out.push(rec),
            Err(_) => break,
        }
        // A datagram can hold at most a few dozen records of any use.
        if out.len() >= 64 {
            break;
        }
    }
    out
}

fn parse_one<'a>(r: &mut Reader<'a>) -> Result<Record<'a>, Error> {
    let content_type = r.u8()?;
    let version = r.u16()?;
    let epoch = r.u16()?;
    let seq = r.u48()?;
    let payload = r.vec16()?;
    if !matches!(
        content_type,
        CT_CHANGE_CIPHER_SPEC | CT_ALERT | CT_HANDSHAKE | CT_APPLICATION_DATA
    ) || (version != DTLS12 && version != DTLS10)
        || payload.len() > MAX_PAYLOAD
    {
        return Err(Error::DecodeError);
    }
    Ok(Record {
        content_type,
        version,
        epoch,
        seq,
        payload,
    })
}

/// Appends one record to `out`.
pub fn write_record(out: &mut Vec<u8>, content_type: u8, epoch: u16, seq: u64, payload: &[u8]) {
    out.push(content_type);
    put_u16(out, DTLS12);
    put_u16(out, epoch);
    put_u48(out, seq);
    put_u16(out, payload.len() as u16);
    out.extend_from_slice(payload);
}
