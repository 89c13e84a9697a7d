//! `cloud configure`, `cloud status`, `cloud deregister`: over an owner
//! session with a device this mediator owns.

use std::time::{Duration, Instant};

use super::error::CloudError;
use super::plan::{
    CloudSettings, already_present, cloud_ace_step, configuration_step, deregistration_step,
    trust_anchor_step,
};
use super::state::CloudState;
use crate::coap::Code;
use crate::interact::{Progress, Secret};
use crate::mediator::{Located, Mediator};
use crate::oauth::TokenSource;
use crate::ocf::DeviceError;
use crate::ocf::address::DeviceRef;
use crate::ocf::link::{Session, cbor_body};
use crate::ocf::representation::encode_cbor;
use crate::ocf::request::{ocf_get, ocf_request, ocf_request_with_body};
use crate::ocf::resources::field;
use crate::otm::Step;

/// What the device sends its cloud as `at`.
#[derive(Clone)]
pub enum CloudToken {
    /// Given by the caller (`--token-stdin`).
    Given(std::sync::Arc<Secret>),
    /// Minted per device by a cloud profile's token source: an access
    /// token, or a one-time authorization code for the device's UUID.
    Source(TokenSource),
}

impl CloudToken {
    /// The token for the device with UUID `di`.
    pub async fn for_device(&self, di: uuid::Uuid) -> Result<Secret, CloudError> {
        match self {
            CloudToken::Given(secret) => Ok(Secret::new(secret.expose())),
            CloudToken::Source(source) => {
                let token = source.device_token(di).await?;
                Ok(Secret::new(token.secret()))
            }
        }
    }
}

/// pstat `dos.s` of RFPRO.
const RFPRO: i128 = 2;

/// What to configure.
#[derive(Clone)]
pub struct ConfigureRequest {
    pub device: DeviceRef,
    pub cloud: CloudSettings,
    pub token: CloudToken,
    /// Deregister a device set up for another cloud first.
    pub force: bool,
}

/// A device's cloud configuration, as read.
#[derive(Clone, Debug)]
pub struct CloudStatus {
    pub di: uuid::Uuid,
    pub name: Option<String>,
    pub state: CloudState,
    /// Whether anything was written.
    pub changed: bool,
}

/// What a wait is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitFor {
    /// `cps` registered.
    Registered,
    /// `cps` uninitialized (the device left its cloud).
    Uninitialized,
}

impl WaitFor {
    fn name(self) -> &'static str {
        match self {
            WaitFor::Registered => "registered",
            WaitFor::Uninitialized => "deregistered",
        }
    }
}

/// Points a device this mediator owns at a cloud: under RFPRO, the cloud's
/// trust anchor and ACE (each only when the device lacks it) and
/// `{cis, sid, apn, at}`, then back to RFNOP. A device already registered
/// with this cloud is left alone.
pub async fn configure(m: &Mediator, request: ConfigureRequest) -> Result<CloudStatus, CloudError> {
    let deadline = crate::net::now() + m.timeout();
    let located = m.locate(&request.device, deadline).await?;
    configure_located(m, &request, located, deadline).await
}

/// As [`configure`], for a device already located, within `deadline`.
pub async fn configure_located(
    m: &Mediator,
    request: &ConfigureRequest,
    located: Located,
    deadline: Instant,
) -> Result<CloudStatus, CloudError> {
    let result = configure_open(m, request, &located, deadline).await;
    m.interaction().progress(&Progress::Done {
        subject: &located.label(),
    });
    let (status, open) = result?;
    open.close().await;
    Ok(status)
}

/// As [`configure_located`], leaving the owner session open for what
/// follows (`provision` waits for the registration over it).
pub async fn configure_open(
    m: &Mediator,
    request: &ConfigureRequest,
    located: &Located,
    deadline: Instant,
) -> Result<(CloudStatus, CloudSession), CloudError> {
    let mut open = CloudSession::open(m, located, deadline).await?;
    match configure_in(m, request, located, &mut open, deadline).await {
        Ok(status) => Ok((status, open)),
        Err(e) => {
            open.close().await;
            Err(e)
        }
    }
}

