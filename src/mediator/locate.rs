//! Finding a device: what the store knows first (a device we own is asked
//! at its last known address, by UUID or by name), then the network
//! (unicast to an address, or a multicast round).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use uuid::Uuid;

use super::{AccessError, Mediator};
use crate::interact::Progress;
use crate::net::{DiscoverOptions, discover};
use crate::ocf::address::{
    DeviceRef, Endpoint, Scheme, format_addr, parse_ip_with_zone, with_port,
};
use crate::ocf::{DeviceError, DeviceRecord};
use crate::store::OwnedDevice;

/// A device as found on the network, with what the store holds for it.
#[derive(Clone, Debug)]
pub struct Located {
    /// What discovery learnt (UUID, name, ownership, endpoints).
    pub record: DeviceRecord,
    /// Our record of the device, when we own it (or are owning it).
    pub entry: Option<OwnedDevice>,
    /// Our records of earlier, unfinished attempts to own this device under
    /// a UUID it did not keep.
    pub attempts: Vec<OwnedDevice>,
}

impl Located {
    /// How people know the device: its name and UUID.
    pub fn label(&self) -> String {
        label(&self.record)
    }
}

/// A device's name and UUID, for messages and prompts.
pub fn label(record: &DeviceRecord) -> String {
    match &record.name {
        Some(name) if !name.is_empty() => format!("{name} ({})", record.di),
        _ => record.di.to_string(),
    }
}

impl Mediator {
    /// Finds `device` before `deadline`.
    pub async fn locate(
        &self,
        device: &DeviceRef,
        deadline: Instant,
    ) -> Result<Located, AccessError> {
        let shown = describe(device);
        self.interaction().progress(&Progress::Step {
            subject: &shown,
            what: "looking for it",
        });
        let found = self.find_record(device, deadline).await;
        self.interaction()
            .progress(&Progress::Done { subject: &shown });
        let record = found?;
        let entry = self.store().device(record.di).await?;
        let attempts = self
            .store()
            .devices_from(record.di)
            .await?
            .into_iter()
            .filter(|e| e.di != record.di && !e.complete)
            .collect();
        Ok(Located {
            record,
            entry,
            attempts,
        })
    }

    async fn find_record(
        &self,
        device: &DeviceRef,
        deadline: Instant,
    ) -> Result<DeviceRecord, AccessError> {
        match device {
            DeviceRef::Address { scheme, host, port } => {
                let addr = resolve_host(host, *port).await?;
                let plain = match scheme {
                    Scheme::Coap => addr,
                    Scheme::Coaps => self.plain_address_of(addr).await?,
                };
                ask(&[plain], deadline)
                    .await?
                    .into_iter()
                    .next()
                    .ok_or_else(|| {
                        DeviceError::NotFound {
                            device: format_addr(plain),
                            detail: "did not answer discovery (GET /oic/res)".into(),
                        }
                        .into()
                    })
            }
            DeviceRef::Uuid(di) => self.find_by_uuid(*di, deadline).await,
            DeviceRef::Name(name) => self.find_by_name(name, deadline).await,
        }
    }

    /// Whether the device `entry` records still answers, owned and under
    /// its UUID, at a recorded address other than `not_at`: then a device
    /// at `not_at` that gives the same UUID is not it. Asked for a second at
    /// most (a device that moved does not answer at its old address).
    pub async fn answers_owned_elsewhere(
        &self,
        entry: &OwnedDevice,
        not_at: SocketAddr,
        deadline: Instant,
    ) -> Option<SocketAddr> {
        let addresses: Vec<SocketAddr> = coap_addresses(entry).filter(|a| *a != not_at).collect();
        if addresses.is_empty() {
            return None;
        }
        let until = deadline.min(crate::net::now() + Duration::from_secs(1));
        let found = ask(&addresses, until).await.ok()?;
        found
            .into_iter()
            .find(|r| r.di == entry.di && r.owned == Some(true))
            .map(|r| r.address)
    }

