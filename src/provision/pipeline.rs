//! One device from "on the network" to "registered with its cloud": find it,
//! own it (unless it is ours already) with the cloud configuration written
//! inside the same ownership session, or configure it over an owner
//! session, then wait for its registration. Each step is recorded.

use std::sync::Arc;
use std::time::SystemTime;

use uuid::Uuid;

use super::record::{ProvisionError, ProvisionRecord, StepRecord};
use crate::cloud::{
    self, CloudError, CloudSettings, CloudToken, ConfigureRequest, WaitFor, cloud_ace_step,
    configuration_step, trust_anchor_step,
};
use crate::interact::Secret;
use crate::mediator::{Located, Mediator};
use crate::ocf::address::DeviceRef;
use crate::otm::{self, Deadline, MethodChoice, OwnRequest, Prepared, Provisioning};

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
        let own = OwnRequest {
            device: DeviceRef::Uuid(located.record.di),
            method: request.method,
            mfg_trust_anchors: request.mfg_trust_anchors.clone(),
            pin: request.pin.clone(),
            provisioning: Some(Arc::new(CloudInDoc {
                cloud: request.cloud.clone(),
                token: request.token.clone(),
            })),
        };
        if let Err(e) = otm::check(m, &own) {
            return Err(record.failed(step, e.into()));
        }
        match otm::own_located(m, &own, located.clone(), deadline).await {
            Ok(owned)
                if matches!(
                    owned.change,
                    otm::OwnChange::AlreadyOwned | otm::OwnChange::Finished
                ) =>
            {
                // Ours after all (it looked unowned a moment ago), or an
                // ownership an earlier run left half-way, finished now over
                // an owner session: the cloud configuration that run was to
                // write inside the ownership session may be missing (a run
                // that timed out on a lossy network). Configure.
                record.done(step);
                return Box::pin(run(m, request, record)).await;
            }
            Ok(owned) => {
                record.di = Some(owned.di);
                record.cps = Some("readytoregister".into());
                record.done(step);
                owned_now(m, located, owned.di).await
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
