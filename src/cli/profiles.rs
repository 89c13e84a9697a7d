//! `profiles`: the cloud profiles, without their secrets.

use serde_json::json;

use super::args::GlobalArgs;
use super::cloud_state;
use super::exit::Exit;
use super::output::{Output, table};
use crate::oauth::profile::{self, Flow, Profile};

pub async fn run(global: &GlobalArgs, output: &Output) -> anyhow::Result<Exit> {
    let state = cloud_state::state(global)?;
    let mut rows = Vec::new();
    for entry in profile::all(&state).await? {
        let profile = match entry {
            Ok(profile) => profile,
            Err(name) => {
                output.note(&format!(
                    "warning: profile {name:?} cannot be read: log in again"
                ));
                continue;
            }
        };
        let credentials = has_credentials(&profile);
        if output.json {
            output.json_line(&json!({
                "profile": profile.name,
                "hub": profile.hub,
                "issuer": profile.endpoints.issuer,
                "client_id": profile.client_id,
                "audience": profile.audience,
                "scopes": profile.scopes,
                "flow": profile.flow.name(),
                "device_token": profile.device.kind,
                "cis": profile.cis,
                "sid": profile.sid,
                "apn": profile.apn,
                "keyring": profile.keyring,
                "credentials": credentials,
            }));
        } else {
            rows.push(vec![
                profile.name.clone(),
                profile.endpoints.issuer.clone(),
                profile.client_id.clone(),
                profile.flow.name().to_owned(),
                serde_json::to_value(profile.device.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                profile.sid.clone().unwrap_or_else(|| "-".to_owned()),
                match credentials {
                    Some(true) => "yes",
                    Some(false) => "no",
                    None => "?",
                }
                .to_owned(),
            ]);
        }
    }
    if !output.json {
        if rows.is_empty() {
            output.note("No cloud profiles: create one with `ocf-mediator login --hub URL`.");
        } else {
            print!(
                "{}",
                table(
                    &[
                        "PROFILE",
                        "ISSUER",
                        "CLIENT",
                        "FLOW",
                        "DEVICE TOKEN",
                        "SID",
                        "LOGGED IN"
                    ],
                    &rows
                )
            );
        }
    }
    Ok(Exit::Success)
}

/// Whether the keyring holds what the profile needs to get tokens (None: the keyring cannot be read).
fn has_credentials(profile: &Profile) -> Option<bool> {
    let secrets = cloud_state::secrets(profile.keyring).ok()?;
    let account = match profile.flow {
        Flow::ClientCredentials => profile::client_secret_account(&profile.name),
        Flow::DeviceCode | Flow::Browser => profile::refresh_token_account(&profile.name),
    };
    let long_lived = secrets.get(&account).ok()?.is_some();
    let cached = secrets
        .get(&profile::access_token_account(&profile.name))
        .ok()?
        .is_some();
    Some(long_lived || cached)
}
