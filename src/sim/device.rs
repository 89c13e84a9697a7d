//! Request handling of a simulated device: routing, query filters, content
//! negotiation and the unsecured-access rules of the reference device.

use ciborium::Value as Cbor;

use super::resources::{self, RESOURCES, ResourceInfo};
use super::state::{DeviceState, dos};
use crate::coap::option::content_format;
use crate::coap::{Code, IncomingRequest, OptionNumber, Reply};
use crate::ocf::representation::{decode_cbor, encode_cbor};
use crate::ocf::request::mark_ocf_cbor;
use crate::ocf::resources::field;

/// How a request reached the device.
#[derive(Clone, Debug, Default)]
pub struct RequestContext {
    /// Sent to a multicast group: filters that match nothing, and errors,
    /// get no answer at all (RFC 7252 §8.1).
    pub multicast: bool,
    /// Endpoints to list in `eps`: empty when asked over loopback, as the
    /// reference device does.
    pub eps: Vec<String>,
}

/// A simulated device.
pub struct SimDevice {
    pub state: DeviceState,
    /// Set when the state changed and should be saved.
    pub dirty: bool,
}

impl SimDevice {
    pub fn new(state: DeviceState) -> Self {
        SimDevice {
            state,
            dirty: false,
        }
    }

    /// Answers a request; `None` means stay silent.
    pub fn handle(&mut self, request: &IncomingRequest, context: &RequestContext) -> Option<Reply> {
        let reply = self.route(request, context);
        match reply {
            Some(reply) if context.multicast && !reply.code.is_some_and(Code::is_success) => None,
            other => other,
        }
    }

    fn route(&mut self, request: &IncomingRequest, context: &RequestContext) -> Option<Reply> {
        let path = request.path();
        if path == WELL_KNOWN_CORE {
            return self.well_known_core(request, context);
        }
        let Some(resource) = resources::find(&path) else {
            return Some(Reply::new(Code::NOT_FOUND));
        };
        if !self.unsecured_access_allowed(resource, request.code()) {
            return Some(Reply::new(Code::UNAUTHORIZED));
        }
        if let Some(accept) = request.message.options.get_uint(OptionNumber::ACCEPT) {
            if accept != u32::from(content_format::OCF_CBOR) {
                return Some(Reply::new(Code::NOT_ACCEPTABLE));
            }
        }
        let queries = request.queries();
        match (resource.href, request.code()) {
            ("/oic/res", Code::GET) => self.discovery(&queries, context),
            ("/oic/d", Code::GET) => Some(content(resources::device(&self.state))),
            ("/oic/p", Code::GET) => Some(content(resources::platform(&self.state))),
            ("/oic/sec/doxm", Code::GET) => {
                if !doxm_matches(&self.state, &queries) {
                    return (!context.multicast).then(|| Reply::new(Code::NOT_FOUND));
                }
                Some(content(resources::doxm(&self.state)))
            }
            ("/oic/sec/doxm", Code::POST) => Some(self.update_doxm(&request.message.payload)),
            ("/oic/sec/pstat", Code::GET) => Some(content(resources::pstat(&self.state))),
            _ => Some(Reply::new(Code::METHOD_NOT_ALLOWED)),
        }
    }

    /// Without DTLS, a device in RFOTM serves `/oic/res`, `/oic/d`, `/oic/p`,
    /// doxm (read and write) and pstat (read); once owned, only the first three.
    fn unsecured_access_allowed(&self, resource: &ResourceInfo, code: Code) -> bool {
        let owned = self.state.doxm.owned || self.state.pstat.s != dos::RFOTM;
        match resource.href {
            "/oic/res" | "/oic/d" | "/oic/p" => code == Code::GET,
            "/oic/sec/doxm" if !owned => code == Code::GET || code == Code::POST,
            _ => !owned && resource.unsecured_read_in_rfotm && code == Code::GET,
        }
    }

