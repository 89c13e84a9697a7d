//! The store the library talks to: the devices this mediator owns with their
//! owner keys, its own identity, and the cloud profiles. One handle per
//! process, cheap to clone and safe to share between tasks; every call is
//! async and does its file and keyring work off the executor.
//!
//! This is the interface; how records and keys are kept behind it (today the
//! state file and one keyring item per owner key) is the store's business.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use uuid::Uuid;

use super::secrets::{KeyringKind, SecretError, Secrets};
use super::state::{OwnedDevice, StateFile};

/// An owner PSK. Never printed; wiped when dropped.
pub struct OwnerKey(Vec<u8>);

impl OwnerKey {
    pub fn new(bytes: &[u8]) -> OwnerKey {
        OwnerKey(bytes.to_vec())
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for OwnerKey {
    fn drop(&mut self) {
        for b in self.0.iter_mut() {
            // Volatile so that the wipe is not optimised away.
            unsafe { std::ptr::write_volatile(b, 0) };
        }
    }
}

impl fmt::Debug for OwnerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OwnerKey(..)")
    }
}

/// Why the store could not do what was asked.
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// No directory for the state could be determined: no `--state-dir`,
    /// `XDG_DATA_HOME` or `HOME`.
    NoDirectory,
    /// A file or directory of the store could not be read or written.
    Io { path: PathBuf, detail: String },
    /// A file of the store is damaged (it does not parse).
    Damaged { path: PathBuf, detail: String },
    /// The keyring that holds the keys cannot be used (locked, absent,
    /// over its quota).
    Keyring(SecretError),
    /// The store has no owner key for this device.
    KeyMissing { di: Uuid, keyring: KeyringKind },
    /// The key-encryption key the keyring holds does not open this store's
    /// owner keys: it was replaced, or belongs to another store.
    WrongKek { keyring: KeyringKind },
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::NoDirectory => f.write_str(
                "cannot tell where to keep the mediator's state: set HOME, XDG_DATA_HOME or --state-dir",
            ),
            StoreError::Io { path, detail } => write!(f, "{}: {detail}", path.display()),
            StoreError::Damaged { path, detail } => write!(
                f,
                "{} is damaged ({detail}); restore it from a backup or move it away",
                path.display()
            ),
            StoreError::Keyring(e) => write!(f, "{e}"),
            StoreError::KeyMissing { di, keyring } => write!(
                f,
                "the owner key of {di} is missing from the {keyring} keyring; without it the device \
                 can only be reset at the device itself"
            ),
            StoreError::WrongKek { keyring } => write!(
                f,
                "the key-encryption key in the {keyring} keyring does not open this store's owner \
                 keys (it was replaced, or belongs to another state directory)"
            ),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<SecretError> for StoreError {
    fn from(e: SecretError) -> StoreError {
        StoreError::Keyring(e)
    }
}

fn from_anyhow(dir: &Path, e: anyhow::Error) -> StoreError {
    StoreError::Io {
        path: dir.to_path_buf(),
        detail: format!("{e:#}"),
    }
}

/// The mediator's store. Clone it freely.
#[derive(Clone, Debug)]
pub struct Store {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    file: StateFile,
    dir: PathBuf,
}

/// The keyring account of a device's owner PSK (one item per device).
fn owner_key_account(di: &Uuid) -> String {
    format!("device/{di}")
}

impl Store {
    /// The store in `dir` (`--state-dir`), else in `$XDG_DATA_HOME/ocf-mediator`
    /// (`~/.local/share/ocf-mediator`). Nothing is created until the first write.
    pub fn open(dir: Option<&Path>) -> Result<Store, StoreError> {
        let file = StateFile::open(dir).map_err(|_| StoreError::NoDirectory)?;
        let dir = file
            .path()
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        Ok(Store {
            inner: Arc::new(Inner { file, dir }),
        })
    }

    /// Where the store keeps its files.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// Starts connecting to `kind` in the background, so that the first key
    /// read or written does not wait for it.
    pub fn warm_up(&self, kind: KeyringKind) {
        if let Ok(secrets) = Secrets::open(kind) {
            secrets.warm_up();
        }
    }

