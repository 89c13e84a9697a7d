//! One CoAP over TCP connection (RFC 8323) as a sans-IO state machine.
//!
//! The same machine serves both ends: a client sends requests and matches
//! their responses by token (there are no message ids, types or ACKs over
//! TCP), a server takes requests and answers them, and either may do both.
//! The driver feeds it received bytes and the current time, and takes out
//! the bytes to write, the next deadline and events.
//!
//! What it takes care of:
//! - the CSM (7.01): ours is sent first only when asked
//!   ([`TcpConfig::send_csm`]): a real OCF device sends none and broke when
//!   its cloud sent one before answering (tests/vectors/cloud/README.md), so
//!   a peer that never sends one is served with RFC 8323's defaults;
//! - Ping/Pong (7.02/7.03), Release (7.04) and Abort (7.05);
//! - block-wise transfers (RFC 7959 over RFC 8323 §6, without BERT) where a
//!   message would exceed the peer's Max-Message-Size: Block1 for request
//!   bodies, Block2 for responses, both directions;
//! - Abort and the end of the connection for anything that cannot be read.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::time::{Duration, Instant};

use super::frame::{Frame, FrameDecoder, FrameError};
use super::signal::{DEFAULT_MAX_MESSAGE_SIZE, Signal, SignalError};
use crate::coap::client::{Request, RequestId, Response};
use crate::coap::message::Code;
use crate::coap::option::{Block, OptionNumber, Options};
use crate::coap::server::Reply;

/// Settings of one connection.
#[derive(Clone, Debug)]
pub struct TcpConfig {
    /// Send our CSM as the first message. RFC 8323 asks both sides to; off
    /// by default because a real OCF device neither sends one nor copes with
    /// one it did not expect.
    pub send_csm: bool,
    /// The largest message accepted (announced as Max-Message-Size).
    pub max_message_size: usize,
    /// Announce Block-Wise-Transfer in our CSM.
    pub block_wise: bool,
    /// The largest block sent or asked for (16..=1024).
    pub block_size: usize,
    /// The largest body reassembled from blocks, either way.
    pub max_body: usize,
    /// How long a request may wait for its answer.
    pub request_timeout: Duration,
}

impl Default for TcpConfig {
    fn default() -> Self {
        TcpConfig {
            send_csm: false,
            // plgd's coap-gateway default (FACTS §1.6).
            max_message_size: 262_144,
            block_wise: true,
            block_size: 1024,
            max_body: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// A request from the peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncomingRequest {
    /// The request as received; for a Block1 transfer, the last part with
    /// the whole body as payload.
    pub frame: Frame,
}

impl IncomingRequest {
    pub fn code(&self) -> Code {
        self.frame.code
    }

    pub fn path(&self) -> String {
        self.frame.options.uri_path()
    }

    pub fn queries(&self) -> Vec<String> {
        self.frame.options.uri_queries().collect()
    }

    /// The value of query parameter `name`, if given.
    pub fn query(&self, name: &str) -> Option<String> {
        self.frame.options.uri_queries().find_map(|q| {
            let (k, v) = q.split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
    }
}

/// What happened on the connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A request to answer with [`Connection::respond`].
    Request(IncomingRequest),
    /// The whole response to one of our requests.
    Response { id: RequestId, response: Response },
    /// One of our requests failed.
    Failed { id: RequestId, error: Error },
    /// The answer to one of our Pings.
    Pong { id: RequestId },
    /// The peer's CSM: its limits apply from now on.
    Capabilities {
        max_message_size: usize,
        block_wise: bool,
    },
    /// The peer announced it will close (Release).
    Released {
        alternative_addresses: Vec<String>,
        hold_off: Option<u32>,
    },
    /// The connection is over; nothing more will be read or written after
    /// the bytes still to send (an Abort, if we end it).
    Closed { error: Option<ConnectionError> },
}

/// Why one request failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// No answer within [`TcpConfig::request_timeout`].
    Timeout,
    /// The connection ended before the answer.
    Closed,
    /// The response body grew beyond [`TcpConfig::max_body`].
    BodyTooLarge { limit: usize },
    /// A block-wise answer did not carry the block that was asked for, or
    /// could not be read.
    MalformedBlock,
    /// The request itself cannot be sent within the peer's message size.
    TooLarge { size: usize, limit: usize },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Timeout => f.write_str("no answer from the peer (timed out)"),
            Self::Closed => f.write_str("the connection ended before the answer"),
            Self::BodyTooLarge { limit } => {
                write!(f, "the response body exceeds the limit of {limit} bytes")
            }
            Self::MalformedBlock => f.write_str("the peer sent a malformed block-wise answer"),
            Self::TooLarge { size, limit } => write!(
                f,
                "a request of {size} bytes does not fit the peer's limit of {limit} bytes"
            ),
        }
    }
}