/// The writes of [`configure`] over an open owner session.
async fn configure_in(
    m: &Mediator,
    request: &ConfigureRequest,
    located: &Located,
    open: &mut CloudSession,
    deadline: Instant,
) -> Result<CloudStatus, CloudError> {
    let CloudSession {
        href,
        session,
        label,
    } = open;
    let (href, label) = (href.as_str(), label.as_str());
    let progress = |what: &str| {
        m.interaction().progress(&Progress::Step {
            subject: label,
            what,
        })
    };
    progress("reading its cloud configuration");
    let mut state = read_state(m, session, href, deadline).await?;
    let cloud = &request.cloud;
    let same_cloud =
        state.cis == cloud.cis && state.sid.eq_ignore_ascii_case(&cloud.sid.to_string());
    if state.is_configured() && !same_cloud {
        if !request.force {
            return Err(CloudError::OtherCloud {
                device: label.to_owned(),
                cis: state.cis,
                sid: state.sid,
            });
        }
        progress("leaving its other cloud");
        send(m, session, &deregistration_step(href), deadline).await?;
        state = wait_in(m, session, href, label, WaitFor::Uninitialized, deadline).await?;
    }
    let cred = read(m, session, "/oic/sec/cred", deadline).await?;
    check_list(session, "/oic/sec/cred", &cred, "creds")?;
    let acl2 = read(m, session, "/oic/sec/acl2", deadline).await?;
    check_list(session, "/oic/sec/acl2", &acl2, "aclist2")?;
    let (anchor_present, ace_present) = already_present(cloud, &cred, &acl2);
    // Registered, or on its way, with this cloud: its configuration stays
    // (the device accepts no new one while registering). A failed
    // registration is configured again, with a fresh token.
    let keep_configuration = state.is_configured() && same_cloud;
    if keep_configuration && anchor_present && ace_present {
        // Everything written, but an earlier run may have stopped (killed)
        // before it moved the device back to RFNOP: a device left in RFPRO
        // never connects to its cloud, so that move is finished here.
        let pstat = read(m, session, "/oic/sec/pstat", deadline).await?;
        let in_rfpro = field(&pstat, "dos")
            .and_then(|dos| field(dos, "s"))
            .and_then(|s| s.as_integer())
            .is_some_and(|s| i128::from(s) == RFPRO);
        if in_rfpro {
            progress("back to normal operation");
            send(m, session, &crate::otm::rfnop_step(), deadline)
                .await
                .map_err(|e| match e {
                    CloudError::Device { error, .. } => CloudError::Device {
                        error,
                        in_rfpro: true,
                    },
                    other => other,
                })?;
            state = read_state(m, session, href, deadline).await?;
        }
        return Ok(CloudStatus {
            di: located.record.di,
            name: located.record.name.clone(),
            state,
            changed: in_rfpro,
        });
    }
    if !anchor_present {
        let doxm = read(m, session, "/oic/sec/doxm", deadline).await?;
        let sct = field(&doxm, "sct")
            .and_then(|v| v.as_integer())
            .and_then(|i| u64::try_from(i).ok())
            .unwrap_or(0);
        if sct & 8 == 0 {
            return Err(CloudError::NoCertificateSupport {
                device: label.to_owned(),
            });
        }
    }
    let mut steps = vec![crate::otm::rfpro_step()];
    if !ace_present {
        steps.push(cloud_ace_step(cloud));
    }
    if !anchor_present {
        steps.push(trust_anchor_step(cloud));
    }
    // Configured already, but without the cloud's ACE or trust anchor (an
    // ownership finished over an owner session after an interruption
    // replaces the ACL): only what is missing is written.
    if !keep_configuration {
        progress("getting a token for it");
        let token = request.token.for_device(located.record.di).await?;
        steps.push(configuration_step(cloud, href, token.expose()));
    }
    let mut answer = None;
    for (i, step) in steps.iter().enumerate() {
        progress(step.what);
        match send(m, session, step, deadline).await {
            Ok(response) => {
                if step.href == href {
                    answer = response;
                }
            }
            Err(CloudError::Device { error, .. }) if i > 0 => {
                // Back to RFNOP, so the device keeps working as before.
                let _ = send(m, session, &crate::otm::rfnop_step(), deadline).await;
                return Err(CloudError::Device {
                    error,
                    in_rfpro: false,
                });
            }
            Err(e) => return Err(e),
        }
    }
    progress("back to normal operation");
    send(m, session, &crate::otm::rfnop_step(), deadline)
        .await
        .map_err(|e| match e {
            CloudError::Device { error, .. } => CloudError::Device {
                error,
                in_rfpro: true,
            },
            other => other,
        })?;
    let answered = answer
        .and_then(|r| crate::ocf::representation::decode_cbor(&r.payload).ok())
        .and_then(|value| CloudState::parse(&value).ok());
    let state = match answered {
        Some(state) => state,
        None => read_state(m, session, href, deadline).await?,
    };
    Ok(CloudStatus {
        di: located.record.di,
        name: located.record.name.clone(),
        state,
        changed: true,
    })
}

