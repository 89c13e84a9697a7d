//! `ocf-mediator devices`: the devices this mediator owns, and whether each
//! owner key is still in its keyring (a device whose key is gone cannot be
//! managed any more, only reset by hand).

use super::args::GlobalArgs;
use super::exit::Exit;
use super::output::{Output, table};
use crate::store::{OwnedDevice, Store};

pub async fn run(global: &GlobalArgs, output: &Output) -> anyhow::Result<Exit> {
    let store = Store::open(global.state_dir.as_deref())?;
    let mut rows = Vec::new();
    for device in store.devices().await? {
        let di = &device.di;
        let key = key_status(&store, &device).await;
        if output.json {
            output.json_line(&serde_json::json!({
                "di": di,
                "name": device.name,
                "otm": device.otm,
                "endpoints": device.endpoints,
                "keyring": device.keyring,
                "key": key,
                "complete": device.complete,
            }));
        } else {
            rows.push(vec![
                di.to_string(),
                if device.name.is_empty() {
                    "-".into()
                } else {
                    device.name.clone()
                },
                device.otm.clone(),
                format!("{key} ({})", device.keyring),
                if device.complete {
                    "owned"
                } else {
                    "incomplete: run own again"
                }
                .into(),
            ]);
        }
    }
    if !output.json {
        if rows.is_empty() {
            output
                .note("this mediator owns no devices yet; take one with `ocf-mediator own DEVICE`");
        } else {
            print!("{}", table(&["DI", "NAME", "OTM", "KEY", "STATE"], &rows));
        }
    }
    Ok(Exit::Success)
}

/// `present`, `missing`, or `unknown: why` when the keyring cannot be asked.
async fn key_status(store: &Store, device: &OwnedDevice) -> String {
    match store.has_owner_key(device).await {
        Ok(true) => "present".into(),
        Ok(false) => "missing".into(),
        Err(e) => format!("unknown: {e}"),
    }
}
