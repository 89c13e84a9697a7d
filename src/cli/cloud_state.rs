//! What the cloud commands share: the store, the keyring, the HTTP client.

use std::time::Duration;

use super::args::GlobalArgs;
use super::exit::{Exit, failure};
use super::output::Output;
use crate::oauth::http::Http;
use crate::store::{KeyringKind, Secrets, Store};

pub fn state(global: &GlobalArgs) -> anyhow::Result<Store> {
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

pub fn secrets(kind: KeyringKind) -> anyhow::Result<Secrets> {
    Secrets::open(kind).map_err(|e| failure(Exit::Failed, e.to_string()))
}

/// An HTTP client trusting the system roots plus `ca` (PEM).
pub fn http(ca: Option<&str>, timeout: Duration) -> anyhow::Result<Http> {
    Http::new(ca, timeout)
}
