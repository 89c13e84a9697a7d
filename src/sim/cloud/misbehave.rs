//! `ocf-devsim cloud --misbehave-signup MODE`: a cloud that answers a
//! device's sign-up (POST `/oic/sec/account`, FACTS §1.5) with garbage, as a
//! broken or malicious cloud would, so that rehearsals and tests see what
//! the device makes of it (`cps` failed with its `clec`, FACTS §1.2) and what
//! the mediator then says.

use ciborium::Value as Cbor;

use crate::coap::Code;
use crate::coap::OptionNumber;
use crate::coap::option::content_format;
use crate::coap::server::Reply;

/// How the cloud answers sign-ups.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignUpMisbehaviour {
    /// 2.04 with bytes that are not CBOR (a map cut short).
    GarbageCbor,
    /// 2.04 with accesstoken 42, refreshtoken 42, uid 42, expiresin "soon".
    WrongTypes,
    /// 2.04 with every property but expiresin, which iotivity-lite requires.
    NoExpiresIn,
    /// 4.00 Bad Request.
    BadRequest,
    /// 5.03 Service Unavailable (plgd's answer when its OAuth server is down).
    Unavailable,
    /// 2.04 with a 4 MiB body, more than a device takes (block-wise, as
    /// the device announced no larger messages).
    Oversized,
    /// No answer at all.
    Silent,
}

impl SignUpMisbehaviour {
    /// Its name on the command line (`--misbehave-signup`) and in events.
    pub fn name(self) -> &'static str {
        match self {
            Self::GarbageCbor => "garbage-cbor",
            Self::WrongTypes => "wrong-types",
            Self::NoExpiresIn => "no-expiresin",
            Self::BadRequest => "bad-request",
            Self::Unavailable => "unavailable",
            Self::Oversized => "oversized",
            Self::Silent => "silent",
        }
    }
}

/// What the cloud answers a sign-up misbehaving as `mode`; `None`: nothing.
pub fn sign_up_reply(mode: SignUpMisbehaviour) -> Option<Reply> {
    let cbor = |payload: Vec<u8>| {
        let mut reply = Reply::new(Code::CHANGED);
        reply.options.set_uint(
            OptionNumber::CONTENT_FORMAT,
            content_format::OCF_CBOR.into(),
        );
        reply.payload = payload;
        reply
    };
    let encode = |value: Cbor| {
        let mut bytes = Vec::new();
        // Writing into a Vec cannot fail.
        let _ = ciborium::into_writer(&value, &mut bytes);
        bytes
    };
    let text = |s: &str| Cbor::Text(s.to_owned());
    Some(match mode {
        // A map of four entries, the first key's text cut after 3 bytes.
        SignUpMisbehaviour::GarbageCbor => cbor(vec![0xa4, 0x6b, b'a', b'c', b'c']),
        SignUpMisbehaviour::WrongTypes => cbor(encode(Cbor::Map(vec![
            (text("accesstoken"), Cbor::Integer(42.into())),
            (text("refreshtoken"), Cbor::Integer(42.into())),
            (text("uid"), Cbor::Integer(42.into())),
            (text("expiresin"), text("soon")),
        ]))),
        SignUpMisbehaviour::NoExpiresIn => cbor(encode(Cbor::Map(vec![
            (text("accesstoken"), text("an-access-token")),
            (text("refreshtoken"), text("a-refresh-token")),
            (text("uid"), text("a-user")),
        ]))),
        SignUpMisbehaviour::BadRequest => Reply::new(Code::BAD_REQUEST),
        SignUpMisbehaviour::Unavailable => Reply::new(Code::SERVICE_UNAVAILABLE),
        SignUpMisbehaviour::Oversized => cbor(encode(Cbor::Map(vec![
            (text("accesstoken"), text(&"x".repeat(4 << 20))),
            (text("refreshtoken"), text("a-refresh-token")),
            (text("uid"), text("a-user")),
            (text("expiresin"), Cbor::Integer(3600.into())),
        ]))),
        SignUpMisbehaviour::Silent => return None,
    })
}
