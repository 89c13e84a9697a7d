//! What the mediator keeps between runs: a record per owned device with its
//! owner key sealed beside it, the mediator's identity and the cloud
//! profiles, in one SQLite database; the keys that open the sealed owner
//! keys, and the cloud profiles' tokens, in the OS keyring. The library
//! uses it through [`Store`] (`fleet.rs`).
//!
//! # Files
//!
//! The state directory (`--state-dir`, else `$XDG_DATA_HOME/ocf-mediator`)
//! is 0700 and holds `store.sqlite3` with SQLite's `-wal` and `-shm` files
//! beside it, all 0600 (`files.rs`: looser modes left by earlier versions are
//! tightened on open; a store file that is a symbolic link is refused; the
//! database file is created exclusively, `O_EXCL | O_NOFOLLOW`, before SQLite
//! opens it, and SQLite gives its `-wal`/`-shm` files the same mode).
//!
//! # Tables (`db.rs`)
//!
//! - `devices`: one row per device, keyed by UUID, with name, endpoints,
//!   method, keyring kind, completion, previous UUID, creation and update
//!   times, and the **sealed owner key**; indexed by name and previous UUID;
//! - `endpoints`: (URI, UUID) pairs, the index of lookups by endpoint;
//! - `profiles`: cloud profiles by name (opaque JSON; `oauth` owns the shape);
//! - `meta`: the mediator's UUID and the store's random id;
//! - `kek_check`: per keyring kind, the check value of its KEK;
//! - `device_certs`: the identity certificate each device was given, who
//!   signed it and when it expires (`certs.rs`);
//! - `credentials`: certificates with a private key of their own (the
//!   local CA, the mediator's identity certificates), the key sealed under
//!   the KEK like the owner keys (`certs.rs`).
//!
//! The database runs in WAL mode with `synchronous=FULL`: a commit returns
//! once the WAL is fsync'd (and, when SQLite creates the WAL file, its
//! directory), and readers never wait for the writer. Each process has one
//! writer thread (`writer.rs`) that commits everything queued since its last
//! commit in one transaction and answers each caller once it is durable
//! (group commit: 100 concurrent `own`s cost a few fsyncs, not 100 in a
//! row); reads run on pooled connections on blocking threads. Closing a
//! connection does not checkpoint (that would add fsyncs to every command);
//! SQLite's automatic checkpoint every 1,000 pages, or [`Store::checkpoint`],
//! copies the log into the database. Lookups by
//! UUID, name and endpoint are index lookups, so their cost does not grow
//! with the fleet; `devices` is one scan.
//!
//! # Sealing (`seal.rs`, `kek.rs`)
//!
//! Each owner PSK is sealed with AES-256-GCM under a key-encryption key
//! (KEK), with the device UUID as associated data. There is one KEK per
//! keyring kind per store: 32 random bytes in that keyring (Secret Service,
//! Keychain, Credential Manager; or the Linux kernel keyring with
//! `--volatile-keyring`, see `kernel.rs` for which kernel keyring), under
//! the account `kek/<store id>`. It is read once per process and cached;
//! [`Store::warm_up`] starts that early. So a process touches the keyring
//! once, however many devices it handles, and the keyring holds one item
//! per store instead of one per device (gnome-keyring rewrites its whole
//! file for each item written; an unprivileged user's kernel keyring holds
//! 200 keys). The store keeps each KEK's check value, which tells a wrong
//! KEK ([`StoreError::WrongKek`]) from a damaged record
//! ([`StoreError::SealedKeyDamaged`]); a check value whose KEK is gone from
//! the keyring is a lost KEK ([`StoreError::KekLost`]), never "not owned".
//! `keys export` seals keys under a passphrase instead (`export.rs`).
//!
//! # Crash safety
//!
//! [`Store::put_owned`] writes a device's record and its sealed key in one
//! transaction and returns once it is durable: after a crash at any point
//! the device is absent or present with its key, never one without the
//! other. The KEK is written to the keyring before its check value is
//! committed; a crash between the two leaves a KEK that the next process
//! adopts. `own` sends a device nothing that makes it look owned before
//! `put_owned` returned.
//!
//! # Migration (`migrate.rs`, `legacy.rs`)
//!
//! A state directory of an earlier version (`state.json`, `complete/`
//! marks, one keyring item `device/<UUID>` per owner key) is migrated on
//! first use: records and profiles move into the database, each key is read
//! and sealed; once that is durable `state.json` is renamed to
//! `state.json.migrated` and the old keyring items are deleted. A key whose
//! keyring cannot be read then is sealed on its first use later.

mod certs;
mod db;
mod device;
pub mod export;
mod files;
mod fleet;
mod kek;
#[cfg(target_os = "linux")]
mod kernel;
mod legacy;
mod migrate;
mod seal;
#[cfg(target_os = "linux")]
mod secret_service;
mod secrets;
mod writer;

pub use certs::{Credential, DeviceCertificate};
pub use device::OwnedDevice;
pub use fleet::{KeyState, OwnerKey, Store, StoreError};
pub use secrets::{KeyringKind, SecretError, Secrets};
