//! Live values for shell completion (clap_complete's dynamic engine: the
//! shell runs `COMPLETE=<shell> ocf-mediator -- <words>` on each TAB).
//!
//! Everything here runs while a person waits for TAB: the state file is
//! read once, and the network is asked only briefly. Failures give fewer
//! candidates, never an error.

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;
use std::time::Duration;

use clap::builder::StyledStr;
use clap_complete::engine::CompletionCandidate;

use super::output::printable;
use crate::net::{DiscoverOptions, discover};
use crate::store::{OwnedDevice, Store};

/// The environment variable that keeps completion off the network.
pub const NO_NETWORK: &str = "OCF_MEDIATOR_NO_NETWORK_COMPLETION";

/// The longest a multicast look may take. Real devices delay their answers
/// by up to 2 s (FACTS), so this finds the quick ones only; more would make
/// TAB feel stuck.
pub const NETWORK_BUDGET: Duration = Duration::from_millis(300);

/// Example durations for `--timeout` and `--wait`.
pub fn durations() -> Vec<CompletionCandidate> {
    ["500ms", "1s", "3s", "5s", "10s", "30s", "1m"]
        .into_iter()
        .map(CompletionCandidate::new)
        .collect()
}

/// The names of the cloud profiles.
pub fn profiles() -> Vec<CompletionCandidate> {
    let Some(store) = store() else {
        return Vec::new();
    };
    block_on(store.profiles())
        .and_then(Result::ok)
        .unwrap_or_default()
        .into_iter()
        .map(|(name, _)| CompletionCandidate::new(name))
        .collect()
}

/// The UUIDs of the devices this mediator owns, each with its name.
pub fn owned_uuids() -> Vec<CompletionCandidate> {
    owned().iter().map(uuid_candidate).collect()
}

/// The `coap://` endpoints of the devices this mediator owns.
pub fn owned_addresses() -> Vec<CompletionCandidate> {
    owned()
        .iter()
        .flat_map(|device| {
            device
                .endpoints
                .iter()
                .filter(|e| e.starts_with("coap://"))
                .map(|e| CompletionCandidate::new(e).help(label(&device.name)))
        })
        .collect()
}

/// DEVICE of `disown`: owned devices by UUID or name; no network.
pub fn owned_devices(current: &OsStr) -> Vec<CompletionCandidate> {
    let mut candidates = Vec::new();
    for device in owned() {
        candidates.push(uuid_candidate(&device));
        if let Some(name) = completable_name(&device.name) {
            candidates.push(CompletionCandidate::new(name).help(label(&device.di.to_string())));
        }
    }
    matching(candidates, current)
}

/// DEVICE of `get`, `update` and `own`: owned devices, then what a short
/// multicast look finds (unless [`NO_NETWORK`] is set).
pub fn devices(current: &OsStr) -> Vec<CompletionCandidate> {
    let mut candidates = owned_devices(current);
    if network_allowed() {
        for record in look_around() {
            let di = record.di.to_string();
            if candidates.iter().any(|c| c.get_value() == di.as_str()) {
                continue;
            }
            let about = format!(
                "{} at {}",
                record.name.as_deref().unwrap_or("unnamed"),
                record.address
            );
            candidates.push(CompletionCandidate::new(di).help(label(&about)));
            if let Some(name) = record.name.as_deref().and_then(completable_name) {
                candidates
                    .push(CompletionCandidate::new(name).help(label(&record.address.to_string())));
            }
        }
    }
    matching(candidates, current)
}

fn uuid_candidate(device: &OwnedDevice) -> CompletionCandidate {
    CompletionCandidate::new(device.di.to_string()).help(label(&device.name))
}

/// Help text for a candidate (zsh and fish show it); device text escaped.
fn label(text: &str) -> Option<StyledStr> {
    (!text.is_empty()).then(|| StyledStr::from(printable(text).into_owned()))
}

