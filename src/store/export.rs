//! The file `keys export` writes and `keys import` reads: owner keys with
//! their records, sealed under a passphrase, so a station can be replaced
//! without losing its devices.
//!
//! Layout (all integers big-endian):
//!
//! ```text
//! "OCFMKEYS"  8 bytes   magic
//! version     1 byte    1
//! log_n       1 byte    scrypt cost (N = 2^log_n)
//! r, p        4+4 bytes scrypt block size and parallelism
//! salt        16 bytes  random
//! verifier    32 bytes  the second half of scrypt's 64-byte output
//! nonce       12 bytes  random
//! sealed      n bytes   AES-256-GCM of the contents (key: the first half of
//!                       scrypt's output; associated data: everything above)
//! digest      32 bytes  SHA-256 of everything above
//! ```
//!
//! The digest tells a damaged file from a wrong passphrase (the verifier);
//! the passphrase itself is stretched with scrypt (N = 2^17, r = 8, p = 1:
//! 128 MiB and a fraction of a second per attempt). Scrypt and AES-GCM are
//! in the tree already (RustCrypto, ring); the `age` format would have
//! added a dozen crates for the same guarantees.
//!
//! The contents are JSON: the mediator's UUID (the identity the devices
//! know as their owner) and each device's record with its owner key.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use base64::Engine;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;
use zeroize::Zeroizing;

use super::device::OwnedDevice;
use super::files;
use super::fleet::OwnerKey;

const MAGIC: &[u8; 8] = b"OCFMKEYS";
const VERSION: u8 = 1;
const HEADER_LEN: usize = 8 + 1 + 1 + 4 + 4 + 16 + 32 + 12;
const DIGEST_LEN: usize = 32;

/// The scrypt cost of new exports.
const LOG_N: u8 = 17;
const R: u32 = 8;
const P: u32 = 1;
/// The largest cost an import accepts (1 GiB of memory at r = 8).
const MAX_LOG_N: u8 = 20;

/// Why an export file cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExportError {
    /// The passphrase does not open the file.
    WrongPassphrase,
    /// Not a key export of this mediator at all.
    NotAnExport,
    /// The file is damaged (truncated, altered).
    Damaged(String),
    /// Written by a newer version of ocf-mediator (its format version).
    Newer(u8),
}

impl std::fmt::Display for ExportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExportError::WrongPassphrase => {
                f.write_str("the passphrase does not open this key export")
            }
            ExportError::NotAnExport => {
                f.write_str("this is not a key export of ocf-mediator (`keys export` writes them)")
            }
            ExportError::Damaged(detail) => {
                write!(f, "the key export is damaged ({detail}); use another copy")
            }
            ExportError::Newer(version) => write!(
                f,
                "the key export has format version {version}, newer than this ocf-mediator reads \
                 ({VERSION}); import it with a newer version"
            ),
        }
    }
}

impl std::error::Error for ExportError {}

/// One device in an export.
#[derive(Debug)]
pub struct ExportedDevice {
    pub record: OwnedDevice,
    pub key: OwnerKey,
}

/// What an export holds.
#[derive(Debug)]
pub struct KeyExport {
    /// The mediator UUID the devices know as their owner.
    pub mediator_uuid: Uuid,
    pub devices: Vec<ExportedDevice>,
}

#[derive(Serialize, Deserialize)]
struct Contents {
    mediator_uuid: Uuid,
    exported_ms: u64,
    devices: Vec<DeviceEntry>,
}

#[derive(Serialize, Deserialize)]
struct DeviceEntry {
    record: OwnedDevice,
    /// The owner key, base64.
    key: String,
}

fn stretch(
    passphrase: &[u8],
    salt: &[u8],
    log_n: u8,
    r: u32,
    p: u32,
) -> Result<Zeroizing<[u8; 64]>, ExportError> {
    let params = scrypt::Params::new(log_n, r, p)
        .map_err(|_| ExportError::Damaged("impossible scrypt parameters".into()))?;
    let mut out = Zeroizing::new([0u8; 64]);
    scrypt::scrypt(passphrase, salt, &params, &mut out[..])
        .map_err(|_| ExportError::Damaged("impossible scrypt output".into()))?;
    Ok(out)
}

