//! The pieces of an ownership transfer that talk to the device or the
//! store: selecting the method, sending plan steps, undoing a transfer that
//! failed half-way, and the record and key writes that run while the
//! device is talked to.

use std::time::Instant;

use tokio::task::JoinHandle;
use uuid::Uuid;

use super::error::{DeviceLeft, OwnError};
use super::{Method, OnNotFound, Step, reset_step, select_step};
use crate::coap::{Code, Response};
use crate::mediator::Mediator;
use crate::ocf::address::format_addr;
use crate::ocf::link::{Session, expect_success, plain_request};
use crate::ocf::representation::encode_cbor;
use crate::ocf::request::{ocf_request, ocf_request_with_body};
use crate::ocf::{DeviceError, DeviceRecord};
use crate::store::{OwnedDevice, OwnerKey, Store, StoreError};

/// Selects the method with an unsecured POST of `oxmsel` (FACTS §2.4 step
/// 2): the device accepts no ownership session before, and shows its PIN
/// for a Random PIN.
pub(super) async fn select_method(
    record: &DeviceRecord,
    method: Method,
    deadline: Instant,
) -> Result<(), DeviceError> {
    let step = select_step(method);
    let body = step.body.as_ref().map(encode_cbor).unwrap_or_default();
    let request = ocf_request_with_body(Code::POST, &step.href, body);
    let peer = format_addr(record.address);
    let response = plain_request(record.address, request, deadline, step.what).await?;
    expect_success(&peer, step.what, &response)
}

/// Sends one step of a plan; a refusal becomes an error naming the step.
/// `None` for an optional resource the device does not have.
pub(super) async fn send_step(
    session: &mut Session,
    step: &Step,
    deadline: Instant,
) -> Result<Option<Response>, DeviceError> {
    let request = match &step.body {
        Some(body) => ocf_request_with_body(step.code, &step.href, encode_cbor(body)),
        None => ocf_request(step.code, &step.href),
    };
    let response = session.request(request, deadline, step.what).await?;
    if response.code == Code::NOT_FOUND && step.on_not_found == OnNotFound::Skip {
        return Ok(None);
    }
    expect_success(session.name(), step.what, &response)?;
    Ok(Some(response))
}

/// The device's answer to the write of its new UUID, when it carries its
/// doxm (the reference device's answer carries none), must name that UUID:
/// a device that took another (one we may already own) would derive its
/// owner key with it, and be recorded under a UUID it does not have.
pub(super) fn check_uuid_taken(
    step: &Step,
    response: &Response,
    given: Uuid,
    peer: &str,
) -> Result<(), DeviceError> {
    let writes_uuid = step.href == "/oic/sec/doxm"
        && step
            .body
            .as_ref()
            .and_then(|b| b.as_map())
            .is_some_and(|m| m.iter().any(|(k, _)| k.as_text() == Some("deviceuuid")));
    if !writes_uuid || response.payload.is_empty() {
        return Ok(());
    }
    let malformed = |detail: String| DeviceError::Malformed {
        peer: peer.to_owned(),
        step: step.what.into(),
        detail,
    };
    let doxm = crate::ocf::resources::parse_doxm(&response.payload)
        .map_err(|e| malformed(e.to_string()))?;
    match doxm.deviceuuid {
        Some(taken) if taken != given => Err(malformed(format!(
            "it took the UUID {taken} instead of the {given} it was given"
        ))),
        _ => Ok(()),
    }
}

/// After a failed DOC step: a device that refused is reset while the DOC
/// still carries requests, and the key is dropped only once it agreed.
/// Anything else (a lost device) keeps the key for a rerun.
pub(super) async fn abort_refused(
    m: &Mediator,
    doc: Session,
    new_uuid: Uuid,
    error: DeviceError,
    deadline: Instant,
) -> OwnError {
    if !error.is_refusal() {
        doc.close().await;
        return OwnError::Device {
            error,
            left: DeviceLeft::KeyKept,
            di: Some(new_uuid),
        };
    }
    abort_rejected(m, doc, new_uuid, error, deadline).await
}

/// After a DOC step whose answer we cannot accept (the device answered,
/// but not as it must): reset as after a refusal.
pub(super) async fn abort_rejected(
    m: &Mediator,
    mut doc: Session,
    new_uuid: Uuid,
    error: DeviceError,
    deadline: Instant,
) -> OwnError {
    if m.checkpoint().is_err() {
        return OwnError::Interrupted;
    }
    let reset = send_step(&mut doc, &reset_step(), deadline).await;
    doc.close().await;
    if reset.is_ok() && m.store().forget(new_uuid).await.is_ok() {
        return OwnError::device(error, DeviceLeft::Reset);
    }
    OwnError::Device {
        error,
        left: DeviceLeft::KeyKept,
        di: Some(new_uuid),
    }
}

