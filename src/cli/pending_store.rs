//! The owner key and the device's entry, written in the background while
//! `own` talks to the device.
//!
//! Both must be durable before the device is sent anything that can make it
//! look owned (`Step::needs_stored_key`), but nothing requires them earlier:
//! the entry (which holds no secret) is written while the DOC handshake runs,
//! and the key, known once our side of the handshake is done, while the
//! handshake finishes and the first DOC steps run. Waiting for both in a
//! row cost `own` a third of its time.

use tokio::task::JoinHandle;
use uuid::Uuid;

use super::devices::owner_key_account;
use crate::store::{OwnedDevice, PendingWrite, Secrets, StateFile};

type Write = JoinHandle<anyhow::Result<()>>;

/// Writes under way; [`PendingStore::finish`] waits for them.
pub struct PendingStore {
    entry: Option<Write>,
    key: Option<PendingWrite>,
}

impl PendingStore {
    /// Starts writing the device's (incomplete) entry to the state file.
    pub fn entry(state_file: &StateFile, di: Uuid, entry: OwnedDevice) -> PendingStore {
        let state_file = state_file.clone();
        let write = tokio::task::spawn_blocking(move || {
            state_file.update(|s| {
                s.devices.insert(di, entry);
            })
        });
        PendingStore {
            entry: Some(write),
            key: None,
        }
    }

    /// Starts writing the owner key to the keyring.
    pub fn key(&mut self, secrets: &Secrets, di: Uuid, key: &[u8]) {
        self.key = Some(secrets.set_in_background(owner_key_account(&di), key.to_vec()));
    }

    /// Waits for every write started and not yet waited for; the first
    /// failure, if any. Nothing to wait for is success.
    pub async fn finish(&mut self) -> anyhow::Result<()> {
        let entry = wait(self.entry.take()).await;
        let key = match self.key.take() {
            Some(write) => match write.await {
                Ok(outcome) => outcome.map_err(anyhow::Error::new),
                Err(_) => Err(anyhow::anyhow!("storing the owner key stopped")),
            },
            None => Ok(()),
        };
        entry.and(key)
    }
}

async fn wait(write: Option<Write>) -> anyhow::Result<()> {
    match write {
        Some(write) => write
            .await
            .map_err(|e| anyhow::anyhow!("storing the owner key stopped: {e}"))?,
        None => Ok(()),
    }
}
