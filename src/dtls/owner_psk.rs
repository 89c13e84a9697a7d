//! Key material export and the OCF owner PSK (FACTS.md §2.2; iotivity-lite
//! `oc_sec_derive_owner_psk`).

use super::prf::prf_sha256;
use super::suites::CipherSuite;

/// What OCF needs from a finished handshake to derive the owner PSK.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyMaterial {
    /// The (extended, when negotiated) master secret.
    pub master_secret: [u8; 48],
    pub client_random: [u8; 32],
    pub server_random: [u8; 32],
    /// The negotiated suite.
    pub suite: CipherSuite,
    /// Whether RFC 7627 extended master secret was negotiated.
    pub extended_master_secret: bool,
}

impl std::fmt::Debug for KeyMaterial {
    // Never print secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyMaterial")
            .field("suite", &self.suite)
            .field("extended_master_secret", &self.extended_master_secret)
            .finish_non_exhaustive()
    }
}

impl KeyMaterial {
    /// Length of the suite's key block: 2·(mac + key + fixed IV).
    pub fn key_block_len(&self) -> usize {
        self.suite.key_block_len()
    }

    /// `PRF(master_secret, "key expansion", server_random ‖ client_random)` of the suite's length.
    pub fn key_block(&self) -> Vec<u8> {
        key_block(
            &self.master_secret,
            &self.server_random,
            &self.client_random,
            self.key_block_len(),
        )
    }
}

/// The TLS key block (RFC 5246 §6.3).
pub fn key_block(
    master_secret: &[u8],
    server_random: &[u8; 32],
    client_random: &[u8; 32],
    len: usize,
) -> Vec<u8> {
    let mut seed = Vec::with_capacity(64);
    seed.extend_from_slice(server_random);
    seed.extend_from_slice(client_random);
    prf_sha256(master_secret, b"key expansion", &seed, len)
}

/// The OCF owner PSK: `PRF(key_block, otm_urn, owner_uuid ‖ device_uuid)[..16]`.
///
/// `otm_urn` is e.g. `"oic.sec.doxm.jw"` (ASCII, no NUL); `device_uuid` is the
/// device's *current* `doxm.deviceuuid` (the new one posted during ownership).
pub fn derive_owner_psk(
    material: &KeyMaterial,
    otm_urn: &str,
    owner_uuid: [u8; 16],
    device_uuid: [u8; 16],
) -> [u8; 16] {
    let kb = material.key_block();
    let mut seed = Vec::with_capacity(32);
    seed.extend_from_slice(&owner_uuid);
    seed.extend_from_slice(&device_uuid);
    let v = prf_sha256(&kb, otm_urn.as_bytes(), &seed, 16);
    let mut out = [0u8; 16];
    out.copy_from_slice(&v);
    out
}
