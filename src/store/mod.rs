//! What the mediator keeps between runs: non-secret state in a JSON file
//! (`state.rs`) and secrets in the OS keyring (`secrets.rs`).
//!
//! The two are written in a fixed order by callers that need crash safety:
//! the secret first, then the state entry that refers to it, so a crash in
//! between leaves at worst an orphan secret, never an entry without its key.

#[cfg(target_os = "linux")]
mod secret_service;
mod secrets;
mod state;

pub use secrets::{KeyringKind, SecretError, Secrets};
pub use state::{OwnedDevice, State, StateFile};
