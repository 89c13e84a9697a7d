//! A device whose DTLS port is silent: a front for a real (simulated)
//! device that answers discovery (`GET /oic/res`) itself, naming as the
//! device's secure endpoint a port that is bound but never answers (so no
//! ICMP "port unreachable" either), and passes every other datagram on to
//! the device. Everything up to the DTLS handshake works; the handshake
//! meets silence, as with a device whose security stack hangs or a
//! firewall that drops its secure port.
#![allow(dead_code)]

use std::net::{SocketAddr, UdpSocket};
use std::sync::{Arc, Mutex};
use std::thread;

use ocf_mediator::coap::{Code, Message, MessageType};
use ocf_mediator::ocf::representation::{encode_cbor, json_to_cbor};
use ocf_mediator::ocf::request::mark_ocf_cbor;
use serde_json::json;

/// The front's plain address, for a device `di` listening at `device`.
/// The front and its silent port live as long as the test process.
pub fn silent_secure_port(device: SocketAddr, di: &str) -> SocketAddr {
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let front = UdpSocket::bind("127.0.0.1:0").unwrap();
    let upstream = UdpSocket::bind("127.0.0.1:0").unwrap();
    upstream.connect(device).unwrap();
    let address = front.local_addr().unwrap();
    let listing = listing(di, address, silent.local_addr().unwrap());
    // Nothing reads it: what is sent there is neither answered nor refused.
    std::mem::forget(silent);

    let client: Arc<Mutex<Option<SocketAddr>>> = Arc::default();
    let (answers, to_client) = (front.try_clone().unwrap(), client.clone());
    let from_device = upstream.try_clone().unwrap();
    thread::spawn(move || {
        let mut buf = [0u8; 2048];
        while let Ok(n) = from_device.recv(&mut buf) {
            if let Some(client) = *to_client.lock().unwrap() {
                let _ = answers.send_to(&buf[..n], client);
            }
        }
    });
    thread::spawn(move || {
        let mut buf = [0u8; 2048];
        while let Ok((n, from)) = front.recv_from(&mut buf) {
            match Message::decode(&buf[..n]) {
                Ok(request)
                    if request.code == Code::GET && request.options.uri_path() == "/oic/res" =>
                {
                    let _ = front.send_to(&answer(&request, &listing), from);
                }
                _ => {
                    *client.lock().unwrap() = Some(from);
                    let _ = upstream.send(&buf[..n]);
                }
            }
        }
    });
    address
}

/// A short `/oic/res` (one datagram): the device and its doxm, at the
/// front's plain address and the silent secure one.
fn listing(di: &str, plain: SocketAddr, secure: SocketAddr) -> Vec<u8> {
    let eps = json!([{"ep": format!("coap://{plain}")}, {"ep": format!("coaps://{secure}")}]);
    let link = |href: &str, rt: &str| {
        json!({
            "anchor": format!("ocf://{di}"),
            "href": href,
            "rt": [rt],
            "if": ["oic.if.baseline"],
            "p": {"bm": 1},
            "eps": eps,
        })
    };
    let links = json!([
        link("/oic/d", "oic.wk.d"),
        link("/oic/sec/doxm", "oic.r.doxm")
    ]);
    encode_cbor(&json_to_cbor(&links))
}

fn answer(request: &Message, listing: &[u8]) -> Vec<u8> {
    let (mtype, id) = match request.mtype {
        MessageType::Confirmable => (MessageType::Acknowledgement, request.message_id),
        _ => (
            MessageType::NonConfirmable,
            request.message_id.wrapping_add(1),
        ),
    };
    let mut answer = Message::new(mtype, Code::CONTENT, id);
    answer.token = request.token.clone();
    mark_ocf_cbor(&mut answer.options);
    answer.payload = listing.to_vec();
    answer.encode()
}
