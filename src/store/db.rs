//! The store's SQLite database: schema, opening, and the rows behind
//! [`OwnedDevice`]. Synchronous; `fleet.rs` runs it off the executor.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, params};
use uuid::Uuid;

use super::device::OwnedDevice;
use super::files;
use super::secrets::KeyringKind;

/// The database file in the state directory.
pub const FILE: &str = "store.sqlite3";

/// The schema this code writes (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 2;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS kek_check (
    keyring TEXT PRIMARY KEY,
    value   BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS devices (
    di            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    endpoints     TEXT NOT NULL,  -- one URI per line
    otm           TEXT NOT NULL,
    keyring       TEXT NOT NULL,
    complete      INTEGER NOT NULL,
    previous_uuid TEXT,
    sealed_key    BLOB,
    legacy_key    INTEGER NOT NULL DEFAULT 0,
    created_ms    INTEGER NOT NULL,
    updated_ms    INTEGER NOT NULL,
    doc_port      INTEGER
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS devices_by_name ON devices(name);
CREATE INDEX IF NOT EXISTS devices_by_previous ON devices(previous_uuid)
    WHERE previous_uuid IS NOT NULL;
CREATE TABLE IF NOT EXISTS endpoints (
    uri TEXT NOT NULL,
    di  TEXT NOT NULL,
    PRIMARY KEY (uri, di)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS endpoints_by_device ON endpoints(di);
CREATE TABLE IF NOT EXISTS profiles (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
-- Schema 2: identity certificates (certs.rs).
CREATE TABLE IF NOT EXISTS device_certs (
    di            TEXT PRIMARY KEY,
    signer        TEXT NOT NULL,
    not_after_ms  INTEGER NOT NULL,
    chain         TEXT NOT NULL,
    trust_anchor  TEXT NOT NULL,
    issued_ms     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS credentials (
    name          TEXT PRIMARY KEY,
    keyring       TEXT NOT NULL,
    sealed_key    BLOB NOT NULL,
    chain         TEXT NOT NULL,
    not_after_ms  INTEGER NOT NULL,
    updated_ms    INTEGER NOT NULL
) WITHOUT ROWID;
";

/// Why the database could not be used.
#[derive(Debug)]
pub enum DbError {
    File(files::FileError),
    Sqlite(rusqlite::Error),
    /// Written by a newer version of the mediator.
    Newer,
}

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> DbError {
        DbError::Sqlite(e)
    }
}

impl From<files::FileError> for DbError {
    fn from(e: files::FileError) -> DbError {
        DbError::File(e)
    }
}

/// Opens the database at `path`, creating it (0600) when `create`; `None`
/// when it does not exist and `create` is false.
pub fn open(path: &Path, create: bool) -> Result<Option<Connection>, DbError> {
    let exists = files::check_file(path)?;
    if !exists {
        if !create {
            return Ok(None);
        }
        // Created here, 0600 and exclusively, before SQLite opens it: SQLite
        // would create it with the umask's mode, and its -wal and -shm files
        // take the mode of the database file.
        match files::create_exclusive(path) {
            Ok(file) => {
                file.sync_all().map_err(|error| files::FileError::Io {
                    path: path.to_path_buf(),
                    error,
                })?;
                if let Some(dir) = path.parent() {
                    files::sync_dir(dir);
                }
            }
            Err(files::FileError::Io { error, .. })
                if error.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e.into()),
        }
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_NOFOLLOW;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // WAL: readers never wait for the writer; FULL: every commit is
    // fsync'd before it returns (the WAL file's directory entry too, on its
    // creation), which is what put_owned promises.
    use_wal(&conn)?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    // Reads through a memory map instead of a read(2) per page: listing
    // 100,000 devices spent a third of its time copying pages in syscalls.
    conn.pragma_update(None, "mmap_size", 1i64 << 30)?;
    // A closing connection does not copy the log into the database (two
    // more fsyncs at the end of every command); SQLite's automatic
    // checkpoint every 1,000 pages does, and `Store::checkpoint`.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
        true,
    )?;
    // After a checkpoint the log is cut back to 4 MiB rather than keeping
    // the size of its largest burst.
    conn.pragma_update(None, "journal_size_limit", 4i64 << 20)?;
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(DbError::Newer);
    }
    if version < SCHEMA_VERSION {
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE; {SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
        ))?;
    }
    for suffix in ["-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        // Files of an older store may be looser; SQLite made new ones 0600.
        files::check_file(Path::new(&name))?;
    }
    Ok(Some(conn))
}

