//! `ocf-mediator devices`: the devices this mediator owns, and whether each
//! owner key can be opened (a device whose key is gone cannot be managed
//! any more, only reset by hand).

use std::time::SystemTime;

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
    // When each identity certificate we gave expires: one scan.
    let expiries = store.certificate_expiries().await?;
    if output.json {
        // Each line is written into one buffer as the store reads the
        // record, and the buffer is written at once: 100,000 records are
        // never all held, nor written line by line.
        let (lines, failed) = store
            .visit_devices_with_key_state(
                (Vec::new(), None),
                move |(lines, failed), device, key| {
                    if failed.is_none() {
                        let expiry = expiries.get(&device.di).copied();
                        *failed = write_line(lines, &device, &key, expiry).err();
                    }
                },
            )
            .await?;
        if let Some(e) = failed {
            return Err(e.into());
        }
        use std::io::Write;
        let _ = std::io::stdout().lock().write_all(&lines);
        return Ok(Exit::Success);
    }
    let devices = store.devices_with_key_state().await?;
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
                expiries
                    .get(&device.di)
                    .map(|t| expiry_text(*t))
                    .unwrap_or_else(|| "-".into()),
                if device.complete {
                    "owned"
                } else {
                    "incomplete: run own again"
                }
                .into(),
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            &["DI", "NAME", "OTM", "KEY", "CERT EXPIRES", "STATE"],
            &rows
        )
    );
    Ok(Exit::Success)
}

/// When an identity certificate expires, for the table: the date, and
/// `(expired)` once past.
fn expiry_text(t: SystemTime) -> String {
    let date = humantime::format_rfc3339_seconds(t).to_string();
    if t <= SystemTime::now() {
        format!("{date} (expired)")
    } else {
        date
    }
}

/// One device as `--json devices` prints it: `di`, `name` (`null` when the
/// device gave none, as everywhere), `otm`, `endpoints`, `keyring`, `key`,
/// `cert_not_after` (when the identity certificate we gave it expires, RFC
/// 3339; `null` without one), `complete` (docs/json.md). The fields that
/// are UUIDs or fixed words are written as they are; what came from a
/// device (name, endpoints) and the key's status go through the JSON
/// escaper.
fn write_line(
    out: &mut Vec<u8>,
    device: &OwnedDevice,
    key: &KeyState,
    cert_not_after: Option<SystemTime>,
) -> serde_json::Result<()> {
    use std::io::Write;
    let mut uuid = uuid::Uuid::encode_buffer();
    let _ = write!(
        out,
        "{{\"di\":\"{}\",\"name\":",
        device.di.hyphenated().encode_lower(&mut uuid)
    );
    let name = (!device.name.is_empty()).then_some(&device.name);
    serde_json::to_writer(&mut *out, &name)?;
    out.extend_from_slice(b",\"otm\":");
    serde_json::to_writer(&mut *out, &device.otm)?;
    out.extend_from_slice(b",\"endpoints\":");
    serde_json::to_writer(&mut *out, &device.endpoints)?;
    let _ = write!(out, ",\"keyring\":\"{}\",\"key\":", device.keyring.name());
    serde_json::to_writer(&mut *out, &key_status(key))?;
    match cert_not_after {
        Some(t) => {
            let _ = write!(
                out,
                ",\"cert_not_after\":\"{}\"",
                humantime::format_rfc3339_seconds(t)
            );
        }
        None => out.extend_from_slice(b",\"cert_not_after\":null"),
    }
    // No `state`: elsewhere it is the pstat state, which the store does
    // not know; `complete` says whether the ownership finished.
    let _ = writeln!(out, ",\"complete\":{}}}", device.complete);
    Ok(())
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
