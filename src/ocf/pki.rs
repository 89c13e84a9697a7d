//! OCF's certificate rules, as the reference device checks them
//! (iotivity-lite `oc_certs_validate.c`, `oc_cred.c`, `oc_tls.c`): what an
//! identity certificate signing request must be, and the profiles of the
//! end-entity (identity) and CA certificates a device accepts from a peer.
//! Both the mediator (before it has anything signed, and before it writes
//! what a CA returned) and the simulated device use them.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use p256::ecdsa::VerifyingKey;
use p256::pkcs8::DecodePublicKey;
use uuid::Uuid;
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;

/// The OCF identity certificate purpose (EKU) 1.3.6.1.4.1.44924.1.6.
pub const IDENTITY_EKU: &str = "1.3.6.1.4.1.44924.1.6";
/// [`IDENTITY_EKU`] as arcs, for certificate builders.
pub const IDENTITY_EKU_ARCS: [u64; 9] = [1, 3, 6, 1, 4, 1, 44924, 1, 6];
/// The OCF role certificate purpose 1.3.6.1.4.1.44924.1.7.
const ROLE_EKU: &str = "1.3.6.1.4.1.44924.1.7";
const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const P256: &str = "1.2.840.10045.3.1.7";
const ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";

/// Why a certificate signing request is not a device's identity request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CsrProblem {
    /// Not a PEM or DER PKCS#10 request.
    Unreadable(String),
    /// Its key is not an elliptic-curve P-256 key (OCF identities are).
    NotP256 { found: String },
    /// Its subject is not `CN=uuid:<device id>` of the device asked.
    WrongSubject { expected: Uuid, found: String },
    /// Its signature (ECDSA with SHA-256, by its own key) does not verify.
    BadSignature,
}

impl fmt::Display for CsrProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CsrProblem::Unreadable(detail) => {
                write!(f, "the certificate signing request is unreadable: {detail}")
            }
            CsrProblem::NotP256 { found } => write!(
                f,
                "the certificate signing request's key is not a P-256 key ({found})"
            ),
            CsrProblem::WrongSubject { expected, found } => write!(
                f,
                "the certificate signing request is for {found:?}, not uuid:{expected}"
            ),
            CsrProblem::BadSignature => f.write_str(
                "the certificate signing request's signature does not verify with its own key",
            ),
        }
    }
}

impl std::error::Error for CsrProblem {}

/// An identity certificate signing request that passed [`check_csr`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityCsr {
    /// The request, DER.
    pub der: Vec<u8>,
    /// The device (or mediator) it names: `CN=uuid:<subject>`.
    pub subject: Uuid,
    /// Its public key, SEC1 (uncompressed point).
    pub public_key: Vec<u8>,
}

impl IdentityCsr {
    /// The request as PEM.
    pub fn pem(&self) -> String {
        to_pem("CERTIFICATE REQUEST", &self.der)
    }
}

