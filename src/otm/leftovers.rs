//! A device that restarted half-way through an ownership of ours.
//!
//! A device that drops an ownership session while in RFOTM undoes what it
//! wrote, but one that restarts (a power cut, a crash) loses the session
//! and keeps the writes: iotivity-lite stores each one as it is made and
//! loads them at boot (`oc_store.c`). It comes back in RFOTM naming an
//! owner, perhaps `owned`, perhaps holding an owner credential with the
//! lost session's key; a new ownership would add its credential to that
//! one rather than replace it (FACTS §3), and the old key would be found
//! first. Such a device answers an unsecured doxm read (it runs no
//! ownership session) and opens a new session at once: in it, it is reset
//! (RFOTM may go to RESET, FACTS §2.5), and taken afresh once it is back.
//! A device busy with a live session refuses both, and is left to the
//! caller's wait.

use std::time::{Duration, Instant};

use super::doc::{select_method, send_step};
use super::error::{DeviceLeft, OwnError};
use super::{Method, reset_step};
use crate::dtls::ClientConfig;
use crate::interact::Notice;
use crate::mediator::{Located, Mediator, secure_endpoint};
use crate::ocf::DeviceError;
use crate::ocf::link::{Session, cbor_body, plain_request};
use crate::ocf::request::ocf_get;
use crate::ocf::resources::field;

/// How long a handshake is given to show that the device runs no other
/// ownership session (a busy device drops it silently).
const HANDSHAKE_WAIT: Duration = Duration::from_millis(1500);

/// How often a reset device is asked whether it has acted on it.
const POLL: Duration = Duration::from_millis(250);

/// When an earlier attempt of ours on the device is on record and the
/// device kept part of it: resets it and returns it as found once it is
/// back unowned, with our earlier records among its attempts. `None` when
/// there was nothing to clear (or it could not be: no Just Works, or busy).
pub(super) async fn clear(
    m: &Mediator,
    located: &Located,
    deadline: Instant,
) -> Result<Option<Located>, OwnError> {
    let ours = located.entry.is_some() || !located.attempts.is_empty();
    if !ours || read(located, deadline).await == Doxm::Clean {
        return Ok(None);
    }
    if !reset_in_new_doc(located, deadline).await {
        return Ok(None);
    }
    m.interaction().notice(&Notice::Note(&format!(
        "{} restarted half-way through an ownership and kept part of it; resetting it to start over",
        located.label()
    )));
    // Unowned is not enough: the device may say so before it acts on the
    // reset (after a delay), still holding the kept writes.
    let give_up = deadline + super::RESET_DELAY;
    while kept(located, give_up).await {
        if crate::net::now() >= give_up {
            return Err(OwnError::device(
                DeviceError::TimedOut {
                    peer: located.label(),
                    step: "coming back unowned after the reset".into(),
                },
                DeviceLeft::Untouched,
            ));
        }
        tokio::time::sleep(POLL).await;
    }
    let mut back = super::reset::wait_until_unowned(m, located.record.address, deadline)
        .await
        .map_err(|error| OwnError::device(error, DeviceLeft::Untouched))?;
    back.attempts.extend(located.entry.iter().cloned());
    back.attempts.extend(located.attempts.iter().cloned());
    Ok(Some(back))
}

/// What an unsecured doxm read says of ownership.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Doxm {
    /// No owner named, not owned.
    Clean,
    /// An owner named, or owned.
    Kept,
    /// Refused or unanswered: a device busy with an ownership session, an
    /// owned one, or one that restarted saying `owned` in RFOTM (it serves
    /// doxm unsecured only while unowned).
    Unreadable,
}

async fn read(located: &Located, deadline: Instant) -> Doxm {
    let step = "read the ownership state";
    let address = located.record.address;
    let Ok(response) = plain_request(address, ocf_get("/oic/sec/doxm"), deadline, step).await
    else {
        return Doxm::Unreadable;
    };
    if !response.code.is_success() {
        return Doxm::Unreadable;
    }
    let Ok(doxm) = cbor_body(&located.label(), step, &response) else {
        return Doxm::Unreadable;
    };
    let owned = field(&doxm, "owned").and_then(|v| v.as_bool()) == Some(true);
    let owner = field(&doxm, "devowneruuid")
        .and_then(|v| v.as_text())
        .and_then(|t| uuid::Uuid::parse_str(t).ok())
        .is_some_and(|u| !u.is_nil());
    if owned || owner {
        Doxm::Kept
    } else {
        Doxm::Clean
    }
}

/// Whether the device still keeps what an ownership wrote (or cannot say).
pub(super) async fn kept(located: &Located, deadline: Instant) -> bool {
    read(located, deadline).await != Doxm::Clean
}

/// Opens a new ownership session by Just Works (when offered) and asks for
/// a hard reset in it; whether the device agreed. Only a device in RFOTM
/// running no other ownership session opens one: a busy or owned device
/// drops the handshake, which is given a short while only.
async fn reset_in_new_doc(located: &Located, deadline: Instant) -> bool {
    if !located.record.oxms.is_empty() && !located.record.oxms.contains(&Method::JustWorks.oxm()) {
        return false;
    }
    let wait = deadline.min(crate::net::now() + HANDSHAKE_WAIT);
    // A device that serves doxm takes the selection; one that restarted
    // saying `owned` refuses it but kept the method selected before.
    let _ = select_method(&located.record, Method::JustWorks, wait).await;
    let Ok(secure) = secure_endpoint(located) else {
        return false;
    };
    let config = std::sync::Arc::new(ClientConfig::new(Method::JustWorks.cipher_suites()));
    let Ok(mut session) = Session::open(secure, config, wait, "resetting", 0).await else {
        return false;
    };
    let reset = send_step(&mut session, &reset_step(), deadline)
        .await
        .is_ok();
    session.close().await;
    reset
}
