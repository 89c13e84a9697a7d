//! Owner keys sealed under the key-encryption key (KEK): AES-256-GCM with a
//! random 96-bit nonce, the device UUID as associated data, so a sealed key
//! copied onto another device's record does not open.
//!
//! A sealed key is `version (1) || nonce (12) || ciphertext || tag (16)`.
//! Random nonces are safe here: a KEK seals one key per device owned, far
//! below the 2^32 messages a random 96-bit nonce allows under one key.

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use std::sync::Arc;

use zeroize::Zeroizing;

const VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
/// What the KEK check value seals (see [`check_value`]).
const CHECK_PLAINTEXT: &[u8; 32] = &[0; 32];
const CHECK_AAD: &[u8] = b"ocf-mediator kek check";

/// A key-encryption key: 32 random bytes from the keyring. Wiped when
/// dropped (its AES key schedule, made once, is ring's).
#[derive(Clone)]
pub struct Kek(Zeroizing<[u8; 32]>, Arc<LessSafeKey>);

impl std::fmt::Debug for Kek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Kek(..)")
    }
}

/// A sealed value that does not open: another key, or damaged bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unopenable;

impl Kek {
    /// A fresh key from the OS's random source.
    pub fn generate() -> Result<Kek, getrandom::Error> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        getrandom::fill(&mut bytes[..])?;
        Ok(Kek::with(bytes))
    }

    /// The key as the keyring holds it; `None` when it is not 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Option<Kek> {
        let bytes: [u8; 32] = bytes.try_into().ok()?;
        Some(Kek::with(Zeroizing::new(bytes)))
    }

    fn with(bytes: Zeroizing<[u8; 32]>) -> Kek {
        let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &bytes[..]).expect("32-byte key"));
        Kek(bytes, Arc::new(key))
    }

    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    fn key(&self) -> &LessSafeKey {
        &self.1
    }

    /// Seals `secret` bound to `aad`.
    pub fn seal(&self, secret: &[u8], aad: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).expect("the OS random source");
        let mut out = Vec::with_capacity(1 + NONCE_LEN + secret.len() + 16);
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        let mut body = Zeroizing::new(secret.to_vec());
        let tag = self
            .key()
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut body,
            )
            .expect("AES-GCM seals any length used here");
        out.extend_from_slice(&body);
        out.extend_from_slice(tag.as_ref());
        out
    }

    /// Opens what [`Kek::seal`] sealed with the same `aad`.
    pub fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, Unopenable> {
        if sealed.len() < 1 + NONCE_LEN + 16 || sealed[0] != VERSION {
            return Err(Unopenable);
        }
        let nonce: [u8; NONCE_LEN] = sealed[1..1 + NONCE_LEN].try_into().unwrap();
        let mut body = Zeroizing::new(sealed[1 + NONCE_LEN..].to_vec());
        let len = self
            .key()
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut body,
            )
            .map_err(|_| Unopenable)?
            .len();
        body.truncate(len);
        Ok(body)
    }

    /// Whether `sealed` opens with `aad`, decrypting it in place (and
    /// wiping the plaintext): for listings, which need no copy of the key.
    pub fn verify_in_place(&self, sealed: &mut [u8], aad: &[u8]) -> bool {
        if sealed.len() < 1 + NONCE_LEN + 16 || sealed[0] != VERSION {
            return false;
        }
        let (head, body) = sealed.split_at_mut(1 + NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = head[1..].try_into().unwrap();
        let opened = self
            .key()
            .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(aad), body)
            .is_ok();
        zeroize::Zeroize::zeroize(body);
        opened
    }

    /// The value stored beside sealed keys that tells this KEK from another:
    /// a seal of a fixed plaintext. It reveals nothing of the KEK, and a
    /// KEK that opens it is the one the keys were sealed with.
    pub fn check_value(&self) -> Vec<u8> {
        self.seal(CHECK_PLAINTEXT, CHECK_AAD)
    }

    /// Whether `check` is this KEK's check value.
    pub fn matches(&self, check: &[u8]) -> bool {
        self.open(check, CHECK_AAD)
            .is_ok_and(|p| p.as_slice() == CHECK_PLAINTEXT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_key_opens_only_with_its_kek_and_its_device() {
        let kek = Kek::generate().unwrap();
        let sealed = kek.seal(b"owner psk", b"device-a");
        assert_eq!(
            kek.open(&sealed, b"device-a").unwrap().as_slice(),
            b"owner psk"
        );
        assert_eq!(kek.open(&sealed, b"device-b"), Err(Unopenable));
        let other = Kek::generate().unwrap();
        assert_eq!(other.open(&sealed, b"device-a"), Err(Unopenable));
        let mut damaged = sealed.clone();
        *damaged.last_mut().unwrap() ^= 1;
        assert_eq!(kek.open(&damaged, b"device-a"), Err(Unopenable));
        assert_eq!(kek.open(&sealed[..10], b"device-a"), Err(Unopenable));
        assert!(kek.verify_in_place(&mut sealed.clone(), b"device-a"));
        assert!(!kek.verify_in_place(&mut sealed.clone(), b"device-b"));
        assert!(!kek.verify_in_place(&mut damaged.clone(), b"device-a"));
    }

    #[test]
    fn the_check_value_tells_the_right_kek_from_another() {
        let kek = Kek::generate().unwrap();
        let check = kek.check_value();
        assert!(kek.matches(&check));
        assert!(!Kek::generate().unwrap().matches(&check));
        assert_ne!(check, kek.check_value(), "a fresh nonce each time");
    }
}
