//! `profiles`: the cloud profiles, without their secrets.

use serde_json::json;

use super::args::GlobalArgs;
use super::cloud_state;
use super::exit::Exit;
use super::output::{Output, table};
use crate::oauth::list_profiles;

pub async fn run(global: &GlobalArgs, output: &Output) -> anyhow::Result<Exit> {
    let store = cloud_state::store(global)?;
    let mut rows = Vec::new();
    for listed in list_profiles(&store).await? {
        let Some(profile) = listed.profile else {
            output.note(&format!(
                "warning: profile {:?} cannot be read: log in again",
                listed.name
            ));
            continue;
        };
        let credentials = listed.credentials;
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
