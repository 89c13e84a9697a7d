//! Fills a mediator's store with made-up owned devices through the library,
//! for benchmarks that need a large fleet (`benches/own.sh`, and by hand):
//!
//!     cargo run --release --example fill_store -- DIR COUNT [--volatile-keyring]
//!
//! Each device gets a random UUID, a name `bench-N`, an endpoint and a
//! random owner key sealed under the store's key-encryption key, in the
//! keyring the flag names (the Secret Service of `DBUS_SESSION_BUS_ADDRESS`
//! by default, else the kernel keyring of this process's session). The
//! devices do not exist: only `devices` and lookups can use them.

use std::path::PathBuf;

use ocf_mediator::store::{KeyringKind, OwnedDevice, OwnerKey, Store};
use uuid::Uuid;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: fill_store DIR COUNT [--volatile-keyring]";
    let dir = PathBuf::from(args.next().ok_or(usage)?);
    let count: usize = args.next().ok_or(usage)?.parse()?;
    let keyring = match args.next().as_deref() {
        Some("--volatile-keyring") => KeyringKind::Kernel,
        None => KeyringKind::SecretService,
        Some(_) => return Err(usage.into()),
    };
    let store = Store::open(Some(&dir))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut writes = tokio::task::JoinSet::new();
        for n in 0..count {
            if writes.len() >= 1024 {
                writes.join_next().await.unwrap()??;
            }
            let store = store.clone();
            writes.spawn(async move {
                let di = Uuid::new_v4();
                let device = OwnedDevice {
                    di,
                    name: format!("bench-{n}"),
                    endpoints: vec![format!("coaps://10.{}.{}.1:5684", n / 256 % 256, n % 256)],
                    otm: "jw".into(),
                    keyring,
                    complete: true,
                    previous_uuid: Some(Uuid::new_v4()),
                    doc_port: None,
                    created: None,
                    updated: None,
                };
                store
                    .put_owned(device, &OwnerKey::new(Uuid::new_v4().as_bytes()))
                    .await
            });
        }
        while let Some(done) = writes.join_next().await {
            done??;
        }
        // Leave the store as a long-running mediator would: its log copied
        // into the database, not a log of 10,000 writes for the next
        // process to copy.
        store.checkpoint().await?;
        Ok::<(), Box<dyn std::error::Error>>(())
    })?;
    Ok(())
}