/// A device's cloud status; with `wait`, once it reaches that state (or
/// fails), within the mediator's timeout.
pub async fn status(
    m: &Mediator,
    device: &DeviceRef,
    wait: Option<WaitFor>,
) -> Result<CloudStatus, CloudError> {
    let deadline = crate::net::now() + m.timeout();
    let located = m.locate(device, deadline).await?;
    status_located(m, &located, wait, deadline).await
}

/// As [`status`], for a device already located, within `deadline`.
pub async fn status_located(
    m: &Mediator,
    located: &Located,
    wait: Option<WaitFor>,
    deadline: Instant,
) -> Result<CloudStatus, CloudError> {
    let mut open = CloudSession::open(m, located, deadline).await?;
    let state = match wait {
        Some(wait) => open.wait_for(m, wait, deadline).await,
        None => read_state(m, &mut open.session, &open.href, deadline).await,
    };
    open.close().await;
    Ok(CloudStatus {
        di: located.record.di,
        name: located.record.name.clone(),
        state: state?,
        changed: false,
    })
}

/// Makes the device leave its cloud (`{"cis": ""}`) and waits until it
/// has (`uninitialized`).
pub async fn deregister(m: &Mediator, device: &DeviceRef) -> Result<CloudStatus, CloudError> {
    let deadline = crate::net::now() + m.timeout();
    let located = m.locate(device, deadline).await?;
    let mut open = CloudSession::open(m, &located, deadline).await?;
    let result = deregister_in(m, &mut open, deadline).await;
    m.interaction().progress(&Progress::Done {
        subject: &located.label(),
    });
    open.close().await;
    let (state, changed) = result?;
    Ok(CloudStatus {
        di: located.record.di,
        name: located.record.name.clone(),
        state,
        changed,
    })
}

async fn deregister_in(
    m: &Mediator,
    open: &mut CloudSession,
    deadline: Instant,
) -> Result<(CloudState, bool), CloudError> {
    let CloudSession {
        href,
        session,
        label,
    } = open;
    let before = read_state(m, session, href, deadline).await?;
    if before.cis.is_empty() && before.cps == "uninitialized" {
        return Ok((before, false));
    }
    m.interaction().progress(&Progress::Step {
        subject: label,
        what: "leaving the cloud",
    });
    send(m, session, &deregistration_step(href), deadline).await?;
    let state = wait_in(m, session, href, label, WaitFor::Uninitialized, deadline).await?;
    Ok((state, true))
}

/// An owner session with a device this mediator owns, and the href of its
/// cloud configuration resource: what [`configure_open`] leaves open for
/// what follows.
pub struct CloudSession {
    href: String,
    session: Session,
    /// How people know the device.
    label: String,
}

impl CloudSession {
    async fn open(
        m: &Mediator,
        located: &Located,
        deadline: Instant,
    ) -> Result<CloudSession, CloudError> {
        if located.entry.as_ref().is_none_or(|e| !e.complete) {
            return Err(CloudError::NotOurs {
                device: located.label(),
            });
        }
        let Some(href) = located.record.cloud_conf.clone() else {
            return Err(CloudError::NoCloudResource {
                device: located.label(),
            });
        };
        if let Some(entry) = &located.entry {
            m.prepare_sessions(entry.keyring);
        }
        // Errors name the device as the person knows it, not the
        // address of its secure endpoint.
        let label = located.label();
        let session = match m.owner_session(located, deadline).await {
            Ok(session) => session.named(label.clone()),
            Err(crate::mediator::AccessError::Device(error)) => {
                return Err(CloudError::Device {
                    error: error.naming(&label),
                    in_rfpro: false,
                });
            }
            Err(other) => return Err(other.into()),
        };
        Ok(CloudSession {
            href,
            session,
            label: located.label(),
        })
    }

    /// Waits until the device is in the state `wait` names (or fails),
    /// within `deadline`, polling over this session; then closes it.
    pub async fn wait(
        mut self,
        m: &Mediator,
        wait: WaitFor,
        deadline: Instant,
    ) -> Result<CloudState, CloudError> {
        let state = self.wait_for(m, wait, deadline).await;
        self.close().await;
        state
    }

