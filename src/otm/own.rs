//! `own`: taking ownership of a device, crash-safe.
//!
//! The order that makes it safe:
//! 1. everything that can be checked without the device is checked first
//!    (the method is offered, trust anchors are given, a PIN can be read);
//! 2. our record of the device, under the UUID it will take, is written
//!    (for a Random PIN once the PIN is entered), with the local port of
//!    the ownership session it is about to open;
//! 3. unsecured, the method is selected (`oxmsel`), for every method: the
//!    device accepts no ownership session before (FACTS §5);
//! 4. the device ownership connection (DOC) opens; the owner key is
//!    derived from its key material as soon as it exists and written
//!    (sealed) while the first DOC steps run;
//! 5. the steps that make the device look owned (`owned`, RFPRO) wait until
//!    record and key are durable: from then on, whatever the device holds,
//!    we hold too. A refusal resets the device while the DOC allows it; a
//!    store failure resets it (it is still in RFOTM);
//! 6. still in the DOC, as the reference tool does: ACL, RFNOP; the record
//!    is marked complete.
//!
//! Run again, `own` finds its record and resumes (`resume.rs`): it finishes
//! over an owner session, or takes the device afresh once it is unowned.

use std::sync::Arc;
use std::time::{Duration, Instant};

use uuid::Uuid;

use super::doc::{
    StoreWrites, abort_refused, abort_rejected, abort_unprovisioned, abort_unstored,
    check_uuid_taken, select_method, send_step,
};
use super::error::{DeviceLeft, OwnError};
use super::{Method, RDP_IDENTITY, doc_steps, owner_steps_with, random_pin_psk};
use crate::dtls::{ClientConfig, derive_owner_psk};
use crate::interact::{Declined, Notice, PinRequest, Progress, Secret};
use crate::mediator::{Located, Mediator, secure_endpoint};
use crate::ocf::address::DeviceRef;
use crate::ocf::link::Session;
use crate::ocf::{DeviceError, DoxmProblem};
use crate::store::{KeyringKind, OwnedDevice, OwnerKey};

/// How many PINs a person may try; each try selects the method again, so
/// the device shows a new PIN.
pub const PIN_TRIES: u32 = 3;

/// Which method to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MethodChoice {
    /// From the device's offer: the manufacturer certificate when trust
    /// anchors are given, else Just Works, else Random PIN.
    Auto,
    Only(Method),
}

/// What to own, and how.
#[derive(Clone)]
pub struct OwnRequest {
    pub device: DeviceRef,
    pub method: MethodChoice,
    /// Trust anchors (DER) for manufacturer certificates.
    pub mfg_trust_anchors: Vec<Vec<u8>>,
    /// The Random PIN, when it is known in advance (a batch's PIN file):
    /// one try, nobody is asked.
    pub pin: Option<Arc<Secret>>,
    /// Writes to make inside the ownership session while the device is in
    /// RFPRO (`provision` puts the cloud configuration there).
    pub provisioning: Option<Arc<dyn Provisioning>>,
}

impl OwnRequest {
    /// Owning `device` with `method` and nothing else.
    pub fn new(device: DeviceRef, method: MethodChoice) -> OwnRequest {
        OwnRequest {
            device,
            method,
            mfg_trust_anchors: Vec::new(),
            pin: None,
            provisioning: None,
        }
    }
}

impl std::fmt::Debug for OwnRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnRequest")
            .field("device", &self.device)
            .field("method", &self.method)
            .field("mfg_trust_anchors", &self.mfg_trust_anchors.len())
            .field("pin", &self.pin.is_some())
            .field("provisioning", &self.provisioning.is_some())
            .finish()
    }
}

/// The boxed future [`Provisioning::prepare`] returns.
pub type Prepared = std::pin::Pin<
    Box<
        dyn std::future::Future<
                Output = Result<Vec<super::Step>, Box<dyn std::error::Error + Send + Sync>>,
            > + Send,
    >,
>;

/// The boxed future [`Provisioning::read_in_session`] returns: what was
/// read becomes a [`Prepared`] future, run beside the session's next steps.
pub type InSession<'a> = std::pin::Pin<
    Box<
        dyn std::future::Future<
                Output = Result<Option<Prepared>, Box<dyn std::error::Error + Send + Sync>>,
            > + Send
            + 'a,
    >,
