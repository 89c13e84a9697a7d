//! The CoAP codec against the datagrams a real OCF device exchanged
//! (tests/vectors/coap-unsecured): every request and response decodes
//! to the recorded view and encodes back to the same bytes.

mod common;

use ocf_mediator::coap::{Code, DecodeError, Message, MessageType, OptionNumber};
use serde_json::Value;

fn vectors() -> Vec<(String, Value)> {
    let dir = common::vectors_dir().join("coap-unsecured");
    let mut out: Vec<(String, Value)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                serde_json::from_str(&text).unwrap(),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(
        out.len() >= 20,
        "expected the captured vectors in {}",
        dir.display()
    );
    out
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Every (datagram, recorded view) pair of a vector file.
fn datagrams(vector: &Value) -> Vec<(Vec<u8>, Value)> {
    let decoded = &vector["decoded"];
    let mut pairs = Vec::new();
    if let Some(blocks) = decoded["blocks"].as_array() {
        let rounds = vector["rounds"].as_array().unwrap();
        for (block, round) in blocks.iter().zip(rounds) {
            pairs.push((
                unhex(round["request_hex"].as_str().unwrap()),
                block["request"].clone(),
            ));
            let responses = round["responses_hex"].as_array().unwrap();
            let views: Vec<Value> = match block["all_datagrams_received"].as_array() {
                Some(all) => all.clone(),
                None => vec![block["response"].clone()],
            };
            assert_eq!(responses.len(), views.len());
            for (hex, view) in responses.iter().zip(views) {
                pairs.push((unhex(hex.as_str().unwrap()), view));
            }
            if let Some(ack) = round.get("ack_sent_hex") {
                pairs.push((
                    unhex(ack.as_str().unwrap()),
                    block["ack_sent_decoded"].clone(),
                ));
            }
        }
    } else {
        pairs.push((
            unhex(vector["request_hex"].as_str().unwrap()),
            decoded["request"].clone(),
        ));
        pairs.push((
            unhex(vector["response_hex"].as_str().unwrap()),
            decoded["response"].clone(),
        ));
    }
    pairs
}

fn assert_matches_view(name: &str, message: &Message, view: &Value) {
    let header = &view["header"];
    let mtype = match header["type"].as_str().unwrap() {
        "CON" => MessageType::Confirmable,
        "NON" => MessageType::NonConfirmable,
        "ACK" => MessageType::Acknowledgement,
        _ => MessageType::Reset,
    };
    assert_eq!(message.mtype, mtype, "{name}: type");
    assert_eq!(
        message.code,
        Code(header["code_byte"].as_u64().unwrap() as u8),
        "{name}: code"
    );
    assert_eq!(
        message.code.to_string(),
        header["code"].as_str().unwrap(),
        "{name}: code text"
    );
    assert_eq!(
        u64::from(message.message_id),
        header["mid"].as_u64().unwrap(),
        "{name}: message id"
    );
    assert_eq!(
        hex(&message.token),
        header["token_hex"].as_str().unwrap(),
        "{name}: token"
    );
    let recorded: Vec<(u16, String)> = view["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["number"].as_u64().unwrap() as u16,
                o["value_hex"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let ours: Vec<(u16, String)> = message.options.iter().map(|(n, v)| (n.0, hex(v))).collect();
    assert_eq!(ours, recorded, "{name}: options");
    for option in view["options"].as_array().unwrap() {
        if let Some(uint) = option["value_uint"].as_u64() {
            let number = OptionNumber(option["number"].as_u64().unwrap() as u16);
            assert_eq!(
                message.options.get_uint(number),
                Some(uint as u32),
                "{name}: {number}"
            );
        }
    }
    assert_eq!(
        message.payload.len() as u64,
        view["payload_len"].as_u64().unwrap(),
        "{name}: payload length"
    );
    if let Some(payload) = view["payload_hex"].as_str() {
        assert_eq!(hex(&message.payload), payload, "{name}: payload");
    }
}

#[test]
fn every_captured_datagram_decodes_to_the_recorded_view() {
    let mut checked = 0;
    for (name, vector) in vectors() {
        for (i, (datagram, view)) in datagrams(&vector).into_iter().enumerate() {
            let label = format!("{name} datagram {i}");
            let message = Message::decode(&datagram).unwrap_or_else(|e| panic!("{label}: {e}"));
            assert_matches_view(&label, &message, &view);
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} datagrams checked");
}

#[test]
fn every_captured_datagram_encodes_back_to_the_same_bytes() {
    for (name, vector) in vectors() {
        for (i, (datagram, _)) in datagrams(&vector).into_iter().enumerate() {
            let message = Message::decode(&datagram).unwrap();
            assert_eq!(
                hex(&message.encode()),
                hex(&datagram),
                "{name} datagram {i}"
            );
        }
    }
}

#[test]
fn ocf_version_options_are_critical_and_understood() {
    for number in [
        OptionNumber::OCF_ACCEPT_CONTENT_FORMAT_VERSION,
        OptionNumber::OCF_CONTENT_FORMAT_VERSION,
    ] {
        assert!(number.is_critical(), "{number}");
        assert!(number.is_known(), "{number}");
    }
    let (_, oic_d) = vectors()
        .into_iter()
        .find(|(n, _)| n == "udp4_get_oic_d.json")
        .unwrap();
    let response = Message::decode(&unhex(oic_d["response_hex"].as_str().unwrap())).unwrap();
    assert_eq!(response.options.unknown_critical(), None);
    assert_eq!(
        response
            .options
            .get_uint(OptionNumber::OCF_CONTENT_FORMAT_VERSION),
        Some(2048)
    );
}

#[test]
fn malformed_datagrams_are_clean_errors() {
    let cases: &[(&[u8], DecodeError)] = &[
        (&[], DecodeError::TooShort { len: 0 }),
        (&[0x40, 0x01, 0x00], DecodeError::TooShort { len: 3 }),
        (
            &[0x80, 0x01, 0x00, 0x01],
            DecodeError::UnsupportedVersion(2),
        ),
        (
            &[0x49, 0x01, 0x00, 0x01],
            DecodeError::ReservedTokenLength(9),
        ),
        (
            &[0x44, 0x01, 0x00, 0x01, 0xaa],
            DecodeError::TruncatedToken {
                expected: 4,
                available: 1,
            },
        ),
        // Uri-Path of length 3 with one byte present.
        (
            &[0x40, 0x01, 0x00, 0x01, 0xb3, b'o'],
            DecodeError::TruncatedOption { at: 4 },
        ),
        // Extended delta (13) with its byte missing.
        (
            &[0x40, 0x01, 0x00, 0x01, 0xd0],
            DecodeError::TruncatedOption { at: 4 },
        ),
        // Extended length (14) with one of its two bytes.
        (
            &[0x40, 0x01, 0x00, 0x01, 0x1e, 0x00],
            DecodeError::TruncatedOption { at: 4 },
        ),
        (
            &[0x40, 0x01, 0x00, 0x01, 0xf1, 0x00],
            DecodeError::ReservedOptionNibble { at: 4 },
        ),
        (
            &[0x40, 0x01, 0x00, 0x01, 0x1f],
            DecodeError::ReservedOptionNibble { at: 4 },
        ),
        (
            &[0x40, 0x45, 0x00, 0x01, 0xff],
            DecodeError::EmptyPayloadAfterMarker,
        ),
        (
            &[0x41, 0x00, 0x00, 0x01, 0x07],
            DecodeError::NonEmptyEmptyMessage,
        ),
    ];
    for (datagram, expected) in cases {
        assert_eq!(
            Message::decode(datagram).as_ref(),
            Err(expected),
            "{}",
            hex(datagram)
        );
        assert!(!expected.to_string().is_empty());
    }
}

#[test]
fn option_numbers_beyond_65535_are_rejected() {
    // Two options with the largest extended delta (65535 + 269 each).
    let mut datagram = vec![0x40, 0x01, 0x00, 0x01];
    datagram.extend_from_slice(&[0xe0, 0xff, 0xff, 0xe0, 0xff, 0xff]);
    assert!(matches!(
        Message::decode(&datagram),
        Err(DecodeError::OptionNumberOverflow { .. })
    ));
}

#[test]
fn random_bytes_never_panic_the_decoder() {
    let mut rng = common::XorShift(0x1234_5678_9abc_def0u64);
    let mut next = || rng.next();
    for _ in 0..200_000 {
        let len = (next() % 64) as usize;
        let mut datagram: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        if let Some(first) = datagram.first_mut() {
            *first = 0x40 | (*first & 0x3f); // mostly version 1, so parsing goes deep
        }
        if let Ok(message) = Message::decode(&datagram) {
            // Whatever decodes re-encodes to something that decodes the same.
            assert_eq!(Message::decode(&message.encode()).unwrap(), message);
        }
    }
}
