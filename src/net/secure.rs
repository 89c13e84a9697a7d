//! CoAP over DTLS to one peer: a UDP socket, a DTLS client [`Connection`]
//! and a CoAP [`Client`] stacked on it. The engines stay sans-IO; this is
//! where their datagrams meet the socket and their deadlines meet the clock.

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::coap_endpoint::random_seed;
use super::paths;
use super::udp::{Socket, now};
use crate::coap::{Client, ClientConfig, Event, Request, Response};
use crate::dtls::{self, CipherSuite, Connection, DtlsRng, EphemeralKey};

/// Randomness from the operating system, for the DTLS engine.
pub struct OsRandom;

impl DtlsRng for OsRandom {
    fn fill(&mut self, dest: &mut [u8]) {
        // Without OS randomness no key can be made safely: stop rather than
        // handshake with predictable secrets.
        getrandom::fill(dest).expect("the operating system's random source failed");
    }
}

/// Key pairs for coming handshakes, made by [`prepare_ephemeral_keys`].
static PREPARED_KEYS: Mutex<Vec<EphemeralKey>> = Mutex::new(Vec::new());

/// Starts making `count` ECDHE key pairs on a spare thread, for the next
/// `count` sessions this process opens. A command that opens sessions only
/// after some round trips on the network (finding the device) calls this
/// first, and its handshakes skip the key generation (one fixed-base
/// multiplication, some tens of microseconds with ring's P-256). A session
/// that finds no pair ready makes one.
pub fn prepare_ephemeral_keys(count: usize) {
    std::thread::spawn(move || {
        for _ in 0..count {
            let key = EphemeralKey::generate();
            if let Ok(mut keys) = PREPARED_KEYS.lock() {
                keys.push(key);
            }
        }
    });
}

fn take_prepared_key() -> Option<EphemeralKey> {
    PREPARED_KEYS.lock().ok()?.pop()
}

/// Why a secure session or a request on it failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum SessionError {
    /// The socket could not be opened or used.
    Io(io::Error),
    /// The DTLS handshake or session failed.
    Dtls(dtls::Error),
    /// The CoAP exchange failed (timeout, reset, bad block-wise answer).
    Coap(crate::coap::client::Error),
    /// The deadline passed.
    TimedOut,
    /// The peer answered the handshake but never confirmed our Finished:
    /// it derived other keys, so the key, PIN or identity is wrong.
    KeysNotConfirmed,
}

impl SessionError {
    /// Whether the peer did not accept our credentials (or we not its).
    pub fn is_authentication(&self) -> bool {
        use dtls::{AlertDescription as A, Error as E};
        matches!(self, SessionError::KeysNotConfirmed)
            || matches!(
                self,
                SessionError::Dtls(
                    E::UnknownPskIdentity
                        | E::DecryptError
                        | E::CertificateInvalid { .. }
                        | E::CertificateRequired
                        | E::AlertReceived(
                            A::UnknownPskIdentity
                                | A::DecryptError
                                | A::BadRecordMac
                                | A::BadCertificate
                                | A::UnknownCa
                                | A::CertificateUnknown
                                | A::AccessDenied
                                | A::HandshakeFailure
                        )
                )
            )
    }
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::Io(e) => write!(f, "{e}"),
            SessionError::Dtls(e) => write!(f, "DTLS: {e}"),
            SessionError::Coap(e) => write!(f, "{e}"),
            SessionError::TimedOut => f.write_str("did not answer in time"),
            SessionError::KeysNotConfirmed => f.write_str(
                "the peer answered the handshake but never confirmed our keys: the key, PIN or identity is wrong",
            ),
        }
    }
}

impl std::error::Error for SessionError {}

/// An established DTLS session carrying CoAP.
pub struct SecureSession {
    socket: Socket,
    connection: Connection,
    coap: Client,
    peer: SocketAddr,
    suite: CipherSuite,
    /// Receive buffer, reused for every datagram; see [`recv_datagram`].
    buffer: Vec<u8>,
}

impl SecureSession {
    /// Opens a DTLS session with `peer`, finishing the handshake before `deadline`.
    pub async fn connect(
        peer: SocketAddr,
        config: Arc<dtls::ClientConfig>,
        deadline: Instant,
    ) -> Result<SecureSession, SessionError> {
        Self::connect_watching_keys(peer, config, deadline, |_| {}).await
    }

