//! `ocf-devsim cloud`'s decoding of what a device sends: an arbitrary body
//! (and query) to the account, session, token refresh and resource directory
//! resources, on a fresh connection and on one already signed in.
//! Never panics. Input: [selector][query length][query][body].
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocf_mediator::coap::tcp::{Frame, IncomingRequest};
use ocf_mediator::coap::{Code, OptionNumber};
use ocf_mediator::sim::cloud::service::{ConnectionState, Service, ServiceConfig};
use ocf_mediator::sim::cloud::tokens::Minter;
use ocf_mediator::sim::jwt::JwtSigner;
use uuid::Uuid;

const HREFS: [&str; 4] = [
    "/oic/sec/account",
    "/oic/sec/session",
    "/oic/sec/tokenrefresh",
    "/oic/rd",
];

fuzz_target!(|data: &[u8]| {
    let [selector, query_len, rest @ ..] = data else {
        return;
    };
    let query_len = usize::from(*query_len).min(rest.len());
    let (query, body) = rest.split_at(query_len);
    let sid = Uuid::from_u128(0x5ec0_0000_0000_4000_8000_0000_0000_0001);
    let di = Uuid::from_u128(0xde71_0000_0000_4000_8000_0000_0000_0001);
    let signer = JwtSigner::from_secret_bytes(&[7; 32], "fuzz").expect("a signing key");
    let mut service = Service::new(
        ServiceConfig {
            authproviders: vec!["plgd".into()],
            expires_in: 3600,
            redirect_to: None,
        },
        Minter::new(signer, sid),
    );
    let mut connection = ConnectionState {
        peer: "127.0.0.1:40000".parse().unwrap(),
        certificate_di: (selector & 0x40 != 0).then_some(di),
        signed_in: (selector & 0x80 != 0).then(|| (di, "user".to_owned())),
    };
    let code = if selector & 0x20 != 0 {
        Code::DELETE
    } else {
        Code::POST
    };
    let mut message = Frame::new(code, vec![1]);
    message.options.set_uri(HREFS[usize::from(selector & 0x03)]);
    if let Ok(query) = std::str::from_utf8(query) {
        if !query.is_empty() {
            message
                .options
                .push(OptionNumber::URI_QUERY, query.as_bytes().to_vec());
        }
    }
    message.payload = body.to_vec();
    let request = IncomingRequest { frame: message };
    let _ = service.handle(&mut connection, &request, 1_800_000_000);
});
