//! One DTLS association with one peer: the record layer, flights and
//! retransmission, events. The handshake logic lives in `handshake/`.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use super::codec::Reader;
use super::config::{ClientConfig, CommonConfig, ServerConfig};
use super::cookie::{CookieGuard, HelloVerdict, VerifiedHello};
use super::crypto::RecordProtection;
use super::error::{AlertDescription, Error};
use super::handshake::HandshakeData;
use super::handshake::messages::{
    CLIENT_HELLO, HANDSHAKE_HEADER_LEN, HELLO_REQUEST, HELLO_VERIFY_REQUEST, HandshakeHeader,
};
use super::handshake::reassembly::{Message, Reassembler};
use super::owner_psk::KeyMaterial;
use super::record::{
    CT_ALERT, CT_APPLICATION_DATA, CT_CHANGE_CIPHER_SPEC, CT_HANDSHAKE, HEADER_LEN, parse_datagram,
    write_record,
};
use super::replay::ReplayWindow;
use super::retransmit::{Expiry, RetransmitTimer};
use super::suites::CipherSuite;

/// Source of randomness injected into the engine (randoms, cookie secrets, CBC
/// IVs; not the ECDHE keys or ECDSA nonces, which ring takes from the OS).
/// Any `rand_core::CryptoRng` implements it; tests use a seeded one.
pub trait DtlsRng: Send {
    fn fill(&mut self, dest: &mut [u8]);
}

impl<R: rand_core::CryptoRng + Send> DtlsRng for R {
    fn fill(&mut self, dest: &mut [u8]) {
        self.fill_bytes(dest)
    }
}

/// What the connection reports to its driver.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The handshake completed.
    Connected {
        suite: CipherSuite,
        extended_master_secret: bool,
        /// PSK suites: the client's identity (on both sides).
        psk_identity: Option<Vec<u8>>,
        /// PSK suites: the server's hint, if it sent one.
        psk_identity_hint: Option<Vec<u8>>,
    },
    /// The peer's certificate chain (DER, leaf first), after it verified.
    PeerCertificates(Vec<Vec<u8>>),
    /// Decrypted application data from the peer.
    ApplicationData(Vec<u8>),
    /// The connection ended: `None` after close_notify, else the error.
    Closed { error: Option<Error> },
}

/// Maximum datagrams waiting in `poll_transmit` and events in `poll_event`;
/// beyond, new ones are dropped (the peer retransmits) so memory stays bounded.
const MAX_QUEUED: usize = 256;
/// Records of the next epoch buffered until its ChangeCipherSpec arrives.
const MAX_FUTURE_RECORDS: usize = 16;
/// Largest application data record plaintext.
pub const MAX_PLAINTEXT: usize = 16384;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum State {
    ClientWaitServerHello,
    /// After ServerHello; `rank` orders Certificate(1) < SKE(2) < CertificateRequest(3).
    ClientWaitServerHelloDone {
        rank: u8,
    },
    ServerWaitClientHello,
    ServerWaitClientKeyExchange,
    ServerWaitCertificateVerify,
    WaitFinished,
    Connected,
    Closed,
}

#[derive(Clone)]
pub(crate) enum Side {
    Client(Arc<ClientConfig>),
    Server(Arc<ServerConfig>),
}

/// One message of our current flight, kept for retransmission.
pub(crate) enum FlightMsg {
    Handshake {
        epoch: u16,
        msg_type: u8,
        seq: u16,
        body: Vec<u8>,
    },
    ChangeCipherSpec,
}

/// A DTLS 1.2 connection with one peer (sans-IO). See the module docs.
pub struct Connection {
    pub(crate) side: Side,
    pub(crate) rng: Box<dyn DtlsRng>,
    pub(crate) state: State,
    pub(crate) hs: Box<HandshakeData>,
    // Record layer.
    read_epoch: u16,
    read_keys: Option<RecordProtection>,
    pub(crate) pending_read_keys: Option<RecordProtection>,
    pub(crate) write_epoch: u16,
    pub(crate) write_keys: Option<RecordProtection>,
    write_seq: [u64; 2],
    replay: [ReplayWindow; 2],
    ccs_seen: bool,
    future: Vec<(u8, u64, Vec<u8>)>,
    // Handshake transport.
    pub(crate) next_send_seq: u16,
    pub(crate) next_recv_seq: u16,
    pub(crate) reasm: Reassembler,
    peer_flight_last: Option<u16>,
    pub(crate) flight: Vec<FlightMsg>,
    timer: RetransmitTimer,
    pub(crate) now: Instant,
    pub(crate) cookie_guard: Option<CookieGuard>,
    /// The peer sent close_notify (so `send` reports `PeerClosed`).
    peer_closed: bool,
    /// Application data that arrived (authenticated, epoch 1) before the peer's
    /// Finished, e.g. reordered behind it; delivered right after `Connected`.
    early_data: Vec<Vec<u8>>,
    /// When we last resent a flight because the peer resent its own.
    last_reactive: Option<Instant>,
    out: VecDeque<Vec<u8>>,
    pub(crate) events: VecDeque<Event>,
}

