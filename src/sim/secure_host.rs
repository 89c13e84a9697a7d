//! The secure port of a hosted device: DTLS sessions keyed by peer address,
//! a stateless cookie exchange before any state is kept, and a CoAP server
//! per session. The security decisions are the device's ([`crate::sim`]);
//! this file only moves datagrams, keeps sessions and watches the clock.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::net::udp::Socket as UdpSocket;

use crate::coap::{Server, ServerConfig};
use crate::dtls::{self, Connection, CookieGuard, HelloVerdict};
use crate::net::secure::OsRandom;
use crate::sim::misbehave::Misbehaving;
use crate::sim::{Peer, RequestContext, SessionInfo, SimDevice};

struct Session {
    connection: Connection,
    coap: Server,
    doc: bool,
    oxm: u64,
    /// Set once the handshake completed.
    info: Option<SessionInfo>,
    last_heard: Instant,
    /// For a DOC: the device as it was when the DOC opened. A DOC that ends
    /// while the device is still in RFOTM leaves no half-done ownership
    /// behind (iotivity-lite resets such a device when the DOC peer goes),
    /// so an interrupted transfer can always start over.
    before_doc: Option<crate::sim::DeviceState>,
}

/// One device's DTLS endpoint.
pub struct SecurePort {
    pub socket: Arc<UdpSocket>,
    guard: CookieGuard,
    sessions: HashMap<SocketAddr, Session>,
    /// Datagrams to send, after the device state is saved.
    pub outgoing: Vec<(SocketAddr, Vec<u8>)>,
    seed: u16,
    idle: Duration,
    /// Off unless the device was asked to misbehave.
    pub misbehaving: Misbehaving,
}

