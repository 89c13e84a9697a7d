//! The client side of CoAP over UDP as a sans-IO state machine.
//!
//! [`Client`] sends requests and reassembles their responses. It owns no
//! socket and reads no clock: the driver feeds it datagrams and the current
//! time, and polls it for datagrams to send, the next deadline and events.
//! One `Client` multiplexes any number of exchanges with any number of peers,
//! which is what multicast discovery and batch provisioning need.
//!
//! What it takes care of:
//! - confirmable requests with RFC 7252 retransmission (random factor 1.5,
//!   MAX_RETRANSMIT 4, or more within MAX_TRANSMIT_SPAN) whose timeout is
//!   CoCoA's ([`super::rto`]): measured per peer from the exchanges
//!   answered, ACK_TIMEOUT (2 s) only while nothing is known of a peer,
//!   doubling on each retransmission (1.5 from above 3 s);
//! - piggybacked and separate responses: an empty ACK stops retransmission and
//!   the separate CON response is acknowledged (the reference device sends the
//!   last Block2 block this way). A safe request (GET) whose separate
//!   response is late is asked again, on the measured round trip (see
//!   [`REASKS`]);
//! - duplicate detection for responses, re-acknowledging duplicated CONs;
//! - Block2 reassembly with ETag checks and a body size cap, and Block1 for
//!   request bodies larger than one block;
//! - non-confirmable multicast requests, answered by any number of peers, each
//!   of whose block-wise answers is completed by unicast follow-ups.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::message::{Code, Message, MessageType};
use super::option::{Block, OptionNumber, Options};
use super::recent::Recent;
use super::rto::Cocoa;

/// How often a safe request acknowledged with an empty ACK is asked again
/// while its separate response is late. The reference device sends that
/// response right after the ACK (the last block of every block-wise GET),
/// but retransmits it on its own blind 2 s timer: at 10 % loss each way, a
/// tenth of block-wise reads waited 2 s or more for it (a third of all the
/// slow `provision`s of `benches/lossy.sh`). A new request (new message id,
/// same token) after twice the path's RTO, doubling each time, costs a LAN
/// tens of milliseconds instead; a GET changes nothing, so asking
/// twice is harmless, and either answer completes the exchange.
pub const REASKS: u32 = 4;

/// Transmission parameters and limits.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// RFC 7252 ACK_TIMEOUT: the RTO for a peer nothing was measured of
    /// (CoCoA's blind estimate). RFC 7252 §4.8.1 does not let it go below 1 s.
    pub ack_timeout: Duration,
    /// RFC 7252 ACK_RANDOM_FACTOR, as a fraction: the first timeout is drawn
    /// from `[ack_timeout, ack_timeout * ack_random_factor]`.
    pub ack_random_factor: f64,
    /// RFC 7252 MAX_RETRANSMIT.
    pub max_retransmit: u32,
    /// How long to wait for a separate response after an empty ACK.
    pub separate_response_timeout: Duration,
    /// The largest response body accepted, after Block2 reassembly.
    pub max_body: usize,
    /// Block size asked for in Block2 follow-ups and used for Block1 (16..=1024).
    pub block_size: usize,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            ack_timeout: Duration::from_secs(2),
            ack_random_factor: 1.5,
            max_retransmit: 4,
            separate_response_timeout: Duration::from_secs(30),
            max_body: 256 * 1024,
            block_size: 1024,
        }
    }
}

/// What to ask.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub code: Code,
    /// Uri-Path, Uri-Query, Accept and any other request options.
    pub options: Options,
    pub payload: Vec<u8>,
}

impl Request {
    /// A GET for `href` (`/path?query`) with no other options.
    pub fn get(href: &str) -> Self {
        Request::new(Code::GET, href)
    }

    pub fn new(code: Code, href: &str) -> Self {
        let mut options = Options::default();
        options.set_uri(href);
        Request {
            code,
            options,
            payload: Vec::new(),
        }
    }
}

/// A complete response: the body of every block, the options of the first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub code: Code,
    pub options: Options,
    pub payload: Vec<u8>,
}

impl Response {
    pub fn content_format(&self) -> Option<u16> {
        self.options
            .get_uint(OptionNumber::CONTENT_FORMAT)
            .and_then(|v| u16::try_from(v).ok())
    }
}

