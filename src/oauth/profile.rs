//! Cloud profiles: what a login learnt about the cloud and its OAuth server,
//! kept in the store (no secrets), and the keyring accounts of its secrets.

use serde::{Deserialize, Serialize};
use url::Url;

use super::discovery::Endpoints;
use super::error::OAuthError;
use crate::store::{KeyringKind, SecretError, Secrets, Store};

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
    /// The hub's certificate authority service, which signs identity
    /// certificates (`POST <it>/api/v1/sign/identity-csr`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_authority: Option<Url>,
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
pub fn check_name(name: &str) -> Result<(), OAuthError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err(OAuthError::BadProfileName {
            name: name.to_owned(),
        })
    }
}

fn parse(name: &str, value: serde_json::Value) -> Result<Profile, OAuthError> {
    serde_json::from_value(value).map_err(|e| OAuthError::DamagedProfile {
        name: name.to_owned(),
        detail: e.to_string(),
    })
}

/// The profile `name`, if there is one.
pub async fn load(store: &Store, name: &str) -> Result<Option<Profile>, OAuthError> {
    check_name(name)?;
    match store.profile(name).await? {
        Some(value) => parse(name, value).map(Some),
        None => Ok(None),
    }
}

/// A profile that must exist.
pub async fn require(store: &Store, name: &str) -> Result<Profile, OAuthError> {
    load(store, name)
        .await?
        .ok_or_else(|| OAuthError::NoProfile {
            name: name.to_owned(),
        })
}

pub async fn save(store: &Store, profile: &Profile) -> Result<(), OAuthError> {
    let value = serde_json::to_value(profile).map_err(|e| OAuthError::DamagedProfile {
        name: profile.name.clone(),
        detail: e.to_string(),
    })?;
    store.put_profile(&profile.name, value).await?;
    Ok(())
}

/// Removes a profile (not its secrets); whether there was one.
pub async fn remove(store: &Store, name: &str) -> Result<bool, OAuthError> {
    Ok(store.remove_profile(name).await?)
}

/// One stored profile, as [`list`] finds it.
#[derive(Clone, Debug)]
pub struct Listed {
    pub name: String,
    /// The profile; `None` when it cannot be read (log in again).
    pub profile: Option<Profile>,
    /// Whether the keyring holds what the profile needs to get tokens
    /// (`None`: the keyring cannot be read).
    pub credentials: Option<bool>,
}

/// Every stored profile, by name, with whether it is logged in.
pub async fn list(store: &Store) -> Result<Vec<Listed>, OAuthError> {
    let mut listed = Vec::new();
    for (name, value) in store.profiles().await? {
        let profile = parse(&name, value).ok();
        let credentials = match &profile {
            Some(profile) => has_credentials(profile).await,
            None => None,
        };
        listed.push(Listed {
            name,
            profile,
            credentials,
        });
    }
    Ok(listed)
}

/// Whether the keyring holds a refresh token or client secret (by the
/// profile's flow) or a cached access token.
async fn has_credentials(profile: &Profile) -> Option<bool> {
    let secrets = Secrets::open(profile.keyring).ok()?;
    let long_lived = match profile.flow {
        Flow::ClientCredentials => client_secret_account(&profile.name),
        Flow::DeviceCode | Flow::Browser => refresh_token_account(&profile.name),
    };
    let cached = access_token_account(&profile.name);
    keyring(&secrets, move |s| {
        Ok(s.get(&long_lived)?.is_some() || s.get(&cached)?.is_some())
    })
    .await
    .ok()
}

/// Runs keyring work off the executor: the Secret Service and the kernel
/// keyring are blocking calls.
pub(crate) async fn keyring<R: Send + 'static>(
    secrets: &Secrets,
    work: impl FnOnce(&Secrets) -> Result<R, SecretError> + Send + 'static,
) -> Result<R, OAuthError> {
    let secrets = secrets.clone();
    let kind = secrets.kind();
    tokio::task::spawn_blocking(move || work(&secrets))
        .await
        .map_err(|e| SecretError::Failed {
            kind,
            detail: format!("the keyring worker stopped: {e}"),
        })?
        .map_err(OAuthError::from)
}
