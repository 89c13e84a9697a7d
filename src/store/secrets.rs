//! Secrets in the OS keyring, service `ocf-mediator`: owner PSKs, refresh
//! tokens, client secrets. Never in files, argv, logs or JSON output.
//!
//! Two stores on Linux: the Secret Service (gnome-keyring, KWallet), which
//! survives reboots, and the kernel keyring, which works headless but is
//! volatile, so it is used only when the user asks for it (where its
//! secrets go: `kernel.rs`).

use std::fmt;

#[cfg(not(target_os = "linux"))]
use keyring::Entry;
use serde::{Deserialize, Serialize};

const SERVICE: &str = "ocf-mediator";

/// A secret's description in the kernel keyring: the one the `keyring`
/// crate used, so secrets stored by earlier versions are found.
#[cfg(target_os = "linux")]
fn kernel_description(account: &str) -> String {
    format!("keyring-rs:{account}@{SERVICE}")
}

/// Which keyring holds a secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyringKind {
    /// The platform's persistent store: the Secret Service on Linux, the
    /// Keychain on macOS, the Credential Manager on Windows.
    SecretService,
    /// The Linux kernel keyring: headless, lost on reboot.
    Kernel,
}

impl KeyringKind {
    pub fn name(self) -> &'static str {
        match self {
            KeyringKind::SecretService => "secret-service",
            KeyringKind::Kernel => "kernel",
        }
    }

    /// Whether secrets survive a reboot.
    pub fn is_persistent(self) -> bool {
        self == KeyringKind::SecretService
    }
}

impl fmt::Display for KeyringKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A keyring failure, worded for the person who has to fix it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SecretError {
    /// The store cannot be reached.
    Unavailable { kind: KeyringKind, detail: String },
    /// The Secret Service collection is locked and cannot be unlocked
    /// without a prompt.
    Locked { kind: KeyringKind },
    /// The kernel refused a key: this user's key quota is used up.
    QuotaExhausted { kind: KeyringKind },
    /// The process has no session keyring and cannot use the user keyring.
    NoSessionKeyring { kind: KeyringKind, detail: String },
    /// The store answered with an error.
    Failed { kind: KeyringKind, detail: String },
}

impl SecretError {
    /// The keyring that failed.
    pub fn kind(&self) -> KeyringKind {
        match self {
            SecretError::Unavailable { kind, .. }
            | SecretError::Locked { kind }
            | SecretError::QuotaExhausted { kind }
            | SecretError::NoSessionKeyring { kind, .. }
            | SecretError::Failed { kind, .. } => *kind,
        }
    }
}

impl fmt::Display for SecretError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretError::Unavailable {
                kind: KeyringKind::SecretService,
                detail,
            } => write!(
                f,
                "the OS keyring (Secret Service) is not available: {detail}; start and unlock a \
                 keyring daemon (e.g. gnome-keyring), or pass --volatile-keyring to keep keys in \
                 the kernel keyring until reboot"
            ),
            SecretError::Unavailable { kind, detail } => write!(
                f,
                "the {kind} keyring is not available: {detail}; run inside a keyring session \
                 (e.g. `keyctl session - …`) or use the Secret Service"
            ),
            SecretError::Locked { .. } => f.write_str(
                "the OS keyring (Secret Service) is locked and cannot be unlocked without a \
                 prompt: unlock the keyring, or use --volatile-keyring",
            ),
            SecretError::QuotaExhausted { .. } => f.write_str(
                "the kernel keyring refused the key: this user's key quota is used up (see \
                 /proc/sys/kernel/keys/maxkeys and /proc/sys/kernel/keys/maxbytes, and \
                 /proc/key-users for what is used); remove keys you no longer need \
                 (`keyctl show @u`) or raise the quota",
            ),
            SecretError::NoSessionKeyring { detail, .. } => write!(
                f,
                "this process has no session keyring, and the user keyring cannot be used \
                 either ({detail}); run inside a keyring session (`keyctl session - COMMAND`, or \
                 a login session with pam_keyinit), or use the Secret Service"
            ),
            SecretError::Failed { kind, detail } => {
                write!(f, "the {kind} keyring failed: {detail}")
            }
        }
    }
}

impl std::error::Error for SecretError {}

/// Access to one keyring.
#[derive(Debug, Clone)]
pub struct Secrets {
    kind: KeyringKind,
}

impl Secrets {
    /// Opens a store. Nothing is contacted until the first call.
    pub fn open(kind: KeyringKind) -> Result<Secrets, SecretError> {
        if kind == KeyringKind::Kernel && !cfg!(target_os = "linux") {
            return Err(SecretError::Unavailable {
                kind,
                detail: "the kernel keyring exists only on Linux".into(),
            });
        }
        Ok(Secrets { kind })
    }

    pub fn kind(&self) -> KeyringKind {
        self.kind
    }