>;

/// Extra writes an ownership session makes while the device is in RFPRO,
/// where it has full access to the device configuration resources: one
/// session owns and provisions the device.
pub trait Provisioning: Send + Sync {
    /// Whether its writes need the device's cloud configuration resource
    /// (a device that lists none is refused before anything is sent).
    fn needs_cloud_conf(&self) -> bool {
        true
    }

    /// The writes for the device that is about to take UUID `di` and lists
    /// its cloud configuration resource at `cloud_conf`. Called as soon as
    /// the UUID is chosen, and run while the device is talked to; awaited
    /// before the device is made to look owned, so that a failure here
    /// leaves it unowned.
    fn prepare(&self, di: Uuid, cloud_conf: Option<String>) -> Prepared;

    /// Reads what the writes need from the device itself (e.g. its CSR),
    /// in the ownership session, once the device has taken UUID `di` and
    /// before it looks owned. The rest (e.g. having the CSR signed) is the
    /// returned future: it runs beside the session's next steps, and its
    /// writes join those of [`Provisioning::prepare`]. A failure here, or
    /// in that future, leaves the device unowned. Default: nothing to read.
    fn read_in_session<'a>(
        &'a self,
        _di: Uuid,
        _session: &'a mut Session,
        _deadline: Instant,
    ) -> InSession<'a> {
        Box::pin(async { Ok(None) })
    }

    /// Called once the device, now `di`, is owned and provisioned, beside
    /// the write that marks our record complete (so that the store commits
    /// both at once): e.g. a record of what was written. It cannot fail the
    /// ownership; what it could not record, its owner records later.
    fn owned(
        &self,
        _di: Uuid,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        Box::pin(async {})
    }

    /// The device's answer to each request sent once the writes were
    /// prepared (theirs among them), e.g. the cloud configuration's status
    /// after it was written.
    fn answered(&self, _href: &str, _response: &crate::coap::Response) {}
}

/// Several provisionings in one ownership session, their writes in order.
pub struct Provisionings(pub Vec<Arc<dyn Provisioning>>);

impl Provisioning for Provisionings {
    fn needs_cloud_conf(&self) -> bool {
        self.0.iter().any(|p| p.needs_cloud_conf())
    }

    fn prepare(&self, di: Uuid, cloud_conf: Option<String>) -> Prepared {
        let all: Vec<Prepared> = self
            .0
            .iter()
            .map(|p| p.prepare(di, cloud_conf.clone()))
            .collect();
        Box::pin(join_steps(all))
    }

    fn owned(
        &self,
        di: Uuid,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            for p in &self.0 {
                p.owned(di).await;
            }
        })
    }

    fn answered(&self, href: &str, response: &crate::coap::Response) {
        for p in &self.0 {
            p.answered(href, response);
        }
    }

    fn read_in_session<'a>(
        &'a self,
        di: Uuid,
        session: &'a mut Session,
        deadline: Instant,
    ) -> InSession<'a> {
        Box::pin(async move {
            let mut read = Vec::new();
            for p in &self.0 {
                if let Some(prepared) = p.read_in_session(di, session, deadline).await? {
                    read.push(prepared);
                }
            }
            Ok(match read.len() {
                0 => None,
                // One alone is spawned by the caller already.
                1 => read.pop(),
                _ => Some(Box::pin(join_steps(read)) as Prepared),
            })
        })
    }
}

/// The steps of several prepared futures, run at once, in their order.
async fn join_steps(
    all: Vec<Prepared>,
) -> Result<Vec<super::Step>, Box<dyn std::error::Error + Send + Sync>> {
    let handles: Vec<_> = all.into_iter().map(tokio::spawn).collect();
    let mut steps = Vec::new();
    for handle in handles {
        steps.extend(handle.await.map_err(Box::new)??);
    }
    Ok(steps)
}

/// What `own` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OwnChange {
    /// The device was taken.
    Taken,
    /// An ownership that had stopped half-way was finished.
    Finished,
    /// It was already ours; nothing was done.
    AlreadyOwned,
}

