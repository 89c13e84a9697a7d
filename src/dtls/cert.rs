//! Certificate chain verification (rustls-webpki) with ECDSA P-256
//! signatures checked by ring (see `super::ecc`).

use rustls_pki_types::{
    AlgorithmIdentifier, CertificateDer, InvalidSignature, SignatureVerificationAlgorithm,
    UnixTime, alg_id,
};
use webpki::{EndEntityCert, ExtendedKeyUsageValidator, KeyPurposeId, KeyPurposeIdIter};

use super::error::Error;

/// ecdsa-with-SHA256 over P-256 for webpki, through ring. (webpki's own
/// `ring` feature has the same algorithm; ours keeps the engine to P-256
/// with SHA-256, the one pair OCF uses, whatever else webpki offers.)
#[derive(Debug)]
struct EcdsaP256Sha256;

impl SignatureVerificationAlgorithm for EcdsaP256Sha256 {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        if super::ecc::verify_sha256(public_key, message, signature) {
            Ok(())
        } else {
            Err(InvalidSignature)
        }
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
/// OCF identity certificate purpose 1.3.6.1.4.1.44924.1.6.
const EKU_OCF_IDENTITY: &[u8] = &[0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0xde, 0x7c, 0x01, 0x06];
/// anyExtendedKeyUsage 2.5.29.37.0.
const EKU_ANY: &[u8] = &[0x55, 0x1d, 0x25, 0x00];

/// The EKU rule applied to every certificate of the path (webpki cannot tell the
/// leaf from intermediates here): no EKU extension, or one that names the TLS
/// purpose of the peer's role, the OCF identity purpose, or anyExtendedKeyUsage.
/// A plain `KeyUsage::required` would reject OCF chains whose intermediates carry
/// no EKU or only OCF's.
struct OcfEku {
    tls_purpose: &'static [u8],
}

impl ExtendedKeyUsageValidator for OcfEku {
    fn validate(&self, iter: KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        let mut present = false;
        for id in iter {
            let id = id?;
            present = true;
            if [self.tls_purpose, EKU_OCF_IDENTITY, EKU_ANY]
                .iter()
                .any(|ok| id == KeyPurposeId::new(ok))
            {
                return Ok(());
            }
        }
        if present {
            #[allow(deprecated)] // the context variant cannot be built outside webpki
            Err(webpki::Error::RequiredEkuNotFound)
        } else {
            Ok(())
        }
    }
}

/// Which side's certificate is checked (decides the EKU we ask for).
#[derive(Clone, Copy)]
pub enum PeerRole {
    Server,
    Client,
}

/// Verifies `chain` (leaf first) against `anchors` at `unix_time`, with the EKU
/// rule of [`OcfEku`].
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
    let usage = OcfEku {
        tls_purpose: match role {
            PeerRole::Server => EKU_SERVER_AUTH,
            PeerRole::Client => EKU_CLIENT_AUTH,
        },
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
    .map_err(|e| invalid(format!("{} ({})", in_words(&e), describe(leaf))))?;
    Ok(())
}

/// What webpki found, in words (its Display is the variant's name:
/// `UnknownIssuer`).
fn in_words(error: &webpki::Error) -> String {
    use webpki::Error as E;
    match error {
        E::UnknownIssuer => "not issued by any of the trusted certificates".into(),
        E::CertExpired { .. } => "expired".into(),
        E::CertNotValidYet { .. } => "not valid yet".into(),
        E::InvalidSignatureForPublicKey => {
            "a signature in the chain does not verify with its issuer's key".into()
        }
        #[allow(deprecated)]
        E::UnsupportedSignatureAlgorithmForPublicKey
        | E::UnsupportedSignatureAlgorithm
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_)
        | E::UnsupportedSignatureAlgorithmContext(_) => {
            "signed with an algorithm that is not ECDSA P-256 SHA-256".into()
        }
        #[allow(deprecated)]
        E::RequiredEkuNotFound | E::RequiredEkuNotFoundContext(_) => {
            "its extended key usage does not allow this use".into()
        }
        E::CaUsedAsEndEntity => "a CA certificate used as the peer's own".into(),
        E::EndEntityUsedAsCa => "a peer certificate used as a CA".into(),
        E::BadDer | E::BadDerTime => "not valid DER".into(),
        E::PathLenConstraintViolated | E::MaximumPathDepthExceeded => {
            "the chain is longer than its CAs allow".into()
        }
        other => format!("rejected ({other})"),
    }
}

/// `subject …, issuer …` of a certificate, for people deciding whom to trust.
pub fn describe(der: &[u8]) -> String {
    match x509_parser::parse_x509_certificate(der) {
        Ok((_, cert)) => format!("subject {}, issuer {}", cert.subject(), cert.issuer()),
        Err(_) => "an unreadable certificate".into(),
    }
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