    /// Starts connecting to the store in the background (Secret Service
    /// only), so that a later operation does not wait for it.
    pub fn warm_up(&self) {
        #[cfg(target_os = "linux")]
        if self.kind == KeyringKind::SecretService {
            super::secret_service::warm_up();
        }
    }

    /// Whether the store is already known to be unreachable (the background
    /// connection of [`Secrets::warm_up`] failed). Never waits: `None` means
    /// "not known to fail", not "works".
    pub fn known_unavailable(&self) -> Option<SecretError> {
        #[cfg(target_os = "linux")]
        if self.kind == KeyringKind::SecretService {
            return super::secret_service::known_failure().map(|e| self.ss_error(e));
        }
        None
    }

    pub fn set(&self, account: &str, secret: &[u8]) -> Result<(), SecretError> {
        #[cfg(target_os = "linux")]
        if self.kind == KeyringKind::SecretService {
            return super::secret_service::set(SERVICE, account, secret)
                .map_err(|e| self.ss_error(e));
        }
        #[cfg(target_os = "linux")]
        return super::kernel::set(&kernel_description(account), secret)
            .map_err(|e| self.kernel_error(e));
        #[cfg(not(target_os = "linux"))]
        self.entry(account)?
            .set_secret(secret)
            .map_err(|e| self.error(e))
    }

    /// The secret, or `None` when the store has no such entry.
    pub fn get(&self, account: &str) -> Result<Option<Vec<u8>>, SecretError> {
        #[cfg(target_os = "linux")]
        if self.kind == KeyringKind::SecretService {
            return super::secret_service::get(SERVICE, account).map_err(|e| self.ss_error(e));
        }
        #[cfg(target_os = "linux")]
        return super::kernel::get(&kernel_description(account)).map_err(|e| self.kernel_error(e));
        #[cfg(not(target_os = "linux"))]
        match self.entry(account)?.get_secret() {
            Ok(secret) => Ok(Some(secret)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(self.error(e)),
        }
    }

    /// Removes a secret; a missing one is not an error.
    pub fn delete(&self, account: &str) -> Result<(), SecretError> {
        #[cfg(target_os = "linux")]
        if self.kind == KeyringKind::SecretService {
            return super::secret_service::delete(SERVICE, account).map_err(|e| self.ss_error(e));
        }
        #[cfg(target_os = "linux")]
        return super::kernel::delete(&kernel_description(account))
            .map_err(|e| self.kernel_error(e));
        #[cfg(not(target_os = "linux"))]
        match self.entry(account)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(self.error(e)),
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn entry(&self, account: &str) -> Result<Entry, SecretError> {
        Entry::new(SERVICE, account).map_err(|e| self.error(e))
    }

    #[cfg(target_os = "linux")]
    fn kernel_error(&self, e: super::kernel::KernelError) -> SecretError {
        use super::kernel::KernelError;
        let kind = self.kind;
        match e {
            KernelError::Quota => SecretError::QuotaExhausted { kind },
            KernelError::NoKeyring(detail) => SecretError::NoSessionKeyring { kind, detail },
            KernelError::Failed(detail) => SecretError::Failed { kind, detail },
        }
    }

    #[cfg(target_os = "linux")]
    fn ss_error(&self, e: super::secret_service::Failure) -> SecretError {
        use super::secret_service::Failure;
        match e {
            Failure::Unavailable(detail) => SecretError::Unavailable {
                kind: self.kind,
                detail,
            },
            Failure::Locked => SecretError::Locked { kind: self.kind },
            Failure::Failed(detail) => SecretError::Failed {
                kind: self.kind,
                detail,
            },
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn error(&self, e: keyring::Error) -> SecretError {
        let kind = self.kind;
        match e {
            keyring::Error::NoStorageAccess(inner) => SecretError::Unavailable {
                kind,
                detail: inner.to_string(),
            },
            keyring::Error::PlatformFailure(inner) => SecretError::Unavailable {
                kind,
                detail: inner.to_string(),
            },
            other => SecretError::Failed {
                kind,
                detail: other.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_quota_a_missing_session_keyring_and_a_locked_collection_read_differently() {
        let quota = SecretError::QuotaExhausted {
            kind: KeyringKind::Kernel,
        }
        .to_string();
        let session = SecretError::NoSessionKeyring {
            kind: KeyringKind::Kernel,
            detail: "operation not permitted".into(),
        }
        .to_string();
        let locked = SecretError::Locked {
            kind: KeyringKind::SecretService,
        }
        .to_string();
        assert!(quota.contains("/proc/sys/kernel/keys/maxkeys"), "{quota}");
        assert!(
            session.contains("no session keyring") && session.contains("keyctl session"),
            "{session}"
        );
        assert!(
            locked.contains("unlock the keyring, or use --volatile-keyring"),
            "{locked}"
        );
    }
}
