//! `login`: build (or reuse) a cloud profile, run a login flow, keep the
//! secrets in the keyring and the profile in the state file.

use std::io::Read;

use oauth2::basic::BasicTokenResponse;
use oauth2::{ClientSecret, TokenResponse};
use serde_json::json;
use url::Url;

use super::args::{GlobalArgs, LoginArgs};
use super::cloud_state;
use super::exit::{Exit, failure};
use super::output::Output;
use crate::oauth::discovery::{self, HubConfig};
use crate::oauth::http::{Http, parse_url};
use crate::oauth::profile::{self, DeviceClient, DeviceTokenKind, Flow, Profile};
use crate::oauth::{browser, client_credentials, device_code, redirect, tokens};

/// Scopes asked for when neither the user nor the hub names any: an ID and
/// a refresh token (plgd's sign-up also needs `offline_access`).
const DEFAULT_SCOPES: [&str; 2] = ["openid", "offline_access"];

pub async fn run(args: &LoginArgs, global: &GlobalArgs, output: &Output) -> anyhow::Result<Exit> {
    let name = &args.profile.profile;
    profile::check_name(name)?;
    let state = cloud_state::state(global)?;
    let existing = profile::load(&state, name).await?;
    let tls_ca = match &args.ca {
        Some(path) => Some(std::fs::read_to_string(path).map_err(|e| {
            failure(
                Exit::Usage,
                format!("cannot read --ca {}: {e}", path.display()),
            )
        })?),
        None => existing.as_ref().and_then(|p| p.tls_ca.clone()),
    };
    let http = cloud_state::http(tls_ca.as_deref(), global.timeout)?;
    let kind = cloud_state::keyring_kind(global, output);

    let mut profile = if let Some(hub) = &args.hub {
        let hub = parse_url(hub, "the hub")?;
        let config = discovery::hub_configuration(&http, &hub).await?;
        output.debug(&format!("hub {} at {}", config.id, config.url));
        from_hub(args, &http, config, kind).await?
    } else if let Some(issuer) = &args.issuer {
        from_issuer(args, &http, issuer, kind).await?
    } else if let Some(existing) = existing.clone() {
        existing
    } else {
        return Err(failure(
            Exit::Usage,
            format!(
                "profile {name:?} does not exist yet: give --hub URL, or --issuer URL --client-id ID"
            ),
        ));
    };
    profile.name = name.clone();
    profile.tls_ca = tls_ca;
    if args.client_credentials {
        profile.flow = Flow::ClientCredentials;
    } else if args.device_code {
        profile.flow = Flow::DeviceCode;
    } else if args.browser {
        profile.flow = Flow::Browser;
    } else if args.hub.is_some() || args.issuer.is_some() || existing.is_none() {
        profile.flow = default_flow(&profile);
    }
    if args.hub.is_none() && args.issuer.is_none() {
        // A repeated login: flags given now still apply.
        if let Some(audience) = &args.audience {
            profile.audience = Some(audience.clone());
        }
        if !args.scopes.is_empty() {
            profile.scopes = args.scopes.clone();
        }
    }
    if profile.flow == Flow::ClientCredentials && args.scopes.is_empty() && args.hub.is_none() {
        // openid and offline_access mean nothing without a user.
        profile
            .scopes
            .retain(|s| !DEFAULT_SCOPES.contains(&s.as_str()));
    }
    output.debug(&format!(
        "issuer {}, client {}, flow {}",
        profile.endpoints.issuer,
        profile.client_id,
        profile.flow.name()
    ));

    let previous_kind = existing.as_ref().map(|p| p.keyring);
    let (response, secret) = match profile.flow {
        Flow::DeviceCode => (device_code::login(&http, &profile, output).await?, None),
        Flow::Browser => (browser::login(&http, &profile, output).await?, None),
        Flow::ClientCredentials => {
            let secret = read_client_secret(args, name, previous_kind)?;
            let response = client_credentials::grant(&http, &profile, &secret).await?;
            (response, Some(secret))
        }
    };

    // Old secrets go: from a keyring the profile leaves, and any refresh
    // token or client secret this login did not renew.
    for kind in [Some(kind), previous_kind].into_iter().flatten() {
        let secrets = cloud_state::secrets(kind)?;
        for account in [
            profile::refresh_token_account(name),
            profile::client_secret_account(name),
            profile::access_token_account(name),
        ] {
            secrets.delete(&account).map_err(tokens::secret_error)?;
        }
    }
    profile.keyring = kind;
    let secrets = cloud_state::secrets(kind)?;
    if let Some(secret) = &secret {
        secrets
            .set(
                &profile::client_secret_account(name),
                secret.secret().as_bytes(),
            )
            .map_err(tokens::secret_error)?;
    }
    tokens::store(&secrets, name, &response)?;
    profile::save(&state, &profile).await?;
    report(&profile, &response, output);
    Ok(Exit::Success)
}

fn default_flow(profile: &Profile) -> Flow {
    let endpoints = &profile.endpoints;
    if endpoints.authorization_endpoint.is_some()
        && (redirect::has_browser() || endpoints.device_authorization_endpoint.is_none())
    {
        Flow::Browser
    } else {
        Flow::DeviceCode
    }
}

