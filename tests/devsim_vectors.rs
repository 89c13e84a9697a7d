//! `ocf-devsim` answers the requests a real device was captured answering
//! (tests/vectors/coap-unsecured) with the same shape: message type,
//! code, options, content format, and CBOR keys with the same types.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use ciborium::Value as Cbor;
use common::DevSim;
use ocf_mediator::coap::{Block, Message, MessageType, OptionNumber};
use ocf_mediator::ocf::representation::decode_cbor;
use serde_json::Value;

fn vector(name: &str) -> Value {
    let path = common::vectors_dir().join("coap-unsecured").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// Sends a captured request to the simulator and returns what it answers.
fn ask(sim: &DevSim, request_hex: &str, datagrams: usize) -> Vec<Message> {
    let answers = common::raw_exchange_n(
        sim.socket_addr(0),
        &unhex(request_hex),
        datagrams,
        Duration::from_secs(2),
    );
    answers
        .iter()
        .map(|d| Message::decode(d).expect("devsim sends valid CoAP"))
        .collect()
}

/// Sends a captured request; returns datagrams up to the first non-empty one
/// (an empty ACK may come first).
fn ask_until_answer(sim: &DevSim, request_hex: &str) -> Vec<Message> {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    socket
        .send_to(&unhex(request_hex), sim.socket_addr(0))
        .unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 2048];
    loop {
        let (n, _) = socket.recv_from(&mut buf).expect("the simulator answers");
        let message = Message::decode(&buf[..n]).expect("devsim sends valid CoAP");
        let done = !message.code.is_empty();
        out.push(message);
        if done || out.len() > 2 {
            return out;
        }
    }
}

/// A CBOR value's shape: maps by key, arrays by their first element's shape.
fn shape(value: &Cbor) -> String {
    match value {
        Cbor::Map(entries) => {
            let keys: Vec<String> = entries
                .iter()
                .filter_map(|(k, v)| {
                    let key = k.as_text()?;
                    // Vendor extensions (x.org.iotivity.*) are the reference device's own.
                    (!key.starts_with("x.")).then(|| format!("{key}:{}", shape(v)))
                })
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            format!("{{{}}}", keys.join(","))
        }
        Cbor::Array(items) => match items.first() {
            Some(first) => format!("[{}]", shape(first)),
            None => "[]".into(),
        },
        Cbor::Text(_) => "text".into(),
        Cbor::Integer(_) => "int".into(),
        Cbor::Bool(_) => "bool".into(),
        Cbor::Bytes(_) => "bytes".into(),
        Cbor::Float(_) => "float".into(),
        Cbor::Null => "null".into(),
        _ => "other".into(),
    }
}

fn option_numbers(message: &Message) -> Vec<u16> {
    message.options.iter().map(|(n, _)| n.0).collect()
}

