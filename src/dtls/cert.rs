//! Certificate chain verification (rustls-webpki) and ECDSA P-256 signatures
//! (RustCrypto p256), so no second crypto library is linked.

use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{DerSignature, Signature, SigningKey, VerifyingKey};
use rustls_pki_types::{
    AlgorithmIdentifier, CertificateDer, InvalidSignature, SignatureVerificationAlgorithm,
    UnixTime, alg_id,
};
use webpki::{EndEntityCert, KeyUsage};

use super::error::Error;

/// ecdsa-with-SHA256 over P-256, implemented with the p256 crate for webpki.
#[derive(Debug)]
struct EcdsaP256Sha256;

impl SignatureVerificationAlgorithm for EcdsaP256Sha256 {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        verify_p256(public_key, message, signature).map_err(|_| InvalidSignature)
    }
    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::ECDSA_P256
    }
    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        alg_id::ECDSA_SHA256
    }
}

static ALGS: &[&dyn SignatureVerificationAlgorithm] = &[&EcdsaP256Sha256];

/// id-kp-serverAuth and id-kp-clientAuth, DER content octets.
const EKU_SERVER_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01];
const EKU_CLIENT_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02];

fn verify_p256(public_key: &[u8], message: &[u8], signature: &[u8]) -> Result<(), ()> {
    let vk = VerifyingKey::from_sec1_bytes(public_key).map_err(|_| ())?;
    let sig = Signature::from_der(signature).map_err(|_| ())?;
    vk.verify(message, &sig).map_err(|_| ())
}

pub fn sign_p256(key: &p256::SecretKey, message: &[u8]) -> Vec<u8> {
    let sk = SigningKey::from(key);
    let sig: DerSignature = sk.sign(message);
    sig.as_bytes().to_vec()
}

/// Which side's certificate is checked (decides the EKU we ask for).
#[derive(Clone, Copy)]
pub enum PeerRole {
    Server,
    Client,
}

/// Verifies `chain` (leaf first) against `anchors` at `unix_time`. Extended key
/// usage is checked with `required_if_present`: webpki applies the EKU to every
/// certificate of the path, and OCF intermediates often carry none.
pub fn verify_chain(
    chain: &[Vec<u8>],
    anchors: &[Vec<u8>],
    unix_time: u64,
    role: PeerRole,
) -> Result<(), Error> {
    let invalid = |reason: String| Error::CertificateInvalid { reason };
    let leaf = chain
        .first()
        .ok_or_else(|| invalid("empty certificate chain".into()))?;
    let leaf_der = CertificateDer::from(leaf.as_slice());
    let ee = EndEntityCert::try_from(&leaf_der).map_err(|e| invalid(format!("leaf: {e}")))?;
    let anchor_ders: Vec<CertificateDer<'_>> = anchors
        .iter()
        .map(|a| CertificateDer::from(a.as_slice()))
        .collect();
    let tas = anchor_ders
        .iter()
        .map(|a| webpki::anchor_from_trusted_cert(a).map_err(|e| invalid(format!("anchor: {e}"))))
        .collect::<Result<Vec<_>, _>>()?;
    if tas.is_empty() {
        return Err(invalid("no trust anchors configured".into()));
    }
    let inter: Vec<CertificateDer<'_>> = chain[1..]
        .iter()
        .map(|c| CertificateDer::from(c.as_slice()))
        .collect();
    let usage = match role {
        PeerRole::Server => KeyUsage::required_if_present(EKU_SERVER_AUTH),
        PeerRole::Client => KeyUsage::required_if_present(EKU_CLIENT_AUTH),
    };
    ee.verify_for_usage(
        ALGS,
        &tas,
        &inter,
        UnixTime::since_unix_epoch(std::time::Duration::from_secs(unix_time)),
        usage,
        None,
        None,
    )
    .map_err(|e| invalid(format!("{e}")))?;
    Ok(())
}

/// Verifies an ECDSA-P256-SHA256 signature by the leaf certificate's key.
pub fn verify_leaf_signature(leaf: &[u8], message: &[u8], signature: &[u8]) -> Result<(), Error> {
    let der = CertificateDer::from(leaf);
    let ee = EndEntityCert::try_from(&der).map_err(|e| Error::CertificateInvalid {
        reason: format!("leaf: {e}"),
    })?;
    ee.verify_signature(&EcdsaP256Sha256, message, signature)
        .map_err(|_| Error::HandshakeFailure(super::error::AlertDescription::DecryptError))
}