fn aead(key: &[u8]) -> LessSafeKey {
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).expect("32-byte key"))
}

/// Seals `export` under `passphrase`: the bytes of the file.
pub fn seal(export: &KeyExport, passphrase: &[u8]) -> Vec<u8> {
    let contents = Contents {
        mediator_uuid: export.mediator_uuid,
        exported_ms: SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0),
        devices: export
            .devices
            .iter()
            .map(|d| DeviceEntry {
                record: d.record.clone(),
                key: base64::engine::general_purpose::STANDARD.encode(d.key.bytes()),
            })
            .collect(),
    };
    let mut plain = Zeroizing::new(serde_json::to_vec(&contents).expect("serializable"));
    // The base64 copies of the keys in `contents` are wiped with it.
    for mut entry in contents.devices {
        zeroize::Zeroize::zeroize(&mut entry.key);
    }
    let mut salt = [0u8; 16];
    let mut nonce = [0u8; 12];
    getrandom::fill(&mut salt).expect("the OS random source");
    getrandom::fill(&mut nonce).expect("the OS random source");
    let stretched = stretch(passphrase, &salt, LOG_N, R, P).expect("valid parameters");
    let mut out = Vec::with_capacity(HEADER_LEN + plain.len() + 16 + DIGEST_LEN);
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    out.push(LOG_N);
    out.extend_from_slice(&R.to_be_bytes());
    out.extend_from_slice(&P.to_be_bytes());
    out.extend_from_slice(&salt);
    out.extend_from_slice(&stretched[32..]);
    out.extend_from_slice(&nonce);
    let header = out.clone();
    let tag = aead(&stretched[..32])
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(&header),
            &mut plain,
        )
        .expect("AES-GCM seals this length");
    out.extend_from_slice(&plain);
    out.extend_from_slice(tag.as_ref());
    let digest = Sha256::digest(&out);
    out.extend_from_slice(&digest);
    out
}

/// Opens a file written by [`seal`].
pub fn open(file: &[u8], passphrase: &[u8]) -> Result<KeyExport, ExportError> {
    if file.len() < MAGIC.len() || &file[..MAGIC.len()] != MAGIC {
        return Err(ExportError::NotAnExport);
    }
    if file.len() < HEADER_LEN + 16 + DIGEST_LEN {
        return Err(ExportError::Damaged("it is truncated".into()));
    }
    let version = file[8];
    if version > VERSION {
        return Err(ExportError::Newer(version));
    }
    if version != VERSION {
        return Err(ExportError::Damaged(format!(
            "unknown format version {version}"
        )));
    }
    let (body, digest) = file.split_at(file.len() - DIGEST_LEN);
    if !bool::from(Sha256::digest(body).as_slice().ct_eq(digest)) {
        return Err(ExportError::Damaged(
            "its checksum does not match: truncated or altered".into(),
        ));
    }
    let header = &body[..HEADER_LEN];
    let log_n = header[9];
    let r = u32::from_be_bytes(header[10..14].try_into().unwrap());
    let p = u32::from_be_bytes(header[14..18].try_into().unwrap());
    if log_n > MAX_LOG_N || r > 64 || p > 16 {
        return Err(ExportError::Damaged(format!(
            "its passphrase cost (scrypt 2^{log_n}, r={r}, p={p}) is beyond what is accepted"
        )));
    }
    let salt = &header[18..34];
    let verifier = &header[34..66];
    let nonce: [u8; 12] = header[66..78].try_into().unwrap();
    let stretched = stretch(passphrase, salt, log_n, r, p)?;
    if !bool::from(stretched[32..].ct_eq(verifier)) {
        return Err(ExportError::WrongPassphrase);
    }
    let mut sealed = Zeroizing::new(body[HEADER_LEN..].to_vec());
    let plain = aead(&stretched[..32])
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(header),
            &mut sealed,
        )
        .map_err(|_| ExportError::Damaged("its contents do not open".into()))?;
    let contents: Contents = serde_json::from_slice(plain)
        .map_err(|e| ExportError::Damaged(format!("its contents do not parse: {e}")))?;
    let mut devices = Vec::with_capacity(contents.devices.len());
    for mut entry in contents.devices {
        let key = Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .decode(&entry.key)
                .map_err(|_| ExportError::Damaged("a key is not base64".into()))?,
        );
        zeroize::Zeroize::zeroize(&mut entry.key);
        devices.push(ExportedDevice {
            record: entry.record,
            key: OwnerKey::new(&key),
        });
    }
    Ok(KeyExport {
        mediator_uuid: contents.mediator_uuid,
        devices,
    })
}

