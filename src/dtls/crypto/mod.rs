//! Record protection for the negotiated suite.

pub mod cbc;
pub mod ccm;

use super::suites::{CipherSuite, RecordCipher};

/// The 13-byte additional data / MAC header: seq_num(epoch ‖ seq48) ‖ type ‖ version ‖ length.
pub(crate) fn pseudo_header(epoch: u16, seq: u64, ctype: u8, len: usize) -> [u8; 13] {
    let mut h = [0u8; 13];
    h[0..2].copy_from_slice(&epoch.to_be_bytes());
    h[2..8].copy_from_slice(&seq.to_be_bytes()[2..]);
    h[8] = ctype;
    h[9] = 0xfe;
    h[10] = 0xfd;
    h[11..13].copy_from_slice(&(len as u16).to_be_bytes());
    h
}

/// Keys for one direction of one epoch.
pub enum RecordProtection {
    // Boxed: the AES key schedule makes it much larger than the CCM variant.
    Cbc(Box<cbc::CbcKeys>),
    Ccm(ccm::CcmKeys),
}

impl RecordProtection {
    /// Builds the protection from key-block slices.
    pub fn new(suite: CipherSuite, mac_key: &[u8], key: &[u8], fixed_iv: &[u8]) -> Self {
        match suite.record_cipher() {
            RecordCipher::CbcSha256 => RecordProtection::Cbc(Box::new(cbc::CbcKeys::new(
                cbc::MacAlg::Sha256,
                mac_key,
                key,
            ))),
            RecordCipher::CbcSha1 => {
                RecordProtection::Cbc(Box::new(cbc::CbcKeys::new(cbc::MacAlg::Sha1, mac_key, key)))
            }
            RecordCipher::Ccm8 => RecordProtection::Ccm(ccm::CcmKeys::new(key, fixed_iv, 8)),
            RecordCipher::Ccm16 => RecordProtection::Ccm(ccm::CcmKeys::new(key, fixed_iv, 16)),
        }
    }

    /// Encrypts one record payload. `iv` is 16 fresh random bytes (used by CBC only).
    pub fn seal(&self, epoch: u16, seq: u64, ctype: u8, plaintext: &[u8], iv: [u8; 16]) -> Vec<u8> {
        match self {
            RecordProtection::Cbc(k) => k.seal(epoch, seq, ctype, plaintext, iv),
            RecordProtection::Ccm(k) => k.seal(epoch, seq, ctype, plaintext),
        }
    }

    /// Decrypts and authenticates one record payload; `None` if it does not verify.
    pub fn open(&self, epoch: u16, seq: u64, ctype: u8, payload: &[u8]) -> Option<Vec<u8>> {
        match self {
            RecordProtection::Cbc(k) => k.open(epoch, seq, ctype, payload),
            RecordProtection::Ccm(k) => k.open(epoch, seq, ctype, payload),
        }
    }

    /// The most bytes protection adds to a plaintext (for MTU planning).
    pub fn max_overhead(&self) -> usize {
        match self {
            // explicit IV + MAC + up to a full block of padding
            RecordProtection::Cbc(k) => 16 + k.mac_len() + 16,
            RecordProtection::Ccm(k) => 8 + k.tag_len(),
        }
    }
}
