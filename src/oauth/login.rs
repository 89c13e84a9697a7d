//! A login: build (or reuse) a cloud profile from a hub or an issuer, run a
//! login flow, keep the secrets in the keyring and the profile in the store.

use std::time::Duration;

use oauth2::basic::BasicTokenResponse;
use oauth2::{ClientSecret, TokenResponse};
use url::Url;

use super::discovery::{self, HubConfig};
use super::error::OAuthError;
use super::http::{Http, parse_url};
use super::profile::{self, DeviceClient, DeviceTokenKind, Flow, Profile};
use super::tokens;
use super::{browser, client_credentials, device_code};
use crate::interact::{Interaction, Secret};
use crate::store::{KeyringKind, Secrets, Store};

/// Scopes asked for when neither the user nor the hub names any: an ID and
/// a refresh token (plgd's sign-up also needs `offline_access`).
const DEFAULT_SCOPES: [&str; 2] = ["openid", "offline_access"];

/// Where the profile's cloud and OAuth server are described.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum LoginSource {
    /// A plgd hub: its base URL or its hub-configuration URL.
    Hub {
        url: Url,
        /// The redirect URI of the hub's device OAuth client, when the hub
        /// does not say it (plgd's document does not).
        device_redirect_uri: Option<String>,
    },
    /// An OAuth 2.0 / OpenID Connect issuer, with the cloud's coapcloudconf
    /// values given by hand.
    Issuer {
        url: Url,
        client_id: String,
        cis: Option<String>,
        apn: Option<String>,
        sid: Option<uuid::Uuid>,
        /// The cloud's trust anchor for devices (PEM).
        trust_anchor: Option<String>,
    },
    /// The profile as stored: a repeated login.
    Again,
}

/// A login, as asked for.
#[derive(Debug)]
#[non_exhaustive]
pub struct LoginRequest {
    pub profile: String,
    pub source: LoginSource,
    /// The flow; `None` keeps a repeated login's, and picks one for a new
    /// profile (the browser when `prefer_browser` and the server offers it).
    pub flow: Option<Flow>,
    /// Whether a browser can be opened here, for the default flow.
    pub prefer_browser: bool,
    /// The OAuth client (with a hub: instead of its web or m2m client).
    pub client_id: Option<String>,
    pub audience: Option<String>,
    /// Scopes to ask for; empty: the hub client's, or openid offline_access.
    pub scopes: Vec<String>,
    /// An extra CA (PEM) for HTTPS; `None` keeps the profile's.
    pub tls_ca: Option<String>,
    /// The keyring the profile's secrets go to.
    pub keyring: KeyringKind,
    /// The client secret for the client credentials flow; `None` takes the
    /// one an earlier login kept.
    pub client_secret: Option<Secret>,
    /// How long one HTTP request may take.
    pub timeout: Duration,
}

impl LoginRequest {
    pub fn new(profile: &str, source: LoginSource, keyring: KeyringKind) -> LoginRequest {
        LoginRequest {
            profile: profile.to_owned(),
            source,
            flow: None,
            prefer_browser: false,
            client_id: None,
            audience: None,
            scopes: Vec::new(),
            tls_ca: None,
            keyring,
            client_secret: None,
            timeout: Duration::from_secs(10),
        }
    }
}

/// What a login did.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct LoginOutcome {
    /// The profile as saved.
    pub profile: Profile,
    /// Whether the server gave a refresh token.
    pub refresh_token: bool,
    /// How long the access token lives, when the server said.
    pub expires_in: Option<Duration>,
}

