//! `own` on a device with an unfinished ownership of ours on record: an
//! earlier run stopped (a crash, a kill, a lost device) somewhere between
//! writing its record and marking it complete.
//!
//! Where it stopped decides what is left to do:
//! - after the device left RFOTM, it holds our credential: an owner
//!   session finishes the ownership (ACL, RFNOP);
//! - before, the device still runs the earlier ownership session (until it
//!   drops it as idle, up to a minute) and refuses any other. Opening a
//!   session from the same local port takes that session's place at the
//!   device (RFC 6347 §4.2.8), so it is dropped at once, and a device that
//!   drops an ownership session in RFOTM undoes the half-done ownership.
//!   Then it is unowned again, and taken afresh.

use std::time::{Duration, Instant};

use super::doc::send_step;
use super::error::{DeviceLeft, OwnError};
use super::own::{Deadline, OwnChange, OwnRequest, Owned, finish_record, transfer};
use super::{Method, owner_steps, reset_step};
use crate::dtls::ClientConfig;
use crate::interact::{Notice, Progress};
use crate::mediator::{AccessError, Located, Mediator, secure_endpoint};
use crate::ocf::DeviceError;
use crate::ocf::address::{DeviceRef, Scheme};
use crate::ocf::link::{Session, cbor_body};
use crate::ocf::request::ocf_get;
use crate::ocf::resources::field;
use crate::store::{OwnedDevice, StoreError};

/// How long a session from an earlier session's port is given: a device
/// that still runs that session in RFOTM drops the new handshake silently
/// once it has ended the old one.
const TAKEOVER_WAIT: Duration = Duration::from_millis(1500);

/// How often a device busy with an interrupted ownership session is asked
/// again whether it has dropped it.
const BUSY_POLL: Duration = Duration::from_millis(500);

/// pstat `dos.s` of RFOTM.
const RFOTM: i128 = 1;

pub(super) async fn resume(
    m: &Mediator,
    request: &OwnRequest,
    located: Located,
    deadline: &mut Deadline,
) -> Result<Owned, OwnError> {
    let label = located.label();
    m.interaction().progress(&Progress::Step {
        subject: &label,
        what: "resuming an ownership that stopped half-way",
    });
    let ours: Vec<OwnedDevice> = located
        .entry
        .iter()
        .chain(located.attempts.iter())
        .cloned()
        .collect();
    let secure = secure_endpoint(&located)?;
    for entry in &ours {
        let port = entry.doc_port.unwrap_or(0);
        let wait = if port == 0 {
            deadline.at()
        } else {
            deadline.at().min(crate::net::now() + TAKEOVER_WAIT)
        };
        match m.open_owner_session(entry, secure, wait, port).await {
            Ok(session) => return finish(m, request, session, entry, &located, deadline).await,
            Err(AccessError::Interrupted) => return Err(OwnError::Interrupted),
            Err(AccessError::Store(StoreError::KeyMissing { .. })) if port != 0 => {
                // Stopped before its key was stored: the device cannot hold
                // it, but may still run that session. Take its place.
                m.checkpoint()?;
                take_over(secure, port, wait).await;
            }
            Err(AccessError::Store(StoreError::KeyMissing { .. })) => {}
            Err(AccessError::Store(error)) => {
                return Err(OwnError::Store {
                    error,
                    left: DeviceLeft::KeyKept,
                });
            }
            Err(_) => {}
        }
    }
    // The device did not take our key, so it never left RFOTM; the earlier
    // session is gone. Look again.
    let address = DeviceRef::Address {
        scheme: Scheme::Coap,
        host: located.record.address.ip().to_string(),
        port: located.record.address.port(),
    };
    let mut again = m.locate(&address, deadline.at()).await?;
    // Not busy at all, but restarted with part of that session kept:
    // nothing to wait for, it is reset and taken afresh.
    let mut probe = again.clone();
    probe.attempts.extend(ours.iter().cloned());
    if let Some(back) = super::leftovers::clear(m, &probe, deadline.at()).await? {
        return transfer(m, request, &back, deadline).await;
    }
    // Stopped during the handshake, the earlier session is not past it, so
    // no takeover ends it (the reference device's DTLS stack replaces only
    // established sessions): the device drops it when its handshake times
    // out. Wait for that, within the deadline.
    while again.record.owned != Some(false) && crate::net::now() + BUSY_POLL < deadline.at() {
        m.interaction().progress(&Progress::Waiting {
            subject: &label,
            what: "waiting for it to drop the ownership session that stopped half-way",
        });
        tokio::time::sleep(BUSY_POLL).await;
        again = m.locate(&address, deadline.at()).await?;
    }
    if again.record.owned != Some(false) {
        return Err(OwnError::device(
            DeviceError::NotFound {
                device: label,
                detail: "it is still busy with another ownership session and refuses ours; \
                         run `own` again once it has dropped that session (within a minute), \
                         or give it longer with --timeout"
                    .into(),
            },
            DeviceLeft::Untouched,
        ));
    }
    m.interaction().notice(&Notice::Note(&format!(
        "{label} did not keep the ownership that stopped half-way; taking it afresh"
    )));
    let mut afresh = again;
    afresh.attempts.extend(ours);
    transfer(m, request, &afresh, deadline).await
}

