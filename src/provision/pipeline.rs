//! One device from "on the network" to "registered with its cloud": find it,
//! own it (unless it is ours already) with the cloud configuration written
//! inside the same ownership session, or configure it over an owner
//! session, then wait for its registration (over that same session when
//! there is one). Each step is recorded.

use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use uuid::Uuid;

use super::progress::DeviceLine;
use super::record::{ProvisionError, ProvisionRecord, StepRecord};
use crate::cert::{IdentityInDoc, Signer};
use crate::cloud::{
    self, CloudError, CloudSession, CloudSettings, CloudState, CloudToken, ConfigureRequest,
    WaitFor, cloud_ace_step, configuration_step, trust_anchor_step,
};
use crate::interact::{Progress, Secret};
use crate::mediator::{Located, Mediator};
use crate::ocf::address::DeviceRef;
use crate::otm::{
    self, Deadline, MethodChoice, OwnChange, OwnRequest, Prepared, Provisioning, Provisionings,
};

/// How far to take a device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Goal {
    /// Owned and configured: the device knows its cloud.
    Configured,
    /// The device reported `registered`.
    Registered,
}

/// One device to provision.
#[derive(Clone)]
pub struct ProvisionRequest {
    /// As the caller named it (for the record).
    pub name: String,
    pub device: DeviceRef,
    pub method: MethodChoice,
    pub mfg_trust_anchors: Vec<Vec<u8>>,
    /// A Random PIN known in advance (a batch's PIN file or variable).
    pub pin: Option<Arc<Secret>>,
    pub cloud: CloudSettings,
    pub token: CloudToken,
    pub goal: Goal,
    /// Who signs the device's identity certificate; `None`: it gets none.
    pub identity: Option<Signer>,
}

/// The cloud's writes for the ownership session, in RFPRO: the token is
/// minted for the UUID the device takes, while the device is talked to.
/// Keeps the device's answer to the configuration (its new status).
struct CloudInDoc {
    cloud: CloudSettings,
    token: CloudToken,
    href: Mutex<Option<String>>,
    answer: Mutex<Option<CloudState>>,
}

impl Provisioning for CloudInDoc {
    fn prepare(&self, di: Uuid, cloud_conf: Option<String>) -> Prepared {
        let cloud = self.cloud.clone();
        let token = self.token.clone();
        *lock(&self.href) = cloud_conf.clone();
        Box::pin(async move {
            let href = cloud_conf.ok_or("the device lists no cloud configuration resource")?;
            let at = token.for_device(di).await?;
            Ok(vec![
                cloud_ace_step(&cloud),
                trust_anchor_step(&cloud),
                configuration_step(&cloud, &href, at.expose()),
            ])
        })
    }

