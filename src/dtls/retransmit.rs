//! The flight retransmission timer of RFC 6347 §4.2.4.1, started from the
//! path's round trip when one is known.
//!
//! RFC 6347 asks for 1 s initially, doubling at each retransmission up to no
//! less than 60 s, and for keeping a backed-off value until a flight goes
//! through without a retransmission; the 1 s is RFC 6298's minimum for a
//! path nothing is known about. RFC 9147 §5.8.2, which replaces it for DTLS
//! 1.3 and describes the same timer, is more precise: 1 s *unless the
//! implementation has other information about the round trip time*; with
//! an estimate "from previous connections to the same server", 1.5 times
//! that estimate; and after a flight answered without a retransmission,
//! 1.5 times the round trip measured for it. This timer does that:
//!
//! - the first flight waits 1.5 × the known RTT (from the configuration),
//!   else the blind 1 s;
//! - each flight answered without a retransmission measures a round trip
//!   (Karn's rule: a flight that was retransmitted measures nothing, as
//!   the answer may be to either copy), and the next flight waits 1.5 × it;
//!   after a retransmitted flight the backed-off value is kept;
//! - the wait never goes below a floor (50 ms by default, see
//!   [`crate::dtls::CommonConfig::min_retransmit`]) nor above the blind
//!   value when a round trip is used, and doubles up to the cap (60 s);
//! - a flight is given up after `max_tries` retransmissions *counted from
//!   the blind value*: the doublings it takes a shorter start to reach 1 s
//!   come on top, so that a flight is never abandoned sooner than with the
//!   1 s timer (a device busy for a few seconds still gets its handshake).

use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct RetransmitTimer {
    /// RFC 6347's 1 s: the start when no round trip is known, and the
    /// ceiling of a start computed from one.
    blind: Duration,
    floor: Duration,
    max: Duration,
    max_tries: u32,
    /// The wait of the next flight's first transmission.
    initial: Duration,
    /// The current flight's wait.
    current: Duration,
    tries: u32,
    /// Retransmissions allowed on top of `max_tries` (see the module docs).
    extra_tries: u32,
    deadline: Option<Instant>,
    /// When the current flight first left, while it may still measure a
    /// round trip (until it is retransmitted).
    sent_at: Option<Instant>,
    /// Whether the flight left before the driver said so with `transmitted`.
    awaiting_send: bool,
    /// The latest round trip measured.
    rtt: Option<Duration>,
}

/// What to do when the timer fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    Retransmit,
    GiveUp,
}

impl RetransmitTimer {
    /// A timer starting from `blind` (RFC 6347's 1 s), or from 1.5 ×
    /// `known_rtt` when the path's round trip is known.
    pub fn new(
        blind: Duration,
        floor: Duration,
        max: Duration,
        max_tries: u32,
        known_rtt: Option<Duration>,
    ) -> Self {
        let mut timer = RetransmitTimer {
            blind,
            floor,
            max,
            max_tries,
            initial: blind,
            current: blind,
            tries: 0,
            extra_tries: 0,
            deadline: None,
            sent_at: None,
            awaiting_send: false,
            rtt: None,
        };
        if let Some(rtt) = known_rtt {
            timer.initial = timer.wait_for_rtt(rtt);
        }
        timer
    }

    /// RFC 9147 §5.8.2: 1.5 times the round trip, within the floor and the
    /// blind value.
    fn wait_for_rtt(&self, rtt: Duration) -> Duration {
        rtt.mul_f64(1.5)
            .clamp(self.floor, self.blind.max(self.floor))
    }

    /// A new flight was sent: its wait is the current initial value.
    pub fn start(&mut self, now: Instant) {
        self.current = self.initial;
        self.tries = 0;
        self.extra_tries = 0;
        let mut wait = self.current;
        while wait < self.blind {
            wait *= 2;
            self.extra_tries += 1;
        }
        self.deadline = Some(now + self.current);
        self.sent_at = Some(now);
        self.awaiting_send = true;
    }

    /// The driver handed the queued datagrams to the network at `now`: a
    /// flight just started waits from here, not from when the datagram that
    /// prompted it arrived (computing the flight may take a while).
    pub fn transmitted(&mut self, now: Instant) {
        if std::mem::take(&mut self.awaiting_send) {
            if let Some(sent) = self.sent_at.as_mut() {
                *sent = now;
            }
            if self.tries == 0 {
                self.deadline = self.deadline.map(|_| now + self.current);
            }
        }
    }

    /// The peer's next flight arrived at `now`, answering ours. A flight
    /// that was not retransmitted measures the round trip, and the next
    /// flight waits 1.5 times it; otherwise the backed-off value stays.
    pub fn acknowledged(&mut self, now: Instant) {
        if self.deadline.is_none() && self.sent_at.is_none() {
            return;
        }
        match self.sent_at.take() {
            Some(sent) => {
                let rtt = now.saturating_duration_since(sent);
                self.rtt = Some(rtt);
                self.initial = self.wait_for_rtt(rtt);
            }
            None => self.initial = self.current,
        }
        self.deadline = None;
    }

    pub fn stop(&mut self) {
        self.deadline = None;
        self.sent_at = None;
        self.awaiting_send = false;
    }

    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// The wait a new flight would start with.
    pub fn initial(&self) -> Duration {
        self.initial
    }