    /// The plain address of a device named by one of its coaps:// endpoints,
    /// from our record of it.
    async fn plain_address_of(&self, secure: SocketAddr) -> Result<SocketAddr, AccessError> {
        let uri = Endpoint {
            scheme: Scheme::Coaps,
            addr: secure,
        }
        .to_string();
        let entry = self.store().device_with_endpoint(&uri).await?;
        entry
            .and_then(|e| same_host_endpoints(&e, secure.ip(), Scheme::Coap).next())
            .ok_or_else(|| {
                AccessError::Invalid(format!(
                    "{uri}: give the device's coap:// address (or its UUID); its secure endpoint is found from there"
                ))
            })
    }

    async fn find_by_uuid(&self, di: Uuid, deadline: Instant) -> Result<DeviceRecord, AccessError> {
        // Ours: asked at its last known addresses first. An entry made by
        // an attempt on the device under its earlier UUID counts too.
        let mut known: Vec<OwnedDevice> = self.store().device(di).await?.into_iter().collect();
        if known.is_empty() {
            known = self.store().devices_from(di).await?;
        }
        let addresses: Vec<SocketAddr> = known.iter().flat_map(coap_addresses).collect();
        let wanted = |r: &DeviceRecord| r.di == di || known.iter().any(|e| e.di == r.di);
        if !addresses.is_empty() {
            if let Some(record) = ask(&addresses, deadline)
                .await?
                .into_iter()
                .find(|r| wanted(r))
            {
                return Ok(record);
            }
        }
        let wait = remaining(deadline);
        let found = multicast(DiscoverOptions {
            until: Some(di),
            wait,
            timeout: Duration::ZERO,
            ..DiscoverOptions::default()
        })
        .await?;
        found.into_iter().find(|r| wanted(r)).ok_or_else(|| {
            DeviceError::NotFound {
                device: di.to_string(),
                detail: format!(
                    "no device answered multicast discovery within {}; check it is on this network, or give its address",
                    humantime::format_duration(round(wait))
                ),
            }
            .into()
        })
    }

    async fn find_by_name(
        &self,
        name: &str,
        deadline: Instant,
    ) -> Result<DeviceRecord, AccessError> {
        let ours = self.store().devices_named(name).await?;
        match ours.len() {
            0 => {}
            1 => return self.find_by_uuid(ours[0].di, deadline).await,
            _ => {
                let labels: Vec<String> = ours
                    .iter()
                    .map(|e| format!("{}  {}", e.di, e.endpoints.first().map_or("", |s| s)))
                    .collect();
                let chosen = self.pick(name, labels).await?;
                return self.find_by_uuid(ours[chosen].di, deadline).await;
            }
        }
        // Names need a whole round: every device must have its say.
        let wait = remaining(deadline).min(DiscoverOptions::default().wait);
        let matching: Vec<DeviceRecord> = multicast(DiscoverOptions {
            wait,
            ..DiscoverOptions::default()
        })
        .await?
        .into_iter()
        .filter(|d| d.name.as_deref() == Some(name))
        .collect();
        match matching.len() {
            0 => Err(DeviceError::NotFound {
                device: format!("{name:?}"),
                detail: format!(
                    "no device of that name answered multicast discovery within {}; check it is on this network, or give its address",
                    humantime::format_duration(round(wait))
                ),
            }
            .into()),
            1 => Ok(matching.into_iter().next().expect("one device")),
            _ => {
                let labels: Vec<String> = matching
                    .iter()
                    .map(|d| format!("{}  {}", d.di, format_addr(d.address)))
                    .collect();
                let chosen = self.pick(name, labels).await?;
                Ok(matching.into_iter().nth(chosen).expect("a listed device"))
            }
        }
    }

    /// Asks which of several devices named `name` is meant.
    async fn pick(&self, name: &str, labels: Vec<String>) -> Result<usize, AccessError> {
        let interaction = self.interaction_handle();
        let question = format!("Several devices are named {name:?}; which one?");
        let asked = labels.clone();
        let answer = tokio::task::spawn_blocking(move || interaction.choose(&question, &asked))
            .await
            .unwrap_or(Err(crate::interact::Declined::Cancelled));
        match answer {
            Ok(index) if index < labels.len() => Ok(index),
            Ok(_) | Err(crate::interact::Declined::NotInteractive { .. }) => {
                Err(DeviceError::Ambiguous {
                    name: name.to_owned(),
                    candidates: labels,
                }
                .into())
            }
            Err(reason) => Err(AccessError::Declined {
                what: format!("choosing among the devices named {name:?}"),
                reason,
            }),
        }
    }
}

