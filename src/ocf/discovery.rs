//! What discovery learns about devices, from their answers.
//!
//! [`Discovery`] is pure bookkeeping: the driver feeds it `/oic/res` answers
//! (from multicast or unicast requests) and it says which follow-up reads each
//! newly seen device needs (`/oic/d` for the name, `/oic/sec/doxm` for the
//! ownership state); their answers complete the device's [`DeviceRecord`].
//! Answers from the same device over several interfaces, address families or
//! rounds are merged.

use std::collections::HashMap;
use std::net::SocketAddr;

use serde::Serialize;
use uuid::Uuid;

use super::address::Endpoint;
use super::resources::{self, BadRepresentation, Link, oxm_name};
use crate::coap::client::Error as ClientError;
use crate::coap::{Code, Response};

/// The resource type of the cloud configuration resource, whose href is not
/// standardised (FACTS §1.2).
pub const CLOUD_CONF_RT: &str = "oic.r.coapcloudconf";

/// A follow-up read discovery needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FollowUp {
    /// `/oic/d`, for the device name.
    Device,
    /// `/oic/sec/doxm`, for ownership and the offered OTMs.
    Doxm,
}

impl FollowUp {
    pub fn href(self) -> &'static str {
        match self {
            FollowUp::Device => "/oic/d",
            FollowUp::Doxm => "/oic/sec/doxm",
        }
    }
}

/// Everything known about one discovered device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeviceRecord {
    pub di: Uuid,
    /// `/oic/d` `n`; `null` when the device did not say.
    pub name: Option<String>,
    /// From doxm; a device that refuses unsecured doxm reads is owned.
    pub owned: Option<bool>,
    /// Ownership transfer methods offered (doxm `oxms`).
    pub oxms: Vec<u64>,
    /// The method selected now (doxm `oxmsel`), when doxm was readable.
    #[serde(skip)]
    pub oxmsel: Option<u64>,
    /// The same, by name: jw, rdp, mfg.
    pub otms: Vec<&'static str>,
    /// Endpoints from `eps`, or the address the device answered from.
    pub endpoints: Vec<String>,
    /// The href of `oic.r.coapcloudconf`, when listed.
    pub cloud_conf: Option<String>,
    /// The address the device answered from.
    pub address: SocketAddr,
    /// Hrefs the device listed.
    #[serde(skip)]
    pub hrefs: Vec<String>,
    /// Why its doxm could not be used, when it did not answer it in time or
    /// answered one that cannot be (malformed, too large, naming another
    /// UUID): then `owned` is unknown for a reason other than an owned
    /// device's refusal.
    #[serde(skip)]
    pub doxm_problem: Option<DoxmProblem>,
}

/// Why a device's ownership state is unknown although it answered its
/// listing. Neither is a sign of another owner (an owned device refuses the
/// read with 4.01, which says `owned`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DoxmProblem {
    /// No answer to `GET /oic/sec/doxm` in time: lost on a lossy network,
    /// or the device went quiet after its listing.
    NotAnswered,
    /// It answered, but what it answered cannot be used (the detail says
    /// why).
    Unusable(String),
}

impl std::fmt::Display for DoxmProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DoxmProblem::NotAnswered => f.write_str("no answer in time"),
            DoxmProblem::Unusable(detail) => f.write_str(detail),
        }
    }
}

impl DeviceRecord {
    /// The plain CoAP endpoint to use for unsecured requests: the answering
    /// address (always reachable), as the reference device leaves `eps` empty
    /// over loopback.
    pub fn coap_endpoint(&self) -> Endpoint {
        Endpoint::coap(self.address)
    }

    /// The secure endpoint from `eps`, if any.
    pub fn coaps_endpoint(&self) -> Option<Endpoint> {
        self.endpoints
            .iter()
            .filter_map(|ep| Endpoint::parse(ep))
            .find(|ep| {
                ep.scheme == super::Scheme::Coaps && ep.addr.is_ipv4() == self.address.is_ipv4()
            })
    }
}

#[derive(Default)]
pub struct Discovery {
    records: Vec<DeviceRecord>,
    index: HashMap<Uuid, usize>,
    outstanding: HashMap<Uuid, Vec<FollowUp>>,
}

impl Discovery {
    pub fn new() -> Self {
        Discovery::default()
    }

