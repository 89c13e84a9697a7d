//! `/oic/sec/acl2` and the access decision for every request (FACTS §1.3,
//! §2.4; iotivity-lite `oc_acl_util.c`).

use ciborium::Value as Cbor;

use super::cred::query_id;
use super::repr::{BAD, entries, int, is_common_property, key, map, string, text, uint, uuid};
use super::resources::ResourceInfo;
use super::security::{Peer, SessionInfo};
use super::state::{Ace, AceResource, AceSubject, DeviceState, dos};
use crate::coap::Code;

/// Permission bits of an ACE.
pub mod permission {
    pub const CREATE: u64 = 1;
    pub const RETRIEVE: u64 = 2;
    pub const UPDATE: u64 = 4;
    pub const DELETE: u64 = 8;
    pub const NOTIFY: u64 = 16;
}

/// The SVRs the owner may always use, and that anon-clear ACEs never open.
const OWNER_SVRS: &[&str] = &[
    "/oic/sec/acl2",
    "/oic/sec/doxm",
    "/oic/sec/pstat",
    "/oic/sec/cred",
];

/// Device configuration resources: wildcard ACEs do not cover them.
pub fn is_dcr(href: &str) -> bool {
    matches!(
        href,
        "/oic/p" | "/oic/d" | "/oic/res" | "/oic/mnt" | "/oc/swu" | "/CoapCloudConfResURI"
    ) || href.starts_with("/oic/sec/")
}

/// Whether a request over DTLS may go ahead. The DOC has full access; the
/// owner has the four core SVRs; everything else needs an ACE.
pub fn secure_access(
    state: &DeviceState,
    session: &SessionInfo,
    resource: &ResourceInfo,
    method: Code,
) -> bool {
    if session.doc {
        return true;
    }
    if session
        .subject
        .is_some_and(|s| s == state.doxm.devowneruuid)
        && OWNER_SVRS.contains(&resource.href)
    {
        return true;
    }
    granted(state, &Peer::Secure(session.clone()), resource, method)
}

/// Whether an unsecured request after ownership is granted by an anon-clear
/// ACE (never for the core SVRs, FACTS §1.4).
pub fn unsecured_access(state: &DeviceState, resource: &ResourceInfo, method: Code) -> bool {
    state.pstat.s != dos::RFOTM
        && !OWNER_SVRS.contains(&resource.href)
        && granted(state, &Peer::Unsecured, resource, method)
}

fn granted(state: &DeviceState, peer: &Peer, resource: &ResourceInfo, method: Code) -> bool {
    let needed = match method {
        Code::GET => permission::RETRIEVE,
        Code::POST | Code::PUT => permission::UPDATE | permission::CREATE,
        Code::DELETE => permission::DELETE,
        _ => return false,
    };
    state.security.aces.iter().any(|ace| {
        ace.permission & needed != 0
            && subject_matches(&ace.subject, peer)
            && ace.resources.iter().any(|r| resource_matches(r, resource))
    })
}

fn subject_matches(subject: &AceSubject, peer: &Peer) -> bool {
    match (subject, peer) {
        // anon-clear covers every connection (the capture: GET /oic/d over
        // the owner session under an anon-clear ACE); auth-crypt only DTLS.
        (AceSubject::Conntype(c), Peer::Unsecured) => c == "anon-clear",
        (AceSubject::Conntype(_), Peer::Secure(_)) => true,
        (AceSubject::Uuid(u), Peer::Secure(s)) => s.subject == Some(*u),
        _ => false,
    }
}

fn resource_matches(ace: &AceResource, resource: &ResourceInfo) -> bool {
    if let Some(href) = &ace.href {
        return href == resource.href;
    }
    let discoverable = resource.bm & 1 != 0;
    match ace.wc.as_deref() {
        Some("*") => !is_dcr(resource.href),
        Some("+") => !is_dcr(resource.href) && discoverable,
        Some("-") => !is_dcr(resource.href) && !discoverable,
        _ => false,
    }
}

