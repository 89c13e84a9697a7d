//! `ocf-mediator disown`: hard reset over the owner session, wait for the
//! device to come back unowned, then forget its key (FACTS §2.5).

use std::time::Instant;

use super::args::{DisownArgs, GlobalArgs};
use super::devices::forget_device;
use super::exit::{Exit, failure};
use super::failpoint;
use super::output::Output;
use super::own::{RESET_DELAY, wait_until_unowned};
use super::session::{locate, open, owner_config, owner_key, secure_endpoint, send_step};
use crate::otm;
use crate::store::{OwnedDevice, Store};

pub async fn run(args: &DisownArgs, global: &GlobalArgs, output: &Output) -> anyhow::Result<Exit> {
    let store = Store::open(global.state_dir.as_deref())?;
    let known = match crate::ocf::address::DeviceRef::parse(&args.device).uuid() {
        Some(di) => store.device(di).await?,
        None => None,
    };
    if args.forget {
        return forget(&args.device, known, &store, output).await;
    }
    if let Some(entry) = &known {
        store.warm_up(entry.keyring);
    }
    let known = known.map(|e| e.di);
    let record = locate(&args.device, &store, global.timeout, output)
        .await
        .map_err(|e| match known {
            Some(di) => e.context(format!(
                "{di} could not be reached; if it is gone for good, `ocf-mediator disown --forget {di}` drops its entry and key"
            )),
            None => e,
        })?;
    let di = record.di;
    let Some(entry) = store.device(di).await? else {
        return Err(failure(
            Exit::NotFound,
            format!(
                "{di} is not owned by this mediator (`ocf-mediator devices` lists those it owns)"
            ),
        ));
    };
    let owner = store.mediator_uuid().await?;
    let key = owner_key(&store, &entry).await?;
    let secure = secure_endpoint(&record)?;
    failpoint::before_request();
    let deadline = Instant::now() + global.timeout;
    let mut session = open(
        secure,
        owner_config(owner, key.bytes()),
        deadline,
        "owner session",
    )
    .await?;
    failpoint::before_request();
    send_step(&mut session, &otm::reset_step(), deadline).await?;
    session.close().await;
    output.debug(&format!(
        "{di}: reset accepted; waiting for it to come back unowned"
    ));
    let spinner = output.spinner("Waiting for the device to reset…");
    let back = wait_until_unowned(record.address, global.timeout + RESET_DELAY).await;
    if let Some(bar) = spinner {
        bar.finish_and_clear();
    }
    let back = back.map_err(|e| {
        e.context(format!(
            "the device accepted the reset but did not come back; its key is kept: run `ocf-mediator disown {di}` again"
        ))
    })?;
    forget_device(&store, di).await?;
    if output.json {
        output.json_line(&serde_json::json!({ "di": di, "new_di": back.di, "disowned": true }));
    } else if !output.quiet {
        println!("Disowned {di}: it is back in RFOTM as {}", back.di);
    }
    Ok(Exit::Success)
}

/// `disown --forget`: the entry and the key go, the device is not contacted.
async fn forget(
    device: &str,
    known: Option<OwnedDevice>,
    store: &Store,
    output: &Output,
) -> anyhow::Result<Exit> {
    let Some(known) = known else {
        return Err(failure(
            Exit::NotFound,
            format!(
                "{device}: --forget takes the UUID of a device this mediator owns (`ocf-mediator devices` lists them)"
            ),
        ));
    };
    let di = known.di;
    let entry = forget_device(store, di).await?;
    if entry.is_some_and(|e| e.complete) {
        output.note(&format!(
            "warning: {di} was fully owned: if it still exists, only a reset at the device makes it ownable again"
        ));
    }
    if output.json {
        output.json_line(&serde_json::json!({ "di": di, "forgotten": true }));
    } else if !output.quiet {
        println!("Forgot {di}: its entry and owner key are gone");
    }
    Ok(Exit::Success)
}
