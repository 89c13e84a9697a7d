//! What earlier versions kept: `state.json` (devices, profiles, the
//! mediator's UUID), `complete/<UUID>` marks beside it, and one keyring item
//! `device/<UUID>` per owner key. Read once, by the migration (`migrate.rs`).

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use uuid::Uuid;

use super::secrets::KeyringKind;

pub const STATE_FILE: &str = "state.json";
pub const MARKS_DIR: &str = "complete";

/// The keyring account of a device's owner key in earlier versions.
pub fn owner_key_account(di: &Uuid) -> String {
    format!("device/{di}")
}

#[derive(Debug, Default, Deserialize)]
pub struct State {
    #[serde(default)]
    pub mediator_uuid: Option<Uuid>,
    #[serde(default)]
    pub devices: BTreeMap<Uuid, Device>,
    #[serde(default)]
    pub profiles: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub struct Device {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub endpoints: Vec<String>,
    pub otm: String,
    pub keyring: KeyringKind,
    #[serde(default)]
    pub complete: bool,
    #[serde(default)]
    pub previous_uuid: Option<Uuid>,
    #[serde(default)]
    pub doc_port: Option<u16>,
}

/// Why the old state cannot be read.
#[derive(Debug)]
pub enum LegacyError {
    Io(PathBuf, io::Error),
    Damaged(PathBuf, String),
}

/// The old state in `dir` with its completion marks applied, or `None`
/// when there is no `state.json`.
pub fn read(dir: &Path) -> Result<Option<State>, LegacyError> {
    let path = dir.join(STATE_FILE);
    let bytes = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(LegacyError::Io(path, e)),
    };
    let mut state: State = serde_json::from_slice(&bytes)
        .map_err(|e| LegacyError::Damaged(path.clone(), e.to_string()))?;
    for di in marks(dir).map_err(|e| LegacyError::Io(dir.join(MARKS_DIR), e))? {
        if let Some(device) = state.devices.get_mut(&di) {
            device.complete = true;
        }
    }
    Ok(Some(state))
}

/// The devices marked complete (`complete/<UUID>`, empty files).
fn marks(dir: &Path) -> io::Result<Vec<Uuid>> {
    let entries = match fs::read_dir(dir.join(MARKS_DIR)) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut marks = Vec::new();
    for entry in entries {
        let name = entry?.file_name();
        if let Some(di) = name.to_str().and_then(|n| Uuid::parse_str(n).ok()) {
            marks.push(di);
        }
    }
    Ok(marks)
}
