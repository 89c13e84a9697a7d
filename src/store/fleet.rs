//! The store the library talks to: the devices this mediator owns with their
//! owner keys, its own identity, and the cloud profiles. One handle per
//! process, cheap to clone and safe to share between tasks; every call is
//! async and does its file and keyring work off the executor (reads on a
//! blocking thread with a pooled connection, writes on the writer thread).
//!
//! How records and keys are kept behind it is described in `mod.rs`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use rusqlite::Connection;
use uuid::Uuid;
use zeroize::Zeroizing;

use super::db::{self, DbError, SealedKey};
use super::device::OwnedDevice;
use super::files::{self, FileError};
use super::kek::Keks;
use super::legacy;
use super::migrate;
use super::seal::Kek;
use super::secrets::{KeyringKind, SecretError, Secrets};
use super::writer::{Write, Writer};

/// An owner PSK. Never printed; wiped when dropped.
pub struct OwnerKey(Zeroizing<Vec<u8>>);

impl OwnerKey {
    pub fn new(bytes: &[u8]) -> OwnerKey {
        OwnerKey(Zeroizing::new(bytes.to_vec()))
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for OwnerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OwnerKey(..)")
    }
}

/// Why the store could not do what was asked.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum StoreError {
    /// No directory for the state could be determined: no `--state-dir`,
    /// `XDG_DATA_HOME` or `HOME`.
    NoDirectory,
    /// A file or directory of the store could not be read or written.
    Io { path: PathBuf, detail: String },
    /// A file of the store is damaged (it does not parse).
    Damaged { path: PathBuf, detail: String },
    /// A file of the store is a symbolic link, which the store refuses
    /// (it could point at a file of someone else's).
    Symlink { path: PathBuf },
    /// The store was written by a newer version of the mediator.
    Newer { path: PathBuf },
    /// The database failed (other than a damaged file).
    Database { detail: String },
    /// The keyring that holds the keys cannot be used (locked, absent,
    /// over its quota).
    Keyring(SecretError),
    /// The store has no owner key for this device.
    KeyMissing { di: Uuid, keyring: KeyringKind },
    /// The key-encryption key the keyring holds does not open this store's
    /// owner keys: it was replaced, or belongs to another store.
    WrongKek { keyring: KeyringKind },
    /// The keyring no longer holds the key-encryption key this store's
    /// owner keys were sealed with.
    KekLost { keyring: KeyringKind },
    /// The sealed owner key of this device does not open with the right
    /// key-encryption key: its record is damaged.
    SealedKeyDamaged { di: Uuid },
    /// The sealed private key of a credential (the local CA, the
    /// mediator's identity) does not open with the right key-encryption
    /// key: its record is damaged.
    SealedCredentialDamaged { name: String },
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
            StoreError::Symlink { path } => write!(
                f,
                "{} is a symbolic link; the mediator keeps its state only in files of its own: \
                 move the link away",
                path.display()
            ),
            StoreError::Newer { path } => write!(
                f,
                "{} was written by a newer version of ocf-mediator; use that version",
                path.display()
            ),
            StoreError::Database { detail } => write!(f, "the store's database failed: {detail}"),
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
            StoreError::KekLost { keyring } => write!(
                f,
                "the key-encryption key of this store is missing from the {keyring} keyring{}, so \
                 the owner keys sealed with it cannot be opened: import them from an export into \
                 a new state directory (`ocf-mediator --state-dir DIR keys import FILE`); without \
                 them the devices can only be reset at the device itself",
                if keyring.is_persistent() {
                    " (deleted, or the keyring was replaced)"
                } else {
                    " (the kernel keyring loses it at reboot or when the session ends)"
                }
            ),
            StoreError::SealedCredentialDamaged { name } => write!(
                f,
                "the sealed private key of {name} in the store is damaged; remove the state \
                 directory's credential (a new one is made on next use) or restore a backup"
            ),
            StoreError::SealedKeyDamaged { di } => write!(
                f,
                "the sealed owner key of {di} in the store is damaged; import it from an export \
                 (`ocf-mediator keys import FILE`) or reset the device at the device itself"
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

impl StoreError {
    pub(super) fn sqlite(e: rusqlite::Error) -> StoreError {
        StoreError::Database {
            detail: e.to_string(),
        }
    }

    fn file(e: FileError) -> StoreError {
        match e {
            FileError::Io { path, error } => StoreError::Io {
                path,
                detail: error.to_string(),
            },
            FileError::Symlink { path } => StoreError::Symlink { path },
        }
    }

    fn db(path: &Path, e: DbError) -> StoreError {
        match e {
            DbError::File(e) => StoreError::file(e),
            DbError::Newer => StoreError::Newer {
                path: path.to_path_buf(),
            },
            DbError::Sqlite(rusqlite::Error::SqliteFailure(code, detail))
                if matches!(
                    code.code,
                    rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase
                ) =>
            {
                StoreError::Damaged {
                    path: path.to_path_buf(),
                    detail: detail.unwrap_or_else(|| code.to_string()),
                }
            }
            DbError::Sqlite(e) => StoreError::sqlite(e),
        }
    }
}

/// Whether a device's owner key can be opened, as `devices` shows it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum KeyState {
    /// Sealed in the store, and it opens.
    Present,
    /// The store holds no key for the device.
    Missing,
    /// Still in an earlier version's keyring item; sealed on first use.
    NotYetMigrated,
    /// It cannot be opened now: why.
    Unreadable(StoreError),
}