/// Why an export could not be written.
#[derive(Debug)]
#[non_exhaustive]
pub enum WriteError {
    /// The file exists and replacing it was not asked for.
    Exists(PathBuf),
    /// The file (or its directory) is a symbolic link.
    Symlink(PathBuf),
    Io(PathBuf, std::io::Error),
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::Exists(path) => {
                write!(f, "{} exists; pass --force to replace it", path.display())
            }
            WriteError::Symlink(path) => write!(
                f,
                "{} is a symbolic link; name the file itself",
                path.display()
            ),
            WriteError::Io(path, e) => write!(f, "cannot write {}: {e}", path.display()),
        }
    }
}

impl std::error::Error for WriteError {}

/// Writes an export to `path`: 0600, whole or not at all (a temporary file
/// created exclusively beside it, synced, then moved into place), never
/// over an existing file unless `replace`.
pub fn write_file(path: &Path, bytes: &[u8], replace: bool) -> Result<(), WriteError> {
    files::write_new_file(path, bytes, replace).map_err(|e| match e {
        files::FileError::Symlink { path } => WriteError::Symlink(path),
        files::FileError::Io { error, .. } if error.kind() == std::io::ErrorKind::AlreadyExists => {
            WriteError::Exists(path.to_path_buf())
        }
        files::FileError::Io { path, error } => WriteError::Io(path, error),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::KeyringKind;

    fn sample() -> KeyExport {
        KeyExport {
            mediator_uuid: Uuid::new_v4(),
            devices: vec![ExportedDevice {
                record: OwnedDevice {
                    di: Uuid::new_v4(),
                    name: "lamp".into(),
                    endpoints: vec!["coaps://127.0.0.1:5684".into()],
                    otm: "jw".into(),
                    keyring: KeyringKind::Kernel,
                    complete: true,
                    previous_uuid: None,
                    doc_port: None,
                    created: None,
                    updated: None,
                },
                key: OwnerKey::new(&[7; 16]),
            }],
        }
    }

    #[test]
    fn an_export_opens_with_its_passphrase_only_and_says_what_is_wrong() {
        let export = sample();
        let file = seal(&export, b"correct horse");
        let opened = open(&file, b"correct horse").unwrap();
        assert_eq!(opened.mediator_uuid, export.mediator_uuid);
        assert_eq!(opened.devices[0].record, export.devices[0].record);
        assert_eq!(opened.devices[0].key.bytes(), &[7; 16]);
        assert_eq!(
            open(&file, b"wrong").unwrap_err(),
            ExportError::WrongPassphrase
        );
        let mut damaged = file.clone();
        damaged[HEADER_LEN + 3] ^= 1;
        assert!(matches!(
            open(&damaged, b"correct horse"),
            Err(ExportError::Damaged(_))
        ));
        assert!(matches!(
            open(&file[..file.len() - 5], b"correct horse"),
            Err(ExportError::Damaged(_))
        ));
        let mut newer = file.clone();
        newer[8] = 9;
        assert_eq!(
            open(&newer, b"correct horse").unwrap_err(),
            ExportError::Newer(9)
        );
        assert_eq!(
            open(b"{\"json\": 1}", b"x").unwrap_err(),
            ExportError::NotAnExport
        );
        assert!(
            !String::from_utf8_lossy(&file).contains("lamp"),
            "the records are sealed too"
        );
    }
}
