//! How the cloud checks a device's `accesstoken` at sign-up against a real
//! OAuth server (`--issuer`): OIDC discovery for the JWKS and the token
//! endpoint; a JWT access token is checked by signature, issuer, audience
//! and expiry; anything else is taken for a one-time authorization code and
//! exchanged once at the token endpoint with the cloud's client, as plgd's
//! coap-gateway does (FACTS §4). Without an issuer (a rehearsal), any token
//! or code is accepted once.

use std::fmt;
use std::sync::RwLock;
use std::time::Duration;

use serde_json::Value;

use crate::sim::jwt::{self, Expectations, KeySet};

/// The OAuth client the cloud exchanges codes with.
#[derive(Clone)]
pub struct CodeClient {
    pub client_id: String,
    pub client_secret: String,
    /// The redirect URI the codes were issued for.
    pub redirect_uri: Option<String>,
}

impl fmt::Debug for CodeClient {
    // Never print the secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CodeClient")
            .field("client_id", &self.client_id)
            .field("redirect_uri", &self.redirect_uri)
            .finish()
    }
}

/// Why the issuer could not be used at start.
#[derive(Debug)]
#[non_exhaustive]
pub enum AuthorityError {
    /// The discovery document or JWKS could not be fetched or read.
    Discovery { url: String, reason: String },
}

impl fmt::Display for AuthorityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Discovery { url, reason } => write!(f, "{url}: {reason}"),
        }
    }
}

impl std::error::Error for AuthorityError {}

/// A verified sign-up token: whose it is, and whether it was a one-time code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub uid: String,
    pub one_time: bool,
}

/// The OAuth server the cloud trusts.
pub struct Authority {
    issuer: String,
    audience: Option<String>,
    owner_claim: String,
    token_endpoint: String,
    jwks_uri: String,
    keys: RwLock<KeySet>,
    client: Option<CodeClient>,
    http: reqwest::Client,
}

impl fmt::Debug for Authority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authority")
            .field("issuer", &self.issuer)
            .finish()
    }
}

impl Authority {
    /// Reads the issuer's discovery document and JWKS.
    pub async fn discover(
        issuer: &str,
        audience: Option<String>,
        owner_claim: String,
        client: Option<CodeClient>,
    ) -> Result<Authority, AuthorityError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| AuthorityError::Discovery {
                url: issuer.to_owned(),
                reason: e.to_string(),
            })?;
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let document = get_json(&http, &url).await?;
        let field = |name: &str| -> Result<String, AuthorityError> {
            document[name]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| AuthorityError::Discovery {
                    url: url.clone(),
                    reason: format!("\"{name}\" is missing"),
                })
        };
        let stated = field("issuer")?;
        if stated.trim_end_matches('/') != issuer.trim_end_matches('/') {
            return Err(AuthorityError::Discovery {
                url,
                reason: format!("its issuer {stated:?} is not {issuer}"),
            });
        }
        let token_endpoint = field("token_endpoint")?;
        let jwks_uri = field("jwks_uri")?;
        let keys = KeySet::from_jwks(&get_json(&http, &jwks_uri).await?);
        Ok(Authority {
            issuer: stated,
            audience,
            owner_claim,
            token_endpoint,
            jwks_uri,
            keys: RwLock::new(keys),
            client,
            http,
        })
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Checks a sign-up's token or code; the owner, or why not.
    pub async fn authorize(&self, token: &str, now: u64) -> Result<Owner, String> {
        if jwt::looks_like_jwt(token) {
            let claims = self.verify_access_token(token, now).await?;
            return Ok(Owner {
                uid: self.owner_of(&claims)?,
                one_time: false,
            });
        }
        let access = self.exchange(token).await?;
        let claims = self.verify_access_token(&access, now).await?;
        Ok(Owner {
            uid: self.owner_of(&claims)?,
            one_time: true,
        })
    }

    fn owner_of(&self, claims: &Value) -> Result<String, String> {
        claims[self.owner_claim.as_str()]
            .as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| format!("the token has no {:?} claim", self.owner_claim))
    }

    /// Checks a JWT access token of this issuer: signature, issuer, audience,
    /// expiry. Returns its claims.
    pub async fn verify_access_token(&self, token: &str, now: u64) -> Result<Value, String> {
        // A key the set does not have yet: the issuer may have rotated keys.
        if let Some(kid) = jwt::header_kid(token) {
            let known = self.keys.read().map(|k| k.has_kid(&kid)).unwrap_or(false);
            if !known {
                if let Ok(document) = get_json(&self.http, &self.jwks_uri).await {
                    if let Ok(mut keys) = self.keys.write() {
                        *keys = KeySet::from_jwks(&document);
                    }
                }
            }
        }
        let keys = self
            .keys
            .read()
            .map_err(|_| "the issuer's keys are unavailable".to_owned())?
            .clone();
        jwt::verify(
            token,
            &keys,
            &Expectations {
                issuer: &self.issuer,
                audience: self.audience.as_deref(),
                now,
            },
        )
        .map_err(|e| e.to_string())
    }

    /// Exchanges a one-time code at the token endpoint; the access token.
    async fn exchange(&self, code: &str) -> Result<String, String> {
        let Some(client) = &self.client else {
            return Err(
                "the token is not a JWT and no --client-id is configured to exchange codes".into(),
            );
        };
        let mut form = vec![("grant_type", "authorization_code"), ("code", code)];
        if let Some(redirect) = &client.redirect_uri {
            form.push(("redirect_uri", redirect.as_str()));
        }
        let response = self
            .http
            .post(&self.token_endpoint)
            .basic_auth(&client.client_id, Some(&client.client_secret))
            .form(&form)
            .send()
            .await
            .map_err(|e| format!("the token endpoint {} failed: {e}", self.token_endpoint))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            let error = body["error"].as_str().unwrap_or("no error code");
            let description = body["error_description"].as_str().unwrap_or("");
            return Err(format!(
                "the code was refused at the token endpoint ({status}, {error}{}{description})",
                if description.is_empty() { "" } else { ": " }
            ));
        }
        // plgd refuses a sign-up whose exchange brings no refresh token (FACTS §1.4).
        if !body["refresh_token"].is_string() {
            return Err(
                "the code exchange returned no refresh token (ask for offline_access)".into(),
            );
        }
        body["access_token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| "the code exchange returned no access token".into())
    }
}

async fn get_json(http: &reqwest::Client, url: &str) -> Result<Value, AuthorityError> {
    let failed = |reason: String| AuthorityError::Discovery {
        url: url.to_owned(),
        reason,
    };
    let response = http
        .get(url)
        .send()
        .await
        .map_err(|e| failed(e.to_string()))?;
    if !response.status().is_success() {
        return Err(failed(format!("answered HTTP {}", response.status())));
    }
    response
        .json()
        .await
        .map_err(|e| failed(format!("not JSON: {e}")))
}
