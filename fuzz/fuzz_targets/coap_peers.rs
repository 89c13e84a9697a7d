//! The CoAP client (waiting for a block-wise answer) and the simulated
//! device (server engine and resource handlers) fed arbitrary datagrams,
//! split from the input at 0xFE bytes, with time advancing between them.
#![no_main]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use ocf_mediator::coap::{Client, ClientConfig, Request, Server, ServerConfig};
use ocf_mediator::sim::{DeviceState, Peer, RequestContext, SimDevice};

fuzz_target!(|data: &[u8]| {
    let peer: SocketAddr = "192.0.2.1:5683".parse().unwrap();
    let mut now = Instant::now();
    let mut client = Client::new(
        ClientConfig {
            max_body: 8192,
            ..ClientConfig::default()
        },
        1,
    );
    client.request(now, peer, Request::get("/oic/res"));
    let mut server = Server::new(ServerConfig::default(), 1);
    let mut device = SimDevice::new(DeviceState::new_unowned("fuzz"));
    for datagram in data.split(|b| *b == 0xfe) {
        let _ = client.handle_datagram(now, peer, datagram);
        while client.poll_transmit().is_some() {}
        while client.poll_event().is_some() {}
        if let Ok(Some(request)) = server.handle_datagram(now, peer, datagram) {
            // Unsecured, over a device ownership connection, or as an owner:
            // every access rule and SVR write rule of the device gets input.
            let owner = ocf_mediator::sim::SessionInfo::new(false, 0, Some(&[7u8; 16]), None);
            let peer = match datagram.len() % 3 {
                0 => Peer::Unsecured,
                1 => Peer::Secure(ocf_mediator::sim::SessionInfo::new(true, 0, None, None)),
                _ => Peer::Secure(owner),
            };
            let context = RequestContext {
                multicast: datagram.len() % 2 == 0,
                eps: Vec::new(),
                peer,
            };
            if let Some(reply) = device.handle(&request, &context) {
                server.respond(now, &request, reply);
            }
        }
        while server.poll_transmit().is_some() {}
        now += Duration::from_millis(700);
        client.handle_timeout(now);
        server.handle_timeout(now);
    }
});
