//! The Linux kernel keyring, used directly (not through the `keyring`
//! crate, whose keyutils store also links every key into the user's
//! persistent keyring, where it outlives the login session for days).
//!
//! Where a secret goes: the process's **session keyring** when it has one
//! of its own (a login session set up by `pam_keyinit`, `keyctl session`),
//! so the secret lasts as long as that session; a process without one
//! (cron, a service, a shell whose session keyring is the user's default
//! `_uid_ses.UID`) uses the **user keyring** (`_uid.UID`), which lasts while
//! the user has processes. Never the persistent keyring. Both are lost on
//! reboot. A secret is looked up in the session keyring, then in the user
//! keyring, so one stored by a process without a session is found from
//! inside one.
//!
//! Keys are readable by their possessor and by the same user (as a Secret
//! Service item is): a key in the user keyring is not possessed from inside
//! a session keyring that does not link it.

use linux_keyutils::{
    Key, KeyError, KeyPermissionsBuilder, KeyRing, KeyRingIdentifier, Permission,
};

/// What the kernel said, in the terms a person can act on.
#[derive(Debug, Clone)]
pub enum KernelError {
    /// EDQUOT: this user's key quota is used up.
    Quota,
    /// Neither a session keyring nor the user keyring can be reached.
    NoKeyring(String),
    /// Any other refusal.
    Failed(String),
}

fn error(e: KeyError) -> KernelError {
    match e {
        KeyError::QuotaExceeded => KernelError::Quota,
        KeyError::KeyringDoesNotExist | KeyError::PermissionDenied => {
            KernelError::NoKeyring(describe(e))
        }
        other => KernelError::Failed(describe(other)),
    }
}

fn describe(e: KeyError) -> String {
    match e {
        KeyError::AccessDenied => "access denied".into(),
        KeyError::PermissionDenied => "operation not permitted (keyctl is blocked here?)".into(),
        KeyError::QuotaExceeded => "quota exceeded".into(),
        KeyError::KeyringDoesNotExist => "no such keyring".into(),
        KeyError::OutOfMemory => "out of memory".into(),
        KeyError::OperationNotSupported => "not supported by this kernel".into(),
        KeyError::KeyDoesNotExist => "no such key or keyring".into(),
        KeyError::InvalidArguments => "invalid arguments".into(),
        KeyError::Unknown(errno) => format!("error {errno}"),
        other => format!("{other}"),
    }
}

/// The session keyring if the process has one of its own.
fn own_session() -> Result<Option<KeyRing>, KernelError> {
    let session = KeyRing::from_special_id(KeyRingIdentifier::Session, false).map_err(error)?;
    let meta = session.metadata().map_err(error)?;
    Ok((!meta.get_description().starts_with("_uid_ses.")).then_some(session))
}

fn user() -> Result<KeyRing, KernelError> {
    KeyRing::from_special_id(KeyRingIdentifier::User, true).map_err(error)
}

fn target() -> Result<KeyRing, KernelError> {
    match own_session()? {
        Some(session) => Ok(session),
        None => user(),
    }
}

/// Stores `secret` under `description`, replacing an older one.
pub fn set(description: &str, secret: &[u8]) -> Result<(), KernelError> {
    let key = target()?.add_key(description, secret).map_err(error)?;
    let perms = KeyPermissionsBuilder::builder()
        .posessor(Permission::ALL)
        .user(Permission::VIEW | Permission::READ | Permission::SEARCH)
        .build();
    key.set_perms(perms).map_err(error)
}

/// The keyrings a secret is looked for in: the own session keyring, then
/// the user keyring (when it exists: looking must not create it, which
/// would count against a full quota).
fn keyrings() -> Result<Vec<KeyRing>, KernelError> {
    let mut keyrings = Vec::new();
    if let Some(session) = own_session()? {
        keyrings.push(session);
        if let Ok(user) = KeyRing::from_special_id(KeyRingIdentifier::User, false) {
            keyrings.push(user);
        }
    } else {
        keyrings.push(user()?);
    }
    Ok(keyrings)
}

fn search(keyring: &KeyRing, description: &str) -> Result<Option<Key>, KernelError> {
    match keyring.search(description) {
        Ok(key) => Ok(Some(key)),
        Err(
            KeyError::KeyDoesNotExist
            | KeyError::KeyExpired
            | KeyError::KeyRevoked
            | KeyError::AccessDenied,
        ) => Ok(None),
        Err(e) => Err(error(e)),
    }
}

fn find(description: &str) -> Result<Option<Key>, KernelError> {
    for keyring in keyrings()? {
        if let Some(key) = search(&keyring, description)? {
            return Ok(Some(key));
        }
    }
    Ok(None)
}

/// The secret, or `None` when no keyring this process can search holds it.
pub fn get(description: &str) -> Result<Option<Vec<u8>>, KernelError> {
    match find(description)? {
        Some(key) => match key.read_to_vec() {
            Ok(secret) => Ok(Some(secret)),
            Err(KeyError::KeyExpired | KeyError::KeyRevoked | KeyError::KeyDoesNotExist) => {
                Ok(None)
            }
            Err(e) => Err(error(e)),
        },
        None => Ok(None),
    }
}

/// Removes a secret everywhere it is linked; a missing one is not an error.
pub fn delete(description: &str) -> Result<(), KernelError> {
    for keyring in keyrings()? {
        if let Some(key) = search(&keyring, description)? {
            match key.invalidate() {
                Ok(())
                | Err(KeyError::KeyExpired | KeyError::KeyRevoked | KeyError::KeyDoesNotExist) => {}
                Err(e) => return Err(error(e)),
            }
        }
    }
    Ok(())
}