/// Checks a certificate signing request (PEM or DER) before anything is
/// signed for it: a P-256 key, the subject `CN=uuid:<expected>`, and a
/// valid ECDSA-SHA256 signature by its own key.
pub fn check_csr(csr: &[u8], expected: Uuid) -> Result<IdentityCsr, CsrProblem> {
    let der = if csr.trim_ascii_start().starts_with(b"-----") {
        let text = std::str::from_utf8(csr)
            .map_err(|_| CsrProblem::Unreadable("the PEM is not text".into()))?;
        pem_block(text, "CERTIFICATE REQUEST")
            .ok_or_else(|| CsrProblem::Unreadable("no CERTIFICATE REQUEST PEM block".into()))?
    } else {
        csr.to_vec()
    };
    let (_, request) = x509_parser::certification_request::X509CertificationRequest::from_der(&der)
        .map_err(|e| CsrProblem::Unreadable(e.to_string()))?;
    let info = &request.certification_request_info;
    let spki = &info.subject_pki;
    let algorithm = spki.algorithm.algorithm.to_id_string();
    if algorithm != EC_PUBLIC_KEY {
        return Err(CsrProblem::NotP256 {
            found: format!("key algorithm {algorithm}"),
        });
    }
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.clone().oid().ok())
        .map(|o| o.to_id_string())
        .unwrap_or_else(|| "no named curve".into());
    if curve != P256 {
        return Err(CsrProblem::NotP256 {
            found: format!("curve {}", curve_name(&curve)),
        });
    }
    let found = info
        .subject
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .unwrap_or("")
        .to_owned();
    let subject = found
        .strip_prefix("uuid:")
        .and_then(|u| Uuid::parse_str(u).ok());
    if subject != Some(expected) {
        return Err(CsrProblem::WrongSubject { expected, found });
    }
    if request.signature_algorithm.algorithm.to_id_string() != ECDSA_SHA256 {
        return Err(CsrProblem::BadSignature);
    }
    // ring verifies in a tenth of the time of the pure-Rust arithmetic,
    // which a batch of devices notices; it refuses a point off the curve
    // too, which is then told apart from a bad signature.
    ring::signature::UnparsedPublicKey::new(
        &ring::signature::ECDSA_P256_SHA256_ASN1,
        &spki.subject_public_key.data,
    )
    .verify(info.raw, &request.signature_value.data)
    .map_err(|_| match VerifyingKey::from_public_key_der(spki.raw) {
        Ok(_) => CsrProblem::BadSignature,
        Err(_) => CsrProblem::NotP256 {
            found: "not a point on P-256".into(),
        },
    })?;
    Ok(IdentityCsr {
        public_key: spki.subject_public_key.data.to_vec(),
        subject: expected,
        der: der.clone(),
    })
}

fn curve_name(oid: &str) -> &str {
    match oid {
        "1.3.132.0.34" => "P-384",
        "1.3.132.0.35" => "P-521",
        "1.3.132.0.10" => "secp256k1",
        other => other,
    }
}

fn parse(der: &[u8]) -> Result<X509Certificate<'_>, String> {
    X509Certificate::from_der(der)
        .map(|(_, c)| c)
        .map_err(|e| format!("unreadable certificate: {e}"))
}

/// The device (or mediator) an identity certificate names: `CN=uuid:<UUID>`.
pub fn subject_uuid(der: &[u8]) -> Option<Uuid> {
    uuid_of_subject(&parse(der).ok()?)
}

fn uuid_of_subject(cert: &X509Certificate<'_>) -> Option<Uuid> {
    let cn = cert.subject().iter_common_name().next()?.as_str().ok()?;
    Uuid::parse_str(cn.strip_prefix("uuid:")?).ok()
}

/// When a certificate stops being valid (notAfter).
pub fn not_after(der: &[u8]) -> Option<SystemTime> {
    not_after_of(&parse(der).ok()?)
}

fn not_after_of(cert: &X509Certificate<'_>) -> Option<SystemTime> {
    let secs = cert.validity().not_after.timestamp();
    Some(UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).ok()?))
}

/// The common fields of both profiles: X.509 v3, ECDSA with SHA-256 on P-256.
fn check_common(cert: &X509Certificate<'_>) -> Result<(), String> {
    if cert.version().0 != 2 {
        return Err("not an X.509 v3 certificate".into());
    }
    if cert.signature_algorithm.algorithm.to_id_string() != ECDSA_SHA256 {
        return Err("not signed with ECDSA and SHA-256".into());
    }
    let spki = cert.public_key();
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.clone().oid().ok())
        .map(|o| o.to_id_string());
    if spki.algorithm.algorithm.to_id_string() != EC_PUBLIC_KEY || curve.as_deref() != Some(P256) {
        return Err("its key is not a P-256 key".into());
    }
    Ok(())
}

/// The end-entity (identity certificate) profile: key usage exactly
/// digitalSignature and keyAgreement, not a CA, extended key usages
/// serverAuth, clientAuth and the OCF identity purpose, neither the role
/// purpose nor anyExtendedKeyUsage.
pub fn check_end_entity(der: &[u8]) -> Result<(), String> {
    end_entity_profile(&parse(der)?)
}

