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
use crate::store::{KeyringKind, Secrets, StateFile};
use uuid::Uuid;

pub async fn run(args: &DisownArgs, global: &GlobalArgs, output: &Output) -> anyhow::Result<Exit> {
    let state_file = StateFile::open(global.state_dir.as_deref())?;
    let mut state = state_file.load()?;
    let owner = state.mediator_uuid();
    let known = crate::ocf::address::DeviceRef::parse(&args.device)
        .ok()
        .and_then(|r| r.uuid())
        .filter(|di| state.devices.contains_key(di));
    if args.forget {
        let known = known.and_then(|di| state.devices.get(&di).map(|e| (di, e.keyring)));
        return forget(&args.device, known, &state_file, output);
    }
    if let Some(entry) = known.and_then(|di| state.devices.get(&di)) {
        if let Ok(secrets) = Secrets::open(entry.keyring) {
            secrets.warm_up();
        }
    }
    let record = locate(&args.device, &state, global.timeout, output)
        .await
        .map_err(|e| match known {
            Some(di) => e.context(format!(
                "{di} could not be reached; if it is gone for good, `ocf-mediator disown --forget {di}` drops its entry and key"
            )),
            None => e,
        })?;
    let di = record.di;
    let Some(entry) = state.devices.get(&di).cloned() else {
        return Err(failure(
            Exit::NotFound,
            format!(
                "{di} is not owned by this mediator (`ocf-mediator devices` lists those it owns)"
            ),
        ));
    };
    let key = owner_key(di, &entry)?;
    let secure = secure_endpoint(&record)?;
    failpoint::before_request();
    let deadline = Instant::now() + global.timeout;
    let mut session = open(secure, owner_config(owner, &key), deadline, "owner session").await?;
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
    forget_device(&state_file, di, entry.keyring)?;
    if output.json {
        output.json_line(&serde_json::json!({ "di": di, "new_di": back.di, "disowned": true }));
    } else if !output.quiet {
        println!("Disowned {di}: it is back in RFOTM as {}", back.di);
    }
    Ok(Exit::Success)
}

/// `disown --forget`: the entry and the key go, the device is not contacted.
fn forget(
    device: &str,
    known: Option<(Uuid, KeyringKind)>,
    state_file: &StateFile,
    output: &Output,
) -> anyhow::Result<Exit> {
    let Some((di, keyring)) = known else {
        return Err(failure(
            Exit::NotFound,
            format!(
                "{device}: --forget takes the UUID of a device this mediator owns (`ocf-mediator devices` lists them)"
            ),
        ));
    };
    let entry = forget_device(state_file, di, keyring)?;
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
