//! The mediator's decoding of what a device answers: CBOR of any shape into
//! links (`/oic/res`), `/oic/d`, doxm, the cloud configuration's state, the
//! cred and acl2 checks of `cloud configure`, and the JSON shown to users.
//! Never panics; a representation that parses is sane.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ocf_mediator::cloud::{CloudSettings, CloudState, already_present};
use ocf_mediator::ocf::representation::{cbor_to_json, decode_cbor, show_payload};
use ocf_mediator::ocf::resources::{parse_device, parse_doxm, parse_links};

fuzz_target!(|data: &[u8]| {
    let _ = parse_links(data);
    let _ = parse_device(data);
    if let Ok(doxm) = parse_doxm(data) {
        let _ = format!("{doxm:?}");
    }
    let _ = show_payload(Some(10000), data);
    let _ = show_payload(Some(60), data);
    let Ok(value) = decode_cbor(data) else {
        return;
    };
    let _ = cbor_to_json(&value).to_string();
    let _ = CloudState::from_cbor(&value);
    let settings = CloudSettings {
        cis: "coaps+tcp://127.0.0.1:5684".into(),
        sid: uuid::Uuid::from_u128(0x5ec0_0000_0000_4000_8000_0000_0000_0001),
        apn: "plgd".into(),
        trust_anchor: String::new(),
    };
    let _ = already_present(&settings, &value, &value);
});
