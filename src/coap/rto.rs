//! CoCoA, "CoAP Simple Congestion Control/Advanced" (draft-ietf-core-cocoa-03):
//! the retransmission timeout of confirmable messages to one peer, from the
//! round trips measured to it instead of RFC 7252's fixed 2 s.
//!
//! Two copies of RFC 6298's estimator run side by side: the *strong* one
//! takes exchanges answered without a retransmission (K = 4), the *weak* one
//! those answered after one or two (K = 1, timed from the first
//! transmission); later answers are ambiguous and not used (CoCoA §4.2).
//! The overall RTO follows whichever estimator last learnt something,
//! weighted 0.5 (strong) or 0.25 (weak). It ages towards the blind value
//! while unused (§4.3), and each retransmission multiplies an exchange's
//! timeout by the backoff factor (§4.2.1, see [`Cocoa::backoff`]).
//!
//! Three deviations, measured on a lossy LAN (`tests/lossy.rs`), where the
//! draft's figures had losses cost hundreds of milliseconds long after the
//! path's round trip was known:
//!
//! - The first strong sample sets the overall RTO outright, as RFC 6298
//!   §2.2 does with the first measurement, instead of averaging it with the
//!   blind 2 s (after which a sub-millisecond path kept an RTO near a second
//!   for several exchanges). Later samples are averaged as the draft says.
//!   (The caller also leaves out the weak sample of an exchange that was
//!   retransmitted on the blind timer: it measures the guess, not the path.)
//! - A floor: the RTO never goes below [`MIN_RTO`]. CoCoA sets
//!   none (its pseudocode follows the estimate down), and RFC 6298 §2.4's
//!   1 s minimum is for paths about which nothing is known (RFC 8961 §4,
//!   requirement 1; RFC 7252 §4.8.1 lets a congestion control such as CoCoA
//!   go below it). A LAN's network round trip is well under a millisecond,
//!   but a CoAP round trip includes the device's handler (CoCoA §4 notes that
//!   it differs between resources): a device that writes its flash on one
//!   request and not on the previous would see a retransmission of a request
//!   it is still working on, and iotivity-lite applies a retransmitted
//!   confirmable request again (it keeps message ids of non-confirmable ones
//!   only). 50 ms stays above those jitters on a real device (the reference
//!   device's ownership handshake took 40 ms over loopback, FACTS §5) and the
//!   timer's 1 ms granularity under load, while a loss on a LAN still costs
//!   tens of milliseconds rather than seconds.
//! - Retransmissions double the timeout below 1 s too, where CoCoA triples
//!   it (see [`Cocoa::backoff`]).

use std::time::{Duration, Instant};

/// RFC 7252's ACK_TIMEOUT, CoCoA's initial (blind) RTO.
pub const BLIND_RTO: Duration = Duration::from_secs(2);
/// The floor of the estimate (see the module documentation).
pub const MIN_RTO: Duration = Duration::from_millis(50);
/// The longest RTO: CoCoA truncates the backoff at 32 s (§4.2.1).
pub const MAX_RTO: Duration = Duration::from_secs(32);

/// RFC 6298's gains.
const ALPHA: f64 = 1.0 / 8.0;
const BETA: f64 = 1.0 / 4.0;
/// RFC 6298's clock granularity G: the timer's (tokio's) millisecond.
const GRANULARITY: Duration = Duration::from_millis(1);
/// CoCoA's weights of the two estimators in the overall RTO.
const W_STRONG: f64 = 0.5;
const W_WEAK: f64 = 0.25;

/// One RFC 6298 estimator: smoothed round trip and its variation.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Smoothed {
    srtt: Duration,
    rttvar: Duration,
}

impl Smoothed {
    /// RFC 6298 §2.2 for the first measurement, §2.3 for later ones.
    fn update(previous: Option<Smoothed>, rtt: Duration) -> Smoothed {
        match previous {
            None => Smoothed {
                srtt: rtt,
                rttvar: rtt / 2,
            },
            Some(s) => {
                let deviation = s.srtt.abs_diff(rtt);
                Smoothed {
                    rttvar: s.rttvar.mul_f64(1.0 - BETA) + deviation.mul_f64(BETA),
                    srtt: s.srtt.mul_f64(1.0 - ALPHA) + rtt.mul_f64(ALPHA),
                }
            }
        }
    }

    /// E = SRTT + max(G, K·RTTVAR).
    fn estimate(&self, k: u32) -> Duration {
        self.srtt + (self.rttvar * k).max(GRANULARITY)
    }
}

/// The RTO state for one peer.
#[derive(Clone, Debug, PartialEq)]
pub struct Cocoa {
    blind: Duration,
    strong: Option<Smoothed>,
    weak: Option<Smoothed>,
    /// The overall RTO.
    rto: Duration,
    /// When `rto` last changed, for aging.
    updated: Instant,
}

