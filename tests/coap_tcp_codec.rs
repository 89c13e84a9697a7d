//! CoAP over TCP framing (RFC 8323 §3.2) against a real device's frames:
//! every `device->cloud` frame of tests/vectors/cloud decodes to the summary
//! the capture gives, re-encodes to the same bytes, and decodes the same
//! whatever chunks the stream arrives in. Plus the length forms the capture
//! does not show, signalling messages, and what a broken stream does.

use ocf_mediator::coap::tcp::{Frame, FrameDecoder, FrameError, Signal};
use ocf_mediator::coap::{Code, OptionNumber};
use ocf_mediator::ocf::representation::{cbor_to_json, decode_cbor, json_to_cbor};
use ocf_mediator::sim::wire_cbor::encode_indefinite;

mod common;

struct Captured {
    summary: String,
    bytes: Vec<u8>,
}

fn device_frames() -> Vec<Captured> {
    let path = common::vectors_dir().join("cloud/registration-iotivity-lite.json");
    let entries: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    entries
        .iter()
        .filter(|e| e["dir"] == "device->cloud")
        .map(|e| Captured {
            summary: e["decoded"].as_str().unwrap().to_owned(),
            bytes: hex(e["hex"].as_str().unwrap()),
        })
        .collect()
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// The capture's summary form: `c.dd /path?query opts [(n, 'hex'), …] {json}`.
fn summary_prefix(frame: &Frame) -> String {
    let mut href = frame.options.uri_path();
    let queries: Vec<String> = frame.options.uri_queries().collect();
    if !queries.is_empty() {
        href = format!("{href}?{}", queries.join("&"));
    }
    let opts: Vec<String> = frame
        .options
        .iter()
        .filter(|(n, _)| *n != OptionNumber::URI_PATH && *n != OptionNumber::URI_QUERY)
        .map(|(n, v)| {
            let value: String = v.iter().map(|b| format!("{b:02x}")).collect();
            format!("({}, '{value}')", n.0)
        })
        .collect();
    format!("{} {href} opts [{}]", frame.code, opts.join(", "))
}

#[test]
fn every_device_frame_decodes_to_the_captured_summary() {
    let frames = device_frames();
    assert_eq!(frames.len(), 10, "the capture has ten device->cloud frames");
    for captured in frames {
        let (frame, used) = Frame::decode(&captured.bytes, usize::MAX)
            .unwrap()
            .expect("a whole frame");
        assert_eq!(used, captured.bytes.len(), "{}", captured.summary);
        let prefix = summary_prefix(&frame);
        assert!(
            captured.summary.starts_with(&prefix),
            "decoded {prefix:?}, captured {:?}",
            captured.summary
        );
        let rest = captured.summary[prefix.len()..].trim();
        if frame.payload.is_empty() {
            assert_eq!(rest, "", "{}", captured.summary);
        } else {
            let expected: serde_json::Value = serde_json::from_str(rest).unwrap();
            let decoded = cbor_to_json(&decode_cbor(&frame.payload).unwrap());
            assert_eq!(decoded, expected, "{}", captured.summary);
        }
    }
}

#[test]
fn our_encoder_reproduces_every_device_frame() {
    for captured in device_frames() {
        let (frame, _) = Frame::decode(&captured.bytes, usize::MAX).unwrap().unwrap();
        assert_eq!(frame.encode(), captured.bytes, "{}", captured.summary);
        assert_eq!(frame.encoded_len(), captured.bytes.len());
        // Built from its fields: the options from the href, the payload from
        // the JSON, encoded as the device encodes CBOR.
        let mut built = Frame::new(frame.code, frame.token.clone());
        let href = captured.summary.split(' ').nth(1).unwrap();
        built.options.set_uri(href);
        for (number, value) in frame.options.iter() {
            if number != OptionNumber::URI_PATH && number != OptionNumber::URI_QUERY {
                built.options.push(number, value.to_vec());
            }
        }
        if !frame.payload.is_empty() {
            let json = cbor_to_json(&decode_cbor(&frame.payload).unwrap());
            built.payload = encode_indefinite(&json_to_cbor(&json));
        }
        assert_eq!(built.encode(), captured.bytes, "{}", captured.summary);
    }
}

#[test]
fn the_stream_decoder_takes_any_chunking() {
    let stream: Vec<u8> = device_frames().into_iter().flat_map(|c| c.bytes).collect();
    for chunk in [1, 2, 3, 7, 64, 1000, stream.len()] {
        let mut decoder = FrameDecoder::new(262_144);
        let mut frames = Vec::new();
        for piece in stream.chunks(chunk) {
            decoder.push(piece);
            while let Some(frame) = decoder.next_frame().unwrap() {
                frames.push(frame);
            }
        }
        assert_eq!(frames.len(), 10, "chunks of {chunk}");
        assert_eq!(decoder.pending(), 0);
        let again: Vec<u8> = frames.iter().flat_map(Frame::encode).collect();
        assert_eq!(again, stream, "chunks of {chunk}");
    }
}

#[test]
fn every_length_form_round_trips() {
    // Len nibble 0–12, 13 (+1 byte), 14 (+2 bytes), 15 (+4 bytes).
    for len in [0, 1, 11, 12, 13, 200, 267, 268, 300, 65_803, 65_804, 70_000] {
        let mut frame = Frame::new(Code::CONTENT, vec![1, 2, 3]);
        frame.payload = vec![0x5a; len];
        let bytes = frame.encode();
        let body = if len == 0 { 0 } else { len + 1 };
        let nibble = bytes[0] >> 4;
        let expected_nibble = match body {
            0..=12 => body as u8,
            13..=268 => 13,
            269..=65_804 => 14,
            _ => 15,
        };
        assert_eq!(nibble, expected_nibble, "payload of {len}");
        assert_eq!(bytes[0] & 0x0f, 3, "TKL");
        assert_eq!(frame.encoded_len(), bytes.len());
        let (decoded, used) = Frame::decode(&bytes, usize::MAX).unwrap().unwrap();
        assert_eq!(used, bytes.len());
        assert_eq!(decoded, frame);
        // One byte short is not a frame yet.
        assert_eq!(
            Frame::decode(&bytes[..bytes.len() - 1], usize::MAX).unwrap(),
            None
        );
    }
}

#[test]
fn signals_encode_as_rfc_8323_says() {
    let csm = Signal::Csm {
        max_message_size: Some(1152),
        block_wise: true,
    };
    // 7.01 with Max-Message-Size (2) = 1152 and Block-Wise-Transfer (4).
    assert_eq!(
        csm.to_frame(Vec::new()).encode(),
        [0x40, 0xe1, 0x22, 0x04, 0x80, 0x20]
    );
    let empty_csm = Signal::Csm {
        max_message_size: None,
        block_wise: false,
    };
    // The CSM that broke the real device: `00 e1`.
    assert_eq!(empty_csm.to_frame(Vec::new()).encode(), [0x00, 0xe1]);
    for signal in [
        csm,
        Signal::Ping { custody: true },
        Signal::Pong { custody: false },
        Signal::Release {
            alternative_addresses: vec!["coaps+tcp://127.0.0.1:5685".into()],
            hold_off: Some(3),
        },
        Signal::Abort {
            bad_csm_option: Some(7),
            diagnostic: "no".into(),
        },
    ] {
        let frame = signal.to_frame(vec![9]);
        assert_eq!(Signal::from_frame(&frame).unwrap(), signal);
    }
    // The real device's Ping: 7.02 with an 8-byte token and nothing else.
    let ping = hex("08e25399e93e70611a91");
    let (frame, _) = Frame::decode(&ping, usize::MAX).unwrap().unwrap();
    assert_eq!(
        Signal::from_frame(&frame).unwrap(),
        Signal::Ping { custody: false }
    );
}

#[test]
fn broken_streams_are_refused() {
    // Reserved token length.
    assert_eq!(
        Frame::decode(&[0x09, 0x01], usize::MAX),
        Err(FrameError::ReservedTokenLength(9))
    );
    // A frame announcing more than the limit is refused before it arrives.
    let mut big = Frame::new(Code::POST, vec![]);
    big.payload = vec![0; 5000];
    let bytes = big.encode();
    assert!(matches!(
        Frame::decode(&bytes[..4], 1152),
        Err(FrameError::TooLarge { limit: 1152, .. })
    ));
    // A payload marker with no payload.
    assert!(matches!(
        Frame::decode(&[0x10, 0x02, 0xff], usize::MAX),
        Err(FrameError::Malformed(_))
    ));
    // Garbage never panics.
    let mut rng = common::XorShift(0x1234_5678);
    for _ in 0..20_000 {
        let len = (rng.next() % 40) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let _ = Frame::decode(&bytes, 4096);
    }
}

#[test]
fn a_connection_fed_garbage_in_any_chunks_never_panics_and_stays_bounded() {
    use ocf_mediator::coap::Request;
    use ocf_mediator::coap::server::Reply;
    use ocf_mediator::coap::tcp::{Connection, Event, TcpConfig};
    use std::time::{Duration, Instant};
    let mut rng = common::XorShift(0x5eed_cafe);
    for round in 0..2000 {
        let config = TcpConfig {
            max_message_size: 4096,
            max_body: 16 * 1024,
            ..TcpConfig::default()
        };
        let mut now = Instant::now();
        let mut connection = Connection::new(config, round);
        connection.request(now, Request::get("/a"));
        connection.ping(now);
        // Mostly well-formed frames with random fields, some raw garbage.
        let mut stream = Vec::new();
        for _ in 0..(rng.next() % 6) {
            if rng.next() % 4 == 0 {
                stream.extend((0..rng.next() % 30).map(|_| rng.next() as u8));
            } else {
                let mut frame = Frame::new(
                    Code(rng.next() as u8),
                    vec![rng.next() as u8; (rng.next() % 9) as usize],
                );
                frame.options.push(
                    OptionNumber((rng.next() % 70) as u16),
                    vec![rng.next() as u8; (rng.next() % 4) as usize],
                );
                frame.payload = vec![rng.next() as u8; (rng.next() % 3000) as usize];
                stream.extend(frame.encode());
            }
        }
        let mut rest = stream.as_slice();
        while !rest.is_empty() {
            let n = ((rng.next() % 64) as usize + 1).min(rest.len());
            connection.handle_bytes(now, &rest[..n]);
            rest = &rest[n..];
            while let Some(event) = connection.poll_event() {
                if let Event::Request(request) = event {
                    let mut reply = Reply::new(Code::CONTENT);
                    reply.payload = vec![1; 2000];
                    connection.respond(&request, reply);
                }
            }
            while connection.poll_transmit().is_some() {}
        }
        now += Duration::from_secs(31);
        connection.handle_timeout(now);
        assert_eq!(connection.active(), 0, "every request ended");
    }
}
