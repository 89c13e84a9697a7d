//! Ownership transfer: the methods (Just Works, Random PIN, manufacturer
//! certificate), the owner PSK, and the ordered request plan with the rules
//! that make it safe to interrupt. The plan is data (`plan.rs`); `own.rs`,
//! `resume.rs` and `disown.rs` carry it out over the network.

mod acl;
mod disown;
mod doc;
mod dry_run;
mod error;
mod leftovers;
mod method;
mod own;
mod pin;
mod plan;
mod reset;
mod resume;

pub use acl::owner_aces;
pub use disown::{DisownRequest, Disowned, disown};
pub use dry_run::{DisownPlan, OwnPlan, PlannedStep, plan_disown, plan_own};
pub use error::{DeviceLeft, DisownError, OwnError};
pub use method::Method;
pub use own::{
    Deadline, InSession, MethodChoice, OwnChange, OwnRequest, Owned, PIN_TRIES, Prepared,
    Provisioning, Provisionings, check, own, own_located,
};
pub use pin::{RDP_IDENTITY, normalize_pin, random_pin_psk};
pub use plan::{
    OnNotFound, Step, doc_steps, owner_steps, owner_steps_with, reset_step, rfnop_step, rfpro_step,
    select_step,
};
pub use reset::{RESET_DELAY, wait_until_unowned};

use uuid::Uuid;

/// The DTLS identity of an owner session: the owner UUID as 16 raw bytes.
pub fn owner_identity(owner: Uuid) -> [u8; 16] {
    *owner.as_bytes()
}
