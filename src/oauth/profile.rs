//! Cloud profiles: what a login learnt about the cloud and its OAuth server,
//! kept in the state file (no secrets), and the keyring accounts of its secrets.

use serde::{Deserialize, Serialize};
use url::Url;

use super::discovery::Endpoints;
use crate::cli::exit::{Exit, failure};
use crate::store::{KeyringKind, Store};

/// How the profile's user (or factory client) logged in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Flow {
    DeviceCode,
    Browser,
    ClientCredentials,
}

impl Flow {
    pub fn name(self) -> &'static str {
        match self {
            Flow::DeviceCode => "device-code",
            Flow::Browser => "browser",
            Flow::ClientCredentials => "client-credentials",
        }
    }
}

/// What a device needs as `at` for this cloud.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeviceTokenKind {
    /// An access token for the cloud's audience (plgd grantType clientCredentials, or no hub).
    AccessToken,
    /// A one-time authorization code for the hub's device OAuth client (plgd's default).
    AuthorizationCode,
}

/// The hub's device OAuth client, for `token` on authorization-code hubs.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct DeviceClient {
    pub kind: DeviceTokenKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Profile {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hub: Option<Url>,
    pub endpoints: Endpoints,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    pub flow: Flow,
    pub device: DeviceClient,
    /// Cloud interface server (coapcloudconf `cis`), provider name (`apn`), server id (`sid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cis: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// The cloud's trust anchor (PEM) for devices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_anchor: Option<String>,
    /// Extra CA (PEM) trusted for HTTPS to the hub and the OAuth server.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_ca: Option<String>,
    /// Where this profile's secrets are.
    pub keyring: KeyringKind,
}

/// Keyring account names of a profile's secrets.
pub fn refresh_token_account(profile: &str) -> String {
    format!("profile/{profile}/refresh_token")
}
pub fn client_secret_account(profile: &str) -> String {
    format!("profile/{profile}/client_secret")
}
pub fn access_token_account(profile: &str) -> String {
    format!("profile/{profile}/access_token")
}

/// Profile names end up in keyring account names and file paths: keep them plain.
pub fn check_name(name: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err(failure(
            Exit::Usage,
            format!("profile name {name:?} must be 1-64 letters, digits, '-', '_' or '.'"),
        ))
    }
}

pub async fn load(store: &Store, name: &str) -> anyhow::Result<Option<Profile>> {
    let Some(value) = store.profile(name).await? else {
        return Ok(None);
    };
    let profile = serde_json::from_value(value).map_err(|e| {
        failure(
            Exit::Failed,
            format!("profile {name:?} in the state file cannot be read ({e}): log in again with `ocf-mediator login --profile {name}`"),
        )
    })?;
    Ok(Some(profile))
}

/// A profile that must exist.
pub async fn require(store: &Store, name: &str) -> anyhow::Result<Profile> {
    load(store, name).await?.ok_or_else(|| {
        failure(
            Exit::Usage,
            format!("no cloud profile {name:?}: create it with `ocf-mediator login --profile {name} --hub URL` (or --issuer URL --client-id ID)"),
        )
    })
}

pub async fn save(store: &Store, profile: &Profile) -> anyhow::Result<()> {
    let value = serde_json::to_value(profile)?;
    Ok(store.put_profile(&profile.name, value).await?)
}

pub async fn remove(store: &Store, name: &str) -> anyhow::Result<bool> {
    Ok(store.remove_profile(name).await?)
}

pub async fn all(store: &Store) -> anyhow::Result<Vec<Result<Profile, String>>> {
    Ok(store
        .profiles()
        .await?
        .into_iter()
        .map(|(name, value)| serde_json::from_value(value).map_err(|_| name))
        .collect())
}