    /// As [`SecureSession::connect`], and calls `on_keys` once with the
    /// session's key material as soon as it exists: when our Finished has
    /// gone out, a round trip before the peer confirms it. Work that only
    /// needs the keys (storing a key derived from them) starts that much
    /// earlier; if the handshake then fails, undoing it is the caller's job.
    pub async fn connect_watching_keys(
        peer: SocketAddr,
        config: Arc<dtls::ClientConfig>,
        deadline: Instant,
        on_keys: impl FnMut(dtls::KeyMaterial),
    ) -> Result<SecureSession, SessionError> {
        let socket = Self::bind(peer, 0).await?;
        Self::handshake(socket, peer, config, deadline, on_keys).await
    }

    /// A socket connected to `peer`, bound to `local_port` (0: any). A
    /// session opened again from the port of an earlier one takes its
    /// place at the peer (RFC 6347 §4.2.8): the peer drops the old session.
    pub async fn bind(peer: SocketAddr, local_port: u16) -> Result<Socket, SessionError> {
        let local: SocketAddr = if peer.is_ipv6() {
            (Ipv6Addr::UNSPECIFIED, local_port).into()
        } else {
            (Ipv4Addr::UNSPECIFIED, local_port).into()
        };
        let socket = Socket::bind(local).await.map_err(SessionError::Io)?;
        socket.connect(peer).await.map_err(SessionError::Io)?;
        Ok(socket)
    }

    /// Runs the handshake on a socket made by [`SecureSession::bind`],
    /// calling `on_keys` as [`SecureSession::connect_watching_keys`] does.
    pub async fn handshake(
        socket: Socket,
        peer: SocketAddr,
        config: Arc<dtls::ClientConfig>,
        deadline: Instant,
        mut on_keys: impl FnMut(dtls::KeyMaterial),
    ) -> Result<SecureSession, SessionError> {
        let config = with_known_rtt(config, peer);
        let mut connection =
            Connection::client(config, now(), OsRandom).map_err(SessionError::Dtls)?;
        if let Some(key) = take_prepared_key() {
            connection.use_ephemeral_key(key);
        }
        let mut session = SecureSession {
            socket,
            connection,
            coap: Client::new(ClientConfig::default(), random_seed()),
            peer,
            suite: CipherSuite::EcdhePskWithAes128CbcSha256,
            buffer: Vec::with_capacity(65_535),
        };
        // Whether the peer had our Finished but had not confirmed it, as of
        // before the last timer: a handshake that times out then was heard,
        // and refused our keys.
        let mut unconfirmed = false;
        let mut keys_reported = false;
        loop {
            session.flush().await?;
            if !keys_reported {
                if let Some(material) = session.connection.key_material() {
                    keys_reported = true;
                    on_keys(material);
                }
            }
            while let Some(event) = session.connection.poll_event() {
                match event {
                    dtls::Event::Connected { suite, .. } => {
                        session.suite = suite;
                        if let Some(rtt) = session.connection.rtt() {
                            paths::remember_rtt(peer, rtt, now());
                        }
                        if let Some(path) = paths::cocoa(peer) {
                            session.coap.learn_path(peer, path);
                        }
                        return Ok(session);
                    }
                    dtls::Event::Closed {
                        error: Some(dtls::Error::Timeout),
                    } if unconfirmed => {
                        return Err(SessionError::KeysNotConfirmed);
                    }
                    dtls::Event::Closed { error } => {
                        return Err(SessionError::Dtls(error.unwrap_or(dtls::Error::PeerClosed)));
                    }
                    _ => {}
                }
            }
            unconfirmed = session.connection.awaits_peer_finished();
            match session.wait(deadline).await {
                Err(SessionError::TimedOut) if unconfirmed => {
                    return Err(SessionError::KeysNotConfirmed);
                }
                result => result?,
            }
        }
    }

    /// The negotiated cipher suite.
    pub fn suite(&self) -> CipherSuite {
        self.suite
    }

    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// The local port the session runs from.
    pub fn local_port(&self) -> u16 {
        self.socket.local_addr().map_or(0, |a| a.port())
    }

    /// The session's secrets, for the OCF owner PSK derivation
    /// ([`dtls::derive_owner_psk`]) after a device ownership connection.
    pub fn key_material(&self) -> Option<dtls::KeyMaterial> {
        self.connection.key_material()
    }

