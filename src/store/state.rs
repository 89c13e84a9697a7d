//! The state file: owned devices, cloud profiles and the mediator's own UUID.
//! No secrets live here (they are in the keyring); the file is written
//! atomically under an exclusive lock, so parallel runs never lose updates.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::secrets::KeyringKind;

/// Everything the mediator remembers, as stored in `state.json`.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct State {
    /// The mediator's own identity (OCF owner UUID), made on first use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mediator_uuid: Option<Uuid>,
    /// Devices this mediator owns, by their device UUID.
    #[serde(default)]
    pub devices: BTreeMap<Uuid, OwnedDevice>,
    /// Cloud profiles by name; their shape belongs to `oauth`.
    #[serde(default)]
    pub profiles: BTreeMap<String, serde_json::Value>,
}

/// A device this mediator owns (or is in the middle of owning).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct OwnedDevice {
    /// Device name from `/oic/d`, for people.
    #[serde(default)]
    pub name: String,
    /// Last known endpoints, `coap://` and `coaps://` URIs.
    #[serde(default)]
    pub endpoints: Vec<String>,
    /// The ownership transfer method used: `jw`, `rdp` or `mfg`.
    pub otm: String,
    /// Which keyring holds the owner key.
    pub keyring: KeyringKind,
    /// `true` once the device reported RFNOP with us as owner; `false`
    /// while ownership is being transferred (so `own` can finish it).
    #[serde(default)]
    pub complete: bool,
    /// The device UUID before the transfer, when the transfer changed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_uuid: Option<Uuid>,
}

impl State {
    /// The mediator's UUID, making (and keeping) one on first use.
    pub fn mediator_uuid(&mut self) -> Uuid {
        *self.mediator_uuid.get_or_insert_with(Uuid::new_v4)
    }
}

/// The state file at `<dir>/state.json`.
#[derive(Debug, Clone)]
pub struct StateFile {
    dir: PathBuf,
}

impl StateFile {
    /// Opens the state in `dir` (the `--state-dir` flag), else in
    /// `$XDG_DATA_HOME/ocf-mediator` (`~/.local/share/ocf-mediator`).
    /// Nothing is created until the first update.
    pub fn open(dir: Option<&Path>) -> anyhow::Result<StateFile> {
        let dir = match dir {
            Some(dir) => dir.to_path_buf(),
            None => default_dir().context(
                "cannot tell where to keep the mediator's state: set HOME, XDG_DATA_HOME or --state-dir",
            )?,
        };
        Ok(StateFile { dir })
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join("state.json")
    }

    /// The current state; an empty one when there is no file yet.
    pub fn load(&self) -> anyhow::Result<State> {
        read_state(&self.path())
    }

    /// Locks the state, applies `f` and writes the result atomically
    /// (temporary file, fsync, rename, fsync of the directory).
    pub fn update<R>(&self, f: impl FnOnce(&mut State) -> R) -> anyhow::Result<R> {
        self.write(Durability::Durable, f)
    }

    /// As [`StateFile::update`], except that the rename is not made durable:
    /// after a power loss the previous state may come back, whole. For
    /// changes that are safe to lose, like `own` marking an entry complete
    /// (an incomplete entry is checked and finished by the next `own`).
    pub fn update_losable<R>(&self, f: impl FnOnce(&mut State) -> R) -> anyhow::Result<R> {
        self.write(Durability::RenameMayBeLost, f)
    }

    fn write<R>(
        &self,
        durability: Durability,
        f: impl FnOnce(&mut State) -> R,
    ) -> anyhow::Result<R> {
        fs::create_dir_all(&self.dir)
            .with_context(|| format!("cannot create the state directory {}", self.dir.display()))?;
        let _lock = self.lock()?;
        let path = self.path();
        let mut state = read_state(&path)?;
        let result = f(&mut state);
        write_atomically(&path, &serde_json::to_vec_pretty(&state)?, durability)
            .with_context(|| format!("cannot write the state file {}", path.display()))?;
        Ok(result)
    }

    fn lock(&self) -> anyhow::Result<File> {
        let path = self.dir.join("state.lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open the lock file {}", path.display()))?;
        fs4::FileExt::lock(&file).with_context(|| format!("cannot lock {}", path.display()))?;
        Ok(file)
    }
}

fn default_dir() -> Option<PathBuf> {
    let data = std::env::var_os("XDG_DATA_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(data.join("ocf-mediator"))
}

fn read_state(path: &Path) -> anyhow::Result<State> {
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "the state file {} is damaged; restore it from a backup or move it away",
                path.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
        Err(e) => Err(e).with_context(|| format!("cannot read the state file {}", path.display())),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Durability {
    Durable,
    RenameMayBeLost,
}

fn write_atomically(path: &Path, bytes: &[u8], durability: Durability) -> std::io::Result<()> {
    let tmp = path.with_extension("json.tmp");
    let mut file = File::create(&tmp)?;
    file.write_all(bytes)?;
    // The data is synced before the rename in every case: otherwise a crash
    // could leave a renamed but empty file, and every entry would be lost.
    file.sync_all()?;
    fs::rename(&tmp, path)?;
    if durability == Durability::RenameMayBeLost {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        // Make the rename itself durable; not every platform can open a
        // directory, and the data is already safe in the file.
        if let Ok(dir) = File::open(dir) {
            let _ = dir.sync_all();
        }
    }
    Ok(())
}
