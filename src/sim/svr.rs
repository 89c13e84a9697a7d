//! Writes to doxm and pstat: the reference device's write rules (FACTS §2.4)
//! and its provisioning state machine (FACTS §2.5). All-or-nothing: a body
//! with one refused property changes nothing and answers 4.00.

use ciborium::Value as Cbor;

use super::repr::{BAD, boolean, entries, is_common_property, key, uint, uuid};
use super::state::{DeviceState, dos};
use crate::coap::Code;

/// What a successful doxm write asks of the device beyond the new state.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct DoxmEffect {
    /// `oxmsel` was set to Random PIN: show a PIN.
    pub pin_needed: bool,
}

/// POST doxm. `doc`: the method of the device ownership connection the
/// request came over, if it did.
pub fn post_doxm(
    state: &mut DeviceState,
    body: &Cbor,
    doc: Option<u64>,
) -> Result<DoxmEffect, Code> {
    let in_doc = doc.is_some();
    let s = state.pstat.s;
    let rfotm = s == dos::RFOTM;
    let mut next = state.clone();
    let mut effect = DoxmEffect::default();
    for (k, v) in entries(body)? {
        match key(k)? {
            "oxmsel" => {
                let oxm = uint(v)?;
                // In RFOTM, outside the DOC only, for every method: the
                // reference device answers 4.00 to a selection inside the
                // ownership session (FACTS §2.4, §5).
                if !rfotm || in_doc || !next.doxm.oxms.contains(&oxm) {
                    return Err(BAD);
                }
                next.doxm.oxmsel = oxm;
                effect.pin_needed = oxm == super::security::oxm::RANDOM_PIN;
            }
            "owned" | "deviceuuid" | "devowneruuid" if !(rfotm && in_doc) => return Err(BAD),
            "owned" => next.doxm.owned = boolean(v)?,
            "deviceuuid" => {
                next.di = uuid(v)?;
                if next.di.is_nil() {
                    return Err(BAD);
                }
            }
            "devowneruuid" => next.doxm.devowneruuid = uuid(v)?,
            "rowneruuid" if rfotm || s == dos::SRESET => next.doxm.rowneruuid = uuid(v)?,
            other if is_common_property(other) => {}
            _ => return Err(BAD),
        }
    }
    *state = next;
    Ok(effect)
}

/// What a successful pstat write asks of the device beyond the new state.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PstatEffect {
    /// `dos.s` = RESET: wipe the device after the reset delay.
    pub hard_reset: bool,
}

/// POST pstat.
pub fn post_pstat(state: &mut DeviceState, body: &Cbor) -> Result<PstatEffect, Code> {
    let mut next = state.clone();
    let mut target = None;
    for (k, v) in entries(body)? {
        match key(k)? {
            "dos" => {
                for (k, v) in entries(v)? {
                    match key(k)? {
                        "s" => target = Some(u8::try_from(uint(v)?).map_err(|_| BAD)?),
                        // Read-only, tolerated when it states the truth.
                        "p" if boolean(v)? == state.pstat.p => {}
                        _ => return Err(BAD),
                    }
                }
            }
            "om" => {
                let om = uint(v)?;
                // One operation mode, among the supported ones.
                if om.count_ones() != 1 || om & next.pstat.sm == 0 {
                    return Err(BAD);
                }
                next.pstat.om = om;
            }
            "tm" => next.pstat.tm = uint(v)?,
            "rowneruuid" if !matches!(state.pstat.s, dos::RFPRO | dos::RFNOP) => {
                next.pstat.rowneruuid = uuid(v)?;
            }
            other if is_common_property(other) => {}
            _ => return Err(BAD),
        }
    }
    let mut effect = PstatEffect::default();
    if let Some(to) = target {
        effect.hard_reset = transition(&mut next, to)?;
    }
    *state = next;
    Ok(effect)
}

/// Moves to `to` as the reference device allows; `Ok(true)` for RESET,
/// which takes effect later (the answer goes out first).
fn transition(state: &mut DeviceState, to: u8) -> Result<bool, Code> {
    use dos::*;
    let from = state.pstat.s;
    let allowed = match from {
        RESET => matches!(to, RESET | RFOTM),
        RFOTM => to < SRESET,
        RFPRO | RFNOP => to != RFOTM && to <= SRESET,
        SRESET => matches!(to, RESET | RFPRO | SRESET),
        _ => false,
    };
    if !allowed {
        return Err(BAD);
    }
    if to == RESET {
        return Ok(true);
    }
    if from == RFOTM && to != RFOTM && !ready_to_leave_rfotm(state) {
        return Err(BAD);
    }
    let p = &mut state.pstat;
    p.s = to;
    match to {
        RFOTM => {
            p.cm = 2;
            p.tm = 0;
        }
        _ => {
            p.cm = 0;
            p.tm = 0;
        }
    }
    Ok(false)
}

/// iotivity-lite `pstat_check_state`: every SVR has a resource owner with a
/// credential, and doxm names an owner and says owned.
pub fn ready_to_leave_rfotm(state: &DeviceState) -> bool {
    let security = &state.security;
    let has_cred = |owner: uuid::Uuid| {
        !owner.is_nil()
            && security
                .creds
                .iter()
                .any(|c| c.subjectuuid == owner.to_string())
    };
    state.doxm.owned
        && !state.doxm.devowneruuid.is_nil()
        && !state.di.is_nil()
        && has_cred(state.doxm.rowneruuid)
        && has_cred(state.pstat.rowneruuid)
        && has_cred(security.acl_rowneruuid)
        && has_cred(security.cred_rowneruuid)
}
