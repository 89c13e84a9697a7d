//! Ownership transfer: the methods (Just Works, Random PIN, manufacturer
//! certificate), the owner PSK, and the ordered request plan with the rules
//! that make it safe to interrupt. The plan is data; `cli::own` drives it over
//! the network.

mod acl;
mod method;
mod pin;
mod plan;

pub use acl::owner_aces;
pub use method::Method;
pub use pin::{RDP_IDENTITY, normalize_pin, random_pin_psk};
pub use plan::{OnNotFound, Step, doc_steps, owner_steps, reset_step, select_step};

use uuid::Uuid;

/// The DTLS identity of an owner session: the owner UUID as 16 raw bytes.
pub fn owner_identity(owner: Uuid) -> [u8; 16] {
    *owner.as_bytes()
}
