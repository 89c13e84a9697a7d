//! The server side of CoAP over UDP as a sans-IO state machine, for the
//! device simulator.
//!
//! [`Server`] turns datagrams into requests for a handler and the handler's
//! answers into datagrams: piggybacked or separate responses, Block2 slicing
//! of large bodies (with ETag and Size2, like the reference device), Block1
//! reassembly of large request bodies, duplicate detection, and 4.02 for
//! unknown critical options.
//!
//! Duplicates (RFC 7252 §4.5): a confirmable request seen before from the
//! same peer gets the cached answer again and never reaches the handler, so
//! a retransmission whose first copy arrived is not applied twice. A
//! non-confirmable request whose message id is among the last 25 such is
//! dropped without an answer, as iotivity-lite's request history does
//! (`OC_REQUEST_HISTORY`, `messaging/coap/engine.c`: 25 message ids per
//! device, whoever sent them). That history covers non-confirmable requests
//! only: iotivity-lite hands a retransmitted confirmable request to its
//! handler again (FACTS §3), which this server does not, as RFC 7252 §4.5
//! asks; the requests a mediator sends are all confirmable.

use std::collections::{HashMap, VecDeque};
use std::hash::{Hash, Hasher};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::client::Transmit;
use super::message::{Code, Message, MessageType};
use super::option::{Block, OptionNumber, Options};
use super::recent::Recent;

/// Server behaviour.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Largest block sent in a Block2 response (16..=1024).
    pub block_size: usize,
    /// Send the last block of a block-wise response as a separate CON
    /// response after an empty ACK, as the reference device does.
    pub separate_last_block: bool,
    /// Largest request body accepted through Block1.
    pub max_request_body: usize,
    pub ack_timeout: Duration,
    pub max_retransmit: u32,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            block_size: 1024,
            separate_last_block: true,
            max_request_body: 64 * 1024,
            ack_timeout: Duration::from_secs(2),
            max_retransmit: 4,
        }
    }
}

/// A request for the handler.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncomingRequest {
    pub from: SocketAddr,
    /// The request as received; for a Block1 transfer, the last part with the
    /// whole reassembled body as payload.
    pub message: Message,
}

impl IncomingRequest {
    pub fn code(&self) -> Code {
        self.message.code
    }

    pub fn path(&self) -> String {
        self.message.options.uri_path()
    }

    pub fn queries(&self) -> Vec<String> {
        self.message.options.uri_queries().collect()
    }
}

/// What the handler answers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reply {
    pub code: Option<Code>,
    pub options: Options,
    pub payload: Vec<u8>,
}

impl Reply {
    pub fn new(code: Code) -> Self {
        Reply {
            code: Some(code),
            ..Reply::default()
        }
    }
}

const EXCHANGE_LIFETIME: Duration = Duration::from_secs(247);
const MAX_REMEMBERED: usize = 4096;
const MAX_PARTIAL_BODIES: usize = 64;
/// iotivity-lite's `OC_REQUEST_HISTORY_SIZE`.
const NON_HISTORY: usize = 25;

pub struct Server {
    config: ServerConfig,
    next_message_id: u16,
    /// Answers to confirmable requests, by (peer, message id), replayed on
    /// duplicates.
    answered: Recent<(SocketAddr, u16), Vec<Vec<u8>>>,
    /// Message ids of the latest non-confirmable requests.
    non_history: VecDeque<u16>,
    /// Separate CON responses waiting for their ACK.
    pending: Vec<Pending>,
    /// Block1 bodies being received, by peer and path.
    partial: HashMap<(SocketAddr, String), Vec<u8>>,
    transmits: VecDeque<Transmit>,
}

struct Pending {
    destination: SocketAddr,
    message_id: u16,
    datagram: Vec<u8>,
    attempts: u32,
    timeout: Duration,
    deadline: Instant,
}

impl Server {
    pub fn new(config: ServerConfig, seed: u16) -> Self {
        Server {
            config,
            next_message_id: seed,
            answered: Recent::new(EXCHANGE_LIFETIME, MAX_REMEMBERED),
            non_history: VecDeque::with_capacity(NON_HISTORY),
            pending: Vec::new(),
            partial: HashMap::new(),
            transmits: VecDeque::new(),
        }
    }

