//! Small helpers to build and read the CBOR representations of resources.

use ciborium::Value as Cbor;
use uuid::Uuid;

use crate::coap::Code;

pub fn text(s: &str) -> Cbor {
    Cbor::Text(s.to_owned())
}

pub fn map(entries: Vec<(&str, Cbor)>) -> Cbor {
    Cbor::Map(entries.into_iter().map(|(k, v)| (text(k), v)).collect())
}

pub fn texts(items: &[&str]) -> Cbor {
    Cbor::Array(items.iter().map(|s| text(s)).collect())
}

pub fn int(v: u64) -> Cbor {
    Cbor::Integer(v.into())
}

/// What a malformed or refused write answers (FACTS §2.5).
pub const BAD: Code = Code::BAD_REQUEST;

/// The entries of a map body, or 4.00.
pub fn entries(body: &Cbor) -> Result<&[(Cbor, Cbor)], Code> {
    body.as_map().map(Vec::as_slice).ok_or(BAD)
}

/// A map key as text, or 4.00.
pub fn key(k: &Cbor) -> Result<&str, Code> {
    k.as_text().ok_or(BAD)
}

pub fn uint(v: &Cbor) -> Result<u64, Code> {
    v.as_integer()
        .and_then(|i| u64::try_from(i).ok())
        .ok_or(BAD)
}

pub fn boolean(v: &Cbor) -> Result<bool, Code> {
    v.as_bool().ok_or(BAD)
}

pub fn string(v: &Cbor) -> Result<&str, Code> {
    v.as_text().ok_or(BAD)
}

/// A UUID in text form. Trailing NULs are tolerated: the reference
/// onboarding tool sends ACE subjects with one (see the decrypted capture).
pub fn uuid(v: &Cbor) -> Result<Uuid, Code> {
    parse_uuid(string(v)?).ok_or(BAD)
}

pub fn parse_uuid(text: &str) -> Option<Uuid> {
    Uuid::parse_str(text.trim_end_matches('\0')).ok()
}

/// Properties every resource may carry in a write and that change nothing.
pub fn is_common_property(key: &str) -> bool {
    matches!(key, "rt" | "if" | "n" | "id")
}
