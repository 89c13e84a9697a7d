//! The device's identity certificate and the certificate owner sessions it
//! serves once owned, with iotivity-lite's rules: an identity credential is
//! taken only for the device's own key and UUID (`oc_cred.c`); a peer's
//! certificate must fit the OCF end-entity profile, name its UUID in its
//! CN, and chain to a trust anchor credential whose subject is that UUID or
//! `*` (`oc_tls.c` `verify_certificate`). The peer is then known by that
//! UUID, like a PSK session's identity.

use p256::SecretKey;
use p256::pkcs8::EncodePrivateKey;
use uuid::Uuid;

use super::state::{Cred, DeviceState};
use crate::dtls::CertifiedKey;
use crate::ocf::pki;

pub const TRUST_CA: &str = "oic.sec.cred.trustca";
pub const MFG_TRUST_CA: &str = "oic.sec.cred.mfgtrustca";
pub const IDENTITY_CERT: &str = "oic.sec.cred.cert";

/// The device's own key, when it has made one (for its CSR).
pub fn device_key(state: &DeviceState) -> Option<SecretKey> {
    super::security::unhex(&state.device_key_hex).and_then(|b| SecretKey::from_slice(&b).ok())
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
    let ours = key.public_key().to_sec1_bytes();
    pki::public_key(leaf).is_some_and(|k| k.as_slice() == &*ours)
        && pki::subject_uuid(leaf) == Some(state.di)
}

/// The device's identity certificate credential (credusage
/// `oic.sec.cred.cert` for its own UUID) with its key.
pub fn identity_certificate(state: &DeviceState) -> Option<CertifiedKey> {
    let di = state.di.to_string();
    let chain = state
        .security
        .creds
        .iter()
        .find(|c| {
            c.credtype == 8 && c.credusage.as_deref() == Some(IDENTITY_CERT) && c.subjectuuid == di
        })
        .and_then(|c| c.publicdata.as_deref())
        .map(pki::pem_certificates)
        .filter(|chain| !chain.is_empty())?;
    let key = device_key(state)?.to_pkcs8_der().ok()?;
    CertifiedKey::new(chain, key.as_bytes()).ok()
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