impl SecurePort {
    pub fn new(socket: Arc<UdpSocket>, seed: u16, idle: Duration) -> Self {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).expect("the operating system's random source failed");
        SecurePort {
            socket,
            guard: CookieGuard::new(secret),
            sessions: HashMap::new(),
            outgoing: Vec::new(),
            seed,
            idle,
            misbehaving: Misbehaving::default(),
        }
    }

    /// Takes in one datagram from `from`; `eps` is what `/oic/res` lists to it.
    pub fn handle_datagram(
        &mut self,
        device: &mut SimDevice,
        now: Instant,
        from: SocketAddr,
        datagram: &[u8],
        eps: &[String],
    ) {
        let established = self
            .sessions
            .get(&from)
            .map(|s| s.connection.is_connected() || s.connection.is_closed());
        if established != Some(false) {
            // No session, or one past its handshake: a ClientHello starts anew
            // (a client that restarted on the same port, RFC 6347 §4.2.8).
            match self.guard.check(from.to_string().as_bytes(), datagram) {
                HelloVerdict::SendHelloVerifyRequest(hvr) => {
                    self.outgoing.push((from, hvr));
                    return;
                }
                HelloVerdict::Accept(hello) => {
                    self.remove(device, from);
                    self.accept(device, now, from, hello);
                    self.pump(device, now, from, eps);
                    return;
                }
                HelloVerdict::Drop if established.is_none() => return,
                HelloVerdict::Drop => {}
            }
        }
        if let Some(session) = self.sessions.get_mut(&from) {
            session.last_heard = now;
            // Bad records are dropped; a failure surfaces as a Closed event.
            let _ = session.connection.handle_datagram(now, datagram);
        }
        self.pump(device, now, from, eps);
    }

    fn accept(
        &mut self,
        device: &mut SimDevice,
        now: Instant,
        from: SocketAddr,
        hello: dtls::VerifiedHello,
    ) {
        let Ok(offer) = device.session_offer() else {
            // Refused before the handshake (no method selected, a DOC
            // already open): dropped without a word, as the reference
            // device drops such a ClientHello.
            return;
        };
        let config = if self.misbehaving.corrupt_finished() {
            let mut config = (*offer.config).clone();
            config.corrupt_finished = true;
            Arc::new(config)
        } else {
            offer.config
        };
        let Ok(connection) = Connection::server_from_hello(config, now, OsRandom, hello) else {
            self.outgoing.push((from, handshake_failure_alert()));
            return;
        };
        self.seed = self.seed.wrapping_mul(31).wrapping_add(7);
        if offer.doc {
            device.doc_open = true;
        }
        self.sessions.insert(
            from,
            Session {
                connection,
                coap: Server::new(ServerConfig::default(), self.seed),
                doc: offer.doc,
                oxm: offer.oxm,
                info: None,
                last_heard: now,
                before_doc: offer.doc.then(|| device.state.clone()),
            },
        );
    }

    /// Handles the events of `from`'s session and queues what it sends.
    fn pump(&mut self, device: &mut SimDevice, now: Instant, from: SocketAddr, eps: &[String]) {
        let Some(session) = self.sessions.get_mut(&from) else {
            return;
        };
        let mut closed = false;
        while let Some(event) = session.connection.poll_event() {
            match event {
                dtls::Event::Connected {
                    psk_identity,
                    suite,
                    ..
                } => {
                    // A DOC's method is the one its suite proves.
                    if session.doc && suite.key_exchange() == dtls::KeyExchange::EcdheEcdsa {
                        session.oxm = crate::sim::oxm::MFG_CERT;
                    }
                    // An owner session may authenticate its peer by
                    // certificate: the chain's uuid: is then its subject.
                    let chain = if session.doc {
                        &[][..]
                    } else {
                        session.connection.peer_certificates()
                    };
                    session.info = Some(SessionInfo::with_certificate(
                        session.doc,
                        session.oxm,
                        psk_identity.as_deref(),
                        chain,
                        session.connection.key_material(),
                    ));
                }
                dtls::Event::ApplicationData(data) => {
                    let Some(info) = session.info.clone() else {
                        continue;
                    };
                    let Ok(Some(request)) = session.coap.handle_datagram(now, from, &data) else {
                        continue;
                    };
                    let context = RequestContext {
                        multicast: false,
                        eps: eps.to_vec(),
                        peer: Peer::Secure(info),
                    };
                    if let Some(raw) = self.misbehaving.intercept(&request) {
                        for datagram in raw {
                            let _ = session.connection.send(&datagram);
                        }
                        continue;
                    }
                    if let Some(reply) = device.handle(&request, &context) {
                        self.misbehaving.after_write(device, &request, session.doc);
                        let reply = self.misbehaving.reply(&request, reply);
                        session.coap.respond(now, &request, reply);
                    }
                }
                dtls::Event::Closed { .. } => closed = true,
                _ => {}
            }
        }
        while let Some(transmit) = session.coap.poll_transmit() {
            for datagram in self.misbehaving.transmit(transmit.datagram) {
                let _ = session.connection.send(&datagram);
            }
        }
        let mut queued = false;
        while let Some(datagram) = session.connection.poll_transmit() {
            let datagram = self.misbehaving.handshake_datagram(datagram);
            self.outgoing.push((from, datagram));
            queued = true;
        }
        if queued {
            // A flight's timer runs from when it leaves, after its computation.
            session.connection.transmitted(crate::net::now());
        }
        if closed || session.connection.is_closed() {
            self.remove(device, from);
        }
    }

    fn remove(&mut self, device: &mut SimDevice, from: SocketAddr) {
        if let Some(session) = self.sessions.remove(&from) {
            device.doc_open = self.sessions.values().any(|s| s.doc);
            if let Some(before) = session.before_doc {
                if device.state.pstat.s == crate::sim::state::dos::RFOTM {
                    // A failed or abandoned transfer: undone, and the method
                    // must be selected again before the next one.
                    device.abandon_transfer(before);
                }
            }
        }
    }

    /// When [`SecurePort::handle_timeout`] should run next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.sessions
            .values()
            .flat_map(|s| {
                [
                    s.connection.poll_timeout(),
                    s.coap.poll_timeout(),
                    Some(s.last_heard + self.idle),
                ]
            })
            .flatten()
            .min()
    }

    /// Retransmissions, and the end of idle sessions.
    pub fn handle_timeout(&mut self, device: &mut SimDevice, now: Instant, eps: &[String]) {
        let peers: Vec<SocketAddr> = self.sessions.keys().copied().collect();
        for peer in peers {
            if let Some(session) = self.sessions.get_mut(&peer) {
                session.connection.handle_timeout(now);
                session.coap.handle_timeout(now);
                if now >= session.last_heard + self.idle {
                    session.connection.close();
                }
            }
            self.pump(device, now, peer, eps);
        }
    }

    /// Ends every session with close_notify (after a hard reset).
    pub fn close_all(&mut self, device: &mut SimDevice) {
        for (peer, mut session) in self.sessions.drain() {
            session.connection.close();
            while let Some(datagram) = session.connection.poll_transmit() {
                self.outgoing.push((peer, datagram));
            }
        }
        device.doc_open = false;
    }

    /// Sends what is queued.
    pub async fn flush(&mut self) {
        for (to, datagram) in self.outgoing.drain(..) {
            let _ = self.socket.send_to(&datagram, to).await;
        }
    }
}

/// A plaintext fatal handshake_failure alert (epoch 0), for a ClientHello the
/// device will not serve now (a second DOC, no method selected).
fn handshake_failure_alert() -> Vec<u8> {
    vec![21, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 2, 40]
}
