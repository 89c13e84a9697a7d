//! `token`: print what a device needs as `at` — the only command that prints
//! a token, and only on stdout.

use std::io::Write;
use std::sync::Arc;

use serde_json::json;

use super::args::{GlobalArgs, TokenArgs};
use super::cloud_state;
use super::exit::Exit;
use super::interaction::Terminal;
use super::output::Output;
use crate::oauth::profile::check_name;
use crate::oauth::{DeviceToken, TokenOptions, TokenSource};

pub async fn run(args: &TokenArgs, global: &GlobalArgs, output: &Output) -> anyhow::Result<Exit> {
    let name = &args.profile.profile;
    check_name(name)?;
    let store = cloud_state::store(global)?;
    let options =
        TokenOptions::new(global.timeout).with_client_secret(cloud_state::client_secret_from_env());
    let source = TokenSource::open(&store, name, options, Arc::new(Terminal::new(output))).await?;
    let token = source.token(args.device).await?;
    let line = match &token {
        DeviceToken::AccessToken(access) => json!({
            "profile": name,
            "device_token": "access-token",
            "token": access.secret(),
            "expires_in": access.expires_in().as_secs(),
        }),
        DeviceToken::AuthorizationCode { device, code } => json!({
            "profile": name,
            "device_token": "authorization-code",
            "token": code,
            "di": device,
        }),
    };
    let mut stdout = std::io::stdout().lock();
    if output.json {
        writeln!(stdout, "{line}")?;
    } else {
        writeln!(stdout, "{}", token.secret())?;
    }
    Ok(Exit::Success)
}
