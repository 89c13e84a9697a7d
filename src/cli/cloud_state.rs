//! What the cloud commands share: the store, the keyring new secrets go to,
//! the client secret from the environment.

use super::args::GlobalArgs;
use super::output::Output;
use crate::interact::Secret;
use crate::store::{KeyringKind, Store};

pub fn store(global: &GlobalArgs) -> anyhow::Result<Store> {
    Ok(Store::open(global.state_dir.as_deref())?)
}

/// The keyring new secrets go to.
pub fn keyring_kind(global: &GlobalArgs, output: &Output) -> KeyringKind {
    if global.volatile_keyring {
        output.note("warning: --volatile-keyring: secrets go to the kernel keyring and are lost at logout or reboot");
        KeyringKind::Kernel
    } else {
        KeyringKind::SecretService
    }
}

/// `OCF_MEDIATOR_CLIENT_SECRET`, when set: a factory line's client secret
/// that is not kept in the keyring.
pub fn client_secret_from_env() -> Option<Secret> {
    std::env::var("OCF_MEDIATOR_CLIENT_SECRET")
        .ok()
        .filter(|s| !s.is_empty())
        .map(Secret::new)
}
