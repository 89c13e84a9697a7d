//! The mediator as a library: one [`Mediator`] per process (or per test)
//! holds what every operation needs — the store, where new secrets go, how
//! long a device may take, and whom to ask — and the operations built on it
//! (`otm::own`, `otm::disown`, owner-session access, cloud configuration)
//! take it by reference. It is cheap to clone and safe to share between
//! tasks, so one process can drive many devices at once.
//!
//! This layer finds devices (the store first, then the network) and opens
//! sessions with them; it sits above `ocf` (resources, requests) and
//! `store`, below the operations and the command line.

mod access;
mod error;
mod failpoint;
mod locate;

pub use access::{Access, Exchanged, secure_endpoint};
pub use error::AccessError;
pub use failpoint::{Failpoint, Interrupted};
pub use locate::{Located, label, problem_error, resolve_host};

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::OnceCell;
use uuid::Uuid;

use crate::interact::{Interaction, Unattended};
use crate::store::{KeyringKind, Store, StoreError};

/// How a mediator is set up.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Where the store lives; `None`: `$XDG_DATA_HOME/ocf-mediator`.
    pub state_dir: Option<PathBuf>,
    /// Where new secrets go.
    pub keyring: KeyringKind,
    /// How long one operation on one device may take (waiting for a person
    /// at a prompt not included).
    pub timeout: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            state_dir: None,
            keyring: KeyringKind::SecretService,
            timeout: Duration::from_secs(10),
        }
    }
}

/// The context of every operation.
#[derive(Clone)]
pub struct Mediator {
    inner: Arc<Inner>,
    failpoint: Option<Arc<Failpoint>>,
    interaction: Arc<dyn Interaction>,
}

struct Inner {
    store: Store,
    keyring: KeyringKind,
    timeout: Duration,
    owner: OnceCell<Uuid>,
}

impl Mediator {
    /// A mediator over the store `settings` name, asking `interaction`.
    pub fn new(
        settings: Settings,
        interaction: Arc<dyn Interaction>,
    ) -> Result<Mediator, StoreError> {
        let store = Store::open(settings.state_dir.as_deref())?;
        Ok(Mediator {
            inner: Arc::new(Inner {
                store,
                keyring: settings.keyring,
                timeout: settings.timeout,
                owner: OnceCell::new(),
            }),
            failpoint: None,
            interaction,
        })
    }

    /// A mediator that asks nobody and shows nothing.
    pub fn unattended(settings: Settings) -> Result<Mediator, StoreError> {
        Mediator::new(settings, Arc::new(Unattended))
    }

    /// The same mediator, whose operations stop at `failpoint` (tests).
    pub fn with_failpoint(&self, failpoint: Failpoint) -> Mediator {
        Mediator {
            inner: Arc::clone(&self.inner),
            failpoint: Some(Arc::new(failpoint)),
            interaction: Arc::clone(&self.interaction),
        }
    }

    /// The same mediator (store, identity, failpoint), asking and telling
    /// `interaction` instead: e.g. one device's part of a batch, whose
    /// progress shows on that device's line.
    pub fn with_interaction(&self, interaction: Arc<dyn Interaction>) -> Mediator {
        Mediator {
            inner: Arc::clone(&self.inner),
            failpoint: self.failpoint.clone(),
            interaction,
        }
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Where new secrets go.
    pub fn keyring(&self) -> KeyringKind {
        self.inner.keyring
    }

    /// How long one operation on one device may take.
    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    pub fn interaction(&self) -> &dyn Interaction {
        self.interaction.as_ref()
    }

    /// A handle on the interaction that can move to a blocking thread.
    pub fn interaction_handle(&self) -> Arc<dyn Interaction> {
        Arc::clone(&self.interaction)
    }

    /// The mediator's own UUID (its OCF owner identity), made on first use.
    pub async fn owner(&self) -> Result<Uuid, StoreError> {
        self.inner
            .owner
            .get_or_try_init(|| self.inner.store.mediator_uuid())
            .await
            .copied()
    }

    /// Starts, in the background, what the first secure session will need:
    /// the keyring connection and an ECDHE key pair.
    pub fn prepare_sessions(&self, keyring: KeyringKind) {
        self.inner.store.warm_up(keyring);
        crate::net::secure::prepare_ephemeral_keys(1);
    }

    /// Called before each request of an operation: the failpoint, if any.
    pub fn checkpoint(&self) -> Result<(), Interrupted> {
        match &self.failpoint {
            Some(failpoint) => failpoint.check(),
            None => Ok(()),
        }
    }
}
