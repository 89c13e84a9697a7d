//! `ocf-mediator keys export` and `keys import`: owner keys with their
//! records, sealed under a passphrase (`store/export.rs`), so a station can
//! be replaced without losing its devices. The passphrase comes from a
//! hidden prompt or stdin, never from argv or the environment.

use std::io::Read;

use uuid::Uuid;

use super::args::{GlobalArgs, KeysCommand, KeysExportArgs, KeysImportArgs};
use super::cloud_state::keyring_kind;
use super::exit::{Exit, failure};
use super::output::Output;
use crate::store::export::{self, ExportError, ExportedDevice, KeyExport};
use crate::store::{OwnedDevice, Store, StoreError};

pub async fn run(
    command: &KeysCommand,
    global: &GlobalArgs,
    output: &Output,
) -> anyhow::Result<Exit> {
    match command {
        KeysCommand::Export(args) => export(args, global, output).await,
        KeysCommand::Import(args) => import(args, global, output).await,
    }
}

async fn export(
    args: &KeysExportArgs,
    global: &GlobalArgs,
    output: &Output,
) -> anyhow::Result<Exit> {
    let store = Store::open(global.state_dir.as_deref())?;
    if !args.force && std::fs::symlink_metadata(&args.out).is_ok() {
        return Err(failure(
            Exit::Usage,
            format!("{} exists; pass --force to replace it", args.out.display()),
        ));
    }
    let records = if args.devices.is_empty() {
        store.devices().await?
    } else {
        let mut records = Vec::new();
        for di in &args.devices {
            match store.device(*di).await? {
                Some(record) => records.push(record),
                None => {
                    return Err(failure(
                        Exit::NotFound,
                        format!(
                            "{di} is not owned by this mediator (`ocf-mediator devices` lists those it owns)"
                        ),
                    ));
                }
            }
        }
        records
    };
    if records.is_empty() {
        return Err(failure(
            Exit::Failed,
            "this mediator owns no devices: nothing to export",
        ));
    }
    for kind in records
        .iter()
        .map(|r| r.keyring)
        .collect::<std::collections::HashSet<_>>()
    {
        store.warm_up(kind);
    }
    let mediator_uuid = store.mediator_uuid().await?;
    let mut devices = Vec::with_capacity(records.len());
    for record in records {
        match store.owner_key(&record).await {
            Ok(key) => devices.push(ExportedDevice { record, key }),
            // Without --device, a device whose key is gone has nothing to
            // export; the others still move.
            Err(e @ StoreError::KeyMissing { .. }) if args.devices.is_empty() => {
                output.note(&format!("warning: skipped: {e}"));
            }
            Err(e) => return Err(failure(Exit::Failed, format!("{e}; nothing was exported"))),
        }
    }
    if devices.is_empty() {
        return Err(failure(
            Exit::Failed,
            "no device has an owner key to export",
        ));
    }
    let passphrase = passphrase(args.passphrase_stdin, true, output)?;
    let count = devices.len();
    let contents = KeyExport {
        mediator_uuid,
        devices,
    };
    let out = args.out.clone();
    let force = args.force;
    tokio::task::spawn_blocking(move || {
        let sealed = export::seal(&contents, passphrase.as_bytes());
        export::write_file(&out, &sealed, force)
    })
    .await?
    .map_err(|e| {
        let exit = match e {
            export::WriteError::Exists(_) | export::WriteError::Symlink(_) => Exit::Usage,
            _ => Exit::Failed,
        };
        failure(exit, e.to_string())
    })?;
    if output.json {
        output.json_line(&serde_json::json!({
            "exported": count,
            "file": args.out,
            "mediator_uuid": mediator_uuid,
        }));
    } else if !output.quiet {
        println!(
            "Exported the owner keys of {count} device{} to {}; keep it and its passphrase apart",
            if count == 1 { "" } else { "s" },
            args.out.display()
        );
    }
    Ok(Exit::Success)
}

/// What became of one device of an import.
enum Imported {
    Added,
    AlreadyHere,
    Conflict(String),
}

