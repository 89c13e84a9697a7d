//! Arbitrary bytes through the record and handshake-message parsers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocf_mediator::dtls::codec::Reader;
use ocf_mediator::dtls::handshake::messages::*;
use ocf_mediator::dtls::record::parse_datagram;

fuzz_target!(|data: &[u8]| {
    for rec in parse_datagram(data) {
        let mut r = Reader::new(rec.payload);
        while let Ok((h, frag)) = HandshakeHeader::parse(&mut r) {
            let _ = h;
            let _ = ClientHello::parse(frag);
            let _ = ServerHello::parse(frag);
            let _ = parse_hello_verify_request(frag);
            let _ = parse_certificate(frag);
            let _ = parse_certificate_request(frag);
        }
    }
    // The same bytes as bare message bodies.
    let _ = ClientHello::parse(data).map(|ch| assert_eq!(ClientHello::parse(&ch.encode()), Ok(ch)));
    let _ = ServerHello::parse(data).map(|sh| assert_eq!(ServerHello::parse(&sh.encode()), Ok(sh)));
    let _ = parse_certificate(data);
    let mut r = Reader::new(data);
    let _ = parse_ecdh_params(&mut r);
    let _ = parse_signed(&mut r);
});
