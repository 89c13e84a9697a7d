//! Which DTLS credentials the device accepts on its secure port, by state
//! (FACTS §2.1–2.3), and what a session is once it is up.

use std::sync::Arc;

use uuid::Uuid;

use super::state::{DeviceState, dos};
use crate::dtls::{CertifiedKey, CipherSuite, KeyMaterial, RANDOM_PIN_IDENTITY, ServerConfig};

/// Ownership transfer methods (doxm `oxms`).
pub mod oxm {
    pub const JUST_WORKS: u64 = 0;
    pub const RANDOM_PIN: u64 = 1;
    pub const MFG_CERT: u64 = 2;
    /// `oic.sec.oxm.self`: no method selected (the value after a reset).
    pub const NONE: u64 = 4;

    /// The URN that salts the owner PSK derivation (FACTS §2.2).
    pub fn urn(oxm: u64) -> &'static str {
        match oxm {
            RANDOM_PIN => "oic.sec.doxm.rdp",
            MFG_CERT => "oic.sec.doxm.mfgcert",
            _ => "oic.sec.doxm.jw",
        }
    }
}

/// What the device was started with.
#[derive(Clone, Default)]
pub struct SecurityConfig {
    /// Offered methods, in order (doxm `oxms`).
    pub oxms: Vec<u64>,
    /// A fixed Random PIN; else a random one each time oxmsel 1 is chosen.
    pub pin: Option<String>,
    /// The manufacturer certificate chain and key (oxm 2).
    pub mfg: Option<CertifiedKey>,
    /// For tests: a CSR made wrong, as broken firmware would.
    pub csr_fault: Option<super::csr::CsrFault>,
}

/// How a request reached the device.
#[derive(Clone, Debug, Default)]
pub enum Peer {
    /// Plain CoAP.
    #[default]
    Unsecured,
    /// CoAP over an established DTLS session.
    Secure(SessionInfo),
}

/// An established DTLS session.
#[derive(Clone, Debug)]
pub struct SessionInfo {
    /// The device ownership connection: opened under the OTM suite in RFOTM.
    pub doc: bool,
    /// The method of a DOC (its URN salts the owner PSK).
    pub oxm: u64,
    /// The authenticated peer: the PSK identity as a UUID (owner sessions).
    pub subject: Option<Uuid>,
    /// The session's secrets, for the owner PSK a DOC derives.
    pub key_material: Option<KeyMaterial>,
}

impl SessionInfo {
    /// A session from what the handshake reported.
    pub fn new(
        doc: bool,
        oxm: u64,
        psk_identity: Option<&[u8]>,
        key_material: Option<KeyMaterial>,
    ) -> Self {
        Self::with_certificate(doc, oxm, psk_identity, &[], key_material)
    }

    /// As [`SessionInfo::new`], for a session that may have authenticated
    /// the peer by certificate: its subject is then the `uuid:` of the
    /// chain's leaf (checked at the handshake, [`super::identity`]).
    pub fn with_certificate(
        doc: bool,
        oxm: u64,
        psk_identity: Option<&[u8]>,
        peer_chain: &[Vec<u8>],
        key_material: Option<KeyMaterial>,
    ) -> Self {
        let subject = psk_identity
            .and_then(|id| Uuid::from_slice(id).ok())
            .or_else(|| {
                peer_chain
                    .first()
                    .and_then(|c| crate::ocf::pki::subject_uuid(c))
            });
        SessionInfo {
            doc,
            oxm,
            subject: if doc { None } else { subject },
            key_material,
        }
    }
}

/// How the device will accept a new DTLS session right now.
pub struct SessionOffer {
    pub config: Arc<ServerConfig>,
    /// Whether the session will be the DOC.
    pub doc: bool,
    pub oxm: u64,
}

impl std::fmt::Debug for SecurityConfig {
    // Never print the PIN or the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecurityConfig")
            .field("oxms", &self.oxms)
            .field("pin", &self.pin.as_ref().map(|_| "…"))
            .field("mfg", &self.mfg.is_some())
            .field("csr_fault", &self.csr_fault)
            .finish()
    }
}

/// Why a new session is refused before its handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A DOC is already open: only one at a time.
    DocBusy,
    /// In RFOTM without a usable method selected (or its credentials).
    NoMethod,
    /// Owned, but no owner credential exists.
    NoCredentials,
}

