//! The sans-IO CoAP server the simulated device runs on: duplicates replay
//! the cached answer, unknown critical options get 4.02, large bodies go
//! Block2 out and Block1 in, and garbage never panics it.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ocf_mediator::coap::{
    Block, Code, Message, MessageType, OptionNumber, Reply, Server, ServerConfig,
};

fn client() -> SocketAddr {
    "192.0.2.20:40000".parse().unwrap()
}

fn request(mid: u16, href: &str) -> Message {
    let mut m = Message::new(MessageType::Confirmable, Code::GET, mid);
    m.token = vec![0xab, mid as u8];
    m.options.set_uri(href);
    m
}

fn sent(server: &mut Server) -> Vec<Message> {
    std::iter::from_fn(|| server.poll_transmit())
        .map(|t| Message::decode(&t.datagram).unwrap())
        .collect()
}

#[test]
fn a_duplicate_request_gets_the_same_answer_without_reaching_the_handler() {
    let mut server = Server::new(ServerConfig::default(), 1);
    let now = Instant::now();
    let get = request(10, "/oic/d");
    let incoming = server
        .handle_datagram(now, client(), &get.encode())
        .unwrap()
        .expect("a request");
    let mut reply = Reply::new(Code::CONTENT);
    reply.payload = b"first".to_vec();
    server.respond(now, &incoming, reply);
    let first = sent(&mut server);
    assert_eq!(first.len(), 1);
    assert_eq!(
        (first[0].mtype, first[0].message_id),
        (MessageType::Acknowledgement, 10)
    );
    assert!(
        server
            .handle_datagram(now, client(), &get.encode())
            .unwrap()
            .is_none()
    );
    assert_eq!(sent(&mut server), first);
}

#[test]
fn a_duplicate_non_confirmable_request_is_dropped_as_iotivity_lite_does() {
    let mut server = Server::new(ServerConfig::default(), 1);
    let now = Instant::now();
    let mut get = request(20, "/oic/res");
    get.mtype = MessageType::NonConfirmable;
    let incoming = server
        .handle_datagram(now, client(), &get.encode())
        .unwrap()
        .expect("a request");
    server.respond(now, &incoming, Reply::new(Code::CONTENT));
    assert_eq!(sent(&mut server).len(), 1);
    // Its message id is in the history of the last 25: no answer at all,
    // whoever sends it.
    let other: SocketAddr = "192.0.2.21:40000".parse().unwrap();
    for from in [client(), other] {
        assert!(
            server
                .handle_datagram(now, from, &get.encode())
                .unwrap()
                .is_none()
        );
        assert!(sent(&mut server).is_empty());
    }
    // 25 other non-confirmable requests later, it is served again.
    for mid in 100..125 {
        let mut next = request(mid, "/oic/res");
        next.mtype = MessageType::NonConfirmable;
        assert!(
            server
                .handle_datagram(now, client(), &next.encode())
                .unwrap()
                .is_some()
        );
    }
    assert!(
        server
            .handle_datagram(now, client(), &get.encode())
            .unwrap()
            .is_some()
    );
}

#[test]
fn unknown_critical_options_are_refused_with_4_02_and_ocf_options_are_not() {
    let mut server = Server::new(ServerConfig::default(), 1);
    let now = Instant::now();
    let mut odd = request(11, "/oic/d");
    odd.options.push(OptionNumber(2051), vec![1]);
    assert!(
        server
            .handle_datagram(now, client(), &odd.encode())
            .unwrap()
            .is_none()
    );
    assert_eq!(sent(&mut server)[0].code, Code::BAD_OPTION);
    let mut ocf = request(12, "/oic/d");
    ocf.options
        .set_uint(OptionNumber::OCF_ACCEPT_CONTENT_FORMAT_VERSION, 2048);
    assert!(
        server
            .handle_datagram(now, client(), &ocf.encode())
            .unwrap()
            .is_some()
    );
}