/// How an exchange's answer can be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sample {
    /// Answered without a retransmission.
    Strong,
    /// Answered after one or two retransmissions (timed from the first).
    Weak,
    /// Answered after more: which transmission it answers is anybody's guess.
    Unused,
}

impl Sample {
    pub fn after(retransmissions: u32) -> Sample {
        match retransmissions {
            0 => Sample::Strong,
            1 | 2 => Sample::Weak,
            _ => Sample::Unused,
        }
    }
}

impl Cocoa {
    /// Nothing measured yet: the RTO is `blind` (RFC 7252's ACK_TIMEOUT).
    pub fn new(blind: Duration, now: Instant) -> Cocoa {
        Cocoa {
            blind,
            strong: None,
            weak: None,
            rto: blind,
            updated: now,
        }
    }

    /// Whether nothing was measured yet (CoCoA §4.1's blind estimate).
    pub fn is_blind(&self) -> bool {
        self.strong.is_none() && self.weak.is_none()
    }

    /// The RTO for a new exchange, after aging (§4.3): an RTO below 1 s
    /// doubles for every 16 times itself without an update, one above 3 s
    /// moves to 1 s + RTO/2 for every 4 times itself. Applied cumulatively
    /// when asked, as the draft allows, instead of on a timer.
    pub fn rto(&mut self, now: Instant) -> Duration {
        loop {
            let idle = now.saturating_duration_since(self.updated);
            if self.rto < Duration::from_secs(1) && idle > self.rto * 16 {
                self.updated += self.rto * 16;
                self.rto = (self.rto * 2).min(self.blind.max(MIN_RTO));
            } else if self.rto > Duration::from_secs(3) && idle > self.rto * 4 {
                self.updated += self.rto * 4;
                self.rto = Duration::from_secs(1) + self.rto / 2;
            } else {
                return self.rto;
            }
        }
    }

    /// The RTO for the `n`th of several exchanges started in parallel while
    /// blind (`n` from 1): the blind RTO times `n` (§4.1), so that parallel
    /// first exchanges do not all retransmit at once into a path whose
    /// capacity nobody knows.
    pub fn rto_for_parallel(&mut self, now: Instant, n: u32) -> Duration {
        let rto = self.rto(now);
        if self.is_blind() {
            (rto * n.max(1)).min(MAX_RTO)
        } else {
            rto
        }
    }

    /// An exchange was answered `rtt` after its first transmission, after
    /// `retransmissions` retransmissions.
    pub fn on_answer(&mut self, now: Instant, rtt: Duration, retransmissions: u32) {
        let (estimate, weight) = match Sample::after(retransmissions) {
            Sample::Strong => {
                let first = self.strong.is_none();
                let s = Smoothed::update(self.strong, rtt);
                self.strong = Some(s);
                // The first clean measurement replaces the blind guess (and
                // what weak samples made of it), as RFC 6298 §2.2 sets the
                // RTO from the first measurement: averaging it with 2 s
                // would keep a LAN's RTO near a second for several more
                // exchanges, each loss costing that much.
                (s.estimate(4), if first { 1.0 } else { W_STRONG })
            }
            Sample::Weak => {
                let s = Smoothed::update(self.weak, rtt);
                self.weak = Some(s);
                (s.estimate(1), W_WEAK)
            }
            Sample::Unused => return,
        };
        let rto = estimate.mul_f64(weight) + self.rto(now).mul_f64(1.0 - weight);
        self.rto = rto.clamp(MIN_RTO, MAX_RTO);
        self.updated = now;
    }

    /// The smoothed round trip of exchanges answered at once, when there
    /// were any: the path's round trip as far as Karn's rule lets us know.
    pub fn srtt(&self) -> Option<Duration> {
        self.strong.map(|s| s.srtt)
    }

