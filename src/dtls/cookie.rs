//! The stateless cookie stage of a DTLS server (RFC 6347 §4.2.1).
//!
//! A [`CookieGuard`] answers a ClientHello without a valid cookie with a
//! HelloVerifyRequest, allocating nothing per client; only a ClientHello that
//! echoes a cookie bound to the client's address is handed on, as a
//! [`VerifiedHello`], to [`crate::dtls::Connection::server_from_hello`].
//! The cookie is HMAC-SHA256(secret, address ‖ ClientHello fields except the cookie).
//! Rotate the secret (make a new guard) to expire outstanding cookies.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use super::codec::Reader;
use super::handshake::messages::{
    CLIENT_HELLO, ClientHello, HELLO_VERIFY_REQUEST, HandshakeHeader, encode_hello_verify_request,
    full_message,
};
use super::record::{CT_HANDSHAKE, parse_datagram, write_record};

/// A ClientHello whose cookie verified; input to `Connection::server_from_hello`.
#[derive(Debug, Clone)]
pub struct VerifiedHello {
    pub(crate) hello: ClientHello,
    pub(crate) body: Vec<u8>,
    pub(crate) message_seq: u16,
    pub(crate) record_seq: u64,
}

/// What to do with a datagram from an address without a connection.
#[derive(Debug, Clone)]
pub enum HelloVerdict {
    /// Send this datagram (a HelloVerifyRequest) back; keep no state.
    SendHelloVerifyRequest(Vec<u8>),
    /// The cookie is valid: create a connection with `Connection::server_from_hello`.
    Accept(VerifiedHello),
    /// Not a ClientHello (or malformed): ignore it.
    Drop,
}

/// Stateless HelloVerifyRequest responder.
#[derive(Clone)]
pub struct CookieGuard {
    secret: [u8; 32],
}

impl CookieGuard {
    /// `secret` must be random (e.g. from the OS RNG) and kept private.
    pub fn new(secret: [u8; 32]) -> Self {
        CookieGuard { secret }
    }

    fn cookie(&self, peer: &[u8], ch: &ClientHello) -> [u8; 32] {
        let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.secret).expect("any key");
        m.update(&(peer.len() as u32).to_be_bytes());
        m.update(peer);
        let mut copy = ch.clone();
        copy.cookie.clear();
        m.update(&copy.encode());
        m.finalize().into_bytes().into()
    }

    /// Examines the first record of `datagram` from the client at `peer` (any stable
    /// encoding of its address, e.g. `SocketAddr::to_string().as_bytes()`).
    /// Only an unfragmented ClientHello in epoch 0 is considered.
    pub fn check(&self, peer: &[u8], datagram: &[u8]) -> HelloVerdict {
        let recs = parse_datagram(datagram);
        let Some(rec) = recs.first() else {
            return HelloVerdict::Drop;
        };
        if rec.content_type != CT_HANDSHAKE || rec.epoch != 0 {
            return HelloVerdict::Drop;
        }
        let mut r = Reader::new(rec.payload);
        let Ok((h, frag)) = HandshakeHeader::parse(&mut r) else {
            return HelloVerdict::Drop;
        };
        if h.msg_type != CLIENT_HELLO || h.fragment_offset != 0 || h.fragment_length != h.length {
            return HelloVerdict::Drop;
        }
        let Ok(ch) = ClientHello::parse(frag) else {
            return HelloVerdict::Drop;
        };
        let expected = self.cookie(peer, &ch);
        if !ch.cookie.is_empty() && bool::from(ch.cookie.as_slice().ct_eq(&expected)) {
            return HelloVerdict::Accept(VerifiedHello {
                hello: ch,
                body: frag.to_vec(),
                message_seq: h.message_seq,
                record_seq: rec.seq,
            });
        }
        // HelloVerifyRequest: message_seq 0 and the ClientHello's record sequence number.
        let body = encode_hello_verify_request(&expected);
        let msg = full_message(HELLO_VERIFY_REQUEST, 0, &body);
        let mut out = Vec::with_capacity(13 + msg.len());
        write_record(&mut out, CT_HANDSHAKE, 0, rec.seq, &msg);
        HelloVerdict::SendHelloVerifyRequest(out)
    }
}
