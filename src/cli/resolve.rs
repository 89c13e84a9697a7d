//! Turns a DEVICE argument into a CoAP endpoint, discovering it when it is
//! named by UUID or by name.

use std::net::SocketAddr;
use std::time::Duration;

use super::exit::{Exit, failure};
use super::output::Output;
use crate::net::{DiscoverOptions, discover};
use crate::ocf::address::{DeviceRef, Endpoint, Scheme};
use crate::ocf::discovery::DeviceRecord;

/// A DEVICE resolved to an endpoint: its scheme and address.
pub async fn resolve_device(
    device: &str,
    timeout: Duration,
    output: &Output,
) -> anyhow::Result<Endpoint> {
    match parse_device(device)? {
        DeviceRef::Address { scheme, host, port } => Ok(Endpoint {
            scheme,
            addr: resolve_host(&host, port).await?,
        }),
        other => resolve_coap(device, other, timeout, output)
            .await
            .map(Endpoint::coap),
    }
}

/// A device named by UUID or name, found by multicast discovery.
async fn resolve_coap(
    device: &str,
    reference: DeviceRef,
    timeout: Duration,
    output: &Output,
) -> anyhow::Result<SocketAddr> {
    match reference {
        DeviceRef::Address { host, port, .. } => resolve_host(&host, port).await,
        DeviceRef::Uuid(di) => {
            let options = DiscoverOptions {
                until: Some(di),
                wait: timeout,
                timeout: Duration::ZERO,
                ..DiscoverOptions::default()
            };
            let found = discover_for(device, &options, output).await?;
            found
                .into_iter()
                .find(|d| d.di == di)
                .map(|d| d.address)
                .ok_or_else(|| not_found(device, timeout))
        }
        DeviceRef::Name(name) => {
            // Names need a whole round: every device must have its say.
            let options = DiscoverOptions {
                wait: timeout.min(DiscoverOptions::default().wait),
                ..DiscoverOptions::default()
            };
            let found = discover_for(device, &options, output).await?;
            let matching: Vec<DeviceRecord> = found
                .into_iter()
                .filter(|d| d.name.as_deref() == Some(&name))
                .collect();
            match matching.len() {
                0 => Err(not_found(device, options.wait)),
                1 => Ok(matching[0].address),
                _ => pick(&name, matching, output),
            }
        }
    }
}

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

/// A DEVICE argument read; one that looks like an address but is not a
/// valid one is a usage error (exit 2), before anything is sent.
pub fn parse_device(text: &str) -> anyhow::Result<DeviceRef> {
    DeviceRef::parse(text).map_err(|e| failure(Exit::Usage, e.to_string()))
}

async fn resolve_host(host: &str, port: u16) -> anyhow::Result<SocketAddr> {
    if let Some(ip) = crate::ocf::address::parse_ip_with_zone(host) {
        return Ok(crate::ocf::address::with_port(ip, port));
    }
    let mut addrs = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| failure(Exit::NotFound, format!("cannot resolve {host}: {e}")))?;
    addrs
        .next()
        .ok_or_else(|| failure(Exit::NotFound, format!("{host} has no address")))
}

async fn discover_for(
    device: &str,
    options: &DiscoverOptions,
    output: &Output,
) -> anyhow::Result<Vec<DeviceRecord>> {
    let spinner = output.spinner(&format!("Looking for {device}…"));
    let outcome = discover(options).await?;
    if let Some(bar) = spinner {
        bar.finish_and_clear();
    }
    if outcome.multicast_interfaces == 0 {
        return Err(failure(
            Exit::NotFound,
            format!(
                "cannot look for {device}: no interface can send multicast; give its address instead"
            ),
        ));
    }
    Ok(outcome.devices)
}

fn not_found(device: &str, waited: Duration) -> anyhow::Error {
    failure(
        Exit::NotFound,
        format!(
            "no device {device} answered multicast discovery within {}; check it is on this network, or give its address",
            humantime::format_duration(waited)
        ),
    )
}

fn pick(name: &str, matching: Vec<DeviceRecord>, output: &Output) -> anyhow::Result<SocketAddr> {
    let labels: Vec<String> = matching
        .iter()
        .map(|d| format!("{}  {}", d.di, d.address))
        .collect();
    if !output.interactive {
        return Err(failure(
            Exit::Usage,
            format!(
                "{} devices are named {name:?}; name one by UUID:\n  {}",
                matching.len(),
                labels.join("\n  ")
            ),
        ));
    }
    let chosen = dialoguer::Select::new()
        .with_prompt(format!("Several devices are named {name:?}; which one?"))
        .items(&labels)
        .default(0)
        .interact()
        .map_err(|e| failure(Exit::Usage, format!("no device chosen: {e}")))?;
    Ok(matching[chosen].address)
}