/// Identifies one request given to [`Client::request`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

/// A datagram to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transmit {
    pub destination: SocketAddr,
    pub datagram: Vec<u8>,
}

/// What happened to a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A complete response. Unicast requests get exactly one `Response` or
    /// `Failed`; multicast requests get one per answering peer.
    Response {
        id: RequestId,
        from: SocketAddr,
        response: Response,
    },
    /// The request failed (for multicast: completing one peer's answer failed).
    Failed {
        id: RequestId,
        peer: SocketAddr,
        error: Error,
    },
}

/// Why a request failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// No acknowledgement after every retransmission, or no separate
    /// response in time after an empty ACK.
    Timeout,
    /// The peer answered with a Reset: it rejected the message.
    Reset,
    /// The response body grew beyond [`ClientConfig::max_body`].
    BodyTooLarge { limit: usize },
    /// A Block2 response did not carry the block that was asked for.
    UnexpectedBlock { expected: u32, received: u32 },
    /// A non-final block was not of the size its Block2 option announces,
    /// or a Block option could not be decoded.
    MalformedBlock,
    /// The resource changed (a new ETag) twice while it was being fetched.
    ResourceChanging,
    /// The peer's host reported that nothing listens on its port (ICMP
    /// port unreachable, told by the driver through
    /// [`Client::handle_unreachable`]).
    Unreachable,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout => f.write_str("no answer from the peer (timed out)"),
            Self::Reset => f.write_str("the peer rejected the message (CoAP Reset)"),
            Self::BodyTooLarge { limit } => {
                write!(f, "the response body exceeds the limit of {limit} bytes")
            }
            Self::UnexpectedBlock { expected, received } => write!(
                f,
                "asked for Block2 block {expected} but the peer sent block {received}"
            ),
            Self::MalformedBlock => f.write_str("the peer sent a malformed block-wise response"),
            Self::ResourceChanging => {
                f.write_str("the resource kept changing while it was being read (ETag)")
            }
            Self::Unreachable => f.write_str("nothing listens on the peer's port"),
        }
    }
}

impl std::error::Error for Error {}

/// How long to remember a response's message id to recognise duplicates
/// (RFC 7252 EXCHANGE_LIFETIME).
const EXCHANGE_LIFETIME: Duration = Duration::from_secs(247);
/// The most message ids remembered for duplicate detection.
const MAX_REMEMBERED: usize = 4096;
/// The most peers whose RTO state is kept; beyond, the states of peers
/// with nothing running are dropped.
const MAX_PATHS: usize = 4096;

/// The client state machine.
pub struct Client {
    config: ClientConfig,
    rng: SplitMix64,
    next_message_id: u16,
    next_request_id: u64,
    exchanges: HashMap<RequestId, Exchange>,
    /// Outstanding sends by token, so responses find their exchange.
    by_token: HashMap<Vec<u8>, Slot>,
    /// Confirmable messages in flight, by destination and message id, so
    /// ACKs and Resets find their exchange without a scan.
    by_message_id: HashMap<(SocketAddr, u16), RequestId>,
    /// Message ids of responses already seen, by sender.
    seen: Recent<(SocketAddr, u16), ()>,
    /// CoCoA's RTO state of each peer (CoCoA's scope: the endpoint).
    paths: HashMap<SocketAddr, Cocoa>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
}

/// One exchange with one peer: a unicast request, or the block-wise
/// completion of one peer's answer to a multicast request.
struct Exchange {
    request: Request,
    multicast: Option<SocketAddr>,
    /// Per-peer transfers; for unicast exactly one.
    transfers: HashMap<SocketAddr, Transfer>,
}

struct Transfer {
    /// The message in flight and its retransmission state.
    flight: Option<Flight>,
    body: Vec<u8>,
    first_options: Option<Options>,
    etag: Option<Vec<u8>>,
    etag_restarts: u8,
    /// Block2 blocks received so far; above 0, requests are follow-ups.
    blocks_received: u32,
    /// Bytes of the request body already acknowledged through Block1.
    block1_sent: usize,
    block1_size: usize,
}

