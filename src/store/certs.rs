//! Identity certificates in the store: what each device was given (its
//! chain, who signed it, when it expires, and the CA written to it as the
//! trust anchor of this mediator), and the credentials that sign or
//! authenticate with a private key of their own — the local CA, and the
//! mediator's own identity certificate from each signer.
//!
//! A credential's private key is sealed under the store's key-encryption
//! key (KEK), like the owner keys, with its name as associated data; only
//! the keyring holds the KEK. So the key never lies in a file in the clear,
//! a process reads the keyring once however many certificates it signs, and
//! the key and its certificate are written in one transaction: two
//! processes that make the local CA at once agree on one.

use std::time::SystemTime;

use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;
use zeroize::Zeroizing;

use super::db::{self, millis};
use super::fleet::{Store, StoreError, now};
use super::secrets::KeyringKind;

/// The identity certificate a device was given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceCertificate {
    pub di: Uuid,
    /// Who signed it: `local`, or `hub:<profile>`.
    pub signer: String,
    /// When it stops being valid.
    pub not_after: SystemTime,
    /// The chain written to the device, PEM, leaf first.
    pub chain_pem: String,
    /// The CA written to the device as the trust anchor of this mediator
    /// (credusage `oic.sec.cred.trustca`, subject = the mediator's UUID).
    pub trust_anchor_pem: String,
    /// When it was written (set by the store).
    pub issued: Option<SystemTime>,
}

/// A certificate chain with its private key (PKCS#8 DER), e.g. the local
/// CA's or the mediator's own identity. Never printed; wiped when dropped.
#[derive(Clone)]
pub struct Credential {
    pub name: String,
    /// PEM, leaf first.
    pub chain_pem: String,
    pub not_after: SystemTime,
    /// The keyring whose KEK seals the key.
    pub keyring: KeyringKind,
    key: Zeroizing<Vec<u8>>,
}

impl Credential {
    pub fn new(
        name: &str,
        chain_pem: String,
        not_after: SystemTime,
        keyring: KeyringKind,
        pkcs8: &[u8],
    ) -> Credential {
        Credential {
            name: name.to_owned(),
            chain_pem,
            not_after,
            keyring,
            key: Zeroizing::new(pkcs8.to_vec()),
        }
    }

    /// The private key, PKCS#8 DER.
    pub fn pkcs8(&self) -> &[u8] {
        &self.key
    }

    /// The name of the mediator's own identity credential from `signer`
    /// (`local`, `hub:<profile>`).
    pub fn identity_name(signer: &str) -> String {
        format!("identity/{signer}")
    }

    /// The chain, DER, leaf first.
    pub fn chain(&self) -> Vec<Vec<u8>> {
        crate::ocf::pki::pem_certificates(&self.chain_pem)
    }
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("name", &self.name)
            .field("keyring", &self.keyring)
            .finish_non_exhaustive()
    }
}

/// What a credential's key is sealed to: its row, not another's.
fn aad(name: &str) -> Vec<u8> {
    format!("credential/{name}").into_bytes()
}

fn device_certificate_from(row: &rusqlite::Row<'_>) -> rusqlite::Result<DeviceCertificate> {
    Ok(DeviceCertificate {
        di: db::uuid_from(row.get_ref(0)?.as_str()?)?,
        signer: row.get(1)?,
        not_after: db::time(row.get(2)?),
        chain_pem: row.get(3)?,
        trust_anchor_pem: row.get(4)?,
        issued: Some(db::time(row.get(5)?)),
    })
}

/// A credential's row: its keyring, sealed key, chain (PEM) and notAfter.
type SealedRow = (KeyringKind, Vec<u8>, String, i64);

fn sealed_credential(conn: &Connection, name: &str) -> rusqlite::Result<Option<SealedRow>> {
    conn.prepare_cached(
        "SELECT keyring, sealed_key, chain, not_after_ms FROM credentials WHERE name = ?1",
    )?
    .query_row([name], |row| {
        Ok((
            db::keyring_from(row.get_ref(0)?.as_str()?)?,
            row.get(1)?,
            row.get(2)?,
            row.get(3)?,
        ))
    })
    .optional()
}