    /// The peer's certificate chain (leaf first), for certificate suites.
    pub fn peer_certificates(&self) -> &[Vec<u8>] {
        self.connection.peer_certificates()
    }

    /// Sends a request and waits for its whole response.
    pub async fn request(
        &mut self,
        request: Request,
        deadline: Instant,
    ) -> Result<Response, SessionError> {
        let id = self.coap.request(now(), self.peer, request);
        let result = self.exchange(id, deadline).await;
        if let Some(path) = self.coap.path(self.peer) {
            paths::remember(self.peer, path, now());
        }
        result
    }

    async fn exchange(
        &mut self,
        id: crate::coap::RequestId,
        deadline: Instant,
    ) -> Result<Response, SessionError> {
        loop {
            while let Some(event) = self.connection.poll_event() {
                match event {
                    dtls::Event::ApplicationData(data) => {
                        // Not CoAP: ignored like noise on a plain socket.
                        let _ = self.coap.handle_datagram(now(), self.peer, &data);
                    }
                    dtls::Event::Closed { error } => {
                        return Err(SessionError::Dtls(error.unwrap_or(dtls::Error::PeerClosed)));
                    }
                    _ => {}
                }
            }
            // Also sends the ACK of a separate response before returning it.
            self.flush().await?;
            while let Some(event) = self.coap.poll_event() {
                match event {
                    Event::Response {
                        id: got, response, ..
                    } if got == id => return Ok(response),
                    Event::Failed { id: got, error, .. } if got == id => {
                        return Err(SessionError::Coap(error));
                    }
                    _ => {}
                }
            }
            self.wait(deadline).await?;
        }
    }

    /// Ends the session with close_notify.
    pub async fn close(mut self) {
        self.connection.close();
        let _ = self.flush().await;
    }

    /// Moves CoAP datagrams into DTLS records and records onto the socket.
    async fn flush(&mut self) -> Result<(), SessionError> {
        while let Some(transmit) = self.coap.poll_transmit() {
            self.connection
                .send(&transmit.datagram)
                .map_err(SessionError::Dtls)?;
        }
        let mut sent = false;
        while let Some(datagram) = self.connection.poll_transmit() {
            // A lost datagram is recovered by retransmission; a send error is
            // usually an ICMP error from the previous one.
            let _ = self.socket.send(&datagram).await;
            sent = true;
        }
        if sent {
            // A flight's timer runs from now, after its computation.
            self.connection.transmitted(now());
        }
        Ok(())
    }

    /// Waits for a datagram or the next timer of either engine.
    async fn wait(&mut self, deadline: Instant) -> Result<(), SessionError> {
        if now() >= deadline {
            return Err(SessionError::TimedOut);
        }
        let wake = [
            self.connection.poll_timeout(),
            self.coap.poll_timeout(),
            Some(deadline),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(deadline);
        tokio::select! {
            received = recv_datagram(&self.socket, &mut self.buffer) => {
                match received {
                    // A datagram the engine rejects (garbage, replay, bad MAC)
                    // is dropped; fatal errors surface as a Closed event.
                    Ok(_) => {
                        let _ = self.connection.handle_datagram(now(), &self.buffer);
                    }
                    // The peer's host said nothing listens on that port
                    // (ICMP port unreachable): no point in waiting.
                    Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                        return Err(SessionError::Io(e));
                    }
                    Err(_) => {}
                }
            }
            () = tokio::time::sleep_until(wake.into()) => {
                let at = now();
                self.connection.handle_timeout(at);
                self.coap.handle_timeout(at);
            }
        }
        Ok(())
    }
}

/// `config`, starting its retransmission timer from the round trip this
/// process measured to `peer`'s host, unless it names one already.
fn with_known_rtt(config: Arc<dtls::ClientConfig>, peer: SocketAddr) -> Arc<dtls::ClientConfig> {
    match paths::rtt(peer) {
        Some(rtt) if config.common.initial_rtt.is_none() => {
            let mut known = (*config).clone();
            known.common.initial_rtt = Some(rtt);
            Arc::new(known)
        }
        _ => config,
    }
}

/// Receives one datagram into `buffer`'s spare capacity, replacing what it
/// held. Not zeroing a 64 KiB buffer first spares a short-lived command the
/// cost of touching its every page.
async fn recv_datagram(socket: &Socket, buffer: &mut Vec<u8>) -> io::Result<usize> {
    buffer.clear();
    socket.recv_buf(buffer).await
}