/// A device owned by this mediator.
#[derive(Clone, Debug)]
pub struct Owned {
    /// The device's UUID now.
    pub di: Uuid,
    /// Its UUID before (the transfer gives it a new one).
    pub previous_di: Uuid,
    pub name: Option<String>,
    /// The method's short name (`jw`, `rdp`, `mfg`).
    pub method: String,
    pub keyring: KeyringKind,
    pub change: OwnChange,
}

/// Takes ownership of `request.device`, or finishes an ownership that
/// stopped half-way. Within the mediator's timeout (time spent waiting for a
/// person at a prompt not counted).
pub async fn own(m: &Mediator, request: OwnRequest) -> Result<Owned, OwnError> {
    check(m, &request)?;
    let deadline = Deadline::new(m.timeout());
    m.prepare_sessions(m.keyring());
    let located = m.locate(&request.device, deadline.at()).await?;
    own_located(m, &request, located, deadline).await
}

/// What can be checked before anything is sent: trust anchors for the
/// manufacturer certificate method, and whether a PIN can be had.
pub fn check(m: &Mediator, request: &OwnRequest) -> Result<(), OwnError> {
    if request.method == MethodChoice::Only(Method::ManufacturerCertificate)
        && request.mfg_trust_anchors.is_empty()
    {
        return Err(OwnError::Invalid(
            "the manufacturer certificate method needs the manufacturer's trust anchors (--mfg-ca FILE)"
                .into(),
        ));
    }
    if request.method == MethodChoice::Only(Method::RandomPin) && request.pin.is_none() {
        m.interaction()
            .can_provide_pin()
            .map_err(OwnError::Declined)?;
    }
    Ok(())
}

/// As [`own`], for a device already located (`provision` finds it first),
/// within `deadline`.
pub async fn own_located(
    m: &Mediator,
    request: &OwnRequest,
    located: Located,
    mut deadline: Deadline,
) -> Result<Owned, OwnError> {
    m.owner().await.map_err(|error| OwnError::Store {
        error,
        left: DeviceLeft::Untouched,
    })?;
    let subject = located.label();
    let result = decide(m, request, located, &mut deadline).await;
    m.interaction()
        .progress(&Progress::Done { subject: &subject });
    result
}

/// What to do with the device as found.
async fn decide(
    m: &Mediator,
    request: &OwnRequest,
    located: Located,
    deadline: &mut Deadline,
) -> Result<Owned, OwnError> {
    let owned = located.record.owned;
    match (&located.entry, owned) {
        (Some(entry), Some(true) | None) if entry.complete => Ok(Owned {
            di: entry.di,
            previous_di: entry.previous_uuid.unwrap_or(entry.di),
            name: located.record.name.clone(),
            method: entry.otm.clone(),
            keyring: entry.keyring,
            change: OwnChange::AlreadyOwned,
        }),
        // Ours once, unowned now (reset at the device): the old key is
        // worthless. Start over.
        (Some(entry), Some(false)) => {
            // Unless it is an impostor: another device giving the UUID of
            // one we own, which still answers, owned, where we left it.
            // Taking "it" afresh would drop the real device's key.
            if entry.complete {
                if let Some(at) = m
                    .answers_owned_elsewhere(entry, located.record.address, deadline.at())
                    .await
                {
                    return Err(OwnError::device(
                        DeviceError::Malformed {
                            peer: format!(
                                "{} at {}",
                                located.label(),
                                crate::ocf::address::format_addr(located.record.address)
                            ),
                            step: "discovery".into(),
                            detail: format!(
                                "it says it is {}, unowned, but the device of that UUID, which \
                                 this mediator owns, still answers, owned, at {}: two devices \
                                 claim one UUID, and neither is taken",
                                entry.di,
                                crate::ocf::address::format_addr(at)
                            ),
                        },
                        DeviceLeft::Untouched,
                    ));
                }
            }
            m.interaction().notice(&Notice::Note(&format!(
                "{} is unowned again; taking it afresh",
                located.label()
            )));
            transfer(m, request, &located, deadline).await
        }
        (Some(_), _) => super::resume::resume(m, request, located, deadline).await,
        (None, Some(false)) => transfer(m, request, &located, deadline).await,
        // Looks owned (its doxm refused to be read) while an unfinished
        // attempt of ours is on record: it may be busy with our own
        // interrupted ownership session.
        (None, _) if !located.attempts.is_empty() => {
            super::resume::resume(m, request, located, deadline).await
        }
        (None, None) if located.record.doxm_problem.is_some() => Err(doxm_unknown(&located)),
        (None, _) => Err(OwnError::OwnedByAnother {
            device: located.label(),
        }),
    }
}

