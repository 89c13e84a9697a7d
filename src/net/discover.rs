//! Discovery on the network: multicast rounds and unicast probes of
//! `/oic/res`, then each new device's `/oic/d` and doxm.
//!
//! An addressed device is asked for `/oic/d` and doxm together with its
//! `/oic/res` ("early" follow-ups): a listing takes several blocks, and the
//! follow-ups would otherwise wait for all of them. Their answers are used
//! once the listing shows one device at that address, and dropped otherwise.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use uuid::Uuid;

use super::coap_endpoint::CoapEndpoint;
use super::interfaces::discovery_groups;
use crate::coap::{ClientConfig, Event, RequestId, Response};
use crate::ocf::address::COAP_PORT;
use crate::ocf::discovery::{DeviceRecord, Discovery, FollowUp, ListingError};
use crate::ocf::request::ocf_get;

#[derive(Clone, Debug)]
pub struct DiscoverOptions {
    /// Send multicast rounds on every interface.
    pub multicast: bool,
    /// Devices to ask directly.
    pub addresses: Vec<SocketAddr>,
    /// How long one multicast round listens.
    pub wait: Duration,
    /// Multicast rounds; answers accumulate.
    pub rounds: u32,
    /// Stop as soon as this device is known, with its `/oic/d` and doxm.
    pub until: Option<Uuid>,
    /// The longest the whole discovery may take once the rounds are over.
    pub timeout: Duration,
    /// Port the multicast requests go to.
    pub port: u16,
}

impl Default for DiscoverOptions {
    fn default() -> Self {
        DiscoverOptions {
            multicast: true,
            addresses: Vec::new(),
            wait: Duration::from_secs(3),
            rounds: 1,
            until: None,
            timeout: Duration::from_secs(10),
            port: COAP_PORT,
        }
    }
}

/// What went wrong with one device during discovery.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DiscoveryProblem {
    /// Nothing listens at the address (ICMP port unreachable).
    Unreachable,
    /// No answer in time.
    TimedOut,
    /// It answered, but its listing cannot be used (not an OCF device).
    Listing(ListingError),
    /// Its answer could not be completed (a broken block-wise transfer...).
    Incomplete(crate::coap::client::Error),
}

impl std::fmt::Display for DiscoveryProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DiscoveryProblem::Unreachable => {
                f.write_str("refused the connection: nothing listens on that port")
            }
            DiscoveryProblem::TimedOut => f.write_str("no answer (timed out)"),
            DiscoveryProblem::Listing(e) => write!(f, "{e}"),
            DiscoveryProblem::Incomplete(e) => {
                write!(f, "its answer could not be completed: {e}")
            }
        }
    }
}

impl DiscoveryProblem {
    fn from_coap(error: crate::coap::client::Error) -> DiscoveryProblem {
        match error {
            crate::coap::client::Error::Unreachable => DiscoveryProblem::Unreachable,
            crate::coap::client::Error::Timeout => DiscoveryProblem::TimedOut,
            other => DiscoveryProblem::Incomplete(other),
        }
    }
}

/// What discovery found, and what went wrong with addressed devices.
#[derive(Debug, Default)]
pub struct DiscoveryOutcome {
    pub devices: Vec<DeviceRecord>,
    /// Addressed devices that did not answer or are not OCF devices.
    pub problems: Vec<(SocketAddr, DiscoveryProblem)>,
    /// Interfaces multicast was sent on (0 when multicast was off or impossible).
    pub multicast_interfaces: usize,
}

enum Purpose {
    MulticastListing,
    UnicastListing(SocketAddr),
    FollowUp(Uuid, FollowUp),
    /// Sent with a unicast listing, before the device's UUID is known.
    Early(SocketAddr, FollowUp),
}

/// An early follow-up: its request, and its answer once it came (an error
/// inside when it failed).
struct Early {
    id: RequestId,
    answer: Option<Result<Response, crate::coap::client::Error>>,
}

const FOLLOW_UPS: [FollowUp; 2] = [FollowUp::Device, FollowUp::Doxm];