    async fn blocking<R: Send + 'static>(
        &self,
        work: impl FnOnce(&Inner) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || work(&inner))
            .await
            .map_err(|e| StoreError::Io {
                path: self.inner.dir.clone(),
                detail: format!("the store's worker stopped: {e}"),
            })?
    }

    /// The mediator's own UUID (its OCF owner identity), made and kept on first use.
    pub async fn mediator_uuid(&self) -> Result<Uuid, StoreError> {
        self.blocking(|inner| {
            let state = inner.file.load().map_err(|e| from_anyhow(&inner.dir, e))?;
            match state.mediator_uuid {
                Some(uuid) => Ok(uuid),
                None => inner
                    .file
                    .update(|s| s.mediator_uuid())
                    .map_err(|e| from_anyhow(&inner.dir, e)),
            }
        })
        .await
    }

    /// The record of a device, by its UUID.
    pub async fn device(&self, di: Uuid) -> Result<Option<OwnedDevice>, StoreError> {
        self.find(move |d| d.di == di).await.map(|mut v| v.pop())
    }

    /// Every device record, ordered by UUID.
    pub async fn devices(&self) -> Result<Vec<OwnedDevice>, StoreError> {
        self.find(|_| true).await
    }

    /// The records of devices with this name (`/oic/d` `n`).
    pub async fn devices_named(&self, name: &str) -> Result<Vec<OwnedDevice>, StoreError> {
        let name = name.to_owned();
        self.find(move |d| d.name == name).await
    }

    /// The record of the device that listed this endpoint URI.
    pub async fn device_with_endpoint(&self, uri: &str) -> Result<Option<OwnedDevice>, StoreError> {
        let uri = uri.to_owned();
        self.find(move |d| d.endpoints.contains(&uri))
            .await
            .map(|mut v| v.pop())
    }

    /// Records of ownership attempts on the device that had UUID `previous`
    /// before it took a new one (including a record under `previous` itself).
    pub async fn devices_from(&self, previous: Uuid) -> Result<Vec<OwnedDevice>, StoreError> {
        self.find(move |d| d.di == previous || d.previous_uuid == Some(previous))
            .await
    }

    async fn find(
        &self,
        matches: impl Fn(&OwnedDevice) -> bool + Send + 'static,
    ) -> Result<Vec<OwnedDevice>, StoreError> {
        self.blocking(move |inner| {
            let state = inner.file.load().map_err(|e| from_anyhow(&inner.dir, e))?;
            Ok(state
                .devices
                .into_iter()
                .map(|(di, mut d)| {
                    d.di = di;
                    d
                })
                .filter(|d| matches(d))
                .collect())
        })
        .await
    }

    /// Writes a device's record and its owner key, durably, before returning.
    pub async fn put_owned(&self, device: OwnedDevice, key: &OwnerKey) -> Result<(), StoreError> {
        let key = key.bytes().to_vec();
        self.blocking(move |inner| {
            let di = device.di;
            let kind = device.keyring;
            inner
                .file
                .update(|s| {
                    s.devices.insert(di, device);
                })
                .map_err(|e| from_anyhow(&inner.dir, e))?;
            Secrets::open(kind)?.set(&owner_key_account(&di), &key)?;
            Ok(())
        })
        .await
    }

    /// Replaces a device's record, keeping its key (e.g. new endpoints).
    pub async fn update_device(&self, device: OwnedDevice) -> Result<(), StoreError> {
        self.blocking(move |inner| {
            inner
                .file
                .update(|s| {
                    s.devices.insert(device.di, device);
                })
                .map_err(|e| from_anyhow(&inner.dir, e))
        })
        .await
    }

    /// Records that ownership of `di` finished.
    pub async fn mark_complete(&self, di: Uuid) -> Result<(), StoreError> {
        self.blocking(move |inner| {
            inner
                .file
                .mark_complete(di)
                .map_err(|e| from_anyhow(&inner.dir, e))
        })
        .await
    }

    /// Drops a device's record and its key; the record that was dropped.
    pub async fn forget(&self, di: Uuid) -> Result<Option<OwnedDevice>, StoreError> {
        self.blocking(move |inner| {
            let entry = inner
                .file
                .update(|s| s.devices.remove(&di))
                .map_err(|e| from_anyhow(&inner.dir, e))?;
            if let Some(entry) = &entry {
                Secrets::open(entry.keyring)?.delete(&owner_key_account(&di))?;
            }
            Ok(entry.map(|mut e| {
                e.di = di;
                e
            }))
        })
        .await
    }

    /// The owner key of a device this store holds.
    pub async fn owner_key(&self, device: &OwnedDevice) -> Result<OwnerKey, StoreError> {
        let (di, kind) = (device.di, device.keyring);
        self.blocking(move |_| {
            let secrets = Secrets::open(kind)?;
            match secrets.get(&owner_key_account(&di))? {
                Some(key) => Ok(OwnerKey(key)),
                None => Err(StoreError::KeyMissing { di, keyring: kind }),
            }
        })
        .await
    }

    /// Whether the owner key of `device` can be read, without handing it out.
    pub async fn has_owner_key(&self, device: &OwnedDevice) -> Result<bool, StoreError> {
        match self.owner_key(device).await {
            Ok(_) => Ok(true),
            Err(StoreError::KeyMissing { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// A cloud profile as stored (its shape belongs to `oauth`).
    pub async fn profile(&self, name: &str) -> Result<Option<serde_json::Value>, StoreError> {
        let name = name.to_owned();
        self.blocking(move |inner| {
            let state = inner.file.load().map_err(|e| from_anyhow(&inner.dir, e))?;
            Ok(state.profiles.get(&name).cloned())
        })
        .await
    }

    /// Every cloud profile, by name.
    pub async fn profiles(&self) -> Result<Vec<(String, serde_json::Value)>, StoreError> {
        self.blocking(move |inner| {
            let state = inner.file.load().map_err(|e| from_anyhow(&inner.dir, e))?;
            Ok(state.profiles.into_iter().collect())
        })
        .await
    }

    pub async fn put_profile(
        &self,
        name: &str,
        profile: serde_json::Value,
    ) -> Result<(), StoreError> {
        let name = name.to_owned();
        self.blocking(move |inner| {
            inner
                .file
                .update(|s| {
                    s.profiles.insert(name, profile);
                })
                .map_err(|e| from_anyhow(&inner.dir, e))
        })
        .await
    }

    /// Removes a profile; whether there was one.
    pub async fn remove_profile(&self, name: &str) -> Result<bool, StoreError> {
        let name = name.to_owned();
        self.blocking(move |inner| {
            inner
                .file
                .update(|s| s.profiles.remove(&name).is_some())
                .map_err(|e| from_anyhow(&inner.dir, e))
        })
        .await
    }
}