/// A device whose doxm was not answered in time, or answered but cannot be
/// used: not a sign of another owner (an owned device refuses the read with
/// 4.01), and nothing to take a device by.
pub(super) fn doxm_unknown(located: &Located) -> OwnError {
    let peer = located.label();
    let step = "reading its ownership state (GET /oic/sec/doxm)".to_owned();
    let error = match &located.record.doxm_problem {
        Some(DoxmProblem::Unusable(detail)) => DeviceError::Malformed {
            peer,
            step,
            detail: detail.clone(),
        },
        Some(DoxmProblem::NotAnswered) | None => DeviceError::TimedOut { peer, step },
    };
    OwnError::device(error, DeviceLeft::Untouched)
}

/// A fresh ownership transfer of an unowned device. Records of earlier,
/// unfinished attempts on it are dropped once it succeeds. A device that
/// kept part of an attempt of ours across a restart is reset first
/// (`leftovers.rs`).
pub(super) async fn transfer(
    m: &Mediator,
    request: &OwnRequest,
    located: &Located,
    deadline: &mut Deadline,
) -> Result<Owned, OwnError> {
    match super::leftovers::clear(m, located, deadline.at()).await? {
        Some(back) => transfer_clean(m, request, &back, deadline).await,
        None => transfer_clean(m, request, located, deadline).await,
    }
}