struct Flight {
    message: Message,
    confirmable: bool,
    /// Retransmissions so far.
    attempts: u32,
    /// The wait after the latest transmission.
    timeout: Duration,
    deadline: Option<Instant>,
    acknowledged: bool,
    /// When the first transmission left: round trips are timed from it.
    first_sent: Instant,
    /// The first transmission's timeout, which picks the backoff factor.
    initial: Duration,
    /// The dithering drawn for it (1 to ACK_RANDOM_FACTOR).
    dither: f64,
    /// Sent while nothing was known of the peer: its timeout is shortened
    /// once the first answer of the peer tells its round trip.
    blind: bool,
    /// Retransmitted on a blind timeout: its answer then measures the guess
    /// rather than the path, and is not used (see [`super::rto`]).
    retransmitted_blind: bool,
    /// Once an empty ACK came: when to stop waiting for the separate
    /// response, however often the request is asked again.
    separate_until: Option<Instant>,
    /// How often it was asked again for a late separate response.
    reasks: u32,
}

#[derive(Clone, Copy)]
struct Slot {
    id: RequestId,
    /// The unicast peer the token was sent to; `None` for a multicast request.
    peer: Option<SocketAddr>,
}

impl Client {
    /// A client whose message ids, tokens and timer jitter come from `seed`
    /// (the driver passes OS randomness; tests a fixed number).
    pub fn new(config: ClientConfig, seed: u64) -> Self {
        let mut rng = SplitMix64(seed);
        let next_message_id = rng.next() as u16;
        Client {
            config,
            rng,
            next_message_id,
            next_request_id: 1,
            exchanges: HashMap::new(),
            by_token: HashMap::new(),
            by_message_id: HashMap::new(),
            seen: Recent::new(EXCHANGE_LIFETIME, MAX_REMEMBERED),
            paths: HashMap::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// What was measured of `peer`: its CoCoA state, when it answered an
    /// exchange (or one was given with [`Client::learn_path`]).
    pub fn path(&self, peer: SocketAddr) -> Option<&Cocoa> {
        self.paths.get(&peer).filter(|p| !p.is_blind())
    }

    /// Takes what an earlier client (or another layer, a DTLS handshake)
    /// measured of `peer`, unless this client measured it already: CoCoA
    /// §4.3 asks that the RTO state outlive one exchange, and a driver that
    /// opens a client per operation passes it on this way.
    pub fn learn_path(&mut self, peer: SocketAddr, path: Cocoa) {
        if self.paths.get(&peer).is_none_or(Cocoa::is_blind) && !path.is_blind() {
            self.bound_paths();
            self.paths.insert(peer, path);
        }
    }

    /// Starts a confirmable request to one peer.
    pub fn request(&mut self, now: Instant, peer: SocketAddr, request: Request) -> RequestId {
        let id = self.allocate_id();
        let mut exchange = Exchange {
            request,
            multicast: None,
            transfers: HashMap::new(),
        };
        exchange
            .transfers
            .insert(peer, Transfer::new(self.config.block_size));
        self.exchanges.insert(id, exchange);
        self.send_next(now, id, peer);
        id
    }

    /// Sends a non-confirmable request to a multicast group. Answers arrive as
    /// events until [`Client::cancel`] is called.
    pub fn multicast(&mut self, group: SocketAddr, request: Request) -> RequestId {
        let id = self.allocate_id();
        let mut message =
            Message::new(MessageType::NonConfirmable, request.code, self.message_id());
        message.token = self.token();
        message.options = request.options.clone();
        message.payload = request.payload.clone();
        self.by_token
            .insert(message.token.clone(), Slot { id, peer: None });
        self.transmits.push_back(Transmit {
            destination: group,
            datagram: message.encode(),
        });
        self.exchanges.insert(
            id,
            Exchange {
                request,
                multicast: Some(group),
                transfers: HashMap::new(),
            },
        );
        id
    }

    /// Forgets a request: no more events or retransmissions for it.
    pub fn cancel(&mut self, id: RequestId) {
        self.exchanges.remove(&id);
        self.by_token.retain(|_, slot| slot.id != id);
        self.by_message_id.retain(|_, owner| *owner != id);
    }

    /// Whether a request is still running.
    pub fn is_active(&self, id: RequestId) -> bool {
        self.exchanges.contains_key(&id)
    }

    /// The number of requests still running.
    pub fn active(&self) -> usize {
        self.exchanges.len()
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The next instant at which [`Client::handle_timeout`] has work to do.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.exchanges
            .values()
            .flat_map(|e| e.transfers.values())
            .filter_map(|t| t.flight.as_ref()?.deadline)
            .min()
    }

    /// Retransmits or gives up on requests whose deadline has passed.
    pub fn handle_timeout(&mut self, now: Instant) {
        let span = self.max_transmit_span();
        let mut expired = Vec::new();
        let mut reasks = Vec::new();
        for (id, exchange) in &mut self.exchanges {
            for (peer, transfer) in &mut exchange.transfers {
                let Some(flight) = transfer.flight.as_mut() else {
                    continue;
                };
                let Some(deadline) = flight.deadline else {
                    continue;
                };
                if deadline > now {
                    continue;
                }
                if flight.acknowledged && flight.separate_until.is_some_and(|until| now < until) {
                    reasks.push((*id, *peer));
                } else if flight.confirmable
                    && !flight.acknowledged
                    && (flight.attempts < self.config.max_retransmit
                        || now.saturating_duration_since(flight.first_sent) <= span)
                {
                    flight.attempts += 1;
                    flight.retransmitted_blind |= flight.blind;
                    flight.timeout = Cocoa::backoff(flight.initial, flight.timeout);
                    flight.deadline = Some(now + flight.timeout);
                    self.transmits.push_back(Transmit {
                        destination: *peer,
                        datagram: flight.message.encode(),
                    });
                } else if flight.confirmable && !flight.acknowledged {
                    // After the last retransmission, wait one more timeout
                    // for its answer before giving up.
                    flight.acknowledged = true;
                    flight.deadline = Some(now + flight.timeout);
                } else {
                    expired.push((*id, *peer));
                }
            }
        }
        for (id, peer) in expired {
            self.fail(id, peer, Error::Timeout);
        }
        for (id, peer) in reasks {
            self.reask(now, id, peer);
        }
        self.seen.expire(now);
    }

    /// Asks again for a separate response that is late: the same request
    /// and token under a new message id, on the path's RTO; or, once the
    /// re-asks are spent (or nothing was measured), waits for it until
    /// `separate_until`.
    fn reask(&mut self, now: Instant, id: RequestId, peer: SocketAddr) {
        let rto = self.measured_rto(now, peer);
        let message_id = self.message_id();
        let dither = self.dither();
        let Some(flight) = self
            .exchanges
            .get_mut(&id)
            .and_then(|e| e.transfers.get_mut(&peer)?.flight.as_mut())
        else {
            return;
        };
        let until = flight.separate_until.unwrap_or(now);
        let Some(rto) = rto.filter(|_| flight.reasks < REASKS && is_safe(flight.message.code))
        else {
            flight.deadline = Some(until);
            return;
        };
        self.by_message_id
            .remove(&(peer, flight.message.message_id));
        self.by_message_id.insert((peer, message_id), id);
        flight.message.message_id = message_id;
        flight.reasks += 1;
        flight.acknowledged = false;
        flight.attempts = 0;
        flight.first_sent = now;
        flight.timeout = rto.mul_f64(dither);
        flight.initial = flight.timeout;
        flight.deadline = Some(now + flight.timeout);
        self.transmits.push_back(Transmit {
            destination: peer,
            datagram: flight.message.encode(),
        });
    }

    /// The RTO measured for `peer`, if anything was.
    fn measured_rto(&mut self, now: Instant, peer: SocketAddr) -> Option<Duration> {
        self.paths
            .get_mut(&peer)
            .filter(|p| !p.is_blind())
            .map(|p| p.rto(now))
    }

    /// Takes in one received datagram. A datagram that is not a CoAP message
    /// is reported as an error and otherwise ignored.
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        from: SocketAddr,
        datagram: &[u8],
    ) -> Result<(), super::DecodeError> {
        let message = Message::decode(datagram)?;
        match message.mtype {
            MessageType::Acknowledgement | MessageType::Reset => {
                self.on_ack_or_reset(now, from, message)
            }
            MessageType::Confirmable | MessageType::NonConfirmable => {
                if !message.code.is_response() {
                    // We serve nothing: refuse requests politely.
                    if message.mtype == MessageType::Confirmable {
                        self.send_raw(from, Message::reset(message.message_id));
                    }
                    return Ok(());
                }
                let confirmable = message.mtype == MessageType::Confirmable;
                let duplicate = self.remember(now, from, message.message_id);
                let known = self.by_token.contains_key(&message.token);
                if confirmable {
                    if known || duplicate {
                        self.send_raw(from, Message::empty_ack(message.message_id));
                    } else {
                        self.send_raw(from, Message::reset(message.message_id));
                    }
                }
                if !duplicate {
                    self.on_response(now, from, message);
                }
            }
        }
        Ok(())
    }

    fn on_ack_or_reset(&mut self, now: Instant, from: SocketAddr, message: Message) {
        let mid = message.message_id;
        let Some(&id) = self.by_message_id.get(&(from, mid)) else {
            return;
        };
        let found = self.exchanges.get_mut(&id).and_then(|exchange| {
            let flight = exchange.transfers.get_mut(&from)?.flight.as_mut()?;
            (flight.message.message_id == mid).then_some((id, flight))
        });
        let Some((id, flight)) = found else {
            return;
        };
        if !flight.acknowledged {
            // The peer answered this exchange: a round trip (CoCoA §4.2).
            let rtt = now - flight.first_sent;
            let retransmissions = if flight.retransmitted_blind {
                u32::MAX
            } else {
                flight.attempts
            };
            self.measured(now, from, rtt, retransmissions);
        }
        let rto = self.measured_rto(now, from);
        let Some(flight) = self
            .exchanges
            .get_mut(&id)
            .and_then(|e| e.transfers.get_mut(&from)?.flight.as_mut())
        else {
            return;
        };
        if message.mtype == MessageType::Reset {
            self.by_message_id.remove(&(from, mid));
            self.fail(id, from, Error::Reset);
            return;
        }
        if message.code.is_empty() {
            // Separate response follows: stop retransmitting and wait, or
            // ask again if it is late (REASKS).
            if !flight.acknowledged {
                flight.acknowledged = true;
                let until = *flight
                    .separate_until
                    .get_or_insert(now + self.config.separate_response_timeout);
                let reask = rto
                    .filter(|_| flight.reasks < REASKS && is_safe(flight.message.code))
                    .map(|rto| now + rto * (2 << flight.reasks));
                flight.deadline = Some(reask.map_or(until, |at| at.min(until)));
            }
            return;
        }
        if message.token == flight.message.token {
            // Not remembered as seen: an ACK carries our own message id,
            // and `seen` holds the peer's (of its CON and NON messages), a
            // space of its own (RFC 7252 §4.4). A separate response whose
            // id happened to equal one of ours was taken for a duplicate,
            // acknowledged and dropped, and so was every re-ask's answer
            // (the peer's ids rising with ours): about 1 device in 50,000.
            // A repeated piggybacked answer finds no flight and is ignored.
            self.by_message_id.remove(&(from, mid));
            self.on_response(now, from, message);
        }
    }

    fn on_response(&mut self, now: Instant, from: SocketAddr, message: Message) {
        let Some(slot) = self.by_token.get(&message.token).copied() else {
            return;
        };
        if slot.peer.is_some_and(|peer| peer != from) {
            return;
        }
        let Some(exchange) = self.exchanges.get_mut(&slot.id) else {
            return;
        };
        let id = slot.id;
        if exchange.multicast.is_some() && slot.peer.is_none() {
            if exchange.transfers.contains_key(&from) {
                return; // this peer already answered; its follow-ups run on their own token
            }
            exchange
                .transfers
                .insert(from, Transfer::new(self.config.block_size));
        }
        let Some(transfer) = exchange.transfers.get_mut(&from) else {
            return;
        };
        if slot.peer.is_some() {
            self.by_token.remove(&message.token);
            if let Some(flight) = transfer.flight.take() {
                self.by_message_id
                    .remove(&(from, flight.message.message_id));
            }
        }
        match transfer.accept(&message, &self.config, &exchange.request) {
            Ok(Progress::Done) => {
                let transfer = exchange.transfers.remove(&from).expect("present");
                let response = transfer.into_response(message.code);
                if exchange.multicast.is_none() {
                    self.exchanges.remove(&id);
                }
                self.events
                    .push_back(Event::Response { id, from, response });
            }
            Ok(Progress::More) => self.send_next(now, id, from),
            Err(error) => self.fail(id, from, error),
        }
    }

    /// Sends the next message of a transfer: the request itself, its next
    /// Block1 part, or a Block2 follow-up.
    fn send_next(&mut self, now: Instant, id: RequestId, peer: SocketAddr) {
        let message_id = self.message_id();
        let token = self.token();
        let dither = self.dither();
        let (rto, blind) = self.rto_for(now, peer);
        let first_timeout = rto.mul_f64(dither);
        let Some(exchange) = self.exchanges.get_mut(&id) else {
            return;
        };
        let Some(transfer) = exchange.transfers.get_mut(&peer) else {
            return;
        };
        let mut message = Message::new(MessageType::Confirmable, exchange.request.code, message_id);
        message.token = token.clone();
        message.options = exchange.request.options.clone();
        let body = &exchange.request.payload;
        if transfer.blocks_received > 0 {
            // Block2 follow-up: a GET-like repeat of the request without body.
            message.options.set(OptionNumber::BLOCK2, {
                let size = transfer.block2_size();
                Block::new((transfer.body.len() / size) as u32, false, size).encode()
            });
        } else if exchange.request.code == Code::GET && transfer.block1_size < 1024 {
            // Ask for small blocks from the start (RFC 7959 §2.4 early negotiation).
            message.options.set(
                OptionNumber::BLOCK2,
                Block::new(0, false, transfer.block1_size).encode(),
            );
        } else if body.len() > transfer.block1_size || transfer.block1_sent > 0 {
            let size = transfer.block1_size;
            let start = transfer.block1_sent;
            let end = (start + size).min(body.len());
            let more = end < body.len();
            let num = (start / size) as u32;
            message
                .options
                .set(OptionNumber::BLOCK1, Block::new(num, more, size).encode());
            if start == 0 {
                message.options.set_uint(
                    OptionNumber::SIZE1,
                    u32::try_from(body.len()).unwrap_or(u32::MAX),
                );
            }
            message.payload = body[start..end].to_vec();
        } else {
            message.payload = body.clone();
        }
        self.by_token.insert(
            token,
            Slot {
                id,
                peer: Some(peer),
            },
        );
        self.by_message_id.insert((peer, message_id), id);
        self.transmits.push_back(Transmit {
            destination: peer,
            datagram: message.encode(),
        });
        transfer.flight = Some(Flight {
            message,
            confirmable: true,
            attempts: 0,
            timeout: first_timeout,
            deadline: Some(now + first_timeout),
            acknowledged: false,
            first_sent: now,
            initial: first_timeout,
            dither,
            blind,
            retransmitted_blind: false,
            separate_until: None,
            reasks: 0,
        });
    }

    /// The RTO for a new exchange with `peer`, and whether it is blind. A
    /// blind one grows with the exchanges already waiting for the peer
    /// (CoCoA §4.1): discovery asks a device three things at once. (This
    /// client does not queue requests for NSTART = 1; its drivers send one
    /// request at a time to a device, except discovery.)
    fn rto_for(&mut self, now: Instant, peer: SocketAddr) -> (Duration, bool) {
        let waiting = self
            .exchanges
            .values()
            .filter_map(|e| e.transfers.get(&peer)?.flight.as_ref())
            .filter(|f| f.confirmable && !f.acknowledged)
            .count() as u32;
        let blind = self.config.ack_timeout;
        let path = self
            .paths
            .entry(peer)
            .or_insert_with(|| Cocoa::new(blind, now));
        let rto = path.rto_for_parallel(now, waiting + 1);
        (rto, path.is_blind())
    }

    /// An exchange with `from` was answered `rtt` after its first
    /// transmission. Updates the peer's RTO; exchanges sent to it blind
    /// and not yet retransmitted then wait for the new RTO instead (as
    /// RFC 6298 §5.3 restarts TCP's timer with the current RTO).
    fn measured(&mut self, now: Instant, from: SocketAddr, rtt: Duration, retransmissions: u32) {
        let blind = self.config.ack_timeout;
        self.bound_paths();
        let path = self
            .paths
            .entry(from)
            .or_insert_with(|| Cocoa::new(blind, now));
        path.on_answer(now, rtt, retransmissions);
        if path.is_blind() {
            return;
        }
        let rto = path.rto(now);
        for exchange in self.exchanges.values_mut() {
            let Some(flight) = exchange
                .transfers
                .get_mut(&from)
                .and_then(|t| t.flight.as_mut())
            else {
                continue;
            };
            if !flight.blind || flight.attempts > 0 || flight.acknowledged {
                continue;
            }
            flight.blind = false;
            let timeout = rto.mul_f64(flight.dither);
            if timeout < flight.timeout {
                flight.timeout = timeout;
                flight.initial = timeout;
                let due = (flight.first_sent + timeout).max(now);
                flight.deadline = Some(flight.deadline.map_or(due, |d| d.min(due)));
            }
        }
    }

    /// Keeps the RTO states bounded: past [`MAX_PATHS`], those of peers
    /// with nothing running go.
    fn bound_paths(&mut self) {
        if self.paths.len() < MAX_PATHS {
            return;
        }
        let busy: std::collections::HashSet<SocketAddr> = self
            .exchanges
            .values()
            .flat_map(|e| e.transfers.keys().copied())
            .collect();
        self.paths.retain(|peer, _| busy.contains(peer));
    }

    /// The driver learnt that nothing listens at `peer`: every unicast
    /// request to it fails at once with [`Error::Unreachable`] instead of
    /// after its retransmissions.
    pub fn handle_unreachable(&mut self, peer: SocketAddr) {
        let ids: Vec<RequestId> = self
            .exchanges
            .iter()
            .filter(|(_, e)| e.multicast.is_none() && e.transfers.contains_key(&peer))
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            self.fail(id, peer, Error::Unreachable);
        }
    }

