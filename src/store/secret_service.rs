//! The freedesktop Secret Service (gnome-keyring, KWallet) on Linux, through
//! one D-Bus connection per process.
//!
//! Each keyring operation through the generic `keyring` crate connected to
//! the bus and negotiated an encrypted session anew (twice for a write),
//! which made the keyring most of the cost of `own`. Here the connection is
//! made once, can be started early on a background thread ([`warm_up`]) so
//! that it overlaps network work, and a write is a single `CreateItem`.
//! Items carry the same attributes as the `keyring` crate's, so either can
//! read what the other wrote.
//!
//! The session is `plain`, as the `keyring` crate's is by default: secrets
//! cross the user's own session bus unencrypted. The `dh-ietf1024` session
//! would hide them from bus monitors, but on a session bus only processes of
//! the same user (or root) can monitor, and those can ask the Secret Service
//! for the items directly; it cost a 1024-bit modular exponentiation on
//! each side per process, about 5 ms of every command that touches a secret.

use std::collections::HashMap;
use std::sync::OnceLock;

use secret_service::EncryptionType;
use secret_service::blocking::{Collection, SecretService};

const APPLICATION: &str = "rust-keyring";
const TARGET: &str = "default";

static SERVICE: OnceLock<Result<SecretService<'static>, String>> = OnceLock::new();
/// The collection new items go to (the `default` alias), looked up once.
static DEFAULT_COLLECTION: OnceLock<Result<Collection<'static>, Failure>> = OnceLock::new();

static WARMING: OnceLock<()> = OnceLock::new();

/// Starts connecting on a background thread (once per process), so that
/// the first real operation finds the session (and the collection a write
/// goes to) ready.
pub fn warm_up() {
    WARMING.get_or_init(|| {
        std::thread::spawn(|| {
            if service().is_ok() {
                let _ = default_collection();
            }
        });
    });
}

/// The reason the connection failed, when it has been tried and failed.
/// Never waits.
pub fn known_failure() -> Option<Failure> {
    match SERVICE.get() {
        Some(Err(e)) => Some(Failure::Unavailable(e.clone())),
        _ => None,
    }
}

fn service() -> Result<&'static SecretService<'static>, Failure> {
    SERVICE
        .get_or_init(|| SecretService::connect(EncryptionType::Plain).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| Failure::Unavailable(e.clone()))
}

fn default_collection() -> Result<&'static Collection<'static>, Failure> {
    let ss = service()?;
    DEFAULT_COLLECTION
        .get_or_init(|| ss.get_default_collection().map_err(failed))
        .as_ref()
        .map_err(Failure::clone)
}

/// Why an operation failed.
#[derive(Clone)]
pub enum Failure {
    /// The service is not running or not reachable.
    Unavailable(String),
    /// The collection is locked and unlocking it needs a prompt.
    Locked,
    /// The service answered with an error.
    Failed(String),
}

fn failed(e: secret_service::Error) -> Failure {
    match e {
        secret_service::Error::Locked | secret_service::Error::Prompt => Failure::Locked,
        secret_service::Error::Unavailable => Failure::Unavailable(e.to_string()),
        other => Failure::Failed(other.to_string()),
    }
}

fn attributes<'a>(service: &'a str, account: &'a str) -> HashMap<&'a str, &'a str> {
    HashMap::from([
        ("service", service),
        ("username", account),
        ("target", TARGET),
        ("application", APPLICATION),
    ])
}

pub fn set(service_name: &str, account: &str, secret: &[u8]) -> Result<(), Failure> {
    let collection = default_collection()?;
    let label = format!("{account}@{service_name}");
    let create = || {
        collection.create_item(
            &label,
            attributes(service_name, account),
            secret,
            true,
            "application/octet-stream",
        )
    };
    // Asking whether the collection is locked first would cost a round trip
    // on every write; a locked one refuses the item, so ask only then.
    if let Err(error) = create() {
        if !collection.is_locked().map_err(failed)? {
            return Err(failed(error));
        }
        collection.unlock().map_err(failed)?;
        create().map_err(failed)?;
    }
    Ok(())
}

pub fn get(service_name: &str, account: &str) -> Result<Option<Vec<u8>>, Failure> {
    let ss = service()?;
    let mut search = attributes(service_name, account);
    search.remove("application");
    let found = ss.search_items(search).map_err(failed)?;
    if let Some(item) = found.unlocked.first() {
        return item.get_secret().map(Some).map_err(failed);
    }
    if let Some(item) = found.locked.first() {
        item.unlock().map_err(failed)?;
        return item.get_secret().map(Some).map_err(failed);
    }
    Ok(None)
}

pub fn delete(service_name: &str, account: &str) -> Result<(), Failure> {
    let ss = service()?;
    let mut search = attributes(service_name, account);
    search.remove("application");
    let found = ss.search_items(search).map_err(failed)?;
    for item in found.unlocked.iter().chain(found.locked.iter()) {
        item.delete().map_err(failed)?;
    }
    Ok(())
}
