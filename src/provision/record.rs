//! What happened to one device in a `provision` run: each step with its
//! start and end, the device's answer when a step failed, and the cloud
//! status it ended in.

use std::fmt;
use std::time::SystemTime;

use uuid::Uuid;

use crate::cert::CertError;
use crate::cloud::CloudError;
use crate::mediator::AccessError;
use crate::ocf::DeviceError;
use crate::otm::OwnError;

/// Why a device's pipeline stopped.
#[derive(Debug)]
#[non_exhaustive]
pub enum ProvisionError {
    /// Finding the device failed.
    Access(AccessError),
    /// Owning it failed.
    Own(OwnError),
    /// Configuring it, or waiting for its registration, failed.
    Cloud(CloudError),
    /// Giving it its identity certificate over an owner session failed.
    Cert(CertError),
    /// The device's job ended without a result (a bug: it panicked); what
    /// the device was left in is unknown, and a rerun finds out.
    Stopped(String),
}

impl ProvisionError {
    /// The device failure behind it, if there was one.
    pub fn device_error(&self) -> Option<&DeviceError> {
        match self {
            ProvisionError::Access(AccessError::Device(e)) => Some(e),
            ProvisionError::Own(e) => e.device_error(),
            ProvisionError::Cloud(e) => e.device_error(),
            ProvisionError::Cert(e) => e.device_error(),
            _ => None,
        }
    }
}

impl fmt::Display for ProvisionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProvisionError::Access(e) => write!(f, "{e}"),
            ProvisionError::Own(e) => write!(f, "{e}"),
            ProvisionError::Cloud(e) => write!(f, "{e}"),
            ProvisionError::Cert(e) => write!(f, "{e}"),
            ProvisionError::Stopped(why) => write!(
                f,
                "the work on this device stopped unexpectedly ({why}); run the same command again to finish it"
            ),
        }
    }
}

impl std::error::Error for ProvisionError {}

impl From<AccessError> for ProvisionError {
    fn from(e: AccessError) -> Self {
        ProvisionError::Access(e)
    }
}

impl From<OwnError> for ProvisionError {
    fn from(e: OwnError) -> Self {
        ProvisionError::Own(e)
    }
}

impl From<CertError> for ProvisionError {
    fn from(e: CertError) -> Self {
        ProvisionError::Cert(e)
    }
}

impl From<CloudError> for ProvisionError {
    fn from(e: CloudError) -> Self {
        ProvisionError::Cloud(e)
    }
}

/// One step of the pipeline.
#[derive(Clone, Debug)]
pub struct StepRecord {
    /// `locate`, `own`, `certificate`, `configure` or `register`.
    pub step: &'static str,
    pub started: SystemTime,
    pub ended: Option<SystemTime>,
    pub ok: bool,
    /// Why it failed, in words.
    pub error: Option<String>,
    /// The device's CoAP answer when it refused a request.
    pub code: Option<String>,
    /// The request to the device that failed, when one did (e.g. "write
    /// the cloud configuration").
    pub request: Option<String>,
}

/// One device's run.
#[derive(Debug)]
pub struct ProvisionRecord {
    /// The device as it was named.
    pub device: String,
    /// Its UUID (the new one once owned).
    pub di: Option<Uuid>,
    /// Its `/oic/d` name.
    pub name: Option<String>,
    pub steps: Vec<StepRecord>,
    /// The cloud status it was last seen in.
    pub cps: Option<String>,
    /// Why it stopped; `None` when it got where it was going.
    pub failure: Option<ProvisionError>,
}

impl ProvisionRecord {
    pub fn new(device: &str) -> ProvisionRecord {
        ProvisionRecord {
            device: device.to_owned(),
            di: None,
            name: None,
            steps: Vec::new(),
            cps: None,
            failure: None,
        }
    }

    pub fn ok(&self) -> bool {
        self.failure.is_none()
    }

    /// The step that failed.
    pub fn failed_step(&self) -> Option<&StepRecord> {
        self.steps.iter().find(|s| !s.ok)
    }

    /// Ends `step` well.
    pub(super) fn done(&mut self, mut step: StepRecord) {
        step.ended = Some(SystemTime::now());
        step.ok = true;
        self.steps.push(step);
    }

    /// Ends `step` with `failure`, which is handed back.
    pub(super) fn failed(
        &mut self,
        mut step: StepRecord,
        failure: ProvisionError,
    ) -> ProvisionError {
        step.ended = Some(SystemTime::now());
        step.error = Some(failure.to_string());
        let device = failure.device_error();
        step.code = device.and_then(|e| e.code()).map(|c| c.to_string());
        step.request = device.and_then(|e| e.step()).map(str::to_owned);
        self.steps.push(step);
        failure
    }

    pub(super) fn finish(&mut self, result: Result<(), ProvisionError>) {
        self.failure = result.err();
    }
}