    fn fail(&mut self, id: RequestId, peer: SocketAddr, error: Error) {
        let Some(exchange) = self.exchanges.get_mut(&id) else {
            return;
        };
        if let Some(flight) = exchange.transfers.remove(&peer).and_then(|t| t.flight) {
            self.by_message_id
                .remove(&(peer, flight.message.message_id));
        }
        self.by_token
            .retain(|_, slot| !(slot.id == id && slot.peer == Some(peer)));
        if exchange.multicast.is_none() {
            self.exchanges.remove(&id);
        }
        self.events.push_back(Event::Failed { id, peer, error });
    }

    fn send_raw(&mut self, destination: SocketAddr, message: Message) {
        self.transmits.push_back(Transmit {
            destination,
            datagram: message.encode(),
        });
    }

    /// Records a response's message id; true when it was seen before.
    fn remember(&mut self, now: Instant, from: SocketAddr, message_id: u16) -> bool {
        self.seen.insert(now, (from, message_id), ())
    }

    fn allocate_id(&mut self) -> RequestId {
        let id = RequestId(self.next_request_id);
        self.next_request_id += 1;
        id
    }

    fn message_id(&mut self) -> u16 {
        let id = self.next_message_id;
        self.next_message_id = self.next_message_id.wrapping_add(1);
        id
    }

