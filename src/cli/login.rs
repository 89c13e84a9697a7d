//! `login`: turns the flags into a login request, lets the library log in
//! (asking through the terminal), and reports the profile it saved.

use serde_json::json;

use super::args::{GlobalArgs, LoginArgs};
use super::cloud_state;
use super::exit::{Exit, failure};
use super::input::{PEM_LIMIT, SECRET_LIMIT, read_file_text, read_text};
use super::interaction::{Terminal, has_browser};
use super::output::Output;
use crate::interact::Secret;
use crate::oauth::http::parse_url;
use crate::oauth::profile::check_name;
use crate::oauth::{Flow, LoginOutcome, LoginRequest, LoginSource, login};

pub async fn run(args: &LoginArgs, global: &GlobalArgs, output: &Output) -> anyhow::Result<Exit> {
    let name = &args.profile.profile;
    check_name(name)?;
    let store = cloud_state::store(global)?;
    let read_pem = |path: &std::path::PathBuf| {
        read_file_text(path, PEM_LIMIT, &format!("--ca {}", path.display()))
    };
    let ca = args.ca.as_ref().map(read_pem).transpose()?;
    let source = if let Some(hub) = &args.hub {
        LoginSource::Hub {
            url: parse_url(hub, "the hub")?,
            device_redirect_uri: args.device_redirect_uri.clone(),
        }
    } else if let Some(issuer) = &args.issuer {
        let Some(client_id) = args.client_id.clone() else {
            return Err(failure(Exit::Usage, "--issuer needs --client-id"));
        };
        LoginSource::Issuer {
            url: parse_url(issuer, "the issuer")?,
            client_id,
            cis: args.cis.clone(),
            apn: args.apn.clone(),
            sid: args.sid,
            trust_anchor: ca.clone(),
        }
    } else {
        LoginSource::Again
    };
    let mut request = LoginRequest::new(name, source, cloud_state::keyring_kind(global, output));
    request.flow = if args.client_credentials {
        Some(Flow::ClientCredentials)
    } else if args.device_code {
        Some(Flow::DeviceCode)
    } else if args.browser {
        Some(Flow::Browser)
    } else {
        None
    };
    request.prefer_browser = has_browser();
    request.client_id = args.client_id.clone();
    request.audience = args.audience.clone();
    request.scopes = args.scopes.clone();
    request.tls_ca = ca;
    request.timeout = global.timeout;
    if args.client_credentials {
        request.client_secret = read_client_secret(args)?;
    }

    let terminal = Terminal::new(output);
    let outcome = login(&store, request, &terminal).await?;
    report(&outcome, output);
    Ok(Exit::Success)
}

fn report(outcome: &LoginOutcome, output: &Output) {
    let profile = &outcome.profile;
    if let Some(hub) = &profile.hub {
        output.debug(&format!(
            "hub {} at {hub}",
            profile.sid.as_deref().unwrap_or("-")
        ));
    }
    output.debug(&format!(
        "issuer {}, client {}, flow {}",
        profile.endpoints.issuer,
        profile.client_id,
        profile.flow.name()
    ));
    if output.json {
        output.json_line(&json!({
            "event": "logged_in",
            "profile": profile.name,
            "issuer": profile.endpoints.issuer,
            "client_id": profile.client_id,
            "flow": profile.flow.name(),
            "device_token": profile.device.kind,
            "refresh_token": outcome.refresh_token,
            "expires_in": outcome.expires_in.map(|d| d.as_secs()),
            "keyring": profile.keyring,
        }));
    } else {
        output.note(&format!(
            "Logged in: profile {} ({} at {}, {} flow)",
            profile.name,
            profile.client_id,
            profile.endpoints.issuer,
            profile.flow.name()
        ));
    }
    if !outcome.refresh_token && profile.flow != Flow::ClientCredentials {
        output.note("warning: the OAuth server gave no refresh token (ask for the offline_access scope): log in again when the access token expires");
    }
}

/// `--client-secret-stdin`, else `OCF_MEDIATOR_CLIENT_SECRET`; `None`
/// leaves the library to take the one an earlier login kept.
fn read_client_secret(args: &LoginArgs) -> anyhow::Result<Option<Secret>> {
    if args.client_secret_stdin {
        let text = read_text(
            &mut std::io::stdin(),
            SECRET_LIMIT,
            "the client secret on stdin (--client-secret-stdin)",
        )?;
        // Both copies are wiped when dropped.
        let text = Secret::new(text);
        let secret = Secret::new(text.expose().trim_end_matches(['\r', '\n']));
        if secret.expose().is_empty() {
            return Err(failure(Exit::Usage, "stdin held no client secret"));
        }
        return Ok(Some(secret));
    }
    Ok(cloud_state::client_secret_from_env())
}
