//! Handshake message bodies (RFC 5246 §7.4, RFC 6347 §4.3.2, RFC 4279, RFC 4492,
//! RFC 5489, RFC 7627) and the DTLS handshake header.

use crate::dtls::codec::{Reader, put_u16, put_u24, put_vec8, put_vec16, put_vec24};
use crate::dtls::error::Error;

pub const HELLO_REQUEST: u8 = 0;
pub const CLIENT_HELLO: u8 = 1;
pub const SERVER_HELLO: u8 = 2;
pub const HELLO_VERIFY_REQUEST: u8 = 3;
pub const CERTIFICATE: u8 = 11;
pub const SERVER_KEY_EXCHANGE: u8 = 12;
pub const CERTIFICATE_REQUEST: u8 = 13;
pub const SERVER_HELLO_DONE: u8 = 14;
pub const CERTIFICATE_VERIFY: u8 = 15;
pub const CLIENT_KEY_EXCHANGE: u8 = 16;
pub const FINISHED: u8 = 20;

pub const EXT_SUPPORTED_GROUPS: u16 = 10;
pub const EXT_EC_POINT_FORMATS: u16 = 11;
pub const EXT_SIGNATURE_ALGORITHMS: u16 = 13;
pub const EXT_ENCRYPT_THEN_MAC: u16 = 22;
pub const EXT_EXTENDED_MASTER_SECRET: u16 = 23;
pub const EXT_RENEGOTIATION_INFO: u16 = 0xff01;

pub const SCSV_RENEGOTIATION: u16 = 0x00ff;
pub const GROUP_SECP256R1: u16 = 0x0017;
pub const SIG_ECDSA_SECP256R1_SHA256: u16 = 0x0403;
pub const HANDSHAKE_HEADER_LEN: usize = 12;

/// The 12-byte DTLS handshake header of one fragment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HandshakeHeader {
    pub msg_type: u8,
    pub length: u32,
    pub message_seq: u16,
    pub fragment_offset: u32,
    pub fragment_length: u32,
}

impl HandshakeHeader {
    /// Parses one fragment from a record payload, returning the header and the fragment bytes.
    pub fn parse<'a>(r: &mut Reader<'a>) -> Result<(HandshakeHeader, &'a [u8]), Error> {
        let h = HandshakeHeader {
            msg_type: r.u8()?,
            length: r.u24()?,
            message_seq: r.u16()?,
            fragment_offset: r.u24()?,
            fragment_length: r.u24()?,
        };
        let end = h
            .fragment_offset
            .checked_add(h.fragment_length)
            .ok_or(Error::DecodeError)?;
        if end > h.length {
            return Err(Error::DecodeError);
        }
        let frag = r.bytes(h.fragment_length as usize)?;
        Ok((h, frag))
    }

    pub fn write(&self, out: &mut Vec<u8>) {
        out.push(self.msg_type);
        put_u24(out, self.length);
        put_u16(out, self.message_seq);
        put_u24(out, self.fragment_offset);
        put_u24(out, self.fragment_length);
    }
}

/// A whole (unfragmented) handshake message as it enters the transcript.
pub fn full_message(msg_type: u8, message_seq: u16, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HANDSHAKE_HEADER_LEN + body.len());
    HandshakeHeader {
        msg_type,
        length: body.len() as u32,
        message_seq,
        fragment_offset: 0,
        fragment_length: body.len() as u32,
    }
    .write(&mut out);
    out.extend_from_slice(body);
    out
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    pub typ: u16,
    pub data: Vec<u8>,
}

fn parse_extensions(r: &mut Reader<'_>) -> Result<Vec<Extension>, Error> {
    if r.is_empty() {
        return Ok(Vec::new());
    }
    let mut er = Reader::new(r.vec16()?);
    let mut out = Vec::new();
    while !er.is_empty() {
        let typ = er.u16()?;
        let data = er.vec16()?.to_vec();
        if out.iter().any(|e: &Extension| e.typ == typ) {
            // RFC 5246 §7.4.1.4: no duplicate extension types.
            return Err(Error::DecodeError);
        }
        out.push(Extension { typ, data });
    }
    Ok(out)
}

fn write_extensions(out: &mut Vec<u8>, exts: &[Extension]) {
    if exts.is_empty() {
        return;
    }
    let mut body = Vec::new();
    for e in exts {
        put_u16(&mut body, e.typ);
        put_vec16(&mut body, &e.data);
    }
    put_vec16(out, &body);
}

