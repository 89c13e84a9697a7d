//! `disown`: hard reset over the owner session, wait for the device to come
//! back unowned, then forget its record and key (FACTS §2.5). Or, with
//! `forget_only`, forget them without talking to the device.

use uuid::Uuid;

use super::doc::send_step;
use super::error::DisownError;
use super::reset_step;
use crate::interact::{Declined, Progress};
use crate::mediator::{Mediator, label};
use crate::ocf::address::DeviceRef;
use crate::store::OwnedDevice;

/// What to disown.
#[derive(Clone, Debug)]
pub struct DisownRequest {
    pub device: DeviceRef,
    /// Drop our record and key without talking to the device.
    pub forget_only: bool,
    /// Go ahead without asking (`--yes`).
    pub confirmed: bool,
}

/// What `disown` did.
#[derive(Clone, Debug)]
pub enum Disowned {
    /// The device was reset; it is back, unowned, as `new_di`.
    Reset { di: Uuid, new_di: Uuid },
    /// Our record and key are gone; `was_complete` when the device had been
    /// fully owned (and, if it still exists, stays so until reset at the
    /// device).
    Forgotten { di: Uuid, was_complete: bool },
}

pub async fn disown(m: &Mediator, request: DisownRequest) -> Result<Disowned, DisownError> {
    if request.forget_only {
        return forget(m, &request).await;
    }
    let deadline = crate::net::now() + m.timeout();
    let known = known_entry(m, &request.device).await?;
    if let Some(entry) = &known {
        m.prepare_sessions(entry.keyring);
    }
    let located = m
        .locate(&request.device, deadline)
        .await
        .map_err(|e| match (e, &known) {
            (crate::mediator::AccessError::Device(error), Some(entry)) => DisownError::Device {
                error,
                di: Some(entry.di),
            },
            (e, _) => e.into(),
        })?;
    let Some(entry) = located.entry.clone() else {
        return Err(DisownError::NotOurs {
            device: located.label(),
        });
    };
    let shown = label(&located.record);
    confirm(
        m,
        &request,
        &format!(
            "Reset {shown} to its factory state? It forgets its owner, credentials and cloud \
             configuration, and this mediator forgets its key."
        ),
    )
    .await?;
    m.interaction().progress(&Progress::Step {
        subject: &shown,
        what: "resetting",
    });
    let device_error = |error| DisownError::Device {
        error,
        di: Some(entry.di),
    };
    let mut session = m.owner_session(&located, deadline).await?;
    m.checkpoint()?;
    send_step(&mut session, &reset_step(), deadline)
        .await
        .map_err(device_error)?;
    session.close().await;
    m.interaction().progress(&Progress::Waiting {
        subject: &shown,
        what: "waiting for the device to come back unowned",
    });
    let back = super::reset::wait_until_unowned(m, located.record.address, deadline).await;
    m.interaction()
        .progress(&Progress::Done { subject: &shown });
    let back = back.map_err(|error| DisownError::NotBack {
        di: entry.di,
        error,
    })?;
    m.store().forget(entry.di).await?;
    Ok(Disowned::Reset {
        di: entry.di,
        new_di: back.record.di,
    })
}

/// `forget_only`: the record and the key go; the device is not contacted.
async fn forget(m: &Mediator, request: &DisownRequest) -> Result<Disowned, DisownError> {
    let Some(entry) = known_entry(m, &request.device).await? else {
        return Err(DisownError::NotOurs {
            device: describe(&request.device),
        });
    };
    if entry.complete {
        confirm(
            m,
            request,
            &format!(
                "Forget {}? It is fully owned by this mediator: if it still exists, only a reset \
                 at the device makes it ownable again.",
                entry.di
            ),
        )
        .await?;
    }
    m.store().forget(entry.di).await?;
    Ok(Disowned::Forgotten {
        di: entry.di,
        was_complete: entry.complete,
    })
}

/// Our record of a device named by UUID or by a name only one of ours has.
pub(super) async fn known_entry(
    m: &Mediator,
    device: &DeviceRef,
) -> Result<Option<OwnedDevice>, DisownError> {
    Ok(match device {
        DeviceRef::Uuid(di) => m.store().device(*di).await?,
        DeviceRef::Name(name) => {
            let mut named = m.store().devices_named(name).await?;
            if named.len() == 1 { named.pop() } else { None }
        }
        DeviceRef::Address { .. } => None,
    })
}

async fn confirm(m: &Mediator, request: &DisownRequest, question: &str) -> Result<(), DisownError> {
    if request.confirmed {
        return Ok(());
    }
    let interaction = m.interaction_handle();
    let question = question.to_owned();
    let answer = tokio::task::spawn_blocking(move || interaction.confirm(&question))
        .await
        .unwrap_or(Err(Declined::Cancelled));
    match answer {
        Ok(true) => Ok(()),
        Ok(false) => Err(DisownError::NotConfirmed(None)),
        Err(reason) => Err(DisownError::NotConfirmed(Some(reason))),
    }
}

pub(super) fn describe(device: &DeviceRef) -> String {
    match device {
        DeviceRef::Uuid(di) => di.to_string(),
        DeviceRef::Name(name) => format!("{name:?}"),
        DeviceRef::Address { host, port, .. } => format!("{host}:{port}"),
    }
}
