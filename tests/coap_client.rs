//! The sans-IO CoAP client, driven by hand with simulated time: what it
//! sends, when it retransmits, how it reassembles, and how it refuses bad
//! answers. Also a replay of a real device's block-wise `/oic/res` answer.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ocf_mediator::coap::client::Error;
use ocf_mediator::coap::{
    Block, Client, ClientConfig, Cocoa, Code, Event, Message, MessageType, OptionNumber, Request,
    RequestId,
};

const PEER: &str = "192.0.2.10:5683";

fn peer() -> SocketAddr {
    PEER.parse().unwrap()
}

/// A client, a clock and a way to talk to it.
struct Bench {
    client: Client,
    now: Instant,
}

impl Bench {
    fn new() -> Bench {
        Bench::with(ClientConfig::default())
    }

    fn with(config: ClientConfig) -> Bench {
        Bench {
            client: Client::new(config, 7),
            now: Instant::now(),
        }
    }

    fn get(&mut self, href: &str) -> RequestId {
        self.client.request(self.now, peer(), Request::get(href))
    }

    /// Every datagram the client wants to send now, decoded.
    fn sent(&mut self) -> Vec<Message> {
        std::iter::from_fn(|| self.client.poll_transmit())
            .map(|t| Message::decode(&t.datagram).expect("client sends valid CoAP"))
            .collect()
    }

    fn one_sent(&mut self) -> Message {
        let mut sent = self.sent();
        assert_eq!(sent.len(), 1, "expected one datagram, got {sent:?}");
        sent.remove(0)
    }

    fn receive(&mut self, message: &Message) {
        self.receive_from(peer(), message);
    }

    fn receive_from(&mut self, from: SocketAddr, message: &Message) {
        self.client
            .handle_datagram(self.now, from, &message.encode())
            .unwrap();
    }

    fn advance_to_deadline(&mut self) {
        let deadline = self.client.poll_timeout().expect("a deadline");
        assert!(deadline >= self.now);
        self.now = deadline;
        self.client.handle_timeout(self.now);
    }

    fn events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.client.poll_event()).collect()
    }

    fn response(&mut self) -> ocf_mediator::coap::Response {
        match self.events().as_slice() {
            [Event::Response { response, .. }] => response.clone(),
            other => panic!("expected one response, got {other:?}"),
        }
    }

    fn failure(&mut self) -> Error {
        match self.events().as_slice() {
            [Event::Failed { error, .. }] => error.clone(),
            other => panic!("expected one failure, got {other:?}"),
        }
    }
}

/// A piggybacked answer to `request`.
fn ack(request: &Message, code: Code, payload: &[u8]) -> Message {
    let mut m = Message::new(MessageType::Acknowledgement, code, request.message_id);
    m.token = request.token.clone();
    m.payload = payload.to_vec();
    m
}

/// A piggybacked Block2 answer carrying `body[block]`.
fn block_answer(request: &Message, body: &[u8], num: u32, size: usize) -> Message {
    let start = num as usize * size;
    let end = (start + size).min(body.len());
    let mut m = ack(request, Code::CONTENT, &body[start..end]);
    m.options.set(
        OptionNumber::BLOCK2,
        Block::new(num, end < body.len(), size).encode(),
    );
    m.options.set(OptionNumber::ETAG, b"etag0001".to_vec());
    m
}

