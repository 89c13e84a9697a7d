//! Turns an address argument into a socket address (`discover --address`).

use std::net::SocketAddr;

use super::exit::{Exit, failure};
use crate::ocf::address::{DeviceRef, Scheme};

/// Resolves an address argument (`HOST[:PORT]`, `coap://HOST:PORT`).
pub async fn resolve_address(text: &str) -> anyhow::Result<SocketAddr> {
    match parse_device(text)? {
        DeviceRef::Address {
            scheme: Scheme::Coap,
            host,
            port,
        } => resolve_host(&host, port).await,
        DeviceRef::Address {
            scheme: Scheme::Coaps,
            ..
        } => Err(failure(
            Exit::Usage,
            format!("{text}: discovery uses plain CoAP; give the coap:// address or HOST[:PORT]"),
        )),
        DeviceRef::Uuid(_) | DeviceRef::Name(_) => Err(failure(
            Exit::Usage,
            format!(
                "{text:?} is not an address; expected HOST[:PORT] such as 192.0.2.7:5683 or [fe80::1%eth0]:5683"
            ),
        )),
    }
}

/// A DEVICE argument: something that looks like an address but is not one
/// is a usage error, never taken for a device name.
pub fn parse_device(text: &str) -> anyhow::Result<DeviceRef> {
    DeviceRef::parse(text).map_err(|e| failure(Exit::Usage, e.to_string()))
}

async fn resolve_host(host: &str, port: u16) -> anyhow::Result<SocketAddr> {
    Ok(crate::mediator::resolve_host(host, port).await?)
}