/// How long a statement waits for another connection's lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Switches the database to WAL (kept in the file: a no-op once done).
/// The first switch needs the database to itself, and SQLite answers
/// "database is locked" at once instead of calling the busy handler, so
/// processes opening a new store together (a factory line's first
/// commands) retry it here, within the busy timeout.
fn use_wal(conn: &Connection) -> rusqlite::Result<()> {
    let started = std::time::Instant::now();
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && started.elapsed() < BUSY_TIMEOUT =>
            {
                std::thread::sleep(Duration::from_millis(2));
            }
            done => return done,
        }
    }
}

pub fn millis(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

pub(super) fn time(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64)
}

pub(super) fn keyring_name(kind: KeyringKind) -> &'static str {
    kind.name()
}

pub(super) fn keyring_from(name: &str) -> rusqlite::Result<KeyringKind> {
    match name {
        "secret-service" => Ok(KeyringKind::SecretService),
        "kernel" => Ok(KeyringKind::Kernel),
        other => Err(rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("unknown keyring {other:?}").into(),
        )),
    }
}

pub(super) fn uuid_from(text: &str) -> rusqlite::Result<Uuid> {
    Uuid::parse_str(text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// Endpoints are kept one per line (a URI has no line break): cheaper to
/// read back than JSON, for listings of 100,000 devices.
/// (A line break in what a device listed is no URI: it is not kept.)
fn join_endpoints(endpoints: &[String]) -> String {
    let kept: Vec<&str> = endpoints
        .iter()
        .map(String::as_str)
        .filter(|e| !e.contains('\n') && !e.is_empty())
        .collect();
    kept.join("\n")
}

fn split_endpoints(text: &str) -> Vec<String> {
    if text.is_empty() {
        Vec::new()
    } else {
        text.split('\n').map(str::to_owned).collect()
    }
}

/// The columns [`device_from`] reads, in order.
pub const DEVICE_COLUMNS: &str =
    "di, name, endpoints, otm, keyring, complete, previous_uuid, created_ms, updated_ms, doc_port";

pub fn device_from(row: &Row<'_>) -> rusqlite::Result<OwnedDevice> {
    // Text read in place where it is parsed (no copy per column and row).
    let endpoints: &str = row.get_ref(2)?.as_str()?;
    Ok(OwnedDevice {
        di: uuid_from(row.get_ref(0)?.as_str()?)?,
        name: row.get(1)?,
        endpoints: split_endpoints(endpoints),
        otm: row.get(3)?,
        keyring: keyring_from(row.get_ref(4)?.as_str()?)?,
        complete: row.get(5)?,
        previous_uuid: row
            .get_ref(6)?
            .as_str_or_null()?
            .map(uuid_from)
            .transpose()?,
        created: Some(time(row.get(7)?)),
        updated: Some(time(row.get(8)?)),
        doc_port: row.get(9)?,
    })
}

/// Devices matching `filter` (an SQL condition on `devices`), by UUID.
pub fn devices_where(
    conn: &Connection,
    filter: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<Vec<OwnedDevice>> {
    let sql = format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE {filter} ORDER BY di");
    let mut statement = conn.prepare_cached(&sql)?;
    let rows = statement.query_map(params, device_from)?;
    rows.collect()
}

/// What the store holds of a device's owner key.
pub enum SealedKey {
    Sealed(Vec<u8>),
    /// Still in the per-device keyring item of an older version, to be
    /// sealed on first use.
    Legacy,
    None,
}

pub fn sealed_key(conn: &Connection, di: Uuid) -> rusqlite::Result<Option<SealedKey>> {
    conn.prepare_cached("SELECT sealed_key, legacy_key FROM devices WHERE di = ?1")?
        .query_row([di.to_string()], |row| {
            let sealed: Option<Vec<u8>> = row.get(0)?;
            let legacy: bool = row.get(1)?;
            Ok(match (sealed, legacy) {
                (Some(sealed), _) => SealedKey::Sealed(sealed),
                (None, true) => SealedKey::Legacy,
                (None, false) => SealedKey::None,
            })
        })
        .optional()
}

/// Calls `visit` with every device and what the store holds of its key,
/// by UUID, one row at a time (the table is ordered by UUID: no sort, and
/// no list of 100,000 records in memory).
pub fn visit_devices_with_keys(
    conn: &Connection,
    mut visit: impl FnMut(OwnedDevice, SealedKey),
) -> rusqlite::Result<()> {
    let sql = format!("SELECT {DEVICE_COLUMNS}, sealed_key, legacy_key FROM devices ORDER BY di");
    let mut statement = conn.prepare_cached(&sql)?;
    let mut rows = statement.query([])?;
    while let Some(row) = rows.next()? {
        let device = device_from(row)?;
        let sealed: Option<Vec<u8>> = row.get(10)?;
        let legacy: bool = row.get(11)?;
        visit(
            device,
            match (sealed, legacy) {
                (Some(sealed), _) => SealedKey::Sealed(sealed),
                (None, true) => SealedKey::Legacy,
                (None, false) => SealedKey::None,
            },
        );
    }
    Ok(())
}

/// Writes a device's record (not its key): a new one, or over an existing
/// one keeping its creation time and key.
pub fn upsert_device(conn: &Connection, device: &OwnedDevice, now: i64) -> rusqlite::Result<()> {
    let di = device.di.to_string();
    let endpoints = join_endpoints(&device.endpoints);
    conn.prepare_cached(
        "INSERT INTO devices (di, name, endpoints, otm, keyring, complete, previous_uuid,
                              created_ms, updated_ms, doc_port)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9)
         ON CONFLICT (di) DO UPDATE SET
             name = excluded.name, endpoints = excluded.endpoints, otm = excluded.otm,
             keyring = excluded.keyring, complete = excluded.complete,
             previous_uuid = excluded.previous_uuid, updated_ms = excluded.updated_ms,
             doc_port = excluded.doc_port",
    )?
    .execute(params![
        di,
        device.name,
        endpoints,
        device.otm,
        keyring_name(device.keyring),
        device.complete,
        device.previous_uuid.map(|u| u.to_string()),
        now,
        device.doc_port
    ])?;
    conn.prepare_cached("DELETE FROM endpoints WHERE di = ?1")?
        .execute([&di])?;
    let mut insert =
        conn.prepare_cached("INSERT OR IGNORE INTO endpoints (uri, di) VALUES (?1, ?2)")?;
    for uri in &device.endpoints {
        insert.execute([uri, &di])?;
    }
    Ok(())
}

/// Sets a device's sealed key (clearing a pending legacy key).
pub fn set_sealed_key(conn: &Connection, di: Uuid, sealed: &[u8]) -> rusqlite::Result<usize> {
    conn.prepare_cached("UPDATE devices SET sealed_key = ?2, legacy_key = 0 WHERE di = ?1")?
        .execute(params![di.to_string(), sealed])
}

pub fn delete_device(conn: &Connection, di: Uuid) -> rusqlite::Result<Option<OwnedDevice>> {
    let found = devices_where(conn, "di = ?1", [di.to_string()])?.pop();
    if found.is_some() {
        conn.prepare_cached("DELETE FROM devices WHERE di = ?1")?
            .execute([di.to_string()])?;
        conn.prepare_cached("DELETE FROM endpoints WHERE di = ?1")?
            .execute([di.to_string()])?;
        conn.prepare_cached("DELETE FROM device_certs WHERE di = ?1")?
            .execute([di.to_string()])?;
    }
    Ok(found)
}

pub fn meta(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()
}

/// The value of `key`, setting it to `value` first if it has none.
pub fn meta_or_insert(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<String> {
    conn.prepare_cached("INSERT OR IGNORE INTO meta (key, value) VALUES (?1, ?2)")?
        .execute([key, value])?;
    Ok(meta(conn, key)?.expect("just inserted"))
}

pub fn kek_check(conn: &Connection, kind: KeyringKind) -> rusqlite::Result<Option<Vec<u8>>> {
    conn.prepare_cached("SELECT value FROM kek_check WHERE keyring = ?1")?
        .query_row([keyring_name(kind)], |r| r.get(0))
        .optional()
}

pub fn set_kek_check(conn: &Connection, kind: KeyringKind, check: &[u8]) -> rusqlite::Result<()> {
    conn.prepare_cached("INSERT OR REPLACE INTO kek_check (keyring, value) VALUES (?1, ?2)")?
        .execute(params![keyring_name(kind), check])?;
    Ok(())
}

/// Whether any sealed key (a device's, or a credential's) was written
/// under `kind`'s KEK.
pub fn has_sealed_keys(conn: &Connection, kind: KeyringKind) -> rusqlite::Result<bool> {
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM devices WHERE keyring = ?1 AND sealed_key IS NOT NULL)
             OR EXISTS (SELECT 1 FROM credentials WHERE keyring = ?1)",
    )?
    .query_row([keyring_name(kind)], |r| r.get(0))
}

pub fn profile(conn: &Connection, name: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT value FROM profiles WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()
}

pub fn profiles(conn: &Connection) -> rusqlite::Result<Vec<(String, String)>> {
    let mut statement = conn.prepare_cached("SELECT name, value FROM profiles ORDER BY name")?;
    let rows = statement.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

pub fn put_profile(conn: &Connection, name: &str, value: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("INSERT OR REPLACE INTO profiles (name, value) VALUES (?1, ?2)")?
        .execute([name, value])?;
    Ok(())
}

pub fn remove_profile(conn: &Connection, name: &str) -> rusqlite::Result<bool> {
    Ok(conn
        .prepare_cached("DELETE FROM profiles WHERE name = ?1")?
        .execute([name])?
        > 0)
}
