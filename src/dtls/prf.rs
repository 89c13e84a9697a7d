//! The TLS 1.2 PRF (RFC 5246 §5) with SHA-256, public because OCF derives the
//! owner PSK with it (FACTS.md §2.2).

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// `PRF(secret, label, seed)` = P_SHA256(secret, label ‖ seed), truncated to `len` bytes.
pub fn prf_sha256(secret: &[u8], label: &[u8], seed: &[u8], len: usize) -> Vec<u8> {
    // The key's inner and outer pads are hashed once, here, and each HMAC
    // below starts from a copy of that state: two compressions fewer per
    // HMAC, of the four or five a short one costs (the handshake's PRF
    // calls make about thirty HMACs).
    // HMAC accepts keys of any length, so new_from_slice cannot fail.
    let keyed = <HmacSha256 as KeyInit>::new_from_slice(secret).expect("HMAC takes any key length");
    let hmac = |parts: &[&[u8]]| -> [u8; 32] {
        let mut m = keyed.clone();
        for p in parts {
            m.update(p);
        }
        m.finalize().into_bytes().into()
    };
    let mut out = Vec::with_capacity(len + 32);
    // A(1) = HMAC(secret, label ‖ seed); A(i) = HMAC(secret, A(i-1)).
    let mut a = hmac(&[label, seed]);
    while out.len() < len {
        out.extend_from_slice(&hmac(&[&a, label, seed]));
        a = hmac(&[&a]);
    }
    out.truncate(len);
    out
}

/// Fills `out` with PRF output (for fixed-size keys).
pub(crate) fn prf_into(secret: &[u8], label: &[u8], seed: &[u8], out: &mut [u8]) {
    let v = prf_sha256(secret, label, seed, out.len());
    out.copy_from_slice(&v);
}
