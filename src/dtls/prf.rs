//! The TLS 1.2 PRF (RFC 5246 §5) with SHA-256, public because OCF derives the
//! owner PSK with it (FACTS.md §2.2).

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC accepts keys of any length, so new_from_slice cannot fail.
    let mut m = <HmacSha256 as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

/// `PRF(secret, label, seed)` = P_SHA256(secret, label ‖ seed), truncated to `len` bytes.
pub fn prf_sha256(secret: &[u8], label: &[u8], seed: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 32);
    // A(1) = HMAC(secret, label ‖ seed); A(i) = HMAC(secret, A(i-1)).
    let mut a = hmac(secret, &[label, seed]);
    while out.len() < len {
        out.extend_from_slice(&hmac(secret, &[&a, label, seed]));
        a = hmac(secret, &[&a]);
    }
    out.truncate(len);
    out
}

/// Fills `out` with PRF output (for fixed-size keys).
pub(crate) fn prf_into(secret: &[u8], label: &[u8], seed: &[u8], out: &mut [u8]) {
    let v = prf_sha256(secret, label, seed, out.len());
    out.copy_from_slice(&v);
}
