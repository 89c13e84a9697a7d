//! Record framing, the 64-entry anti-replay window, the retransmission timer and
//! handshake reassembly limits, tested directly.

use std::time::{Duration, Instant};

use ocf_mediator::dtls::handshake::messages::HandshakeHeader;
use ocf_mediator::dtls::handshake::reassembly::{MAX_MESSAGE_LEN, Reassembler};
use ocf_mediator::dtls::record::{parse_datagram, write_record};
use ocf_mediator::dtls::replay::ReplayWindow;
use ocf_mediator::dtls::{Error, Expiry, RetransmitTimer};

#[test]
fn a_datagram_holds_several_records_and_parsing_stops_at_a_broken_one() {
    let mut d = Vec::new();
    write_record(&mut d, 22, 0, 5, b"first");
    write_record(&mut d, 20, 0, 6, &[1]);
    write_record(&mut d, 23, 1, 0x0000_ffff_ffff, b"third");
    let recs = parse_datagram(&d);
    assert_eq!(recs.len(), 3);
    assert_eq!(
        (recs[0].content_type, recs[0].seq, recs[0].payload),
        (22, 5, &b"first"[..])
    );
    assert_eq!((recs[2].epoch, recs[2].seq), (1, 0xffff_ffff));
    // A truncated last record is dropped, the earlier ones are kept.
    assert_eq!(parse_datagram(&d[..d.len() - 1]).len(), 2);
    // Unknown content types and versions end parsing.
    let mut bad = d.clone();
    bad[0] = 99;
    assert!(parse_datagram(&bad).is_empty());
    let mut old = d.clone();
    old[2] = 0xff; // 0xfeff is DTLS 1.0: accepted in the record layer
    assert_eq!(parse_datagram(&old).len(), 3);
    old[1] = 0x03; // TLS, not DTLS
    assert!(parse_datagram(&old).is_empty());
}

#[test]
fn replay_window_accepts_each_number_once_within_64() {
    let mut w = ReplayWindow::new();
    assert!(w.check(0));
    w.mark(0);
    assert!(!w.check(0));
    w.mark(100);
    assert!(!w.check(100));
    assert!(
        w.check(99) && w.check(37),
        "inside the window, not yet seen"
    );
    assert!(!w.check(36), "100 - 64 is outside the window");
    w.mark(37);
    assert!(!w.check(37));
    // Moving far ahead forgets everything older than 64.
    w.mark(1000);
    assert!(!w.check(936) && w.check(937) && !w.check(1000));
    for s in 937..1000 {
        assert!(w.check(s));
        w.mark(s);
        assert!(!w.check(s));
    }
    assert!(w.check(1001));
}

#[test]
fn retransmission_timer_doubles_up_to_the_cap_then_gives_up() {
    let t0 = Instant::now();
    let mut t = RetransmitTimer::new(
        Duration::from_secs(1),
        Duration::from_millis(50),
        Duration::from_secs(4),
        4,
        None,
    );
    assert_eq!(t.deadline(), None);
    t.start(t0);
    assert_eq!(t.deadline(), Some(t0 + Duration::from_secs(1)));
    assert_eq!(t.expire(t0), None, "not due yet");
    let mut now = t0;
    let mut seen = Vec::new();
    while let Some(d) = t.deadline() {
        seen.push((d - now).as_secs());
        now = d;
        if t.expire(now) == Some(Expiry::GiveUp) {
            break;
        }
    }
    assert_eq!(seen, vec![1, 2, 4, 4, 4]);
    assert_eq!(t.deadline(), None);
    // A new flight restarts at the initial value.
    t.start(now);
    assert_eq!(t.deadline(), Some(now + Duration::from_secs(1)));
}

fn frag(seq: u16, len: u32, off: u32, data: &[u8]) -> HandshakeHeader {
    HandshakeHeader {
        msg_type: 11,
        length: len,
        message_seq: seq,
        fragment_offset: off,
        fragment_length: data.len() as u32,
    }
}

#[test]
fn reassembly_joins_overlapping_out_of_order_fragments() {
    let body: Vec<u8> = (0..200u8).collect();
    let mut r = Reassembler::new();
    for (off, end) in [(150, 200), (0, 60), (40, 120), (100, 160)] {
        assert!(r.take(3).is_none());
        let d = &body[off..end];
        r.add(3, &frag(3, 200, off as u32, d), d).unwrap();
    }
    let m = r.take(3).unwrap();
    assert_eq!((m.msg_type, m.message_seq, m.body), (11, 3, body));
}

#[test]
fn reassembly_is_bounded() {
    let mut r = Reassembler::new();
    // Too long a message is refused outright.
    let big = (MAX_MESSAGE_LEN + 1) as u32;
    assert_eq!(
        r.add(0, &frag(0, big, 0, &[1]), &[1]),
        Err(Error::LimitExceeded)
    );
    // Messages far ahead of the next expected one are ignored, old ones too.
    r.add(10, &frag(100, 10, 0, &[1]), &[1]).unwrap();
    r.add(10, &frag(5, 1, 0, &[1]), &[1]).unwrap();
    assert!(r.take(100).is_none() && r.take(5).is_none());
    // Fragments disagreeing on the length are a decode error.
    r.add(0, &frag(0, 10, 0, &[1]), &[1]).unwrap();
    assert_eq!(
        r.add(0, &frag(0, 11, 1, &[1]), &[1]),
        Err(Error::DecodeError)
    );
}

#[test]
fn handshake_header_rejects_fragments_beyond_the_message() {
    use ocf_mediator::dtls::codec::Reader;
    // length 4, offset 3, fragment_length 2 -> beyond the end
    let bytes = [11, 0, 0, 4, 0, 0, 0, 0, 3, 0, 0, 2, 9, 9];
    assert_eq!(
        HandshakeHeader::parse(&mut Reader::new(&bytes)).map(|_| ()),
        Err(Error::DecodeError)
    );
    let ok = [11, 0, 0, 4, 0, 0, 0, 0, 2, 0, 0, 2, 9, 9];
    assert!(HandshakeHeader::parse(&mut Reader::new(&ok)).is_ok());
}
