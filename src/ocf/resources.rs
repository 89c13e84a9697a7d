//! The resources the Mediator reads, as typed views of their CBOR.
//!
//! Parsing is lenient about what it does not need and strict about what it
//! does: a device's answer is untrusted input and a missing or mistyped
//! property is reported by name.

use ciborium::Value as Cbor;
use uuid::Uuid;

use super::representation::decode_cbor;

/// Why a representation does not have the expected shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRepresentation {
    pub resource: &'static str,
    pub problem: String,
}

impl std::fmt::Display for BadRepresentation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "malformed {} representation: {}",
            self.resource, self.problem
        )
    }
}

impl std::error::Error for BadRepresentation {}

fn bad(resource: &'static str, problem: impl Into<String>) -> BadRepresentation {
    BadRepresentation {
        resource,
        problem: problem.into(),
    }
}

fn parse(resource: &'static str, payload: &[u8]) -> Result<Cbor, BadRepresentation> {
    decode_cbor(payload).map_err(|e| bad(resource, e.to_string()))
}

/// Looks a text key up in a CBOR map.
pub fn field<'a>(map: &'a Cbor, key: &str) -> Option<&'a Cbor> {
    map.as_map()?
        .iter()
        .find(|(k, _)| k.as_text() == Some(key))
        .map(|(_, v)| v)
}

fn text(map: &Cbor, key: &str) -> Option<String> {
    field(map, key)?.as_text().map(str::to_owned)
}

fn uint(map: &Cbor, key: &str) -> Option<u64> {
    field(map, key)?
        .as_integer()
        .and_then(|i| u64::try_from(i).ok())
}

fn texts(value: Option<&Cbor>) -> Vec<String> {
    match value {
        Some(Cbor::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_text().map(str::to_owned))
            .collect(),
        Some(Cbor::Text(t)) => vec![t.clone()],
        _ => Vec::new(),
    }
}

/// One link of `/oic/res`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The device the resource belongs to, from `anchor: ocf://<di>` (or the
    /// enclosing `di` of the OIC 1.1 form).
    pub di: Option<Uuid>,
    pub href: String,
    pub rt: Vec<String>,
    pub interfaces: Vec<String>,
    pub eps: Vec<String>,
}

/// Parses an `/oic/res` answer: the OCF 1.0 array of links, or the OIC 1.1
/// array of `{di, links}`.
pub fn parse_links(payload: &[u8]) -> Result<Vec<Link>, BadRepresentation> {
    const NAME: &str = "/oic/res";
    let value = parse(NAME, payload)?;
    let items = value
        .as_array()
        .ok_or_else(|| bad(NAME, "expected an array of links"))?;
    let mut links = Vec::new();
    for item in items {
        if let Some(inner) = field(item, "links").and_then(Cbor::as_array) {
            let di = text(item, "di").and_then(|d| Uuid::parse_str(&d).ok());
            for link in inner {
                links.push(parse_link(link, di)?);
            }
        } else {
            links.push(parse_link(item, None)?);
        }
    }
    Ok(links)
}

fn parse_link(link: &Cbor, di: Option<Uuid>) -> Result<Link, BadRepresentation> {
    const NAME: &str = "/oic/res";
    let href = text(link, "href").ok_or_else(|| bad(NAME, "a link has no href"))?;
    let anchor_di = text(link, "anchor")
        .and_then(|a| a.strip_prefix("ocf://").map(str::to_owned))
        .and_then(|d| Uuid::parse_str(d.trim_end_matches('/')).ok());
    let eps = match field(link, "eps") {
        Some(Cbor::Array(eps)) => eps.iter().filter_map(|e| text(e, "ep")).collect(),
        _ => Vec::new(),
    };
    Ok(Link {
        di: anchor_di.or(di),
        href,
        rt: texts(field(link, "rt")),
        interfaces: texts(field(link, "if")),
        eps,
    })
}

/// `/oic/d`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    pub di: Option<Uuid>,
    pub name: Option<String>,
    pub icv: Option<String>,
    pub dmv: Option<String>,
}

pub fn parse_device(payload: &[u8]) -> Result<DeviceInfo, BadRepresentation> {
    let value = parse("/oic/d", payload)?;
    if value.as_map().is_none() {
        return Err(bad("/oic/d", "expected a map"));
    }
    Ok(DeviceInfo {
        di: text(&value, "di").and_then(|d| Uuid::parse_str(&d).ok()),
        name: text(&value, "n"),
        icv: text(&value, "icv"),
        dmv: text(&value, "dmv"),
    })
}

/// Ownership transfer methods (doxm `oxms` values).
pub fn oxm_name(oxm: u64) -> &'static str {
    match oxm {
        0 => "jw",
        1 => "rdp",
        2 => "mfg",
        3 => "dcap",
        4 => "self",
        _ => "unknown",
    }
}

/// `/oic/sec/doxm`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doxm {
    pub oxms: Vec<u64>,
    pub oxmsel: Option<u64>,
    pub sct: Option<u64>,
    pub owned: bool,
    pub deviceuuid: Option<Uuid>,
    pub devowneruuid: Option<Uuid>,
    pub rowneruuid: Option<Uuid>,
}

pub fn parse_doxm(payload: &[u8]) -> Result<Doxm, BadRepresentation> {
    const NAME: &str = "/oic/sec/doxm";
    let value = parse(NAME, payload)?;
    let owned = match field(&value, "owned") {
        Some(Cbor::Bool(b)) => *b,
        Some(_) => return Err(bad(NAME, "owned is not a boolean")),
        None => return Err(bad(NAME, "owned is missing")),
    };
    let uuid = |key| text(&value, key).and_then(|d| Uuid::parse_str(&d).ok());
    let oxms = match field(&value, "oxms") {
        Some(Cbor::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_integer().and_then(|i| u64::try_from(i).ok()))
            .collect(),
        _ => Vec::new(),
    };
    Ok(Doxm {
        oxms,
        oxmsel: uint(&value, "oxmsel"),
        sct: uint(&value, "sct"),
        owned,
        deviceuuid: uuid("deviceuuid"),
        devowneruuid: uuid("devowneruuid"),
        rowneruuid: uuid("rowneruuid"),
    })
}