pub fn find_ext(exts: &[Extension], typ: u16) -> Option<&Extension> {
    exts.iter().find(|e| e.typ == typ)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHello {
    pub version: u16,
    pub random: [u8; 32],
    pub session_id: Vec<u8>,
    pub cookie: Vec<u8>,
    pub cipher_suites: Vec<u16>,
    pub compression_methods: Vec<u8>,
    pub extensions: Vec<Extension>,
}

impl ClientHello {
    pub fn parse(body: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body);
        let version = r.u16()?;
        let random: [u8; 32] = r.bytes(32)?.try_into().map_err(|_| Error::DecodeError)?;
        let session_id = r.vec8()?.to_vec();
        let cookie = r.vec8()?.to_vec();
        if session_id.len() > 32 || cookie.len() > 255 {
            return Err(Error::DecodeError);
        }
        let suites = r.vec16()?;
        if suites.len() % 2 != 0 || suites.is_empty() {
            return Err(Error::DecodeError);
        }
        let cipher_suites = suites
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        let compression_methods = r.vec8()?.to_vec();
        let extensions = parse_extensions(&mut r)?;
        r.finish()?;
        Ok(ClientHello {
            version,
            random,
            session_id,
            cookie,
            cipher_suites,
            compression_methods,
            extensions,
        })
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128);
        put_u16(&mut out, self.version);
        out.extend_from_slice(&self.random);
        put_vec8(&mut out, &self.session_id);
        put_vec8(&mut out, &self.cookie);
        put_u16(&mut out, (self.cipher_suites.len() * 2) as u16);
        for s in &self.cipher_suites {
            put_u16(&mut out, *s);
        }
        put_vec8(&mut out, &self.compression_methods);
        write_extensions(&mut out, &self.extensions);
        out
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHello {
    pub version: u16,
    pub random: [u8; 32],
    pub session_id: Vec<u8>,
    pub cipher_suite: u16,
    pub compression_method: u8,
    pub extensions: Vec<Extension>,
}

impl ServerHello {
    pub fn parse(body: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(body);
        let version = r.u16()?;
        let random: [u8; 32] = r.bytes(32)?.try_into().map_err(|_| Error::DecodeError)?;
        let session_id = r.vec8()?.to_vec();
        if session_id.len() > 32 {
            return Err(Error::DecodeError);
        }
        let cipher_suite = r.u16()?;
        let compression_method = r.u8()?;
        let extensions = parse_extensions(&mut r)?;
        r.finish()?;
        Ok(ServerHello {
            version,
            random,
            session_id,
            cipher_suite,
            compression_method,
            extensions,
        })
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(96);
        put_u16(&mut out, self.version);
        out.extend_from_slice(&self.random);
        put_vec8(&mut out, &self.session_id);
        put_u16(&mut out, self.cipher_suite);
        out.push(self.compression_method);
        write_extensions(&mut out, &self.extensions);
        out
    }
}

/// HelloVerifyRequest: version and cookie.
pub fn parse_hello_verify_request(body: &[u8]) -> Result<Vec<u8>, Error> {
    let mut r = Reader::new(body);
    let _version = r.u16()?;
    let cookie = r.vec8()?.to_vec();
    r.finish()?;
    if cookie.len() > 255 {
        return Err(Error::DecodeError);
    }
    Ok(cookie)
}

pub fn encode_hello_verify_request(cookie: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(3 + cookie.len());
    // RFC 6347 §4.2.1: DTLS 1.2 servers SHOULD send DTLS 1.0 here.
    put_u16(&mut out, crate::dtls::record::DTLS10);
    put_vec8(&mut out, cookie);
    out
}

/// Certificate: a chain of DER certificates, leaf first.
pub fn parse_certificate(body: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
    let mut r = Reader::new(body);
    let mut lr = Reader::new(r.vec24()?);
    r.finish()?;
    let mut out = Vec::new();
    while !lr.is_empty() {
        let c = lr.vec24()?;
        if c.is_empty() || out.len() >= 16 {
            return Err(Error::DecodeError);
        }
        out.push(c.to_vec());
    }
    Ok(out)
}

pub fn encode_certificate(chain: &[Vec<u8>]) -> Vec<u8> {
    let mut list = Vec::new();
    for c in chain {
        put_vec24(&mut list, c);
    }
    let mut out = Vec::with_capacity(3 + list.len());
    put_vec24(&mut out, &list);
    out
}

/// ServerECDHParams: named curve P-256 and the point (RFC 4492 §5.4).
pub fn encode_ecdh_params(out: &mut Vec<u8>, point: &[u8]) {
    out.push(3); // named_curve
    put_u16(out, GROUP_SECP256R1);
    put_vec8(out, point);
}

pub fn parse_ecdh_params<'a>(r: &mut Reader<'a>) -> Result<&'a [u8], Error> {
    let curve_type = r.u8()?;
    let curve = r.u16()?;
    if curve_type != 3 || curve != GROUP_SECP256R1 {
        return Err(Error::HandshakeFailure(
            crate::dtls::error::AlertDescription::IllegalParameter,
        ));
    }
    let point = r.vec8()?;
    if point.is_empty() {
        return Err(Error::DecodeError);
    }
    Ok(point)
}

/// CertificateRequest as we send it: ecdsa_sign, ecdsa_secp256r1_sha256, no CA names.
pub fn encode_certificate_request() -> Vec<u8> {
    let mut out = Vec::new();
    put_vec8(&mut out, &[64]);
    put_vec16(&mut out, &SIG_ECDSA_SECP256R1_SHA256.to_be_bytes());
    put_vec16(&mut out, &[]);
    out
}

/// Checks a CertificateRequest offers what we can answer with (ECDSA P-256 SHA-256).
pub fn parse_certificate_request(body: &[u8]) -> Result<bool, Error> {
    let mut r = Reader::new(body);
    let types = r.vec8()?;
    let algs = r.vec16()?;
    let _cas = r.vec16()?;
    r.finish()?;
    let ecdsa = types.contains(&64);
    let sha256 = algs
        .chunks_exact(2)
        .any(|c| u16::from_be_bytes([c[0], c[1]]) == SIG_ECDSA_SECP256R1_SHA256);
    Ok(ecdsa && sha256)
}

/// digitally-signed struct: algorithm ‖ vec16 signature.
pub fn encode_signed(out: &mut Vec<u8>, sig: &[u8]) {
    put_u16(out, SIG_ECDSA_SECP256R1_SHA256);
    put_vec16(out, sig);
}

pub fn parse_signed<'a>(r: &mut Reader<'a>) -> Result<&'a [u8], Error> {
    let alg = r.u16()?;
    if alg != SIG_ECDSA_SECP256R1_SHA256 {
        return Err(Error::HandshakeFailure(
            crate::dtls::error::AlertDescription::IllegalParameter,
        ));
    }
    r.vec16()
}
