//! Misbehaviour on purpose: a simulated device that answers like a broken or
//! hostile one, so that an onboarding tool can be rehearsed (and tested)
//! against what a factory line meets from untrusted devices. Off unless
//! asked for (`ocf-devsim device --misbehave MODE`); without it the device
//! is exactly as strict as a real one.
//!
//! Each mode changes one thing at one place: a request answered in the
//! device's stead ([`Misbehaving::intercept`]), the device's own answer
//! changed ([`Misbehaving::reply`]), the device's state changed after a
//! write ([`Misbehaving::after_write`]), or datagrams changed on the wire
//! ([`Misbehaving::transmit`], [`Misbehaving::handshake_datagram`]).

use ciborium::Value as Cbor;
use uuid::Uuid;

use super::SimDevice;
use super::state::dos;
use crate::coap::option::content_format;
use crate::coap::{Block, Code, IncomingRequest, Message, MessageType, OptionNumber, Reply};
use crate::ocf::representation::{decode_cbor, encode_cbor};

/// How a device misbehaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Misbehaviour {
    /// `/oic/res` answered block-wise with "more blocks follow" forever.
    EndlessBlock2,
    /// `/oic/res` announced as 4 GiB (Size2), then sent block after block.
    GiantBlock2,
    /// Every POST answered 2.31 Continue, asking for more of a body that
    /// has no more.
    EndlessBlock1,
    /// doxm answered with CBOR arrays nested 10,000 deep.
    DeepCbor,
    /// doxm answered with a 1 MiB text string in it.
    HugeString,
    /// doxm with `owned: "yes"` and `oxms: "0"`.
    DoxmWrongTypes,
    /// pstat with `dos: 3`.
    PstatWrongTypes,
    /// cred with `creds: 7`.
    CredWrongTypes,
    /// coapcloudconf with `cis: 42`, `cps: true`.
    CloudConfWrongTypes,
    /// Each answer preceded by answers carrying other tokens and message ids.
    StrayTokens,
    /// Every answer carries another token and another message id.
    WrongTokens,
    /// The DTLS server Finished does not verify.
    BadFinished,
    /// The DTLS ServerHello picks a cipher suite the client did not offer.
    UnofferedSuite,
    /// Right after the ownership session set `devowneruuid`, the device
    /// marks itself owned and leaves RFOTM, before any owner credential.
    OwnedMidSequence,
    /// Never answers a read of its doxm (as if every answer were lost on
    /// the way), while answering everything else.
    SilentDoxm,
    /// Told its new UUID in the ownership session, the device takes another
    /// one instead (`--misbehave-uuid`: e.g. one the tool already owns).
    UuidChange(Uuid),
}

/// The misbehaviour of one device, and what it needs to remember.
#[derive(Clone, Debug, Default)]
pub struct Misbehaving {
    mode: Option<Misbehaviour>,
    /// Stray message ids and tokens come from here.
    counter: u16,
}

/// How many levels [`Misbehaviour::DeepCbor`] nests.
const DEEP: usize = 10_000;
/// How long [`Misbehaviour::HugeString`]'s string is.
const HUGE: usize = 1 << 20;
const BLOCK: usize = 1024;

impl Misbehaving {
    pub fn new(mode: Option<Misbehaviour>) -> Misbehaving {
        Misbehaving { mode, counter: 0 }
    }

    pub fn mode(&self) -> Option<Misbehaviour> {
        self.mode
    }

    /// Whether the DTLS server should send a Finished that does not verify.
    pub fn corrupt_finished(&self) -> bool {
        self.mode == Some(Misbehaviour::BadFinished)
    }

    /// Answers `request` in the device's stead (whole CoAP messages), or
    /// `None` to let the device answer.
    pub fn intercept(&mut self, request: &IncomingRequest) -> Option<Vec<Vec<u8>>> {
        let message = &request.message;
        match self.mode? {
            Misbehaviour::EndlessBlock2 | Misbehaviour::GiantBlock2
                if message.code == Code::GET && request.path() == "/oic/res" =>
            {
                let num = message
                    .options
                    .get(OptionNumber::BLOCK2)
                    .and_then(Block::decode)
                    .map_or(0, |b| b.num);
                let mut answer = answer_to(message, Code::CONTENT);
                answer.options.set_uint(
                    OptionNumber::CONTENT_FORMAT,
                    content_format::OCF_CBOR.into(),
                );
                answer
                    .options
                    .set(OptionNumber::BLOCK2, Block::new(num, true, BLOCK).encode());
                if self.mode == Some(Misbehaviour::GiantBlock2) && num == 0 {
                    answer.options.set_uint(OptionNumber::SIZE2, u32::MAX);
                }
                // An array that never closes: valid so far, whatever the block.
                answer.payload = vec![0x9f; BLOCK];
                Some(vec![answer.encode()])
            }
            Misbehaviour::SilentDoxm
                if message.code == Code::GET && request.path() == "/oic/sec/doxm" =>
            {
                Some(Vec::new())
            }
            Misbehaviour::EndlessBlock1 if message.code == Code::POST => {
                let num = message
                    .options
                    .get(OptionNumber::BLOCK1)
                    .and_then(Block::decode)
                    .map_or(0, |b| b.num);
                let mut answer = answer_to(message, Code::CONTINUE);
                answer
                    .options
                    .set(OptionNumber::BLOCK1, Block::new(num, true, BLOCK).encode());
                Some(vec![answer.encode()])
            }
            _ => None,
        }
    }