    /// Takes in a datagram; returns a request when the handler must answer.
    pub fn handle_datagram(
        &mut self,
        now: Instant,
        from: SocketAddr,
        datagram: &[u8],
    ) -> Result<Option<IncomingRequest>, super::DecodeError> {
        let message = Message::decode(datagram)?;
        match message.mtype {
            MessageType::Acknowledgement | MessageType::Reset => {
                self.pending
                    .retain(|p| !(p.destination == from && p.message_id == message.message_id));
                return Ok(None);
            }
            MessageType::Confirmable | MessageType::NonConfirmable => {}
        }
        if !message.code.is_request() {
            if message.mtype == MessageType::Confirmable {
                // A CoAP ping (empty CON) or a stray response: Reset.
                self.send(from, Message::reset(message.message_id).encode());
            }
            return Ok(None);
        }
        if message.mtype == MessageType::NonConfirmable {
            if self.non_history.contains(&message.message_id) {
                return Ok(None);
            }
            if self.non_history.len() == NON_HISTORY {
                self.non_history.pop_front();
            }
            self.non_history.push_back(message.message_id);
        } else if let Some(datagrams) = self.answered.get(&(from, message.message_id)) {
            for datagram in datagrams.clone() {
                self.send(from, datagram);
            }
            return Ok(None);
        }
        if let Some(option) = message.options.unknown_critical() {
            let mut reply = Reply::new(Code::BAD_OPTION);
            reply.payload = format!("unknown critical option {}", option.0).into_bytes();
            self.answer(now, &IncomingRequest { from, message }, reply);
            return Ok(None);
        }
        self.reassemble(now, from, message)
    }

    /// Sends the handler's answer to a request.
    pub fn respond(&mut self, now: Instant, request: &IncomingRequest, reply: Reply) {
        let wanted = request
            .message
            .options
            .get(OptionNumber::BLOCK2)
            .and_then(Block::decode);
        let block_size = Block::new(0, false, self.config.block_size).size();
        let large = reply.payload.len() > block_size;
        if wanted.is_none() && !large {
            self.answer(now, request, reply);
            return;
        }
        let size = wanted.map_or(block_size, |b| b.size().min(block_size));
        let num = wanted.map_or(0, |b| {
            // A smaller server block size renumbers the requested offset.
            (b.offset() / size) as u32
        });
        let offset = num as usize * size;
        if offset > reply.payload.len() || (offset == reply.payload.len() && offset > 0) {
            let mut bad = Reply::new(Code::BAD_OPTION);
            bad.payload = b"Block2 beyond the end of the representation".to_vec();
            self.answer(now, request, bad);
            return;
        }
        let end = (offset + size).min(reply.payload.len());
        let more = end < reply.payload.len();
        let mut part = Reply {
            code: reply.code,
            options: reply.options.clone(),
            payload: reply.payload[offset..end].to_vec(),
        };
        part.options
            .set(OptionNumber::BLOCK2, Block::new(num, more, size).encode());
        part.options.set(OptionNumber::ETAG, etag(&reply.payload));
        if num == 0 {
            part.options.set_uint(
                OptionNumber::SIZE2,
                u32::try_from(reply.payload.len()).unwrap_or(u32::MAX),
            );
        }
        let separate = num > 0 && !more && self.config.separate_last_block;
        if separate && request.message.mtype == MessageType::Confirmable {
            self.answer_separately(now, request, part);
        } else {
            self.answer(now, request, part);
        }
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        self.pending.iter().map(|p| p.deadline).min()
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        let max = self.config.max_retransmit;
        let mut resend = Vec::new();
        self.pending.retain_mut(|p| {
            if p.deadline > now {
                return true;
            }
            if p.attempts >= max {
                return false;
            }
            p.attempts += 1;
            p.timeout *= 2;
            p.deadline = now + p.timeout;
            resend.push((p.destination, p.datagram.clone()));
            true
        });
        for (destination, datagram) in resend {
            self.send(destination, datagram);
        }
        self.answered.expire(now);
    }