    async fn wait_for(
        &mut self,
        m: &Mediator,
        wait: WaitFor,
        deadline: Instant,
    ) -> Result<CloudState, CloudError> {
        let label = self.label.clone();
        m.interaction().progress(&Progress::Waiting {
            subject: &label,
            what: &format!("waiting until it is {}", wait.name()),
        });
        let state = wait_in(m, &mut self.session, &self.href, &label, wait, deadline).await;
        m.interaction()
            .progress(&Progress::Done { subject: &label });
        state
    }

    pub async fn close(self) {
        self.session.close().await;
    }
}

async fn read(
    m: &Mediator,
    session: &mut Session,
    href: &str,
    deadline: Instant,
) -> Result<ciborium::Value, CloudError> {
    m.checkpoint()?;
    let step = format!("GET {href}");
    let response = session.request(ocf_get(href), deadline, &step).await?;
    Ok(cbor_body(session.name(), &step, &response)?)
}

async fn read_state(
    m: &Mediator,
    session: &mut Session,
    href: &str,
    deadline: Instant,
) -> Result<CloudState, CloudError> {
    let value = read(m, session, href, deadline).await?;
    CloudState::parse(&value).map_err(|detail| {
        crate::ocf::DeviceError::Malformed {
            peer: session.name().to_owned(),
            step: format!("GET {href}"),
            detail: format!("its cloud configuration cannot be read: {detail}"),
        }
        .into()
    })
}

/// Checks that a security resource's list property (cred `creds`, acl2
/// `aclist2`) is a list of maps, as every device sends it: one that is not
/// is a broken device, whose answer is not taken for "nothing there".
fn check_list(
    session: &Session,
    href: &str,
    value: &ciborium::Value,
    key: &str,
) -> Result<(), DeviceError> {
    let ok = match field(value, key) {
        None => value.as_map().is_some(),
        Some(ciborium::Value::Array(items)) => items.iter().all(|i| i.as_map().is_some()),
        Some(_) => false,
    };
    if ok {
        return Ok(());
    }
    Err(DeviceError::Malformed {
        peer: session.name().to_owned(),
        step: format!("GET {href}"),
        detail: format!("{key} is not a list of maps"),
    })
}

/// Sends one step; the answer when it carried one.
async fn send(
    m: &Mediator,
    session: &mut Session,
    step: &Step,
    deadline: Instant,
) -> Result<Option<crate::coap::Response>, CloudError> {
    m.checkpoint()?;
    let request = match &step.body {
        Some(body) => ocf_request_with_body(step.code, &step.href, encode_cbor(body)),
        None => ocf_request(step.code, &step.href),
    };
    let response = session.request(request, deadline, step.what).await?;
    crate::ocf::link::expect_success(session.name(), step.what, &response)?;
    Ok((response.code == Code::CHANGED && !response.payload.is_empty()).then_some(response))
}

/// Polls the cloud configuration until `wait` holds, registration fails,
/// or `deadline` passes; the polls back off from 50 ms to 1 s.
async fn wait_in(
    m: &Mediator,
    session: &mut Session,
    href: &str,
    label: &str,
    wait: WaitFor,
    deadline: Instant,
) -> Result<CloudState, CloudError> {
    let mut pause = Duration::from_millis(50);
    let mut last = None;
    loop {
        let state = match (read_state(m, session, href, deadline).await, last.take()) {
            (Ok(state), _) => state,
            // The deadline passed during a read: say what was seen last.
            (
                Err(CloudError::Device {
                    error: DeviceError::TimedOut { .. },
                    ..
                }),
                Some(seen),
            ) => {
                return Err(CloudError::NotYet {
                    device: label.to_owned(),
                    wanted: wait.name(),
                    state: seen,
                });
            }
            (Err(e), _) => return Err(e),
        };
        let done = match wait {
            WaitFor::Registered => state.is_registered(),
            WaitFor::Uninitialized => state.cps == "uninitialized",
        };
        if done {
            return Ok(state);
        }
        if wait == WaitFor::Registered && state.has_failed() {
            return Err(CloudError::Failed {
                device: label.to_owned(),
                state,
            });
        }
        if crate::net::now() + pause >= deadline {
            return Err(CloudError::NotYet {
                device: label.to_owned(),
                wanted: wait.name(),
                state,
            });
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(1));
        last = Some(state);
    }
}
