//! A sans-IO DTLS 1.2 engine (RFC 6347) for OCF devices.
//!
//! # Shape
//! One [`Connection`] per peer, driven by its owner (the `net` module later) in the
//! style of quinn-proto: the engine never touches sockets or clocks, and takes
//! the OS's randomness only for the P-256 secrets (below).
//!
//! ```text
//! let mut conn = Connection::client(Arc::new(config), now, rng)?;   // or ::server / ::server_from_hello
//! loop {
//!     while let Some(d) = conn.poll_transmit() { socket.send(&d) }    // datagrams <= MTU
//!     while let Some(ev) = conn.poll_event() { ... }                  // Connected, ApplicationData, PeerCertificates, Closed
//!     wait for a datagram or conn.poll_timeout();
//!     conn.handle_datagram(now, &d)? / conn.handle_timeout(now);
//! }
//! conn.send(b"coap")?;  conn.close();  conn.key_material();
//! ```
//!
//! Time comes in as `Instant` arguments and randomness through a [`DtlsRng`]
//! (any `rand_core::CryptoRng`; tests use a seeded one so randoms, cookies and
//! IVs are reproducible). The ECDHE scalars and ECDSA nonces are the
//! exception: the P-256 arithmetic is ring's, whose randomness is always the
//! OS's (see `ecc.rs` for why). Certificate validity uses
//! [`CommonConfig::wall_clock`].

//! # Server cookie stage
//! [`CookieGuard`] answers ClientHellos statelessly with a HelloVerifyRequest
//! and returns a [`VerifiedHello`] once the client echoes a valid cookie; the
//! driver then creates the connection with [`Connection::server_from_hello`].
//! [`Connection::server`] embeds a guard for the simple one-peer case.
//!
//! # Protocol coverage
//! Full handshakes only (no resumption, no renegotiation: the client sends the
//! SCSV, the server answers an empty renegotiation_info and refuses later
//! ClientHellos with a no_renegotiation warning). Extended master secret
//! (RFC 7627) is offered and used when the peer agrees. Encrypt-then-MAC is not
//! offered: records are MAC-then-encrypt CBC as on real OCF devices, or CCM.
//! Handshake messages are fragmented to the configured MTU and reassembled
//! (bounded); flights are retransmitted with a doubling timer; records carry
//! epochs and 48-bit sequence numbers, checked by a 64-entry replay window.
//!
//! # Driver notes
//! - `handle_datagram` drops invalid or replayed records silently (RFC 6347
//!   §4.1.2.7); it returns `Err` only when the connection failed, after queuing a
//!   fatal alert and `Event::Closed { error: Some(..) }`. A clean close_notify is
//!   `Event::Closed { error: None }` (we answer it with our own).
//! - Flights are retransmitted from `handle_timeout`: after 1 s, or 1.5 times the
//!   path's round trip when [`CommonConfig::initial_rtt`] gives one or a flight
//!   measured it (RFC 9147 §5.8.2; never below [`CommonConfig::min_retransmit`]),
//!   doubling up to [`CommonConfig::max_retransmit`], at most
//!   [`CommonConfig::max_retransmissions`] times from 1 s on, then `Error::Timeout`.
//!   Call [`Connection::transmitted`] after sending so the timer runs from then;
//!   [`Connection::rtt`] gives the round trip measured, for the next connection.
//!   The server keeps its last flight and resends it when the client retransmits
//!   its Finished.
//! - [`CommonConfig::mtu`] bounds handshake datagrams (messages are fragmented);
//!   `send` puts each call into one record of at most [`MAX_PLAINTEXT`] bytes, so
//!   CoAP messages keep their datagram boundaries.
//! - A ClientHello in epoch 0 from a peer that already has a connection (a client
//!   that restarted, RFC 6347 §4.2.8) is ignored by that connection: the driver can
//!   pass such datagrams to its [`CookieGuard`] and replace the connection.
//! - Memory is bounded per connection: handshake messages up to 32 KiB, 8 messages
//!   ahead, 16 early records of the next epoch, 256 queued datagrams and events.
//! - Certificate suites verify the peer's chain against
//!   [`CommonConfig::trust_anchors`] (ECDSA P-256/SHA-256 signatures only; EKU:
//!   none, the TLS purpose, OCF's identity purpose or anyExtendedKeyUsage). Names
//!   are not checked: the caller reads the chain from `Event::PeerCertificates` or
//!   [`Connection::peer_certificates`] (OCF identifies peers by the `uuid:` CN).
//!
//! # Suites
//! See [`CipherSuite`]: 0xFF00 (OCF Just Works), 0xC037, 0xC0A8, 0xC0AE, 0xC0AC on
//! P-256, plus 0xC018 for interop tests only.
//!
//! # OCF key export
//! [`Connection::key_material`] gives the master secret and randoms;
//! [`derive_owner_psk`] and [`prf_sha256`] derive the owner PSK of OCF's
//! ownership transfer.

mod cert;
pub mod codec;
mod config;
mod connection;
mod cookie;
pub mod crypto;
mod ecc;
mod error;
pub mod handshake;
mod owner_psk;
mod prf;
pub mod record;
pub mod replay;
mod retransmit;
mod suites;

pub use config::{
    CertifiedKey, ClientAuth, ClientCertificateCheck, ClientConfig, ClientPskCallback,
    CommonConfig, PskChoice, ServerConfig, ServerPskCallback, WallClock,
};
pub use connection::{Connection, DtlsRng, Event, MAX_PLAINTEXT};
pub use cookie::{CookieGuard, HelloVerdict, VerifiedHello};
pub use ecc::EphemeralKey;
pub use error::{AlertDescription, Error};
pub use owner_psk::{
    KeyMaterial, RANDOM_PIN_IDENTITY, derive_owner_psk, key_block, pbkdf2_hmac_sha256,
    random_pin_psk,
};
pub use prf::prf_sha256;
pub use retransmit::{Expiry, RetransmitTimer};
pub use suites::{CipherSuite, KeyExchange, RecordCipher};

/// Verifies a client's chain (DER, leaf first) against `anchors` at
/// `unix_time`, as the server side of a handshake does.
pub fn verify_client_chain(
    chain: &[Vec<u8>],
    anchors: &[Vec<u8>],
    unix_time: u64,
) -> Result<(), Error> {
    cert::verify_chain(chain, anchors, unix_time, cert::PeerRole::Client)
}
