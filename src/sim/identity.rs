//! The device's identity certificate and the certificate owner sessions it
//! serves once owned, with iotivity-lite's rules: an identity credential is
//! taken only for the device's own key and UUID (`oc_cred.c`); a peer's
//! certificate must fit the OCF end-entity profile, name its UUID in its
//! CN, and chain to a trust anchor credential whose subject is that UUID or
//! `*` (`oc_tls.c` `verify_certificate`). The peer is then known by that
//! UUID, like a PSK session's identity.
//!
//! The device's own key pair is [`DeviceKey`]: made with the device (a real
//! one has it from manufacture), derived once per process from the state's
//! scalar and kept beside the state ([`KeyCache`]), so that its CSR, the
//! check of an identity credential and every cloud connection reuse it
//! instead of redoing P-256 arithmetic each time.

use std::fmt;
use std::sync::{Arc, Mutex};

use p256::pkcs8::EncodePrivateKey;
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use uuid::Uuid;
use zeroize::Zeroizing;

use super::state::{Cred, DeviceState};
use crate::dtls::CertifiedKey;
use crate::ocf::pki;

pub const TRUST_CA: &str = "oic.sec.cred.trustca";
pub const MFG_TRUST_CA: &str = "oic.sec.cred.mfgtrustca";
pub const IDENTITY_CERT: &str = "oic.sec.cred.cert";

/// The head of ring's PKCS#8 v1 document of a P-256 key, up to the private
/// scalar (RFC 5915 ECPrivateKey inside RFC 5208), whose 32 bytes follow.
const PKCS8_P256_HEAD: &[u8] = &[
    0x30, 0x81, 0x87, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02,
    0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x04, 0x6d, 0x30, 0x6b, 0x02,
    0x01, 0x01, 0x04, 0x20,
];
/// SubjectPublicKeyInfo of a P-256 key up to its 65-byte uncompressed point.
const SPKI_P256_HEAD: &[u8] = &[
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// The device's own P-256 key pair, ready for use: for its CSR (signed
/// with ring), for the check of an identity credential (its public key),
/// and for TLS to its cloud (PKCS#8).
pub struct DeviceKey {
    pkcs8: Zeroizing<Vec<u8>>,
    pair: EcdsaKeyPair,
    /// The identity certificate credential for this key (its PEM) and the
    /// DTLS engine's form of it, once made.
    certified: Mutex<Option<(String, CertifiedKey)>>,
}

impl fmt::Debug for DeviceKey {
    // Never print the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeviceKey")
    }
}

impl DeviceKey {
    /// A new key, and its scalar as the state keeps it (hex).
    pub fn generate() -> (DeviceKey, String) {
        let rng = SystemRandom::new();
        let document = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
            .expect("the operating system's random source failed");
        let pkcs8 = Zeroizing::new(document.as_ref().to_vec());
        let scalar = pkcs8
            .strip_prefix(PKCS8_P256_HEAD)
            .and_then(|rest| rest.get(..32))
            .expect("ring's PKCS#8 layout of a P-256 key");
        let hex = super::security::hex(scalar);
        let key = DeviceKey::from_pkcs8(pkcs8).expect("ring reads its own key");
        (key, hex)
    }

    /// The key of a scalar (as the state keeps it).
    pub fn from_scalar(scalar: &[u8]) -> Option<DeviceKey> {
        let secret = p256::SecretKey::from_slice(scalar).ok()?;
        let pkcs8 = Zeroizing::new(secret.to_pkcs8_der().ok()?.as_bytes().to_vec());
        DeviceKey::from_pkcs8(pkcs8)
    }

    fn from_pkcs8(pkcs8: Zeroizing<Vec<u8>>) -> Option<DeviceKey> {
        let pair = EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_ASN1_SIGNING,
            &pkcs8,
            &SystemRandom::new(),
        )
        .ok()?;
        Some(DeviceKey {
            pkcs8,
            pair,
            certified: Mutex::new(None),
        })
    }

    /// The public key, SEC1 (uncompressed point).
    pub fn public_key(&self) -> &[u8] {
        self.pair.public_key().as_ref()
    }

    /// The public key as a DER SubjectPublicKeyInfo.
    pub fn public_key_der(&self) -> Vec<u8> {
        [SPKI_P256_HEAD, self.public_key()].concat()
    }

    /// The private key, PKCS#8 DER.
    pub fn pkcs8(&self) -> &[u8] {
        &self.pkcs8
    }

    /// An ECDSA P-256 SHA-256 signature of `message`, DER.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.pair
            .sign(&SystemRandom::new(), message)
            .expect("the operating system's random source failed")
            .as_ref()
            .to_vec()
    }
}

/// The [`DeviceKey`] of a state's scalar, once derived: kept beside the
/// state, not saved with it, and not part of its equality.
#[derive(Default)]
pub struct KeyCache(Mutex<Option<(String, Arc<DeviceKey>)>>);

impl KeyCache {
    /// A cache holding `key`, whose scalar is `hex`.
    pub fn holding(key: DeviceKey, hex: &str) -> KeyCache {
        KeyCache(Mutex::new(Some((hex.to_owned(), Arc::new(key)))))
    }

