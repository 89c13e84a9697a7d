//! The DTLS 1.2 handshake: message codecs, reassembly, key schedule, and the
//! client and server state machines (as `impl Connection` blocks).

pub mod client;
pub mod messages;
pub mod reassembly;
pub mod server;

use p256::{PublicKey, SecretKey};
use sha2::{Digest, Sha256};

use super::codec::put_vec16;
use super::connection::{Connection, DtlsRng};
use super::crypto::RecordProtection;
use super::error::{AlertDescription, Error};
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
    pub ecdh_secret: Option<SecretKey>,
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

/// A fresh P-256 key pair: 32 random bytes, retried in the (negligible) case the
/// value is not a valid scalar.
pub(crate) fn generate_ecdh(rng: &mut dyn DtlsRng) -> SecretKey {
    loop {
        let mut b = [0u8; 32];
        rng.fill(&mut b);
        if let Ok(k) = SecretKey::from_slice(&b) {
            return k;
        }
    }
}

/// Builds the P-256 base-point table that every key generation uses. The
/// table is made on first use and costs about as much as a whole handshake's
/// key exchange, so a server calls this before it takes its first peer. (A
/// short-lived client rather makes its [`EphemeralKey`] on a spare thread,
/// which builds the table there.)
pub fn precompute_tables() {
    // Any valid scalar: the table is built by the first fixed-base multiplication.
    if let Ok(k) = SecretKey::from_slice(&[1; 32]) {
        let _ = k.public_key();
    }
}

pub(crate) fn public_point(k: &SecretKey) -> Vec<u8> {
    k.public_key().to_sec1_bytes().to_vec()
}

/// A P-256 key pair for one ECDHE key exchange, made ahead of time.
///
/// Making a pair is a fixed-base multiplication (and, the first time in a
/// process, building that multiplication's table). A peer that hands one to
/// [`Connection::use_ephemeral_key`] keeps this work off the handshake: it
/// can make the pair on a spare thread while it waits for the network. A
/// pair is moved into the connection, so it serves one key exchange only.
pub struct EphemeralKey {
    secret: SecretKey,
    /// The public point, uncompressed, as it goes on the wire.
    public: Vec<u8>,
}

impl EphemeralKey {
    pub fn generate(rng: &mut dyn DtlsRng) -> EphemeralKey {
        let secret = generate_ecdh(rng);
        let public = public_point(&secret);
        EphemeralKey { secret, public }
    }
}

impl std::fmt::Debug for EphemeralKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret scalar.
        f.debug_struct("EphemeralKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
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
        match self.hs.prepared_key.take() {
            Some(key) => key,
            None => EphemeralKey::generate(self.rng.as_mut()),
        }
    }
}

/// ECDH with the peer's uncompressed point; invalid points fail the handshake.
pub(crate) fn ecdh(k: &SecretKey, peer_point: &[u8]) -> Result<Vec<u8>, Error> {
    if peer_point.len() != 65 || peer_point[0] != 4 {
        return Err(Error::HandshakeFailure(AlertDescription::IllegalParameter));
    }
    let pk = PublicKey::from_sec1_bytes(peer_point)
        .map_err(|_| Error::HandshakeFailure(AlertDescription::IllegalParameter))?;
    Ok(k.diffie_hellman(&pk).raw_secret_bytes().to_vec())
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
