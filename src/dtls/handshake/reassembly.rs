//! Reassembly of fragmented handshake messages (RFC 6347 §4.2.3) with hard caps,
//! so hostile fragments cannot make us allocate without bound.

use std::collections::BTreeMap;

use super::messages::HandshakeHeader;
use crate::dtls::error::Error;

/// Largest handshake message we reassemble (certificate chains included).
pub const MAX_MESSAGE_LEN: usize = 32 * 1024;
/// How many messages ahead of the next expected one we buffer.
pub const MAX_AHEAD: u16 = 8;

struct Partial {
    msg_type: u8,
    body: Vec<u8>,
    /// Byte-granular coverage would be costly; we keep sorted, merged ranges.
    ranges: Vec<(usize, usize)>,
}

impl Partial {
    fn complete(&self) -> bool {
        self.ranges.len() == 1 && self.ranges[0] == (0, self.body.len()) || self.body.is_empty()
    }

    fn add(&mut self, off: usize, data: &[u8]) {
        let end = off + data.len();
        self.body[off..end].copy_from_slice(data);
        self.ranges.push((off, end));
        self.ranges.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(self.ranges.len());
        for &(s, e) in &self.ranges {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        self.ranges = merged;
    }
}

/// Buffers fragments keyed by message_seq and hands out whole messages in order.
#[derive(Default)]
pub struct Reassembler {
    pending: BTreeMap<u16, Partial>,
}

/// One whole handshake message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub msg_type: u8,
    pub message_seq: u16,
    pub body: Vec<u8>,
}

impl Reassembler {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a fragment of a message with `message_seq >= next`. Fragments too far
    /// ahead are dropped; a fragment inconsistent with earlier ones is a decode error.
    pub fn add(&mut self, next: u16, h: &HandshakeHeader, frag: &[u8]) -> Result<(), Error> {
        if h.message_seq < next || h.message_seq - next >= MAX_AHEAD {
            return Ok(());
        }
        let len = h.length as usize;
        if len > MAX_MESSAGE_LEN {
            return Err(Error::LimitExceeded);
        }
        let p = self
            .pending
            .entry(h.message_seq)
            .or_insert_with(|| Partial {
                msg_type: h.msg_type,
                body: vec![0; len],
                ranges: Vec::new(),
            });
        if p.msg_type != h.msg_type || p.body.len() != len {
            return Err(Error::DecodeError);
        }
        // HandshakeHeader::parse guarantees offset + length <= total length.
        if p.ranges.len() >= 256 {
            return Err(Error::LimitExceeded);
        }
        p.add(h.fragment_offset as usize, frag);
        Ok(())
    }

    /// Takes the message `next` if it is complete.
    pub fn take(&mut self, next: u16) -> Option<Message> {
        if self.pending.get(&next)?.complete() {
            let p = self.pending.remove(&next)?;
            Some(Message {
                msg_type: p.msg_type,
                message_seq: next,
                body: p.body,
            })
        } else {
            None
        }
    }

    pub fn clear(&mut self) {
        self.pending.clear();
    }
}
