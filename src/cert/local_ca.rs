//! The mediator's own certificate authority: made on first use, its
//! private key sealed under the store's key-encryption key (only the
//! keyring holds that), its certificate kept in the store for `cert ca`.
//! It issues identity certificates in OCF's profile: `CN=uuid:<id>`, key
//! usage digitalSignature and keyAgreement, extended key usages serverAuth,
//! clientAuth and the OCF identity purpose, for a configurable lifetime.

use std::time::{Duration, SystemTime};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, PublicKeyData, SignatureAlgorithm,
};

use super::error::CertError;
use super::signer::Issued;
use crate::ocf::pki::{self, IdentityCsr};
use crate::store::{Credential, KeyringKind, Store};

/// The store's name of the local CA's credential.
pub const LOCAL_CA: &str = "local-ca";

/// How long the local CA itself is valid.
const CA_LIFETIME: Duration = Duration::from_secs(20 * 365 * 24 * 3600);

/// How far back a certificate's validity starts: a device whose clock is a
/// little behind still takes it.
const BACKDATE: Duration = Duration::from_secs(300);

/// The mediator's CA, ready to sign.
pub struct LocalCa {
    pub cert_der: Vec<u8>,
    pub cert_pem: String,
    pub not_after: SystemTime,
    issuer: Issuer<'static, KeyPair>,
}

fn failed(e: impl std::fmt::Display) -> CertError {
    CertError::LocalCa(e.to_string())
}

fn time(t: SystemTime) -> time::OffsetDateTime {
    time::OffsetDateTime::from(t)
}

/// The CA certificate's parameters: a CA for identity certificates.
fn ca_params(cn: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, cn);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params
}

impl LocalCa {
    /// The local CA of `store`, made and stored on first use (its key sealed
    /// under the KEK of `keyring`). Two processes that make it at once end
    /// up with the same one.
    pub async fn open(
        store: &Store,
        keyring: KeyringKind,
        owner: uuid::Uuid,
    ) -> Result<LocalCa, CertError> {
        if let Some(stored) = store.credential(LOCAL_CA).await? {
            return LocalCa::from_credential(&stored);
        }
        let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(failed)?;
        let cn = format!("ocf-mediator CA {owner}");
        let mut params = ca_params(&cn);
        let now = SystemTime::now();
        params.not_before = time(now - BACKDATE);
        params.not_after = time(now + CA_LIFETIME);
        params.serial_number = Some(pki::random_serial().into());
        let cert = params.self_signed(&key).map_err(failed)?;
        let made = Credential::new(
            LOCAL_CA,
            cert.pem(),
            now + CA_LIFETIME,
            keyring,
            &key.serialize_der(),
        );
        let stored = store.put_credential(made, false).await?;
        LocalCa::from_credential(&stored)
    }

    fn from_credential(stored: &Credential) -> Result<LocalCa, CertError> {
        let cert_der = pki::pem_certificates(&stored.chain_pem)
            .into_iter()
            .next()
            .ok_or_else(|| failed("its stored certificate is not PEM"))?;
        let key = KeyPair::try_from(stored.pkcs8()).map_err(failed)?;
        let cn = {
            use x509_parser::prelude::FromDer;
            let (_, cert) = x509_parser::certificate::X509Certificate::from_der(&cert_der)
                .map_err(|e| failed(format!("its stored certificate: {e}")))?;
            cert.subject()
                .iter_common_name()
                .next()
                .and_then(|cn| cn.as_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        Ok(LocalCa {
            cert_pem: stored.chain_pem.clone(),
            not_after: stored.not_after,
            issuer: Issuer::new(ca_params(&cn), key),
            cert_der,
        })
    }

    /// An identity certificate for a checked request, valid for `lifetime`
    /// (from a few minutes ago): the chain is the certificate and this CA.
    pub fn issue(&self, csr: &IdentityCsr, lifetime: Duration) -> Result<Issued, CertError> {
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::CommonName, format!("uuid:{}", csr.subject));
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyAgreement,
        ];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
            ExtendedKeyUsagePurpose::Other(pki::IDENTITY_EKU_ARCS.to_vec()),
        ];
        let now = SystemTime::now();
        let not_after = (now + lifetime).min(self.not_after);
        params.not_before = time(now - BACKDATE);
        params.not_after = time(not_after);
        params.serial_number = Some(pki::random_serial().into());
        let key = CsrKey {
            sec1: csr.public_key.clone(),
        };
        let cert = params.signed_by(&key, &self.issuer).map_err(failed)?;
        Ok(Issued {
            chain: vec![cert.der().to_vec(), self.cert_der.clone()],
            anchor: self.cert_der.clone(),
            not_after: pki::not_after(cert.der()).unwrap_or(not_after),
        })
    }
}

/// A request's public key, to sign for without its private half.
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
