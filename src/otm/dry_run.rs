//! `--dry-run`: what `own` and `disown` would do to a device, found and
//! read but not written to. The steps are the plan's own (`plan.rs`), so
//! the dry run cannot drift from the real run.

use uuid::Uuid;

use super::error::{DisownError, OwnError};
use super::own::{OwnRequest, choose_method};
use super::{DisownRequest, Method, Step, doc_steps, owner_steps, reset_step, select_step};
use crate::mediator::Mediator;
use crate::ocf::representation::cbor_to_json;

/// One step of a plan, as shown.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PlannedStep {
    /// What the step does.
    pub what: String,
    /// The request, e.g. `POST /oic/sec/doxm`; `None` for local work.
    pub request: Option<String>,
    /// Over which connection: `unsecured`, `doc`, `owner session`, `local`.
    pub over: &'static str,
    /// The body, as JSON.
    pub body: Option<serde_json::Value>,
}

/// What `own` would do.
#[derive(Clone, Debug, serde::Serialize)]
pub struct OwnPlan {
    pub di: Uuid,
    pub name: Option<String>,
    /// `take`, `resume` or `nothing`.
    pub action: &'static str,
    /// The method, when the device would be taken.
    pub otm: Option<&'static str>,
    pub steps: Vec<PlannedStep>,
}

/// What `disown` would do.
#[derive(Clone, Debug, serde::Serialize)]
pub struct DisownPlan {
    pub di: Uuid,
    pub steps: Vec<PlannedStep>,
}

fn local(what: &str) -> PlannedStep {
    PlannedStep {
        what: what.to_owned(),
        request: None,
        over: "local",
        body: None,
    }
}

fn sent(step: &Step, over: &'static str) -> PlannedStep {
    PlannedStep {
        what: step.what.to_owned(),
        request: Some(format!("{} {}", step.code.name(), step.href)),
        over,
        body: step.body.as_ref().map(cbor_to_json),
    }
}

/// The plan of `own` for `request.device`, found and read only.
pub async fn plan_own(m: &Mediator, request: &OwnRequest) -> Result<OwnPlan, OwnError> {
    let deadline = crate::net::now() + m.timeout();
    let located = m.locate(&request.device, deadline).await?;
    let record = &located.record;
    let mut plan = OwnPlan {
        di: record.di,
        name: record.name.clone(),
        action: "nothing",
        otm: None,
        steps: Vec::new(),
    };
    match (&located.entry, record.owned) {
        (Some(entry), Some(true) | None) if entry.complete => return Ok(plan),
        (Some(_), Some(false)) | (None, Some(false)) => {}
        (Some(_), _) => {
            plan.action = "resume";
            plan.steps = resume_steps(m, record.cloud_conf.as_deref()).await?;
            return Ok(plan);
        }
        (None, _) if !located.attempts.is_empty() => {
            plan.action = "resume";
            plan.steps = resume_steps(m, record.cloud_conf.as_deref()).await?;
            return Ok(plan);
        }
        (None, None) if record.doxm_problem.is_some() => {
            return Err(super::own::doxm_unknown(&located));
        }
        (None, _) => {
            return Err(OwnError::OwnedByAnother {
                device: located.label(),
            });
        }
    }
    let method = choose_method(request, &located)?;
    let owner = m.owner().await.map_err(|error| OwnError::Store {
        error,
        left: super::DeviceLeft::Untouched,
    })?;
    plan.action = "take";
    plan.otm = Some(method.name());
    let new_uuid = Uuid::new_v4();
    let name = format!("ocf-mediator {}", &owner.to_string()[..8]);
    let mut steps = vec![local(
        "write our record of the device under the UUID it will take, with the session's port",
    )];
    steps.push(sent(&select_step(method), "unsecured"));
    if method == Method::RandomPin {
        steps.push(local("ask for the PIN the device shows"));
    }
    let suites: Vec<&str> = method.cipher_suites().iter().map(|s| s.name()).collect();
    steps.push(local(&format!(
        "open the device ownership connection ({})",
        suites.join(" or ")
    )));
    steps.push(local(
        "derive the owner key from the session and store it, sealed, before the device can look owned",
    ));
    steps.extend(
        doc_steps(owner, new_uuid, &name)
            .iter()
            .chain(owner_steps(owner, record.cloud_conf.as_deref()).iter())
            .map(|s| sent(s, "doc")),
    );
    steps.push(local("mark the record complete"));
    plan.steps = steps;
    Ok(plan)
}

async fn resume_steps(
    m: &Mediator,
    cloud_conf: Option<&str>,
) -> Result<Vec<PlannedStep>, OwnError> {
    let owner = m.owner().await.map_err(|error| OwnError::Store {
        error,
        left: super::DeviceLeft::Untouched,
    })?;
    let mut steps = vec![local(
        "open an owner session from the port of the interrupted ownership session (the device drops that session)",
    )];
    steps.extend(
        owner_steps(owner, cloud_conf)
            .iter()
            .map(|s| sent(s, "owner session")),
    );
    steps.push(local(
        "or, if the device did not keep the ownership, take it afresh",
    ));
    Ok(steps)
}

/// The plan of `disown`, found and read only.
pub async fn plan_disown(m: &Mediator, request: &DisownRequest) -> Result<DisownPlan, DisownError> {
    let forget = local("forget the device's record and its owner key");
    if request.forget_only {
        let entry = super::disown::known_entry(m, &request.device)
            .await?
            .ok_or_else(|| DisownError::NotOurs {
                device: super::disown::describe(&request.device),
            })?;
        return Ok(DisownPlan {
            di: entry.di,
            steps: vec![forget],
        });
    }
    let deadline = crate::net::now() + m.timeout();
    let located = m.locate(&request.device, deadline).await?;
    let Some(entry) = &located.entry else {
        return Err(DisownError::NotOurs {
            device: located.label(),
        });
    };
    let mut steps = Vec::new();
    if !request.confirmed {
        steps.push(local("ask for a confirmation"));
    }
    steps.push(local("open an owner session"));
    steps.push(sent(&reset_step(), "owner session"));
    steps.push(local(&format!(
        "wait for the device to come back unowned (it acts after {}, with a new UUID)",
        humantime::format_duration(super::RESET_DELAY)
    )));
    steps.push(forget);
    Ok(DisownPlan {
        di: entry.di,
        steps,
    })
}
