//! Representations: CBOR to JSON for people and scripts, and back.
//!
//! Byte strings become base64 text in JSON (as Go's encoding/json, and so the
//! plgd tools, render them); CBOR tags are dropped to their content.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ciborium::Value as Cbor;
use serde_json::Value as Json;

use crate::coap::content_format;

/// How deep CBOR items may nest (ciborium's default recursion limit), so
/// hostile payloads cannot exhaust the stack.
pub const MAX_NESTING: usize = 256;

/// Why a payload is not CBOR this decoder can read. Shown to people as one
/// plain sentence (never the decoder's own debug text).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidCbor {
    /// The payload ends in the middle of an item: cut short.
    Truncated,
    /// The byte at `offset` cannot start or continue an item there.
    Malformed { offset: usize },
    /// A well-formed item that has no value here (e.g. a text string that
    /// is not UTF-8), starting at `offset` when known.
    Unreadable {
        offset: Option<usize>,
        detail: String,
    },
    /// Items nested deeper than [`MAX_NESTING`].
    TooDeep,
}

impl std::fmt::Display for InvalidCbor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the payload is not valid CBOR: ")?;
        match self {
            InvalidCbor::Truncated => f.write_str("it ends in the middle of an item"),
            InvalidCbor::Malformed { offset } => {
                write!(f, "the byte at offset {offset} does not belong there")
            }
            InvalidCbor::Unreadable {
                offset: Some(offset),
                detail,
            } => write!(f, "the item at offset {offset}: {detail}"),
            InvalidCbor::Unreadable {
                offset: None,
                detail,
            } => f.write_str(detail),
            InvalidCbor::TooDeep => {
                write!(f, "its items nest more than {MAX_NESTING} levels deep")
            }
        }
    }
}

impl std::error::Error for InvalidCbor {}

impl From<ciborium::de::Error<std::io::Error>> for InvalidCbor {
    fn from(error: ciborium::de::Error<std::io::Error>) -> Self {
        use ciborium::de::Error;
        match error {
            // Reading from a slice fails only at its end.
            Error::Io(_) => InvalidCbor::Truncated,
            Error::Syntax(offset) => InvalidCbor::Malformed { offset },
            Error::Semantic(offset, detail) => InvalidCbor::Unreadable { offset, detail },
            Error::RecursionLimitExceeded => InvalidCbor::TooDeep,
        }
    }
}

/// Decodes a CBOR payload into a value, nesting at most [`MAX_NESTING`] deep.
pub fn decode_cbor(payload: &[u8]) -> Result<Cbor, InvalidCbor> {
    ciborium::de::from_reader_with_recursion_limit(payload, MAX_NESTING).map_err(InvalidCbor::from)
}

pub fn encode_cbor(value: &Cbor) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = ciborium::ser::into_writer(value, &mut out);
    out
}

/// CBOR as JSON.
pub fn cbor_to_json(value: &Cbor) -> Json {
    match value {
        Cbor::Integer(i) => {
            let i = i128::from(*i);
            if let Ok(v) = i64::try_from(i) {
                Json::from(v)
            } else if let Ok(v) = u64::try_from(i) {
                Json::from(v)
            } else {
                Json::String(i.to_string())
            }
        }
        Cbor::Bytes(b) => Json::String(STANDARD.encode(b)),
        Cbor::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        Cbor::Text(t) => Json::String(t.clone()),
        Cbor::Bool(b) => Json::Bool(*b),
        Cbor::Null => Json::Null,
        Cbor::Tag(_, inner) => cbor_to_json(inner),
        Cbor::Array(items) => Json::Array(items.iter().map(cbor_to_json).collect()),
        Cbor::Map(entries) => Json::Object(
            entries
                .iter()
                .map(|(k, v)| (map_key(k), cbor_to_json(v)))
                .collect(),
        ),
        _ => Json::Null,
    }
}

/// JSON as CBOR (numbers stay integers where they are integers).
pub fn json_to_cbor(value: &Json) -> Cbor {
    match value {
        Json::Null => Cbor::Null,
        Json::Bool(b) => Cbor::Bool(*b),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                Cbor::Integer(i.into())
            } else if let Some(u) = n.as_u64() {
                Cbor::Integer(u.into())
            } else {
                Cbor::Float(n.as_f64().unwrap_or(0.0))
            }
        }
        Json::String(s) => Cbor::Text(s.clone()),
        Json::Array(items) => Cbor::Array(items.iter().map(json_to_cbor).collect()),
        Json::Object(map) => Cbor::Map(
            map.iter()
                .map(|(k, v)| (Cbor::Text(k.clone()), json_to_cbor(v)))
                .collect(),
        ),
    }
}