#[test]
fn large_answers_are_sliced_into_blocks_with_etag_and_size2_and_the_last_sent_separately() {
    let mut server = Server::new(ServerConfig::default(), 1);
    let now = Instant::now();
    let body: Vec<u8> = (0..2500u32).map(|i| i as u8).collect();
    let mut received = Vec::new();
    for num in 0..3u32 {
        let mut get = request(20 + num as u16, "/oic/res");
        if num > 0 {
            get.options
                .set(OptionNumber::BLOCK2, Block::new(num, false, 1024).encode());
        }
        let incoming = server
            .handle_datagram(now, client(), &get.encode())
            .unwrap()
            .unwrap();
        let mut reply = Reply::new(Code::CONTENT);
        reply.payload = body.clone();
        server.respond(now, &incoming, reply);
        let out = sent(&mut server);
        let answer = out.last().unwrap();
        let block = Block::decode(answer.options.get(OptionNumber::BLOCK2).unwrap()).unwrap();
        assert_eq!((block.num, block.more), (num, num < 2));
        assert_eq!(
            answer.options.get_uint(OptionNumber::SIZE2).is_some(),
            num == 0,
            "Size2 only in block 0"
        );
        assert_eq!(
            answer.options.get(OptionNumber::ETAG).map(<[u8]>::len),
            Some(8)
        );
        if num == 2 {
            assert_eq!(out.len(), 2);
            assert!(out[0].code.is_empty() && out[0].mtype == MessageType::Acknowledgement);
            assert_eq!(answer.mtype, MessageType::Confirmable);
            // Not acknowledged: retransmitted.
            let deadline = server.poll_timeout().unwrap();
            server.handle_timeout(deadline);
            assert_eq!(sent(&mut server), std::slice::from_ref(answer));
            // Acknowledged: no more.
            server
                .handle_datagram(
                    deadline,
                    client(),
                    &Message::empty_ack(answer.message_id).encode(),
                )
                .unwrap();
            assert_eq!(server.poll_timeout(), None);
        }
        received.extend_from_slice(&answer.payload);
    }
    assert_eq!(received, body);
}

#[test]
fn block1_parts_are_reassembled_into_one_request() {
    let mut server = Server::new(ServerConfig::default(), 1);
    let now = Instant::now();
    let body: Vec<u8> = (0..2100u32).map(|i| (i * 7) as u8).collect();
    for num in 0..3u32 {
        let start = num as usize * 1024;
        let end = (start + 1024).min(body.len());
        let mut post = request(30 + num as u16, "/oic/sec/cred");
        post.code = Code::POST;
        post.options.set(
            OptionNumber::BLOCK1,
            Block::new(num, end < body.len(), 1024).encode(),
        );
        post.payload = body[start..end].to_vec();
        let incoming = server
            .handle_datagram(now, client(), &post.encode())
            .unwrap();
        if num < 2 {
            assert!(incoming.is_none());
            assert_eq!(sent(&mut server)[0].code, Code::CONTINUE);
        } else {
            assert_eq!(incoming.unwrap().message.payload, body);
        }
    }
}

#[test]
fn a_block1_body_above_the_limit_is_refused_with_4_13() {
    let mut server = Server::new(
        ServerConfig {
            max_request_body: 2048,
            ..ServerConfig::default()
        },
        1,
    );
    let now = Instant::now();
    for num in 0..3u32 {
        let mut post = request(40 + num as u16, "/oic/sec/cred");
        post.code = Code::POST;
        post.options
            .set(OptionNumber::BLOCK1, Block::new(num, true, 1024).encode());
        post.payload = vec![0; 1024];
        assert!(
            server
                .handle_datagram(now, client(), &post.encode())
                .unwrap()
                .is_none()
        );
        let answer = sent(&mut server).remove(0);
        if num < 2 {
            assert_eq!(answer.code, Code::CONTINUE);
        } else {
            assert_eq!(answer.code, Code::REQUEST_ENTITY_TOO_LARGE);
            assert_eq!(answer.options.get_uint(OptionNumber::SIZE1), Some(2048));
        }
    }
}

#[test]
fn garbage_never_panics_the_server() {
    let mut server = Server::new(ServerConfig::default(), 1);
    let mut now = Instant::now();
    let mut rng = common::XorShift(99u64);
    let mut next = || rng.next();
    for i in 0..50_000u32 {
        let mut m = Message::new(MessageType::Confirmable, Code((next() % 8) as u8), i as u16);
        for _ in 0..next() % 4 {
            let number = [11u16, 15, 17, 23, 27, 60, 2049][(next() % 7) as usize];
            m.options.push(
                OptionNumber(number),
                (0..next() % 4).map(|_| next() as u8).collect(),
            );
        }
        m.payload = (0..next() % 64).map(|_| next() as u8).collect();
        let mut datagram = m.encode();
        if next() % 3 == 0 {
            datagram.truncate((next() as usize) % datagram.len());
        }
        if let Ok(Some(incoming)) = server.handle_datagram(now, client(), &datagram) {
            let mut reply = Reply::new(Code::CONTENT);
            reply.payload = vec![0; (next() % 3000) as usize];
            server.respond(now, &incoming, reply);
        }
        sent(&mut server);
        now += Duration::from_millis(10);
        server.handle_timeout(now);
    }
}
