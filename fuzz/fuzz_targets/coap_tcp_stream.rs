//! Arbitrary bytes into a CoAP over TCP connection (RFC 8323), in arbitrary
//! chunks, with requests of our own in flight and every request answered
//! (large answers go block-wise): never a panic, never unbounded memory.
//! Input: a sequence of [len: u8][bytes] chunks; a zero length fires the timer.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use ocf_mediator::coap::server::Reply;
use ocf_mediator::coap::tcp::{Connection, Event, TcpConfig};
use ocf_mediator::coap::{Code, Request};

fuzz_target!(|data: &[u8]| {
    let config = TcpConfig {
        max_message_size: 4096,
        max_body: 16 * 1024,
        ..TcpConfig::default()
    };
    let mut now = Instant::now();
    let mut connection = Connection::new(config, 1);
    connection.request(now, Request::get("/a"));
    let mut big = Request::new(Code::POST, "/b");
    big.payload = vec![7; 3000];
    connection.request(now, big);
    connection.ping(now);
    let mut rest = data;
    while let Some((&len, tail)) = rest.split_first() {
        let n = (len as usize).min(tail.len());
        let (chunk, tail) = tail.split_at(n);
        rest = tail;
        if n == 0 {
            now += Duration::from_secs(31);
            connection.handle_timeout(now);
        } else {
            connection.handle_bytes(now, chunk);
        }
        while let Some(event) = connection.poll_event() {
            if let Event::Request(request) = event {
                let mut reply = Reply::new(Code::CONTENT);
                reply.payload = vec![1; 2000];
                connection.respond(&request, reply);
            }
        }
        while connection.poll_transmit().is_some() {}
    }
});