/// The mediator's store. Clone it freely.
#[derive(Clone, Debug)]
pub struct Store {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    dir: PathBuf,
    ready: Mutex<Option<Arc<Ready>>>,
}

/// An open store: its writer thread, idle read connections, cached KEKs.
#[derive(Debug)]
pub(super) struct Ready {
    path: PathBuf,
    writer: Writer,
    readers: Mutex<Vec<Connection>>,
    pub(super) keks: Keks,
    store_id: Uuid,
}

impl Ready {
    fn open(dir: &Path) -> Result<Ready, StoreError> {
        files::prepare_dir(dir).map_err(StoreError::file)?;
        let path = dir.join(db::FILE);
        let conn = db::open(&path, true)
            .map_err(|e| StoreError::db(&path, e))?
            .expect("created");
        // Read first: an insert would take the write lock on every open.
        let store_id = match db::meta(&conn, "store_id").map_err(StoreError::sqlite)? {
            Some(id) => id,
            None => db::meta_or_insert(&conn, "store_id", &Uuid::new_v4().to_string())
                .map_err(StoreError::sqlite)?,
        };
        let store_id = Uuid::parse_str(&store_id).map_err(|e| StoreError::Damaged {
            path: path.clone(),
            detail: format!("its store id: {e}"),
        })?;
        let keks = Keks::new(store_id);
        migrate::run(dir, &conn, &keks)?;
        let write_conn = db::open(&path, true)
            .map_err(|e| StoreError::db(&path, e))?
            .expect("exists");
        let writer = Writer::start(write_conn).map_err(|e| StoreError::Io {
            path: path.clone(),
            detail: format!("cannot start the store's writer: {e}"),
        })?;
        Ok(Ready {
            path,
            writer,
            readers: Mutex::new(vec![conn]),
            keks,
            store_id,
        })
    }