    /// Collects Block1 parts; answers 2.31 Continue until the last one.
    fn reassemble(
        &mut self,
        now: Instant,
        from: SocketAddr,
        mut message: Message,
    ) -> Result<Option<IncomingRequest>, super::DecodeError> {
        let Some(raw) = message.options.get(OptionNumber::BLOCK1) else {
            return Ok(Some(IncomingRequest { from, message }));
        };
        let key = (from, message.options.uri_path());
        let request = IncomingRequest {
            from,
            message: message.clone(),
        };
        let Some(block) = Block::decode(raw) else {
            self.answer(now, &request, Reply::new(Code::BAD_OPTION));
            return Ok(None);
        };
        if block.num == 0 {
            if self.partial.len() >= MAX_PARTIAL_BODIES {
                self.partial.clear();
            }
            self.partial.insert(key.clone(), Vec::new());
        }
        let Some(body) = self.partial.get_mut(&key) else {
            self.answer(now, &request, Reply::new(Code::REQUEST_ENTITY_INCOMPLETE));
            return Ok(None);
        };
        if block.offset() != body.len() || (block.more && message.payload.len() != block.size()) {
            self.partial.remove(&key);
            self.answer(now, &request, Reply::new(Code::REQUEST_ENTITY_INCOMPLETE));
            return Ok(None);
        }
        if body.len() + message.payload.len() > self.config.max_request_body {
            self.partial.remove(&key);
            let mut reply = Reply::new(Code::REQUEST_ENTITY_TOO_LARGE);
            reply
                .options
                .set_uint(OptionNumber::SIZE1, self.config.max_request_body as u32);
            self.answer(now, &request, reply);
            return Ok(None);
        }
        body.extend_from_slice(&message.payload);
        if block.more {
            let mut reply = Reply::new(Code::CONTINUE);
            reply.options.set(OptionNumber::BLOCK1, block.encode());
            self.answer(now, &request, reply);
            return Ok(None);
        }
        message.payload = self.partial.remove(&key).unwrap_or_default();
        Ok(Some(IncomingRequest { from, message }))
    }

    /// A piggybacked (CON) or non-confirmable (NON) answer.
    fn answer(&mut self, now: Instant, request: &IncomingRequest, reply: Reply) {
        let (mtype, message_id) = match request.message.mtype {
            MessageType::Confirmable => (MessageType::Acknowledgement, request.message.message_id),
            _ => (MessageType::NonConfirmable, self.message_id()),
        };
        let datagram = build(mtype, message_id, &request.message.token, reply);
        self.remember(now, request, vec![datagram.clone()]);
        self.send(request.from, datagram);
    }

    /// An empty ACK now and the answer as a separate CON, retransmitted until acknowledged.
    fn answer_separately(&mut self, now: Instant, request: &IncomingRequest, reply: Reply) {
        let ack = Message::empty_ack(request.message.message_id).encode();
        let message_id = self.message_id();
        let datagram = build(
            MessageType::Confirmable,
            message_id,
            &request.message.token,
            reply,
        );
        self.remember(now, request, vec![ack.clone()]);
        self.send(request.from, ack);
        self.send(request.from, datagram.clone());
        self.pending.push(Pending {
            destination: request.from,
            message_id,
            datagram,
            attempts: 0,
            timeout: self.config.ack_timeout,
            deadline: now + self.config.ack_timeout,
        });
    }

    fn remember(&mut self, now: Instant, request: &IncomingRequest, datagrams: Vec<Vec<u8>>) {
        if request.message.mtype == MessageType::Confirmable {
            self.answered
                .insert(now, (request.from, request.message.message_id), datagrams);
        }
    }

    fn send(&mut self, destination: SocketAddr, datagram: Vec<u8>) {
        self.transmits.push_back(Transmit {
            destination,
            datagram,
        });
    }

    fn message_id(&mut self) -> u16 {
        let id = self.next_message_id;
        self.next_message_id = self.next_message_id.wrapping_add(1);
        id
    }
}

fn build(mtype: MessageType, message_id: u16, token: &[u8], reply: Reply) -> Vec<u8> {
    let mut message = Message::new(mtype, reply.code.unwrap_or(Code::CONTENT), message_id);
    message.token = token.to_vec();
    message.options = reply.options;
    message.payload = reply.payload;
    message.encode()
}

/// An 8-byte entity tag of a representation, as the reference device sends.
fn etag(body: &[u8]) -> Vec<u8> {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut hasher);
    hasher.finish().to_be_bytes().to_vec()
}