    /// The timeout after a retransmission of an exchange that started with
    /// `initial` and now waited `timeout`: RFC 7252's doubling up to 3 s,
    /// CoCoA's 1.5 above (so that a long one fits MAX_TRANSMIT_WAIT, as
    /// Californium does); truncated at 32 s.
    ///
    /// A third deviation from CoCoA (§4.2.1), whose factor below 1 s is 3
    /// so that a short RTO does not spend MAX_RETRANSMIT in a moment: this
    /// client goes on retransmitting within MAX_TRANSMIT_SPAN instead, so
    /// that reason is gone, while on a lossy LAN the factor 3 made four
    /// losses in a row of one exchange cost 2.4 s (50 + 150 + 450 + 1350 ms
    /// with the dithering) rather than 0.75 s; one provision in twenty
    /// met such a streak at 10 % loss each way.
    pub fn backoff(initial: Duration, timeout: Duration) -> Duration {
        let factor = if initial > Duration::from_secs(3) {
            1.5
        } else {
            2.0
        };
        timeout.mul_f64(factor).min(MAX_RTO)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn blind_until_the_first_answer() {
        let t = Instant::now();
        let mut c = Cocoa::new(BLIND_RTO, t);
        assert!(c.is_blind());
        assert_eq!(c.rto(t), BLIND_RTO);
        assert_eq!(c.rto_for_parallel(t, 3), ms(6000), "2 s times three");
        assert_eq!(c.srtt(), None);
    }

    #[test]
    fn the_first_strong_sample_sets_the_rto_and_later_ones_move_it_half_way() {
        let t = Instant::now();
        let mut c = Cocoa::new(BLIND_RTO, t);
        // RFC 6298 §2.2: SRTT 100 ms, RTTVAR 50 ms, RTO = 100 + 4 * 50.
        c.on_answer(t, ms(100), 0);
        assert_eq!(c.rto(t), ms(300));
        assert_eq!(c.srtt(), Some(ms(100)));
        assert_eq!(c.rto_for_parallel(t, 3), ms(300), "no longer blind");
        // §2.3: RTTVAR = 0.75 * 50 + 0.25 * 100 = 62.5, SRTT = 0.875 * 100
        // + 0.125 * 200 = 112.5, E = 362.5 ms; overall = 0.5 * 362.5 +
        // 0.5 * 300 = 331.25 ms.
        c.on_answer(t, ms(200), 0);
        assert_eq!(c.rto(t), Duration::from_micros(331_250));
    }

    #[test]
    fn weak_samples_count_a_quarter_and_late_ones_nothing() {
        let t = Instant::now();
        let mut c = Cocoa::new(BLIND_RTO, t);
        // Weak: SRTT 400, RTTVAR 200, E = 400 + 1 * 200 = 600 ms;
        // overall = 0.25 * 600 + 0.75 * 2000 = 1650 ms.
        c.on_answer(t, ms(400), 1);
        assert_eq!(c.rto(t), ms(1650));
        assert_eq!(c.srtt(), None, "Karn: a weak sample is not the path's RTT");
        c.on_answer(t, ms(10), 3);
        assert_eq!(c.rto(t), ms(1650), "after a third retransmission: unused");
        // The first strong sample replaces it all: 100 + 4 * 50 ms.
        c.on_answer(t, ms(100), 0);
        assert_eq!(c.rto(t), ms(300));
        // A weak one then weighs a quarter: SRTT_weak = 0.875 * 400 +
        // 0.125 * 200 = 375, RTTVAR = 0.75 * 200 + 0.25 * 200 = 200,
        // E = 575; overall = 0.25 * 575 + 0.75 * 300 = 368.75 ms.
        c.on_answer(t, ms(200), 2);
        assert_eq!(c.rto(t), Duration::from_micros(368_750));
    }

    #[test]
    fn a_fast_path_converges_to_the_floor() {
        let t = Instant::now();
        let mut c = Cocoa::new(BLIND_RTO, t);
        for _ in 0..12 {
            c.on_answer(t, Duration::from_micros(300), 0);
        }
        assert_eq!(c.rto(t), MIN_RTO);
    }

    #[test]
    fn an_idle_short_rto_doubles_back_towards_the_blind_value() {
        let t = Instant::now();
        let mut c = Cocoa::new(BLIND_RTO, t);
        for _ in 0..12 {
            c.on_answer(t, Duration::from_micros(300), 0);
        }
        assert_eq!(c.rto(t + ms(800)), ms(50), "16 * 50 ms not yet passed");
        assert_eq!(c.rto(t + ms(801)), ms(100));
        // Cumulatively: 800 ms at 50, then 1.6 s at 100, 3.2 s at 200,
        // 6.4 s at 400, 12.8 s at 800; then 1.6 s is not below 1 s.
        assert_eq!(c.rto(t + ms(801 + 1600 + 3200 + 6400 + 12_800)), ms(1600));
        assert_eq!(c.rto(t + Duration::from_secs(3600)), ms(1600));
    }

    #[test]
    fn an_idle_long_rto_decays_towards_the_blind_value() {
        let t = Instant::now();
        let mut c = Cocoa::new(BLIND_RTO, t);
        for _ in 0..20 {
            c.on_answer(t, ms(5000), 0);
        }
        let long = c.rto(t);
        assert!(long > Duration::from_secs(5), "{long:?}");
        let later = c.rto(t + long * 4 + ms(1));
        assert_eq!(later, Duration::from_secs(1) + long / 2);
    }

    #[test]
    fn the_backoff_factor_depends_on_where_the_exchange_started() {
        assert_eq!(Cocoa::backoff(ms(50), ms(50)), ms(100));
        assert_eq!(Cocoa::backoff(ms(50), ms(1600)), ms(3200));
        assert_eq!(Cocoa::backoff(ms(2000), ms(2000)), ms(4000));
        assert_eq!(Cocoa::backoff(ms(4000), ms(4000)), ms(6000));
        assert_eq!(Cocoa::backoff(ms(2000), ms(30_000)), MAX_RTO);
    }
}