    /// The latest round trip measured, if a flight was answered without a
    /// retransmission.
    pub fn rtt(&self) -> Option<Duration> {
        self.rtt
    }

    /// Called when `now` passed the deadline: doubles the timeout (capped).
    pub fn expire(&mut self, now: Instant) -> Option<Expiry> {
        let d = self.deadline?;
        if now < d {
            return None;
        }
        if self.tries >= self.max_tries + self.extra_tries {
            self.deadline = None;
            self.sent_at = None;
            return Some(Expiry::GiveUp);
        }
        self.tries += 1;
        // Karn: the answer may now be to either copy.
        self.sent_at = None;
        self.awaiting_send = false;
        self.current = (self.current * 2).min(self.max);
        self.deadline = Some(now + self.current);
        Some(Expiry::Retransmit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);
    const FLOOR: Duration = Duration::from_millis(50);
    const CAP: Duration = Duration::from_secs(60);

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// The waits between transmissions until the timer gives up.
    fn schedule(timer: &mut RetransmitTimer, start: Instant) -> Vec<Duration> {
        timer.start(start);
        let mut at = start;
        let mut waits = Vec::new();
        while let Some(deadline) = timer.deadline() {
            waits.push(deadline - at);
            at = deadline;
            if timer.expire(at) == Some(Expiry::GiveUp) {
                break;
            }
        }
        waits
    }

    #[test]
    fn without_a_round_trip_it_is_rfc_6347s_timer() {
        let mut timer = RetransmitTimer::new(SECOND, FLOOR, ms(8000), 5, None);
        let waits = schedule(&mut timer, Instant::now());
        let seconds: Vec<u64> = waits.iter().map(Duration::as_secs).collect();
        assert_eq!(seconds, vec![1, 2, 4, 8, 8, 8]);
    }

    #[test]
    fn a_known_round_trip_starts_at_one_and_a_half_times_it() {
        let t = Instant::now();
        let mut timer = RetransmitTimer::new(SECOND, FLOOR, CAP, 6, Some(ms(40)));
        let waits = schedule(&mut timer, t);
        assert_eq!(waits[0], ms(60));
        assert!(waits.windows(2).all(|w| w[1] == (w[0] * 2).min(CAP)));
        // The doublings below 1 s come on top of RFC 6347's tries: as many
        // waits of a second or more as the blind timer has, so it never
        // gives up sooner.
        let blind = schedule(&mut RetransmitTimer::new(SECOND, FLOOR, CAP, 6, None), t);
        let long = |w: &[Duration]| w.iter().filter(|w| **w >= SECOND).count();
        assert_eq!(long(&waits), long(&blind));
        assert!(waits.iter().sum::<Duration>() >= blind.iter().sum::<Duration>());
    }

    #[test]
    fn the_start_stays_between_the_floor_and_the_blind_value() {
        let lan = RetransmitTimer::new(SECOND, FLOOR, CAP, 6, Some(Duration::from_micros(200)));
        assert_eq!(lan.initial(), FLOOR);
        let slow = RetransmitTimer::new(SECOND, FLOOR, CAP, 6, Some(ms(3000)));
        assert_eq!(slow.initial(), SECOND);
    }

    #[test]
    fn a_clean_flight_measures_the_round_trip_for_the_next() {
        let t = Instant::now();
        let mut timer = RetransmitTimer::new(SECOND, FLOOR, CAP, 6, None);
        timer.start(t);
        timer.acknowledged(t + ms(80));
        assert_eq!(timer.rtt(), Some(ms(80)));
        assert_eq!(timer.initial(), ms(120));
        timer.start(t + ms(81));
        assert_eq!(timer.deadline(), Some(t + ms(201)));
    }

    #[test]
    fn a_retransmitted_flight_measures_nothing_and_keeps_its_backoff() {
        let t = Instant::now();
        let mut timer = RetransmitTimer::new(SECOND, FLOOR, CAP, 6, Some(ms(40)));
        timer.start(t);
        assert_eq!(timer.expire(t + ms(60)), Some(Expiry::Retransmit));
        // The answer to the first copy comes after the second left: Karn.
        timer.acknowledged(t + ms(70));
        assert_eq!(timer.rtt(), None);
        assert_eq!(timer.initial(), ms(120), "RFC 6347: retain the value");
    }

    #[test]
    fn the_wait_runs_from_when_the_flight_left() {
        let t = Instant::now();
        let mut timer = RetransmitTimer::new(SECOND, FLOOR, CAP, 6, Some(ms(40)));
        // The flight was made when the peer's datagram arrived at t, and
        // left 30 ms later (the handshake's computation).
        timer.start(t);
        timer.transmitted(t + ms(30));
        assert_eq!(timer.deadline(), Some(t + ms(90)));
        timer.acknowledged(t + ms(70));
        assert_eq!(timer.rtt(), Some(ms(40)));
        // Later sends (application data) do not move it.
        timer.start(t + ms(100));
        timer.transmitted(t + ms(100));
        timer.transmitted(t + ms(120));
        assert_eq!(timer.deadline(), Some(t + ms(160)));
    }
}
