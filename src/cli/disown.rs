//! `ocf-mediator disown`: hard reset over the owner session, wait for the
//! device to come back unowned, then forget its key (FACTS §2.5).

use std::time::Instant;

use super::args::{DisownArgs, GlobalArgs};
use super::devices::owner_key_account;
use super::exit::{Exit, failure};
use super::failpoint;
use super::output::Output;
use super::own::{RESET_DELAY, wait_until_unowned};
use super::session::{locate, open, owner_config, owner_key, secure_endpoint, send_step};
use crate::otm;
use crate::store::{Secrets, StateFile};

pub async fn run(args: &DisownArgs, global: &GlobalArgs, output: &Output) -> anyhow::Result<Exit> {
    let state_file = StateFile::open(global.state_dir.as_deref())?;
    let mut state = state_file.load()?;
    let owner = state.mediator_uuid();
    if let Some(entry) = crate::ocf::address::DeviceRef::parse(&args.device)
        .uuid()
        .and_then(|di| state.devices.get(&di))
    {
        if let Ok(secrets) = Secrets::open(entry.keyring) {
            secrets.warm_up();
        }
    }
    let record = locate(&args.device, &state, global.timeout, output).await?;
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
    // Entry first, then the key: never an entry without its key.
    state_file.update(|s| s.devices.remove(&di))?;
    Secrets::open(entry.keyring)?.delete(&owner_key_account(&di))?;
    if output.json {
        output.json_line(&serde_json::json!({ "di": di, "new_di": back.di, "disowned": true }));
    } else if !output.quiet {
        println!("Disowned {di}: it is back in RFOTM as {}", back.di);
    }
    Ok(Exit::Success)
}