impl Store {
    /// Records the identity certificate written to a device (replacing an
    /// earlier one).
    pub async fn put_device_certificate(&self, cert: DeviceCertificate) -> Result<(), StoreError> {
        self.write(move |conn| {
            conn.prepare_cached(
                "INSERT OR REPLACE INTO device_certs
                     (di, signer, not_after_ms, chain, trust_anchor, issued_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    cert.di.to_string(),
                    cert.signer,
                    millis(cert.not_after),
                    cert.chain_pem,
                    cert.trust_anchor_pem,
                    now(),
                ])
            })
            .map(drop)
            .map_err(StoreError::sqlite)
        })
        .await
    }

    /// The identity certificate recorded for a device.
    pub async fn device_certificate(
        &self,
        di: Uuid,
    ) -> Result<Option<DeviceCertificate>, StoreError> {
        self.read(None, move |conn| {
            conn.prepare_cached(
                "SELECT di, signer, not_after_ms, chain, trust_anchor, issued_ms
                 FROM device_certs WHERE di = ?1",
            )
            .and_then(|mut s| {
                s.query_row([di.to_string()], device_certificate_from)
                    .optional()
            })
            .map_err(StoreError::sqlite)
        })
        .await
    }

    /// When each device's identity certificate expires, by device: one
    /// scan, for listings.
    pub async fn certificate_expiries(
        &self,
    ) -> Result<std::collections::HashMap<Uuid, SystemTime>, StoreError> {
        self.read(std::collections::HashMap::new(), |conn| {
            let mut statement = conn
                .prepare_cached("SELECT di, not_after_ms FROM device_certs")
                .map_err(StoreError::sqlite)?;
            let rows = statement
                .query_map([], |row| {
                    Ok((
                        db::uuid_from(row.get_ref(0)?.as_str()?)?,
                        db::time(row.get(1)?),
                    ))
                })
                .map_err(StoreError::sqlite)?;
            rows.collect::<rusqlite::Result<_>>()
                .map_err(StoreError::sqlite)
        })
        .await
    }

    /// The credential `name`, its key opened with the KEK of its keyring.
    pub async fn credential(&self, name: &str) -> Result<Option<Credential>, StoreError> {
        let name = name.to_owned();
        self.blocking(move |store| {
            let Some(ready) = store.ready(false)? else {
                return Ok(None);
            };
            let Some((keyring, sealed, chain_pem, not_after)) = ready
                .with_reader(|conn| sealed_credential(conn, &name).map_err(StoreError::sqlite))?
            else {
                return Ok(None);
            };
            let kek = ready
                .with_reader(|conn| ready.keks.get(conn, keyring, false))?
                .ok_or(StoreError::KekLost { keyring })?;
            let key = kek
                .open(&sealed, &aad(&name))
                .map_err(|_| StoreError::SealedCredentialDamaged { name: name.clone() })?;
            Ok(Some(Credential {
                name,
                chain_pem,
                not_after: db::time(not_after),
                keyring,
                key,
            }))
        })
        .await
    }

    /// Stores `credential` (its key sealed under the KEK of its keyring,
    /// made on first use) unless one by that name exists: the one stored
    /// is returned, so that concurrent makers agree. With `replace`, it
    /// replaces any (a renewal).
    pub async fn put_credential(
        &self,
        credential: Credential,
        replace: bool,
    ) -> Result<Credential, StoreError> {
        let ready = self.opened().await?;
        let sealer = std::sync::Arc::clone(&ready);
        let (kind, name) = (credential.keyring, credential.name.clone());
        let key = credential.key.clone();
        let sealed = self
            .blocking(move |_| {
                let kek = sealer
                    .with_reader(|conn| sealer.keks.get(conn, kind, true))?
                    .expect("created when asked to");
                Ok(kek.seal(&key, &aad(&name)))
            })
            .await?;
        let row = credential.clone();
        let stored = ready
            .write(move |conn| {
                let verb = if replace {
                    "INSERT OR REPLACE"
                } else {
                    "INSERT OR IGNORE"
                };
                conn.execute(
                    &format!(
                        "{verb} INTO credentials
                             (name, keyring, sealed_key, chain, not_after_ms, updated_ms)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                    ),
                    params![
                        row.name,
                        db::keyring_name(row.keyring),
                        sealed,
                        row.chain_pem,
                        millis(row.not_after),
                        now(),
                    ],
                )
                .map_err(StoreError::sqlite)?;
                sealed_credential(conn, &row.name).map_err(StoreError::sqlite)
            })
            .await?;
        match stored {
            Some((_, _, chain_pem, _)) if chain_pem == credential.chain_pem => Ok(credential),
            // Another process made it first: use theirs.
            Some(_) => {
                self.credential(&credential.name)
                    .await?
                    .ok_or_else(|| StoreError::Database {
                        detail: format!("the credential {} vanished", credential.name),
                    })
            }
            None => Err(StoreError::Database {
                detail: format!("the credential {} was not written", credential.name),
            }),
        }
    }
}