fn report(profile: &Profile, response: &BasicTokenResponse, output: &Output) {
    let refresh = response.refresh_token().is_some();
    if output.json {
        output.json_line(&json!({
            "event": "logged_in",
            "profile": profile.name,
            "issuer": profile.endpoints.issuer,
            "client_id": profile.client_id,
            "flow": profile.flow.name(),
            "device_token": profile.device.kind,
            "refresh_token": refresh,
            "expires_in": response.expires_in().map(|d| d.as_secs()),
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
    if !refresh && profile.flow != Flow::ClientCredentials {
        output.note("warning: the OAuth server gave no refresh token (ask for the offline_access scope): log in again when the access token expires");
    }
}

/// `--client-secret-stdin`, else `OCF_MEDIATOR_CLIENT_SECRET`, else the keyring.
fn read_client_secret(
    args: &LoginArgs,
    name: &str,
    previous_kind: Option<crate::store::KeyringKind>,
) -> anyhow::Result<ClientSecret> {
    if args.client_secret_stdin {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map_err(|e| {
            failure(
                Exit::Usage,
                format!("cannot read the client secret from stdin: {e}"),
            )
        })?;
        let secret = text.trim_end_matches(['\r', '\n']).to_owned();
        if secret.is_empty() {
            return Err(failure(Exit::Usage, "stdin held no client secret"));
        }
        return Ok(ClientSecret::new(secret));
    }
    let stored = match previous_kind {
        Some(kind) => tokens::client_secret(&cloud_state::secrets(kind)?, name)?,
        None => tokens::client_secret(
            &cloud_state::secrets(crate::store::KeyringKind::SecretService)?,
            name,
        )
        .ok()
        .flatten(),
    };
    stored.ok_or_else(|| {
        failure(
            Exit::Usage,
            "--client-credentials needs the client secret: --client-secret-stdin, OCF_MEDIATOR_CLIENT_SECRET, or a previous login of this profile",
        )
    })
}

async fn from_hub(
    args: &LoginArgs,
    http: &Http,
    hub: HubConfig,
    kind: crate::store::KeyringKind,
) -> anyhow::Result<Profile> {
    let authority = parse_url(&hub.authority, &format!("the authority of {}", hub.url))?;
    let endpoints = discovery::endpoints(http, &authority).await?;
    // People log in with the hub's web client, factories with its m2m client.
    let hub_client = if args.client_credentials {
        hub.m2m_client.clone()
    } else {
        hub.web_client.clone()
    };
    let client_id = args
        .client_id
        .clone()
        .or_else(|| hub_client.as_ref().map(|c| c.client_id.clone()))
        .ok_or_else(|| {
            let which = if args.client_credentials {
                "m2mOauthClient"
            } else {
                "webOauthClient"
            };
            failure(
                Exit::Usage,
                format!("the hub {} has no {which}: give --client-id", hub.url),
            )
        })?;
    let audience = args
        .audience
        .clone()
        .or_else(|| hub_client.as_ref().and_then(|c| c.audience.clone()))
        .or_else(|| hub.device_client.audience.clone());
    let scopes = if !args.scopes.is_empty() {
        args.scopes.clone()
    } else {
        let mut scopes: Vec<String> = hub_client.map(|c| c.scopes).unwrap_or_default();
        if !args.client_credentials {
            for s in DEFAULT_SCOPES {
                if !scopes.iter().any(|x| x == s) {
                    scopes.push(s.to_owned());
                }
            }
        }
        scopes
    };
    let device = &hub.device_client;
    let grant = device.grant_type.as_deref().unwrap_or("authorizationCode");
    let kind_of_token = match grant.to_ascii_lowercase().replace(['_', '-'], "").as_str() {
        "clientcredentials" => DeviceTokenKind::AccessToken,
        _ => DeviceTokenKind::AuthorizationCode,
    };
    let redirect_uri = args
        .device_redirect_uri
        .clone()
        .or_else(|| device.redirect_uri.clone())
        .or_else(|| {
            // plgd's UI sends its own origin + /devices.
            let base = hub
                .http_gateway
                .as_deref()
                .and_then(|g| Url::parse(g).ok())
                .unwrap_or_else(|| hub.url.clone());
            base.join("/devices").ok().map(|u| u.to_string())
        });
    Ok(Profile {
        name: String::new(),
        hub: Some(hub.url.clone()),
        endpoints,
        client_id,
        audience,
        scopes,
        flow: Flow::DeviceCode,
        device: DeviceClient {
            kind: kind_of_token,
            client_id: Some(device.client_id.clone()),
            audience: device.audience.clone(),
            scopes: device.scopes.clone(),
            redirect_uri,
        },
        cis: Some(hub.coap_gateway.clone()),
        apn: device.provider_name.clone(),
        sid: Some(hub.id.clone()),
        trust_anchor: hub.certificate_authorities.clone(),
        tls_ca: None,
        keyring: kind,
    })
}

async fn from_issuer(
    args: &LoginArgs,
    http: &Http,
    issuer: &str,
    kind: crate::store::KeyringKind,
) -> anyhow::Result<Profile> {
    let issuer = parse_url(issuer, "the issuer")?;
    let endpoints = discovery::endpoints(http, &issuer).await?;
    let Some(client_id) = args.client_id.clone() else {
        return Err(failure(Exit::Usage, "--issuer needs --client-id"));
    };
    let scopes = if args.scopes.is_empty() {
        DEFAULT_SCOPES.iter().map(|s| (*s).to_owned()).collect()
    } else {
        args.scopes.clone()
    };
    let trust_anchor = match &args.ca {
        Some(path) => Some(std::fs::read_to_string(path)?),
        None => None,
    };
    Ok(Profile {
        name: String::new(),
        hub: None,
        endpoints,
        client_id,
        audience: args.audience.clone(),
        scopes,
        flow: Flow::DeviceCode,
        device: DeviceClient {
            kind: DeviceTokenKind::AccessToken,
            client_id: None,
            audience: args.audience.clone(),
            scopes: Vec::new(),
            redirect_uri: None,
        },
        cis: args.cis.clone(),
        apn: args.apn.clone(),
        sid: args.sid.map(|s| s.to_string()),
        trust_anchor,
        tls_ca: None,
        keyring: kind,
    })
}