    fn answered(&self, href: &str, response: &crate::coap::Response) {
        if lock(&self.href).as_deref() != Some(href) {
            return;
        }
        // An answer that cannot be read is not taken: the state is read again.
        if let Ok(value) = crate::ocf::representation::decode_cbor(&response.payload) {
            if let Ok(state) = CloudState::parse(&value) {
                *lock(&self.answer) = Some(state);
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs the pipeline for one device; the record says what happened. Its
/// progress shows on one line, under the name the caller gave.
pub async fn provision(m: &Mediator, request: &ProvisionRequest) -> ProvisionRecord {
    let line = Arc::new(DeviceLine::new(m.interaction_handle(), &request.name));
    let device_m = m.with_interaction(line);
    let mut record = ProvisionRecord::new(&request.name);
    let result = run(&device_m, request, &mut record).await;
    m.interaction().progress(&Progress::Done {
        subject: &request.name,
    });
    record.finish(result);
    record
}

async fn run(
    m: &Mediator,
    request: &ProvisionRequest,
    record: &mut ProvisionRecord,
) -> Result<(), ProvisionError> {
    let deadline = Deadline::new(m.timeout());
    let step = StepRecord::start("locate");
    m.prepare_sessions(m.keyring());
    let located = match m.locate(&request.device, deadline.at()).await {
        Ok(located) => located,
        Err(e) => return Err(record.failed(step, e.into())),
    };
    record.di = Some(located.record.di);
    record.name = located.record.name.clone();
    record.done(step);
    let ours =
        located.entry.as_ref().is_some_and(|e| e.complete) && located.record.owned != Some(false);
    // What the wait needs: the device as it is now, and the owner session
    // a configuration over one leaves open.
    let (located, open) = if ours {
        // Its certificate first: a cloud that requires one refuses it else.
        if let Some(signer) = &request.identity {
            certificate_if_missing(m, signer, &located, &deadline, record).await?;
        }
        let open = configure(m, request, record, &located, deadline.at()).await?;
        (located, Some(open))
    } else {
        let step = StepRecord::start("own");
        let in_doc = Arc::new(CloudInDoc {
            cloud: request.cloud.clone(),
            token: request.token.clone(),
            href: Mutex::new(None),
            answer: Mutex::new(None),
        });
        // The identity certificate is written in the same session, before
        // the cloud configuration: the device needs it to register.
        let identity = match &request.identity {
            Some(signer) => {
                let owner = match m.owner().await {
                    Ok(owner) => owner,
                    Err(e) => return Err(record.failed(step, ProvisionError::Cert(e.into()))),
                };
                Some(Arc::new(IdentityInDoc::new(
                    m,
                    signer.clone(),
                    owner,
                    located.label(),
                )))
            }
            None => None,
        };
        let provisioning: Arc<dyn Provisioning> = match &identity {
            Some(identity) => Arc::new(Provisionings(vec![
                Arc::clone(identity) as Arc<dyn Provisioning>,
                in_doc.clone(),
            ])),
            None => in_doc.clone(),
        };
        let own = OwnRequest {
            device: DeviceRef::Uuid(located.record.di),
            method: request.method,
            mfg_trust_anchors: request.mfg_trust_anchors.clone(),
            pin: request.pin.clone(),
            provisioning: Some(provisioning),
        };
        if let Err(e) = otm::check(m, &own) {
            return Err(record.failed(step, e.into()));
        }
        let owned = match otm::own_located(m, &own, located.clone(), deadline).await {
            Ok(owned) => owned,
            Err(e) => return Err(record.failed(step, e.into())),
        };
        record.di = Some(owned.di);
        // The certificate written in the session is recorded; `None` when
        // the session was an earlier run's, finished (or none was needed).
        let written = match &identity {
            Some(identity) => match identity.record().await {
                Ok(written) => written.is_some(),
                Err(e) => return Err(record.failed(step, e.into())),
            },
            None => true,
        };
        record.done(step);
        let located = owned_now(m, located, owned.di).await;
        if let (Some(signer), false) = (&request.identity, written) {
            certificate_if_missing(m, signer, &located, &deadline, record).await?;
        }
        match owned.change {
            // Owned and configured in one session.
            OwnChange::Taken => {
                record.cps = lock(&in_doc.answer).as_ref().map(|s| s.cps.clone());
                (located, None)
            }
            // An earlier run's ownership, finished over an owner session
            // (or ours all along): the cloud's writes are still to make.
            OwnChange::Finished | OwnChange::AlreadyOwned => {
                let open = configure(m, request, record, &located, deadline.at()).await?;
                (located, Some(open))
            }
        }
    };
    if request.goal != Goal::Registered {
        if let Some(open) = open {
            open.close().await;
        }
        return Ok(());
    }
    let step = StepRecord::start("register");
    // Registration has its own time: the device connects, signs up and
    // signs in once it is back in RFNOP.
    let until = crate::net::now() + m.timeout();
    let waited = match open {
        Some(open) => open.wait(m, WaitFor::Registered, until).await,
        None => cloud::status_located(m, &located, Some(WaitFor::Registered), until)
            .await
            .map(|status| status.state),
    };
    match waited {
        Ok(state) => {
            record.cps = Some(state.cps);
            record.done(step);
            Ok(())
        }
        Err(error) => {
            if let CloudError::Failed { state, .. } | CloudError::NotYet { state, .. } = &error {
                record.cps = Some(state.cps.clone());
            }
            Err(record.failed(step, error.into()))
        }
    }
}

/// The `configure` step: the cloud's writes over an owner session, which
/// is left open for the wait.
async fn configure(
    m: &Mediator,
    request: &ProvisionRequest,
    record: &mut ProvisionRecord,
    located: &Located,
    deadline: Instant,
) -> Result<CloudSession, ProvisionError> {
    let step = StepRecord::start("configure");
    let configure = ConfigureRequest {
        device: DeviceRef::Uuid(located.record.di),
        cloud: request.cloud.clone(),
        token: request.token.clone(),
        force: false,
    };
    match cloud::configure_open(m, &configure, located, deadline).await {
        Ok((status, open)) => {
            record.cps = Some(status.state.cps);
            record.done(step);
            Ok(open)
        }
        Err(e) => Err(record.failed(step, e.into())),
    }
}

/// A `certificate` step over an owner session, for a device of ours that
/// has no identity certificate from us on record.
async fn certificate_if_missing(
    m: &Mediator,
    signer: &Signer,
    located: &Located,
    deadline: &Deadline,
    record: &mut ProvisionRecord,
) -> Result<(), ProvisionError> {
    let step = StepRecord::start("certificate");
    match m.store().device_certificate(located.record.di).await {
        Ok(Some(_)) => return Ok(()),
        Ok(None) => {}
        Err(e) => return Err(record.failed(step, ProvisionError::Cert(e.into()))),
    }
    match crate::cert::issue_located(m, located, signer, deadline.at()).await {
        Ok(_) => {
            record.done(step);
            Ok(())
        }
        Err(e) => Err(record.failed(step, e.into())),
    }
}

/// The device as it is after `own`: its new UUID and our record of it;
/// same address and endpoints.
async fn owned_now(m: &Mediator, mut located: Located, di: Uuid) -> Located {
    located.record.di = di;
    located.record.owned = Some(true);
    located.entry = m.store().device(di).await.ok().flatten();
    located.attempts.clear();
    located
}

impl StepRecord {
    /// A step beginning now.
    pub fn start(step: &'static str) -> StepRecord {
        StepRecord {
            step,
            started: SystemTime::now(),
            ended: None,
            ok: false,
            error: None,
            code: None,
            request: None,
        }
    }
}
