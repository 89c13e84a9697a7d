//! The documents a login starts from: plgd's `/.well-known/hub-configuration`
//! and the OAuth server's OpenID Connect discovery document. Errors name the
//! URL and what was wrong with it.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use super::error::OAuthError;
use super::http::{Http, check_url};

/// One OAuth client described by the hub (device, web or m2m).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct HubClient {
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
}

/// What `login --hub` takes from the hub-configuration document.
#[derive(Clone, Debug)]
pub struct HubConfig {
    pub url: Url,
    pub id: String,
    pub coap_gateway: String,
    pub certificate_authorities: Option<String>,
    /// The hub's certificate authority service (`certificateAuthority`),
    /// which signs identity certificates.
    pub certificate_authority: Option<String>,
    pub authority: String,
    pub http_gateway: Option<String>,
    pub device_client: HubClient,
    pub web_client: Option<HubClient>,
    pub m2m_client: Option<HubClient>,
}

/// The hub-configuration URL of a hub given by its base URL (or the document's URL itself).
pub fn hub_configuration_url(hub: &Url) -> Url {
    if hub.path().ends_with("/.well-known/hub-configuration") {
        return hub.clone();
    }
    let mut url = hub.clone();
    let path = format!(
        "{}/.well-known/hub-configuration",
        hub.path().trim_end_matches('/')
    );
    url.set_path(&path);
    url.set_query(None);
    url
}

pub async fn hub_configuration(http: &Http, hub: &Url) -> Result<HubConfig, OAuthError> {
    let url = hub_configuration_url(hub);
    let doc = http.get_json(&url, "the hub configuration").await?;
    parse_hub_configuration(&url, &doc)
}

fn malformed(what: &str, url: &Url, problem: impl std::fmt::Display) -> OAuthError {
    OAuthError::Malformed {
        what: what.to_owned(),
        url: url.to_string(),
        problem: problem.to_string(),
    }
}

/// Reads plgd's protojson (camelCase) hub configuration.
pub fn parse_hub_configuration(url: &Url, doc: &Value) -> Result<HubConfig, OAuthError> {
    let what = "the hub configuration";
    if !doc.is_object() {
        return Err(malformed(what, url, "not a JSON object"));
    }
    let text = |key: &str| -> Result<String, OAuthError> {
        match doc.get(key) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            Some(_) => Err(malformed(
                what,
                url,
                format!("\"{key}\" is not a non-empty string"),
            )),
            None => Err(malformed(what, url, format!("\"{key}\" is missing"))),
        }
    };
    let optional = |key: &str| {
        doc.get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let id = text("id")?;
    uuid::Uuid::parse_str(&id)
        .map_err(|e| malformed(what, url, format!("\"id\" {id:?} is not a UUID: {e}")))?;
    let coap_gateway = text("coapGateway")?;
    let authority = text("authority")?;
    let client = |key: &str| -> Result<Option<HubClient>, OAuthError> {
        let Some(value) = doc.get(key) else {
            return Ok(None);
        };
        let Some(object) = value.as_object() else {
            return Err(malformed(what, url, format!("\"{key}\" is not an object")));
        };
        let field = |name: &str| {
            object
                .get(name)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let Some(client_id) = field("clientId") else {
            return Err(malformed(
                what,
                url,
                format!("\"{key}.clientId\" is missing"),
            ));
        };
        let scopes = match object.get("scopes") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            Some(Value::String(s)) => s.split_whitespace().map(str::to_owned).collect(),
            Some(_) => {
                return Err(malformed(
                    what,
                    url,
                    format!("\"{key}.scopes\" is not a list"),
                ));
            }
        };
        Ok(Some(HubClient {
            client_id,
            audience: field("audience"),
            scopes,
            provider_name: field("providerName"),
            grant_type: field("grantType"),
            authority: field("authority"),
            redirect_uri: field("redirectUrl")
                .or_else(|| field("redirectURL"))
                .or_else(|| field("redirectUri")),
        }))
    };
    let Some(device_client) = client("deviceOauthClient")? else {
        return Err(malformed(what, url, "\"deviceOauthClient\" is missing"));
    };
    Ok(HubConfig {
        url: url.clone(),
        id,
        coap_gateway,
        certificate_authorities: optional("certificateAuthorities"),
        certificate_authority: optional("certificateAuthority"),
        authority,
        http_gateway: optional("httpGatewayAddress"),
        device_client,
        web_client: client("webOauthClient")?,
        m2m_client: client("m2mOauthClient")?,
    })
}

