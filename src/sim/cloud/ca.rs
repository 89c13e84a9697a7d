//! The simulated cloud's certificate authority, made at start: a CA, the
//! cloud's server certificate with CN `uuid:<sid>` (how a device knows its
//! cloud, FACTS §1.3), and identity certificates for devices' CSRs (CN
//! `uuid:<di>`, EKU clientAuth and serverAuth, as plgd's CA signs them,
//! FACTS §1.1).

use std::fmt;

use p256::ecdsa::VerifyingKey;
use p256::pkcs8::DecodePublicKey;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, PublicKeyData, SignatureAlgorithm,
};
use x509_parser::prelude::FromDer;

/// Why a certificate could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CaError {
    /// The certificate library refused the parameters (should not happen).
    Generation(String),
    /// The CSR is not a PEM or DER PKCS#10 request.
    UnreadableCsr(String),
    /// The CSR's signature does not verify with its own key, or its key is
    /// not P-256.
    BadCsrSignature,
    /// The CSR's subject has no CN of the form `uuid:<UUID>`.
    NoDeviceId,
}

impl fmt::Display for CaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Generation(e) => write!(f, "cannot make a certificate: {e}"),
            Self::UnreadableCsr(e) => {
                write!(f, "the certificate signing request is unreadable: {e}")
            }
            Self::BadCsrSignature => f.write_str(
                "the certificate signing request's signature does not verify with a P-256 key",
            ),
            Self::NoDeviceId => {
                f.write_str("the certificate signing request's CN is not uuid:<device id>")
            }
        }
    }
}

impl std::error::Error for CaError {}

/// A certificate chain (DER, leaf first) and its key (PKCS#8 DER).
#[derive(Clone)]
pub struct Leaf {
    pub chain: Vec<Vec<u8>>,
    pub key_pkcs8: Vec<u8>,
}

impl fmt::Debug for Leaf {
    // Never print the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Leaf")
            .field("chain", &self.chain.len())
            .finish()
    }
}

/// The cloud's CA.
pub struct CloudCa {
    issuer: Issuer<'static, KeyPair>,
    pub cert_der: Vec<u8>,
    pub cert_pem: String,
}

fn generation(e: rcgen::Error) -> CaError {
    CaError::Generation(e.to_string())
}

impl CloudCa {
    /// A new CA named after the cloud.
    pub fn generate(name: &str) -> Result<CloudCa, CaError> {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(generation)?;
        let params = ca_params(name);
        let cert = params.self_signed(&key).map_err(generation)?;
        Ok(CloudCa {
            cert_der: cert.der().to_vec(),
            cert_pem: cert.pem(),
            issuer: Issuer::new(params, key),
        })
    }

    /// The CA kept in a state directory: its certificate and key as PEM.
    pub fn load(name: &str, cert_pem: &str, key_pem: &str) -> Result<CloudCa, CaError> {
        let key = KeyPair::from_pem(key_pem).map_err(generation)?;
        let cert_der = pem_body(cert_pem)
            .ok_or_else(|| CaError::Generation("the saved CA certificate is not PEM".into()))?;
        Ok(CloudCa {
            cert_der,
            cert_pem: cert_pem.to_owned(),
            issuer: Issuer::new(ca_params(name), key),
        })
    }

    /// The CA's key as PEM, to keep it (a secret).
    pub fn key_pem(&self) -> String {
        self.issuer.key().serialize_pem()
    }

    /// A certificate with CN `cn` and a new key, for TLS on either side.
    pub fn leaf(&self, cn: &str) -> Result<Leaf, CaError> {
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(generation)?;
        let cert = leaf_params(cn, false)
            .signed_by(&key, &self.issuer)
            .map_err(generation)?;
        Ok(Leaf {
            chain: vec![cert.der().to_vec(), self.cert_der.clone()],
            key_pkcs8: key.serialize_der(),
        })
    }

