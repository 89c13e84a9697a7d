//! The handshake's P-256 arithmetic through ring (BoringSSL's assembly
//! field and scalar code, with its fixed-base table compiled in): ECDHE key
//! pairs and agreement, and ECDSA-SHA256 signing and verification.
//!
//! Why ring and not RustCrypto's p256 (which the rest of the crate keeps for
//! PKCS#8/SEC1 conversions, CSRs and JWTs): a handshake does two to four
//! scalar multiplications per side, and they were most of its CPU (0xC037
//! took 1.5 times OpenSSL's time, 0xC0AE 1.3 times). ring is already linked
//! for rustls, so this adds no crate.
//!
//! # Where the randomness comes from
//! ring's `SecureRandom` is sealed: it takes no randomness but its own
//! `SystemRandom` (the OS's). So the ephemeral ECDHE scalars and the ECDSA
//! nonces come from the OS, not from the connection's [`DtlsRng`]. Every
//! other random byte (client and server randoms, CBC IVs, the cookie
//! secret) still comes from the injected RNG, so a seeded test still replays
//! its randoms and record layouts; what changes between runs is only the
//! ECDHE points, the signatures and the keys derived from them, and no test
//! asserts on those (the known answers check the key schedule from recorded
//! secrets and the key exchanges' layouts; the simulated-time tests seed the
//! network's fate, not the keys). We did not keep p256 behind a trait for a
//! fixed test key: no test needs one, and tests would then run a curve
//! implementation that production does not.
//!
//! ring's ECDSA nonce is hedged (the OS's randomness mixed with the key and
//! the message), as BoringSSL's is.
//!
//! [`DtlsRng`]: super::DtlsRng

use std::sync::Arc;

use ring::agreement::{self, ECDH_P256, EphemeralPrivateKey, UnparsedPublicKey};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1, ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair};

use super::error::{AlertDescription, Error};

/// Without OS randomness no key can be made safely: stop rather than
/// handshake with a predictable scalar or nonce (as `net::secure::OsRandom`).
const NO_OS_RANDOMNESS: &str = "the operating system's random source failed";

/// A P-256 key pair for one ECDHE key exchange, made ahead of time.
///
/// Making a pair is one fixed-base multiplication. A peer that hands one to
/// [`Connection::use_ephemeral_key`](super::Connection::use_ephemeral_key)
/// keeps this work off the handshake: it can make the pair on a spare thread
/// while it waits for the network. ring consumes the private key in the
/// agreement, so a pair serves one key exchange only.
pub struct EphemeralKey {
    private: EphemeralPrivateKey,
    /// The public point, uncompressed, as it goes on the wire.
    public: agreement::PublicKey,
}

impl EphemeralKey {
    /// A fresh pair; its scalar comes from the OS (see the module notes).
    pub fn generate() -> EphemeralKey {
        let private = EphemeralPrivateKey::generate(&ECDH_P256, &SystemRandom::new())
            .expect(NO_OS_RANDOMNESS);
        let public = private
            .compute_public_key()
            .expect("a generated P-256 scalar has a public point");
        EphemeralKey { private, public }
    }

    /// The public point, uncompressed (65 bytes).
    pub fn public(&self) -> &[u8] {
        self.public.as_ref()
    }

    /// ECDH with the peer's uncompressed point, consuming the key. A point
    /// that is not uncompressed, not on the curve or the identity fails the
    /// handshake with illegal_parameter.
    pub(crate) fn agree(self, peer_point: &[u8]) -> Result<Vec<u8>, Error> {
        let illegal = Error::HandshakeFailure(AlertDescription::IllegalParameter);
        // ring takes only the uncompressed form too; checked here so the
        // alert does not depend on it.
        if peer_point.len() != 65 || peer_point[0] != 4 {
            return Err(illegal);
        }
        agreement::agree_ephemeral(
            self.private,
            &UnparsedPublicKey::new(&ECDH_P256, peer_point),
            |z| z.to_vec(),
        )
        .map_err(|_| illegal)
    }
}

impl std::fmt::Debug for EphemeralKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret scalar.
        f.debug_struct("EphemeralKey")
            .field("public", &self.public())
            .finish_non_exhaustive()
    }
}

/// Whether `signature` (DER, as TLS and X.509 carry it) is an
/// ECDSA-P256-SHA256 signature of `message` by `public_key` (an uncompressed
/// point, as OCF certificates carry it: ring takes no compressed point).
pub(crate) fn verify_sha256(public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    ring::signature::UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, public_key)
        .verify(message, signature)
        .is_ok()
}

