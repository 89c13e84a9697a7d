//! Naming a device on the command line: an address, a URI, a UUID or a name.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr, SocketAddr, SocketAddrV6};

use uuid::Uuid;

/// The default CoAP port (RFC 7252).
pub const COAP_PORT: u16 = 5683;
/// The default CoAP over DTLS port.
pub const COAPS_PORT: u16 = 5684;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    /// Plain CoAP over UDP.
    Coap,
    /// CoAP over DTLS.
    Coaps,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Coap => "coap",
            Scheme::Coaps => "coaps",
        }
    }

    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Coap => COAP_PORT,
            Scheme::Coaps => COAPS_PORT,
        }
    }
}

/// A resolved endpoint of a device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Endpoint {
    pub scheme: Scheme,
    pub addr: SocketAddr,
}

impl Endpoint {
    pub fn coap(addr: SocketAddr) -> Self {
        Endpoint {
            scheme: Scheme::Coap,
            addr,
        }
    }

    /// Parses an OCF `ep` (`coap://[fe80::1%eth0]:5683`, `coaps://10.0.0.2:49152`).
    /// TCP endpoints and host names are not endpoints of this kind: `None`.
    pub fn parse(ep: &str) -> Option<Endpoint> {
        let (scheme, rest) = split_scheme(ep)?;
        let (host, port) = split_host_port(rest.trim_end_matches('/'))?;
        let ip = parse_ip_with_zone(&host)?;
        Some(Endpoint {
            scheme,
            addr: with_port(ip, port.unwrap_or(scheme.default_port())),
        })
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme.as_str(), format_addr(self.addr))
    }
}

/// Formats a socket address as a URI authority, with an IPv6 zone as the
/// interface name where it has one.
pub fn format_addr(addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V4(v4) => v4.to_string(),
        SocketAddr::V6(v6) if v6.scope_id() != 0 => {
            let zone = interface_name(v6.scope_id()).unwrap_or_else(|| v6.scope_id().to_string());
            format!("[{}%{}]:{}", v6.ip(), zone, v6.port())
        }
        SocketAddr::V6(v6) => format!("[{}]:{}", v6.ip(), v6.port()),
    }
}

/// How the user named a device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeviceRef {
    /// `127.0.0.1:5683`, `[::1]`, `coap://host:port`, `coaps://…`.
    Address {
        scheme: Scheme,
        host: String,
        port: u16,
    },
    /// A device UUID (`di`), found by discovery.
    Uuid(Uuid),
    /// A device name (`/oic/d` `n`), found by discovery; must be unique.
    Name(String),
}

impl DeviceRef {
    /// The device UUID, when the reference is one.
    pub fn uuid(&self) -> Option<Uuid> {
        match self {
            DeviceRef::Uuid(uuid) => Some(*uuid),
            _ => None,
        }
    }

    pub fn parse(text: &str) -> DeviceRef {
        let text = text.trim();
        if let Ok(uuid) = Uuid::parse_str(text) {
            return DeviceRef::Uuid(uuid);
        }
        if let Some((scheme, rest)) = split_scheme(text) {
            if let Some((host, port)) = split_host_port(rest.trim_end_matches('/')) {
                return DeviceRef::Address {
                    scheme,
                    host,
                    port: port.unwrap_or(scheme.default_port()),
                };
            }
        }
        if parse_ip_with_zone(text).is_some() {
            return DeviceRef::Address {
                scheme: Scheme::Coap,
                host: text
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_owned(),
                port: COAP_PORT,
            };
        }
        if let Some((host, Some(port))) = split_host_port(text) {
            if host.contains(['.', ':']) || host == "localhost" {
                return DeviceRef::Address {
                    scheme: Scheme::Coap,
                    host,
                    port,
                };
            }
        }
        DeviceRef::Name(text.to_owned())
    }
}

impl fmt::Display for DeviceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceRef::Address { scheme, host, port } if host.contains(':') => {
                write!(f, "{}://[{host}]:{port}", scheme.as_str())
            }
            DeviceRef::Address { scheme, host, port } => {
                write!(f, "{}://{host}:{port}", scheme.as_str())
            }
            DeviceRef::Uuid(uuid) => write!(f, "{uuid}"),
            DeviceRef::Name(name) => write!(f, "{name}"),
        }
    }
}

fn split_scheme(text: &str) -> Option<(Scheme, &str)> {
    let (scheme, rest) = text.split_once("://")?;
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "coap" => Scheme::Coap,
        "coaps" => Scheme::Coaps,
        _ => return None,
    };
    Some((scheme, rest))
}

/// Splits `host`, `host:port`, `[v6]`, `[v6]:port`; host keeps an IPv6 zone.
fn split_host_port(text: &str) -> Option<(String, Option<u16>)> {
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after.strip_prefix(':') {
            Some(p) => Some(p.parse().ok()?),
            None if after.is_empty() => None,
            None => return None,
        };
        return Some((host.to_owned(), port));
    }
    if text.is_empty() {
        return None;
    }
    match text.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => {
            Some((host.to_owned(), Some(port.parse().ok()?)))
        }
        Some(_) => None, // a bare IPv6 address without brackets has no port
        None => Some((text.to_owned(), None)),
    }
}

/// Parses an IP address, with an IPv6 zone given as a number or an interface name.
pub fn parse_ip_with_zone(text: &str) -> Option<(IpAddr, u32)> {
    let text = text.trim_start_matches('[').trim_end_matches(']');
    match text.split_once('%') {
        Some((ip, zone)) => {
            let ip: Ipv6Addr = ip.parse().ok()?;
            let scope = zone.parse().ok().or_else(|| interface_index(zone))?;
            Some((IpAddr::V6(ip), scope))
        }
        None => Some((text.parse().ok()?, 0)),
    }
}

/// A socket address from an IP, its IPv6 zone and a port.
pub fn with_port((ip, scope): (IpAddr, u32), port: u16) -> SocketAddr {
    match ip {
        IpAddr::V4(v4) => SocketAddr::new(IpAddr::V4(v4), port),
        IpAddr::V6(v6) => SocketAddr::V6(SocketAddrV6::new(v6, port, 0, scope)),
    }
}

fn interface_index(name: &str) -> Option<u32> {
    if_addrs::get_if_addrs()
        .ok()?
        .into_iter()
        .find(|i| i.name == name)
        .and_then(|i| i.index)
}

fn interface_name(index: u32) -> Option<String> {
    if_addrs::get_if_addrs()
        .ok()?
        .into_iter()
        .find(|i| i.index == Some(index))
        .map(|i| i.name)
}
