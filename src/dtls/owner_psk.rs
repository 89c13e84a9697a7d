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

/// OCF Random PIN: the pre-shared key both sides derive from the PIN the
/// device displays (FACTS §2.3; iotivity-lite `oc_tls.c`):
/// PBKDF2-HMAC-SHA256(PIN as ASCII, salt = device UUID, 1000 iterations, 16 bytes).
pub fn random_pin_psk(pin: &[u8], device_uuid: [u8; 16]) -> [u8; 16] {
    let mut out = [0u8; 16];
    pbkdf2_hmac_sha256(pin, &device_uuid, 1000, &mut out);
    out
}

/// The identity a Random PIN client sends, and the device's hint prefix.
pub const RANDOM_PIN_IDENTITY: &[u8] = b"oic.sec.doxm.rdp";

/// PBKDF2 (RFC 8018 §5.2) with HMAC-SHA256, from RustCrypto's `pbkdf2`.
pub fn pbkdf2_hmac_sha256(password: &[u8], salt: &[u8], iterations: u32, out: &mut [u8]) {
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, iterations, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7914 §11, the PBKDF2-HMAC-SHA256 vector with one iteration.
    #[test]
    fn pbkdf2_matches_rfc_7914() {
        let mut out = [0u8; 64];
        pbkdf2_hmac_sha256(b"passwd", b"salt", 1, &mut out);
        let expected = "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc\
                        49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783";
        let hex: String = out.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, expected);
    }
}
