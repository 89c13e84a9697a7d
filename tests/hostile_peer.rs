//! A peer that misbehaves on purpose: whatever it sends, `ocf-mediator get`
//! ends with a clear error and an exit code, never a panic.

mod common;

use std::net::UdpSocket;
use std::thread;

use common::mediator;
use ocf_mediator::coap::{Block, Code, Message, MessageType, OptionNumber};

/// Runs a fake device that answers each request with what `answer` makes.
fn fake_device(answer: impl Fn(&Message, u32) -> Vec<Vec<u8>> + Send + 'static) -> String {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let address = socket.local_addr().unwrap().to_string();
    thread::spawn(move || {
        let mut buf = [0u8; 2048];
        let mut count = 0;
        while let Ok((n, from)) = socket.recv_from(&mut buf) {
            let Ok(request) = Message::decode(&buf[..n]) else {
                continue;
            };
            if request.code.is_empty() {
                continue;
            }
            for datagram in answer(&request, count) {
                let _ = socket.send_to(&datagram, from);
            }
            count += 1;
        }
    });
    address
}

fn reply(request: &Message) -> Message {
    let mut m = Message::new(
        MessageType::Acknowledgement,
        Code::CONTENT,
        request.message_id,
    );
    m.token = request.token.clone();
    m
}

fn assert_clean_failure(run: &common::Run, code: i32, says: &str) {
    assert_eq!(run.code, code, "stderr: {}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert!(
        run.stderr.contains(says),
        "expected {says:?} in: {}",
        run.stderr
    );
}

#[test]
fn garbage_datagrams_are_ignored_until_the_timeout() {
    let address = fake_device(|_, n| {
        let junk: Vec<Vec<u8>> = vec![
            vec![0xff; 3],
            vec![0x44, 0x45, 0, 1, 9],
            vec![0x40, 0x45, 0, 1, 0xf1],
            (0..200).map(|i| (i * 37 + n) as u8).collect(),
        ];
        junk
    });
    let run = mediator(&["get", &address, "/oic/d", "--timeout", "1s"]);
    assert_clean_failure(&run, 4, "did not answer in time");
}

#[test]
fn an_endless_block2_sequence_stops_at_the_size_cap() {
    let address = fake_device(|request, _| {
        let num = request
            .options
            .get(OptionNumber::BLOCK2)
            .and_then(Block::decode)
            .map_or(0, |b| b.num);
        let mut m = reply(request);
        m.options
            .set(OptionNumber::BLOCK2, Block::new(num, true, 1024).encode());
        m.payload = vec![b'a'; 1024];
        vec![m.encode()]
    });
    let run = mediator(&["get", &address, "/oic/res"]);
    assert_clean_failure(&run, 1, "exceeds the limit");
}

#[test]
fn an_announced_giant_body_is_refused_at_once() {
    let address = fake_device(|request, _| {
        let mut m = reply(request);
        m.options
            .set(OptionNumber::BLOCK2, Block::new(0, true, 1024).encode());
        m.options.set_uint(OptionNumber::SIZE2, u32::MAX);
        m.payload = vec![b'a'; 1024];
        vec![m.encode()]
    });
    let run = mediator(&["get", &address, "/oic/res"]);
    assert_clean_failure(&run, 1, "exceeds the limit");
}

#[test]
fn a_malformed_block_option_is_a_clear_error() {
    let address = fake_device(|request, _| {
        let mut m = reply(request);
        m.options.set(OptionNumber::BLOCK2, vec![0x0f]); // size exponent 7 is reserved
        m.payload = b"x".to_vec();
        vec![m.encode()]
    });
    let run = mediator(&["get", &address, "/oic/res"]);
    assert_clean_failure(&run, 1, "malformed block-wise");
}

#[test]
fn a_payload_that_is_not_cbor_is_reported_not_printed() {
    let address = fake_device(|request, _| {
        let mut m = reply(request);
        m.options.set_uint(OptionNumber::CONTENT_FORMAT, 10000);
        m.payload = vec![0xbf, 0x61]; // an unterminated map
        vec![m.encode()]
    });
    let run = mediator(&["get", &address, "/oic/d"]);
    assert_clean_failure(&run, 1, "not valid CBOR: it ends in the middle of an item");
    assert_plain_sentence(&run);
}

/// One plain sentence: none of the decoder's own debug text.
#[track_caller]
fn assert_plain_sentence(run: &common::Run) {
    for debug in [
        "Io(",
        "Error {",
        "kind:",
        "RecursionLimitExceeded",
        "Syntax(",
        "Semantic(",
    ] {
        assert!(!run.stderr.contains(debug), "{debug} in: {}", run.stderr);
    }
    assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
}

#[test]
fn cbor_nested_too_deep_or_malformed_reads_as_a_sentence() {
    for (payload, says) in [
        (
            [vec![0x81; 300], vec![0x00]].concat(), // 300 nested arrays
            "its items nest more than 256 levels deep",
        ),
        (
            // Additional information 28 is reserved (RFC 8949 §3.1).
            vec![0xa1, 0x1c],
            "the byte at offset 1 does not belong there",
        ),
    ] {
        let address = fake_device(move |request, _| {
            let mut m = reply(request);
            m.options.set_uint(OptionNumber::CONTENT_FORMAT, 10000);
            m.payload = payload.clone();
            vec![m.encode()]
        });
        let run = mediator(&["get", &address, "/oic/d"]);
        assert_clean_failure(&run, 1, says);
        assert_plain_sentence(&run);
    }
}

#[test]
fn control_characters_in_what_a_device_says_are_shown_escaped() {
    // A refusal with a diagnostic payload, and a text representation.
    let refusing = fake_device(|request, _| {
        let mut m = reply(request);
        m.code = Code::NOT_FOUND;
        m.payload = b"\x1b[2K\rno such thing".to_vec();
        vec![m.encode()]
    });
    let run = mediator(&["get", &refusing, "/oic/d"]);
    assert_clean_failure(&run, 6, "\\e[2K\\rno such thing");
    assert!(!run.stderr.contains(['\x1b', '\r']), "{:?}", run.stderr);

    let texting = fake_device(|request, _| {
        let mut m = reply(request);
        m.options.set_uint(OptionNumber::CONTENT_FORMAT, 0);
        m.payload = b"line one\n\x1b]0;title\x07line two".to_vec();
        vec![m.encode()]
    });
    let run = mediator(&["get", &texting, "/text"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "line one\n\\e]0;title\\u{7}line two\n");
    let json = mediator(&["--json", "get", &texting, "/text"]);
    assert_eq!(
        json.json()["representation"],
        "line one\n\u{1b}]0;title\u{7}line two",
        "JSON keeps it exact"
    );
}

#[test]
fn discovery_survives_a_device_that_sends_nonsense() {
    let address = fake_device(|request, _| {
        let mut m = reply(request);
        m.options.set_uint(OptionNumber::CONTENT_FORMAT, 10000);
        m.payload = vec![0xa1, 0x61, b'x', 0x01]; // {"x": 1}: CBOR, but not links
        vec![m.encode()]
    });
    let run = mediator(&["discover", "--address", &address]);
    assert_clean_failure(&run, 3, &address);
}
