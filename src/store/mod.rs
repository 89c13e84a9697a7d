//! TEMPORARY stand-in for the lead's `store` module (being written on main),
//! with the agreed API, so the oauth branch compiles. Dropped in favour of
//! main's version at merge. The secrets here go to a 0600 JSON file beside
//! the state, which is NOT a keyring: do not ship this.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

pub struct StateFile {
    path: PathBuf,
}

#[derive(Serialize, Deserialize, Default)]
pub struct State {
    pub mediator_uuid: Option<uuid::Uuid>,
    #[serde(default)]
    pub devices: BTreeMap<uuid::Uuid, serde_json::Value>,
    #[serde(default)]
    pub profiles: BTreeMap<String, serde_json::Value>,
}

fn data_dir() -> PathBuf {
    std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."))
        .join("ocf-mediator")
}

impl StateFile {
    pub fn open(dir: Option<&Path>) -> anyhow::Result<StateFile> {
        let dir = dir.map(Path::to_path_buf).unwrap_or_else(data_dir);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(StateFile {
            path: dir.join("state.json"),
        })
    }

    pub fn load(&self) -> anyhow::Result<State> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .with_context(|| format!("{} is not a state file", self.path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", self.path.display())),
        }
    }

    pub fn update<R>(&self, f: impl FnOnce(&mut State) -> R) -> anyhow::Result<R> {
        let mut state = self.load()?;
        let r = f(&mut state);
        let tmp = self.path.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(&state)?)?;
        std::fs::rename(&tmp, &self.path)?;
        Ok(r)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyringKind {
    SecretService,
    Kernel,
}

#[derive(Debug)]
pub struct SecretError(String);

impl std::fmt::Display for SecretError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SecretError {}

pub struct Secrets {
    kind: KeyringKind,
    path: PathBuf,
}

impl Secrets {
    pub fn open(kind: KeyringKind) -> Result<Secrets, SecretError> {
        let dir = data_dir();
        std::fs::create_dir_all(&dir).map_err(|e| SecretError(e.to_string()))?;
        Ok(Secrets {
            kind,
            path: dir.join("TEMPORARY-secrets.json"),
        })
    }

    pub fn kind(&self) -> KeyringKind {
        self.kind
    }

    fn all(&self) -> BTreeMap<String, String> {
        std::fs::read(&self.path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    fn save(&self, all: &BTreeMap<String, String>) -> Result<(), SecretError> {
        use std::os::unix::fs::OpenOptionsExt;
        let tmp = self.path.with_extension("tmp");
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| SecretError(e.to_string()))?;
        std::io::Write::write_all(&mut file, &serde_json::to_vec(all).unwrap())
            .map_err(|e| SecretError(e.to_string()))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| SecretError(e.to_string()))
    }

    pub fn set(&self, account: &str, secret: &[u8]) -> Result<(), SecretError> {
        let mut all = self.all();
        all.insert(
            account.to_owned(),
            String::from_utf8_lossy(secret).into_owned(),
        );
        self.save(&all)
    }

    pub fn get(&self, account: &str) -> Result<Option<Vec<u8>>, SecretError> {
        Ok(self.all().remove(account).map(String::into_bytes))
    }

    pub fn delete(&self, account: &str) -> Result<(), SecretError> {
        let mut all = self.all();
        if all.remove(account).is_some() {
            self.save(&all)?;
        }
        Ok(())
    }
}