/// A JSON object key for a CBOR map key. Text keys are themselves; any
/// other key is written in CBOR diagnostic notation (RFC 8949 §8), once.
/// (Rendering it as JSON text would escape the quotes of a key nested in a
/// key again at every level: a 2 KB answer of maps keyed by maps grew to
/// gigabytes. Found by fuzzing.)
fn map_key(key: &Cbor) -> String {
    match key {
        Cbor::Text(t) => t.clone(),
        other => {
            let mut out = String::new();
            diagnostic(other, &mut out);
            out
        }
    }
}

/// CBOR diagnostic notation of `value`, appended to `out`: its length grows
/// with the input's, whatever the nesting.
fn diagnostic(value: &Cbor, out: &mut String) {
    use std::fmt::Write;
    match value {
        Cbor::Integer(i) => {
            let _ = write!(out, "{}", i128::from(*i));
        }
        Cbor::Bytes(b) => {
            out.push_str("h'");
            for byte in b {
                let _ = write!(out, "{byte:02x}");
            }
            out.push('\'');
        }
        Cbor::Float(f) => {
            let _ = write!(out, "{f:?}");
        }
        Cbor::Text(t) => {
            out.push('"');
            for c in t.chars() {
                if matches!(c, '"' | '\\') {
                    out.push('\\');
                }
                out.push(c);
            }
            out.push('"');
        }
        Cbor::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Cbor::Null => out.push_str("null"),
        Cbor::Tag(tag, inner) => {
            let _ = write!(out, "{tag}(");
            diagnostic(inner, out);
            out.push(')');
        }
        Cbor::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                diagnostic(item, out);
            }
            out.push(']');
        }
        Cbor::Map(entries) => {
            out.push('{');
            for (index, (k, v)) in entries.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                diagnostic(k, out);
                out.push_str(": ");
                diagnostic(v, out);
            }
            out.push('}');
        }
        _ => out.push_str("undefined"),
    }
}

/// A payload ready to show: JSON when it is CBOR or JSON, text otherwise.
#[derive(Debug, Clone, PartialEq)]
pub enum Shown {
    Json(Json),
    Text(String),
    /// Binary that is neither: base64.
    Binary(String),
}

/// Renders a payload according to its content format.
pub fn show_payload(content_format: Option<u16>, payload: &[u8]) -> Result<Shown, InvalidCbor> {
    if payload.is_empty() {
        return Ok(Shown::Text(String::new()));
    }
    match content_format {
        Some(content_format::CBOR | content_format::OCF_CBOR) => {
            decode_cbor(payload).map(|v| Shown::Json(cbor_to_json(&v)))
        }
        Some(content_format::JSON) => match serde_json::from_slice(payload) {
            Ok(v) => Ok(Shown::Json(v)),
            Err(_) => Ok(text_or_binary(payload)),
        },
        Some(content_format::OCTET_STREAM) => Ok(Shown::Binary(STANDARD.encode(payload))),
        _ => Ok(text_or_binary(payload)),
    }
}

fn text_or_binary(payload: &[u8]) -> Shown {
    match std::str::from_utf8(payload) {
        Ok(text) => Shown::Text(text.to_owned()),
        Err(_) => Shown::Binary(STANDARD.encode(payload)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Maps keyed by maps, 100 deep: the JSON stays about as long as the
    /// CBOR (it once doubled at every level).
    #[test]
    fn keys_nested_in_keys_stay_linear() {
        let mut value = Cbor::Text("x\"y".into());
        for _ in 0..100 {
            value = Cbor::Map(vec![(value, Cbor::Integer(1.into()))]);
        }
        let json = cbor_to_json(&value).to_string();
        assert!(json.len() < 2_000, "{} bytes", json.len());
    }

    #[test]
    fn non_text_keys_read_as_diagnostic_notation() {
        let value = Cbor::Map(vec![
            (Cbor::Integer(7.into()), Cbor::Bool(true)),
            (Cbor::Bytes(vec![0xab, 1]), Cbor::Null),
            (
                Cbor::Array(vec![Cbor::Text("a".into()), Cbor::Float(1.5)]),
                Cbor::Null,
            ),
        ]);
        assert_eq!(
            cbor_to_json(&value).to_string(),
            r#"{"7":true,"h'ab01'":null,"[\"a\", 1.5]":null}"#
        );
    }
}
