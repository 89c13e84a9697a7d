//! CoAP datagram decoding: never panics; what decodes re-encodes to a
//! message that decodes the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocf_mediator::coap::Message;

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = Message::decode(data) {
        let again = Message::decode(&message.encode()).expect("re-encoded message decodes");
        assert_eq!(again, message);
    }
});
