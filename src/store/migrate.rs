//! The move from an earlier version's state (`legacy.rs`) into the store,
//! on the first use of a state directory that holds `state.json`:
//!
//! 1. read `state.json` and the completion marks;
//! 2. read each owner key from its `device/<UUID>` keyring item and seal it
//!    under the KEK of that keyring (made now if the store has none); a key
//!    whose keyring cannot be read now is marked pending, and is read and
//!    sealed on the first access to it later (`fleet.rs`), not lost;
//! 3. write records, sealed keys, profiles and the mediator UUID in one
//!    durable transaction (a record already in the store is kept);
//! 4. only then rename `state.json` to `state.json.migrated` (or
//!    `.migrated.N` if that exists), remove the marks, and delete the old
//!    keyring items whose keys were sealed.
//!
//! A crash before step 3 changes nothing; between 3 and 4 the next run
//! migrates again, which keeps what the store holds and finds the same
//! keyring items.

use std::fs;
use std::path::{Path, PathBuf};

use rusqlite::Connection;
use uuid::Uuid;

use super::db;
use super::device::OwnedDevice;
use super::files;
use super::fleet::StoreError;
use super::kek::Keks;
use super::legacy::{self, LegacyError};
use super::secrets::{KeyringKind, Secrets};

/// What a migration did, for tests and the curious.
#[derive(Debug, Default)]
pub struct Migrated {
    pub devices: usize,
    pub sealed: usize,
    pub pending: usize,
    /// Where `state.json` went.
    pub renamed_to: Option<PathBuf>,
}

pub fn legacy_error(e: LegacyError) -> StoreError {
    match e {
        LegacyError::Io(path, e) => StoreError::Io {
            path,
            detail: e.to_string(),
        },
        LegacyError::Damaged(path, detail) => StoreError::Damaged { path, detail },
    }
}

/// Migrates `dir`'s old state into the store behind `conn`, if there is any.
pub fn run(dir: &Path, conn: &Connection, keks: &Keks) -> Result<Option<Migrated>, StoreError> {
    let Some(state) = legacy::read(dir).map_err(legacy_error)? else {
        return Ok(None);
    };
    let mut migrated = Migrated::default();
    let mut rows = Vec::new();
    let mut to_delete: Vec<(KeyringKind, Uuid)> = Vec::new();
    for (di, old) in &state.devices {
        let device = OwnedDevice {
            di: *di,
            name: old.name.clone(),
            endpoints: old.endpoints.clone(),
            otm: old.otm.clone(),
            keyring: old.keyring,
            complete: old.complete,
            previous_uuid: old.previous_uuid,
            doc_port: old.doc_port,
            created: None,
            updated: None,
        };
        let key = match read_and_seal(conn, keks, old.keyring, *di) {
            Ok(Some(sealed)) => {
                migrated.sealed += 1;
                to_delete.push((old.keyring, *di));
                db::SealedKey::Sealed(sealed)
            }
            Ok(None) => db::SealedKey::None,
            Err(_) => {
                migrated.pending += 1;
                db::SealedKey::Legacy
            }
        };
        rows.push((device, key));
    }
    let now = db::millis(std::time::SystemTime::now());
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(StoreError::sqlite)?;
    let written = (|| -> rusqlite::Result<()> {
        if let Some(uuid) = state.mediator_uuid {
            db::meta_or_insert(conn, "mediator_uuid", &uuid.to_string())?;
        }
        for (device, key) in &rows {
            if db::sealed_key(conn, device.di)?.is_some() {
                continue;
            }
            db::upsert_device(conn, device, now)?;
            match key {
                db::SealedKey::Sealed(sealed) => {
                    db::set_sealed_key(conn, device.di, sealed)?;
                }
                db::SealedKey::Legacy => {
                    conn.execute(
                        "UPDATE devices SET legacy_key = 1 WHERE di = ?1",
                        [device.di.to_string()],
                    )?;
                }
                db::SealedKey::None => {}
            }
            migrated.devices += 1;
        }
        for (name, value) in &state.profiles {
            if db::profile(conn, name)?.is_none() {
                db::put_profile(conn, name, &value.to_string())?;
            }
        }
        Ok(())
    })();
    let end = if written.is_ok() {
        "COMMIT"
    } else {
        "ROLLBACK"
    };
    let ended = conn.execute_batch(end);
    written.and(ended).map_err(StoreError::sqlite)?;
    // Durable: the old copies can go.
    let renamed_to = rename_aside(dir)?;
    let _ = fs::remove_dir_all(dir.join(legacy::MARKS_DIR));
    files::sync_dir(dir);
    migrated.renamed_to = Some(renamed_to);
    for (kind, di) in to_delete {
        if let Ok(secrets) = Secrets::open(kind) {
            // Best effort: a leftover item is a copy of a key the store
            // holds, and is deleted with the device's record later.
            let _ = secrets.delete(&legacy::owner_key_account(&di));
        }
    }
    Ok(Some(migrated))
}

/// The device's old keyring item, sealed; `None` when the keyring has no
/// such item (the key was lost before the migration).
fn read_and_seal(
    conn: &Connection,
    keks: &Keks,
    kind: KeyringKind,
    di: Uuid,
) -> Result<Option<Vec<u8>>, StoreError> {
    let secrets = Secrets::open(kind)?;
    let Some(key) = secrets.get(&legacy::owner_key_account(&di))? else {
        return Ok(None);
    };
    let key = zeroize::Zeroizing::new(key);
    let kek = keks.get(conn, kind, true)?.expect("created when asked to");
    Ok(Some(kek.seal(&key, di.as_bytes())))
}

fn rename_aside(dir: &Path) -> Result<PathBuf, StoreError> {
    let from = dir.join(legacy::STATE_FILE);
    let mut to = dir.join("state.json.migrated");
    let mut n = 2;
    while fs::symlink_metadata(&to).is_ok() {
        to = dir.join(format!("state.json.migrated.{n}"));
        n += 1;
    }
    match fs::rename(&from, &to) {
        Ok(()) => {}
        // Another process migrated it at the same time.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(to),
        Err(e) => {
            return Err(StoreError::Io {
                path: from.clone(),
                detail: format!(
                    "cannot rename it to {} after migrating it: {e}",
                    to.display()
                ),
            });
        }
    }
    let _ = files::restrict(&to, 0o600);
    Ok(to)
}