fn describe(device: &DeviceRef) -> String {
    match device {
        DeviceRef::Address { scheme, host, port } if host.contains(':') => {
            format!("{}://[{host}]:{port}", scheme.as_str())
        }
        DeviceRef::Address { scheme, host, port } => {
            format!("{}://{host}:{port}", scheme.as_str())
        }
        DeviceRef::Uuid(di) => di.to_string(),
        DeviceRef::Name(name) => name.clone(),
    }
}

fn remaining(deadline: Instant) -> Duration {
    deadline.saturating_duration_since(crate::net::now())
}

fn round(d: Duration) -> Duration {
    Duration::from_millis(d.as_millis() as u64 / 100 * 100)
}

/// The coap:// addresses a record lists.
fn coap_addresses(entry: &OwnedDevice) -> impl Iterator<Item = SocketAddr> + '_ {
    entry
        .endpoints
        .iter()
        .filter_map(|e| Endpoint::parse(e))
        .filter(|e| e.scheme == Scheme::Coap)
        .map(|e| e.addr)
}

/// A record's endpoints of `scheme` on the host `ip`.
pub(super) fn same_host_endpoints(
    entry: &OwnedDevice,
    ip: std::net::IpAddr,
    scheme: Scheme,
) -> impl Iterator<Item = SocketAddr> + '_ {
    entry
        .endpoints
        .iter()
        .filter_map(|e| Endpoint::parse(e))
        .filter(move |e| e.scheme == scheme && e.addr.ip() == ip)
        .map(|e| e.addr)
}

/// Unicast discovery of the devices at `addresses`.
pub(super) async fn ask(
    addresses: &[SocketAddr],
    deadline: Instant,
) -> Result<Vec<DeviceRecord>, AccessError> {
    let options = DiscoverOptions {
        multicast: false,
        addresses: addresses.to_vec(),
        timeout: remaining(deadline),
        ..DiscoverOptions::default()
    };
    let outcome = discover(&options).await.map_err(|e| DeviceError::Network {
        peer: "discovery".into(),
        detail: e.to_string(),
    })?;
    if outcome.devices.is_empty() && addresses.len() == 1 {
        if let Some((addr, problem)) = outcome.problems.first() {
            return Err(problem_error(*addr, problem).into());
        }
    }
    Ok(outcome.devices)
}

/// What an addressed device's failed discovery means: the same error (and
/// so the same exit code) as any other command's request to that address.
pub fn problem_error(addr: SocketAddr, problem: &crate::net::DiscoveryProblem) -> DeviceError {
    use crate::net::DiscoveryProblem as P;
    let peer = format_addr(addr);
    match problem {
        P::Unreachable => DeviceError::Unreachable { peer },
        P::TimedOut => DeviceError::TimedOut {
            peer,
            step: "discovery (GET /oic/res)".into(),
        },
        // Its answer broke off or went past a limit: say which request.
        P::Incomplete(_) => DeviceError::NotFound {
            device: peer,
            detail: format!("discovery (GET /oic/res): {problem}"),
        },
        other => DeviceError::NotFound {
            device: peer,
            detail: other.to_string(),
        },
    }
}

async fn multicast(options: DiscoverOptions) -> Result<Vec<DeviceRecord>, AccessError> {
    let outcome = discover(&options).await.map_err(|e| DeviceError::Network {
        peer: "multicast discovery".into(),
        detail: e.to_string(),
    })?;
    if outcome.multicast_interfaces == 0 {
        return Err(DeviceError::NotFound {
            device: "the device".into(),
            detail: "no interface can send multicast to look for it; give its address instead"
                .into(),
        }
        .into());
    }
    Ok(outcome.devices)
}

/// A host name or IP literal with its port.
pub async fn resolve_host(host: &str, port: u16) -> Result<SocketAddr, AccessError> {
    if let Some(ip) = parse_ip_with_zone(host) {
        return Ok(with_port(ip, port));
    }
    let not_found = |detail: String| DeviceError::NotFound {
        device: host.to_owned(),
        detail,
    };
    let mut addrs = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| not_found(format!("cannot resolve the name: {e}")))?;
    addrs
        .next()
        .ok_or_else(|| not_found("the name has no address".into()).into())
}
