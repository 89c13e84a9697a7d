//! The resources a simulated device serves and their representations, shaped
//! like the reference device's (see tests/vectors/coap-unsecured).

use ciborium::Value as Cbor;

use super::repr::{int, map, text, texts};
use super::state::DeviceState;

/// One resource of the device.
pub struct ResourceInfo {
    pub href: &'static str,
    pub rt: &'static [&'static str],
    pub interfaces: &'static [&'static str],
    /// Policy bitmask: 1 discoverable, 2 observable.
    pub bm: u8,
    /// Served without DTLS to anyone while the device is unowned (FACTS §2.4).
    pub unsecured_read_in_rfotm: bool,
}

const RW: &[&str] = &["oic.if.rw", "oic.if.baseline"];
const R: &[&str] = &["oic.if.r", "oic.if.baseline"];

/// The device's resources, in the order `/oic/res` lists them: those of the
/// reference device's cloud_server sample.
pub const RESOURCES: &[ResourceInfo] = &[
    resource("/oic/p", &["oic.wk.p"], R, 3, true),
    resource("/oc/con", &["oic.wk.con"], RW, 3, false),
    resource("/oic/res", &["oic.wk.res"], LL, 1, true),
    resource("/oic/d", &["oic.d.cloudDevice", "oic.wk.d"], R, 3, true),
    resource(
        "/oc/wk/introspection",
        &["oic.wk.introspection"],
        R,
        1,
        false,
    ),
    resource("/oic/sec/doxm", &["oic.r.doxm"], RW, 1, true),
    resource("/oic/sec/pstat", &["oic.r.pstat"], RW, 3, true),
    resource("/oic/sec/acl2", &["oic.r.acl2"], RW, 1, false),
    resource("/oic/sec/ael", &["oic.r.ael"], RW, 1, false),
    resource("/oic/sec/cred", &["oic.r.cred"], RW, 1, false),
    resource("/oic/sec/sp", &["oic.r.sp"], RW, 1, false),
    resource("/oic/sec/csr", &["oic.r.csr"], RW, 1, false),
    resource("/oic/sec/roles", &["oic.r.roles"], RW, 1, false),
    resource("/oic/sec/sdi", &["oic.r.sdi"], RW, 1, false),
    resource(
        "/CoapCloudConfResURI",
        &["oic.r.coapcloudconf"],
        RW,
        3,
        false,
    ),
    resource("/light/1", &["core.light"], RW, 3, false),
    resource("/switches", &["oic.wk.col"], LL, 3, false),
];

const LL: &[&str] = &["oic.if.ll", "oic.if.b", "oic.if.baseline"];

const fn resource(
    href: &'static str,
    rt: &'static [&'static str],
    interfaces: &'static [&'static str],
    bm: u8,
    unsecured_read_in_rfotm: bool,
) -> ResourceInfo {
    ResourceInfo {
        href,
        rt,
        interfaces,
        bm,
        unsecured_read_in_rfotm,
    }
}

pub fn find(href: &str) -> Option<&'static ResourceInfo> {
    RESOURCES.iter().find(|r| r.href == href)
}

/// One `/oic/res` link.
pub fn link(state: &DeviceState, resource: &ResourceInfo, eps: &[String]) -> Cbor {
    map(vec![
        ("anchor", text(&format!("ocf://{}", state.di))),
        ("href", text(resource.href)),
        ("rt", texts(resource.rt)),
        ("if", texts(resource.interfaces)),
        ("p", map(vec![("bm", int(resource.bm.into()))])),
        (
            "eps",
            Cbor::Array(eps.iter().map(|ep| map(vec![("ep", text(ep))])).collect()),
        ),
    ])
}

/// `/oic/d`.
pub fn device(state: &DeviceState) -> Cbor {
    map(vec![
        ("di", text(&state.di.to_string())),
        ("piid", text(&state.piid.to_string())),
        ("n", text(&state.name)),
        ("icv", text("ocf.2.0.5")),
        ("dmv", text("ocf.res.1.3.0")),
        ("dmno", text("ocf-devsim")),
        ("sv", text(env!("CARGO_PKG_VERSION"))),
    ])
}

/// `/oic/p`.
pub fn platform(state: &DeviceState) -> Cbor {
    map(vec![
        ("pi", text(&state.pi.to_string())),
        ("mnmn", text("ocf-mediator project")),
    ])
}

/// `/oic/sec/doxm`.
pub fn doxm(state: &DeviceState) -> Cbor {
    let d = &state.doxm;
    map(vec![
        (
            "oxms",
            Cbor::Array(d.oxms.iter().map(|o| int(*o)).collect()),
        ),
        ("oxmsel", int(d.oxmsel)),
        ("sct", int(d.sct)),
        ("owned", Cbor::Bool(d.owned)),
        ("devowneruuid", text(&d.devowneruuid.to_string())),
        ("deviceuuid", text(&state.di.to_string())),
        ("rowneruuid", text(&d.rowneruuid.to_string())),
    ])
}

/// `/oic/sec/pstat`.
pub fn pstat(state: &DeviceState) -> Cbor {
    let p = &state.pstat;
    map(vec![
        (
            "dos",
            map(vec![("p", Cbor::Bool(p.p)), ("s", int(p.s.into()))]),
        ),
        ("cm", int(p.cm)),
        ("tm", int(p.tm)),
        ("om", int(p.om)),
        ("sm", int(p.sm)),
        ("isop", Cbor::Bool(p.isop())),
        ("rowneruuid", text(&p.rowneruuid.to_string())),
    ])
}
