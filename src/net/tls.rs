//! TLS 1.2 for CoAP over TCP between a device and its cloud (FACTS §1.6),
//! with rustls on ring.
//!
//! - Suites in the reference device's order, as far as rustls has them:
//!   ECDHE-ECDSA AES-128-GCM first, then AES-256-GCM, then the ECDHE-RSA GCM
//!   pair (rustls has no CBC suites, so 0xC023 and 0xC024 are left out);
//!   curves P-256 and P-384, as the reference device's build offers.
//! - A client that trusts only given anchors and, when asked, only a leaf
//!   with one given CN, with no host name check (peers are reached by
//!   address): what an OCF device does with its cloud (the CN is
//!   `uuid:<sid>`, decided by the caller), as iotivity-lite's
//!   `verify_cloud_certificate`.
//! - A server that may ask for a client certificate, optionally or
//!   mandatorily, verified against given anchors.

use std::fmt;
use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms, ring};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::{DigitallySignedStruct, DistinguishedName, RootCertStore, SignatureScheme};

/// Why a TLS configuration cannot be made.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsConfigError {
    /// The certificate or key was refused by rustls.
    Certificate(String),
    /// A trust anchor is not a usable CA certificate.
    TrustAnchor(String),
}

impl fmt::Display for TlsConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Certificate(e) => write!(f, "the certificate or its key is unusable: {e}"),
            Self::TrustAnchor(e) => write!(f, "a trust anchor is unusable: {e}"),
        }
    }
}

impl std::error::Error for TlsConfigError {}

/// The provider: ring, with the suites and curves of FACTS §1.6.
pub fn provider() -> Arc<CryptoProvider> {
    use ring::cipher_suite as cs;
    use ring::kx_group;
    Arc::new(CryptoProvider {
        cipher_suites: vec![
            cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            cs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        ],
        kx_groups: vec![kx_group::SECP256R1, kx_group::SECP384R1],
        ..ring::default_provider()
    })
}

/// Whether and how a server asks for client certificates.
#[derive(Clone, Debug, Default)]
pub enum ClientCertPolicy {
    /// No CertificateRequest.
    #[default]
    None,
    /// Ask; a client without one may still connect. One it presents must
    /// verify against these anchors (DER).
    Optional(Vec<Vec<u8>>),
    /// Ask, and refuse the handshake without a certificate that verifies.
    Required(Vec<Vec<u8>>),
}

/// A TLS 1.2 server presenting `chain` (DER, leaf first) with its PKCS#8 key.
pub fn server_config(
    chain: &[Vec<u8>],
    key_pkcs8: &[u8],
    clients: &ClientCertPolicy,
) -> Result<Arc<rustls::ServerConfig>, TlsConfigError> {
    let provider = provider();
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS12])
        .map_err(|e| TlsConfigError::Certificate(e.to_string()))?;
    let builder = match clients {
        ClientCertPolicy::None => builder.with_no_client_auth(),
        ClientCertPolicy::Optional(anchors) | ClientCertPolicy::Required(anchors) => {
            let mut roots = RootCertStore::empty();
            for anchor in anchors {
                roots
                    .add(CertificateDer::from(anchor.clone()))
                    .map_err(|e| TlsConfigError::TrustAnchor(e.to_string()))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
            let verifier = if matches!(clients, ClientCertPolicy::Optional(_)) {
                verifier.allow_unauthenticated()
            } else {
                verifier
            };
            let verifier = verifier
                .build()
                .map_err(|e| TlsConfigError::TrustAnchor(e.to_string()))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let certs = chain.iter().cloned().map(CertificateDer::from).collect();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_pkcs8.to_vec()));
    let config = builder
        .with_single_cert(certs, key)
        .map_err(|e| TlsConfigError::Certificate(e.to_string()))?;
    Ok(Arc::new(config))
}

/// Why a client refused the server's certificate, kept for its owner to
/// report (rustls's own error says less).
#[derive(Clone, Debug, Default)]
pub struct RefusalNote(Arc<Mutex<Option<String>>>);

impl RefusalNote {
    /// The reason of the last refusal, if any.
    pub fn take(&self) -> Option<String> {
        self.0.lock().ok()?.take()
    }

    fn set(&self, reason: String) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(reason);
        }
    }
}

