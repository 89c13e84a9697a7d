//! The owner key and the device's entry, written in the background while
//! `own` talks to the device.
//!
//! Both must be durable before the device is sent anything that can make it
//! look owned (`Step::needs_stored_key`), but nothing requires them earlier:
//! the entry and the key are written together (one transaction of the
//! store) as soon as our side of the handshake knows the key, while the
//! handshake finishes and the first DOC steps run.

use tokio::task::JoinHandle;

use crate::store::{OwnedDevice, OwnerKey, Store};

type Write = JoinHandle<anyhow::Result<()>>;

/// Writes under way; [`PendingStore::finish`] waits for them.
pub struct PendingStore {
    store: Store,
    entry: Option<OwnedDevice>,
    write: Option<Write>,
}

impl PendingStore {
    /// The device's (incomplete) entry, written with its key.
    pub fn entry(store: &Store, entry: OwnedDevice) -> PendingStore {
        PendingStore {
            store: store.clone(),
            entry: Some(entry),
            write: None,
        }
    }

    /// Starts writing the entry and the owner key to the store.
    pub fn key(&mut self, key: &[u8]) {
        if let Some(entry) = self.entry.take() {
            let store = self.store.clone();
            let key = OwnerKey::new(key);
            self.write = Some(tokio::spawn(async move {
                Ok(store.put_owned(entry, &key).await?)
            }));
        }
    }

    /// Waits for every write started and not yet waited for; the first
    /// failure, if any. Nothing to wait for is success.
    pub async fn finish(&mut self) -> anyhow::Result<()> {
        match self.write.take() {
            Some(write) => write
                .await
                .map_err(|e| anyhow::anyhow!("storing the owner key stopped: {e}"))?,
            None => Ok(()),
        }
    }
}
