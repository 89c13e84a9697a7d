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

/// Why a DEVICE argument that looks like an address is not one. It is
/// never taken for a device name instead: that would send a multicast
/// round looking for a device called `127.0.0.1:99999`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AddressError {
    /// A URI whose scheme is not `coap` or `coaps`.
    UnsupportedScheme { input: String, scheme: String },
    /// A URI with nothing where the host goes (`coap://`, `coap://:5683`).
    MissingHost { input: String },
    /// A `:` with no port after it (`127.0.0.1:`, `[::1]:`).
    MissingPort { input: String },
    /// A port that is not a number from 1 to 65535.
    InvalidPort { input: String, port: String },
    /// A path, query or fragment after a device URI's authority: a device
    /// is named by its address alone, the resource is a separate argument.
    UnexpectedPath { input: String, path: String },
    /// An IPv6 address with a port but no brackets, a `[` without its `]`,
    /// or something after the `]` other than `:PORT`.
    Ipv6Brackets { input: String },
    /// Brackets around something that is not an IPv6 address, or digits and
    /// dots or colons that do not make an IP address.
    InvalidIp { input: String, host: String },
    /// An IPv6 zone (`%eth0`) that names no interface of this host.
    UnknownZone { input: String, zone: String },
}

impl fmt::Display for AddressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AddressError::UnsupportedScheme { input, scheme } => write!(
                f,
                "{input} is not a device address: devices are reached over coap:// or coaps://, not {scheme}://"
            ),
            AddressError::MissingHost { input } => {
                write!(f, "{input} is not a device address: it names no host")
            }
            AddressError::MissingPort { input } => write!(
                f,
                "{input} is not a device address: no port after the colon (leave out the colon for the default port)"
            ),
            AddressError::InvalidPort { input, port } => write!(
                f,
                "{input} is not a device address: the port {port} is not a number from 1 to 65535"
            ),
            AddressError::UnexpectedPath { input, path } => write!(
                f,
                "{input} is not a device address: it has {path} after the port; give the resource path as a separate argument"
            ),
            AddressError::Ipv6Brackets { input } => write!(
                f,
                "{input} is not a device address: an IPv6 address goes in brackets, optionally followed by a port, as in [fe80::1%eth0]:5683"
            ),
            AddressError::InvalidIp { input, host } => write!(
                f,
                "{input} is not a device address: {host} is not an IP address"
            ),
            AddressError::UnknownZone { input, zone } => write!(
                f,
                "{input} is not a device address: this host has no network interface {zone}"
            ),
        }
    }
}

impl std::error::Error for AddressError {}

impl DeviceRef {
    /// The device UUID, when the reference is one.
    pub fn uuid(&self) -> Option<Uuid> {
        match self {
            DeviceRef::Uuid(uuid) => Some(*uuid),
            _ => None,
        }
    }

    /// Reads a DEVICE argument: a UUID, an address (`HOST:PORT`, `[IPv6]`,
    /// `[IPv6]:PORT`, a bare IP, `coap://…`, `coaps://…`) or else a device
    /// name. Text that looks like an address but is not a valid one is an
    /// error, never a name.
    pub fn parse(text: &str) -> Result<DeviceRef, AddressError> {
        let text = text.trim();
        if let Ok(uuid) = Uuid::parse_str(text) {
            return Ok(DeviceRef::Uuid(uuid));
        }
        if let Some((scheme, rest)) = text.split_once("://") {
            if is_uri_scheme(scheme) {
                return parse_uri(text, scheme, rest);
            }
        }
        if text.starts_with('[') {
            let (host, port) = parse_authority(text, text)?;
            return Ok(address(Scheme::Coap, host, port));
        }
        if let Some((ip, _zone)) = text.split_once('%') {
            // A bare IPv6 address with a zone (no port without brackets).
            if ip.parse::<Ipv6Addr>().is_ok() {
                check_ip(text, text)?;
                return Ok(address(Scheme::Coap, text.to_owned(), None));
            }
        }
        if text.parse::<IpAddr>().is_ok() {
            return Ok(address(Scheme::Coap, text.to_owned(), None));
        }
        if let Some((host, port)) = text.rsplit_once(':') {
            if !host.contains(':') && looks_like_host(host) {
                check_ip(text, host)?;
                return Ok(address(
                    Scheme::Coap,
                    host.to_owned(),
                    Some(parse_port(text, port)?),
                ));
            }
        }
        if looks_like_ip(text) {
            return Err(AddressError::InvalidIp {
                input: text.to_owned(),
                host: text.to_owned(),
            });
        }
        Ok(DeviceRef::Name(text.to_owned()))
    }
}

fn address(scheme: Scheme, host: String, port: Option<u16>) -> DeviceRef {
    DeviceRef::Address {
        scheme,
        host,
        port: port.unwrap_or(scheme.default_port()),
    }
}