async fn import(
    args: &KeysImportArgs,
    global: &GlobalArgs,
    output: &Output,
) -> anyhow::Result<Exit> {
    let store = Store::open(global.state_dir.as_deref())?;
    let file = std::fs::read(&args.file).map_err(|e| {
        failure(
            if e.kind() == std::io::ErrorKind::NotFound {
                Exit::Usage
            } else {
                Exit::Failed
            },
            format!("cannot read {}: {e}", args.file.display()),
        )
    })?;
    let passphrase = passphrase(args.passphrase_stdin, false, output)?;
    let opened = tokio::task::spawn_blocking(move || export::open(&file, passphrase.as_bytes()))
        .await?
        .map_err(|e| {
            let exit = match e {
                ExportError::WrongPassphrase => Exit::AuthFailed,
                ExportError::NotAnExport => Exit::Usage,
                _ => Exit::Failed,
            };
            failure(exit, format!("{}: {e}", args.file.display()))
        })?;
    if !store.adopt_mediator_uuid(opened.mediator_uuid).await? {
        let ours = store.mediator_uuid().await?;
        return Err(failure(
            Exit::Failed,
            format!(
                "the devices in {} know mediator {} as their owner, and this one is {ours} with devices of its own; \
                 import them into an empty state directory (--state-dir) instead",
                args.file.display(),
                opened.mediator_uuid
            ),
        ));
    }
    let kind = keyring_kind(global, output);
    store.warm_up(kind);
    let mut work = tokio::task::JoinSet::new();
    for (index, device) in opened.devices.into_iter().enumerate() {
        let store = store.clone();
        work.spawn(async move {
            (
                index,
                device.record.di,
                import_one(&store, device, kind).await,
            )
        });
    }
    let mut results = Vec::new();
    while let Some(done) = work.join_next().await {
        results.push(done?);
    }
    results.sort_by_key(|(index, _, _)| *index);
    let mut conflicts = 0;
    let (mut added, mut kept) = (0, 0);
    for (_, di, result) in &results {
        let (what, detail) = match result {
            Ok(Imported::Added) => {
                added += 1;
                ("added", None)
            }
            Ok(Imported::AlreadyHere) => {
                kept += 1;
                ("already-present", None)
            }
            Ok(Imported::Conflict(why)) => {
                conflicts += 1;
                ("conflict", Some(why.clone()))
            }
            Err(e) => {
                conflicts += 1;
                ("failed", Some(e.to_string()))
            }
        };
        if output.json {
            output.json_line(&serde_json::json!({ "di": di, "import": what, "detail": detail }));
        } else if let Some(detail) = detail {
            output.note(&format!("{di}: {detail}"));
        }
    }
    if !output.json && !output.quiet {
        println!(
            "Imported {added} device{}, {kept} already here, {conflicts} conflict{}; owner keys in the {kind} keyring",
            if added == 1 { "" } else { "s" },
            if conflicts == 1 { "" } else { "s" },
        );
    }
    Ok(if conflicts > 0 {
        Exit::BatchPartial
    } else {
        Exit::Success
    })
}

async fn import_one(
    store: &Store,
    device: ExportedDevice,
    kind: crate::store::KeyringKind,
) -> Result<Imported, StoreError> {
    let di: Uuid = device.record.di;
    if let Some(existing) = store.device(di).await? {
        return Ok(match store.owner_key(&existing).await {
            Ok(key) if key.bytes() == device.key.bytes() => Imported::AlreadyHere,
            Ok(_) => Imported::Conflict(
                "this mediator holds a different owner key for it; kept ours (disown --forget it first to take the file's)"
                    .into(),
            ),
            Err(e) => Imported::Conflict(format!(
                "this mediator has a record of it whose key cannot be used ({e}); \
                 `ocf-mediator disown --forget {di}` drops it, then import again"
            )),
        });
    }
    let record = OwnedDevice {
        keyring: kind,
        created: None,
        updated: None,
        ..device.record
    };
    store.put_owned(record, &device.key).await?;
    Ok(Imported::Added)
}

/// The passphrase: the first line of stdin, or a hidden prompt (asked
/// twice when it seals something).
fn passphrase(
    from_stdin: bool,
    twice: bool,
    output: &Output,
) -> anyhow::Result<zeroize::Zeroizing<String>> {
    let text = if from_stdin {
        let mut text = zeroize::Zeroizing::new(String::new());
        std::io::stdin()
            .take(4096)
            .read_to_string(&mut text)
            .map_err(|e| {
                failure(
                    Exit::Usage,
                    format!("cannot read the passphrase from stdin: {e}"),
                )
            })?;
        let line = text.lines().next().unwrap_or("").to_owned();
        zeroize::Zeroizing::new(line)
    } else if output.interactive {
        let mut prompt = dialoguer::Password::new().with_prompt("Passphrase of the key file");
        if twice {
            prompt = prompt.with_confirmation("Repeat the passphrase", "the passphrases differ");
        }
        zeroize::Zeroizing::new(
            prompt
                .interact()
                .map_err(|e| failure(Exit::Usage, format!("no passphrase entered: {e}")))?,
        )
    } else {
        return Err(failure(
            Exit::Usage,
            "a passphrase is needed: pass --passphrase-stdin and write it to stdin, or run on a terminal",
        ));
    };
    if twice && text.chars().count() < 8 {
        return Err(failure(
            Exit::Usage,
            "the passphrase is too short: use at least 8 characters (better, a few words)",
        ));
    }
    if text.is_empty() {
        return Err(failure(Exit::Usage, "the passphrase is empty"));
    }
    Ok(text)
}
