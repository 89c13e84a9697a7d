//! `token`: print what a device needs as `at` — the only command that prints
//! a token, and only on stdout.

use std::io::Write;

use serde_json::json;

use super::args::{GlobalArgs, TokenArgs};
use super::cloud_state;
use super::exit::Exit;
use super::output::Output;
use crate::oauth::device_token::{self, DeviceToken};
use crate::oauth::profile;
use crate::oauth::tokens::now;

pub async fn run(args: &TokenArgs, global: &GlobalArgs, output: &Output) -> anyhow::Result<Exit> {
    let name = &args.profile.profile;
    profile::check_name(name)?;
    let state = cloud_state::state(global)?;
    let profile = profile::require(&state, name).await?;
    let secrets = cloud_state::secrets(profile.keyring)?;
    let timeout = global.timeout;
    let tls_ca = profile.tls_ca.clone();
    // The HTTP client is built only when the network is needed.
    let token = device_token::mint(&profile, &secrets, args.device, output, || {
        cloud_state::http(tls_ca.as_deref(), timeout)
    })
    .await?;
    let mut stdout = std::io::stdout().lock();
    match token {
        DeviceToken::AccessToken(cached) => {
            if output.json {
                let line = json!({
                    "profile": profile.name,
                    "kind": "access_token",
                    "token": cached.access_token,
                    "expires_in": cached.expires_at.saturating_sub(now()),
                });
                writeln!(stdout, "{line}")?;
            } else {
                writeln!(stdout, "{}", cached.access_token)?;
            }
        }
        DeviceToken::AuthorizationCode(code) => {
            if output.json {
                let line = json!({
                    "profile": profile.name,
                    "kind": "authorization_code",
                    "token": code,
                    "device": args.device,
                });
                writeln!(stdout, "{line}")?;
            } else {
                writeln!(stdout, "{code}")?;
            }
        }
    }
    Ok(Exit::Success)
}