    fn token(&mut self) -> Vec<u8> {
        loop {
            let token = self.rng.next().to_be_bytes()[..4].to_vec();
            if !self.by_token.contains_key(&token) {
                return token;
            }
        }
    }

    /// RFC 7252 §4.8.2's MAX_TRANSMIT_SPAN: how long after its first
    /// transmission a confirmable message may still be retransmitted.
    /// MAX_RETRANSMIT retransmissions from ACK_TIMEOUT take that long; an
    /// exchange that started from a shorter, measured RTO may retransmit
    /// more often within it. Otherwise CoCoA's backoff would spend them
    /// in a few seconds on a lossy LAN: with 10 % lost each way, one
    /// exchange in a thousand would lose five transmissions in a row.
    fn max_transmit_span(&self) -> Duration {
        let doublings = (1u32 << self.config.max_retransmit.min(16)) - 1;
        (self.config.ack_timeout * doublings).mul_f64(self.config.ack_random_factor.max(1.0))
    }

    /// RFC 7252's dithering of a first timeout: a factor from 1 to
    /// ACK_RANDOM_FACTOR (CoCoA keeps it, §4.2.1).
    fn dither(&mut self) -> f64 {
        1.0 + (self.config.ack_random_factor - 1.0).max(0.0) * self.rng.unit()
    }
}