/// What a signer's answer is checked against, from one parse of its leaf.
#[derive(Clone, Debug)]
pub struct IdentityLeaf {
    /// SEC1, the uncompressed point.
    pub public_key: Vec<u8>,
    /// `CN=uuid:<UUID>`, if it says so.
    pub subject: Option<Uuid>,
    pub not_after: Option<SystemTime>,
    /// Whether it fits the end-entity profile ([`check_end_entity`]).
    pub profile: Result<(), String>,
}

/// Reads an identity certificate once for its key, what [`subject_uuid`],
/// [`not_after`] and [`check_end_entity`] tell.
pub fn identity_leaf(der: &[u8]) -> Result<IdentityLeaf, String> {
    let cert = parse(der)?;
    Ok(IdentityLeaf {
        public_key: cert.public_key().subject_public_key.data.to_vec(),
        subject: uuid_of_subject(&cert),
        not_after: not_after_of(&cert),
        profile: end_entity_profile(&cert),
    })
}

fn end_entity_profile(cert: &X509Certificate<'_>) -> Result<(), String> {
    check_common(cert)?;
    let ku = cert
        .key_usage()
        .map_err(|e| format!("bad key usage: {e}"))?
        .map(|k| k.value.flags)
        .unwrap_or(0);
    // digitalSignature (bit 0) and keyAgreement (bit 4), nothing else.
    if ku != (1 | 1 << 4) {
        return Err("its key usage is not exactly digitalSignature and keyAgreement".into());
    }
    let basic = cert
        .basic_constraints()
        .map_err(|e| format!("bad basic constraints: {e}"))?;
    if basic
        .as_ref()
        .is_some_and(|b| b.value.ca || b.value.path_len_constraint.is_some())
    {
        return Err("it is a CA certificate, not an identity certificate".into());
    }
    let eku = cert
        .extended_key_usage()
        .map_err(|e| format!("bad extended key usage: {e}"))?
        .ok_or("it has no extended key usage")?;
    let eku = eku.value;
    let others: Vec<String> = eku.other.iter().map(|o| o.to_id_string()).collect();
    if !eku.server_auth || !eku.client_auth {
        return Err("its extended key usage lacks serverAuth or clientAuth".into());
    }
    if !others.iter().any(|o| o == IDENTITY_EKU) {
        return Err(format!(
            "its extended key usage lacks the OCF identity purpose {IDENTITY_EKU}"
        ));
    }
    if others.iter().any(|o| o == ROLE_EKU) || eku.any {
        return Err("its extended key usage names a role or any purpose".into());
    }
    Ok(())
}

/// The CA profile (root or intermediate): a CA, key usage keyCertSign
/// (digitalSignature and cRLSign allowed), a root self-issued and an
/// intermediate not.
pub fn check_ca(der: &[u8], is_root: bool) -> Result<(), String> {
    let cert = parse(der)?;
    check_common(&cert)?;
    let self_issued = cert.issuer().as_raw() == cert.subject().as_raw();
    if is_root != self_issued {
        return Err(if is_root {
            "the root is not self-issued".into()
        } else {
            "an intermediate is self-issued".into()
        });
    }
    let ku = cert
        .key_usage()
        .map_err(|e| format!("bad key usage: {e}"))?
        .map(|k| k.value.flags)
        .unwrap_or(0);
    // keyCertSign (bit 5); digitalSignature (0) and cRLSign (6) optional.
    if ku & (1 << 5) == 0 || ku & !(1 | 1 << 5 | 1 << 6) != 0 {
        return Err("its key usage is not keyCertSign (with digitalSignature, cRLSign)".into());
    }
    let ca = cert
        .basic_constraints()
        .map_err(|e| format!("bad basic constraints: {e}"))?
        .is_some_and(|b| b.value.ca);
    if !ca {
        return Err("it is not a CA certificate (basicConstraints cA)".into());
    }
    Ok(())
}

/// The DER of the first PEM block labelled `label`.
pub fn pem_block(text: &str, label: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)? + begin.len();
    let stop = start + text[start..].find(&end)?;
    let body: String = text[start..stop]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}

