//! `/oic/sec/cred`: credentials, and the owner PSK the device derives for
//! itself in the DOC (FACTS §2.2; iotivity-lite `oc_cred.c`).

use ciborium::Value as Cbor;

use super::repr::{
    BAD, entries, int, is_common_property, key, map, parse_uuid, string, text, uint, uuid,
};
use super::security::{SessionInfo, hex, oxm};
use super::state::{Cred, DeviceState, dos};
use crate::coap::Code;
use crate::dtls::derive_owner_psk;

/// GET cred. Keys never leave the device: PSKs show an empty `data`.
pub fn representation(state: &DeviceState) -> Cbor {
    let creds = state
        .security
        .creds
        .iter()
        .map(|c| {
            let mut entries = vec![
                ("credid", int(c.credid)),
                ("credtype", int(c.credtype)),
                ("subjectuuid", text(&c.subjectuuid)),
            ];
            if let Some(usage) = &c.credusage {
                entries.push(("credusage", text(usage)));
            }
            if let Some(pem) = &c.publicdata {
                entries.push((
                    "publicdata",
                    map(vec![
                        ("data", text(pem)),
                        ("encoding", text("oic.sec.encoding.pem")),
                    ]),
                ));
            }
            if c.credtype == 1 {
                entries.push((
                    "privatedata",
                    map(vec![
                        ("data", Cbor::Bytes(Vec::new())),
                        ("encoding", text("oic.sec.encoding.raw")),
                    ]),
                ));
            }
            map(entries)
        })
        .collect();
    map(vec![
        ("creds", Cbor::Array(creds)),
        (
            "rowneruuid",
            text(&state.security.cred_rowneruuid.to_string()),
        ),
    ])
}

/// POST cred: `rowneruuid` first, then each credential. A PSK credential
/// for the resource owner with empty key data, posted in the DOC, gets the
/// owner PSK derived from this session's key block.
pub fn post(
    state: &mut DeviceState,
    body: &Cbor,
    session: Option<&SessionInfo>,
) -> Result<(), Code> {
    if !matches!(state.pstat.s, dos::RFOTM | dos::RFPRO | dos::SRESET) {
        return Err(BAD);
    }
    let mut next = state.clone();
    let mut creds = None;
    for (k, v) in entries(body)? {
        match key(k)? {
            "rowneruuid" => next.security.cred_rowneruuid = uuid(v)?,
            "creds" => creds = Some(v.as_array().ok_or(BAD)?),
            other if is_common_property(other) => {}
            _ => return Err(BAD),
        }
    }
    for entry in creds.into_iter().flatten() {
        let (cred, derived) = parse_cred(&next, entry, session)?;
        if derived {
            // iotivity-lite compares a new credential with those it holds
            // before deriving the owner PSK (`oc_sec_add_new_cred`), so a
            // repeated owner credential POST adds a second one with the
            // same key (FACTS §3), where this would replace it.
            append(&mut next, cred);
        } else {
            add(&mut next, cred);
        }
    }
    *state = next;
    Ok(())
}

/// A credential as posted, and whether its key is the owner PSK derived
/// here.
fn parse_cred(
    state: &DeviceState,
    entry: &Cbor,
    session: Option<&SessionInfo>,
) -> Result<(Cred, bool), Code> {
    let mut credtype = None;
    let mut subject = None;
    let mut credusage = None;
    let mut publicdata = None;
    let mut private: Option<Vec<u8>> = None;
    for (k, v) in entries(entry)? {
        match key(k)? {
            "credtype" => credtype = Some(uint(v)?),
            "subjectuuid" => {
                let s = string(v)?;
                subject = Some(if s == "*" {
                    s.to_owned()
                } else {
                    parse_uuid(s).ok_or(BAD)?.to_string()
                });
            }
            "credusage" => credusage = Some(string(v)?.to_owned()),
            "publicdata" => publicdata = Some(data_of(v)?),
            "privatedata" => private = Some(data_of(v)?),
            // Assigned by the device; period and roles are not kept.
            "credid" | "period" | "roleid" | "crms" => {}
            _ => return Err(BAD),
        }
    }
    let (Some(credtype), Some(subjectuuid)) = (credtype, subject) else {
        return Err(BAD);
    };
    let mut cred = Cred {
        credid: 0,
        credtype,
        subjectuuid,
        credusage,
        publicdata: None,
        privatedata_hex: String::new(),
    };
    let mut derived = false;
    match credtype {
        1 => {
            let data = private.unwrap_or_default();
            let key = if data.is_empty() {
                derived = true;
                owner_psk(state, &cred.subjectuuid, session)?.to_vec()
            } else {
                data
            };
            cred.privatedata_hex = hex(&key);
        }
        8 => {
            let pem = String::from_utf8(publicdata.ok_or(BAD)?).map_err(|_| BAD)?;
            // An identity certificate must be for the device's own key and
            // UUID (iotivity-lite `oc_cred.c`). Other certificates are kept
            // as given: the reference device took a trust anchor that does
            // not parse (the capture of devsim_secure), and only fails to
            // use it.
            if cred.credusage.as_deref() == Some(super::identity::IDENTITY_CERT)
                && !super::identity::acceptable_identity(
                    state,
                    &crate::ocf::pki::pem_certificates(&pem),
                )
            {
                return Err(BAD);
            }
            cred.publicdata = Some(pem);
        }
        _ => return Err(BAD),
    }
    Ok((cred, derived))
}