/// GET acl2.
pub fn representation(state: &DeviceState) -> Cbor {
    let aces = state
        .security
        .aces
        .iter()
        .map(|ace| {
            let subject = match &ace.subject {
                AceSubject::Uuid(u) => map(vec![("uuid", text(&u.to_string()))]),
                AceSubject::Conntype(c) => map(vec![("conntype", text(c))]),
                AceSubject::Role { role, authority } => {
                    let mut e = vec![("role", text(role))];
                    if let Some(a) = authority {
                        e.push(("authority", text(a)));
                    }
                    map(e)
                }
            };
            let resources = ace
                .resources
                .iter()
                .map(|r| match (&r.href, &r.wc) {
                    (Some(h), _) => map(vec![("href", text(h))]),
                    (_, Some(w)) => map(vec![("wc", text(w))]),
                    _ => map(vec![]),
                })
                .collect();
            map(vec![
                ("aceid", int(ace.aceid)),
                ("subject", subject),
                ("resources", Cbor::Array(resources)),
                ("permission", int(ace.permission)),
            ])
        })
        .collect();
    map(vec![
        ("aclist2", Cbor::Array(aces)),
        (
            "rowneruuid",
            text(&state.security.acl_rowneruuid.to_string()),
        ),
    ])
}

/// POST acl2: new ACEs are added with fresh ids.
pub fn post(state: &mut DeviceState, body: &Cbor) -> Result<(), Code> {
    let mut next = state.clone();
    for (k, v) in entries(body)? {
        match key(k)? {
            "rowneruuid" if state.pstat.s != dos::RFNOP => next.security.acl_rowneruuid = uuid(v)?,
            "aclist2" => {
                for entry in v.as_array().ok_or(BAD)? {
                    let mut ace = parse_ace(entry)?;
                    let security = &mut next.security;
                    security.next_aceid = security.next_aceid.max(1);
                    ace.aceid = security.next_aceid;
                    security.next_aceid += 1;
                    security.aces.push(ace);
                }
            }
            other if is_common_property(other) => {}
            _ => return Err(BAD),
        }
    }
    *state = next;
    Ok(())
}

fn parse_ace(entry: &Cbor) -> Result<Ace, Code> {
    let mut subject = None;
    let mut resources = None;
    let mut permission = None;
    for (k, v) in entries(entry)? {
        match key(k)? {
            "subject" => subject = Some(parse_subject(v)?),
            "resources" => {
                let list = v
                    .as_array()
                    .ok_or(BAD)?
                    .iter()
                    .map(parse_resource)
                    .collect::<Result<Vec<_>, _>>()?;
                if list.is_empty() {
                    return Err(BAD);
                }
                resources = Some(list);
            }
            "permission" => {
                let p = uint(v)?;
                if p > 31 {
                    return Err(BAD);
                }
                permission = Some(p);
            }
            "aceid" | "validity" => {}
            _ => return Err(BAD),
        }
    }
    Ok(Ace {
        aceid: 0,
        subject: subject.ok_or(BAD)?,
        resources: resources.ok_or(BAD)?,
        permission: permission.ok_or(BAD)?,
    })
}

fn parse_subject(v: &Cbor) -> Result<AceSubject, Code> {
    let mut role = None;
    let mut authority = None;
    for (k, v) in entries(v)? {
        match key(k)? {
            "uuid" => return Ok(AceSubject::Uuid(uuid(v)?)),
            "conntype" => {
                let c = string(v)?;
                if c != "anon-clear" && c != "auth-crypt" {
                    return Err(BAD);
                }
                return Ok(AceSubject::Conntype(c.to_owned()));
            }
            "role" => role = Some(string(v)?.to_owned()),
            "authority" => authority = Some(string(v)?.to_owned()),
            _ => return Err(BAD),
        }
    }
    Ok(AceSubject::Role {
        role: role.ok_or(BAD)?,
        authority,
    })
}

fn parse_resource(v: &Cbor) -> Result<AceResource, Code> {
    let mut resource = AceResource::default();
    for (k, v) in entries(v)? {
        match key(k)? {
            "href" => resource.href = Some(string(v)?.to_owned()),
            "wc" => {
                let wc = string(v)?;
                if !matches!(wc, "*" | "+" | "-") {
                    return Err(BAD);
                }
                resource.wc = Some(wc.to_owned());
            }
            // Resource types and interfaces narrow nothing here.
            "rt" | "if" => {}
            _ => return Err(BAD),
        }
    }
    if resource.href.is_none() && resource.wc.is_none() {
        return Err(BAD);
    }
    Ok(resource)
}

/// DELETE acl2: all ACEs, or `?aceid=N` (2.02, or 4.04 if there is none).
pub fn delete(state: &mut DeviceState, queries: &[String]) -> Code {
    let aces = &mut state.security.aces;
    match query_id(queries, "aceid") {
        None => aces.clear(),
        Some(Some(id)) if aces.iter().any(|a| a.aceid == id) => aces.retain(|a| a.aceid != id),
        Some(_) => return Code::NOT_FOUND,
    }
    Code::DELETED
}