async fn transfer_clean(
    m: &Mediator,
    request: &OwnRequest,
    located: &Located,
    deadline: &mut Deadline,
) -> Result<Owned, OwnError> {
    let record = &located.record;
    let label = located.label();
    let method = choose_method(request, located)?;
    if request
        .provisioning
        .as_ref()
        .is_some_and(|p| p.needs_cloud_conf())
        && record.cloud_conf.is_none()
    {
        return Err(OwnError::Invalid(format!(
            "{label} lists no cloud configuration resource (oic.r.coapcloudconf), so it cannot use a cloud"
        )));
    }
    if method == Method::RandomPin && request.pin.is_none() {
        m.interaction()
            .can_provide_pin()
            .map_err(OwnError::Declined)?;
    }
    let secure = secure_endpoint(located)?;
    let owner = m.owner().await.map_err(|error| OwnError::Store {
        error,
        left: DeviceLeft::Untouched,
    })?;
    let progress = |what: &str| {
        m.interaction().progress(&Progress::Step {
            subject: &label,
            what,
        })
    };
    progress(&format!("taking ownership by {method}"));
    let new_uuid = Uuid::new_v4();
    let mut entry = OwnedDevice {
        di: new_uuid,
        name: record.name.clone().unwrap_or_default(),
        endpoints: record.endpoints.clone(),
        otm: method.name().into(),
        keyring: m.keyring(),
        complete: false,
        previous_uuid: Some(record.di),
        doc_port: None,
        created: None,
        updated: None,
    };
    let mut writes = StoreWrites::new(m.store().clone());
    let mut provisioning = request
        .provisioning
        .as_ref()
        .map(|p| tokio::spawn(p.prepare(new_uuid, record.cloud_conf.clone())));
    let tries = match (method, &request.pin) {
        (Method::RandomPin, None) => PIN_TRIES,
        _ => 1,
    };
    let mut doc = None;
    for attempt in 1..=tries {
        // The session's socket first: its port goes into our record.
        let socket = crate::net::secure::SecureSession::bind(secure, 0)
            .await
            .map_err(|e| {
                OwnError::device(
                    DeviceError::from_session(&label, "ownership transfer", e),
                    DeviceLeft::Untouched,
                )
            })?;
        entry.doc_port = socket.local_addr().ok().map(|a| a.port());
        if method != Method::RandomPin {
            writes.record(entry.clone());
        }
        m.checkpoint()?;
        if let Err(e) = select_method(record, method, deadline.at()).await {
            writes.forget_on_failure(new_uuid).await;
            return Err(OwnError::device(e, DeviceLeft::Untouched));
        }
        let config =
            match doc_config(m, request, method, record.di, &label, attempt, deadline).await {
                Ok(config) => config,
                Err(e) => {
                    restore_oxmsel(m, located, deadline.at()).await;
                    writes.forget_on_failure(new_uuid).await;
                    return Err(e);
                }
            };
        if method == Method::RandomPin {
            writes.record(entry.clone());
        }
        if let Err(error) = writes.record_durable().await {
            restore_oxmsel(m, located, deadline.at()).await;
            writes.forget_on_failure(new_uuid).await;
            return Err(OwnError::Store {
                error,
                left: DeviceLeft::Untouched,
            });
        }
        progress("opening the device ownership connection");
        m.checkpoint()?;
        let mut key_sent = false;
        let opened = crate::net::secure::SecureSession::handshake(
            socket,
            secure,
            config,
            deadline.at(),
            |material| {
                // The key's write starts as soon as the session's keys
                // exist, a round trip before the device confirms them.
                let key = derive_owner_psk(
                    &material,
                    method.urn(),
                    *owner.as_bytes(),
                    *new_uuid.as_bytes(),
                );
                writes.key(entry.clone(), OwnerKey::new(&key));
                key_sent = true;
            },
        )
        .await
        .map_err(|e| DeviceError::from_session(&label, "ownership transfer handshake", e));
        match opened {
            Ok(session) if key_sent => {
                doc = Some(Session::from_secure(session, label.clone()));
                break;
            }
            Ok(session) => {
                session.close().await;
                writes.forget_on_failure(new_uuid).await;
                restore_oxmsel(m, located, deadline.at()).await;
                return Err(OwnError::device(
                    DeviceError::Malformed {
                        peer: label.clone(),
                        step: "ownership transfer handshake".into(),
                        detail: "the session exported no key material".into(),
                    },
                    DeviceLeft::Untouched,
                ));
            }
            Err(error) => {
                // Nothing of ownership was written: drop what was stored
                // and leave the device as found.
                writes.forget_on_failure(new_uuid).await;
                let refused = matches!(error, DeviceError::Authentication { .. });
                // Another try only with another PIN to try (a PIN on stdin
                // is read once).
                if refused && attempt < tries && m.interaction().can_provide_pin().is_ok() {
                    m.interaction().notice(&Notice::Note(&format!(
                        "{label} did not accept the PIN; it shows a new one now"
                    )));
                    writes = StoreWrites::new(m.store().clone());
                    continue;
                }
                restore_oxmsel(m, located, deadline.at()).await;
                if refused {
                    return Err(OwnError::NotAuthenticated {
                        device: label,
                        method,
                        tries: attempt,
                        error,
                    });
                }
                return Err(OwnError::device(error, DeviceLeft::Untouched));
            }
        }
    }
    let Some(mut doc) = doc else {
        unreachable!("every try either opened the session or returned");
    };
    let name = format!("ocf-mediator {}", &owner.to_string()[..8]);
    // The whole reference sequence runs in the DOC, as the reference tool
    // does (FACTS §2.4, steps 3–15): a separate owner session for the ACL
    // and RFNOP would cost a second handshake.
    let mut steps = doc_steps(owner, new_uuid, &name);
    let mut extended = false;
    // What the provisioning read in the session, being turned into writes.
    let mut read_prepared: Option<tokio::task::JoinHandle<_>> = None;
    let mut index = 0;
    while index < steps.len() {
        let step = steps[index].clone();
        index += 1;
        if step.needs_stored_key {
            if let Err(error) = writes.finish().await {
                return Err(abort_unstored(m, doc, new_uuid, error, deadline.at()).await);
            }
        }
        if step.needs_stored_key && !extended {
            extended = true;
            // The provisioning writes must be ready before the device looks
            // owned: if they cannot be had, it is reset, still unowned.
            let mut extra = Vec::new();
            for prepared in [provisioning.take(), read_prepared.take()]
                .into_iter()
                .flatten()
            {
                match prepared.await {
                    Ok(Ok(more)) => extra.extend(more),
                    Ok(Err(error)) => {
                        return Err(
                            abort_unprovisioned(m, doc, new_uuid, error, deadline.at()).await
                        );
                    }
                    Err(stopped) => {
                        return Err(abort_unprovisioned(
                            m,
                            doc,
                            new_uuid,
                            Box::new(stopped),
                            deadline.at(),
                        )
                        .await);
                    }
                }
            }
            steps.extend(owner_steps_with(owner, record.cloud_conf.as_deref(), extra));
        }
        progress(step.what);
        m.checkpoint()?;
        let sent = send_step(&mut doc, &step, deadline.at()).await;
        if let Ok(Some(response)) = &sent {
            if let Err(error) = check_uuid_taken(&step, response, new_uuid, doc.name()) {
                if let Err(store_error) = writes.finish().await {
                    return Err(abort_unstored(m, doc, new_uuid, store_error, deadline.at()).await);
                }
                return Err(abort_rejected(m, doc, new_uuid, error, deadline.at()).await);
            }
        }
        match sent {
            Ok(Some(response)) if extended => {
                if let Some(provisioning) = &request.provisioning {
                    provisioning.answered(&step.href, &response);
                }
            }
            Ok(_) => {}
            Err(error) => {
                if let Err(store_error) = writes.finish().await {
                    return Err(abort_unstored(m, doc, new_uuid, store_error, deadline.at()).await);
                }
                return Err(abort_refused(m, doc, new_uuid, error, deadline.at()).await);
            }
        }
        if step.uuid_taken {
            if let Some(wanted) = &request.provisioning {
                m.checkpoint()?;
                match wanted
                    .read_in_session(new_uuid, &mut doc, deadline.at())
                    .await
                {
                    Ok(Some(prepared)) => read_prepared = Some(tokio::spawn(prepared)),
                    Ok(None) => {}
                    Err(error) => {
                        if let Err(store_error) = writes.finish().await {
                            return Err(abort_unstored(
                                m,
                                doc,
                                new_uuid,
                                store_error,
                                deadline.at(),
                            )
                            .await);
                        }
                        return Err(
                            abort_unprovisioned(m, doc, new_uuid, error, deadline.at()).await
                        );
                    }
                }
            }
        }
    }
    writes.finish().await.map_err(|error| OwnError::Store {
        error,
        left: DeviceLeft::KeyKept,
    })?;
    doc.close().await;
    debug_assert!(
        provisioning.is_none() && read_prepared.is_none(),
        "the provisioning writes were sent"
    );
    // What the provisioning records goes beside the completion of our
    // record: the store commits both at once.
    let recorded = async {
        if let Some(wanted) = &request.provisioning {
            wanted.owned(new_uuid).await;
        }
    };
    let (finished, ()) = tokio::join!(finish_record(m, new_uuid, located), recorded);
    finished?;
    Ok(Owned {
        di: new_uuid,
        previous_di: record.di,
        name: record.name.clone(),
        method: method.name().into(),
        keyring: m.keyring(),
        change: OwnChange::Taken,
    })
}

