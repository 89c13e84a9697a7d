//! DTLS credentials for a device that is not ours (`coaps://` with a given
//! PSK or certificates), and the PEM they come in.

use std::fmt;
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use uuid::Uuid;

use crate::dtls::{CertifiedKey, CipherSuite, ClientConfig};

/// Credentials the caller brings for a DTLS session.
pub enum Credentials {
    /// A pre-shared key and its identity.
    Psk { identity: Vec<u8>, key: Vec<u8> },
    /// Trust anchors (DER) for the device's chain, and optionally our own
    /// certificate for mutual authentication.
    Certificates {
        trust_anchors: Vec<Vec<u8>>,
        own: Option<CertifiedKey>,
    },
}

impl fmt::Debug for Credentials {
    // Never print a key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Psk { .. } => f.write_str("Credentials::Psk(..)"),
            Credentials::Certificates { trust_anchors, own } => f
                .debug_struct("Credentials::Certificates")
                .field("trust_anchors", &trust_anchors.len())
                .field("own", &own.is_some())
                .finish(),
        }
    }
}

impl Credentials {
    /// The client configuration: PSK sessions offer 0xC037 then 0xC0A8;
    /// certificate sessions 0xC0AE then 0xC0AC, on P-256.
    pub fn client_config(&self) -> Arc<ClientConfig> {
        match self {
            Credentials::Psk { identity, key } => Arc::new(
                ClientConfig::new(&[
                    CipherSuite::EcdhePskWithAes128CbcSha256,
                    CipherSuite::PskWithAes128Ccm8,
                ])
                .with_psk(identity, key),
            ),
            Credentials::Certificates { trust_anchors, own } => {
                let mut config = ClientConfig::new(&[
                    CipherSuite::EcdheEcdsaWithAes128Ccm8,
                    CipherSuite::EcdheEcdsaWithAes128Ccm,
                ]);
                config.common.trust_anchors = trust_anchors.clone();
                config.common.certificate = own.clone();
                Arc::new(config)
            }
        }
    }
}

/// Why PEM text could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PemError {
    /// The text holds no certificate.
    NoCertificate,
    /// The text holds no private key.
    NoKey,
    /// The key is not a P-256 EC key.
    NotP256,
    /// The PEM is malformed.
    Malformed(String),
}

impl fmt::Display for PemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PemError::NoCertificate => f.write_str("no PEM certificate in it"),
            PemError::NoKey => f.write_str("no PEM private key in it"),
            PemError::NotP256 => f.write_str("only P-256 EC keys are supported"),
            PemError::Malformed(detail) => write!(f, "malformed PEM: {detail}"),
        }
    }
}

impl std::error::Error for PemError {}

/// The certificates (DER) in PEM text, in order.
pub fn certificates_from_pem(pem: &[u8]) -> Result<Vec<Vec<u8>>, PemError> {
    let certs: Vec<Vec<u8>> = CertificateDer::pem_slice_iter(pem)
        .map(|c| c.map(|c| c.as_ref().to_vec()))
        .collect::<Result<_, _>>()
        .map_err(|e| PemError::Malformed(e.to_string()))?;
    if certs.is_empty() {
        return Err(PemError::NoCertificate);
    }
    Ok(certs)
}

/// A P-256 private key as PKCS#8 DER, from PKCS#8 or SEC1 PEM text.
pub fn private_key_from_pem(pem: &[u8]) -> Result<Vec<u8>, PemError> {
    use p256::pkcs8::EncodePrivateKey;
    let key = PrivateKeyDer::from_pem_slice(pem).map_err(|e| match e {
        rustls_pki_types::pem::Error::NoItemsFound => PemError::NoKey,
        other => PemError::Malformed(other.to_string()),
    })?;
    match key {
        PrivateKeyDer::Pkcs8(der) => Ok(der.secret_pkcs8_der().to_vec()),
        PrivateKeyDer::Sec1(der) => p256::SecretKey::from_sec1_der(der.secret_sec1_der())
            .ok()
            .and_then(|k| k.to_pkcs8_der().ok())
            .map(|doc| doc.as_bytes().to_vec())
            .ok_or(PemError::NotP256),
        _ => Err(PemError::NotP256),
    }
}

/// A PSK identity as typed: `uuid:<UUID>` is the UUID's 16 raw bytes (as OCF
/// devices expect); anything else is its UTF-8 text.
pub fn psk_identity(text: &str) -> Result<Vec<u8>, String> {
    match text.strip_prefix("uuid:") {
        Some(uuid) => Uuid::parse_str(uuid)
            .map(|u| u.as_bytes().to_vec())
            .map_err(|e| format!("{text:?} is not a UUID after uuid: ({e})")),
        None if text.is_empty() => Err("the PSK identity is empty".into()),
        None => Ok(text.as_bytes().to_vec()),
    }
}

/// A pre-shared key written as hex (whitespace ignored), 1 to 64 bytes.
pub fn psk_from_hex(text: &str) -> Result<Vec<u8>, String> {
    let hex: String = text.split_whitespace().collect();
    let bad = || "the key must be hex digits, 2 to 128 of them (1 to 64 bytes)".to_owned();
    if hex.is_empty() || hex.len() % 2 != 0 || hex.len() > 128 {
        return Err(bad());
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| bad()))
        .collect()
}