/// The endpoints of an OAuth server, from its discovery document.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Endpoints {
    pub issuer: String,
    pub token_endpoint: Url,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_endpoint: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_authorization_endpoint: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<Url>,
}

pub fn discovery_url(issuer: &Url) -> Url {
    let mut url = issuer.clone();
    let path = format!(
        "{}/.well-known/openid-configuration",
        issuer.path().trim_end_matches('/')
    );
    url.set_path(&path);
    url
}

pub async fn endpoints(http: &Http, issuer: &Url) -> Result<Endpoints, OAuthError> {
    let url = discovery_url(issuer);
    let doc = http.get_json(&url, "the OpenID discovery document").await?;
    parse_endpoints(issuer, &url, &doc)
}

pub fn parse_endpoints(issuer: &Url, url: &Url, doc: &Value) -> Result<Endpoints, OAuthError> {
    let what = "the OpenID discovery document";
    if !doc.is_object() {
        return Err(malformed(what, url, "not a JSON object"));
    }
    let endpoint = |key: &str| -> Result<Option<Url>, OAuthError> {
        match doc.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => {
                let parsed = Url::parse(s).map_err(|e| {
                    malformed(what, url, format!("\"{key}\" {s:?} is not a URL: {e}"))
                })?;
                check_url(&parsed, &format!("\"{key}\" of {url}"))?;
                Ok(Some(parsed))
            }
            Some(_) => Err(malformed(what, url, format!("\"{key}\" is not a string"))),
        }
    };
    let Some(stated) = doc.get("issuer").and_then(Value::as_str) else {
        return Err(malformed(what, url, "\"issuer\" is missing"));
    };
    if stated.trim_end_matches('/') != issuer.as_str().trim_end_matches('/') {
        return Err(malformed(
            what,
            url,
            format!("its issuer {stated:?} is not {issuer}"),
        ));
    }
    let Some(token_endpoint) = endpoint("token_endpoint")? else {
        return Err(malformed(what, url, "\"token_endpoint\" is missing"));
    };
    Ok(Endpoints {
        issuer: stated.to_owned(),
        token_endpoint,
        authorization_endpoint: endpoint("authorization_endpoint")?,
        device_authorization_endpoint: endpoint("device_authorization_endpoint")?,
        revocation_endpoint: endpoint("revocation_endpoint")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plgd_shaped_hub_configuration_is_read() {
        let url = Url::parse("https://hub.example/.well-known/hub-configuration").unwrap();
        let doc = serde_json::json!({
            "id": "4c1e4d0e-8f4a-4b36-9ac0-1c7b7b0a4a55",
            "coapGateway": "coaps+tcp://hub.example:5684",
            "certificateAuthorities": "-----BEGIN CERTIFICATE-----\n...",
            "authority": "https://auth.example",
            "deviceOauthClient": {"clientId": "dev", "audience": "https://api", "scopes": ["offline_access"], "providerName": "plgd", "grantType": "authorizationCode"},
            "webOauthClient": {"clientId": "web", "scopes": ["openid"]},
            "currentTime": "1700000000000000000"
        });
        let hub = parse_hub_configuration(&url, &doc).unwrap();
        assert_eq!(hub.device_client.provider_name.as_deref(), Some("plgd"));
        assert_eq!(hub.web_client.unwrap().client_id, "web");
        assert!(hub.m2m_client.is_none());
        let missing = parse_hub_configuration(&url, &serde_json::json!({"id": "x"})).unwrap_err();
        assert!(missing.to_string().contains("hub.example"), "{missing}");
    }

    #[test]
    fn hub_url_gets_the_well_known_path() {
        let hub = Url::parse("https://hub.example/base/").unwrap();
        assert_eq!(
            hub_configuration_url(&hub).as_str(),
            "https://hub.example/base/.well-known/hub-configuration"
        );
    }
}