/// `coap://HOST[:PORT][/]`, `coaps://…`; any other scheme is an error.
fn parse_uri(input: &str, scheme: &str, rest: &str) -> Result<DeviceRef, AddressError> {
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "coap" => Scheme::Coap,
        "coaps" => Scheme::Coaps,
        _ => {
            return Err(AddressError::UnsupportedScheme {
                input: input.to_owned(),
                scheme: scheme.to_owned(),
            });
        }
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    if !path.is_empty() && path != "/" {
        return Err(AddressError::UnexpectedPath {
            input: input.to_owned(),
            path: path.to_owned(),
        });
    }
    let (host, port) = parse_authority(input, authority)?;
    check_ip(input, &host)?;
    Ok(address(scheme, host, port))
}

/// `HOST`, `HOST:PORT`, `[IPv6]`, `[IPv6]:PORT` (the IPv6 may carry a zone).
fn parse_authority(input: &str, authority: &str) -> Result<(String, Option<u16>), AddressError> {
    let missing_host = || AddressError::MissingHost {
        input: input.to_owned(),
    };
    if let Some(rest) = authority.strip_prefix('[') {
        let unbalanced = || AddressError::Ipv6Brackets {
            input: input.to_owned(),
        };
        let (host, after) = rest.split_once(']').ok_or_else(unbalanced)?;
        if host.is_empty() {
            return Err(missing_host());
        }
        let port = match after.strip_prefix(':') {
            Some(port) => Some(parse_port(input, port)?),
            None if after.is_empty() => None,
            None => return Err(unbalanced()),
        };
        match parse_ip_with_zone(host) {
            Some((IpAddr::V6(_), _)) => {}
            _ => {
                check_ip(input, host)?;
                return Err(AddressError::InvalidIp {
                    input: input.to_owned(),
                    host: host.to_owned(),
                });
            }
        }
        return Ok((host.to_owned(), port));
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => (host, Some(parse_port(input, port)?)),
        // An IPv6 address in a URI goes in brackets (RFC 3986): without
        // them, its last group and a port look the same.
        Some(_) => {
            return Err(AddressError::Ipv6Brackets {
                input: input.to_owned(),
            });
        }
        None => (authority, None),
    };
    if host.is_empty() {
        return Err(missing_host());
    }
    if host.contains(['[', ']']) {
        return Err(AddressError::Ipv6Brackets {
            input: input.to_owned(),
        });
    }
    Ok((host.to_owned(), port))
}

fn parse_port(input: &str, port: &str) -> Result<u16, AddressError> {
    if port.is_empty() {
        return Err(AddressError::MissingPort {
            input: input.to_owned(),
        });
    }
    match port.parse::<u16>() {
        Ok(number) if number > 0 && port.bytes().all(|b| b.is_ascii_digit()) => Ok(number),
        _ => Err(AddressError::InvalidPort {
            input: input.to_owned(),
            port: port.to_owned(),
        }),
    }
}

/// A host that looks like an IP literal must be one, and its zone must name
/// an interface of this host. Names are left to the resolver.
fn check_ip(input: &str, host: &str) -> Result<(), AddressError> {
    if let Some((ip, zone)) = host.split_once('%') {
        if ip.parse::<Ipv6Addr>().is_ok() {
            return match parse_ip_with_zone(host) {
                Some(_) => Ok(()),
                // `fe80::1%eth0:5683`: a port without brackets.
                None if zone.contains(':') => Err(AddressError::Ipv6Brackets {
                    input: input.to_owned(),
                }),
                None => Err(AddressError::UnknownZone {
                    input: input.to_owned(),
                    zone: zone.to_owned(),
                }),
            };
        }
    }
    if looks_like_ip(host) && host.parse::<IpAddr>().is_err() {
        return Err(AddressError::InvalidIp {
            input: input.to_owned(),
            host: host.to_owned(),
        });
    }
    Ok(())
}

/// `coap`, `coaps`, `http`…: a letter, then letters, digits, `+`, `-`, `.` (RFC 3986).
fn is_uri_scheme(scheme: &str) -> bool {
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// The host of a `HOST:PORT` argument: an IP literal, `localhost`, or a
/// dotted DNS name. Anything else (`Kitchen: lamp`) is part of a device name.
fn looks_like_host(host: &str) -> bool {
    host.parse::<IpAddr>().is_ok()
        || host.eq_ignore_ascii_case("localhost")
        || (host.contains('.')
            && !host.starts_with(['.', '-'])
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-')))
}

/// Digits and three dots (an IPv4 attempt), or hex digits with two or more
/// colons (an IPv6 attempt).
fn looks_like_ip(text: &str) -> bool {
    let ipv4 =
        text.matches('.').count() == 3 && text.chars().all(|c| c.is_ascii_digit() || c == '.');
    let ipv6 = text.matches(':').count() >= 2
        && text
            .chars()
            .all(|c| c.is_ascii_hexdigit() || matches!(c, ':' | '.'));
    ipv4 || ipv6
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
