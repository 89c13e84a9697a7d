//! AES-128-CCM and AES-128-CCM_8 records (RFC 6655, RFC 7251).
//!
//! Nonce = fixed IV (4 bytes from the key block) ‖ explicit nonce (8 bytes, sent
//! in the record); the explicit part is the record's epoch ‖ sequence number,
//! which is unique per key.

use aes::Aes128;
use ccm::aead::AeadInOut;
use ccm::consts::{U8, U12, U16};
use ccm::{Ccm, KeyInit};

use super::pseudo_header;

enum Inner {
    Tag8(Box<Ccm<Aes128, U8, U12>>),
    Tag16(Box<Ccm<Aes128, U16, U12>>),
}

pub struct CcmKeys {
    inner: Inner,
    fixed_iv: [u8; 4],
}

impl CcmKeys {
    /// `key` is 16 bytes, `fixed_iv` 4 bytes; `tag_len` 8 or 16.
    pub fn new(key: &[u8], fixed_iv: &[u8], tag_len: usize) -> Self {
        let mut iv = [0u8; 4];
        iv.copy_from_slice(&fixed_iv[..4]);
        let inner = if tag_len == 8 {
            Inner::Tag8(Box::new(
                Ccm::new_from_slice(key).expect("AES-128 key is 16 bytes"),
            ))
        } else {
            Inner::Tag16(Box::new(
                Ccm::new_from_slice(key).expect("AES-128 key is 16 bytes"),
            ))
        };
        CcmKeys {
            inner,
            fixed_iv: iv,
        }
    }

    pub fn tag_len(&self) -> usize {
        match self.inner {
            Inner::Tag8(_) => 8,
            Inner::Tag16(_) => 16,
        }
    }

    fn nonce(&self, explicit: &[u8; 8]) -> [u8; 12] {
        let mut n = [0u8; 12];
        n[..4].copy_from_slice(&self.fixed_iv);
        n[4..].copy_from_slice(explicit);
        n
    }

    pub fn seal(&self, epoch: u16, seq: u64, ctype: u8, plaintext: &[u8]) -> Vec<u8> {
        let mut explicit = [0u8; 8];
        explicit[..2].copy_from_slice(&epoch.to_be_bytes());
        explicit[2..].copy_from_slice(&seq.to_be_bytes()[2..]);
        let nonce = self.nonce(&explicit);
        let aad = pseudo_header(epoch, seq, ctype, plaintext.len());
        let mut out = Vec::with_capacity(8 + plaintext.len() + self.tag_len());
        out.extend_from_slice(&explicit);
        out.extend_from_slice(plaintext);
        let body = &mut out[8..];
        match &self.inner {
            Inner::Tag8(c) => {
                let tag = c
                    .encrypt_inout_detached(&nonce.into(), &aad, body.into())
                    .expect("CCM accepts record-sized input");
                out.extend_from_slice(&tag);
            }
            Inner::Tag16(c) => {
                let tag = c
                    .encrypt_inout_detached(&nonce.into(), &aad, body.into())
                    .expect("CCM accepts record-sized input");
                out.extend_from_slice(&tag);
            }
        }
        out
    }

    pub fn open(&self, epoch: u16, seq: u64, ctype: u8, payload: &[u8]) -> Option<Vec<u8>> {
        let tl = self.tag_len();
        if payload.len() < 8 + tl {
            return None;
        }
        let (explicit, rest) = payload.split_at(8);
        let (ct, tag) = rest.split_at(rest.len() - tl);
        let mut ex = [0u8; 8];
        ex.copy_from_slice(explicit);
        let nonce = self.nonce(&ex);
        let aad = pseudo_header(epoch, seq, ctype, ct.len());
        let mut buf = ct.to_vec();
        let ok = match &self.inner {
            Inner::Tag8(c) => {
                let t = ccm::aead::array::Array::try_from(tag).ok()?;
                c.decrypt_inout_detached(&nonce.into(), &aad, buf.as_mut_slice().into(), &t)
                    .is_ok()
            }
            Inner::Tag16(c) => {
                let t = ccm::aead::array::Array::try_from(tag).ok()?;
                c.decrypt_inout_detached(&nonce.into(), &aad, buf.as_mut_slice().into(), &t)
                    .is_ok()
            }
        };
        ok.then_some(buf)
    }
}
