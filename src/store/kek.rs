//! The key-encryption keys (KEKs): one per keyring kind per store, 32
//! random bytes kept in that keyring under the account `kek/<store id>`
//! (the store id is random, made with the store, so two state directories
//! never share or overwrite each other's KEK). Read once per process and
//! cached.
//!
//! Beside the sealed keys, the store keeps each KEK's check value
//! (`seal.rs`): a KEK in the keyring that does not open it is the wrong
//! one (replaced, or another store's), not a damaged record; a check value
//! without a KEK in the keyring is a lost KEK, never "not owned".

use std::sync::Mutex;

use rusqlite::Connection;
use uuid::Uuid;

use super::db;
use super::fleet::StoreError;
use super::seal::Kek;
use super::secrets::{KeyringKind, Secrets};

/// The cached KEKs of one store.
#[derive(Debug)]
pub struct Keks {
    store_id: Uuid,
    secret_service: Mutex<Option<Kek>>,
    kernel: Mutex<Option<Kek>>,
}

/// The keyring account of a store's KEK.
pub fn account(store_id: Uuid) -> String {
    format!("kek/{store_id}")
}

impl Keks {
    pub fn new(store_id: Uuid) -> Keks {
        Keks {
            store_id,
            secret_service: Mutex::new(None),
            kernel: Mutex::new(None),
        }
    }

    fn slot(&self, kind: KeyringKind) -> &Mutex<Option<Kek>> {
        match kind {
            KeyringKind::SecretService => &self.secret_service,
            KeyringKind::Kernel => &self.kernel,
        }
    }

    /// The KEK of `kind`: from the cache, else from the keyring (checked
    /// against the store's check value). With `create`, a store that has
    /// none yet gets one; without, `None` means this store never had one.
    /// Concurrent callers wait for one keyring access.
    pub fn get(
        &self,
        conn: &Connection,
        kind: KeyringKind,
        create: bool,
    ) -> Result<Option<Kek>, StoreError> {
        let mut slot = self.slot(kind).lock().unwrap_or_else(|e| e.into_inner());
        if let Some(kek) = slot.as_ref() {
            return Ok(Some(kek.clone()));
        }
        let found = self.load(conn, kind, create)?;
        *slot = found.clone();
        Ok(found)
    }

    fn load(
        &self,
        conn: &Connection,
        kind: KeyringKind,
        create: bool,
    ) -> Result<Option<Kek>, StoreError> {
        let secrets = Secrets::open(kind)?;
        let account = account(self.store_id);
        // The common case, without the write lock: a check value and the
        // KEK that matches it.
        if let Some(check) = db::kek_check(conn, kind).map_err(StoreError::sqlite)?
            && let Some(bytes) = secrets.get(&account)?
            && let Some(kek) = Kek::from_bytes(&bytes)
            && kek.matches(&check)
        {
            return Ok(Some(kek));
        }
        // Anything else is decided under the database's write lock: another
        // process may be making this store's first KEK right now (keyring,
        // then check value, then its first sealed key), and the keyring and
        // the check value read at two moments could disagree only because of
        // it. Under the lock, the other process has either finished or not
        // begun.
        conn.execute_batch("BEGIN IMMEDIATE")
            .map_err(StoreError::sqlite)?;
        let result = self.load_locked(conn, kind, create, &secrets);
        let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
        conn.execute_batch(end).map_err(StoreError::sqlite)?;
        result
    }

    /// [`Keks::load`] under the write lock.
    fn load_locked(
        &self,
        conn: &Connection,
        kind: KeyringKind,
        create: bool,
        secrets: &Secrets,
    ) -> Result<Option<Kek>, StoreError> {
        let account = account(self.store_id);
        let check = db::kek_check(conn, kind).map_err(StoreError::sqlite)?;
        match (secrets.get(&account)?, check) {
            (Some(bytes), Some(check)) => match Kek::from_bytes(&bytes) {
                Some(kek) if kek.matches(&check) => Ok(Some(kek)),
                _ => Err(StoreError::WrongKek { keyring: kind }),
            },
            (Some(bytes), None) => {
                // A KEK stored by a process that stopped before it wrote the
                // check value: adopt it, unless keys were sealed without one.
                let kek = Kek::from_bytes(&bytes).ok_or(StoreError::WrongKek { keyring: kind })?;
                if db::has_sealed_keys(conn, kind).map_err(StoreError::sqlite)? {
                    return Err(StoreError::WrongKek { keyring: kind });
                }
                db::set_kek_check(conn, kind, &kek.check_value()).map_err(StoreError::sqlite)?;
                Ok(Some(kek))
            }
            (None, Some(_)) => Err(StoreError::KekLost { keyring: kind }),
            (None, None) => {
                if db::has_sealed_keys(conn, kind).map_err(StoreError::sqlite)? {
                    return Err(StoreError::KekLost { keyring: kind });
                }
                if !create {
                    return Ok(None);
                }
                let kek = Kek::generate().map_err(|e| StoreError::Io {
                    path: Default::default(),
                    detail: format!("no random bytes for a key-encryption key: {e}"),
                })?;
                // The keyring first: a crash between the two leaves a KEK
                // with no check value, which the next process adopts (above).
                secrets.set(&account, kek.bytes())?;
                db::set_kek_check(conn, kind, &kek.check_value()).map_err(StoreError::sqlite)?;
                Ok(Some(kek))
            }
        }
    }
}
