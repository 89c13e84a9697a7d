//! The 64-entry sliding anti-replay window of RFC 6347 §4.1.2.6.

#[derive(Debug, Default, Clone)]
pub struct ReplayWindow {
    /// Highest sequence number accepted so far (valid when `any`).
    top: u64,
    /// Bit i set = sequence number `top - i` was seen.
    bits: u64,
    any: bool,
}

impl ReplayWindow {
    pub fn new() -> Self {
        Self::default()
    }

    /// True if `seq` is new and inside the window (check before authenticating).
    pub fn check(&self, seq: u64) -> bool {
        if !self.any || seq > self.top {
            return true;
        }
        let diff = self.top - seq;
        diff < 64 && self.bits & (1u64 << diff) == 0
    }

    /// Marks `seq` as seen (call only after the record authenticated).
    pub fn mark(&mut self, seq: u64) {
        if !self.any {
            self.any = true;
            self.top = seq;
            self.bits = 1;
        } else if seq > self.top {
            let shift = seq - self.top;
            self.bits = if shift >= 64 { 0 } else { self.bits << shift };
            self.bits |= 1;
            self.top = seq;
        } else {
            let diff = self.top - seq;
            if diff < 64 {
                self.bits |= 1u64 << diff;
            }
        }
    }
}