    /// The device's answer to `request`, changed as the mode says.
    pub fn reply(&mut self, request: &IncomingRequest, mut reply: Reply) -> Reply {
        let Some(mode) = self.mode else {
            return reply;
        };
        let path = request.path();
        let carries = |href: &str| path == href && !reply.payload.is_empty();
        let changed: Option<Vec<(&str, Cbor)>> = match mode {
            Misbehaviour::DoxmWrongTypes if carries("/oic/sec/doxm") => Some(vec![
                ("owned", Cbor::Text("yes".into())),
                ("oxms", Cbor::Text("0".into())),
            ]),
            Misbehaviour::PstatWrongTypes if carries("/oic/sec/pstat") => {
                Some(vec![("dos", Cbor::Integer(3.into()))])
            }
            Misbehaviour::CredWrongTypes if carries("/oic/sec/cred") => {
                Some(vec![("creds", Cbor::Integer(7.into()))])
            }
            Misbehaviour::CloudConfWrongTypes if carries("/CoapCloudConfResURI") => Some(vec![
                ("cis", Cbor::Integer(42.into())),
                ("cps", Cbor::Bool(true)),
            ]),
            Misbehaviour::DeepCbor if carries("/oic/sec/doxm") => {
                let mut payload = vec![0x81; DEEP];
                payload.push(0xf5);
                reply.payload = payload;
                None
            }
            Misbehaviour::HugeString if carries("/oic/sec/doxm") => {
                Some(vec![("x", Cbor::Text("a".repeat(HUGE)))])
            }
            // The answer to the write of its new UUID tells the one it took.
            Misbehaviour::UuidChange(other)
                if carries("/oic/sec/doxm") && writes(request, "deviceuuid") =>
            {
                Some(vec![("deviceuuid", Cbor::Text(other.to_string()))])
            }
            _ => None,
        };
        if let Some(changed) = changed {
            if let Ok(Cbor::Map(mut entries)) = decode_cbor(&reply.payload) {
                for (key, value) in changed {
                    match entries.iter_mut().find(|(k, _)| k.as_text() == Some(key)) {
                        Some(entry) => entry.1 = value,
                        None => entries.push((Cbor::Text(key.into()), value)),
                    }
                }
                reply.payload = encode_cbor(&Cbor::Map(entries));
            }
        }
        reply
    }

    /// After the device handled a write in its ownership session.
    pub fn after_write(&mut self, device: &mut SimDevice, request: &IncomingRequest, doc: bool) {
        if !doc || request.message.code != Code::POST || request.path() != "/oic/sec/doxm" {
            return;
        }
        let has = |key: &str| writes(request, key);
        match self.mode {
            Some(Misbehaviour::OwnedMidSequence) if has("devowneruuid") => {
                device.state.doxm.owned = true;
                device.state.pstat.s = dos::RFNOP;
                device.dirty = true;
            }
            Some(Misbehaviour::UuidChange(other)) if has("deviceuuid") => {
                device.state.di = other;
                device.dirty = true;
            }
            _ => {}
        }
    }

    /// A CoAP datagram the device is about to send, as the mode sends it
    /// (possibly several).
    pub fn transmit(&mut self, datagram: Vec<u8>) -> Vec<Vec<u8>> {
        let mode = self.mode;
        if !matches!(
            mode,
            Some(Misbehaviour::StrayTokens | Misbehaviour::WrongTokens)
        ) {
            return vec![datagram];
        }
        let Ok(message) = Message::decode(&datagram) else {
            return vec![datagram];
        };
        if !message.code.is_response() {
            return vec![datagram];
        }
        self.counter = self.counter.wrapping_add(1);
        let other_token = |token: &[u8], salt: u16| -> Vec<u8> {
            let mut t = token.to_vec();
            if t.is_empty() {
                t.push(0);
            }
            t[0] ^= 0x5a;
            if let Some(last) = t.last_mut() {
                *last = last.wrapping_add(salt as u8 | 1);
            }
            t
        };
        // A refusal that would stop the exchange, were it taken for the answer.
        let stray = |mtype, message_id, token: Vec<u8>| {
            let mut m = Message::new(mtype, Code::FORBIDDEN, message_id);
            m.token = token;
            m.payload = b"an answer to another request".to_vec();
            m.encode()
        };
        let salt = self.counter;
        match mode {
            Some(Misbehaviour::StrayTokens) => vec![
                // On an ACK, the request's message id with another token:
                // not its answer. (A confirmable answer with the same
                // message id would rightly be taken for a duplicate.)
                stray(
                    message.mtype,
                    if message.mtype == MessageType::Acknowledgement {
                        message.message_id
                    } else {
                        message.message_id.wrapping_add(0x2000 + salt)
                    },
                    other_token(&message.token, salt),
                ),
                // Another exchange altogether.
                stray(
                    MessageType::NonConfirmable,
                    message.message_id.wrapping_add(0x1000 + salt),
                    other_token(&message.token, salt.wrapping_add(1)),
                ),
                datagram,
            ],
            _ => {
                let mut changed = message;
                changed.token = other_token(&changed.token, salt);
                changed.message_id = changed.message_id.wrapping_add(0x1000 + salt);
                if changed.mtype == MessageType::Acknowledgement {
                    changed.mtype = MessageType::NonConfirmable;
                }
                vec![changed.encode()]
            }
        }
    }