/// The server configuration for a new session, from the device's state.
pub fn session_offer(
    state: &DeviceState,
    config: &SecurityConfig,
    pin: Option<&str>,
    doc_open: bool,
) -> Result<SessionOffer, Refusal> {
    let di = *state.di.as_bytes();
    if state.pstat.s == dos::RFOTM {
        if doc_open {
            return Err(Refusal::DocBusy);
        }
        // Only the selected method's suites: until `oxmsel` names an
        // offered method, the reference device drops every new DTLS
        // connection (FACTS §5: "DOC not valid: oxmsel not set").
        let selected = state.doxm.oxmsel;
        let server = match selected {
            oxm::JUST_WORKS if state.doxm.oxms.contains(&selected) => {
                ServerConfig::new(&[CipherSuite::EcdhAnonWithAes128CbcSha256])
            }
            oxm::RANDOM_PIN if state.doxm.oxms.contains(&selected) => {
                let pin = pin.ok_or(Refusal::NoMethod)?;
                let key = crate::dtls::random_pin_psk(pin.as_bytes(), di);
                let mut c = ServerConfig::new(&[CipherSuite::EcdhePskWithAes128CbcSha256])
                    .with_psk(RANDOM_PIN_IDENTITY, &key);
                let mut hint = RANDOM_PIN_IDENTITY.to_vec();
                hint.push(b':');
                hint.extend_from_slice(&di);
                c.psk_identity_hint = Some(hint);
                c
            }
            oxm::MFG_CERT if state.doxm.oxms.contains(&selected) => {
                let mfg = config.mfg.clone().ok_or(Refusal::NoMethod)?;
                let mut c = ServerConfig::new(&[
                    CipherSuite::EcdheEcdsaWithAes128Ccm8,
                    CipherSuite::EcdheEcdsaWithAes128Ccm,
                ]);
                c.common.certificate = Some(mfg);
                c
            }
            _ => return Err(Refusal::NoMethod),
        };
        let oxm = selected;
        return Ok(SessionOffer {
            config: Arc::new(server),
            doc: true,
            oxm,
        });
    }
    // Owned: PSK sessions whose identity is the 16-byte UUID of a subject
    // with a PSK credential; the hint is the device's own UUID. With an
    // identity certificate, also the certificate suites (after the PSK
    // one, as iotivity-lite prefers), with a client certificate required.
    let keys: Vec<([u8; 16], Vec<u8>)> = state
        .security
        .creds
        .iter()
        .filter(|c| c.credtype == 1 && !c.privatedata_hex.is_empty())
        .filter_map(|c| {
            let subject = super::repr::parse_uuid(&c.subjectuuid)?;
            Some((*subject.as_bytes(), unhex(&c.privatedata_hex)?))
        })
        .collect();
    let identity = super::identity::identity_certificate(state);
    if keys.is_empty() && identity.is_none() {
        return Err(Refusal::NoCredentials);
    }
    let mut suites = Vec::new();
    if !keys.is_empty() {
        suites.extend([
            CipherSuite::EcdhePskWithAes128CbcSha256,
            CipherSuite::PskWithAes128Ccm8,
        ]);
    }
    if identity.is_some() {
        suites.extend([
            CipherSuite::EcdheEcdsaWithAes128Ccm8,
            CipherSuite::EcdheEcdsaWithAes128Ccm,
        ]);
    }
    let mut server = ServerConfig::new(&suites);
    if !keys.is_empty() {
        server.psk_identity_hint = Some(di.to_vec());
        server.psk = Some(Arc::new(move |identity: &[u8]| {
            keys.iter()
                .find(|(subject, _)| subject.as_slice() == identity)
                .map(|(_, key)| key.clone())
        }));
    }
    if let Some(identity) = identity {
        server.common.certificate = Some(identity);
        server.common.trust_anchors = super::identity::trust_anchors(state);
        server.client_auth = crate::dtls::ClientAuth::Required;
        let snapshot = state.clone();
        let wall_clock = server.common.wall_clock.clone();
        server.check_client_certificate = Some(Arc::new(move |chain: &[Vec<u8>]| {
            super::identity::authorize_peer(&snapshot, chain, wall_clock()).map(|_| ())
        }));
    }
    Ok(SessionOffer {
        config: Arc::new(server),
        doc: false,
        oxm: state.doxm.oxmsel,
    })
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A random 8-digit PIN, as a device would display it.
pub fn random_pin() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    bytes.iter().map(|b| char::from(b'0' + b % 10)).collect()
}
