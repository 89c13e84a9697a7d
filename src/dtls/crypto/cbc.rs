//! AES-128-CBC records, MAC-then-encrypt (RFC 5246 §6.2.3.2), as real OCF
//! devices use them (encrypt-then-MAC is off on them).
//!
//! Decryption is written against padding-oracle and Lucky-13 timing attacks:
//! the padding is checked without branches on its value, the MAC is always
//! computed, and a dummy HMAC absorbs the bytes the real MAC did not cover so
//! that the amount of data hashed does not depend on the padding; the received
//! MAC is extracted from a window that does not depend on the padding and
//! compared with `subtle`.

use aes::Aes128;
use aes::cipher::{BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Sha256;
use subtle::{Choice, ConstantTimeEq};

use super::pseudo_header;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacAlg {
    Sha256,
    Sha1,
}

#[derive(Clone)]
enum AnyHmac {
    Sha256(Hmac<Sha256>),
    Sha1(Hmac<Sha1>),
}

impl AnyHmac {
    fn new(alg: MacAlg, key: &[u8]) -> Self {
        match alg {
            MacAlg::Sha256 => AnyHmac::Sha256(
                <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("any key length"),
            ),
            MacAlg::Sha1 => {
                AnyHmac::Sha1(<Hmac<Sha1> as KeyInit>::new_from_slice(key).expect("any key length"))
            }
        }
    }
    fn update(&mut self, d: &[u8]) {
        match self {
            AnyHmac::Sha256(m) => m.update(d),
            AnyHmac::Sha1(m) => m.update(d),
        }
    }
    fn finalize(self) -> Vec<u8> {
        match self {
            AnyHmac::Sha256(m) => m.finalize().into_bytes().to_vec(),
            AnyHmac::Sha1(m) => m.finalize().into_bytes().to_vec(),
        }
    }
}

pub struct CbcKeys {
    alg: MacAlg,
    /// HMAC with the MAC key's pads already hashed: each record's MAC (and
    /// the dummy one) starts from a copy, two compressions fewer per record.
    keyed_mac: AnyHmac,
    aes: Aes128,
}

impl CbcKeys {
    pub fn new(alg: MacAlg, mac_key: &[u8], key: &[u8]) -> Self {
        CbcKeys {
            alg,
            keyed_mac: AnyHmac::new(alg, mac_key),
            aes: Aes128::new_from_slice(key).expect("AES-128 key is 16 bytes"),
        }
    }

    pub fn mac_len(&self) -> usize {
        match self.alg {
            MacAlg::Sha256 => 32,
            MacAlg::Sha1 => 20,
        }
    }

    fn mac(&self, epoch: u16, seq: u64, ctype: u8, data: &[u8]) -> Vec<u8> {
        let mut m = self.keyed_mac.clone();
        m.update(&pseudo_header(epoch, seq, ctype, data.len()));
        m.update(data);
        m.finalize()
    }

    /// IV ‖ AES-CBC(plaintext ‖ MAC ‖ padding ‖ padding_length).
    pub fn seal(&self, epoch: u16, seq: u64, ctype: u8, plaintext: &[u8], iv: [u8; 16]) -> Vec<u8> {
        let mac = self.mac(epoch, seq, ctype, plaintext);
        let mut buf = Vec::with_capacity(16 + plaintext.len() + mac.len() + 16);
        buf.extend_from_slice(&iv);
        buf.extend_from_slice(plaintext);
        buf.extend_from_slice(&mac);
        let pad = 15 - ((plaintext.len() + mac.len()) % 16);
        buf.extend(std::iter::repeat_n(pad as u8, pad + 1));
        let mut prev = iv;
        for chunk in buf[16..].chunks_exact_mut(16) {
            for (c, p) in chunk.iter_mut().zip(prev.iter()) {
                *c ^= p;
            }
            let block: &mut [u8; 16] = chunk.try_into().expect("16-byte chunk");
            self.aes.encrypt_block(block.into());
            prev = *block;
        }
        buf
    }

    pub fn open(&self, epoch: u16, seq: u64, ctype: u8, payload: &[u8]) -> Option<Vec<u8>> {
        let mac_len = self.mac_len();
        // Public checks on the record length only (not secret).
        if payload.len() < 32 || payload.len() % 16 != 0 || payload.len() - 16 < mac_len + 1 {
            return None;
        }
        let mut buf = payload[16..].to_vec();
        let mut prev: [u8; 16] = payload[..16].try_into().ok()?;
        for chunk in buf.chunks_exact_mut(16) {
            let block: &mut [u8; 16] = chunk.try_into().ok()?;
            let saved = *block;
            self.aes.decrypt_block(block.into());
            for (c, p) in block.iter_mut().zip(prev.iter()) {
                *c ^= p;
            }
            prev = saved;
        }
        let n = buf.len();
        let pad = buf[n - 1] as u32;
        // All lengths below are < 2^17, so the masks of `ct` are exact.
        // good: pad + 1 + mac_len <= n
        let mut good = !ct::lt(n as u32, pad + 1 + mac_len as u32);
        // Check every padding byte within the last 256 bytes, whatever `pad` is.
        let scan = n.min(256);
        for i in 1..=scan {
            let b = buf[n - i] as u32;
            let in_pad = ct::lt(i as u32, pad + 2); // i <= pad + 1
            good &= !in_pad | ct::eq(b, pad);
        }
        // With bad padding, proceed as if there were none (RFC 5246 §6.2.3.2).
        let pad_eff = (pad & good) as usize;
        let content_len = n - pad_eff - 1 - mac_len;
        let max_content = n - 1 - mac_len;

        let mut m = self.keyed_mac.clone();
        m.update(&pseudo_header(epoch, seq, ctype, content_len));
        m.update(&buf[..content_len]);
        let expected = m.finalize();
        // Hash the bytes the real MAC skipped, so the work is independent of the padding.
        let mut dummy = self.keyed_mac.clone();
        dummy.update(&buf[content_len..max_content]);
        let _ = dummy.finalize();

        // Extract the received MAC from a window independent of the padding: the MAC
        // starts somewhere in [max_content - 255, max_content]; collect it rotated,
        // then rotate back by the secret offset one bit at a time (no secret-dependent
        // indexing or branching).
        let window_start = max_content.saturating_sub(255);
        let mut rotated = [0u8; 32];
        let mut j = 0usize;
        let (lo, hi) = (content_len as u32, (content_len + mac_len) as u32);
        for (i, &b) in buf
            .iter()
            .enumerate()
            .take(max_content + mac_len)
            .skip(window_start)
        {
            let in_mac = !ct::lt(i as u32, lo) & ct::lt(i as u32, hi);
            rotated[j] |= b & in_mac as u8;
            j += 1;
            if j == mac_len {
                j = 0;
            }
        }
        let offset = ((content_len - window_start) % mac_len) as u32;
        let mut shift = 1usize;
        let mut tmp = [0u8; 32];
        while shift < mac_len {
            let take = ct::eq(offset & shift as u32, shift as u32) as u8;
            for (k, t) in tmp.iter_mut().enumerate().take(mac_len) {
                let src = rotated[(k + shift) % mac_len];
                *t = (src & take) | (rotated[k] & !take);
            }
            rotated[..mac_len].copy_from_slice(&tmp[..mac_len]);
            shift <<= 1;
        }
        let mac_ok = expected.ct_eq(&rotated[..mac_len]);
        if bool::from(mac_ok & Choice::from((good & 1) as u8)) {
            buf.truncate(content_len);
            Some(buf)
        } else {
            None
        }
    }
}

/// Branch-free comparisons returning all-ones or zero masks (inputs < 2^31).
mod ct {
    #[inline]
    pub fn lt(a: u32, b: u32) -> u32 {
        (a.wrapping_sub(b) >> 31).wrapping_neg()
    }
    #[inline]
    pub fn eq(a: u32, b: u32) -> u32 {
        ((a ^ b).wrapping_sub(1) >> 31).wrapping_neg()
    }
}