/// The key could not be stored while the DOC was under way: the device is
/// still in RFOTM (nothing that makes it look owned was sent), so it is
/// reset over the DOC, and whatever part was stored is dropped.
pub(super) async fn abort_unstored(
    m: &Mediator,
    mut doc: Session,
    new_uuid: Uuid,
    error: StoreError,
    deadline: Instant,
) -> OwnError {
    if m.checkpoint().is_err() {
        return OwnError::Interrupted;
    }
    let reset = send_step(&mut doc, &reset_step(), deadline).await;
    doc.close().await;
    let _ = m.store().forget(new_uuid).await;
    OwnError::Store {
        error,
        left: if reset.is_ok() {
            DeviceLeft::Reset
        } else {
            DeviceLeft::Unconfirmed
        },
    }
}

/// The provisioning writes could not be prepared (no cloud token): the
/// device is still in RFOTM, so it is reset over the DOC and our record
/// and key are dropped.
pub(super) async fn abort_unprovisioned(
    m: &Mediator,
    mut doc: Session,
    new_uuid: Uuid,
    error: Box<dyn std::error::Error + Send + Sync>,
    deadline: Instant,
) -> OwnError {
    if m.checkpoint().is_err() {
        return OwnError::Interrupted;
    }
    let device = doc.name().to_owned();
    let reset = send_step(&mut doc, &reset_step(), deadline).await;
    doc.close().await;
    let left = if reset.is_ok() && m.store().forget(new_uuid).await.is_ok() {
        DeviceLeft::Reset
    } else {
        DeviceLeft::Unconfirmed
    };
    OwnError::Provisioning {
        device,
        error,
        left,
    }
}

type Write = JoinHandle<Result<(), StoreError>>;

/// Our record and the owner key, written in the background while the
/// device is talked to. Both must be durable before the device is sent
/// anything that can make it look owned (`Step::needs_stored_key`), but
/// nothing requires them earlier; waiting for each in turn would cost
/// `own` most of its time.
pub(super) struct StoreWrites {
    store: Store,
    record: Option<Write>,
    key: Option<Write>,
}

impl StoreWrites {
    pub(super) fn new(store: Store) -> StoreWrites {
        StoreWrites {
            store,
            record: None,
            key: None,
        }
    }

    /// Starts writing our (incomplete) record of the device.
    pub(super) fn record(&mut self, entry: OwnedDevice) {
        let store = self.store.clone();
        let previous = self.record.take();
        self.record = Some(tokio::spawn(async move {
            if let Some(previous) = previous {
                let _ = previous.await;
            }
            store.update_device(entry).await
        }));
    }

    /// Starts writing the owner key, sealed, with the record.
    pub(super) fn key(&mut self, entry: OwnedDevice, key: OwnerKey) {
        let store = self.store.clone();
        let record = self.record.take();
        self.key = Some(tokio::spawn(async move {
            // The record first, so that a key never stands without it.
            if let Some(record) = record {
                record.await.map_err(stopped)??;
            }
            store.put_owned(entry, &key).await
        }));
    }

    /// Waits for the record's write: it must be durable before the
    /// ownership session opens, so that a rerun after a crash finds it (and
    /// the session's port) even when the device is still busy with that
    /// session.
    pub(super) async fn record_durable(&mut self) -> Result<(), StoreError> {
        match self.record.take() {
            Some(write) => write.await.map_err(stopped).and_then(|r| r),
            None => Ok(()),
        }
    }

    /// Waits for every write started; the first failure, if any.
    pub(super) async fn finish(&mut self) -> Result<(), StoreError> {
        let record = match self.record.take() {
            Some(write) => write.await.map_err(stopped).and_then(|r| r),
            None => Ok(()),
        };
        let key = match self.key.take() {
            Some(write) => write.await.map_err(stopped).and_then(|r| r),
            None => Ok(()),
        };
        record.and(key)
    }

    /// After a failure that left the device as it was: waits for the writes
    /// under way, then drops whatever they stored.
    pub(super) async fn forget_on_failure(&mut self, di: Uuid) {
        let _ = self.finish().await;
        let _ = self.store.forget(di).await;
    }
}

fn stopped(e: tokio::task::JoinError) -> StoreError {
    StoreError::Io {
        path: std::path::PathBuf::new(),
        detail: format!("a store write stopped: {e}"),
    }
}
