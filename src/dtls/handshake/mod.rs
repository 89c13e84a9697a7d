//! The DTLS 1.2 handshake: message codecs, reassembly, key schedule, and the
//! client and server state machines (as `impl Connection` blocks).

pub mod client;
pub mod messages;
pub mod reassembly;
pub mod server;

use sha2::{Digest, Sha256};

use super::codec::put_vec16;
use super::connection::Connection;
use super::crypto::RecordProtection;
use super::ecc::EphemeralKey;
use super::error::Error;
use super::prf::{prf_into, prf_sha256};
use super::suites::CipherSuite;

/// Per-handshake secrets and negotiated parameters.
#[derive(Default)]
pub struct HandshakeData {
    pub client_random: [u8; 32],
    pub server_random: [u8; 32],
    pub suite: Option<CipherSuite>,
    /// All handshake messages so far, each as if unfragmented (RFC 6347 §4.2.6).
    pub transcript: Vec<u8>,
    /// Server: our ECDHE key, kept from ServerKeyExchange to ClientKeyExchange.
    pub ecdh_key: Option<EphemeralKey>,
    /// A key pair made ahead of time ([`Connection::use_ephemeral_key`]).
    pub prepared_key: Option<EphemeralKey>,
    pub peer_point: Option<Vec<u8>>,
    pub psk_identity: Option<Vec<u8>>,
    pub psk_hint: Option<Vec<u8>>,
    pub ems: bool,
    pub master: Option<[u8; 48]>,
    pub peer_chain: Vec<Vec<u8>>,
    pub client_hello: Option<messages::ClientHello>,
    /// Client: HelloVerifyRequest cookies answered so far.
    pub cookies_used: u8,
    /// Client: the server asked for a certificate. Server: we asked for one.
    pub cert_requested: bool,
    /// Client: the CertificateRequest accepts ECDSA P-256 with SHA-256.
    pub cert_usable: bool,
    /// Server: a (possibly empty) client Certificate message arrived.
    pub client_cert_received: bool,
}

pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

impl Connection {
    /// Uses `key` for this handshake's ECDHE key exchange instead of making
    /// a pair when the exchange comes. Ignored by suites without ECDHE.
    pub fn use_ephemeral_key(&mut self, key: EphemeralKey) {
        self.hs.prepared_key = Some(key);
    }

    /// The key pair for this handshake's key exchange: the one handed over
    /// ahead of time, else a fresh one.
    pub(crate) fn take_ephemeral_key(&mut self) -> EphemeralKey {
        self.hs
            .prepared_key
            .take()
            .unwrap_or_else(EphemeralKey::generate)
    }
}

/// RFC 4279 §2 / RFC 5489 §2: other_secret ‖ psk, each with a 2-byte length.
pub(crate) fn psk_premaster(other: Option<&[u8]>, psk: &[u8]) -> Vec<u8> {
    let zeros = vec![0u8; psk.len()];
    let mut out = Vec::with_capacity(4 + 2 * psk.len() + 32);
    put_vec16(&mut out, other.unwrap_or(&zeros));
    put_vec16(&mut out, psk);
    out
}

impl Connection {
    /// Master secret from the premaster secret; the extended one (RFC 7627) hashes
    /// the transcript through ClientKeyExchange, so call this right after adding it.
    pub(crate) fn compute_master(&mut self, premaster: &[u8]) {
        let mut ms = [0u8; 48];
        if self.hs.ems {
            let h = sha256(&self.hs.transcript);
            prf_into(premaster, b"extended master secret", &h, &mut ms);
        } else {
            let mut seed = Vec::with_capacity(64);
            seed.extend_from_slice(&self.hs.client_random);
            seed.extend_from_slice(&self.hs.server_random);
            prf_into(premaster, b"master secret", &seed, &mut ms);
        }
        self.hs.master = Some(ms);
    }

    /// Splits the key block into write keys and the pending read keys.
    pub(crate) fn derive_keys(&mut self) {
        let (Some(suite), Some(ms)) = (self.hs.suite, self.hs.master) else {
            return;
        };
        let kb = super::owner_psk::key_block(
            &ms,
            &self.hs.server_random,
            &self.hs.client_random,
            suite.key_block_len(),
        );
        let (m, k, i) = suite.key_lengths();
        let cm = &kb[0..m];
        let sm = &kb[m..2 * m];
        let ck = &kb[2 * m..2 * m + k];
        let sk = &kb[2 * m + k..2 * m + 2 * k];
        let ci = &kb[2 * m + 2 * k..2 * m + 2 * k + i];
        let si = &kb[2 * m + 2 * k + i..2 * m + 2 * k + 2 * i];
        let client = RecordProtection::new(suite, cm, ck, ci);
        let server = RecordProtection::new(suite, sm, sk, si);
        if self.is_client() {
            self.write_keys = Some(client);
            self.pending_read_keys = Some(server);
        } else {
            self.write_keys = Some(server);
            self.pending_read_keys = Some(client);
        }
    }

    /// verify_data of a Finished over the transcript so far.
    pub(crate) fn finished_data(&self, client: bool) -> Vec<u8> {
        let label: &[u8] = if client {
            b"client finished"
        } else {
            b"server finished"
        };
        let ms = self.hs.master.unwrap_or([0; 48]);
        prf_sha256(&ms, label, &sha256(&self.hs.transcript), 12)
    }

    /// Checks the peer's Finished in constant time, then adds it to the transcript.
    pub(crate) fn check_finished(&mut self, m: &reassembly::Message) -> Result<(), Error> {
        use subtle::ConstantTimeEq;
        let expected = self.finished_data(!self.is_client());
        if m.body.len() != 12 || !bool::from(expected.as_slice().ct_eq(&m.body)) {
            return Err(Error::DecryptError);
        }
        self.add_to_transcript(m);
        Ok(())
    }

    pub(crate) fn add_to_transcript(&mut self, m: &reassembly::Message) {
        self.hs
            .transcript
            .extend_from_slice(&messages::full_message(m.msg_type, m.message_seq, &m.body));
    }
}
