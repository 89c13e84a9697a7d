//! One device from "on the network" to "registered with its cloud": find it,
//! own it (unless it is ours already) with the cloud configuration written
//! inside the same ownership session, or configure it over an owner
//! session, then wait for its registration. Each step is recorded.

use std::sync::Arc;
use std::time::SystemTime;

use uuid::Uuid;

use super::record::{ProvisionError, ProvisionRecord, StepRecord};
use crate::cert::{IdentityInDoc, Signer};
use crate::cloud::{
    self, CloudError, CloudSettings, CloudToken, ConfigureRequest, WaitFor, cloud_ace_step,
    configuration_step, trust_anchor_step,
};
use crate::interact::Secret;
use crate::mediator::{Located, Mediator};
use crate::ocf::address::DeviceRef;
use crate::otm::{self, Deadline, MethodChoice, OwnRequest, Prepared, Provisioning, Provisionings};

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
struct CloudInDoc {
    cloud: CloudSettings,
    token: CloudToken,
}

impl Provisioning for CloudInDoc {
    fn prepare(&self, di: Uuid, cloud_conf: Option<String>) -> Prepared {
        let cloud = self.cloud.clone();
        let token = self.token.clone();
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
}

/// Runs the pipeline for one device; the record says what happened.
pub async fn provision(m: &Mediator, request: &ProvisionRequest) -> ProvisionRecord {
    let mut record = ProvisionRecord::new(&request.name);
    let result = run(m, request, &mut record).await;
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
    let located = if ours {
        if let Some(signer) = &request.identity {
            certificate_if_missing(m, signer, &located, &deadline, record).await?;
        }
        let step = StepRecord::start("configure");
        let configure = ConfigureRequest {
            device: DeviceRef::Uuid(located.record.di),
            cloud: request.cloud.clone(),
            token: request.token.clone(),
            force: false,
        };
        match cloud::configure_located(m, &configure, located.clone(), deadline.at()).await {
            Ok(status) => {
                record.cps = Some(status.state.cps.clone());
                record.done(step);
                located
            }
            Err(e) => return Err(record.failed(step, e.into())),
        }
    } else {
        let step = StepRecord::start("own");
        let cloud_in_doc: Arc<dyn Provisioning> = Arc::new(CloudInDoc {
            cloud: request.cloud.clone(),
            token: request.token.clone(),
        });
        // The identity certificate is written in the same session, before
        // the cloud configuration: the device needs it to register.
        let identity = match &request.identity {
            Some(signer) => Some(Arc::new(IdentityInDoc::new(
                m,
                signer.clone(),
                m.owner().await.map_err(|e| {
                    record.failed(StepRecord::start("own"), ProvisionError::Cert(e.into()))
                })?,
                located.label(),
            ))),
            None => None,
        };
        let provisioning = match &identity {
            Some(identity) => Arc::new(Provisionings(vec![
                Arc::clone(identity) as Arc<dyn Provisioning>,
                cloud_in_doc,
            ])) as Arc<dyn Provisioning>,
            None => cloud_in_doc,
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
        match otm::own_located(m, &own, located.clone(), deadline).await {
            Ok(owned) if owned.change == otm::OwnChange::AlreadyOwned => {
                // Ours after all (it looked unowned a moment ago): configure.
                record.done(step);
                return Box::pin(run(m, request, record)).await;
            }
            Ok(owned) => {
                record.di = Some(owned.di);
                record.cps = Some("readytoregister".into());
                let written = match &identity {
                    Some(identity) => match identity.record().await {
                        Ok(written) => written.is_some(),
                        Err(e) => return Err(record.failed(step, e.into())),
                    },
                    None => true,
                };
                record.done(step);
                let located = owned_now(m, located, owned.di).await;
                // An ownership finished over an owner session (a resumed
                // run) wrote no certificate: give it one now.
                if let (Some(signer), false) = (&request.identity, written) {
                    certificate_if_missing(m, signer, &located, &deadline, record).await?;
                }
                located
            }
            Err(e) => return Err(record.failed(step, e.into())),
        }
    };
    if request.goal == Goal::Registered {
        let step = StepRecord::start("register");
        // Registration has its own time: the device connects, signs up and
        // signs in once it is back in RFNOP.
        let until = crate::net::now() + m.timeout();
        match cloud::status_located(m, &located, Some(WaitFor::Registered), until).await {
            Ok(status) => {
                record.cps = Some(status.state.cps.clone());
                record.done(step);
            }
            Err(CloudError::Failed { device, state }) => {
                record.cps = Some(state.cps.clone());
                let error = CloudError::Failed { device, state };
                return Err(record.failed(step, error.into()));
            }
            Err(CloudError::NotYet {
                device,
                wanted,
                state,
            }) => {
                record.cps = Some(state.cps.clone());
                let error = CloudError::NotYet {
                    device,
                    wanted,
                    state,
                };
                return Err(record.failed(step, error.into()));
            }
            Err(e) => return Err(record.failed(step, e.into())),
        }
    }
    Ok(())
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
        }
    }
}
