//! The simulated device's decoding of every OCF resource a client can
//! write: an arbitrary body POSTed (and a GET/DELETE with queries) to doxm,
//! pstat, cred, acl2, the cloud configuration, sdi and csr, from a plain
//! CoAP client, from inside the ownership session and from the owner.
//! Never panics; whatever it accepts still serialises.
//! Input: [selector][query length][query][body], selector = resource and peer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocf_mediator::coap::{Code, IncomingRequest, Message, MessageType};
use ocf_mediator::sim::{DeviceState, Peer, RequestContext, SessionInfo, SimDevice};

const HREFS: [&str; 9] = [
    "/oic/sec/doxm",
    "/oic/sec/pstat",
    "/oic/sec/cred",
    "/oic/sec/acl2",
    "/CoapCloudConfResURI",
    "/oic/sec/sdi",
    "/oic/sec/csr",
    "/oic/d",
    "/oic/res",
];

fuzz_target!(|data: &[u8]| {
    let [selector, query_len, rest @ ..] = data else {
        return;
    };
    let query_len = usize::from(*query_len).min(rest.len());
    let (query, body) = rest.split_at(query_len);
    let href = HREFS[usize::from(selector & 0x0f) % HREFS.len()];
    let code = match (selector >> 4) & 0x03 {
        0 | 1 => Code::POST,
        2 => Code::GET,
        _ => Code::DELETE,
    };
    let mut state = DeviceState::new_unowned("fuzz");
    state.doxm.oxms = vec![0, 1, 2];
    let owner = uuid::Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_00aa);
    let peer = match selector >> 6 {
        0 => Peer::Unsecured,
        1 => {
            state.doxm.oxmsel = 0;
            Peer::Secure(SessionInfo::new(true, 0, None, None))
        }
        _ => {
            state.doxm.oxmsel = 0;
            state.doxm.owned = true;
            state.doxm.devowneruuid = owner;
            state.pstat.s = if selector >> 6 == 2 { 2 } else { 3 };
            Peer::Secure(SessionInfo::new(false, 0, Some(owner.as_bytes()), None))
        }
    };
    let mut device = SimDevice::new(state);
    let mut message = Message::new(MessageType::Confirmable, code, 1);
    message.options.set_uri(href);
    if !query.is_empty() {
        if let Ok(query) = std::str::from_utf8(query) {
            message.options.push(
                ocf_mediator::coap::OptionNumber::URI_QUERY,
                query.as_bytes().to_vec(),
            );
        }
    }
    message.payload = body.to_vec();
    let request = IncomingRequest {
        from: "127.0.0.1:5683".parse().unwrap(),
        message,
    };
    let context = RequestContext {
        multicast: false,
        eps: vec!["coaps://127.0.0.1:5684".into()],
        peer,
    };
    let _ = device.handle(&request, &context);
    // What it kept is still a device that answers (the CSR aside: it makes
    // a P-256 key, which would slow every run tenfold).
    for href in HREFS.iter().filter(|href| **href != "/oic/sec/csr") {
        let mut get = Message::new(MessageType::Confirmable, Code::GET, 2);
        get.options.set_uri(href);
        let get = IncomingRequest {
            from: request.from,
            message: get,
        };
        let _ = device.handle(&get, &context);
    }
});