    /// The key of `hex`, derived now if the cache holds another one or none.
    fn get(&self, hex: &str) -> Option<Arc<DeviceKey>> {
        let mut held = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((made_from, key)) = held.as_ref() {
            if made_from == hex {
                return Some(Arc::clone(key));
            }
        }
        let key = Arc::new(DeviceKey::from_scalar(&super::security::unhex(hex)?)?);
        *held = Some((hex.to_owned(), Arc::clone(&key)));
        Some(key)
    }
}

impl Clone for KeyCache {
    fn clone(&self) -> Self {
        KeyCache(Mutex::new(
            self.0.lock().unwrap_or_else(|e| e.into_inner()).clone(),
        ))
    }
}

impl PartialEq for KeyCache {
    /// A cache holds nothing of its own: states are equal by what they keep.
    fn eq(&self, _: &KeyCache) -> bool {
        true
    }
}

impl Eq for KeyCache {}

impl fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyCache")
    }
}

/// The device's own key, when it has one (for its CSR).
pub fn device_key(state: &DeviceState) -> Option<Arc<DeviceKey>> {
    state.device_key.get(&state.device_key_hex)
}

/// Whether a certificate credential is acceptable as the device's identity
/// certificate: its leaf holds the device's key and names the device
/// (`CN=uuid:<di>`). Anything else is refused (iotivity-lite answers 4.00).
pub fn acceptable_identity(state: &DeviceState, chain: &[Vec<u8>]) -> bool {
    let Some(leaf) = chain.first() else {
        return false;
    };
    let Some(key) = device_key(state) else {
        return false;
    };
    pki::identity_leaf(leaf)
        .is_ok_and(|l| l.public_key == key.public_key() && l.subject == Some(state.di))
}

/// The device's identity certificate credential (credusage
/// `oic.sec.cred.cert` for its own UUID) with its key. Made once per
/// credential and kept with the key: every DTLS session the device serves
/// asks for it.
pub fn identity_certificate(state: &DeviceState) -> Option<CertifiedKey> {
    let di = state.di.to_string();
    let pem = state
        .security
        .creds
        .iter()
        .find(|c| {
            c.credtype == 8 && c.credusage.as_deref() == Some(IDENTITY_CERT) && c.subjectuuid == di
        })
        .and_then(|c| c.publicdata.as_deref())?;
    let key = device_key(state)?;
    let mut certified = key.certified.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((made_from, made)) = certified.as_ref() {
        if made_from == pem {
            return Some(made.clone());
        }
    }
    let chain = Some(pki::pem_certificates(pem)).filter(|chain| !chain.is_empty())?;
    let made = CertifiedKey::new(chain, key.pkcs8()).ok()?;
    *certified = Some((pem.to_owned(), made.clone()));
    Some(made)
}

/// Certificates of the credentials with `usage`, with each credential.
fn anchors<'a>(state: &'a DeviceState, usage: &str) -> Vec<(&'a Cred, Vec<u8>)> {
    state
        .security
        .creds
        .iter()
        .filter(|c| c.credtype == 8 && c.credusage.as_deref() == Some(usage))
        .flat_map(|c| {
            c.publicdata
                .as_deref()
                .map(pki::pem_certificates)
                .unwrap_or_default()
                .into_iter()
                .map(move |der| (c, der))
        })
        .collect()
}

/// Every trust anchor the device verifies peers' chains against.
pub fn trust_anchors(state: &DeviceState) -> Vec<Vec<u8>> {
    anchors(state, TRUST_CA)
        .into_iter()
        .chain(anchors(state, MFG_TRUST_CA))
        .map(|(_, der)| der)
        .collect()
}

/// Who a certificate peer is, once its chain verified against
/// [`trust_anchors`]: the UUID of its CN, if the end-entity profile holds
/// and a trust anchor credential for that UUID (or `*`) anchors the chain.
pub fn authorize_peer(state: &DeviceState, chain: &[Vec<u8>], now: u64) -> Result<Uuid, String> {
    let leaf = chain.first().ok_or("no certificate")?;
    pki::check_end_entity(leaf).map_err(|e| format!("the peer's certificate: {e}"))?;
    for ca in &chain[1..] {
        pki::check_ca(ca, is_self_issued(ca))
            .map_err(|e| format!("a CA certificate of the peer's chain: {e}"))?;
    }
    let peer = pki::subject_uuid(leaf).ok_or("the peer's certificate has no uuid: CN")?;
    let peer_text = peer.to_string();
    let authorizing = anchors(state, TRUST_CA)
        .into_iter()
        .filter(|(cred, _)| cred.subjectuuid == "*" || cred.subjectuuid == peer_text)
        .map(|(_, der)| der)
        .filter(|der| pki::check_ca(der, true).is_ok())
        .any(|der| {
            crate::dtls::verify_client_chain(chain, std::slice::from_ref(&der), now).is_ok()
        });
    if !authorizing {
        return Err(format!(
            "no trust anchor credential for uuid:{peer} (or *) anchors its chain"
        ));
    }
    Ok(peer)
}

fn is_self_issued(der: &[u8]) -> bool {
    use x509_parser::prelude::FromDer;
    x509_parser::certificate::X509Certificate::from_der(der)
        .is_ok_and(|(_, c)| c.issuer().as_raw() == c.subject().as_raw())
}