    /// Runs `f` on an idle read connection (opening one if all are busy).
    pub(super) fn with_reader<R>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let pooled = self.readers.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => db::open(&self.path, false)
                .map_err(|e| StoreError::db(&self.path, e))?
                .ok_or_else(|| StoreError::Io {
                    path: self.path.clone(),
                    detail: "the store's database disappeared".into(),
                })?,
        };
        let result = f(&conn);
        self.readers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(conn);
        result
    }

    /// Queues `f` for the writer and waits until its transaction is durable.
    pub(super) async fn write<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.writer.submit(Box::new(Pending {
            f: Some(f),
            result: None,
            reply,
        }));
        // Waited for on a blocking thread: the commit is blocking work, and
        // so it counts as work in flight for tokio, whose paused test clock
        // then does not jump ahead while the disk is written.
        tokio::task::spawn_blocking(move || answer.blocking_recv())
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_else(|| {
                Err(StoreError::Database {
                    detail: "the store's writer stopped".into(),
                })
            })
    }

    /// As [`Ready::write`], from a blocking thread.
    fn write_blocking<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.writer.submit(Box::new(Pending {
            f: Some(f),
            result: None,
            reply,
        }));
        answer.blocking_recv().unwrap_or_else(|_| {
            Err(StoreError::Database {
                detail: "the store's writer stopped".into(),
            })
        })
    }

    /// The owner key of `di`, opened (and sealed first, if it was still in
    /// an earlier version's keyring item).
    fn owner_key(&self, di: Uuid, kind: KeyringKind) -> Result<OwnerKey, StoreError> {
        let sealed =
            self.with_reader(|conn| db::sealed_key(conn, di).map_err(StoreError::sqlite))?;
        match sealed {
            Some(SealedKey::Sealed(sealed)) => {
                let kek = self
                    .with_reader(|conn| self.keks.get(conn, kind, false))?
                    .ok_or(StoreError::KekLost { keyring: kind })?;
                let key = kek
                    .open(&sealed, di.as_bytes())
                    .map_err(|_| StoreError::SealedKeyDamaged { di })?;
                Ok(OwnerKey(key))
            }
            Some(SealedKey::Legacy) => self.migrate_key(di, kind),
            Some(SealedKey::None) | None => Err(StoreError::KeyMissing { di, keyring: kind }),
        }
    }

    /// Seals a key the migration could not read at the time.
    fn migrate_key(&self, di: Uuid, kind: KeyringKind) -> Result<OwnerKey, StoreError> {
        let secrets = Secrets::open(kind)?;
        let account = legacy::owner_key_account(&di);
        let Some(key) = secrets.get(&account)? else {
            self.write_blocking(move |conn| {
                conn.execute(
                    "UPDATE devices SET legacy_key = 0 WHERE di = ?1",
                    [di.to_string()],
                )
                .map_err(StoreError::sqlite)
            })?;
            return Err(StoreError::KeyMissing { di, keyring: kind });
        };
        let key = OwnerKey(Zeroizing::new(key));
        let kek = self
            .with_reader(|conn| self.keks.get(conn, kind, true))?
            .expect("created when asked to");
        let sealed = kek.seal(key.bytes(), di.as_bytes());
        self.write_blocking(move |conn| {
            db::set_sealed_key(conn, di, &sealed).map_err(StoreError::sqlite)
        })?;
        let _ = secrets.delete(&account);
        Ok(key)
    }
}

/// A write waiting for the writer thread.
struct Pending<F, R> {
    f: Option<F>,
    result: Option<Result<R, StoreError>>,
    reply: tokio::sync::oneshot::Sender<Result<R, StoreError>>,
}

