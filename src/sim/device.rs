//! Request handling of a simulated device: routing, query filters, content
//! negotiation and access (unsecured rules, the DOC, the owner, ACEs).

use ciborium::Value as Cbor;

use uuid::Uuid;

use super::resources::{self, RESOURCES, ResourceInfo};
use super::security::{
    Peer, Refusal, SecurityConfig, SessionInfo, SessionOffer, oxm, random_pin, session_offer,
};
use super::state::{DeviceState, dos};
use super::{acl, cloud_conf, cred, csr, svr};
use crate::coap::option::content_format;
use crate::coap::{Code, IncomingRequest, OptionNumber, Reply};
use crate::ocf::representation::{decode_cbor, encode_cbor};
use crate::ocf::request::mark_ocf_cbor;

/// How a request reached the device.
#[derive(Clone, Debug, Default)]
pub struct RequestContext {
    /// Sent to a multicast group: filters that match nothing, and errors,
    /// get no answer at all (RFC 7252 §8.1).
    pub multicast: bool,
    /// Endpoints to list in `eps`.
    pub eps: Vec<String>,
    /// Plain CoAP, or which DTLS session.
    pub peer: Peer,
}

/// Something the device shows its user (on stderr, for the simulator).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// A Random PIN to type into the onboarding tool.
    Pin { di: Uuid, pin: String },
    /// What the device's cloud client did wrong or saw go wrong.
    Cloud { di: Uuid, message: String },
}

/// A simulated device.
pub struct SimDevice {
    pub state: DeviceState,
    /// Set when the state changed and should be saved.
    pub dirty: bool,
    pub config: SecurityConfig,
    /// The Random PIN shown now, if any.
    pub pin: Option<String>,
    /// Whether a device ownership connection is open (kept by the host).
    pub doc_open: bool,
    /// Set when a hard reset was asked for; the host carries it out later.
    pub reset_requested: bool,
    /// Things to show the user, taken by the host.
    pub notices: Vec<Notice>,
}

impl SimDevice {
    pub fn new(state: DeviceState) -> Self {
        SimDevice::with_security(state, SecurityConfig::default())
    }

    /// A device offering the methods of `config` (its `oxms`, when given,
    /// replace the saved ones: they are what the device can do).
    pub fn with_security(mut state: DeviceState, config: SecurityConfig) -> Self {
        let mut dirty = false;
        if !config.oxms.is_empty() && state.doxm.oxms != config.oxms {
            state.doxm.oxms = config.oxms.clone();
            dirty = true;
        }
        let mut device = SimDevice {
            state,
            dirty,
            config,
            pin: None,
            doc_open: false,
            reset_requested: false,
            notices: Vec::new(),
        };
        if device.state.pstat.s == dos::RFOTM && device.state.doxm.oxmsel == oxm::RANDOM_PIN {
            device.show_pin();
        }
        device
    }

    /// How a new DTLS session would be accepted now.
    pub fn session_offer(&self) -> Result<SessionOffer, Refusal> {
        session_offer(
            &self.state,
            &self.config,
            self.pin.as_deref(),
            self.doc_open,
        )
    }

    /// A device ownership session ended while the device was still in
    /// RFOTM: what it wrote is undone (back to `before`, the state when it
    /// opened), and `oxmsel` returns to 4 (none), so that the next transfer
    /// selects its method anew.
    pub fn abandon_transfer(&mut self, before: DeviceState) {
        let mut restored = before;
        restored.doxm.oxmsel = oxm::NONE;
        if self.state != restored {
            self.state = restored;
            self.dirty = true;
        }
        self.pin = None;
    }

    /// Wipes the device (FACTS §2.5): new UUID, unowned, RFOTM.
    pub fn hard_reset(&mut self) {
        self.state.hard_reset();
        self.pin = None;
        self.reset_requested = false;
        self.dirty = true;
    }