/// Whether asking twice changes nothing (RFC 7252 §5.1: GET is safe;
/// this client sends no FETCH).
fn is_safe(code: Code) -> bool {
    code == Code::GET
}

enum Progress {
    More,
    Done,
}

impl Transfer {
    fn new(block_size: usize) -> Self {
        Transfer {
            flight: None,
            body: Vec::new(),
            first_options: None,
            etag: None,
            etag_restarts: 0,
            blocks_received: 0,
            block1_sent: 0,
            block1_size: Block::new(0, false, block_size).size(),
        }
    }

    fn block2_size(&self) -> usize {
        self.first_options
            .as_ref()
            .and_then(|o| Block::decode(o.get(OptionNumber::BLOCK2)?))
            .map_or(1024, Block::size)
            .min(self.block1_size)
    }

    /// Folds one response message into the transfer.
    fn accept(
        &mut self,
        message: &Message,
        config: &ClientConfig,
        request: &Request,
    ) -> Result<Progress, Error> {
        // Block1: the peer acknowledges a part of our request body.
        if message.code == Code::CONTINUE {
            let block = message
                .options
                .get(OptionNumber::BLOCK1)
                .and_then(Block::decode)
                .ok_or(Error::MalformedBlock)?;
            // The peer stored the whole part we sent; it may ask for smaller
            // parts from now on (RFC 7959 §2.5).
            let sent_end = (self.block1_sent + self.block1_size).min(request.payload.len());
            if block.offset() >= sent_end || sent_end >= request.payload.len() {
                return Err(Error::MalformedBlock);
            }
            self.block1_sent = sent_end;
            self.block1_size = self.block1_size.min(block.size());
            return Ok(Progress::More);
        }
        // Any other answer, to the last part or an earlier one (4.13, 4.01 …),
        // is the answer to the whole request.
        let Some(raw) = message.options.get(OptionNumber::BLOCK2) else {
            if self.blocks_received > 0 {
                return Err(Error::MalformedBlock);
            }
            if message.payload.len() > config.max_body {
                return Err(Error::BodyTooLarge {
                    limit: config.max_body,
                });
            }
            self.body = message.payload.clone();
            self.first_options = Some(message.options.clone());
            return Ok(Progress::Done);
        };
        let block = Block::decode(raw).ok_or(Error::MalformedBlock)?;
        let etag = message.options.get(OptionNumber::ETAG).map(<[u8]>::to_vec);
        if self.blocks_received > 0 && etag != self.etag {
            // The representation changed under us: start over, once.
            if self.etag_restarts > 0 {
                return Err(Error::ResourceChanging);
            }
            self.etag_restarts += 1;
            self.body.clear();
            self.first_options = None;
            self.blocks_received = 0;
            if block.num != 0 {
                return Ok(Progress::More);
            }
        }
        if block.offset() != self.body.len() {
            return Err(Error::UnexpectedBlock {
                expected: (self.body.len() / block.size()) as u32,
                received: block.num,
            });
        }
        if block.more && message.payload.len() != block.size() {
            return Err(Error::MalformedBlock);
        }
        if message.payload.len() > block.size() {
            return Err(Error::MalformedBlock);
        }
        let announced = message.options.get_uint(OptionNumber::SIZE2).unwrap_or(0) as usize;
        if announced > config.max_body || self.body.len() + message.payload.len() > config.max_body
        {
            return Err(Error::BodyTooLarge {
                limit: config.max_body,
            });
        }
        if self.blocks_received == 0 {
            self.etag = etag;
            self.first_options = Some(message.options.clone());
        }
        self.body.extend_from_slice(&message.payload);
        if !block.more {
            return Ok(Progress::Done);
        }
        if block.num >= Block::MAX_NUM {
            return Err(Error::MalformedBlock);
        }
        self.blocks_received += 1;
        Ok(Progress::More)
    }

    fn into_response(self, code: Code) -> Response {
        let mut options = self.first_options.unwrap_or_default();
        options.remove(OptionNumber::BLOCK2);
        options.remove(OptionNumber::BLOCK1);
        options.remove(OptionNumber::SIZE2);
        Response {
            code,
            options,
            payload: self.body,
        }
    }
}

/// A small, fast generator for ids and jitter; not for secrets.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}