    fn discovery(&self, queries: &[String], context: &RequestContext) -> Option<Reply> {
        let links: Vec<Cbor> = RESOURCES
            .iter()
            .filter(|r| queries.iter().all(|q| link_matches(r, q)))
            .map(|r| resources::link(&self.state, r, &context.eps))
            .collect();
        if links.is_empty() && context.multicast {
            return None;
        }
        Some(content(Cbor::Array(links)))
    }

    /// Unsecured doxm writes in RFOTM: only `oxmsel`, and only to an offered
    /// method (the reference device's write rules, FACTS §2.4).
    fn update_doxm(&mut self, payload: &[u8]) -> Reply {
        let Ok(body) = decode_cbor(payload) else {
            return Reply::new(Code::BAD_REQUEST);
        };
        let Some(entries) = body.as_map() else {
            return Reply::new(Code::BAD_REQUEST);
        };
        for (key, value) in entries {
            match (
                key.as_text(),
                value.as_integer().and_then(|i| u64::try_from(i).ok()),
            ) {
                (Some("oxmsel"), Some(oxm)) if self.state.doxm.oxms.contains(&oxm) => {}
                _ => return Reply::new(Code::BAD_REQUEST),
            }
        }
        if let Some(oxm) = field(&body, "oxmsel").and_then(|v| v.as_integer()) {
            self.state.doxm.oxmsel = u64::try_from(oxm).unwrap_or(0);
            self.dirty = true;
        }
        content_with(Code::CHANGED, resources::doxm(&self.state))
    }
}

/// RFC 6690 resource discovery, which iotivity-lite serves when built with
/// OC_WKCORE: the one resource a generic CoAP client can read, since its
/// link-format answer carries no OCF options.
const WELL_KNOWN_CORE: &str = "/.well-known/core";

impl SimDevice {
    fn well_known_core(
        &self,
        request: &IncomingRequest,
        context: &RequestContext,
    ) -> Option<Reply> {
        if request.code() != Code::GET {
            return Some(Reply::new(Code::METHOD_NOT_ALLOWED));
        }
        let queries = request.queries();
        let links: Vec<String> = RESOURCES
            .iter()
            .filter(|r| queries.iter().all(|q| link_matches(r, q)))
            .map(|r| {
                format!(
                    "<{}>;rt=\"{}\";if=\"{}\";ct=10000",
                    r.href,
                    r.rt.join(" "),
                    r.interfaces.join(" ")
                )
            })
            .collect();
        if links.is_empty() && context.multicast {
            return None;
        }
        let mut reply = Reply::new(Code::CONTENT);
        reply.options.set_uint(
            OptionNumber::CONTENT_FORMAT,
            content_format::LINK_FORMAT.into(),
        );
        reply.payload = links.join(",").into_bytes();
        Some(reply)
    }
}

fn content(value: Cbor) -> Reply {
    content_with(Code::CONTENT, value)
}

fn content_with(code: Code, value: Cbor) -> Reply {
    let mut reply = Reply::new(code);
    mark_ocf_cbor(&mut reply.options);
    reply.payload = encode_cbor(&value);
    reply
}

/// `/oic/res` filters: `rt=` and `if=` (OCF Core §11.2.5).
fn link_matches(resource: &ResourceInfo, query: &str) -> bool {
    match query.split_once('=') {
        Some(("rt", rt)) => resource.rt.contains(&rt),
        Some(("if", interface)) => resource.interfaces.contains(&interface),
        _ => true,
    }
}

/// doxm filters used by discovery of unowned devices: `owned=FALSE`, `deviceuuid=`.
fn doxm_matches(state: &DeviceState, queries: &[String]) -> bool {
    queries.iter().all(|q| match q.split_once('=') {
        Some(("owned", v)) => v.eq_ignore_ascii_case("true") == state.doxm.owned,
        Some(("deviceuuid", v)) => v.eq_ignore_ascii_case(&state.di.to_string()),
        _ => true,
    })
}
