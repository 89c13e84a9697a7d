//! Who signs identity certificates: the hub's certificate authority (plgd's
//! `POST <certificateAuthority>/api/v1/sign/identity-csr`, FACTS §4 "CA
//! signing", with the profile's bearer token) or the mediator's own CA.
//! What a signer returns is checked before anything is written to a
//! device: the request's key and subject, OCF's identity profile, and a
//! chain that verifies to the CA that becomes the trust anchor.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use tokio::sync::OnceCell;
use url::Url;

use super::error::CertError;
use super::local_ca::LocalCa;
use crate::oauth::TokenSource;
use crate::ocf::pki::{self, IdentityCsr};
use crate::store::{Credential, KeyringKind, Store};

/// The path of plgd's identity CSR signing, under `certificateAuthority`.
const SIGN_PATH: &str = "api/v1/sign/identity-csr";

/// A certificate issued for a request.
#[derive(Clone, Debug)]
pub struct Issued {
    /// DER, leaf first, as the CA returned it (with its CA certificates).
    pub chain: Vec<Vec<u8>>,
    /// The CA certificate the chain verifies to: the trust anchor.
    pub anchor: Vec<u8>,
    pub not_after: SystemTime,
}

impl Issued {
    pub fn chain_pem(&self) -> String {
        pki::chain_pem(&self.chain)
    }

    /// The chain as a device's identity credential holds it: without the
    /// trust anchor, which is written beside it (a peer that verifies the
    /// chain has the anchor already, and TLS lets a root be left out,
    /// RFC 5246 §7.4.2). A hub's answer of leaf and CA then fits the cred
    /// POST in two 1024-byte blocks instead of three (FACTS §3 block-wise).
    pub fn written_chain_pem(&self) -> String {
        let mut chain = self.chain.as_slice();
        while let [rest @ .., last] = chain {
            if rest.is_empty() || *last != self.anchor {
                break;
            }
            chain = rest;
        }
        pki::chain_pem(chain)
    }

    pub fn anchor_pem(&self) -> String {
        pki::to_pem("CERTIFICATE", &self.anchor)
    }
}

/// A signer of identity certificates. Clone it into every task: clones
/// share the local CA once it is loaded, and the mediator's own identity
/// certificate once it is had.
#[derive(Clone)]
pub struct Signer {
    kind: Kind,
    /// The mediator's own identity certificate from this signer.
    owner: Arc<OnceCell<Credential>>,
}

#[derive(Clone)]
enum Kind {
    Hub {
        tokens: TokenSource,
        endpoint: Url,
        /// The hub's CA certificates, for an answer without its chain.
        anchors: Vec<Vec<u8>>,
    },
    Local {
        lifetime: Duration,
        ca: Arc<OnceCell<Arc<LocalCa>>>,
    },
}

impl Signer {
    /// The hub's certificate authority, as the profile of `tokens` names
    /// it (`certificateAuthority` of the hub configuration).
    pub fn hub(tokens: TokenSource) -> Result<Signer, CertError> {
        let profile = tokens.profile();
        let Some(base) = &profile.certificate_authority else {
            return Err(CertError::Invalid(format!(
                "profile {:?} names no certificate authority (its hub's configuration has no \
                 certificateAuthority, or it was not made with `login --hub`): use \
                 --identity-cert local or none",
                profile.name
            )));
        };
        let mut base = base.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let endpoint = base
            .join(SIGN_PATH)
            .map_err(|e| CertError::Invalid(format!("the certificate authority {base}: {e}")))?;
        let anchors = profile
            .trust_anchor
            .as_deref()
            .map(pki::pem_certificates)
            .unwrap_or_default();
        // Every signing is an HTTP request: the client is made meanwhile.
        tokens.prepare_http();
        Ok(Signer::new(Kind::Hub {
            tokens,
            endpoint,
            anchors,
        }))
    }

    /// The mediator's own CA, issuing certificates valid for `lifetime`.
    pub fn local(lifetime: Duration) -> Signer {
        Signer::new(Kind::Local {
            lifetime,
            ca: Arc::new(OnceCell::new()),
        })
    }

    fn new(kind: Kind) -> Signer {
        Signer {
            kind,
            owner: Arc::new(OnceCell::new()),
        }
    }

    /// How the store names it: `local`, or `hub:<profile>`.
    pub fn name(&self) -> String {
        match &self.kind {
            Kind::Hub { tokens, .. } => format!("hub:{}", tokens.profile().name),
            Kind::Local { .. } => "local".into(),
        }
    }