    /// Takes in an `/oic/res` answer; returns the follow-up reads for devices
    /// seen for the first time, to send to `from`.
    pub fn on_listing(
        &mut self,
        from: SocketAddr,
        response: &Response,
    ) -> Result<Vec<(Uuid, FollowUp)>, ListingError> {
        if response.code != Code::CONTENT {
            return Err(ListingError::Refused(response.code));
        }
        let links = resources::parse_links(&response.payload).map_err(ListingError::Malformed)?;
        let mut by_device: Vec<(Uuid, Vec<Link>)> = Vec::new();
        for link in links {
            let Some(di) = link.di else { continue };
            match by_device.iter_mut().find(|(d, _)| *d == di) {
                Some((_, group)) => group.push(link),
                None => by_device.push((di, vec![link])),
            }
        }
        if by_device.is_empty() {
            return Err(ListingError::NoDevice);
        }
        let mut follow_ups = Vec::new();
        for (di, links) in by_device {
            let mut endpoints: Vec<String> = Vec::new();
            for ep in links.iter().flat_map(|l| l.eps.iter()) {
                if !endpoints.contains(ep) {
                    endpoints.push(ep.clone());
                }
            }
            let cloud_conf = links
                .iter()
                .find(|l| l.rt.iter().any(|rt| rt == CLOUD_CONF_RT))
                .map(|l| l.href.clone());
            let hrefs: Vec<String> = links.iter().map(|l| l.href.clone()).collect();
            if let Some(&at) = self.index.get(&di) {
                let record = &mut self.records[at];
                for ep in endpoints {
                    if !record.endpoints.contains(&ep) {
                        record.endpoints.push(ep);
                    }
                }
                record.cloud_conf = record.cloud_conf.take().or(cloud_conf);
                continue;
            }
            if endpoints.is_empty() {
                endpoints.push(Endpoint::coap(from).to_string());
            }
            self.index.insert(di, self.records.len());
            self.records.push(DeviceRecord {
                di,
                name: None,
                owned: None,
                oxms: Vec::new(),
                oxmsel: None,
                otms: Vec::new(),
                endpoints,
                cloud_conf,
                address: from,
                hrefs,
                doxm_problem: None,
            });
            let wanted = vec![FollowUp::Device, FollowUp::Doxm];
            follow_ups.extend(wanted.iter().map(|f| (di, *f)));
            self.outstanding.insert(di, wanted);
        }
        Ok(follow_ups)
    }

    /// Takes in the answer to a follow-up read, or `None` when it failed.
    pub fn on_follow_up(&mut self, di: Uuid, follow_up: FollowUp, response: Option<&Response>) {
        if let Some(outstanding) = self.outstanding.get_mut(&di) {
            outstanding.retain(|f| *f != follow_up);
        }
        let Some(&at) = self.index.get(&di) else {
            return;
        };
        let record = &mut self.records[at];
        let Some(response) = response else { return };
        match (follow_up, response.code) {
            (FollowUp::Device, Code::CONTENT) => {
                if let Ok(info) = resources::parse_device(&response.payload) {
                    record.name = info.name;
                }
            }
            (FollowUp::Doxm, Code::CONTENT) => match resources::parse_doxm(&response.payload) {
                // A device has one UUID: a doxm naming another is not this
                // device's (or it changed under us), and nothing of it is
                // taken.
                Ok(doxm) if doxm.deviceuuid.is_some_and(|uuid| uuid != di) => {
                    record.doxm_problem = Some(DoxmProblem::Unusable(format!(
                        "its doxm says its UUID is {}, while its /oic/res says {di}",
                        doxm.deviceuuid.unwrap_or_default()
                    )));
                }
                Ok(doxm) => {
                    record.owned = Some(doxm.owned);
                    record.oxmsel = doxm.oxmsel;
                    record.otms = doxm.oxms.iter().map(|o| oxm_name(*o)).collect();
                    record.oxms = doxm.oxms;
                }
                Err(e) => record.doxm_problem = Some(DoxmProblem::Unusable(e.to_string())),
            },
            // An owned device refuses unsecured doxm reads (FACTS §5).
            (FollowUp::Doxm, Code::UNAUTHORIZED) => record.owned = Some(true),
            _ => {}
        }
    }

    /// A follow-up read that failed (`error` says how), for a device whose
    /// listing was read.
    pub fn on_follow_up_failed(&mut self, di: Uuid, follow_up: FollowUp, error: &ClientError) {
        self.on_follow_up(di, follow_up, None);
        if follow_up == FollowUp::Doxm {
            if let Some(&at) = self.index.get(&di) {
                self.records[at].doxm_problem = Some(match error {
                    ClientError::Timeout => DoxmProblem::NotAnswered,
                    other => DoxmProblem::Unusable(other.to_string()),
                });
            }
        }
    }