impl std::error::Error for Error {}

/// Why a connection ended.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionError {
    /// The peer sent bytes that are not a CoAP over TCP message.
    Frame(FrameError),
    /// The peer sent a signal that cannot be taken.
    Signal(SignalError),
    /// The peer aborted the connection (7.05), saying why.
    Aborted { diagnostic: String },
    /// We aborted it (see [`Connection::abort`]).
    AbortedHere { diagnostic: String },
}

impl fmt::Display for ConnectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Frame(e) => write!(f, "{e}"),
            Self::Signal(e) => write!(f, "{e}"),
            Self::Aborted { diagnostic } if diagnostic.is_empty() => {
                f.write_str("the peer aborted the connection")
            }
            Self::Aborted { diagnostic } => {
                write!(f, "the peer aborted the connection: {diagnostic}")
            }
            Self::AbortedHere { diagnostic } => write!(f, "connection aborted: {diagnostic}"),
        }
    }
}

impl std::error::Error for ConnectionError {}

/// One of our requests, through all its blocks.
struct Exchange {
    request: Request,
    deadline: Instant,
    /// Set for a Ping.
    ping: bool,
    body: Vec<u8>,
    first_options: Option<Options>,
    blocks_received: u32,
    block1_sent: usize,
    block1_size: usize,
    /// Block2 size asked for in follow-ups.
    block2_size: usize,
}

/// The connection state machine.
pub struct Connection {
    config: TcpConfig,
    decoder: FrameDecoder,
    outgoing: Vec<u8>,
    events: VecDeque<Event>,
    peer_max_message_size: usize,
    peer_block_wise: bool,
    peer_csm: bool,
    rng: u64,
    next_id: u64,
    exchanges: HashMap<RequestId, Exchange>,
    by_token: HashMap<Vec<u8>, RequestId>,
    /// Block1 bodies being received, by path.
    partial: HashMap<String, Vec<u8>>,
    /// Answers sent block-wise, by request (method, path, query), for the
    /// follow-ups that ask for their next blocks.
    served: HashMap<String, (Frame, Vec<u8>)>,
    closed: bool,
}

const MAX_PARTIAL_BODIES: usize = 16;
const MAX_SERVED: usize = 16;

/// What identifies a request across its Block2 follow-ups.
fn block_key(frame: &Frame) -> String {
    let queries: Vec<String> = frame.options.uri_queries().collect();
    format!(
        "{} {}?{}",
        frame.code,
        frame.options.uri_path(),
        queries.join("&")
    )
}

impl Connection {
    /// A new connection; with [`TcpConfig::send_csm`], our CSM is the first
    /// thing to write. `seed` makes the tokens (the driver passes OS
    /// randomness, tests a number).
    pub fn new(config: TcpConfig, seed: u64) -> Self {
        let mut connection = Connection {
            decoder: FrameDecoder::new(config.max_message_size),
            outgoing: Vec::new(),
            events: VecDeque::new(),
            peer_max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            peer_block_wise: false,
            peer_csm: false,
            rng: seed,
            next_id: 1,
            exchanges: HashMap::new(),
            by_token: HashMap::new(),
            partial: HashMap::new(),
            served: HashMap::new(),
            closed: false,
            config,
        };
        if connection.config.send_csm {
            connection.send_csm();
        }
        connection
    }

    pub fn config(&self) -> &TcpConfig {
        &self.config
    }

    /// Sends our CSM now (also when [`TcpConfig::send_csm`] is off).
    pub fn send_csm(&mut self) {
        let csm = Signal::Csm {
            max_message_size: Some(u32::try_from(self.config.max_message_size).unwrap_or(u32::MAX)),
            block_wise: self.config.block_wise,
        };
        self.write(&csm.to_frame(Vec::new()));
    }

    /// The peer's Max-Message-Size (1152 until its CSM says otherwise).
    pub fn peer_max_message_size(&self) -> usize {
        self.peer_max_message_size
    }