/// A certificate's P-256 private key, made into ring's key pair once, when
/// the configuration is built (ring checks that the public point matches
/// the scalar, one multiplication), and shared by every handshake.
#[derive(Clone)]
pub(crate) struct SigningKey(Arc<EcdsaKeyPair>);

impl SigningKey {
    /// From RustCrypto's parsed key: ring's own PKCS#8 reader insists on the
    /// optional public key inside ECPrivateKey, which OpenSSL writes but not
    /// every tool does, so the scalar and point go over as bytes.
    pub(crate) fn new(key: &::p256::SecretKey) -> Result<SigningKey, Error> {
        // Uncompressed, as ring wants it.
        let public = key.public_key().to_sec1_bytes();
        EcdsaKeyPair::from_private_key_and_public_key(
            &ECDSA_P256_SHA256_ASN1_SIGNING,
            key.to_bytes().as_slice(),
            &public,
            &SystemRandom::new(),
        )
        .map(|pair| SigningKey(Arc::new(pair)))
        .map_err(|e| {
            Error::Config(format!(
                "the private key is not usable for ECDSA P-256: {e}"
            ))
        })
    }

    /// An ECDSA-P256-SHA256 signature of `message`, DER-encoded; the nonce
    /// comes from the OS (see the module notes).
    pub(crate) fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.0
            .sign(&SystemRandom::new(), message)
            .expect(NO_OS_RANDOMNESS)
            .as_ref()
            .to_vec()
    }
}

#[cfg(test)]
mod tests {
    use ::p256::ecdsa::signature::{Signer, Verifier};
    use ::p256::ecdsa::{DerSignature, Signature, SigningKey as RustCryptoKey, VerifyingKey};

    use super::*;

    fn rustcrypto_key() -> ::p256::SecretKey {
        ::p256::SecretKey::from_slice(&[0x5a; 32]).unwrap()
    }

    #[test]
    fn verifies_what_another_implementation_signed_and_nothing_else() {
        let key = rustcrypto_key();
        let public = key.public_key().to_sec1_bytes();
        let sig: DerSignature = RustCryptoKey::from(&key).sign(b"server key exchange");
        assert!(verify_sha256(
            &public,
            b"server key exchange",
            sig.as_bytes()
        ));
        assert!(!verify_sha256(
            &public,
            b"server key exchangE",
            sig.as_bytes()
        ));
        let mut bad = sig.as_bytes().to_vec();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(!verify_sha256(&public, b"server key exchange", &bad));
        // Another key's point.
        let other = ::p256::SecretKey::from_slice(&[0x5b; 32]).unwrap();
        let other = other.public_key().to_sec1_bytes();
        assert!(!verify_sha256(
            &other,
            b"server key exchange",
            sig.as_bytes()
        ));
    }

    #[test]
    fn ecdh_agrees_with_another_implementation_and_refuses_bad_points() {
        let theirs = rustcrypto_key();
        let ours = EphemeralKey::generate();
        let our_point = ::p256::PublicKey::from_sec1_bytes(ours.public()).unwrap();
        let expected =
            ::p256::ecdh::diffie_hellman(theirs.to_nonzero_scalar(), our_point.as_affine());
        let z = ours.agree(&theirs.public_key().to_sec1_bytes()).unwrap();
        assert_eq!(z, expected.raw_secret_bytes().as_slice());

        let illegal = Error::HandshakeFailure(AlertDescription::IllegalParameter);
        let mut off_curve = theirs.public_key().to_sec1_bytes().to_vec();
        off_curve[64] ^= 1;
        assert_eq!(
            EphemeralKey::generate().agree(&off_curve),
            Err(illegal.clone())
        );
        // The compressed form of a valid point: 02/03 by the parity of y, then x.
        let point = theirs.public_key().to_sec1_bytes();
        let mut compressed = vec![2 + (point[64] & 1)];
        compressed.extend_from_slice(&point[1..33]);
        assert_eq!(EphemeralKey::generate().agree(&compressed), Err(illegal));
    }

    #[test]
    fn signs_what_another_implementation_verifies_with_fresh_nonces() {
        let key = rustcrypto_key();
        let signer = SigningKey::new(&key).unwrap();
        let a = signer.sign(b"certificate verify");
        let b = signer.sign(b"certificate verify");
        assert_ne!(a, b, "a nonce per signature");
        let vk = VerifyingKey::from(&RustCryptoKey::from(&key));
        for der in [a, b] {
            let sig = Signature::from_der(&der).unwrap();
            vk.verify(b"certificate verify", &sig).unwrap();
            assert!(vk.verify(b"certificate verifY", &sig).is_err());
        }
    }
}