/// A TLS client that trusts only `anchors` (DER) and a leaf whose CN is
/// `expected_cn`; presents `identity` (chain and PKCS#8 key) when given.
/// The returned note says why a server was refused.
pub fn pinned_client_config(
    anchors: &[Vec<u8>],
    expected_cn: &str,
    identity: Option<(&[Vec<u8>], &[u8])>,
) -> Result<(Arc<rustls::ClientConfig>, RefusalNote), TlsConfigError> {
    let provider = provider();
    let note = RefusalNote::default();
    let verifier = Arc::new(AnchoredVerifier {
        anchors: anchors.iter().cloned().map(CertificateDer::from).collect(),
        expected_cn: expected_cn.to_owned(),
        algorithms: provider.signature_verification_algorithms,
        note: note.clone(),
    });
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS12])
        .map_err(|e| TlsConfigError::Certificate(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let config = match identity {
        Some((chain, key)) => builder
            .with_client_auth_cert(
                chain.iter().cloned().map(CertificateDer::from).collect(),
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.to_vec())),
            )
            .map_err(|e| TlsConfigError::Certificate(e.to_string()))?,
        None => builder.with_no_client_auth(),
    };
    Ok((Arc::new(config), note))
}

/// A TLS client trusting `anchors` (DER) with no name check at all, for
/// tests and tools that talk to a server as a generic client.
pub fn anchored_client_config(
    anchors: &[Vec<u8>],
) -> Result<Arc<rustls::ClientConfig>, TlsConfigError> {
    let provider = provider();
    let verifier = Arc::new(AnchoredVerifier {
        anchors: anchors.iter().cloned().map(CertificateDer::from).collect(),
        expected_cn: String::new(),
        algorithms: provider.signature_verification_algorithms,
        note: RefusalNote::default(),
    });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS12])
        .map_err(|e| TlsConfigError::Certificate(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The CN of a DER certificate.
pub fn common_name(der: &[u8]) -> Option<String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let cn = cert.subject().iter_common_name().next()?.as_str().ok()?;
    Some(cn.to_owned())
}

/// The chain up to one of the anchors, then (when set) the leaf's CN.
struct AnchoredVerifier {
    anchors: Vec<CertificateDer<'static>>,
    /// Empty: any CN.
    expected_cn: String,
    algorithms: WebPkiSupportedAlgorithms,
    note: RefusalNote,
}

impl fmt::Debug for AnchoredVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnchoredVerifier")
            .field("anchors", &self.anchors.len())
            .field("expected_cn", &self.expected_cn)
            .finish()
    }
}

impl AnchoredVerifier {
    fn refuse(&self, reason: String) -> rustls::Error {
        self.note.set(reason.clone());
        rustls::Error::InvalidCertificate(rustls::CertificateError::Other(rustls::OtherError(
            Arc::new(Refused(reason)),
        )))
    }
}

#[derive(Debug)]
struct Refused(String);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

impl ServerCertVerifier for AnchoredVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let anchors = self
            .anchors
            .iter()
            .filter_map(|a| webpki::anchor_from_trusted_cert(a).ok())
            .collect::<Vec<_>>();
        if anchors.is_empty() {
            return Err(self.refuse("no usable trust anchor".into()));
        }
        let cert = webpki::EndEntityCert::try_from(end_entity)
            .map_err(|e| self.refuse(format!("the server's certificate is unreadable: {e}")))?;
        cert.verify_for_usage(
            self.algorithms.all,
            &anchors,
            intermediates,
            now,
            webpki::KeyUsage::server_auth(),
            None,
            None,
        )
        .map_err(|e| {
            self.refuse(format!(
                "the server's certificate ({}) does not chain to a trusted anchor: {e}",
                common_name(end_entity).map_or_else(|| "no CN".into(), |cn| format!("CN {cn}"))
            ))
        })?;
        if !self.expected_cn.is_empty() {
            let cn = common_name(end_entity);
            if cn.as_deref() != Some(self.expected_cn.as_str()) {
                return Err(self.refuse(format!(
                    "the server's certificate has CN {}, expected {}",
                    cn.unwrap_or_else(|| "(none)".into()),
                    self.expected_cn
                )));
            }
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }

    fn root_hint_subjects(&self) -> Option<&[DistinguishedName]> {
        None
    }
}