    /// Whether every follow-up of every device seen so far has answered.
    pub fn is_settled(&self) -> bool {
        self.outstanding.values().all(Vec::is_empty)
    }

    pub fn knows(&self, di: &Uuid) -> bool {
        self.index.contains_key(di)
    }

    pub fn is_complete(&self, di: &Uuid) -> bool {
        self.index.contains_key(di) && self.outstanding.get(di).is_none_or(Vec::is_empty)
    }

    pub fn records(&self) -> &[DeviceRecord] {
        &self.records
    }

    /// The records, once discovery is over: a device whose doxm read is
    /// still outstanding did not answer it in time.
    pub fn into_records(mut self) -> Vec<DeviceRecord> {
        for (di, outstanding) in &self.outstanding {
            if outstanding.contains(&FollowUp::Doxm) {
                if let Some(&at) = self.index.get(di) {
                    let record = &mut self.records[at];
                    if record.owned.is_none() && record.doxm_problem.is_none() {
                        record.doxm_problem = Some(DoxmProblem::NotAnswered);
                    }
                }
            }
        }
        self.records
    }
}

/// Why an `/oic/res` answer did not describe a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListingError {
    /// The peer answered with an error code.
    Refused(Code),
    Malformed(BadRepresentation),
    /// No link names its device (no `anchor`).
    NoDevice,
}

impl std::fmt::Display for ListingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ListingError::Refused(code) => write!(
                f,
                "it answered {code} {} to GET /oic/res, so it is not an OCF device",
                code.name()
            ),
            ListingError::Malformed(e) => write!(f, "{e}"),
            ListingError::NoDevice => f.write_str("its /oic/res names no device (no anchor)"),
        }
    }
}

impl std::error::Error for ListingError {}

#[cfg(test)]
mod tests {
    use ciborium::Value as Cbor;

    use super::*;
    use crate::coap::Options;
    use crate::ocf::representation::encode_cbor;

    const DI: &str = "3f7c3e39-ad83-434b-9a4c-6bd54217f7e0";

    fn listing() -> Response {
        let link = Cbor::Map(vec![
            (
                Cbor::Text("anchor".into()),
                Cbor::Text(format!("ocf://{DI}")),
            ),
            (
                Cbor::Text("href".into()),
                Cbor::Text("/oic/sec/doxm".into()),
            ),
        ]);
        Response {
            code: Code::CONTENT,
            options: Options::default(),
            payload: encode_cbor(&Cbor::Array(vec![link])),
        }
    }

    fn listed() -> (Discovery, Uuid) {
        let mut discovery = Discovery::new();
        let from: SocketAddr = "127.0.0.1:5683".parse().unwrap();
        let follow_ups = discovery.on_listing(from, &listing()).unwrap();
        assert_eq!(follow_ups.len(), 2);
        (discovery, DI.parse().unwrap())
    }

    #[test]
    fn a_doxm_read_still_outstanding_at_the_end_was_not_answered() {
        let (discovery, _) = listed();
        let record = discovery.into_records().remove(0);
        assert_eq!(record.owned, None);
        assert_eq!(record.doxm_problem, Some(DoxmProblem::NotAnswered));
    }

    #[test]
    fn a_doxm_read_that_timed_out_was_not_answered() {
        let (mut discovery, di) = listed();
        discovery.on_follow_up_failed(di, FollowUp::Doxm, &ClientError::Timeout);
        let record = discovery.into_records().remove(0);
        assert_eq!(record.doxm_problem, Some(DoxmProblem::NotAnswered));
    }

    #[test]
    fn a_doxm_read_refused_with_unauthorized_means_owned() {
        let (mut discovery, di) = listed();
        let refused = Response {
            code: Code::UNAUTHORIZED,
            options: Options::default(),
            payload: Vec::new(),
        };
        discovery.on_follow_up(di, FollowUp::Doxm, Some(&refused));
        let record = discovery.into_records().remove(0);
        assert_eq!((record.owned, record.doxm_problem), (Some(true), None));
    }

    #[test]
    fn a_doxm_read_that_broke_off_is_unusable() {
        let (mut discovery, di) = listed();
        discovery.on_follow_up_failed(di, FollowUp::Doxm, &ClientError::MalformedBlock);
        let record = discovery.into_records().remove(0);
        assert!(matches!(
            record.doxm_problem,
            Some(DoxmProblem::Unusable(_))
        ));
    }
}