/// A name the shell can insert as one word: no spaces, quotes or control
/// characters (the completion scripts do not quote candidates).
fn completable_name(name: &str) -> Option<&str> {
    let plain = !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "'\"\\$`".contains(c));
    plain.then_some(name)
}

fn matching(candidates: Vec<CompletionCandidate>, current: &OsStr) -> Vec<CompletionCandidate> {
    let current = current.to_string_lossy();
    let mut seen = Vec::new();
    candidates
        .into_iter()
        .filter(|c| {
            c.get_value()
                .to_string_lossy()
                .starts_with(current.as_ref())
        })
        .filter(|c| {
            let value = c.get_value().to_owned();
            let new = !seen.contains(&value);
            seen.push(value);
            new
        })
        .collect()
}

fn owned() -> Vec<OwnedDevice> {
    let Some(store) = store() else {
        return Vec::new();
    };
    block_on(store.devices())
        .and_then(Result::ok)
        .unwrap_or_default()
}

/// The store the command line names: `--state-dir` on the line being
/// completed, else `OCF_MEDIATOR_STATE_DIR`, else the default.
fn store() -> Option<Store> {
    let dir = state_dir_on_line(std::env::args_os()).or_else(|| {
        std::env::var_os("OCF_MEDIATOR_STATE_DIR")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
    });
    Store::open(dir.as_deref()).ok()
}

/// `--state-dir DIR` or `--state-dir=DIR` among the words.
fn state_dir_on_line(words: impl IntoIterator<Item = OsString>) -> Option<PathBuf> {
    let mut words = words.into_iter();
    let mut found = None;
    while let Some(word) = words.next() {
        if word == "--state-dir" {
            found = words.next().map(PathBuf::from);
        } else if let Some(dir) = word.to_str().and_then(|w| w.strip_prefix("--state-dir=")) {
            found = Some(PathBuf::from(dir));
        }
    }
    found.filter(|d| !d.as_os_str().is_empty())
}

fn network_allowed() -> bool {
    std::env::var_os(NO_NETWORK).is_none_or(|v| v.is_empty() || v == "0")
}

/// Devices that answer a multicast look within [`NETWORK_BUDGET`].
fn look_around() -> Vec<crate::ocf::discovery::DeviceRecord> {
    let options = DiscoverOptions {
        wait: NETWORK_BUDGET * 2 / 3,
        timeout: NETWORK_BUDGET / 3,
        ..DiscoverOptions::default()
    };
    block_on(async {
        tokio::time::timeout(NETWORK_BUDGET, discover(&options))
            .await
            .ok()
            .and_then(Result::ok)
            .map(|outcome| outcome.devices)
            .unwrap_or_default()
    })
    .unwrap_or_default()
}

fn block_on<F: std::future::Future>(future: F) -> Option<F::Output> {
    let runtime = crate::net::runtime().ok()?;
    let output = runtime.block_on(future);
    runtime.shutdown_background();
    Some(output)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<OsString> {
        line.split(' ').map(OsString::from).collect()
    }

    #[test]
    fn the_state_dir_on_the_line_is_honoured() {
        assert_eq!(
            state_dir_on_line(words("ocf-mediator -- ocf-mediator --state-dir /s own ")),
            Some(PathBuf::from("/s"))
        );
        assert_eq!(
            state_dir_on_line(words("ocf-mediator -- ocf-mediator own --state-dir=/t ")),
            Some(PathBuf::from("/t"))
        );
        assert_eq!(
            state_dir_on_line(words("ocf-mediator -- ocf-mediator own")),
            None
        );
    }

    #[test]
    fn names_with_spaces_or_quotes_are_not_offered() {
        assert_eq!(completable_name("Porch"), Some("Porch"));
        assert_eq!(completable_name("Porch lamp"), None);
        assert_eq!(completable_name("it's"), None);
        assert_eq!(completable_name("\u{1b}[2K"), None);
    }
}