/// Marks the record complete and drops the records of earlier, unfinished
/// attempts on the device: it holds only the credential just installed.
pub(super) async fn finish_record(
    m: &Mediator,
    di: Uuid,
    located: &Located,
) -> Result<(), OwnError> {
    let store_error = |error| OwnError::Store {
        error,
        left: DeviceLeft::KeyKept,
    };
    m.store().mark_complete(di).await.map_err(store_error)?;
    let stale = located
        .attempts
        .iter()
        .map(|e| e.di)
        .chain(located.entry.as_ref().map(|e| e.di))
        .filter(|stale| *stale != di);
    for stale in stale.collect::<Vec<_>>() {
        m.store().forget(stale).await.map_err(store_error)?;
    }
    Ok(())
}

/// The method to use, checked against the device's offer before anything
/// is sent.
pub(super) fn choose_method(request: &OwnRequest, located: &Located) -> Result<Method, OwnError> {
    let oxms = &located.record.oxms;
    let method = match request.method {
        MethodChoice::Auto => Method::choose(oxms, !request.mfg_trust_anchors.is_empty()),
        MethodChoice::Only(method) => Some(method),
    };
    match method {
        Some(m) if oxms.contains(&m.oxm()) => {
            if m == Method::ManufacturerCertificate && request.mfg_trust_anchors.is_empty() {
                return Err(OwnError::Invalid(
                    "the manufacturer certificate method needs the manufacturer's trust anchors (--mfg-ca FILE)"
                        .into(),
                ));
            }
            Ok(m)
        }
        asked => Err(OwnError::MethodNotOffered {
            device: located.label(),
            asked,
            offered: oxms.clone(),
        }),
    }
}

