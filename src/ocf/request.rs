//! How OCF requests and responses are dressed (OCF Core §12.2.5): Accept
//! application/vnd.ocf+cbor (10000) with OCF-Accept-Content-Format-Version
//! 1.0.0 on requests; Content-Format 10000 with OCF-Content-Format-Version on
//! payloads.

use crate::coap::option::{OCF_VERSION_1_0, content_format};
use crate::coap::{Code, OptionNumber, Options, Request};

/// A request carrying OCF's Accept options.
pub fn ocf_request(code: Code, href: &str) -> Request {
    let mut request = Request::new(code, href);
    add_accept(&mut request.options);
    request
}

/// A GET with OCF's Accept options.
pub fn ocf_get(href: &str) -> Request {
    ocf_request(Code::GET, href)
}

/// A request with a CBOR body, marked as OCF CBOR 1.0.0.
pub fn ocf_request_with_body(code: Code, href: &str, cbor: Vec<u8>) -> Request {
    let mut request = ocf_request(code, href);
    mark_ocf_cbor(&mut request.options);
    request.payload = cbor;
    request
}

/// Removes OCF's own options, for peers that reject them as unknown critical
/// options (generic CoAP servers answer 4.02 Bad Option).
pub fn strip_ocf_options(request: &mut Request) {
    request.options.remove(OptionNumber::ACCEPT);
    request
        .options
        .remove(OptionNumber::OCF_ACCEPT_CONTENT_FORMAT_VERSION);
    if request.options.get_uint(OptionNumber::CONTENT_FORMAT)
        == Some(content_format::OCF_CBOR.into())
    {
        request
            .options
            .set_uint(OptionNumber::CONTENT_FORMAT, content_format::CBOR.into());
    }
    request
        .options
        .remove(OptionNumber::OCF_CONTENT_FORMAT_VERSION);
}

pub fn add_accept(options: &mut Options) {
    options.set_uint(OptionNumber::ACCEPT, content_format::OCF_CBOR.into());
    options.set_uint(
        OptionNumber::OCF_ACCEPT_CONTENT_FORMAT_VERSION,
        OCF_VERSION_1_0,
    );
}

pub fn mark_ocf_cbor(options: &mut Options) {
    options.set_uint(
        OptionNumber::CONTENT_FORMAT,
        content_format::OCF_CBOR.into(),
    );
    options.set_uint(OptionNumber::OCF_CONTENT_FORMAT_VERSION, OCF_VERSION_1_0);
}