impl<F, R> Write for Pending<F, R>
where
    F: FnOnce(&Connection) -> Result<R, StoreError> + Send,
    R: Send,
{
    fn apply(&mut self, conn: &Connection) -> bool {
        let result = (self.f.take().expect("applied once"))(conn);
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn finish(self: Box<Self>, committed: Result<(), String>) {
        let answer = match (committed, self.result) {
            // Its own failure says more than the batch's.
            (_, Some(Err(e))) => Err(e),
            (Ok(()), Some(result)) => result,
            (Ok(()), None) => Err(StoreError::Database {
                detail: "the write was not applied".into(),
            }),
            (Err(detail), _) => Err(StoreError::Database { detail }),
        };
        let _ = self.reply.send(answer);
    }
}

fn default_dir() -> Option<PathBuf> {
    let data = std::env::var_os("XDG_DATA_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(data.join("ocf-mediator"))
}

pub(super) fn now() -> i64 {
    db::millis(SystemTime::now())
}

impl Store {
    /// The store in `dir` (`--state-dir`), else in `$XDG_DATA_HOME/ocf-mediator`
    /// (`~/.local/share/ocf-mediator`). Nothing is read or created until the
    /// first call, and nothing is created until the first write.
    pub fn open(dir: Option<&Path>) -> Result<Store, StoreError> {
        let dir = match dir {
            Some(dir) => dir.to_path_buf(),
            None => default_dir().ok_or(StoreError::NoDirectory)?,
        };
        Ok(Store {
            inner: Arc::new(Inner {
                dir,
                ready: Mutex::new(None),
            }),
        })
    }

    /// Where the store keeps its files.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// The open store, opening (and migrating) it first if needed; `None`
    /// when there is nothing to read yet and `create` is false. Blocking.
    pub(super) fn ready(&self, create: bool) -> Result<Option<Arc<Ready>>, StoreError> {
        let mut ready = self.inner.ready.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(ready) = ready.as_ref() {
            return Ok(Some(Arc::clone(ready)));
        }
        let dir = &self.inner.dir;
        if !create {
            let db_path = dir.join(db::FILE);
            let exists = |p: &Path| std::fs::symlink_metadata(p).is_ok();
            if !exists(&db_path) && !exists(&dir.join(legacy::STATE_FILE)) {
                return Ok(None);
            }
        }
        let opened = Arc::new(Ready::open(dir)?);
        *ready = Some(Arc::clone(&opened));
        Ok(Some(opened))
    }

    /// Runs blocking store work on a blocking thread.
    pub(super) async fn blocking<R: Send + 'static>(
        &self,
        work: impl FnOnce(&Store) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || work(&store))
            .await
            .map_err(|e| StoreError::Io {
                path: self.inner.dir.clone(),
                detail: format!("the store's worker stopped: {e}"),
            })?
    }

    /// A read: `empty` when the store does not exist yet.
    pub(super) async fn read<R: Send + 'static>(
        &self,
        empty: R,
        f: impl FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        self.blocking(move |store| match store.ready(false)? {
            Some(ready) => ready.with_reader(f),
            None => Ok(empty),
        })
        .await
    }

    pub(super) async fn opened(&self) -> Result<Arc<Ready>, StoreError> {
        if let Some(ready) = self
            .inner
            .ready
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            return Ok(Arc::clone(ready));
        }
        self.blocking(|store| Ok(store.ready(true)?.expect("created")))
            .await
    }

    /// A durable write (creating the store if needed).
    pub(super) async fn write<R: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<R, StoreError> + Send + 'static,
    ) -> Result<R, StoreError> {
        self.opened().await?.write(f).await
    }

    /// Starts, in the background, what the first use of `kind` waits for:
    /// opening the store, connecting to the keyring and reading the KEK.
    pub fn warm_up(&self, kind: KeyringKind) {
        if let Ok(secrets) = Secrets::open(kind) {
            secrets.warm_up();
        }
        let store = self.clone();
        std::thread::spawn(move || {
            if let Ok(Some(ready)) = store.ready(false) {
                let _ = ready.with_reader(|conn| ready.keks.get(conn, kind, false));
            }
        });
    }

    /// The mediator's own UUID (its OCF owner identity), made and kept on first use.
    pub async fn mediator_uuid(&self) -> Result<Uuid, StoreError> {
        let known = self
            .read(None, |conn| {
                db::meta(conn, "mediator_uuid").map_err(StoreError::sqlite)
            })
            .await?;
        let text = match known {
            Some(text) => text,
            None => {
                self.write(|conn| {
                    db::meta_or_insert(conn, "mediator_uuid", &Uuid::new_v4().to_string())
                        .map_err(StoreError::sqlite)
                })
                .await?
            }
        };
        Uuid::parse_str(&text).map_err(|e| StoreError::Damaged {
            path: self.inner.dir.join(db::FILE),
            detail: format!("the mediator UUID: {e}"),
        })
    }

    /// The record of a device, by its UUID.
    pub async fn device(&self, di: Uuid) -> Result<Option<OwnedDevice>, StoreError> {
        self.find("di = ?1", di.to_string())
            .await
            .map(|mut v| v.pop())
    }

    /// Every device record, ordered by UUID.
    pub async fn devices(&self) -> Result<Vec<OwnedDevice>, StoreError> {
        self.read(Vec::new(), |conn| {
            db::devices_where(conn, "1", []).map_err(StoreError::sqlite)
        })
        .await
    }

    /// The records of devices with this name (`/oic/d` `n`).
    pub async fn devices_named(&self, name: &str) -> Result<Vec<OwnedDevice>, StoreError> {
        self.find("name = ?1", name.to_owned()).await
    }

    /// The record of the device that listed this endpoint URI.
    pub async fn device_with_endpoint(&self, uri: &str) -> Result<Option<OwnedDevice>, StoreError> {
        self.find(
            "di IN (SELECT di FROM endpoints WHERE uri = ?1)",
            uri.to_owned(),
        )
        .await
        .map(|mut v| v.pop())
    }

    /// Records of ownership attempts on the device that had UUID `previous`
    /// before it took a new one (including a record under `previous` itself).
    pub async fn devices_from(&self, previous: Uuid) -> Result<Vec<OwnedDevice>, StoreError> {
        self.find("di = ?1 OR previous_uuid = ?1", previous.to_string())
            .await
    }

    async fn find(
        &self,
        filter: &'static str,
        value: String,
    ) -> Result<Vec<OwnedDevice>, StoreError> {
        self.read(Vec::new(), move |conn| {
            db::devices_where(conn, filter, [value]).map_err(StoreError::sqlite)
        })
        .await
    }

    /// Writes a device's record and its owner key (sealed under the KEK of
    /// the record's keyring, made on first use) in one transaction, and
    /// returns once both are durable.
    pub async fn put_owned(&self, device: OwnedDevice, key: &OwnerKey) -> Result<(), StoreError> {
        let ready = self.opened().await?;
        let key = OwnerKey::new(key.bytes());
        let (di, kind) = (device.di, device.keyring);
        let sealer = Arc::clone(&ready);
        let sealed = self
            .blocking(move |_| {
                let kek = sealer
                    .with_reader(|conn| sealer.keks.get(conn, kind, true))?
                    .expect("created when asked to");
                Ok(kek.seal(key.bytes(), di.as_bytes()))
            })
            .await?;
        ready
            .write(move |conn| {
                db::upsert_device(conn, &device, now()).map_err(StoreError::sqlite)?;
                db::set_sealed_key(conn, di, &sealed).map_err(StoreError::sqlite)?;
                Ok(())
            })
            .await
    }

    /// Replaces a device's record, keeping its key (e.g. new endpoints).
    pub async fn update_device(&self, device: OwnedDevice) -> Result<(), StoreError> {
        self.write(move |conn| db::upsert_device(conn, &device, now()).map_err(StoreError::sqlite))
            .await
    }

    /// Records that ownership of `di` finished.
    pub async fn mark_complete(&self, di: Uuid) -> Result<(), StoreError> {
        self.write(move |conn| {
            conn.prepare_cached("UPDATE devices SET complete = 1, updated_ms = ?2 WHERE di = ?1")
                .and_then(|mut s| s.execute(rusqlite::params![di.to_string(), now()]))
                .map(drop)
                .map_err(StoreError::sqlite)
        })
        .await
    }

    /// Drops a device's record and its key; the record that was dropped.
    pub async fn forget(&self, di: Uuid) -> Result<Option<OwnedDevice>, StoreError> {
        let (dropped, legacy) = self
            .write(move |conn| {
                let legacy = matches!(
                    db::sealed_key(conn, di).map_err(StoreError::sqlite)?,
                    Some(SealedKey::Legacy)
                );
                let dropped = db::delete_device(conn, di).map_err(StoreError::sqlite)?;
                Ok((dropped, legacy))
            })
            .await?;
        if let (Some(device), true) = (&dropped, legacy) {
            // Its key was still in an earlier version's keyring item.
            let kind = device.keyring;
            self.blocking(move |_| {
                Secrets::open(kind)?.delete(&legacy::owner_key_account(&di))?;
                Ok(())
            })
            .await?;
        }
        Ok(dropped)
    }

    /// The owner key of a device this store holds.
    pub async fn owner_key(&self, device: &OwnedDevice) -> Result<OwnerKey, StoreError> {
        let (di, kind) = (device.di, device.keyring);
        self.blocking(move |store| match store.ready(false)? {
            Some(ready) => ready.owner_key(di, kind),
            None => Err(StoreError::KeyMissing { di, keyring: kind }),
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

    /// Every device record with whether its key opens, by UUID: one
    /// keyring access per keyring kind, however many devices.
    pub async fn devices_with_key_state(&self) -> Result<Vec<(OwnedDevice, KeyState)>, StoreError> {
        self.visit_devices_with_key_state(Vec::new(), |all, device, state| {
            all.push((device, state))
        })
        .await
    }

    /// Calls `visit` with `acc`, every device record and whether its key
    /// opens, by UUID, on a blocking thread, one record at a time (for
    /// listings of 100,000 devices that need not hold them all); returns
    /// `acc`. One keyring access per keyring kind, however many devices.
    pub async fn visit_devices_with_key_state<A: Send + 'static>(
        &self,
        mut acc: A,
        mut visit: impl FnMut(&mut A, OwnedDevice, KeyState) + Send + 'static,
    ) -> Result<A, StoreError> {
        self.blocking(move |store| {
            let Some(ready) = store.ready(false)? else {
                return Ok(acc);
            };
            let mut keks = std::collections::HashMap::new();
            let mut kek_of = |kind: KeyringKind| -> Result<Kek, StoreError> {
                keks.entry(kind)
                    .or_insert_with(|| {
                        ready
                            .with_reader(|conn| ready.keks.get(conn, kind, false))
                            .and_then(|k| k.ok_or(StoreError::KekLost { keyring: kind }))
                    })
                    .clone()
            };
            // The KEKs are read before the scan: reading one needs a
            // connection of the pool, which the scan holds.
            let kinds = [KeyringKind::SecretService, KeyringKind::Kernel];
            let has_keys = ready.with_reader(|conn| {
                kinds
                    .iter()
                    .map(|k| db::has_sealed_keys(conn, *k).map_err(StoreError::sqlite))
                    .collect::<Result<Vec<bool>, _>>()
            })?;
            for (kind, has) in kinds.iter().zip(has_keys) {
                if has {
                    let _ = kek_of(*kind);
                }
            }
            ready.with_reader(|conn| {
                db::visit_devices_with_keys(conn, |device, sealed| {
                    let state = match sealed {
                        SealedKey::None => KeyState::Missing,
                        SealedKey::Legacy => KeyState::NotYetMigrated,
                        SealedKey::Sealed(mut sealed) => match kek_of(device.keyring) {
                            Ok(kek) => {
                                if kek.verify_in_place(&mut sealed, device.di.as_bytes()) {
                                    KeyState::Present
                                } else {
                                    KeyState::Unreadable(StoreError::SealedKeyDamaged {
                                        di: device.di,
                                    })
                                }
                            }
                            Err(e) => KeyState::Unreadable(e),
                        },
                    };
                    visit(&mut acc, device, state);
                })
                .map_err(StoreError::sqlite)
            })?;
            Ok(acc)
        })
        .await
    }

    /// A cloud profile as stored (its shape belongs to `oauth`).
    pub async fn profile(&self, name: &str) -> Result<Option<serde_json::Value>, StoreError> {
        let name = name.to_owned();
        let path = self.inner.dir.join(db::FILE);
        let text = self
            .read(None, move |conn| {
                db::profile(conn, &name).map_err(StoreError::sqlite)
            })
            .await?;
        text.map(|t| parse_profile(&path, &t)).transpose()
    }

    /// Every cloud profile, by name.
    pub async fn profiles(&self) -> Result<Vec<(String, serde_json::Value)>, StoreError> {
        let path = self.inner.dir.join(db::FILE);
        let all = self
            .read(Vec::new(), |conn| {
                db::profiles(conn).map_err(StoreError::sqlite)
            })
            .await?;
        all.into_iter()
            .map(|(name, text)| Ok((name, parse_profile(&path, &text)?)))
            .collect()
    }

    pub async fn put_profile(
        &self,
        name: &str,
        profile: serde_json::Value,
    ) -> Result<(), StoreError> {
        let name = name.to_owned();
        self.write(move |conn| {
            db::put_profile(conn, &name, &profile.to_string()).map_err(StoreError::sqlite)
        })
        .await
    }

    /// Removes a profile; whether there was one.
    pub async fn remove_profile(&self, name: &str) -> Result<bool, StoreError> {
        let name = name.to_owned();
        self.write(move |conn| db::remove_profile(conn, &name).map_err(StoreError::sqlite))
            .await
    }

    /// Copies what the write-ahead log holds into the database file and
    /// empties the log (SQLite does this by itself every 1,000 pages): for
    /// a copy of the state directory that is one file, and for benchmarks
    /// that restore a store and must not inherit a log about to be copied.
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        self.blocking(|store| match store.ready(false)? {
            Some(ready) => ready.with_reader(|conn| {
                conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
                    .map_err(StoreError::sqlite)
            }),
            None => Ok(()),
        })
        .await
    }

    /// This store's random id (it names the KEKs' keyring accounts).
    pub async fn store_id(&self) -> Result<Uuid, StoreError> {
        Ok(self.opened().await?.store_id)
    }

    /// Adopts `uuid` as the mediator's identity, which only a store that owns
    /// no device yet may do (`keys import` of another station's devices).
    /// `false` when the store already has another identity and devices.
    pub async fn adopt_mediator_uuid(&self, uuid: Uuid) -> Result<bool, StoreError> {
        self.write(move |conn| {
            let current = db::meta(conn, "mediator_uuid").map_err(StoreError::sqlite)?;
            if current.as_deref() == Some(uuid.to_string().as_str()) {
                return Ok(true);
            }
            let devices: i64 = conn
                .query_row("SELECT COUNT(*) FROM devices", [], |r| r.get(0))
                .map_err(StoreError::sqlite)?;
            if current.is_some() && devices > 0 {
                return Ok(false);
            }
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('mediator_uuid', ?1)",
                [uuid.to_string()],
            )
            .map_err(StoreError::sqlite)?;
            Ok(true)
        })
        .await
    }
}

fn parse_profile(path: &Path, text: &str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Damaged {
        path: path.to_path_buf(),
        detail: format!("a cloud profile: {e}"),
    })
}