/// The DOC's DTLS configuration; for a Random PIN, asks for the PIN the
/// device shows now.
async fn doc_config(
    m: &Mediator,
    request: &OwnRequest,
    method: Method,
    device_uuid: Uuid,
    label: &str,
    attempt: u32,
    deadline: &mut Deadline,
) -> Result<Arc<ClientConfig>, OwnError> {
    let mut config = ClientConfig::new(method.cipher_suites());
    match method {
        Method::JustWorks => {}
        Method::RandomPin => {
            let pin = ask_pin(m, request, label, attempt, deadline).await?;
            let typed = super::normalize_pin(pin.expose()).map_err(|reason| {
                OwnError::Declined(Declined::NotInteractive {
                    hint: format!("the PIN is not usable: {reason}"),
                })
            })?;
            let key = random_pin_psk(&typed, device_uuid);
            config = config.with_psk(RDP_IDENTITY, &key);
        }
        Method::ManufacturerCertificate => {
            config.common.trust_anchors = request.mfg_trust_anchors.clone();
        }
    }
    Ok(Arc::new(config))
}

/// Asks the person for the PIN; the time spent at the prompt does not count
/// against the operation's timeout.
async fn ask_pin(
    m: &Mediator,
    request: &OwnRequest,
    label: &str,
    attempt: u32,
    deadline: &mut Deadline,
) -> Result<Secret, OwnError> {
    if let Some(pin) = &request.pin {
        return Ok(Secret::new(pin.expose()));
    }
    let interaction = m.interaction_handle();
    let pin_request = PinRequest {
        device: label.to_owned(),
        attempt,
        attempts: PIN_TRIES,
    };
    let asked_at = crate::net::now();
    let answer = tokio::task::spawn_blocking(move || interaction.pin(&pin_request))
        .await
        .unwrap_or(Err(Declined::Cancelled));
    deadline.extend(asked_at.elapsed());
    answer.map_err(OwnError::Declined)
}

/// Puts `oxmsel` back after a transfer that failed before anything else
/// was written, when the old value is one the device accepts again.
async fn restore_oxmsel(m: &Mediator, located: &Located, deadline: Instant) {
    let Some(previous) = located.record.oxmsel else {
        return;
    };
    let Some(method) = Method::from_oxm(previous) else {
        return;
    };
    if located.record.oxms.contains(&previous) && m.checkpoint().is_ok() {
        let _ = select_method(&located.record, method, deadline).await;
    }
}

/// For a refused certificate: which certificate and why, from the
/// handshake's error.
pub(super) fn certificate_detail(error: &DeviceError) -> String {
    match crate::ocf::error::authentication_detail(error) {
        // The DTLS layer's "trusted certificates" are --mfg-ca's here.
        Some(detail) if detail.contains("certificate") => format!(
            " ({})",
            detail.replace(
                "any of the trusted certificates",
                "any certificate in --mfg-ca"
            )
        ),
        _ => String::new(),
    }
}

/// The operation's deadline: the timeout from the start, moved on by the
/// time spent waiting for a person.
#[derive(Clone, Copy, Debug)]
pub struct Deadline {
    at: Instant,
}

impl Deadline {
    pub fn new(timeout: Duration) -> Deadline {
        Deadline {
            at: crate::net::now() + timeout,
        }
    }

    pub fn at(&self) -> Instant {
        self.at
    }

    pub(super) fn extend(&mut self, by: Duration) {
        self.at += by;
    }
}