/// The derivation happens only in the DOC, for the resource owner.
fn owner_psk(
    state: &DeviceState,
    subject: &str,
    session: Option<&SessionInfo>,
) -> Result<[u8; 16], Code> {
    let session = session.filter(|s| s.doc).ok_or(BAD)?;
    let material = session.key_material.as_ref().ok_or(BAD)?;
    let owner = parse_uuid(subject).ok_or(BAD)?;
    if owner != state.security.cred_rowneruuid {
        return Err(BAD);
    }
    Ok(derive_owner_psk(
        material,
        oxm::urn(session.oxm),
        *owner.as_bytes(),
        *state.di.as_bytes(),
    ))
}

/// `data` of a `{data, encoding}` map: bytes, base64 text, or other text as is.
fn data_of(v: &Cbor) -> Result<Vec<u8>, Code> {
    let mut data = None;
    let mut encoding = None;
    for (k, v) in entries(v)? {
        match key(k)? {
            "data" => data = Some(v),
            "encoding" => encoding = Some(string(v)?),
            _ => {}
        }
    }
    match data {
        None => Ok(Vec::new()),
        Some(Cbor::Bytes(b)) => Ok(b.clone()),
        Some(Cbor::Text(t)) if encoding == Some("oic.sec.encoding.base64") => {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD
                .decode(t)
                .map_err(|_| BAD)
        }
        Some(Cbor::Text(t)) => Ok(t.as_bytes().to_vec()),
        Some(_) => Err(BAD),
    }
}

/// Adds a credential; one of the same kind for the same subject is replaced.
fn add(state: &mut DeviceState, mut cred: Cred) {
    let security = &mut state.security;
    if let Some(old) = security.creds.iter_mut().find(|c| {
        c.credtype == cred.credtype
            && c.subjectuuid == cred.subjectuuid
            && c.credusage == cred.credusage
            && (c.credtype == 1 || c.publicdata == cred.publicdata)
    }) {
        cred.credid = old.credid;
        *old = cred;
        return;
    }
    append(state, cred);
}

/// Adds a credential with a new credid.
fn append(state: &mut DeviceState, mut cred: Cred) {
    let security = &mut state.security;
    security.next_credid = security.next_credid.max(1);
    cred.credid = security.next_credid;
    security.next_credid += 1;
    security.creds.push(cred);
}

/// DELETE cred: all of them, or `?credid=N` (2.02, or 4.04 if there is none).
pub fn delete(state: &mut DeviceState, queries: &[String]) -> Code {
    let creds = &mut state.security.creds;
    match query_id(queries, "credid") {
        None => creds.clear(),
        Some(Some(id)) if creds.iter().any(|c| c.credid == id) => creds.retain(|c| c.credid != id),
        Some(_) => return Code::NOT_FOUND,
    }
    Code::DELETED
}

/// `?name=N`: `None` without it, `Some(None)` if it is not a number.
pub fn query_id(queries: &[String], name: &str) -> Option<Option<u64>> {
    queries.iter().find_map(|q| {
        let (k, v) = q.split_once('=')?;
        (k == name).then(|| v.parse().ok())
    })
}