    /// Signs a device's identity CSR (PEM or DER): the certificate keeps the
    /// CSR's key and its CN `uuid:<di>`, with the OCF identity purpose
    /// besides both TLS purposes. Returns the chain as PEM, leaf first and
    /// then the CA, as plgd's CA answers, and the device id.
    pub fn sign_identity_csr(&self, csr: &[u8]) -> Result<(String, uuid::Uuid), CaError> {
        let der = if csr.starts_with(b"-----") {
            let text =
                std::str::from_utf8(csr).map_err(|e| CaError::UnreadableCsr(e.to_string()))?;
            pem_body(text).ok_or_else(|| CaError::UnreadableCsr("no PEM block".into()))?
        } else {
            csr.to_vec()
        };
        let (_, request) =
            x509_parser::certification_request::X509CertificationRequest::from_der(&der)
                .map_err(|e| CaError::UnreadableCsr(e.to_string()))?;
        let info = &request.certification_request_info;
        VerifyingKey::from_public_key_der(info.subject_pki.raw)
            .map_err(|_| CaError::BadCsrSignature)?;
        // ring's arithmetic, as a hub's would be native code.
        ring::signature::UnparsedPublicKey::new(
            &ring::signature::ECDSA_P256_SHA256_ASN1,
            &info.subject_pki.subject_public_key.data,
        )
        .verify(info.raw, &request.signature_value.data)
        .map_err(|_| CaError::BadCsrSignature)?;
        let cn = info
            .subject
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .ok_or(CaError::NoDeviceId)?;
        let di = cn
            .strip_prefix("uuid:")
            .and_then(|u| uuid::Uuid::parse_str(u).ok())
            .ok_or(CaError::NoDeviceId)?;
        let key = CsrKey {
            sec1: info.subject_pki.subject_public_key.data.to_vec(),
        };
        let cert = leaf_params(cn, true)
            .signed_by(&key, &self.issuer)
            .map_err(generation)?;
        Ok((format!("{}{}", cert.pem(), self.cert_pem), di))
    }
}

/// Parameters of the CA certificate.
fn ca_params(name: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    set_validity(&mut params);
    params
}

/// Parameters of an end-entity certificate: CN, both TLS purposes, and
/// for an identity certificate the OCF identity purpose (FACTS §1.1 step 5).
fn leaf_params(cn: &str, identity: bool) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, cn);
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyAgreement,
    ];
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    if identity {
        params.serial_number = Some(crate::ocf::pki::random_serial().into());
        params
            .extended_key_usages
            .push(ExtendedKeyUsagePurpose::Other(
                crate::ocf::pki::IDENTITY_EKU_ARCS.to_vec(),
            ));
    }
    set_validity(&mut params);
    params
}

/// Valid from 2020 to the end of 2049 (the last year UTCTime can say): a
/// rehearsal's certificates never expire under it, and any clock of a test
/// machine is inside.
fn set_validity(params: &mut CertificateParams) {
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    params.not_after = rcgen::date_time_ymd(2049, 12, 31);
}

/// A CSR's public key, for signing without its private half.
struct CsrKey {
    sec1: Vec<u8>,
}

impl PublicKeyData for CsrKey {
    fn der_bytes(&self) -> &[u8] {
        &self.sec1
    }
    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &PKCS_ECDSA_P256_SHA256
    }
}

/// The DER bytes of the first PEM block of `text`.
pub fn pem_body(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let start = text.find("-----BEGIN ")?;
    let after = &text[start..];
    let body_start = after.find('\n')? + 1;
    let end = after.find("-----END ")?;
    let body: String = after[body_start..end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}

/// Every PEM certificate of `text`, as DER.
pub fn pem_certificates(text: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN CERTIFICATE-----") {
        let block = &rest[start..];
        let Some(end) = block.find("-----END CERTIFICATE-----") else {
            break;
        };
        let end = end + "-----END CERTIFICATE-----".len();
        if let Some(der) = pem_body(&block[..end]) {
            out.push(der);
        }
        rest = &block[end..];
    }
    out
}
