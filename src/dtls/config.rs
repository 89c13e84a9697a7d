//! Client and server configuration, shared between connections through `Arc`.

use std::sync::Arc;
use std::time::Duration;

use p256::SecretKey;
use p256::pkcs8::DecodePrivateKey;

use super::ecc::SigningKey;
use super::error::Error;
use super::suites::CipherSuite;

/// Chooses the PSK identity and key, given the server's identity hint (if any).
/// Returns `None` when the client has no key, which fails the handshake.
pub type ClientPskCallback = Arc<dyn Fn(Option<&[u8]>) -> Option<PskChoice> + Send + Sync>;

/// Looks up the key for the client's PSK identity; `None` = unknown identity.
pub type ServerPskCallback = Arc<dyn Fn(&[u8]) -> Option<Vec<u8>> + Send + Sync>;

/// Checks a client's certificate chain (DER, leaf first) after it verified
/// against the trust anchors: the application's own rules (OCF maps the
/// leaf's `uuid:` CN to a subject and authorizes it). `Err` says why the
/// handshake fails (with a bad_certificate alert).
pub type ClientCertificateCheck = Arc<dyn Fn(&[Vec<u8>]) -> Result<(), String> + Send + Sync>;

/// Returns the current wall-clock time in seconds since the Unix epoch, for
/// certificate validity checks (the engine itself never reads a clock).
pub type WallClock = Arc<dyn Fn() -> u64 + Send + Sync>;

/// The identity and key a client uses for a PSK suite.
#[derive(Clone)]
pub struct PskChoice {
    pub identity: Vec<u8>,
    pub key: Vec<u8>,
}

/// A certificate chain (DER, leaf first) and the leaf's P-256 private key.
/// Cloning shares the key: it is made ready for signing once, here, not for
/// each handshake.
#[derive(Clone)]
pub struct CertifiedKey {
    pub chain: Vec<Vec<u8>>,
    /// The key as parsed, for those that write it out again (the simulated
    /// device's cloud link).
    pub(crate) key: SecretKey,
    /// The same key as ring's key pair, which signs in the handshake.
    pub(crate) signer: SigningKey,
}

impl CertifiedKey {
    /// `pkcs8_der` is the leaf's private key as PKCS#8 DER (P-256 only).
    pub fn new(chain: Vec<Vec<u8>>, pkcs8_der: &[u8]) -> Result<Self, Error> {
        if chain.is_empty() {
            return Err(Error::Config("empty certificate chain".into()));
        }
        let key = SecretKey::from_pkcs8_der(pkcs8_der)
            .map_err(|_| Error::Config("the private key is not a PKCS#8 P-256 key".into()))?;
        let signer = SigningKey::new(&key)?;
        Ok(CertifiedKey { chain, key, signer })
    }
}

/// Whether a server asks for a client certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientAuth {
    #[default]
    None,
    /// Ask; accept an empty Certificate.
    Optional,
    /// Ask; fail the handshake without one.
    Required,
}

/// Settings common to both sides.
#[derive(Clone)]
pub struct CommonConfig {
    /// Suites in preference order.
    pub cipher_suites: Vec<CipherSuite>,
    /// Largest datagram we send (IP/UDP headers excluded). Handshake messages are
    /// fragmented to fit.
    pub mtu: usize,
    /// First retransmission timeout when nothing is known of the path
    /// (RFC 6347 §4.2.4.1 recommends 1 s); also the ceiling of one
    /// computed from a round trip.
    pub initial_retransmit: Duration,
    /// The peer's round trip, when known from earlier exchanges with it (a
    /// CoAP request, an earlier session): the first flight then waits 1.5
    /// times it (RFC 9147 §5.8.2), and every flight answered without a
    /// retransmission measures it again for the next.
    pub initial_rtt: Option<Duration>,
    /// The shortest wait before a retransmission. RFC 6347's 1 s is RFC
    /// 6298's minimum for an unknown path (RFC 8961 §4); once a round trip
    /// is known RFC 9147 §5.8.2 sets none. 50 ms: a LAN's round trip is
    /// below a millisecond, but a flight's answer waits for the peer's
    /// key exchange (tens of milliseconds on a small device: the reference
    /// device's whole handshake took 40 ms over loopback, FACTS §5), and a
    /// retransmission of every flight would only add to its work. A loss
    /// then costs 50–100 ms instead of a second.
    pub min_retransmit: Duration,
    /// Cap for the doubling retransmission timeout.
    pub max_retransmit: Duration,
    /// Retransmissions of one flight before the handshake fails with
    /// `Timeout`, counted from `initial_retransmit`: a flight that starts
    /// shorter (from a round trip) gets the doublings up to it on top.
    pub max_retransmissions: u32,
    /// Trust anchors (DER certificates) for verifying the peer's chain.
    pub trust_anchors: Vec<Vec<u8>>,
    /// Our certificate for ECDSA suites (server: mandatory for them; client: for mutual auth).
    pub certificate: Option<CertifiedKey>,
    /// Wall clock for certificate validity (defaults to the system clock).
    pub wall_clock: WallClock,
}

impl Default for CommonConfig {
    fn default() -> Self {
        CommonConfig {
            cipher_suites: CipherSuite::OCF_DEFAULT.to_vec(),
            mtu: 1200,
            initial_retransmit: Duration::from_secs(1),
            initial_rtt: None,
            min_retransmit: Duration::from_millis(50),
            max_retransmit: Duration::from_secs(60),
            max_retransmissions: 6,
            trust_anchors: Vec::new(),
            certificate: None,
            wall_clock: Arc::new(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0)
            }),
        }
    }
}

/// Client configuration.
#[derive(Clone, Default)]
pub struct ClientConfig {
    pub common: CommonConfig,
    /// Needed for PSK suites.
    pub psk: Option<ClientPskCallback>,
}

/// Server configuration.
#[derive(Clone, Default)]
pub struct ServerConfig {
    pub common: CommonConfig,
    /// Sent in ServerKeyExchange for PSK suites (OCF devices send their 16-byte UUID).
    pub psk_identity_hint: Option<Vec<u8>>,
    /// Needed for PSK suites.
    pub psk: Option<ServerPskCallback>,
    pub client_auth: ClientAuth,
    /// Run on a client's chain once it verified against the trust anchors.
    pub check_client_certificate: Option<ClientCertificateCheck>,
    /// Send a Finished whose verify_data is wrong. Only for rehearsing
    /// against a broken peer (`ocf-devsim device --misbehave bad-finished`);
    /// never set otherwise.
    pub corrupt_finished: bool,
}

impl ClientConfig {
    pub fn new(cipher_suites: &[CipherSuite]) -> Self {
        let mut c = ClientConfig::default();
        c.common.cipher_suites = cipher_suites.to_vec();
        c
    }

    /// A fixed identity and key, whatever the hint.
    pub fn with_psk(mut self, identity: &[u8], key: &[u8]) -> Self {
        let choice = PskChoice {
            identity: identity.to_vec(),
            key: key.to_vec(),
        };
        self.psk = Some(Arc::new(move |_| Some(choice.clone())));
        self
    }
}

impl ServerConfig {
    pub fn new(cipher_suites: &[CipherSuite]) -> Self {
        let mut c = ServerConfig::default();
        c.common.cipher_suites = cipher_suites.to_vec();
        c
    }

    /// One identity with one key.
    pub fn with_psk(mut self, identity: &[u8], key: &[u8]) -> Self {
        let id = identity.to_vec();
        let key = key.to_vec();
        self.psk = Some(Arc::new(move |i| (i == id.as_slice()).then(|| key.clone())));
        self
    }
}