/// The single-datagram exchanges: same type, code, options and CBOR shape.
#[test]
fn simple_reads_are_answered_like_the_real_device() {
    // Compared with captures made over loopback, where the real device lists no eps.
    let sim = DevSim::start(&["--reference-loopback-eps"]);
    for name in [
        "udp4_get_oic_d.json",
        "udp4_get_oic_d_accept10000_nover.json",
        "udp4_get_oic_d_no_ocf_opts.json",
        "udp4_get_oic_d_accept60.json",
        "udp4_get_oic_d_accept60_ver.json",
        "udp4_get_oic_p.json",
        "udp4_get_oic_sec_doxm.json",
        "udp4_get_oic_sec_pstat.json",
        "udp4_get_oic_res_rt_doxm.json",
        "udp4_get_coapcloudconf.json",
    ] {
        let vector = vector(name);
        let request_hex = vector["request_hex"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| {
                vector["rounds"][0]["request_hex"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            });
        let response_hex = vector["response_hex"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| {
                vector["rounds"][0]["responses_hex"][0]
                    .as_str()
                    .unwrap()
                    .to_owned()
            });
        let request = Message::decode(&unhex(&request_hex)).unwrap();
        let real = Message::decode(&unhex(&response_hex)).unwrap();
        let ours = ask(&sim, &request_hex, 1);
        let ours = &ours[0];
        assert_eq!(ours.mtype, real.mtype, "{name}: type");
        assert_eq!(ours.code, real.code, "{name}: code");
        assert_eq!(ours.message_id, request.message_id, "{name}: piggybacked");
        assert_eq!(ours.token, request.token, "{name}: token");
        assert_eq!(
            option_numbers(ours),
            option_numbers(&real),
            "{name}: options"
        );
        for number in [
            OptionNumber::CONTENT_FORMAT,
            OptionNumber::OCF_CONTENT_FORMAT_VERSION,
        ] {
            assert_eq!(
                ours.options.get_uint(number),
                real.options.get_uint(number),
                "{name}: {number}"
            );
        }
        assert_eq!(
            ours.payload.is_empty(),
            real.payload.is_empty(),
            "{name}: payload presence"
        );
        if !real.payload.is_empty() {
            let ours_cbor = decode_cbor(&ours.payload).unwrap();
            let real_cbor = decode_cbor(&real.payload).unwrap();
            assert_eq!(shape(&ours_cbor), shape(&real_cbor), "{name}: CBOR shape");
        }
    }
}

/// `/oic/res` is larger than one block: the same blocks, ETag and Size2,
/// the same links, and the last block as a separate CON after an empty ACK.
#[test]
fn the_resource_directory_is_sent_block_wise_like_the_real_device() {
    // Compared with captures made over loopback, where the real device lists no eps.
    let sim = DevSim::start(&["--reference-loopback-eps"]);
    for name in [
        "udp4_get_oic_res.json",
        "udp4_get_oic_res_block2_szx2_first.json",
        "udp4_get_oic_res_no_ocf_opts.json",
    ] {
        let vector = vector(name);
        let rounds = vector["rounds"].as_array().unwrap();
        let mut body = Vec::new();
        let mut etags = BTreeSet::new();
        for (i, round) in rounds.iter().enumerate() {
            let real: Vec<Message> = round["responses_hex"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| Message::decode(&unhex(h.as_str().unwrap())).unwrap())
                .collect();
            let ours = ask_until_answer(&sim, round["request_hex"].as_str().unwrap());
            let last = ours.last().unwrap();
            // Our CBOR uses definite lengths, the reference device's indefinite
            // ones: the body is a few bytes shorter, so it may end a block early.
            let our_final = Block::decode(last.options.get(OptionNumber::BLOCK2).unwrap())
                .is_some_and(|b| !b.more);
            if our_final {
                assert_eq!(
                    ours.len(),
                    2,
                    "{name} round {i}: empty ACK then separate response"
                );
                assert_eq!(ours[0].mtype, MessageType::Acknowledgement);
                assert!(ours[0].code.is_empty());
                assert_eq!(last.mtype, MessageType::Confirmable);
                assert!(
                    rounds.len() - i <= 3,
                    "{name}: ended {} blocks before the real device",
                    rounds.len() - i - 1
                );
            } else {
                assert_eq!(ours.len(), 1, "{name} round {i}: piggybacked");
            }
            let real_last = real.last().unwrap();
            assert_eq!(last.code, real_last.code, "{name} round {i}");
            // The reference device also echoes Accept options in its separate
            // response; that quirk is not part of the shape.
            let significant = |m: &Message| -> Vec<u16> {
                option_numbers(m)
                    .into_iter()
                    .filter(|n| *n != 17 && *n != 2049)
                    .collect()
            };
            assert_eq!(
                significant(last),
                significant(real_last),
                "{name} round {i}: options"
            );
            if i == 0 {
                // Size2 only in block 0, where the total may differ from the real device's.
                assert!(last.options.get_uint(OptionNumber::SIZE2).unwrap() > 2000);
            }
            assert_eq!(
                last.options.get(OptionNumber::BLOCK2).map(|b| b.len()),
                real_last.options.get(OptionNumber::BLOCK2).map(|b| b.len())
            );
            etags.insert(last.options.get(OptionNumber::ETAG).unwrap().to_vec());
            body.extend_from_slice(&last.payload);
            if our_final {
                // Acknowledge the separate response, or the simulator retransmits it.
                common::raw_send(
                    sim.socket_addr(0),
                    &Message::empty_ack(last.message_id).encode(),
                );
                break;
            }
        }
        assert_eq!(etags.len(), 1, "{name}: one ETag per transfer");
        let ours = decode_cbor(&body).unwrap();
        let real =
            decode_cbor(&unhex(vector["reassembled_payload_hex"].as_str().unwrap())).unwrap();
        assert_eq!(shape(&ours), shape(&real), "{name}: link shape");
        let hrefs = |v: &Cbor| -> Vec<String> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|l| {
                    ocf_mediator::ocf::resources::field(l, "href")
                        .unwrap()
                        .as_text()
                        .unwrap()
                        .to_owned()
                })
                .collect()
        };
        assert_eq!(
            hrefs(&ours),
            hrefs(&real),
            "{name}: the same resources, in the same order"
        );
    }
}
