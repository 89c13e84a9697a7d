//! The cloud side of a device this mediator owns (ISO/IEC 30118-12):
//! pointing it at a cloud (its trust anchor, its ACE, `oic.r.coapcloudconf`),
//! reading and waiting for its registration status, and making it leave.
//!
//! The writes are a plan (`plan.rs`) that runs over an owner session here,
//! or inside the device ownership connection when `provision` owns and
//! configures a new device in one session.

mod configure;
mod error;
mod plan;
mod state;

pub use configure::{
    CloudSession, CloudStatus, CloudToken, ConfigureRequest, WaitFor, configure, configure_located,
    configure_open, deregister, status, status_located,
};
pub use error::CloudError;
pub use plan::{
    CloudSettings, already_present, cloud_ace_step, configuration_step, deregistration_step,
    trust_anchor_step,
};
pub use state::CloudState;
