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
        // Serialized straight from the records, into one buffer written at
        // once: 100,000 lines built as JSON values and written one by one
        // cost most of the time of listing them.
        use std::io::Write;
        let mut lines = Vec::with_capacity(devices.len() * 300);
        for (device, key) in &devices {
            let line = Line {
                di: device.di,
                name: &device.name,
                otm: &device.otm,
                endpoints: &device.endpoints,
                keyring: device.keyring,
                key: key_status(key),
                state: state(device),
                complete: device.complete,
            };
            serde_json::to_writer(&mut lines, &line)?;
            lines.push(b'\n');
        }
        let _ = std::io::stdout().lock().write_all(&lines);
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

/// One device as `--json devices` prints it.
#[derive(serde::Serialize)]
struct Line<'a> {
    di: uuid::Uuid,
    name: &'a str,
    otm: &'a str,
    endpoints: &'a [String],
    keyring: crate::store::KeyringKind,
    key: std::borrow::Cow<'static, str>,
    state: &'static str,
    complete: bool,
}

fn state(device: &OwnedDevice) -> &'static str {
    if device.complete {
        "owned"
    } else {
        "incomplete"
    }
}

/// `present`, `missing`, `not yet migrated`, or `unreadable: why`.
fn key_status(key: &KeyState) -> std::borrow::Cow<'static, str> {
    match key {
        KeyState::Present => "present".into(),
        KeyState::Missing => "missing".into(),
        KeyState::NotYetMigrated => "present (in the old keyring item until first use)".into(),
        KeyState::Unreadable(e) => format!("unreadable: {e}").into(),
    }
}
