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

use super::completion_marks;
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
    /// The device UUID (the key of the record; not repeated in the file).
    #[serde(skip)]
    pub di: Uuid,
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
    /// While ownership is being transferred: the local UDP port of the
    /// device ownership connection, so that a rerun after a crash can take
    /// that session's place at the device (RFC 6347 §4.2.8) instead of
    /// waiting for the device to drop it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc_port: Option<u16>,
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
        Ok(self.read()?.0)
    }

    /// The state file with the completion marks applied, and those marks.
    fn read(&self) -> anyhow::Result<(State, Vec<Uuid>)> {
        let mut state = read_state(&self.path())?;
        let marks = completion_marks::read(&self.dir).with_context(|| {
            format!(
                "cannot read the completion marks in {}",
                completion_marks::dir(&self.dir).display()
            )
        })?;
        for di in &marks {
            if let Some(entry) = state.devices.get_mut(di) {
                entry.complete = true;
            }
        }
        Ok((state, marks))
    }

    /// Locks the state, applies `f` and writes the result atomically
    /// (temporary file, fsync, rename, fsync of the directory).
    pub fn update<R>(&self, f: impl FnOnce(&mut State) -> R) -> anyhow::Result<R> {
        fs::create_dir_all(&self.dir)
            .with_context(|| format!("cannot create the state directory {}", self.dir.display()))?;
        let _lock = self.lock()?;
        let path = self.path();
        let (mut state, marks) = self.read()?;
        let result = f(&mut state);
        write_atomically(&path, &serde_json::to_vec_pretty(&state)?)
            .with_context(|| format!("cannot write the state file {}", path.display()))?;
        // The file now holds what the marks said (or their entries are gone).
        completion_marks::remove(&self.dir, &marks);
        Ok(result)
    }

    /// Records that ownership of `di` finished, without rewriting the state
    /// file (see `completion_marks.rs`). Safe to lose: an incomplete entry
    /// is checked and finished by the next `own`.
    pub fn mark_complete(&self, di: Uuid) -> anyhow::Result<()> {
        completion_marks::create(&self.dir, di).with_context(|| {
            format!(
                "cannot mark {di} complete in {}",
                completion_marks::dir(&self.dir).display()
            )
        })
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

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("json.tmp");
    let mut file = File::create(&tmp)?;
    file.write_all(bytes)?;
    // The data is synced before the rename: otherwise a crash could leave a
    // renamed but empty file, and every entry would be lost.
    file.sync_all()?;
    fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        // Make the rename itself durable; not every platform can open a
        // directory, and the data is already safe in the file.
        if let Ok(dir) = File::open(dir) {
            let _ = dir.sync_all();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incomplete_entry() -> OwnedDevice {
        OwnedDevice {
            di: Uuid::nil(),
            name: "lamp".into(),
            endpoints: Vec::new(),
            otm: "jw".into(),
            keyring: KeyringKind::Kernel,
            complete: false,
            previous_uuid: None,
            doc_port: None,
        }
    }

    #[test]
    fn a_completion_mark_completes_the_entry_until_the_next_update_writes_it_in() {
        let dir = tempfile::tempdir().unwrap();
        let state_file = StateFile::open(Some(dir.path())).unwrap();
        let di = Uuid::new_v4();
        state_file
            .update(|s| s.devices.insert(di, incomplete_entry()))
            .unwrap();
        state_file.mark_complete(di).unwrap();
        assert!(state_file.load().unwrap().devices[&di].complete);

        state_file.update(|_| ()).unwrap();
        assert!(completion_marks::read(dir.path()).unwrap().is_empty());
        let written: serde_json::Value =
            serde_json::from_slice(&fs::read(state_file.path()).unwrap()).unwrap();
        assert_eq!(written["devices"][di.to_string()]["complete"], true);
    }

    #[test]
    fn a_mark_without_an_entry_changes_nothing_and_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let state_file = StateFile::open(Some(dir.path())).unwrap();
        state_file.mark_complete(Uuid::new_v4()).unwrap();
        assert!(state_file.load().unwrap().devices.is_empty());
        state_file.update(|_| ()).unwrap();
        assert!(completion_marks::read(dir.path()).unwrap().is_empty());
        assert!(state_file.load().unwrap().devices.is_empty());
    }
}