    /// `hub` or `local`, for people.
    pub fn kind_name(&self) -> &'static str {
        match &self.kind {
            Kind::Hub { .. } => "hub",
            Kind::Local { .. } => "local",
        }
    }

    /// The local CA (made on first use), for a local signer.
    pub async fn local_ca(
        &self,
        store: &Store,
        keyring: KeyringKind,
        owner: uuid::Uuid,
    ) -> Result<Option<Arc<LocalCa>>, CertError> {
        let Kind::Local { ca, .. } = &self.kind else {
            return Ok(None);
        };
        let ca = ca
            .get_or_try_init(|| async { LocalCa::open(store, keyring, owner).await.map(Arc::new) })
            .await?;
        Ok(Some(Arc::clone(ca)))
    }

    /// Has `csr` (already checked) signed, and checks what came back.
    pub async fn sign(
        &self,
        store: &Store,
        keyring: KeyringKind,
        owner: uuid::Uuid,
        csr: &IdentityCsr,
    ) -> Result<Issued, CertError> {
        let (chain, extra_anchors) = match &self.kind {
            Kind::Local { lifetime, .. } => {
                let ca = self
                    .local_ca(store, keyring, owner)
                    .await?
                    .expect("a local signer has a CA");
                let issued = ca.issue(csr, *lifetime)?;
                (issued.chain, vec![issued.anchor])
            }
            Kind::Hub {
                tokens,
                endpoint,
                anchors,
            } => (sign_at_hub(tokens, endpoint, csr).await?, anchors.clone()),
        };
        check_issued(&self.name(), csr, chain, &extra_anchors)
    }

    /// The mediator's own identity certificate from this signer (CN
    /// `uuid:<owner>`), from the store, or had signed now and kept (its
    /// key sealed like the owner keys). One per signer and process, however
    /// many tasks ask at once.
    pub async fn owner_identity(
        &self,
        store: &Store,
        keyring: KeyringKind,
        owner: uuid::Uuid,
    ) -> Result<Credential, CertError> {
        let made = self
            .owner
            .get_or_try_init(|| async {
                let name = owner_credential_name(&self.name());
                let stored = store.credential(&name).await?;
                if let Some(stored) = &stored {
                    if still_good(stored.not_after) {
                        return Ok(stored.clone());
                    }
                }
                let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
                    .map_err(|e| CertError::LocalCa(e.to_string()))?;
                let csr = owner_csr(&key, owner)?;
                let issued = self.sign(store, keyring, owner, &csr).await?;
                let credential = Credential::new(
                    &name,
                    issued.chain_pem(),
                    issued.not_after,
                    keyring,
                    &key.serialize_der(),
                );
                Ok::<_, CertError>(store.put_credential(credential, stored.is_some()).await?)
            })
            .await?;
        Ok(made.clone())
    }
}

/// The store's name of the mediator's identity credential from `signer`.
pub fn owner_credential_name(signer: &str) -> String {
    crate::store::Credential::identity_name(signer)
}

/// Whether a certificate has more than a day left (else it is made anew).
fn still_good(not_after: SystemTime) -> bool {
    not_after
        .duration_since(SystemTime::now())
        .is_ok_and(|left| left > Duration::from_secs(24 * 3600))
}

/// A request for the mediator's own identity: `CN=uuid:<owner>`.
fn owner_csr(key: &rcgen::KeyPair, owner: uuid::Uuid) -> Result<IdentityCsr, CertError> {
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, format!("uuid:{owner}"));
    let request = params
        .serialize_request(key)
        .map_err(|e| CertError::LocalCa(e.to_string()))?;
    pki::check_csr(request.der(), owner).map_err(|problem| CertError::BadCsr {
        device: "this mediator".into(),
        problem,
    })
}

/// `POST {"certificateSigningRequest": base64(PEM)}` with the bearer
/// token; the answer's `certificate` is base64 of the PEM chain.
async fn sign_at_hub(
    tokens: &TokenSource,
    endpoint: &Url,
    csr: &IdentityCsr,
) -> Result<Vec<Vec<u8>>, CertError> {
    let body = serde_json::json!({ "certificateSigningRequest": STANDARD.encode(csr.pem()) });
    let what = "the hub's certificate authority";
    let (status, answer) = tokens.post_json(endpoint, what, &body).await?;
    if !status.is_success() {
        let message = answer["message"]
            .as_str()
            .unwrap_or("no reason given")
            .chars()
            .take(300)
            .collect();
        return Err(CertError::HubRefused {
            url: endpoint.to_string(),
            status: status.as_u16(),
            message,
        });
    }
    let bad = |detail: &str| CertError::BadCertificate {
        signer: "hub".into(),
        detail: detail.into(),
    };
    let encoded = answer["certificate"]
        .as_str()
        .ok_or_else(|| bad("the answer has no certificate"))?;
    // Base64 of the PEM, as plgd's protojson answers; PEM as is also goes.
    let pem = STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_else(|| encoded.to_owned());
    let chain = pki::pem_certificates(&pem);
    if chain.is_empty() {
        return Err(bad("the answer holds no PEM certificate"));
    }
    Ok(chain)
}

/// Checks a signer's answer against the request: the leaf holds the
/// request's key and names its subject, fits OCF's identity profile, and
/// the chain verifies to a CA (the chain's last certificate, or one of
/// `extra_anchors`), which becomes the trust anchor.
fn check_issued(
    signer: &str,
    csr: &IdentityCsr,
    chain: Vec<Vec<u8>>,
    extra_anchors: &[Vec<u8>],
) -> Result<Issued, CertError> {
    let bad = |detail: String| CertError::BadCertificate {
        signer: signer.to_owned(),
        detail,
    };
    let leaf = chain.first().ok_or_else(|| bad("no certificate".into()))?;
    let facts = pki::identity_leaf(leaf).map_err(bad)?;
    if facts.public_key != csr.public_key {
        return Err(bad("it is not for the request's key".into()));
    }
    if facts.subject != Some(csr.subject) {
        return Err(bad(format!("it does not name uuid:{}", csr.subject)));
    }
    facts.profile.map_err(bad)?;
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let candidates = chain[1..]
        .iter()
        .rev()
        .chain(extra_anchors.iter())
        .filter(|c| pki::check_ca(c, true).is_ok());
    let mut last_error = "no CA certificate came with it".to_owned();
    for anchor in candidates {
        match pki::verify_identity_chain(&chain, anchor, now) {
            Ok(()) => {
                return Ok(Issued {
                    not_after: facts.not_after.ok_or_else(|| bad("no validity".into()))?,
                    anchor: anchor.clone(),
                    chain,
                });
            }
            Err(e) => last_error = e,
        }
    }
    Err(bad(format!("its chain does not verify: {last_error}")))
}
