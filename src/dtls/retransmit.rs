//! The flight retransmission timer of RFC 6347 §4.2.4: 1 s initial, doubling,
//! capped, with a bounded number of tries.

use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct RetransmitTimer {
    initial: Duration,
    max: Duration,
    max_tries: u32,
    current: Duration,
    tries: u32,
    deadline: Option<Instant>,
}

/// What to do when the timer fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    Retransmit,
    GiveUp,
}

impl RetransmitTimer {
    pub fn new(initial: Duration, max: Duration, max_tries: u32) -> Self {
        RetransmitTimer {
            initial,
            max,
            max_tries,
            current: initial,
            tries: 0,
            deadline: None,
        }
    }

    /// A new flight was sent: restart from the initial timeout.
    pub fn start(&mut self, now: Instant) {
        self.current = self.initial;
        self.tries = 0;
        self.deadline = Some(now + self.current);
    }

    pub fn stop(&mut self) {
        self.deadline = None;
    }

    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Called when `now` passed the deadline: doubles the timeout (capped).
    pub fn expire(&mut self, now: Instant) -> Option<Expiry> {
        let d = self.deadline?;
        if now < d {
            return None;
        }
        if self.tries >= self.max_tries {
            self.deadline = None;
            return Some(Expiry::GiveUp);
        }
        self.tries += 1;
        self.current = (self.current * 2).min(self.max);
        self.deadline = Some(now + self.current);
        Some(Expiry::Retransmit)
    }
}
