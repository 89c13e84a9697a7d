//! `ocf-mediator cloud configure | status | deregister`.

use std::sync::Arc;

use super::args::{CloudArgs, CloudCommand, CloudWait, GlobalArgs};
use super::cloud_state;
use super::exit::{Exit, failure};
use super::input::{PEM_LIMIT, SECRET_LIMIT, read_file_text, read_text};
use super::interaction::Terminal;
use super::output::{Output, printable};
use super::resolve::parse_device;
use crate::cloud::{self, CloudSettings, CloudStatus, CloudToken, ConfigureRequest, WaitFor};
use crate::interact::{Interaction, Secret};
use crate::mediator::Mediator;
use crate::oauth::profile::check_name;
use crate::oauth::{OAuthError, Profile, TokenOptions, TokenSource};

pub async fn run(
    command: &CloudCommand,
    global: &GlobalArgs,
    output: &Output,
) -> anyhow::Result<Exit> {
    let terminal: Arc<dyn Interaction> = Arc::new(Terminal::new(output));
    let mediator = super::mediator(global, Arc::clone(&terminal))?;
    let status = match command {
        CloudCommand::Configure(args) => {
            let device = parse_device(&args.device.device)?;
            let (cloud, profile) = settings(&args.cloud, None, &mediator).await?;
            let token = if args.token_stdin {
                token_from_stdin()?
            } else {
                let Some(profile) = profile else {
                    return Err(failure(
                        Exit::Usage,
                        "with --cis and friends, the device's token comes from stdin: pass --token-stdin",
                    ));
                };
                CloudToken::Source(token_source(&mediator, &profile, global, terminal).await?)
            };
            let request = ConfigureRequest {
                device,
                cloud,
                token,
                force: args.force,
            };
            cloud::configure(&mediator, request).await?
        }
        CloudCommand::Status(args) => {
            let device = parse_device(&args.device.device)?;
            let wait = args.wait.map(|w| match w {
                CloudWait::Registered => WaitFor::Registered,
            });
            cloud::status(&mediator, &device, wait).await?
        }
        CloudCommand::Deregister(args) => {
            let device = parse_device(&args.device)?;
            cloud::deregister(&mediator, &device).await?
        }
    };
    // A device that cannot connect may lack what a plgd hub requires.
    let identity = mediator.store().device_certificate(status.di).await?;
    report(&status, identity.as_ref(), output);
    // A device whose registration failed is not fine: `status` says why
    // and exits as `provision` would (a refused token 5, no cloud 4).
    if matches!(command, CloudCommand::Status(_)) && status.state.has_failed() {
        let device = match &status.name {
            Some(name) if !name.is_empty() => format!("{name} ({})", status.di),
            _ => status.di.to_string(),
        };
        return Err(cloud::CloudError::Failed {
            device,
            state: status.state,
        }
        .into());
    }
    Ok(Exit::Success)
}

/// `--token-stdin`: the device's `at`, read (bounded) from stdin.
pub(super) fn token_from_stdin() -> anyhow::Result<CloudToken> {
    let text = read_text(
        &mut std::io::stdin(),
        SECRET_LIMIT,
        "the token on stdin (--token-stdin)",
    )?;
    let token = text.trim();
    if token.is_empty() {
        return Err(failure(Exit::Usage, "stdin held no token"));
    }
    Ok(CloudToken::Given(Arc::new(Secret::new(token))))
}

/// The cloud to point devices at: the flags, else the profile's (`profile`
/// when given, else --profile); and the profile when it is the source.
pub(super) async fn settings(
    args: &CloudArgs,
    profile: Option<&str>,
    mediator: &Mediator,
) -> anyhow::Result<(CloudSettings, Option<Profile>)> {
    if let (Some(cis), Some(sid), Some(apn), Some(ca)) = (&args.cis, args.sid, &args.apn, &args.ca)
    {
        let trust_anchor = read_file_text(ca, PEM_LIMIT, &format!("--ca {}", ca.display()))?;
        let cloud = CloudSettings {
            cis: cis.clone(),
            sid,
            apn: apn.clone(),
            trust_anchor,
        };
        return Ok((cloud, None));
    }
    let name = profile.unwrap_or(&args.profile.profile);
    check_name(name)?;
    let profile = crate::oauth::profile::load(mediator.store(), name)
        .await?
        .ok_or_else(|| OAuthError::NoProfile {
            name: name.to_owned(),
        })?;
    let incomplete = |what: &str| {
        failure(
            Exit::Usage,
            format!(
                "profile {name:?} does not name the cloud's {what}: log in with --hub, or give --cis, --sid, --apn and --ca"
            ),
        )
    };
    let sid = profile
        .sid
        .as_deref()
        .ok_or_else(|| incomplete("id (sid)"))?
        .parse()
        .map_err(|_| incomplete("id as a UUID (sid)"))?;
    let cloud = CloudSettings {
        cis: profile
            .cis
            .clone()
            .ok_or_else(|| incomplete("address (cis)"))?,
        sid,
        apn: profile
            .apn
            .clone()
            .ok_or_else(|| incomplete("provider name (apn)"))?,
        trust_anchor: profile
            .trust_anchor
            .clone()
            .ok_or_else(|| incomplete("certificate authority (trust anchor)"))?,
    };
    Ok((cloud, Some(profile)))
}

pub(super) async fn token_source(
    mediator: &Mediator,
    profile: &Profile,
    global: &GlobalArgs,
    interaction: Arc<dyn Interaction>,
) -> anyhow::Result<TokenSource> {
    let options =
        TokenOptions::new(global.timeout).with_client_secret(cloud_state::client_secret_from_env());
    Ok(TokenSource::open(mediator.store(), &profile.name, options, interaction).await?)
}

fn report(
    status: &CloudStatus,
    identity: Option<&crate::store::DeviceCertificate>,
    output: &Output,
) {
    let state = &status.state;
    let identity_expiry =
        identity.map(|c| humantime::format_rfc3339_seconds(c.not_after).to_string());
    if output.json {
        output.json_line(&serde_json::json!({
            "cert_not_after": identity_expiry,
            "di": status.di,
            "name": status.name,
            "cis": state.cis,
            "sid": state.sid,
            "apn": state.apn,
            "cps": state.cps,
            "clec": state.clec,
            "cps_meaning": state.status_meaning(),
            "clec_meaning": state.error_meaning(),
            "changed": status.changed,
        }));
        return;
    }
    if output.quiet {
        return;
    }
    let device = match &status.name {
        Some(name) if !name.is_empty() => format!("{} ({})", printable(name), status.di),
        _ => status.di.to_string(),
    };
    println!("{device}: {} — {}", state.cps, state.status_meaning());
    if !state.cis.is_empty() {
        println!(
            "  cloud: {} (sid {}, apn {})",
            printable(&state.cis),
            state.sid,
            printable(&state.apn)
        );
    }
    if state.clec != 0 {
        println!("  last error {}: {}", state.clec, state.error_meaning());
        if state.clec == 2 && identity.is_none() {
            println!(
                "  it has no identity certificate from this mediator, and a cloud that requires \
                 client certificates (as a plgd hub does) refuses it: give it one with \
                 `ocf-mediator cert issue {}`, then configure it again",
                status.di
            );
        }
    }
}
