//! `ocf-mediator devices`: the devices this mediator owns, and whether each
//! owner key is still in its keyring (a device whose key is gone cannot be
//! managed any more, only reset by hand).

use super::args::GlobalArgs;
use super::exit::Exit;
use super::output::{Output, table};
use crate::store::{KeyringKind, OwnedDevice, Secrets, StateFile};

/// The keyring account of a device's owner PSK.
pub fn owner_key_account(di: &uuid::Uuid) -> String {
    format!("device/{di}")
}

/// Drops a device's entry, then its key (never an entry without its key).
/// The key is looked for in the entry's keyring, or in `keyring` when there
/// is no entry (a key stored by an attempt that never wrote one).
pub fn forget_device(
    state_file: &StateFile,
    di: uuid::Uuid,
    keyring: KeyringKind,
) -> anyhow::Result<Option<OwnedDevice>> {
    let entry = state_file.update(|s| s.devices.remove(&di))?;
    let kind = entry.as_ref().map_or(keyring, |e| e.keyring);
    Secrets::open(kind)?.delete(&owner_key_account(&di))?;
    Ok(entry)
}

pub async fn run(global: &GlobalArgs, output: &Output) -> anyhow::Result<Exit> {
    let state = StateFile::open(global.state_dir.as_deref())?.load()?;
    let mut rows = Vec::new();
    for (di, device) in &state.devices {
        let key = key_status(di, device);
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
fn key_status(di: &uuid::Uuid, device: &OwnedDevice) -> String {
    let found = Secrets::open(device.keyring).and_then(|s| s.get(&owner_key_account(di)));
    match found {
        Ok(Some(_)) => "present".into(),
        Ok(None) => "missing".into(),
        Err(e) => format!("unknown: {e}"),
    }
}