/// Opens a throwaway handshake from `port`, only so that the device ends
/// the session it still runs with that port.
async fn take_over(secure: std::net::SocketAddr, port: u16, wait: Instant) {
    let config = std::sync::Arc::new(ClientConfig::new(Method::JustWorks.cipher_suites()));
    if let Ok(session) = Session::open(secure, config, wait, "taking over", port).await {
        session.close().await;
    }
}

/// Over an owner session with a device that holds our key: the ACL and
/// RFNOP, unless it never left RFOTM, in which case it is reset and taken
/// afresh.
async fn finish(
    m: &Mediator,
    request: &OwnRequest,
    mut session: Session,
    entry: &OwnedDevice,
    located: &Located,
    deadline: &mut Deadline,
) -> Result<Owned, OwnError> {
    let device_error = |error| OwnError::Device {
        error,
        left: DeviceLeft::KeyKept,
        di: Some(entry.di),
    };
    m.checkpoint()?;
    let step = "read the provisioning state";
    let response = session
        .request(ocf_get("/oic/sec/pstat"), deadline.at(), step)
        .await
        .map_err(device_error)?;
    let pstat = cbor_body(session.name(), step, &response).map_err(device_error)?;
    let state = field(&pstat, "dos")
        .and_then(|d| field(d, "s"))
        .and_then(|s| s.as_integer())
        .map(i128::from);
    // What follows depends on the state: a pstat that does not say it (or
    // says it as something else than dos.s) is a broken device.
    if state.is_none() {
        return Err(device_error(DeviceError::Malformed {
            peer: session.name().to_owned(),
            step: step.into(),
            detail: "its pstat has no dos.s (the provisioning state as an integer)".into(),
        }));
    }
    if state == Some(RFOTM) {
        // It holds our key but never left RFOTM, and only a DOC may finish
        // that: reset it, and take it afresh once it is back.
        m.interaction().notice(&Notice::Note(&format!(
            "{} stopped half-way through ownership; resetting it to start over",
            located.label()
        )));
        m.checkpoint()?;
        send_step(&mut session, &reset_step(), deadline.at())
            .await
            .map_err(device_error)?;
        session.close().await;
        let back = super::reset::wait_until_unowned(m, located.record.address, deadline.at())
            .await
            .map_err(device_error)?;
        let mut afresh = back;
        afresh.attempts.extend(located.entry.iter().cloned());
        afresh.attempts.extend(located.attempts.iter().cloned());
        return transfer(m, request, &afresh, deadline).await;
    }
    let owner = m.owner().await.map_err(|error| OwnError::Store {
        error,
        left: DeviceLeft::KeyKept,
    })?;
    for step in owner_steps(owner, located.record.cloud_conf.as_deref()) {
        m.interaction().progress(&Progress::Step {
            subject: &located.label(),
            what: step.what,
        });
        m.checkpoint()?;
        send_step(&mut session, &step, deadline.at())
            .await
            .map_err(device_error)?;
    }
    session.close().await;
    finish_record(m, entry.di, located).await?;
    Ok(Owned {
        di: entry.di,
        previous_di: entry.previous_uuid.unwrap_or(entry.di),
        name: located.record.name.clone(),
        method: entry.otm.clone(),
        keyring: entry.keyring,
        change: OwnChange::Finished,
    })
}