    /// Whether the peer sent a CSM.
    pub fn peer_sent_csm(&self) -> bool {
        self.peer_csm
    }

    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Bytes to write to the stream, if any.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        (!self.outgoing.is_empty()).then(|| std::mem::take(&mut self.outgoing))
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Connection::handle_timeout`] has work to do.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.exchanges.values().map(|e| e.deadline).min()
    }

    /// Fails the requests whose time is up.
    pub fn handle_timeout(&mut self, now: Instant) {
        let expired: Vec<RequestId> = self
            .exchanges
            .iter()
            .filter(|(_, e)| e.deadline <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in expired {
            self.fail(id, Error::Timeout);
        }
    }

    /// Takes in bytes read from the stream.
    pub fn handle_bytes(&mut self, now: Instant, bytes: &[u8]) {
        if self.closed {
            return;
        }
        self.decoder.push(bytes);
        loop {
            match self.decoder.next_frame() {
                Ok(Some(frame)) => self.on_frame(now, frame),
                Ok(None) => break,
                Err(error) => {
                    let diagnostic = error.to_string();
                    self.abort_with(None, &diagnostic, ConnectionError::Frame(error));
                    break;
                }
            }
            if self.closed {
                break;
            }
        }
    }

    /// The stream ended (the peer closed it, or it broke).
    pub fn handle_eof(&mut self) {
        if !self.closed {
            self.close(None);
        }
    }

    /// Starts a request; its answer comes as [`Event::Response`] or [`Event::Failed`].
    pub fn request(&mut self, now: Instant, request: Request) -> RequestId {
        let id = self.allocate_id();
        let block_size = Block::new(0, false, self.config.block_size).size();
        self.exchanges.insert(
            id,
            Exchange {
                request,
                deadline: now + self.config.request_timeout,
                ping: false,
                body: Vec::new(),
                first_options: None,
                blocks_received: 0,
                block1_sent: 0,
                block1_size: block_size,
                block2_size: block_size,
            },
        );
        if self.closed {
            self.fail(id, Error::Closed);
        } else {
            self.send_next(id);
        }
        id
    }

    /// Sends a Ping; the answer comes as [`Event::Pong`] or [`Event::Failed`].
    pub fn ping(&mut self, now: Instant) -> RequestId {
        let id = self.allocate_id();
        let token = self.token();
        self.exchanges.insert(
            id,
            Exchange {
                request: Request::new(Code::PING, "/"),
                deadline: now + self.config.request_timeout,
                ping: true,
                body: Vec::new(),
                first_options: None,
                blocks_received: 0,
                block1_sent: 0,
                block1_size: 0,
                block2_size: 0,
            },
        );
        if self.closed {
            self.fail(id, Error::Closed);
            return id;
        }
        self.by_token.insert(token.clone(), id);
        self.write(&Signal::Ping { custody: false }.to_frame(token));
        id
    }

    /// Forgets a request: no event will come for it.
    pub fn cancel(&mut self, id: RequestId) {
        self.exchanges.remove(&id);
        self.by_token.retain(|_, owner| *owner != id);
    }

    /// The number of our requests still waiting.
    pub fn active(&self) -> usize {
        self.exchanges.len()
    }

    /// Answers a request. A representation larger than the peer accepts in
    /// one message, or a request that asked for a block, gets Block2.
    pub fn respond(&mut self, request: &IncomingRequest, reply: Reply) {
        if self.closed {
            return;
        }
        let mut frame = Frame::new(
            reply.code.unwrap_or(Code::CONTENT),
            request.frame.token.clone(),
        );
        frame.options = reply.options;
        frame.payload = reply.payload;
        let wanted = request
            .frame
            .options
            .get(OptionNumber::BLOCK2)
            .and_then(Block::decode);
        if wanted.is_none() && frame.encoded_len() <= self.peer_max_message_size {
            self.write(&frame);
            return;
        }
        let body = std::mem::take(&mut frame.payload);
        if !body.is_empty() {
            // Follow-ups for the next blocks are answered from this copy:
            // the handler must not see a POST again (RFC 7959 §2.6 leaves
            // the server to keep the representation of a POST's answer).
            if self.served.len() >= MAX_SERVED {
                self.served.clear();
            }
            self.served
                .insert(block_key(&request.frame), (frame.clone(), body.clone()));
        }
        self.send_block(frame, &body, wanted);
    }

    /// Sends the block `wanted` (or the first) of `body` with `frame`'s code
    /// and options.
    fn send_block(&mut self, mut frame: Frame, body: &[u8], wanted: Option<Block>) {
        let fits = self.block_size_fitting(&frame, body.len());
        let size = wanted.map_or(fits, |b| b.size().min(fits));
        let num = wanted.map_or(0, |b| (b.offset() / size) as u32);
        let offset = num as usize * size;
        if offset > body.len() || (offset == body.len() && offset > 0) {
            let mut bad = Frame::new(Code::BAD_OPTION, frame.token);
            bad.payload = b"Block2 beyond the end of the representation".to_vec();
            self.write(&bad);
            return;
        }
        let end = (offset + size).min(body.len());
        let more = end < body.len();
        frame
            .options
            .set(OptionNumber::BLOCK2, Block::new(num, more, size).encode());
        frame.options.set(OptionNumber::ETAG, etag(body));
        if num == 0 {
            frame.options.set_uint(
                OptionNumber::SIZE2,
                u32::try_from(body.len()).unwrap_or(u32::MAX),
            );
        }
        frame.payload = body[offset..end].to_vec();
        self.write(&frame);
    }

    /// Announces that we will close (7.04), then closes.
    pub fn release(&mut self) {
        if self.closed {
            return;
        }
        let release = Signal::Release {
            alternative_addresses: Vec::new(),
            hold_off: None,
        };
        self.write(&release.to_frame(Vec::new()));
        self.close(None);
    }

    /// Ends the connection at once with an Abort (7.05) saying why.
    pub fn abort(&mut self, diagnostic: &str) {
        self.abort_with(
            None,
            diagnostic,
            ConnectionError::AbortedHere {
                diagnostic: diagnostic.to_owned(),
            },
        );
    }

    fn abort_with(&mut self, bad_option: Option<u16>, diagnostic: &str, error: ConnectionError) {
        if self.closed {
            return;
        }
        let abort = Signal::Abort {
            bad_csm_option: bad_option,
            diagnostic: diagnostic.to_owned(),
        };
        self.write(&abort.to_frame(Vec::new()));
        self.close(Some(error));
    }

    fn close(&mut self, error: Option<ConnectionError>) {
        self.closed = true;
        let ids: Vec<RequestId> = self.exchanges.keys().copied().collect();
        for id in ids {
            self.fail(id, Error::Closed);
        }
        self.events.push_back(Event::Closed { error });
    }

    fn on_frame(&mut self, now: Instant, frame: Frame) {
        if frame.code.is_signalling() {
            self.on_signal(frame);
        } else if frame.code.is_request() {
            self.on_request(now, frame);
        } else if frame.code.is_response() {
            self.on_response(frame);
        }
        // An empty message (0.00) is allowed and means nothing (RFC 8323 §3.2).
    }

    fn on_signal(&mut self, frame: Frame) {
        let signal = match Signal::from_frame(&frame) {
            Ok(signal) => signal,
            Err(error) => {
                let bad = match &error {
                    SignalError::UnknownCriticalOption { code, option } if *code == Code::CSM => {
                        Some(*option)
                    }
                    _ => None,
                };
                let diagnostic = error.to_string();
                self.abort_with(bad, &diagnostic, ConnectionError::Signal(error));
                return;
            }
        };
        match signal {
            Signal::Csm {
                max_message_size,
                block_wise,
            } => {
                self.peer_csm = true;
                if let Some(size) = max_message_size {
                    self.peer_max_message_size = size as usize;
                }
                self.peer_block_wise |= block_wise;
                self.events.push_back(Event::Capabilities {
                    max_message_size: self.peer_max_message_size,
                    block_wise: self.peer_block_wise,
                });
            }
            Signal::Ping { custody } => {
                self.write(&Signal::Pong { custody }.to_frame(frame.token));
            }
            Signal::Pong { .. } => {
                if let Some(id) = self.by_token.remove(&frame.token) {
                    if self.exchanges.remove(&id).is_some() {
                        self.events.push_back(Event::Pong { id });
                    }
                }
            }
            Signal::Release {
                alternative_addresses,
                hold_off,
            } => {
                self.events.push_back(Event::Released {
                    alternative_addresses,
                    hold_off,
                });
            }
            Signal::Abort { diagnostic, .. } => {
                self.close(Some(ConnectionError::Aborted { diagnostic }));
            }
        }
    }

    fn on_request(&mut self, _now: Instant, mut frame: Frame) {
        if let Some(option) = frame.options.unknown_critical() {
            let mut reply = Frame::new(Code::BAD_OPTION, frame.token);
            reply.payload = format!("unknown critical option {}", option.0).into_bytes();
            self.write(&reply);
            return;
        }
        let follow_up = frame
            .options
            .get(OptionNumber::BLOCK2)
            .and_then(Block::decode)
            .filter(|b| b.num > 0);
        if let Some(block) = follow_up {
            if let Some((template, body)) = self.served.get(&block_key(&frame)).cloned() {
                let mut reply = template;
                reply.token = frame.token;
                self.send_block(reply, &body, Some(block));
                return;
            }
        }
        let Some(raw) = frame.options.get(OptionNumber::BLOCK1).map(<[u8]>::to_vec) else {
            self.events
                .push_back(Event::Request(IncomingRequest { frame }));
            return;
        };
        let path = frame.options.uri_path();
        let Some(block) = Block::decode(&raw) else {
            self.write(&Frame::new(Code::BAD_OPTION, frame.token));
            return;
        };
        if block.num == 0 {
            if self.partial.len() >= MAX_PARTIAL_BODIES {
                self.partial.clear();
            }
            self.partial.insert(path.clone(), Vec::new());
        }
        let incomplete = Frame::new(Code::REQUEST_ENTITY_INCOMPLETE, frame.token.clone());
        let Some(body) = self.partial.get_mut(&path) else {
            self.write(&incomplete);
            return;
        };
        if block.offset() != body.len() || (block.more && frame.payload.len() != block.size()) {
            self.partial.remove(&path);
            self.write(&incomplete);
            return;
        }
        if body.len() + frame.payload.len() > self.config.max_body {
            self.partial.remove(&path);
            let mut reply = Frame::new(Code::REQUEST_ENTITY_TOO_LARGE, frame.token);
            reply.options.set_uint(
                OptionNumber::SIZE1,
                u32::try_from(self.config.max_body).unwrap_or(u32::MAX),
            );
            self.write(&reply);
            return;
        }
        body.extend_from_slice(&frame.payload);
        if block.more {
            let mut reply = Frame::new(Code::CONTINUE, frame.token);
            reply.options.set(OptionNumber::BLOCK1, block.encode());
            self.write(&reply);
            return;
        }
        frame.payload = self.partial.remove(&path).unwrap_or_default();
        self.events
            .push_back(Event::Request(IncomingRequest { frame }));
    }

    fn on_response(&mut self, frame: Frame) {
        let Some(id) = self.by_token.remove(&frame.token) else {
            return; // an answer to nothing we asked (or to a cancelled request)
        };
        let max_body = self.config.max_body;
        let Some(exchange) = self.exchanges.get_mut(&id) else {
            return;
        };
        match exchange.accept(frame, max_body) {
            Ok(Progress::More) => self.send_next(id),
            Ok(Progress::Done(response)) => {
                self.exchanges.remove(&id);
                self.events.push_back(Event::Response { id, response });
            }
            Err(error) => self.fail(id, error),
        }
    }

    /// Sends the next message of a request: itself, its next Block1 part,
    /// or a Block2 follow-up.
    fn send_next(&mut self, id: RequestId) {
        let token = self.token();
        let peer_limit = self.peer_max_message_size;
        let Some(exchange) = self.exchanges.get(&id) else {
            return;
        };
        let mut frame = Frame::new(exchange.request.code, token.clone());
        frame.options = exchange.request.options.clone();
        let body = &exchange.request.payload;
        let mut block1 = None;
        if exchange.blocks_received > 0 {
            let size = exchange.block2_size;
            let num = (exchange.body.len() / size) as u32;
            frame
                .options
                .set(OptionNumber::BLOCK2, Block::new(num, false, size).encode());
        } else {
            frame.payload = body.clone();
            if exchange.block1_sent > 0 || frame.encoded_len() > peer_limit {
                frame.payload.clear();
                let size = if exchange.block1_sent > 0 {
                    exchange.block1_size
                } else {
                    let mut probe = frame.clone();
                    probe.options.set(
                        OptionNumber::BLOCK1,
                        Block::new(Block::MAX_NUM, true, 1024).encode(),
                    );
                    probe.options.set_uint(
                        OptionNumber::SIZE1,
                        u32::try_from(body.len()).unwrap_or(u32::MAX),
                    );
                    self.block_size_fitting(&probe, body.len())
                        .min(exchange.block1_size)
                };
                let start = exchange.block1_sent;
                let end = (start + size).min(body.len());
                let more = end < body.len();
                frame.options.set(
                    OptionNumber::BLOCK1,
                    Block::new((start / size) as u32, more, size).encode(),
                );
                if start == 0 {
                    frame.options.set_uint(
                        OptionNumber::SIZE1,
                        u32::try_from(body.len()).unwrap_or(u32::MAX),
                    );
                }
                frame.payload = body[start..end].to_vec();
                block1 = Some(size);
            }
        }
        let size = frame.encoded_len();
        if size > peer_limit {
            self.fail(
                id,
                Error::TooLarge {
                    size,
                    limit: peer_limit,
                },
            );
            return;
        }
        if let (Some(size), Some(exchange)) = (block1, self.exchanges.get_mut(&id)) {
            exchange.block1_size = size;
        }
        self.by_token.insert(token, id);
        self.write(&frame);
    }

    /// The largest block size (16..=our block size) whose message, with
    /// `frame`'s options, fits the peer's Max-Message-Size.
    fn block_size_fitting(&self, frame: &Frame, body_len: usize) -> usize {
        let overhead = frame.encoded_len() + 1 + 4 + 8;
        let budget = self.peer_max_message_size.saturating_sub(overhead);
        let mut size = Block::new(0, false, self.config.block_size).size();
        while size > 16 && (size > budget || size > body_len.next_power_of_two().max(16)) {
            size /= 2;
        }
        size
    }

    fn fail(&mut self, id: RequestId, error: Error) {
        if self.exchanges.remove(&id).is_some() {
            self.by_token.retain(|_, owner| *owner != id);
            self.events.push_back(Event::Failed { id, error });
        }
    }

    fn write(&mut self, frame: &Frame) {
        frame.encode_into(&mut self.outgoing);
    }

    fn allocate_id(&mut self) -> RequestId {
        let id = RequestId(self.next_id);
        self.next_id += 1;
        id
    }

    /// An 8-byte token not in use (the length the reference device uses).
    fn token(&mut self) -> Vec<u8> {
        loop {
            self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.rng;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            let token = (z ^ (z >> 31)).to_be_bytes().to_vec();
            if !self.by_token.contains_key(&token) {
                return token;
            }
        }
    }
}

enum Progress {
    More,
    Done(Response),
}

impl Exchange {
    fn accept(&mut self, frame: Frame, max_body: usize) -> Result<Progress, Error> {
        if self.ping {
            return Err(Error::MalformedBlock);
        }
        if frame.code == Code::CONTINUE {
            let block = frame
                .options
                .get(OptionNumber::BLOCK1)
                .and_then(Block::decode)
                .ok_or(Error::MalformedBlock)?;
            let sent_end = (self.block1_sent + self.block1_size).min(self.request.payload.len());
            if block.offset() >= sent_end || sent_end >= self.request.payload.len() {
                return Err(Error::MalformedBlock);
            }
            self.block1_sent = sent_end;
            self.block1_size = self.block1_size.min(block.size());
            return Ok(Progress::More);
        }
        let Some(raw) = frame.options.get(OptionNumber::BLOCK2) else {
            if self.blocks_received > 0 {
                return Err(Error::MalformedBlock);
            }
            if frame.payload.len() > max_body {
                return Err(Error::BodyTooLarge { limit: max_body });
            }
            return Ok(Progress::Done(Response {
                code: frame.code,
                options: frame.options,
                payload: frame.payload,
            }));
        };
        let block = Block::decode(raw).ok_or(Error::MalformedBlock)?;
        if block.offset() != self.body.len() || frame.payload.len() > block.size() {
            return Err(Error::MalformedBlock);
        }
        if block.more && frame.payload.len() != block.size() {
            return Err(Error::MalformedBlock);
        }
        if self.body.len() + frame.payload.len() > max_body {
            return Err(Error::BodyTooLarge { limit: max_body });
        }
        if self.blocks_received == 0 {
            self.first_options = Some(frame.options.clone());
            self.block2_size = block.size();
        }
        self.body.extend_from_slice(&frame.payload);
        if !block.more {
            let mut options = self.first_options.take().unwrap_or_default();
            options.remove(OptionNumber::BLOCK2);
            options.remove(OptionNumber::SIZE2);
            return Ok(Progress::Done(Response {
                code: frame.code,
                options,
                payload: std::mem::take(&mut self.body),
            }));
        }
        if block.num >= Block::MAX_NUM {
            return Err(Error::MalformedBlock);
        }
        self.blocks_received += 1;
        Ok(Progress::More)
    }
}

/// An 8-byte entity tag of a representation.
fn etag(body: &[u8]) -> Vec<u8> {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut hasher);
    hasher.finish().to_be_bytes().to_vec()
}