/// Every `CERTIFICATE` of a PEM text, as DER, in order.
pub fn pem_certificates(text: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = text;
    const END: &str = "-----END CERTIFICATE-----";
    while let Some(start) = rest.find("-----BEGIN CERTIFICATE-----") {
        let block = &rest[start..];
        let Some(end) = block.find(END) else {
            break;
        };
        if let Some(der) = pem_block(&block[..end + END.len()], "CERTIFICATE") {
            out.push(der);
        }
        rest = &block[end + END.len()..];
    }
    out
}

/// DER as PEM, 64 characters a line.
pub fn to_pem(label: &str, der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// A random positive serial number of 16 bytes (RFC 5280 §4.1.2.2): no two
/// certificates of one issuer share it, not even two for the same key.
pub fn random_serial() -> Vec<u8> {
    let mut serial = vec![0u8; 16];
    getrandom::fill(&mut serial).expect("the operating system's random source failed");
    serial[0] = (serial[0] & 0x7f) | 0x01;
    serial
}

/// Verifies an identity certificate's chain (DER, leaf first; CAs after
/// it as intermediates) against `anchor` at `unix_time`, for client
/// authentication (the device shows it to its cloud and to peers), with
/// ECDSA P-256 SHA-256 signatures (ring's).
pub fn verify_identity_chain(
    chain: &[Vec<u8>],
    anchor: &[u8],
    unix_time: u64,
) -> Result<(), String> {
    use rustls_pki_types::{CertificateDer, UnixTime};
    let leaf = chain.first().ok_or("no certificate")?;
    let leaf = CertificateDer::from(leaf.as_slice());
    let ee = webpki::EndEntityCert::try_from(&leaf).map_err(|e| format!("the leaf: {e}"))?;
    let anchor = CertificateDer::from(anchor);
    let anchors = [webpki::anchor_from_trusted_cert(&anchor)
        .map_err(|e| format!("the CA certificate: {e}"))?];
    let intermediates: Vec<CertificateDer<'_>> = chain[1..]
        .iter()
        .map(|c| CertificateDer::from(c.as_slice()))
        .collect();
    ee.verify_for_usage(
        &[webpki::ring::ECDSA_P256_SHA256],
        &anchors,
        &intermediates,
        UnixTime::since_unix_epoch(Duration::from_secs(unix_time)),
        webpki::KeyUsage::client_auth(),
        None,
        None,
    )
    .map(drop)
    .map_err(|e| e.to_string())
}

/// Certificates (DER) as one PEM text.
pub fn chain_pem(chain: &[Vec<u8>]) -> String {
    chain.iter().map(|c| to_pem("CERTIFICATE", c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csr_for(subject: Uuid) -> Vec<u8> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params = rcgen::CertificateParams::default();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, format!("uuid:{subject}"));
        params.serialize_request(&key).unwrap().der().to_vec()
    }

    /// `csr` with the byte at the end of `pattern` changed.
    fn with_byte_changed(csr: &[u8], pattern: &[u8], at_end_minus: usize) -> Vec<u8> {
        let start = csr
            .windows(pattern.len())
            .position(|w| w == pattern)
            .unwrap();
        let mut changed = csr.to_vec();
        changed[start + pattern.len() - at_end_minus] ^= 0x01;
        changed
    }

    #[test]
    fn a_good_csr_passes_and_names_its_key() {
        let di = Uuid::new_v4();
        let checked = check_csr(&csr_for(di), di).unwrap();
        assert_eq!(checked.subject, di);
        assert_eq!(checked.public_key.len(), 65);
    }

    #[test]
    fn a_key_off_the_curve_is_told_apart_from_a_bad_signature() {
        let di = Uuid::new_v4();
        let csr = csr_for(di);
        let point = check_csr(&csr, di).unwrap().public_key;
        // The point's last byte changed: y no longer fits x.
        let off_curve = with_byte_changed(&csr, &point, 1);
        assert!(matches!(
            check_csr(&off_curve, di),
            Err(CsrProblem::NotP256 { found }) if found.contains("not a point")
        ));
        // The signature's last byte changed.
        let mut bad_signature = csr.clone();
        *bad_signature.last_mut().unwrap() ^= 0x01;
        assert_eq!(check_csr(&bad_signature, di), Err(CsrProblem::BadSignature));
    }
}
