//! What the mediator keeps between runs: non-secret state in a JSON file
//! (`state.rs`, with `completion_marks.rs` beside it) and secrets in the OS
//! keyring (`secrets.rs`).
//!
//! Callers that need crash safety decide the order of the two writes; `own`
//! makes both durable before a device can look owned by us, so an
//! interruption leaves at worst an entry or a key for a device that took
//! nothing, never a device we own without its key (`cli/own.rs`).

mod completion_marks;
mod fleet;
#[cfg(target_os = "linux")]
mod secret_service;
mod secrets;
mod state;

pub use fleet::{OwnerKey, Store, StoreError};
pub use secrets::{KeyringKind, PendingWrite, SecretError, Secrets};
pub use state::{OwnedDevice, State, StateFile};
