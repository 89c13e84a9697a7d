//! `ocf-mediator devices`: the devices this mediator owns, and whether each
//! owner key can be opened (a device whose key is gone cannot be managed
//! any more, only reset by hand).

use super::args::GlobalArgs;
use super::exit::Exit;
use super::output::{Output, table};
use crate::store::{KeyState, OwnedDevice, Store};

/// Drops a device's record with its key.
pub async fn forget_device(store: &Store, di: uuid::Uuid) -> anyhow::Result<Option<OwnedDevice>> {
    Ok(store.forget(di).await?)
}

pub async fn run(global: &GlobalArgs, output: &Output) -> anyhow::Result<Exit> {
    let store = Store::open(global.state_dir.as_deref())?;
    let devices = store.devices_with_key_state().await?;
    if output.json {
        let mut lines = String::with_capacity(devices.len() * 256);
        for (device, key) in &devices {
            let line = serde_json::json!({
                "di": device.di,
                "name": device.name,
                "otm": device.otm,
                "endpoints": device.endpoints,
                "keyring": device.keyring,
                "key": key_status(key),
                "state": state(device),
                "complete": device.complete,
            });
            lines.push_str(&line.to_string());
            lines.push('\n');
        }
        // One write for the whole list: 100,000 lines one by one would be
        // 100,000 writes to a line-buffered stdout.
        use std::io::Write;
        let _ = std::io::stdout().lock().write_all(lines.as_bytes());
        return Ok(Exit::Success);
    }
    if devices.is_empty() {
        output.note("this mediator owns no devices yet; take one with `ocf-mediator own DEVICE`");
        return Ok(Exit::Success);
    }
    let rows: Vec<Vec<String>> = devices
        .iter()
        .map(|(device, key)| {
            vec![
                device.di.to_string(),
                if device.name.is_empty() {
                    "-".into()
                } else {
                    device.name.clone()
                },
                device.otm.clone(),
                format!("{} ({})", key_status(key), device.keyring),
                if device.complete {
                    "owned"
                } else {
                    "incomplete: run own again"
                }
                .into(),
            ]
        })
        .collect();
    print!("{}", table(&["DI", "NAME", "OTM", "KEY", "STATE"], &rows));
    Ok(Exit::Success)
}

fn state(device: &OwnedDevice) -> &'static str {
    if device.complete {
        "owned"
    } else {
        "incomplete"
    }
}

/// `present`, `missing`, `not yet migrated`, or `unreadable: why`.
fn key_status(key: &KeyState) -> String {
    match key {
        KeyState::Present => "present".into(),
        KeyState::Missing => "missing".into(),
        KeyState::NotYetMigrated => "present (in the old keyring item until first use)".into(),
        KeyState::Unreadable(e) => format!("unreadable: {e}"),
    }
}
