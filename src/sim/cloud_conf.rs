//! The smaller resources: the cloud configuration resource (FACTS §1.2;
//! what the device then does with it is `cloud_client`), `/oic/sec/sdi`
//! and `/oic/sec/sp`.

use ciborium::Value as Cbor;

use super::repr::{
    BAD, boolean, entries, int, is_common_property, key, map, parse_uuid, string, text, texts, uuid,
};
use super::state::{CloudConf, DeviceState};
use crate::coap::Code;

/// GET coapcloudconf (`at` is write-only).
pub fn representation(cloud: &CloudConf) -> Cbor {
    let cps = if cloud.cps.is_empty() {
        "uninitialized"
    } else {
        cloud.cps.as_str()
    };
    map(vec![
        ("rt", texts(&["oic.r.coapcloudconf"])),
        ("if", texts(&["oic.if.rw", "oic.if.baseline"])),
        ("apn", text(&cloud.apn)),
        ("cis", text(&cloud.cis)),
        ("sid", text(&cloud.sid)),
        ("clec", int(cloud.clec)),
        ("cps", text(cps)),
    ])
}

/// POST coapcloudconf, with iotivity-lite's checks: no `cps`; a non-empty
/// `cis` needs `at` and a UUID `sid`; while registering or registered only
/// `{"cis": ""}`, which deregisters; `{"cis": ""}` clears the configuration.
pub fn post(state: &mut DeviceState, body: &Cbor) -> Result<(), Code> {
    let busy = matches!(
        state.security.cloud.cps.as_str(),
        "registering" | "registered"
    );
    if busy {
        let only_empty_cis = entries(body)?.iter().all(|(k, v)| {
            k.as_text() == Some("cis") && v.as_text() == Some("")
                || k.as_text().is_some_and(is_common_property)
        }) && entries(body)?
            .iter()
            .any(|(k, _)| k.as_text() == Some("cis"));
        if !only_empty_cis {
            return Err(BAD);
        }
    }
    let mut next = state.security.cloud.clone();
    let mut at = None;
    for (k, v) in entries(body)? {
        match key(k)? {
            "cis" => next.cis = string(v)?.to_owned(),
            "sid" => next.sid = string(v)?.to_owned(),
            "apn" => next.apn = string(v)?.to_owned(),
            "at" => at = Some(string(v)?.to_owned()),
            other if is_common_property(other) || other.starts_with("x.") => {}
            _ => return Err(BAD),
        }
    }
    if next.cis.is_empty() {
        state.security.cloud = CloudConf {
            cps: "uninitialized".into(),
            ..CloudConf::default()
        };
        return Ok(());
    }
    let at = at.filter(|a| !a.is_empty()).ok_or(BAD)?;
    if parse_uuid(&next.sid).is_none() {
        return Err(BAD);
    }
    next.at = at;
    next.cps = "readytoregister".into();
    next.clec = 0;
    state.security.cloud = next;
    Ok(())
}

/// GET sdi.
pub fn sdi(state: &DeviceState) -> Cbor {
    let sdi = &state.security.sdi;
    map(vec![
        ("uuid", text(&sdi.uuid.to_string())),
        ("name", text(&sdi.name)),
        ("priv", Cbor::Bool(sdi.privileged)),
    ])
}

/// POST sdi.
pub fn post_sdi(state: &mut DeviceState, body: &Cbor) -> Result<(), Code> {
    let mut next = state.security.sdi.clone();
    for (k, v) in entries(body)? {
        match key(k)? {
            "uuid" => next.uuid = uuid(v)?,
            "name" => next.name = string(v)?.to_owned(),
            "priv" => next.privileged = boolean(v)?,
            other if is_common_property(other) => {}
            _ => return Err(BAD),
        }
    }
    state.security.sdi = next;
    Ok(())
}

/// The one security profile offered: OCF baseline.
const BASELINE: &str = "1.3.6.1.4.1.51414.0.0.1.0";

/// GET sp.
pub fn sp() -> Cbor {
    map(vec![
        ("supportedprofiles", texts(&[BASELINE])),
        ("currentprofile", text(BASELINE)),
    ])
}

/// POST sp: only the baseline profile.
pub fn post_sp(body: &Cbor) -> Result<(), Code> {
    for (k, v) in entries(body)? {
        match key(k)? {
            "currentprofile" if string(v)? == BASELINE => {}
            "supportedprofiles" => {}
            other if is_common_property(other) => {}
            _ => return Err(BAD),
        }
    }
    Ok(())
}