fn body(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

#[test]
fn a_confirmable_get_gets_a_piggybacked_answer() {
    let mut bench = Bench::new();
    bench.get("/oic/d?x=1");
    let request = bench.one_sent();
    assert_eq!(request.mtype, MessageType::Confirmable);
    assert_eq!(request.code, Code::GET);
    assert_eq!(request.options.uri_path(), "/oic/d");
    assert_eq!(request.options.uri_queries().collect::<Vec<_>>(), ["x=1"]);
    assert!(!request.token.is_empty());
    bench.receive(&ack(&request, Code::CONTENT, b"hello"));
    assert_eq!(bench.response().payload, b"hello");
    assert_eq!(bench.client.active(), 0);
}

#[test]
fn unanswered_requests_to_an_unknown_peer_are_retransmitted_with_doubling_timeouts_then_time_out() {
    let mut bench = Bench::new();
    let start = bench.now;
    bench.get("/oic/d");
    let first = bench.one_sent();
    let mut gaps = Vec::new();
    let mut last = start;
    for _ in 0..4 {
        bench.advance_to_deadline();
        let again = bench.one_sent();
        assert_eq!(
            again.message_id, first.message_id,
            "a retransmission repeats the message"
        );
        gaps.push(bench.now - last);
        last = bench.now;
    }
    assert!(
        gaps[0] >= Duration::from_secs(2) && gaps[0] <= Duration::from_secs(3),
        "{gaps:?}"
    );
    for pair in gaps.windows(2) {
        assert_eq!(pair[1], pair[0] * 2, "timeouts double: {gaps:?}");
    }
    // After the last retransmission, one more (doubled) timeout for its
    // answer, truncated at 32 s (CoCoA §4.2.1).
    bench.advance_to_deadline();
    assert!(bench.sent().is_empty(), "no fifth retransmission");
    assert!(bench.events().is_empty());
    let before = bench.now;
    bench.advance_to_deadline();
    assert_eq!(
        bench.now - before,
        (gaps[3] * 2).min(Duration::from_secs(32))
    );
    assert!(bench.sent().is_empty());
    assert_eq!(bench.failure(), Error::Timeout);
}

/// Answers `count` GETs after `rtt` each, without loss.
fn measure(bench: &mut Bench, count: usize, rtt: Duration) {
    for _ in 0..count {
        bench.get("/oic/d");
        let request = bench.one_sent();
        bench.now += rtt;
        bench.receive(&ack(&request, Code::CONTENT, b"ok"));
        bench.response();
    }
}

/// The gaps between the transmissions of one unanswered request, until
/// it times out.
fn retransmission_gaps(bench: &mut Bench) -> Vec<Duration> {
    bench.get("/oic/sec/doxm");
    let first = bench.one_sent();
    let mut gaps = Vec::new();
    let mut last = bench.now;
    while bench.client.active() > 0 {
        bench.advance_to_deadline();
        if let Some(again) = bench.sent().first() {
            assert_eq!(again.message_id, first.message_id);
            gaps.push(bench.now - last);
            last = bench.now;
        }
    }
    assert_eq!(bench.failure(), Error::Timeout);
    gaps
}

#[test]
fn a_peer_that_answered_quickly_is_retransmitted_to_within_milliseconds() {
    let mut bench = Bench::new();
    // CoCoA: each answer at once moves the RTO half-way to its estimate,
    // from the blind 2 s down to the 50 ms floor.
    measure(&mut bench, 12, Duration::from_millis(2));
    let gaps = retransmission_gaps(&mut bench);
    assert!(
        gaps[0] >= Duration::from_millis(50) && gaps[0] <= Duration::from_millis(75),
        "the RTO, dithered up to 1.5 times: {gaps:?}"
    );
    for pair in gaps.windows(2) {
        assert_eq!(
            pair[1],
            (pair[0] * 2).min(Duration::from_secs(32)),
            "backoff factor 2 from below 3 s, truncated at 32 s: {gaps:?}"
        );
    }
    // More than MAX_RETRANSMIT (4) retransmissions, the last one within
    // MAX_TRANSMIT_SPAN (45 s) of the first transmission.
    let sent_at: Vec<Duration> = gaps
        .iter()
        .scan(Duration::ZERO, |at, gap| {
            *at += *gap;
            Some(*at)
        })
        .collect();
    let last = *sent_at.last().unwrap();
    let next_gap = (*gaps.last().unwrap() * 2).min(Duration::from_secs(32));
    assert!(gaps.len() > 5, "{sent_at:?}");
    assert!(last <= Duration::from_secs(45), "{sent_at:?}");
    assert!(last + next_gap > Duration::from_secs(45), "{sent_at:?}");
}

#[test]
fn the_measurements_of_one_client_start_the_next() {
    let mut first = Bench::new();
    measure(&mut first, 12, Duration::from_millis(2));
    let path: Cocoa = first.client.path(peer()).expect("measured").clone();
    assert_eq!(path.srtt(), Some(Duration::from_millis(2)));
    let mut next = Bench::new();
    assert!(next.client.path(peer()).is_none());
    next.client.learn_path(peer(), path);
    let gaps = retransmission_gaps(&mut next);
    assert!(gaps[0] <= Duration::from_millis(75), "{gaps:?}");
}

#[test]
fn parallel_requests_to_an_unknown_peer_wait_longer_each_until_it_answers() {
    let mut bench = Bench::new();
    let start = bench.now;
    for href in ["/oic/res", "/oic/d", "/oic/sec/doxm"] {
        bench.get(href);
    }
    let sent = bench.sent();
    assert_eq!(sent.len(), 3);
    // Blind, the n-th waits n times ACK_TIMEOUT (CoCoA §4.1), dithered.
    let mut first_retransmission = std::collections::HashMap::new();
    while first_retransmission.len() < 3 {
        bench.advance_to_deadline();
        for m in bench.sent() {
            first_retransmission
                .entry(m.message_id)
                .or_insert(bench.now - start);
        }
    }
    for (n, request) in sent.iter().enumerate() {
        let at = first_retransmission[&request.message_id];
        let ack_timeout = Duration::from_secs(2) * (n as u32 + 1);
        assert!(
            at >= ack_timeout && at <= ack_timeout.mul_f64(1.5),
            "request {n} first retransmitted after {at:?}"
        );
    }
}

#[test]
fn the_first_answer_shortens_the_wait_of_requests_sent_blind() {
    let mut bench = Bench::new();
    let start = bench.now;
    bench.get("/oic/res");
    bench.get("/oic/d");
    bench.get("/oic/sec/doxm");
    let sent = bench.sent();
    bench.now += Duration::from_millis(100);
    bench.receive(&ack(&sent[0], Code::CONTENT, b"listing"));
    bench.response();
    // One strong sample of 100 ms: RTO = 100 + 4 * 50 = 300 ms; the two
    // still waiting are retransmitted by 1.5 times that after they were
    // sent, instead of after 4 and 6 seconds.
    let mut retransmitted = Vec::new();
    while retransmitted.len() < 2 {
        bench.advance_to_deadline();
        retransmitted.extend(bench.sent().into_iter().map(|m| m.message_id));
    }
    assert!(
        bench.now - start <= Duration::from_millis(450),
        "{:?}",
        bench.now - start
    );
    retransmitted.sort();
    let mut waiting = vec![sent[1].message_id, sent[2].message_id];
    waiting.sort();
    assert_eq!(retransmitted, waiting);
}

#[test]
fn an_answer_to_a_blind_retransmission_teaches_nothing() {
    let mut bench = Bench::new();
    bench.get("/oic/d");
    let request = bench.one_sent();
    // Lost; retransmitted after the blind 2 to 3 s, then answered at once.
    bench.advance_to_deadline();
    bench.one_sent();
    bench.now += Duration::from_millis(1);
    bench.receive(&ack(&request, Code::CONTENT, b"late"));
    bench.response();
    // Its 2 s "round trip" measured the guess: still blind.
    assert!(bench.client.path(peer()).is_none());
}

#[test]
fn an_empty_ack_stops_retransmission_and_the_separate_response_is_acknowledged() {
    let mut bench = Bench::new();
    bench.get("/oic/res");
    let request = bench.one_sent();
    bench.receive(&Message::empty_ack(request.message_id));
    let mut separate = Message::new(MessageType::Confirmable, Code::CONTENT, 0x7777);
    separate.token = request.token.clone();
    separate.payload = b"late".to_vec();
    bench.receive(&separate);
    let acks = bench.sent();
    assert_eq!(acks, [Message::empty_ack(0x7777)]);
    assert_eq!(bench.response().payload, b"late");
    // The same CON again (our ACK was lost): acknowledged again, not delivered twice.
    bench.receive(&separate);
    assert_eq!(bench.sent(), [Message::empty_ack(0x7777)]);
    assert!(bench.events().is_empty());
}

#[test]
fn a_separate_response_that_never_comes_times_out_after_a_few_reasks() {
    let mut bench = Bench::new();
    bench.get("/oic/res");
    let request = bench.one_sent();
    let acked = bench.now;
    bench.receive(&Message::empty_ack(request.message_id));
    // Asked again, each time acknowledged and still not answered.
    let mut message_ids = vec![request.message_id];
    for _ in 0..ocf_mediator::coap::client::REASKS {
        bench.advance_to_deadline();
        let again = bench.one_sent();
        assert_eq!(again.token, request.token, "the same token");
        assert_eq!(again.code, Code::GET);
        assert!(!message_ids.contains(&again.message_id), "a new message id");
        message_ids.push(again.message_id);
        bench.receive(&Message::empty_ack(again.message_id));
    }
    bench.advance_to_deadline();
    assert!(bench.sent().is_empty(), "no more than REASKS re-asks");
    assert_eq!(bench.failure(), Error::Timeout);
    assert_eq!(
        bench.now - acked,
        ClientConfig::default().separate_response_timeout,
        "the wait for a separate response is bounded as before"
    );
}

/// The reference device sends the last block of a block-wise answer as a
/// separate CON right after its empty ACK, and retransmits it only on its
/// own 2 s timer. A late one is asked for again on the path's round trip.
#[test]
fn a_late_separate_response_to_a_get_is_asked_for_again_on_the_measured_rtt() {
    let mut bench = Bench::new();
    bench.get("/oic/res");
    let request = bench.one_sent();
    bench.now += Duration::from_millis(1);
    bench.receive(&Message::empty_ack(request.message_id));
    // The separate response is lost: asked again within 2 RTOs of a
    // millisecond's round trip (the floor of 50 ms each), not seconds.
    let asked = bench.now;
    bench.advance_to_deadline();
    assert!(
        bench.now - asked <= Duration::from_millis(100),
        "{:?}",
        bench.now - asked
    );
    let again = bench.one_sent();
    assert_eq!(again.token, request.token);
    assert_ne!(again.message_id, request.message_id);
    // Whichever separate response comes (here the first one, late) ends it.
    let mut separate = Message::new(MessageType::Confirmable, Code::CONTENT, 0x7777);
    separate.token = request.token.clone();
    separate.payload = b"late".to_vec();
    bench.receive(&separate);
    assert_eq!(bench.sent(), [Message::empty_ack(0x7777)]);
    assert_eq!(bench.response().payload, b"late");
    // The answer to the second asking, when it comes, is refused politely.
    let mut second = Message::new(MessageType::Confirmable, Code::CONTENT, 0x7778);
    second.token = request.token.clone();
    bench.receive(&second);
    assert_eq!(bench.sent(), [Message::reset(0x7778)]);
    assert!(bench.events().is_empty());
}

/// Message ids are the sender's: the peer's separate response may carry an
/// id we used for a request it answered piggybacked (seen in a batch of
/// 1000 devices: the device's own counter met ours, and every re-ask's
/// answer was dropped as a duplicate until the locate timed out).
#[test]
fn a_separate_response_whose_id_equals_one_of_ours_is_not_a_duplicate() {
    let mut bench = Bench::new();
    bench.get("/oic/d");
    let first = bench.one_sent();
    let mut piggybacked = Message::new(
        MessageType::Acknowledgement,
        Code::CONTENT,
        first.message_id,
    );
    piggybacked.token = first.token.clone();
    bench.receive(&piggybacked);
    bench.response();
    bench.get("/oic/res");
    let second = bench.one_sent();
    bench.receive(&Message::empty_ack(second.message_id));
    let mut separate = Message::new(MessageType::Confirmable, Code::CONTENT, first.message_id);
    separate.token = second.token.clone();
    separate.payload = b"late".to_vec();
    bench.receive(&separate);
    assert_eq!(bench.sent(), [Message::empty_ack(first.message_id)]);
    assert_eq!(bench.response().payload, b"late");
}

#[test]
fn a_post_acknowledged_with_an_empty_ack_is_never_sent_again() {
    let mut bench = Bench::new();
    bench.client.request(
        bench.now,
        peer(),
        Request::new(Code::POST, "/oic/sec/pstat"),
    );
    let request = bench.one_sent();
    bench.receive(&Message::empty_ack(request.message_id));
    bench.advance_to_deadline();
    assert!(bench.sent().is_empty(), "a POST is not safe to repeat");
    assert_eq!(bench.failure(), Error::Timeout);
}

#[test]
fn a_reset_fails_the_request() {
    let mut bench = Bench::new();
    bench.get("/oic/d");
    let request = bench.one_sent();
    bench.receive(&Message::reset(request.message_id));
    assert_eq!(bench.failure(), Error::Reset);
}

#[test]
fn answers_from_another_address_are_ignored() {
    let mut bench = Bench::new();
    bench.get("/oic/d");
    let request = bench.one_sent();
    bench.receive_from(
        "192.0.2.99:5683".parse().unwrap(),
        &ack(&request, Code::CONTENT, b"spoof"),
    );
    assert!(bench.events().is_empty());
    bench.receive(&ack(&request, Code::CONTENT, b"real"));
    assert_eq!(bench.response().payload, b"real");
}

#[test]
fn block2_answers_are_reassembled() {
    let mut bench = Bench::new();
    let whole = body(2296);
    bench.get("/oic/res");
    for num in 0..3 {
        let request = bench.one_sent();
        let asked = request
            .options
            .get(OptionNumber::BLOCK2)
            .and_then(Block::decode);
        if num == 0 {
            assert_eq!(
                asked, None,
                "the first request asks for no particular block"
            );
        } else {
            assert_eq!(asked.map(|b| (b.num, b.size())), Some((num, 1024)));
        }
        bench.receive(&block_answer(&request, &whole, num, 1024));
    }
    let response = bench.response();
    assert_eq!(response.payload, whole);
    assert!(!response.options.contains(OptionNumber::BLOCK2));
}

#[test]
fn a_small_block_size_is_asked_for_from_the_first_request() {
    let mut bench = Bench::with(ClientConfig {
        block_size: 64,
        ..ClientConfig::default()
    });
    let whole = body(300);
    bench.get("/oic/res");
    for num in 0..5 {
        let request = bench.one_sent();
        let asked = request
            .options
            .get(OptionNumber::BLOCK2)
            .and_then(Block::decode)
            .unwrap();
        assert_eq!((asked.num, asked.size()), (num, 64));
        bench.receive(&block_answer(&request, &whole, num, 64));
    }
    assert_eq!(bench.response().payload, whole);
}

#[test]
fn an_endless_block2_sequence_ends_at_the_size_cap() {
    let mut bench = Bench::with(ClientConfig {
        max_body: 10 * 1024,
        ..ClientConfig::default()
    });
    bench.get("/oic/res");
    let endless = vec![b'x'; 1024];
    for num in 0.. {
        let request = bench.one_sent();
        let mut answer = ack(&request, Code::CONTENT, &endless);
        answer
            .options
            .set(OptionNumber::BLOCK2, Block::new(num, true, 1024).encode());
        bench.receive(&answer);
        let events = bench.events();
        if let [Event::Failed { error, .. }] = events.as_slice() {
            assert_eq!(*error, Error::BodyTooLarge { limit: 10 * 1024 });
            assert!(num <= 10);
            return;
        }
        assert!(events.is_empty());
        assert!(num < 20, "the cap never triggered");
    }
}

#[test]
fn an_announced_size_above_the_cap_is_refused_at_once() {
    let mut bench = Bench::with(ClientConfig {
        max_body: 4096,
        ..ClientConfig::default()
    });
    bench.get("/big");
    let request = bench.one_sent();
    let mut answer = block_answer(&request, &body(2048), 0, 1024);
    answer.options.set_uint(OptionNumber::SIZE2, 1 << 30);
    bench.receive(&answer);
    assert_eq!(bench.failure(), Error::BodyTooLarge { limit: 4096 });
}

#[test]
fn a_short_block_that_claims_more_is_malformed() {
    let mut bench = Bench::new();
    bench.get("/oic/res");
    let request = bench.one_sent();
    let mut answer = ack(&request, Code::CONTENT, b"short");
    answer
        .options
        .set(OptionNumber::BLOCK2, Block::new(0, true, 1024).encode());
    bench.receive(&answer);
    assert_eq!(bench.failure(), Error::MalformedBlock);
}

#[test]
fn a_block_other_than_the_one_asked_for_is_refused() {
    let mut bench = Bench::new();
    let whole = body(3000);
    bench.get("/oic/res");
    let request = bench.one_sent();
    bench.receive(&block_answer(&request, &whole, 0, 1024));
    let request = bench.one_sent();
    bench.receive(&block_answer(&request, &whole, 2, 1024));
    assert_eq!(
        bench.failure(),
        Error::UnexpectedBlock {
            expected: 1,
            received: 2
        }
    );
}

#[test]
fn a_changed_etag_restarts_the_transfer_once_then_gives_up() {
    let mut bench = Bench::new();
    let whole = body(3000);
    bench.get("/oic/res");
    let request = bench.one_sent();
    bench.receive(&block_answer(&request, &whole, 0, 1024));
    for round in 0..2 {
        let request = bench.one_sent();
        let mut answer = block_answer(&request, &whole, 1, 1024);
        answer
            .options
            .set(OptionNumber::ETAG, format!("changed{round}").into_bytes());
        bench.receive(&answer);
        if round == 0 {
            assert!(bench.events().is_empty());
            let restart = bench.one_sent();
            assert_eq!(
                restart.options.get(OptionNumber::BLOCK2),
                None,
                "restarts from block 0"
            );
            let mut first = block_answer(&restart, &whole, 0, 1024);
            first.options.set(OptionNumber::ETAG, b"changed0".to_vec());
            bench.receive(&first);
        }
    }
    assert_eq!(bench.failure(), Error::ResourceChanging);
}

#[test]
fn large_request_bodies_go_block1_and_continue_on_2_31() {
    let mut bench = Bench::new();
    let payload = body(2500);
    let mut request = Request::new(Code::POST, "/oic/sec/cred");
    request.payload = payload.clone();
    bench.client.request(bench.now, peer(), request);
    let mut received = Vec::new();
    for num in 0..3u32 {
        let part = bench.one_sent();
        let block = Block::decode(part.options.get(OptionNumber::BLOCK1).unwrap()).unwrap();
        assert_eq!((block.num, block.more, block.size()), (num, num < 2, 1024));
        if num == 0 {
            assert_eq!(part.options.get_uint(OptionNumber::SIZE1), Some(2500));
        }
        received.extend_from_slice(&part.payload);
        let code = if block.more {
            Code::CONTINUE
        } else {
            Code::CHANGED
        };
        let mut answer = ack(&part, code, &[]);
        answer.options.set(OptionNumber::BLOCK1, block.encode());
        bench.receive(&answer);
    }
    assert_eq!(received, payload);
    assert_eq!(bench.response().code, Code::CHANGED);
}

#[test]
fn a_multicast_request_collects_answers_from_every_peer() {
    let mut bench = Bench::new();
    let group: SocketAddr = "224.0.1.187:5683".parse().unwrap();
    let id = bench.client.multicast(group, Request::get("/oic/res"));
    let transmit = bench.client.poll_transmit().unwrap();
    assert_eq!(transmit.destination, group);
    let request = Message::decode(&transmit.datagram).unwrap();
    assert_eq!(request.mtype, MessageType::NonConfirmable);
    let a: SocketAddr = "192.0.2.1:40000".parse().unwrap();
    let b: SocketAddr = "192.0.2.2:40000".parse().unwrap();
    let answer = |payload: &[u8]| {
        let mut m = Message::new(MessageType::NonConfirmable, Code::CONTENT, 1);
        m.token = request.token.clone();
        m.payload = payload.to_vec();
        m
    };
    bench.receive_from(a, &answer(b"from a"));
    bench.receive_from(a, &answer(b"from a")); // duplicate datagram
    // b's answer is block-wise: the rest is fetched from b by unicast.
    let whole = body(1500);
    let mut first = answer(&whole[..1024]);
    first.message_id = 2;
    first
        .options
        .set(OptionNumber::BLOCK2, Block::new(0, true, 1024).encode());
    first.options.set(OptionNumber::ETAG, b"etag0001".to_vec());
    bench.receive_from(b, &first);
    let follow_up = bench.client.poll_transmit().unwrap();
    assert_eq!(follow_up.destination, b);
    let follow_up = Message::decode(&follow_up.datagram).unwrap();
    assert_eq!(follow_up.mtype, MessageType::Confirmable);
    bench.receive_from(b, &block_answer(&follow_up, &whole, 1, 1024));
    let events = bench.events();
    let payloads: Vec<(SocketAddr, Vec<u8>)> = events
        .iter()
        .map(|e| match e {
            Event::Response {
                id: got,
                from,
                response,
            } => {
                assert_eq!(*got, id);
                (*from, response.payload.clone())
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(payloads, [(a, b"from a".to_vec()), (b, whole)]);
    assert!(
        bench.client.is_active(id),
        "multicast requests run until cancelled"
    );
    bench.client.cancel(id);
    assert!(!bench.client.is_active(id));
}

#[test]
fn unknown_confirmable_responses_are_reset_and_requests_to_us_refused() {
    let mut bench = Bench::new();
    let mut stray = Message::new(MessageType::Confirmable, Code::CONTENT, 99);
    stray.token = vec![1, 2, 3];
    bench.receive(&stray);
    assert_eq!(bench.sent(), [Message::reset(99)]);
    let mut request = Message::new(MessageType::Confirmable, Code::GET, 100);
    request.options.set_uri("/x");
    bench.receive(&request);
    assert_eq!(bench.sent(), [Message::reset(100)]);
    assert!(bench.events().is_empty());
}

#[test]
fn garbage_from_the_network_never_panics_the_client() {
    let mut bench = Bench::new();
    let mut current = bench.get("/oic/res");
    let request = bench.one_sent();
    let mut rng = common::XorShift(42u64);
    let mut next = || rng.next();
    for _ in 0..50_000 {
        let mut message = ack(&request, Code(next() as u8), &[]);
        message.mtype = [
            MessageType::Acknowledgement,
            MessageType::Confirmable,
            MessageType::NonConfirmable,
        ][(next() % 3) as usize];
        for _ in 0..next() % 4 {
            let number = [4u16, 12, 23, 27, 28, 60, 2053][(next() % 7) as usize];
            let len = (next() % 5) as usize;
            message.options.push(
                OptionNumber(number),
                (0..len).map(|_| next() as u8).collect(),
            );
        }
        message.payload = (0..next() % 40).map(|_| next() as u8).collect();
        let mut datagram = message.encode();
        if next() % 4 == 0 {
            let cut = (next() as usize) % datagram.len();
            datagram.truncate(cut);
        }
        let _ = bench.client.handle_datagram(bench.now, peer(), &datagram);
        bench.sent();
        bench.events();
        if !bench.client.is_active(current) {
            current = bench.get("/oic/res");
            bench.sent();
        }
        assert!(
            bench.client.active() <= 1,
            "finished requests are forgotten"
        );
    }
}

/// The real device's `/oic/res` transfer (tests/vectors), replayed
/// against our client with its message ids and tokens: 3 blocks of 1024,
/// the last one a separate CON response after an empty ACK.
#[test]
fn the_real_devices_block_wise_discovery_answer_is_reassembled() {
    for (file, block_size) in [
        ("udp4_get_oic_res.json", 1024),
        ("udp6_get_oic_res_block2_szx2_first.json", 64),
    ] {
        let path = common::vectors_dir().join("coap-unsecured").join(file);
        let vector: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let unhex = |t: &str| -> Vec<u8> {
            (0..t.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&t[i..i + 2], 16).unwrap())
                .collect()
        };
        let mut bench = Bench::with(ClientConfig {
            block_size,
            ..ClientConfig::default()
        });
        bench.get("/oic/res");
        let rounds = vector["rounds"].as_array().unwrap();
        for (i, round) in rounds.iter().enumerate() {
            let ours = bench.one_sent();
            let theirs = Message::decode(&unhex(round["request_hex"].as_str().unwrap())).unwrap();
            assert_eq!(
                ours.options.get(OptionNumber::BLOCK2),
                theirs.options.get(OptionNumber::BLOCK2),
                "{file} round {i}: Block2 asked"
            );
            for answer in round["responses_hex"].as_array().unwrap() {
                let mut answer = Message::decode(&unhex(answer.as_str().unwrap())).unwrap();
                if answer.mtype == MessageType::Acknowledgement {
                    answer.message_id = ours.message_id;
                }
                if !answer.token.is_empty() {
                    answer.token = ours.token.clone();
                }
                bench.receive(&answer);
            }
            if let Some(ack) = round.get("ack_sent_hex") {
                let expected = Message::decode(&unhex(ack.as_str().unwrap())).unwrap();
                assert_eq!(
                    bench.sent(),
                    [expected],
                    "{file}: the separate response is acknowledged"
                );
            }
        }
        let response = bench.response();
        assert_eq!(
            response.payload,
            unhex(vector["reassembled_payload_hex"].as_str().unwrap()),
            "{file}"
        );
        assert_eq!(response.content_format(), Some(10000));
    }
}

#[test]
fn an_error_to_an_early_block1_part_is_the_answer_to_the_request() {
    let mut bench = Bench::new();
    let mut request = Request::new(Code::POST, "/oic/sec/cred");
    request.payload = body(5000);
    bench.client.request(bench.now, peer(), request);
    let first = bench.one_sent();
    let mut too_large = ack(&first, Code::REQUEST_ENTITY_TOO_LARGE, &[]);
    too_large.options.set_uint(OptionNumber::SIZE1, 2048);
    bench.receive(&too_large);
    let response = bench.response();
    assert_eq!(response.code, Code::REQUEST_ENTITY_TOO_LARGE);
    assert!(bench.sent().is_empty(), "no further parts");
}