pub async fn discover(options: &DiscoverOptions) -> std::io::Result<DiscoveryOutcome> {
    let config = ClientConfig {
        // Follow-ups go to devices that just answered, and wait for the
        // round trip measured then (CoCoA). This is the wait before a
        // device has answered anything: the shortest ACK_TIMEOUT RFC 7252
        // §4.8.1 allows without a measurement.
        ack_timeout: Duration::from_secs(1),
        ..ClientConfig::default()
    };
    let mut endpoint = CoapEndpoint::new(config)?;
    let mut outcome = DiscoveryOutcome::default();
    if options.multicast {
        outcome.multicast_interfaces = endpoint.enable_multicast();
    }
    let mut discovery = Discovery::new();
    let mut purposes: HashMap<RequestId, Purpose> = HashMap::new();
    let mut early: HashMap<(SocketAddr, FollowUp), Early> = HashMap::new();
    let mut unicast_pending = 0usize;
    for address in &options.addresses {
        let id = endpoint.request(*address, ocf_get("/oic/res"));
        purposes.insert(id, Purpose::UnicastListing(*address));
        unicast_pending += 1;
        for follow_up in FOLLOW_UPS {
            let id = endpoint.request(*address, ocf_get(follow_up.href()));
            purposes.insert(id, Purpose::Early(*address, follow_up));
            early.insert((*address, follow_up), Early { id, answer: None });
        }
    }
    let multicast = options.multicast && outcome.multicast_interfaces > 0;
    let rounds = if multicast { options.rounds.max(1) } else { 0 };
    let mut round = 0;
    let mut round_deadline = None;
    let started = crate::net::now();
    let hard_deadline = started + options.wait * rounds + options.timeout;
    loop {
        if round_deadline.is_none_or(|d| crate::net::now() >= d) && round < rounds {
            for group in discovery_groups(options.port) {
                let id = endpoint.multicast(group, ocf_get("/oic/res"));
                purposes.insert(id, Purpose::MulticastListing);
            }
            round += 1;
            round_deadline = Some(crate::net::now() + options.wait);
        }
        let listening = round < rounds || round_deadline.is_some_and(|d| crate::net::now() < d);
        // The device looked for, once its follow-ups (doxm: whether it is
        // owned) are in too: stopping at its listing would hand back a
        // record that cannot tell an unowned device from a foreign one.
        if let Some(di) = options.until {
            if discovery.is_complete(&di) {
                break;
            }
        }
        if !listening && unicast_pending == 0 && discovery.is_settled() {
            break;
        }
        let deadline = if listening {
            round_deadline.map(|d| d.min(hard_deadline))
        } else {
            Some(hard_deadline)
        };
        let Some(event) = endpoint.next_event(deadline).await else {
            if crate::net::now() >= hard_deadline {
                break;
            }
            continue;
        };
        match event {
            Event::Response { id, from, response } => match purposes.get(&id) {
                Some(Purpose::MulticastListing | Purpose::UnicastListing(_)) => {
                    let addressed = match purposes.get(&id) {
                        Some(Purpose::UnicastListing(address)) => Some(*address),
                        _ => None,
                    };
                    if addressed.is_some() {
                        unicast_pending -= 1;
                    }
                    match discovery.on_listing(from, &response) {
                        Ok(follow_ups) => {
                            // Early answers stand for the device only when
                            // the address holds just one.
                            let single = follow_ups.iter().all(|(di, _)| *di == follow_ups[0].0);
                            for (di, follow_up) in follow_ups {
                                let prefetched = addressed
                                    .filter(|_| single)
                                    .and_then(|address| early.remove(&(address, follow_up)));
                                match prefetched {
                                    Some(Early {
                                        answer: Some(Ok(answer)),
                                        ..
                                    }) => discovery.on_follow_up(di, follow_up, Some(&answer)),
                                    Some(Early {
                                        answer: Some(Err(failure)),
                                        ..
                                    }) => discovery.on_follow_up_failed(di, follow_up, &failure),
                                    Some(Early { id, answer: None }) => {
                                        purposes.insert(id, Purpose::FollowUp(di, follow_up));
                                    }
                                    None => {
                                        let id = endpoint.request(from, ocf_get(follow_up.href()));
                                        purposes.insert(id, Purpose::FollowUp(di, follow_up));
                                    }
                                }
                            }
                        }
                        Err(e) => {
                            if let Some(address) = addressed {
                                outcome
                                    .problems
                                    .push((address, DiscoveryProblem::Listing(e)));
                            }
                        }
                    }
                    if let Some(address) = addressed {
                        drop_early(&mut early, &mut endpoint, address);
                    }
                }
                Some(Purpose::FollowUp(di, follow_up)) => {
                    discovery.on_follow_up(*di, *follow_up, Some(&response));
                }
                Some(Purpose::Early(address, follow_up)) => {
                    if let Some(pending) = early.get_mut(&(*address, *follow_up)) {
                        pending.answer = Some(Ok(response));
                    }
                }
                None => {}
            },
            Event::Failed { id, peer, error } => match purposes.get(&id) {
                Some(Purpose::UnicastListing(address)) => {
                    let address = *address;
                    unicast_pending -= 1;
                    outcome
                        .problems
                        .push((address, DiscoveryProblem::from_coap(error)));
                    drop_early(&mut early, &mut endpoint, address);
                }
                Some(Purpose::FollowUp(di, follow_up)) => {
                    discovery.on_follow_up_failed(*di, *follow_up, &error)
                }
                Some(Purpose::Early(address, follow_up)) => {
                    if let Some(pending) = early.get_mut(&(*address, *follow_up)) {
                        pending.answer = Some(Err(error));
                    }
                }
                Some(Purpose::MulticastListing) => {
                    outcome
                        .problems
                        .push((peer, DiscoveryProblem::Incomplete(error)));
                }
                None => {}
            },
        }
    }
    for (id, purpose) in &purposes {
        if let Purpose::UnicastListing(address) = purpose {
            if endpoint.client().is_active(*id) {
                outcome
                    .problems
                    .push((*address, DiscoveryProblem::TimedOut));
            }
        }
    }
    outcome.devices = discovery.into_records();
    Ok(outcome)
}

/// Forgets the early follow-ups to `address` the listing did not use, and
/// stops those still being retransmitted.
fn drop_early(
    early: &mut HashMap<(SocketAddr, FollowUp), Early>,
    endpoint: &mut CoapEndpoint,
    address: SocketAddr,
) {
    for follow_up in FOLLOW_UPS {
        if let Some(Early { id, answer: None }) = early.remove(&(address, follow_up)) {
            endpoint.cancel(id);
        }
    }
}