    /// A DTLS datagram the device's secure port is about to send.
    pub fn handshake_datagram(&self, mut datagram: Vec<u8>) -> Vec<u8> {
        if self.mode == Some(Misbehaviour::UnofferedSuite) {
            choose_unoffered_suite(&mut datagram);
        }
        datagram
    }
}

/// Whether `request` is a POST whose body sets `key`.
fn writes(request: &IncomingRequest, key: &str) -> bool {
    request.message.code == Code::POST
        && decode_cbor(&request.message.payload).is_ok_and(|body| {
            body.as_map()
                .is_some_and(|m| m.iter().any(|(k, _)| k.as_text() == Some(key)))
        })
}

/// An answer to `request` with its token: piggybacked on the ACK of a
/// confirmable request, non-confirmable otherwise.
fn answer_to(request: &Message, code: Code) -> Message {
    let mtype = if request.mtype == MessageType::Confirmable {
        MessageType::Acknowledgement
    } else {
        MessageType::NonConfirmable
    };
    let mut m = Message::new(mtype, code, request.message_id);
    m.token = request.token.clone();
    m
}

/// Rewrites the cipher suite of a plaintext ServerHello in `datagram` (its
/// records walked one by one) to one no OCF client offers with it: the
/// PSK suite for a certificate handshake, a certificate suite otherwise.
fn choose_unoffered_suite(datagram: &mut [u8]) {
    const RECORD_HEADER: usize = 13;
    const HANDSHAKE_HEADER: usize = 12;
    let mut at = 0;
    while at + RECORD_HEADER <= datagram.len() {
        let length = usize::from(u16::from_be_bytes([datagram[at + 11], datagram[at + 12]]));
        let body = at + RECORD_HEADER;
        let epoch = u16::from_be_bytes([datagram[at + 3], datagram[at + 4]]);
        if datagram[at] == 22 && epoch == 0 && body + HANDSHAKE_HEADER <= datagram.len() {
            // ServerHello: version (2), random (32), session id (1 + n), suite (2).
            if datagram[body] == 2 {
                let hello = body + HANDSHAKE_HEADER;
                let Some(&id_length) = datagram.get(hello + 34) else {
                    return;
                };
                let suite = hello + 35 + usize::from(id_length);
                if suite + 2 <= datagram.len() {
                    let chosen = u16::from_be_bytes([datagram[suite], datagram[suite + 1]]);
                    let other: u16 = if chosen == 0xC0AE { 0xC037 } else { 0xC0AE };
                    datagram[suite..suite + 2].copy_from_slice(&other.to_be_bytes());
                }
                return;
            }
        }
        at = body + length;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_mode_nothing_changes() {
        let mut m = Misbehaving::new(None);
        let datagram = Message::new(MessageType::Acknowledgement, Code::CONTENT, 7).encode();
        assert_eq!(m.transmit(datagram.clone()), vec![datagram.clone()]);
        assert_eq!(m.handshake_datagram(datagram.clone()), datagram);
        assert!(!m.corrupt_finished());
    }

    #[test]
    fn wrong_tokens_change_token_and_message_id() {
        let mut m = Misbehaving::new(Some(Misbehaviour::WrongTokens));
        let mut answer = Message::new(MessageType::Acknowledgement, Code::CONTENT, 7);
        answer.token = vec![1, 2, 3, 4];
        let sent = m.transmit(answer.encode());
        assert_eq!(sent.len(), 1);
        let sent = Message::decode(&sent[0]).unwrap();
        assert_ne!(sent.token, answer.token);
        assert_ne!(sent.message_id, 7);
    }

    #[test]
    fn an_unoffered_suite_replaces_the_chosen_one() {
        // One record: a ServerHello with an empty session id and suite 0xFF00.
        let mut hello = vec![2, 0, 0, 38, 0, 0, 0, 0, 0, 0, 0, 38];
        hello.extend_from_slice(&[0xfe, 0xfd]);
        hello.extend_from_slice(&[0; 32]);
        hello.push(0);
        hello.extend_from_slice(&[0xff, 0x00, 0]);
        let mut record = vec![22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0];
        record.extend_from_slice(&(hello.len() as u16).to_be_bytes());
        record.extend_from_slice(&hello);
        let m = Misbehaving::new(Some(Misbehaviour::UnofferedSuite));
        let sent = m.handshake_datagram(record.clone());
        let suite = 13 + 12 + 35;
        assert_eq!(&sent[suite..suite + 2], &[0xc0, 0xae]);
        assert_eq!(sent.len(), record.len());
    }
}