impl Connection {
    fn new(side: Side, now: Instant, rng: Box<dyn DtlsRng>, state: State) -> Self {
        let c = match &side {
            Side::Client(c) => &c.common,
            Side::Server(s) => &s.common,
        };
        let timer = RetransmitTimer::new(
            c.initial_retransmit,
            c.min_retransmit,
            c.max_retransmit,
            c.max_retransmissions,
            c.initial_rtt,
        );
        Connection {
            side,
            rng,
            state,
            hs: Box::default(),
            read_epoch: 0,
            read_keys: None,
            pending_read_keys: None,
            write_epoch: 0,
            write_keys: None,
            write_seq: [0, 0],
            replay: [ReplayWindow::new(), ReplayWindow::new()],
            ccs_seen: false,
            future: Vec::new(),
            next_send_seq: 0,
            next_recv_seq: 0,
            reasm: Reassembler::new(),
            peer_flight_last: None,
            flight: Vec::new(),
            timer,
            now,
            cookie_guard: None,
            peer_closed: false,
            early_data: Vec::new(),
            last_reactive: None,
            out: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// Starts a client handshake: the first ClientHello is ready in `poll_transmit`.
    pub fn client(
        config: Arc<ClientConfig>,
        now: Instant,
        rng: impl DtlsRng + 'static,
    ) -> Result<Connection, Error> {
        if config.common.cipher_suites.is_empty() {
            return Err(Error::Config("no cipher suites".into()));
        }
        let mut c = Connection::new(
            Side::Client(config),
            now,
            Box::new(rng),
            State::ClientWaitServerHello,
        );
        c.client_start()?;
        Ok(c)
    }

    /// A server for one peer that does its own cookie exchange (stateless until the
    /// client echoes the cookie, but the `Connection` object exists). For many peers on
    /// one socket prefer [`CookieGuard`] + [`Connection::server_from_hello`].
    pub fn server(
        config: Arc<ServerConfig>,
        now: Instant,
        rng: impl DtlsRng + 'static,
    ) -> Result<Connection, Error> {
        let mut c = Connection::new(
            Side::Server(config),
            now,
            Box::new(rng),
            State::ServerWaitClientHello,
        );
        let mut secret = [0u8; 32];
        c.rng.fill(&mut secret);
        c.cookie_guard = Some(CookieGuard::new(secret));
        Ok(c)
    }

    /// A server connection from a ClientHello whose cookie a [`CookieGuard`] verified.
    pub fn server_from_hello(
        config: Arc<ServerConfig>,
        now: Instant,
        rng: impl DtlsRng + 'static,
        hello: VerifiedHello,
    ) -> Result<Connection, Error> {
        let mut c = Connection::new(
            Side::Server(config),
            now,
            Box::new(rng),
            State::ServerWaitClientHello,
        );
        if let Err(e) = c.server_accept_hello(hello) {
            c.fail(e.clone());
            return Err(e);
        }
        Ok(c)
    }

    pub(crate) fn common(&self) -> &CommonConfig {
        match &self.side {
            Side::Client(c) => &c.common,
            Side::Server(s) => &s.common,
        }
    }

    pub fn is_client(&self) -> bool {
        matches!(self.side, Side::Client(_))
    }

    /// True while we have sent our Finished and wait for the peer's. A client
    /// whose handshake times out here was heard but never confirmed: with a PSK
    /// suite that almost always means the peer derived other keys (a wrong key
    /// or PIN), since mbedTLS and OpenSSL drop the undecryptable Finished silently.
    pub fn awaits_peer_finished(&self) -> bool {
        self.state == State::WaitFinished
    }

    /// True once the handshake completed and until the connection closes.
    pub fn is_connected(&self) -> bool {
        self.state == State::Connected
    }

    /// True after close_notify (either way), a fatal alert, an error or a timeout.
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// The negotiated suite, once the ServerHello was exchanged.
    pub fn suite(&self) -> Option<CipherSuite> {
        self.hs.suite
    }

    /// The peer's verified certificate chain (empty for non-certificate suites).
    pub fn peer_certificates(&self) -> &[Vec<u8>] {
        &self.hs.peer_chain
    }

    /// Secrets for OCF's owner PSK derivation; `None` until the master secret exists.
    pub fn key_material(&self) -> Option<KeyMaterial> {
        Some(KeyMaterial {
            master_secret: self.hs.master?,
            client_random: self.hs.client_random,
            server_random: self.hs.server_random,
            suite: self.hs.suite?,
            extended_master_secret: self.hs.ems,
        })
    }

    /// Processes one received datagram (which may carry several records). Invalid
    /// records are dropped silently as RFC 6347 asks; an `Err` means the connection
    /// failed (an alert was queued and `Event::Closed` emitted).
    pub fn handle_datagram(&mut self, now: Instant, datagram: &[u8]) -> Result<(), Error> {
        self.now = now;
        if self.state == State::Closed {
            return Ok(());
        }
        if self.state == State::ServerWaitClientHello {
            return self.server_cookie_stage(datagram);
        }
        for rec in parse_datagram(datagram) {
            let r = self.handle_record(rec.content_type, rec.epoch, rec.seq, rec.payload);
            if let Err(e) = r {
                return Err(self.fail(e));
            }
            if self.state == State::Closed {
                break;
            }
        }
        Ok(())
    }

    fn server_cookie_stage(&mut self, datagram: &[u8]) -> Result<(), Error> {
        let Some(guard) = self.cookie_guard.as_ref() else {
            return Ok(());
        };
        match guard.check(b"", datagram) {
            HelloVerdict::SendHelloVerifyRequest(d) => {
                self.push_out(d);
                Ok(())
            }
            HelloVerdict::Accept(h) => {
                self.cookie_guard = None;
                self.server_accept_hello(h).map_err(|e| self.fail(e))
            }
            HelloVerdict::Drop => {
                // A fatal alert from the client (it gave up on our HelloVerifyRequest)
                // ends this connection too; anything else is ignored.
                let fatal = parse_datagram(datagram)
                    .into_iter()
                    .find(|r| r.content_type == CT_ALERT && r.epoch == 0 && r.payload.len() == 2);
                if let Some(r) = fatal.filter(|r| r.payload[0] == 2) {
                    let e = Error::AlertReceived(AlertDescription::from_u8(r.payload[1]));
                    return Err(self.fail(e));
                }
                Ok(())
            }
        }
    }

    fn handle_record(&mut self, ct: u8, epoch: u16, seq: u64, payload: &[u8]) -> Result<(), Error> {
        if self.read_epoch == 0 && epoch == 1 {
            // Next epoch before its ChangeCipherSpec (reordering): keep a few.
            if self.future.len() < MAX_FUTURE_RECORDS {
                self.future.push((ct, seq, payload.to_vec()));
            }
            return Ok(());
        }
        if epoch > 1 || epoch > self.read_epoch {
            return Ok(());
        }
        let e = epoch as usize;
        if !self.replay[e].check(seq) {
            return Ok(());
        }
        let plain = if epoch == 0 {
            payload.to_vec()
        } else {
            let Some(keys) = self.read_keys.as_ref() else {
                return Ok(());
            };
            match keys.open(epoch, seq, ct, payload) {
                Some(p) => p,
                None => {
                    // While connected a forged record is just dropped; during the
                    // handshake the epoch-1 record is the Finished, and a failure there
                    // means the keys differ (typically a wrong PSK): fail cleanly.
                    if self.state != State::Connected && ct == CT_HANDSHAKE {
                        return Err(Error::BadRecordMac);
                    }
                    return Ok(());
                }
            }
        };
        if plain.len() > MAX_PLAINTEXT {
            return Err(Error::HandshakeFailure(AlertDescription::RecordOverflow));
        }
        self.replay[e].mark(seq);
        let stale = epoch < self.read_epoch;
        match ct {
            CT_CHANGE_CIPHER_SPEC => {
                if !stale && plain == [1] {
                    self.ccs_seen = true;
                    self.try_activate_read()?;
                }
                Ok(())
            }
            CT_ALERT if !stale => self.handle_alert(&plain),
            CT_HANDSHAKE => self.handle_handshake_record(&plain, epoch),
            CT_APPLICATION_DATA if !stale && epoch == 1 => {
                if self.state == State::Connected {
                    self.push_event(Event::ApplicationData(plain));
                } else if self.early_data.len() < MAX_FUTURE_RECORDS {
                    self.early_data.push(plain);
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Switches reading to epoch 1 once both the peer's ChangeCipherSpec and our
    /// keys are there, then replays the records of epoch 1 that arrived early.
    pub(crate) fn try_activate_read(&mut self) -> Result<(), Error> {
        if self.read_epoch == 0 && self.ccs_seen && self.pending_read_keys.is_some() {
            self.read_epoch = 1;
            self.read_keys = self.pending_read_keys.take();
            let early = std::mem::take(&mut self.future);
            for (ct, seq, payload) in early {
                self.handle_record(ct, 1, seq, &payload)?;
                if self.state == State::Closed {
                    break;
                }
            }
        }
        Ok(())
    }

    fn handle_alert(&mut self, plain: &[u8]) -> Result<(), Error> {
        if plain.len() != 2 {
            return Err(Error::DecodeError);
        }
        let desc = AlertDescription::from_u8(plain[1]);
        if desc == AlertDescription::CloseNotify {
            self.peer_closed = true;
            if self.state == State::Connected {
                self.send_alert(1, AlertDescription::CloseNotify);
            }
            self.state = State::Closed;
            self.timer.stop();
            self.push_event(Event::Closed { error: None });
            return Ok(());
        }
        if plain[0] == 2 {
            return Err(Error::AlertReceived(desc));
        }
        Ok(())
    }

    fn handle_handshake_record(&mut self, plain: &[u8], epoch: u16) -> Result<(), Error> {
        let mut r = Reader::new(plain);
        while !r.is_empty() {
            let (h, frag) = HandshakeHeader::parse(&mut r)?;
            self.handle_fragment(&h, frag, epoch)?;
            if self.state == State::Closed {
                break;
            }
        }
        Ok(())
    }

    fn handle_fragment(
        &mut self,
        h: &HandshakeHeader,
        frag: &[u8],
        epoch: u16,
    ) -> Result<(), Error> {
        if self.state == State::Connected && epoch == 1 && h.fragment_offset == 0 {
            // No renegotiation: an authenticated HelloRequest or ClientHello (the
            // initial ones are in epoch 0; OpenSSL may number these from 0 again)
            // gets a no_renegotiation warning (RFC 5746 is only used to refuse it)
            // and the connection stays up.
            if h.msg_type == HELLO_REQUEST || h.msg_type == CLIENT_HELLO {
                self.send_alert(1, AlertDescription::NoRenegotiation);
                return Ok(());
            }
        }
        let whole = h.fragment_offset == 0 && h.fragment_length == h.length;
        if self.state == State::ClientWaitServerHello
            && h.msg_type == HELLO_VERIFY_REQUEST
            && epoch == 0
            && whole
            && self.client_hello_verify(frag)?
        {
            return Ok(());
        }
        if h.message_seq < self.next_recv_seq {
            // The peer retransmits a flight we already processed: our answer was
            // lost, so resend it (once per copy of the flight's last message, and
            // not more often than the shortest retransmission timeout, so that two
            // peers that both see old messages cannot bounce flights at network
            // speed).
            let last = h.fragment_offset + h.fragment_length == h.length;
            if last && Some(h.message_seq) == self.peer_flight_last && !self.flight.is_empty() {
                let gap = self.common().min_retransmit;
                if self.last_reactive.is_none_or(|t| self.now >= t + gap) {
                    self.last_reactive = Some(self.now);
                    self.transmit_flight();
                }
            }
            return Ok(());
        }
        if self.state == State::Connected {
            return Ok(());
        }
        self.reasm.add(self.next_recv_seq, h, frag)?;
        while let Some(m) = self.reasm.take(self.next_recv_seq) {
            self.next_recv_seq = self.next_recv_seq.wrapping_add(1);
            self.handle_message(m)?;
            if matches!(self.state, State::Closed | State::Connected) {
                break;
            }
        }
        Ok(())
    }

    fn handle_message(&mut self, m: Message) -> Result<(), Error> {
        if self.is_client() {
            self.client_message(m)
        } else {
            self.server_message(m)
        }
    }

    /// Fires the retransmission timer if it is due.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = now;
        if self.state == State::Closed {
            return;
        }
        match self.timer.expire(now) {
            Some(Expiry::Retransmit) => self.transmit_flight(),
            Some(Expiry::GiveUp) => {
                self.fail(Error::Timeout);
            }
            None => {}
        }
    }

    /// The next datagram to send (at most the MTU for handshake flights).
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.out.pop_front()
    }

    /// Tells the connection that what [`Connection::poll_transmit`] gave
    /// left at `now`. A flight's retransmission timer then runs from when
    /// it left rather than from when the datagram that prompted it arrived:
    /// computing a flight (the key exchange) may take a while, and the
    /// timer may be as short as [`CommonConfig::min_retransmit`]. Drivers
    /// that do not call it get timers that run from the arrival.
    pub fn transmitted(&mut self, now: Instant) {
        self.timer.transmitted(now);
    }

    /// The peer's round trip, as measured by the latest flight it answered
    /// without a retransmission (none with a retransmission counts: Karn's
    /// rule). A driver keeps it for the next connection to the same peer
    /// ([`CommonConfig::initial_rtt`]).
    pub fn rtt(&self) -> Option<std::time::Duration> {
        self.timer.rtt()
    }

    /// When `handle_timeout` should be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.state == State::Closed {
            None
        } else {
            self.timer.deadline()
        }
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Sends application data as one record (at most [`MAX_PLAINTEXT`] bytes).
    pub fn send(&mut self, data: &[u8]) -> Result<(), Error> {
        if self.peer_closed {
            return Err(Error::PeerClosed);
        }
        if self.state != State::Connected {
            return Err(Error::NotConnected);
        }
        if data.len() > MAX_PLAINTEXT {
            return Err(Error::LimitExceeded);
        }
        let mut d = Vec::with_capacity(data.len() + 64);
        self.write_protected(&mut d, CT_APPLICATION_DATA, self.write_epoch, data);
        self.push_out(d);
        Ok(())
    }

    /// Sends close_notify and closes the connection.
    pub fn close(&mut self) {
        if self.state == State::Closed {
            return;
        }
        self.send_alert(1, AlertDescription::CloseNotify);
        self.state = State::Closed;
        self.timer.stop();
    }

    /// Fails the connection: queues a fatal alert (unless the peer ended it) and
    /// emits `Event::Closed`. Returns the error for convenience.
    pub(crate) fn fail(&mut self, err: Error) -> Error {
        if self.state != State::Closed {
            if !matches!(
                err,
                Error::AlertReceived(_) | Error::Timeout | Error::PeerClosed
            ) {
                self.send_alert(2, err.alert());
            }
            self.state = State::Closed;
            self.timer.stop();
            self.push_event(Event::Closed {
                error: Some(err.clone()),
            });
        }
        err
    }

    pub(crate) fn push_event(&mut self, e: Event) {
        if self.events.len() < MAX_QUEUED || matches!(e, Event::Closed { .. }) {
            self.events.push_back(e);
        }
    }

    fn push_out(&mut self, d: Vec<u8>) {
        if self.out.len() < MAX_QUEUED {
            self.out.push_back(d);
        }
    }

    fn send_alert(&mut self, level: u8, desc: AlertDescription) {
        let mut d = Vec::with_capacity(64);
        self.write_protected(&mut d, CT_ALERT, self.write_epoch, &[level, desc.to_u8()]);
        self.push_out(d);
    }

    /// Appends one record, protected with the keys of `epoch`.
    fn write_protected(&mut self, out: &mut Vec<u8>, ct: u8, epoch: u16, plain: &[u8]) {
        let e = (epoch as usize).min(1);
        let seq = self.write_seq[e];
        self.write_seq[e] += 1;
        if epoch == 0 {
            write_record(out, ct, 0, seq, plain);
        } else if let Some(k) = self.write_keys.as_ref() {
            let mut iv = [0u8; 16];
            if matches!(k, RecordProtection::Cbc(_)) {
                self.rng.fill(&mut iv);
            }
            let k = self.write_keys.as_ref().expect("checked above");
            let payload = k.seal(epoch, seq, ct, plain, iv);
            write_record(out, ct, epoch, seq, &payload);
        }
    }

    pub(crate) fn set_write_seq0(&mut self, seq: u64) {
        self.write_seq[0] = seq;
    }

    // ---- flights ----

    /// Begins a new flight: the peer's previous flight is complete, which
    /// answers ours (a round trip for the timer).
    pub(crate) fn begin_flight(&mut self) {
        self.timer.acknowledged(self.now);
        self.flight.clear();
        self.peer_flight_last = self.next_recv_seq.checked_sub(1);
    }

    /// Adds a handshake message to the flight and the transcript.
    pub(crate) fn queue_handshake(&mut self, msg_type: u8, body: Vec<u8>) {
        let seq = self.next_send_seq;
        self.next_send_seq = self.next_send_seq.wrapping_add(1);
        self.hs
            .transcript
            .extend_from_slice(&super::handshake::messages::full_message(
                msg_type, seq, &body,
            ));
        self.flight.push(FlightMsg::Handshake {
            epoch: self.write_epoch,
            msg_type,
            seq,
            body,
        });
    }

    /// Adds ChangeCipherSpec; later messages use epoch 1.
    pub(crate) fn queue_ccs(&mut self) {
        self.flight.push(FlightMsg::ChangeCipherSpec);
        self.write_epoch = 1;
    }

    /// Sends the flight; with `expect_reply` the retransmission timer runs until
    /// the next flight replaces this one.
    pub(crate) fn send_flight(&mut self, expect_reply: bool) {
        self.transmit_flight();
        if expect_reply {
            self.timer.start(self.now);
        } else {
            self.timer.stop();
        }
    }

    /// The handshake is over: the peer's last flight answered ours.
    pub(crate) fn stop_timer(&mut self) {
        self.timer.acknowledged(self.now);
        self.timer.stop();
    }

    /// Serialises the current flight into datagrams of at most the MTU, fragmenting
    /// handshake messages as needed. Retransmissions get fresh record numbers.
    fn transmit_flight(&mut self) {
        // Below ~200 bytes a record could not carry any handshake payload after overhead.
        let mtu = self.common().mtu.max(200);
        let flight = std::mem::take(&mut self.flight);
        let mut dgram: Vec<u8> = Vec::with_capacity(mtu);
        for m in &flight {
            match m {
                FlightMsg::ChangeCipherSpec => {
                    if dgram.len() + HEADER_LEN + 1 > mtu {
                        self.push_out(std::mem::take(&mut dgram));
                    }
                    self.write_protected(&mut dgram, CT_CHANGE_CIPHER_SPEC, 0, &[1]);
                }
                FlightMsg::Handshake {
                    epoch,
                    msg_type,
                    seq,
                    body,
                } => {
                    let overhead = if *epoch == 0 {
                        0
                    } else {
                        self.write_keys.as_ref().map_or(0, |k| k.max_overhead())
                    };
                    let per_record = HEADER_LEN + overhead + HANDSHAKE_HEADER_LEN;
                    let mut off = 0usize;
                    loop {
                        let mut room = mtu.saturating_sub(dgram.len() + per_record);
                        if room < 32.min(body.len() - off + 1) && !dgram.is_empty() {
                            self.push_out(std::mem::take(&mut dgram));
                            room = mtu - per_record;
                        }
                        let n = room.min(body.len() - off);
                        let mut p = Vec::with_capacity(HANDSHAKE_HEADER_LEN + n);
                        HandshakeHeader {
                            msg_type: *msg_type,
                            length: body.len() as u32,
                            message_seq: *seq,
                            fragment_offset: off as u32,
                            fragment_length: n as u32,
                        }
                        .write(&mut p);
                        p.extend_from_slice(&body[off..off + n]);
                        self.write_protected(&mut dgram, CT_HANDSHAKE, *epoch, &p);
                        off += n;
                        if off >= body.len() {
                            break;
                        }
                    }
                }
            }
        }
        if !dgram.is_empty() {
            self.push_out(dgram);
        }
        self.flight = flight;
    }

    pub(crate) fn connected(&mut self) {
        self.state = State::Connected;
        self.reasm.clear();
        let suite = self.hs.suite.expect("suite chosen before Finished");
        self.push_event(Event::Connected {
            suite,
            extended_master_secret: self.hs.ems,
            psk_identity: self.hs.psk_identity.clone(),
            psk_identity_hint: self.hs.psk_hint.clone(),
        });
        for d in std::mem::take(&mut self.early_data) {
            self.push_event(Event::ApplicationData(d));
        }
    }
}