    fn show_pin(&mut self) {
        let pin = self.config.pin.clone().unwrap_or_else(random_pin);
        self.notices.push(Notice::Pin {
            di: self.state.di,
            pin: pin.clone(),
        });
        self.pin = Some(pin);
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
        let allowed = match &context.peer {
            Peer::Unsecured => self.unsecured_access_allowed(resource, request.code()),
            Peer::Secure(session) => {
                acl::secure_access(&self.state, session, resource, request.code())
            }
        };
        if !allowed {
            return Some(Reply::new(Code::UNAUTHORIZED));
        }
        if let Some(accept) = request.message.options.get_uint(OptionNumber::ACCEPT) {
            if accept != u32::from(content_format::OCF_CBOR) {
                return Some(Reply::new(Code::NOT_ACCEPTABLE));
            }
        }
        let queries = request.queries();
        let session = match &context.peer {
            Peer::Secure(session) => Some(session),
            Peer::Unsecured => None,
        };
        let in_doc = session.is_some_and(|s| s.doc);
        let code = request.code();
        if code == Code::POST {
            let Ok(body) = decode_cbor(&request.message.payload) else {
                return Some(Reply::new(Code::BAD_REQUEST));
            };
            return Some(self.post(resource.href, &body, session, in_doc));
        }
        match (resource.href, code) {
            ("/oic/res", Code::GET) => self.discovery(&queries, context),
            ("/oic/d", Code::GET) => Some(content(resources::device(&self.state))),
            ("/oic/p", Code::GET) => Some(content(resources::platform(&self.state))),
            ("/oic/sec/doxm", Code::GET) => {
                if !doxm_matches(&self.state, &queries) {
                    return (!context.multicast).then(|| Reply::new(Code::NOT_FOUND));
                }
                Some(content(resources::doxm(&self.state)))
            }
            ("/oic/sec/pstat", Code::GET) => Some(content(resources::pstat(&self.state))),
            ("/oic/sec/cred", Code::GET) => Some(content(cred::representation(&self.state))),
            ("/oic/sec/acl2", Code::GET) => Some(content(acl::representation(&self.state))),
            ("/oic/sec/sdi", Code::GET) => Some(content(cloud_conf::sdi(&self.state))),
            ("/oic/sec/sp", Code::GET) => Some(content(cloud_conf::sp())),
            ("/oic/sec/csr", Code::GET) => {
                let had_key = !self.state.device_key_hex.is_empty();
                let key = csr::device_key(&mut self.state);
                self.dirty |= !had_key;
                Some(content(csr::representation(
                    &self.state,
                    &key,
                    self.config.csr_fault,
                )))
            }
            (CLOUD_CONF, Code::GET) => Some(content(cloud_conf::representation(
                &self.state.security.cloud,
            ))),
            ("/oic/sec/cred", Code::DELETE) => Some(self.changed_by(|s| cred::delete(s, &queries))),
            ("/oic/sec/acl2", Code::DELETE) => Some(self.changed_by(|s| acl::delete(s, &queries))),
            _ => Some(Reply::new(Code::METHOD_NOT_ALLOWED)),
        }
    }

    fn changed_by(&mut self, change: impl FnOnce(&mut DeviceState) -> Code) -> Reply {
        let code = change(&mut self.state);
        self.dirty |= code.is_success();
        Reply::new(code)
    }

    /// POSTs: 2.04 on success, 4.00 for anything the write rules refuse.
    fn post(
        &mut self,
        href: &str,
        body: &Cbor,
        session: Option<&SessionInfo>,
        in_doc: bool,
    ) -> Reply {
        let result = match href {
            "/oic/sec/doxm" => {
                let doc = session.filter(|_| in_doc).map(|s| s.oxm);
                svr::post_doxm(&mut self.state, body, doc).map(|effect| {
                    if effect.pin_needed {
                        self.show_pin();
                    }
                })
            }
            "/oic/sec/pstat" => svr::post_pstat(&mut self.state, body).map(|effect| {
                self.reset_requested |= effect.hard_reset;
            }),
            "/oic/sec/cred" => cred::post(&mut self.state, body, session),
            "/oic/sec/acl2" => acl::post(&mut self.state, body),
            "/oic/sec/sdi" => cloud_conf::post_sdi(&mut self.state, body),
            "/oic/sec/sp" => cloud_conf::post_sp(body),
            CLOUD_CONF => cloud_conf::post(&mut self.state, body),
            _ => return Reply::new(Code::METHOD_NOT_ALLOWED),
        };
        match result {
            Err(code) => Reply::new(code),
            Ok(()) => {
                self.dirty = true;
                match href {
                    // The representation, as the reference device answers these.
                    "/oic/sec/doxm" => content_with(Code::CHANGED, resources::doxm(&self.state)),
                    CLOUD_CONF => content_with(
                        Code::CHANGED,
                        cloud_conf::representation(&self.state.security.cloud),
                    ),
                    _ => Reply::new(Code::CHANGED),
                }
            }
        }
    }

    /// Without DTLS, a device in RFOTM serves `/oic/res`, `/oic/d`, `/oic/p`,
    /// doxm (read and write) and pstat (read); once owned, only the first
    /// three and what anon-clear ACEs grant. While a DOC is open, no SVR.
    fn unsecured_access_allowed(&self, resource: &ResourceInfo, code: Code) -> bool {
        let owned = self.state.doxm.owned || self.state.pstat.s != dos::RFOTM;
        if self.doc_open && resource.href.starts_with("/oic/sec/") {
            return false;
        }
        let allowed = match resource.href {
            "/oic/res" | "/oic/d" | "/oic/p" => code == Code::GET,
            "/oic/sec/doxm" if !owned => code == Code::GET || code == Code::POST,
            _ => !owned && resource.unsecured_read_in_rfotm && code == Code::GET,
        };
        allowed || acl::unsecured_access(&self.state, resource, code)
    }

    fn discovery(&self, queries: &[String], context: &RequestContext) -> Option<Reply> {
        let owned = self.state.pstat.s != dos::RFOTM;
        let links: Vec<Cbor> = RESOURCES
            .iter()
            .filter(|r| queries.iter().all(|q| link_matches(r, q)))
            .map(|r| {
                // Once owned, the SVRs are reached only over DTLS (FACTS §3).
                let eps: Vec<String> = context
                    .eps
                    .iter()
                    .filter(|ep| {
                        !(owned && r.href.starts_with("/oic/sec/") && ep.starts_with("coap:"))
                    })
                    .cloned()
                    .collect();
                resources::link(&self.state, r, &eps)
            })
            .collect();
        if links.is_empty() && context.multicast {
            return None;
        }
        Some(content(Cbor::Array(links)))
    }
}

/// The cloud configuration resource's path (as on iotivity-lite).
const CLOUD_CONF: &str = "/CoapCloudConfResURI";

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