/// Logs in: the profile is saved, and its secrets are in its keyring, only
/// when the login succeeded.
pub async fn login(
    store: &Store,
    request: LoginRequest,
    interaction: &dyn Interaction,
) -> Result<LoginOutcome, OAuthError> {
    let name = request.profile.clone();
    profile::check_name(&name)?;
    let existing = profile::load(store, &name).await?;
    let tls_ca = request
        .tls_ca
        .clone()
        .or_else(|| existing.as_ref().and_then(|p| p.tls_ca.clone()));
    let http = Http::new(tls_ca.as_deref(), request.timeout)?;
    let kind = request.keyring;
    let fresh_source = !matches!(request.source, LoginSource::Again);

    let mut profile = match &request.source {
        LoginSource::Hub {
            url,
            device_redirect_uri,
        } => {
            let config = discovery::hub_configuration(&http, url).await?;
            from_hub(&request, device_redirect_uri.clone(), &http, config).await?
        }
        LoginSource::Issuer {
            url,
            client_id,
            cis,
            apn,
            sid,
            trust_anchor,
        } => {
            let endpoints = discovery::endpoints(&http, url).await?;
            let scopes = if request.scopes.is_empty() {
                DEFAULT_SCOPES.iter().map(|s| (*s).to_owned()).collect()
            } else {
                request.scopes.clone()
            };
            Profile {
                name: String::new(),
                hub: None,
                endpoints,
                client_id: client_id.clone(),
                audience: request.audience.clone(),
                scopes,
                flow: Flow::DeviceCode,
                device: DeviceClient {
                    kind: DeviceTokenKind::AccessToken,
                    client_id: None,
                    audience: request.audience.clone(),
                    scopes: Vec::new(),
                    redirect_uri: None,
                },
                cis: cis.clone(),
                apn: apn.clone(),
                sid: sid.map(|s| s.to_string()),
                trust_anchor: trust_anchor.clone(),
                certificate_authority: None,
                tls_ca: None,
                keyring: kind,
            }
        }
        LoginSource::Again => existing
            .clone()
            .ok_or_else(|| OAuthError::NewProfileNeedsSource { name: name.clone() })?,
    };
    profile.name = name.clone();
    profile.tls_ca = tls_ca;
    match request.flow {
        Some(flow) => profile.flow = flow,
        None if fresh_source || existing.is_none() => {
            profile.flow = default_flow(&profile, request.prefer_browser);
        }
        None => {}
    }
    if !fresh_source {
        // A repeated login: what is given now still applies.
        if let Some(audience) = &request.audience {
            profile.audience = Some(audience.clone());
        }
        if !request.scopes.is_empty() {
            profile.scopes = request.scopes.clone();
        }
    }
    let from_hub = matches!(request.source, LoginSource::Hub { .. });
    if profile.flow == Flow::ClientCredentials && request.scopes.is_empty() && !from_hub {
        // openid and offline_access mean nothing without a user.
        profile
            .scopes
            .retain(|s| !DEFAULT_SCOPES.contains(&s.as_str()));
    }

    let previous_kind = existing.as_ref().map(|p| p.keyring);
    let (response, secret) = match profile.flow {
        Flow::DeviceCode => (
            device_code::login(&http, &profile, interaction).await?,
            None,
        ),
        Flow::Browser => (browser::login(&http, &profile, interaction).await?, None),
        Flow::ClientCredentials => {
            let secret = client_secret(&request, &name, previous_kind).await?;
            let response = client_credentials::grant(&http, &profile, &secret).await?;
            (response, Some(secret))
        }
    };

    // Old secrets go: from a keyring the profile leaves, and any refresh
    // token or client secret this login did not renew.
    for old in [Some(kind), previous_kind].into_iter().flatten() {
        tokens::forget(&Secrets::open(old)?, &name).await?;
    }
    profile.keyring = kind;
    let secrets = Secrets::open(kind)?;
    if let Some(secret) = secret {
        let account = profile::client_secret_account(&name);
        profile::keyring(&secrets, move |s| {
            s.set(&account, secret.secret().as_bytes())
        })
        .await?;
    }
    tokens::store(&secrets, &name, &response).await?;
    profile::save(store, &profile).await?;
    Ok(outcome(profile, &response))
}

fn outcome(profile: Profile, response: &BasicTokenResponse) -> LoginOutcome {
    LoginOutcome {
        profile,
        refresh_token: response.refresh_token().is_some(),
        expires_in: response.expires_in(),
    }
}

/// The browser when one can be opened (or the server offers nothing else)
/// and the server has an authorization endpoint; else the device code.
fn default_flow(profile: &Profile, prefer_browser: bool) -> Flow {
    let endpoints = &profile.endpoints;
    if endpoints.authorization_endpoint.is_some()
        && (prefer_browser || endpoints.device_authorization_endpoint.is_none())
    {
        Flow::Browser
    } else {
        Flow::DeviceCode
    }
}

/// The given client secret, else the one an earlier login kept.
async fn client_secret(
    request: &LoginRequest,
    name: &str,
    previous_kind: Option<KeyringKind>,
) -> Result<ClientSecret, OAuthError> {
    if let Some(secret) = &request.client_secret {
        return Ok(ClientSecret::new(secret.expose().to_owned()));
    }
    let stored = match previous_kind {
        Some(kind) => tokens::stored_client_secret(&Secrets::open(kind)?, name).await?,
        // No earlier login of this profile: a leftover in the default
        // keyring may still be there; a keyring that cannot be read has none.
        None => match Secrets::open(KeyringKind::SecretService) {
            Ok(secrets) => tokens::stored_client_secret(&secrets, name)
                .await
                .ok()
                .flatten(),
            Err(_) => None,
        },
    };
    stored.ok_or_else(|| OAuthError::ClientSecretNeeded {
        profile: name.to_owned(),
    })
}

async fn from_hub(
    request: &LoginRequest,
    device_redirect_uri: Option<String>,
    http: &Http,
    hub: HubConfig,
) -> Result<Profile, OAuthError> {
    let authority = parse_url(&hub.authority, &format!("the authority of {}", hub.url))?;
    let endpoints = discovery::endpoints(http, &authority).await?;
    // People log in with the hub's web client, factories with its m2m client.
    let for_factory = request.flow == Some(Flow::ClientCredentials);
    let hub_client = if for_factory {
        hub.m2m_client.clone()
    } else {
        hub.web_client.clone()
    };
    let client_id = request
        .client_id
        .clone()
        .or_else(|| hub_client.as_ref().map(|c| c.client_id.clone()))
        .ok_or_else(|| OAuthError::HubHasNoClient {
            hub: hub.url.to_string(),
            which: if for_factory {
                "m2mOauthClient"
            } else {
                "webOauthClient"
            },
        })?;
    let audience = request
        .audience
        .clone()
        .or_else(|| hub_client.as_ref().and_then(|c| c.audience.clone()))
        .or_else(|| hub.device_client.audience.clone());
    let scopes = if !request.scopes.is_empty() {
        request.scopes.clone()
    } else {
        let mut scopes: Vec<String> = hub_client.map(|c| c.scopes).unwrap_or_default();
        if !for_factory {
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
    let redirect_uri = device_redirect_uri
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
        // A hub whose CA service is not usable still serves logins and
        // tokens: without it, identity certificates come from elsewhere.
        certificate_authority: hub
            .certificate_authority
            .as_deref()
            .and_then(|u| parse_url(u, "the hub's certificate authority").ok()),
        tls_ca: None,
        keyring: request.keyring,
    })
}
