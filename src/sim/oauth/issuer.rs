//! The authorization server's rules, sans-IO: parameters and the current
//! time in, answers out. It keeps the one-time things (authorization codes,
//! device codes, refresh tokens) and signs JWT access tokens; the HTTP side
//! (`super::http`) only moves bytes.
//!
//! Strict where a client could get away with a mistake against a lenient
//! server: every parameter at most once (RFC 6749 §3.1), a code is spent by
//! the first exchange of its client whatever the outcome, a reused code or
//! refresh token revokes every token of its grant (RFC 6749 §4.1.2, RFC 9700
//! §4.14), PKCE S256 only and required of public clients (RFC 7636, RFC
//! 9700 §2.1.1), audiences other than the server's refused (RFC 8707).

use std::collections::HashMap;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::config::{Client, GrantType, OAuthConfig, random_token};
use crate::sim::jwt::JwtSigner;

/// Paths of the endpoints, under the issuer URL.
pub const AUTHORIZE_PATH: &str = "/authorize";
pub const TOKEN_PATH: &str = "/oauth/token";
pub const DEVICE_AUTHORIZATION_PATH: &str = "/oauth/device/code";
pub const REVOKE_PATH: &str = "/oauth/revoke";
pub const JWKS_PATH: &str = "/.well-known/jwks.json";
pub const VERIFICATION_PATH: &str = "/device";

/// The claim naming the device an authorization code was asked for (as
/// plgd's mock OAuth server puts it in tokens).
pub const DEVICE_ID_CLAIM: &str = "https://plgd.dev/deviceId";

/// An OAuth error answer (RFC 6749 §5.2): the HTTP status, the error code
/// and a sentence saying what was wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub status: u16,
    pub error: &'static str,
    pub description: String,
}

impl Failure {
    fn new(error: &'static str, description: impl Into<String>) -> Failure {
        Failure {
            status: 400,
            error,
            description: description.into(),
        }
    }

    /// The client is unknown or did not prove who it is: 401.
    fn client(description: impl Into<String>) -> Failure {
        Failure {
            status: 401,
            error: "invalid_client",
            description: description.into(),
        }
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        json!({"error": self.error, "error_description": self.description})
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error, self.description)
    }
}

/// Request parameters (a query string or a form body), each at most once;
/// empty ones count as absent (RFC 6749 §3.1).
#[derive(Clone, Debug, Default)]
pub struct Params(HashMap<String, String>);

impl Params {
    pub fn parse(text: &str) -> Result<Params, Failure> {
        let mut map = HashMap::new();
        for (key, value) in url::form_urlencoded::parse(text.as_bytes()) {
            if value.is_empty() {
                continue;
            }
            if map.insert(key.to_string(), value.into_owned()).is_some() {
                return Err(Failure::new(
                    "invalid_request",
                    format!("the parameter {key} is given more than once"),
                ));
            }
        }
        Ok(Params(map))
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    fn require(&self, key: &str) -> Result<&str, Failure> {
        self.get(key)
            .ok_or_else(|| Failure::new("invalid_request", format!("{key} is missing")))
    }
}

/// What `/authorize` answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthorizeAnswer {
    /// A 302 to this address: the client's redirect URI with the code (or
    /// the error) and the state. Every request is approved at once: the
    /// rehearsal's person always says yes.
    Redirect(String),
    /// No redirect URI was given: the code as JSON, as plgd's mock does.
    Code { code: String, state: Option<String> },
    /// Nowhere safe to send the answer (unknown client, a redirect URI not
    /// registered): shown to the person instead.
    Refused(Failure),
}

struct CodeGrant {
    client_id: String,
    redirect_uri: Option<String>,
    scope: Vec<String>,
    audience: String,
    challenge: Option<String>,
    nonce: Option<String>,
    device_id: Option<String>,
    expires_at: u64,
    used: bool,
    family: u64,
}

struct DeviceGrant {
    client_id: String,
    user_code: String,
    scope: Vec<String>,
    audience: String,
    expires_at: u64,
    used: bool,
}

struct RefreshGrant {
    client_id: String,
    scope: Vec<String>,
    audience: String,
    device_id: Option<String>,
    expires_at: u64,
    used: bool,
    family: u64,
}

/// What a token response is for.
struct Issue<'a> {
    client_id: &'a str,
    /// `sub`: the person, or the client itself for client credentials.
    subject: &'a str,
    person: bool,
    scope: &'a [String],
    audience: &'a str,
    device_id: Option<&'a str>,
    nonce: Option<&'a str>,
    /// The grant a refresh token continues, when one is to be issued.
    family: Option<u64>,
}

/// The authorization server.
pub struct Issuer {
    issuer: String,
    config: OAuthConfig,
    signer: JwtSigner,
    codes: HashMap<String, CodeGrant>,
    device_codes: HashMap<String, DeviceGrant>,
    refresh: HashMap<String, RefreshGrant>,
    families: u64,
}

/// How long spent and expired entries are kept, so that a late reuse is
/// still told apart from a made-up value.
const KEEP_AFTER_EXPIRY: u64 = 600;

impl Issuer {
    /// The server of `config`, reachable at `issuer` (its base URL), with a
    /// new signing key.
    pub fn new(issuer: &str, config: OAuthConfig) -> Issuer {
        Issuer {
            issuer: issuer.trim_end_matches('/').to_owned(),
            config,
            signer: JwtSigner::generate("ocf-devsim-oauth"),
            codes: HashMap::new(),
            device_codes: HashMap::new(),
            refresh: HashMap::new(),
            families: 0,
        }
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn config(&self) -> &OAuthConfig {
        &self.config
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// The OpenID Connect discovery document (also served as RFC 8414's).
    pub fn discovery(&self) -> Value {
        json!({
            "issuer": self.issuer,
            "authorization_endpoint": self.url(AUTHORIZE_PATH),
            "token_endpoint": self.url(TOKEN_PATH),
            "device_authorization_endpoint": self.url(DEVICE_AUTHORIZATION_PATH),
            "revocation_endpoint": self.url(REVOKE_PATH),
            "jwks_uri": self.url(JWKS_PATH),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": [
                GrantType::AuthorizationCode.name(),
                GrantType::RefreshToken.name(),
                GrantType::ClientCredentials.name(),
                GrantType::DeviceCode.name(),
            ],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "scopes_supported": ["openid", "offline_access"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", self.config.owner_claim, DEVICE_ID_CLAIM],
        })
    }

    pub fn jwks(&self) -> Value {
        self.signer.jwks()
    }

    /// `GET /authorize?…` (RFC 6749 §4.1.1), approved at once.
    pub fn authorize(&mut self, query: &str, now: u64) -> AuthorizeAnswer {
        let params = match Params::parse(query) {
            Ok(params) => params,
            Err(failure) => return AuthorizeAnswer::Refused(failure),
        };
        let client = match params.require("client_id") {
            Ok(id) => match self.config.client(id) {
                Some(client) => client.clone(),
                None => {
                    return AuthorizeAnswer::Refused(Failure::new(
                        "invalid_request",
                        format!("there is no client {id:?} here"),
                    ));
                }
            },
            Err(failure) => return AuthorizeAnswer::Refused(failure),
        };
        let redirect = match params.get("redirect_uri") {
            None => None,
            Some(text) => match url::Url::parse(text) {
                Ok(uri) if client.allows_redirect(&uri) => Some(uri),
                _ => {
                    return AuthorizeAnswer::Refused(Failure::new(
                        "invalid_request",
                        format!(
                            "the redirect_uri {text} is not one of client {}'s",
                            client.id
                        ),
                    ));
                }
            },
        };
        let state = params.get("state");
        let fail = |error: &'static str, description: String| match &redirect {
            Some(uri) => AuthorizeAnswer::Redirect(with_query(
                uri,
                &[
                    ("error", Some(error)),
                    ("error_description", Some(&description)),
                    ("state", state),
                ],
            )),
            None => AuthorizeAnswer::Refused(Failure::new(error, description)),
        };
        if params.get("response_type") != Some("code") {
            return fail(
                "unsupported_response_type",
                "only response_type=code is served".into(),
            );
        }
        if !client.allows(GrantType::AuthorizationCode) {
            return fail(
                "unauthorized_client",
                format!("client {} may not use authorization codes", client.id),
            );
        }
        let challenge = params.get("code_challenge");
        match challenge {
            Some(challenge) => {
                if params.get("code_challenge_method") != Some("S256") {
                    return fail(
                        "invalid_request",
                        "only code_challenge_method=S256 is served".into(),
                    );
                }
                if challenge.len() != 43 || URL_SAFE_NO_PAD.decode(challenge).is_err() {
                    return fail(
                        "invalid_request",
                        "code_challenge is not a base64url SHA-256 digest".into(),
                    );
                }
            }
            None if client.is_public() => {
                return fail(
                    "invalid_request",
                    format!(
                        "client {} is public: it must send a PKCE code_challenge (S256)",
                        client.id
                    ),
                );
            }
            None => {}
        }
        let audience = match self.audience(&params) {
            Ok(audience) => audience,
            Err(failure) => return fail(failure.error, failure.description),
        };
        let code = random_token(32);
        let family = self.new_family();
        self.codes.insert(
            code.clone(),
            CodeGrant {
                client_id: client.id.clone(),
                redirect_uri: params.get("redirect_uri").map(str::to_owned),
                scope: scope_of(&params),
                audience,
                challenge: challenge.map(str::to_owned),
                nonce: params.get("nonce").map(str::to_owned),
                device_id: params
                    .get("device_id")
                    .or_else(|| params.get("deviceId"))
                    .map(str::to_owned),
                expires_at: now + self.config.code_ttl,
                used: false,
                family,
            },
        );
        match redirect {
            Some(uri) => AuthorizeAnswer::Redirect(with_query(
                &uri,
                &[("code", Some(&code)), ("state", state)],
            )),
            None => AuthorizeAnswer::Code {
                code,
                state: state.map(str::to_owned),
            },
        }
    }

    /// `POST /oauth/token` (RFC 6749 §3.2): `basic` is the Authorization
    /// header's client id and secret, when there was one; `body` the form.
    pub fn token(
        &mut self,
        basic: Option<(String, String)>,
        body: &str,
        now: u64,
    ) -> Result<Value, Failure> {
        self.purge(now);
        let params = Params::parse(body)?;
        let grant_name = params.require("grant_type")?;
        let grant = GrantType::from_name(grant_name).ok_or_else(|| {
            Failure::new(
                "unsupported_grant_type",
                format!("the grant type {grant_name:?} is not served"),
            )
        })?;
        let client = self.authenticate(basic, &params)?;
        if !client.allows(grant) {
            return Err(Failure::new(
                "unauthorized_client",
                format!(
                    "client {} may not use the {} grant",
                    client.id,
                    grant.name()
                ),
            ));
        }
        match grant {
            GrantType::ClientCredentials => {
                let audience = self.audience(&params)?;
                let scope = scope_of(&params);
                Ok(self.issue(
                    &Issue {
                        client_id: &client.id,
                        subject: &client.id,
                        person: false,
                        scope: &scope,
                        audience: &audience,
                        device_id: None,
                        nonce: None,
                        family: None,
                    },
                    now,
                ))
            }
            GrantType::AuthorizationCode => self.exchange_code(&client, &params, now),
            GrantType::RefreshToken => self.refresh(&client, &params, now),
            GrantType::DeviceCode => self.poll_device_code(&client, &params, now),
        }
    }

    fn exchange_code(
        &mut self,
        client: &Client,
        params: &Params,
        now: u64,
    ) -> Result<Value, Failure> {
        let code = params.require("code")?;
        let invalid = |description: &str| Failure::new("invalid_grant", description);
        let Some(grant) = self.codes.get_mut(code) else {
            return Err(invalid(
                "the authorization code is not one this server issued",
            ));
        };
        if grant.client_id != client.id {
            return Err(invalid(
                "the authorization code was issued to another client",
            ));
        }
        if grant.used {
            let family = grant.family;
            self.revoke_family(family);
            return Err(invalid(
                "the authorization code was already used; the tokens it gave are revoked",
            ));
        }
        // Spent by this attempt, whatever comes of it.
        grant.used = true;
        if grant.expires_at <= now {
            return Err(invalid("the authorization code has expired"));
        }
        if let Some(expected) = &grant.redirect_uri {
            if params.get("redirect_uri") != Some(expected.as_str()) {
                return Err(invalid(
                    "redirect_uri is not the one of the authorization request",
                ));
            }
        }
        match (&grant.challenge, params.get("code_verifier")) {
            (Some(challenge), Some(verifier)) => {
                if !valid_verifier(verifier) || s256(verifier) != *challenge {
                    return Err(invalid(
                        "the PKCE code_verifier does not match the code_challenge",
                    ));
                }
            }
            (Some(_), None) => return Err(invalid("code_verifier is missing (PKCE)")),
            (None, Some(_)) => {
                return Err(invalid(
                    "code_verifier was sent but the authorization request had no code_challenge",
                ));
            }
            (None, None) => {}
        }
        let scope = grant.scope.clone();
        let audience = grant.audience.clone();
        let nonce = grant.nonce.clone();
        let device_id = grant.device_id.clone();
        let family = grant.family;
        let owner = self.config.owner.clone();
        let refresh =
            scope.iter().any(|s| s == "offline_access") && client.allows(GrantType::RefreshToken);
        Ok(self.issue(
            &Issue {
                client_id: &client.id,
                subject: &owner,
                person: true,
                scope: &scope,
                audience: &audience,
                device_id: device_id.as_deref(),
                nonce: nonce.as_deref(),
                family: refresh.then_some(family),
            },
            now,
        ))
    }

    fn refresh(&mut self, client: &Client, params: &Params, now: u64) -> Result<Value, Failure> {
        let token = params.require("refresh_token")?;
        let invalid = |description: &str| Failure::new("invalid_grant", description);
        let Some(grant) = self.refresh.get_mut(token) else {
            return Err(invalid(
                "the refresh token is not one this server issued, or it was revoked",
            ));
        };
        if grant.client_id != client.id {
            return Err(invalid("the refresh token was issued to another client"));
        }
        if grant.used {
            let family = grant.family;
            self.revoke_family(family);
            return Err(invalid(
                "the refresh token was already used; every token of its grant is revoked",
            ));
        }
        if grant.expires_at <= now {
            return Err(invalid("the refresh token has expired"));
        }
        let scope = match params.get("scope") {
            None => grant.scope.clone(),
            Some(_) => {
                let asked = scope_of(params);
                if let Some(extra) = asked.iter().find(|s| !grant.scope.contains(s)) {
                    return Err(Failure::new(
                        "invalid_scope",
                        format!("the scope {extra} was not granted"),
                    ));
                }
                asked
            }
        };
        grant.used = true;
        let audience = grant.audience.clone();
        let device_id = grant.device_id.clone();
        let family = grant.family;
        if let Some(asked) = [params.get("audience"), params.get("resource")]
            .into_iter()
            .flatten()
            .find(|a| !same_audience(a, &audience))
        {
            return Err(Failure::new(
                "invalid_target",
                format!("the grant is for {audience}, not {asked}"),
            ));
        }
        let owner = self.config.owner.clone();
        Ok(self.issue(
            &Issue {
                client_id: &client.id,
                subject: &owner,
                person: true,
                scope: &scope,
                audience: &audience,
                device_id: device_id.as_deref(),
                nonce: None,
                family: Some(family),
            },
            now,
        ))
    }

    fn poll_device_code(
        &mut self,
        client: &Client,
        params: &Params,
        now: u64,
    ) -> Result<Value, Failure> {
        let code = params.require("device_code")?;
        let invalid = |description: &str| Failure::new("invalid_grant", description);
        let Some(grant) = self.device_codes.get_mut(code) else {
            return Err(invalid("the device code is not one this server issued"));
        };
        if grant.client_id != client.id {
            return Err(invalid("the device code was issued to another client"));
        }
        if grant.expires_at <= now {
            return Err(Failure::new(
                "expired_token",
                "the device code has expired: start the login again",
            ));
        }
        if grant.used {
            return Err(invalid("the device code was already used"));
        }
        // Approved the moment it was shown: the rehearsal's person says yes.
        grant.used = true;
        let scope = grant.scope.clone();
        let audience = grant.audience.clone();
        let family = self.new_family();
        let owner = self.config.owner.clone();
        let refresh =
            scope.iter().any(|s| s == "offline_access") && client.allows(GrantType::RefreshToken);
        Ok(self.issue(
            &Issue {
                client_id: &client.id,
                subject: &owner,
                person: true,
                scope: &scope,
                audience: &audience,
                device_id: None,
                nonce: None,
                family: refresh.then_some(family),
            },
            now,
        ))
    }

    /// `POST /oauth/device/code` (RFC 8628 §3.1).
    pub fn device_authorization(
        &mut self,
        basic: Option<(String, String)>,
        body: &str,
        now: u64,
    ) -> Result<Value, Failure> {
        self.purge(now);
        let params = Params::parse(body)?;
        let client = self.authenticate(basic, &params)?;
        if !client.allows(GrantType::DeviceCode) {
            return Err(Failure::new(
                "unauthorized_client",
                format!("client {} may not use the device code grant", client.id),
            ));
        }
        let audience = self.audience(&params)?;
        let device_code = random_token(32);
        let user_code = user_code();
        self.device_codes.insert(
            device_code.clone(),
            DeviceGrant {
                client_id: client.id.clone(),
                user_code: user_code.clone(),
                scope: scope_of(&params),
                audience,
                expires_at: now + self.config.device_code_ttl,
                used: false,
            },
        );
        let verification_uri = self.url(VERIFICATION_PATH);
        Ok(json!({
            "device_code": device_code,
            "user_code": user_code,
            "verification_uri": verification_uri,
            "verification_uri_complete": format!("{verification_uri}?user_code={user_code}"),
            "expires_in": self.config.device_code_ttl,
            "interval": self.config.device_poll_interval,
        }))
    }

    /// `POST /oauth/revoke` (RFC 7009): a refresh token of the client is
    /// revoked with every token of its grant. Access tokens are
    /// self-contained JWTs and live until they expire; an unknown token is
    /// not an error (§2.2).
    pub fn revoke(&mut self, basic: Option<(String, String)>, body: &str) -> Result<(), Failure> {
        let params = Params::parse(body)?;
        let client = self.authenticate(basic, &params)?;
        let token = params.require("token")?;
        let family = self
            .refresh
            .get(token)
            .filter(|grant| grant.client_id == client.id)
            .map(|grant| grant.family);
        if let Some(family) = family {
            self.revoke_family(family);
        }
        Ok(())
    }

    /// The verification page a person opens for a device code.
    pub fn verification_page(&self, query: &str, now: u64) -> String {
        let asked = Params::parse(query)
            .ok()
            .and_then(|p| p.get("user_code").map(str::to_owned));
        let Some(asked) = asked else {
            return "This rehearsal's OAuth server approves every device code the moment it is shown: there is nothing to enter here.\n".into();
        };
        let known = self
            .device_codes
            .values()
            .find(|g| g.user_code.eq_ignore_ascii_case(&asked));
        match known {
            Some(grant) if grant.expires_at > now => format!(
                "Code {} is approved: go back to the program that showed it.\n",
                grant.user_code
            ),
            Some(grant) => format!("Code {} has expired.\n", grant.user_code),
            None => "There is no such code.\n".into(),
        }
    }

    /// Who the client is: HTTP Basic (RFC 6749 §2.3.1, form-encoded id and
    /// secret), else `client_id` (and `client_secret`) in the form.
    fn authenticate(
        &self,
        basic: Option<(String, String)>,
        params: &Params,
    ) -> Result<Client, Failure> {
        let form_id = params.get("client_id");
        let (id, secret) = match (basic, params.get("client_secret")) {
            (Some(_), Some(_)) => {
                return Err(Failure::new(
                    "invalid_request",
                    "the client authenticated twice (HTTP Basic and client_secret)",
                ));
            }
            (Some((id, secret)), None) => {
                if form_id.is_some_and(|f| f != id) {
                    return Err(Failure::client(
                        "client_id in the form is not the one of the Authorization header",
                    ));
                }
                (id, Some(secret))
            }
            (None, secret) => match form_id {
                Some(id) => (id.to_owned(), secret.map(str::to_owned)),
                None => return Err(Failure::client("the request names no client")),
            },
        };
        let client = self
            .config
            .client(&id)
            .ok_or_else(|| Failure::client(format!("there is no client {id:?} here")))?;
        match (&client.secret, secret) {
            (Some(expected), Some(given)) => {
                if bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
                    Ok(client.clone())
                } else {
                    Err(Failure::client(format!(
                        "the secret of client {id} is wrong"
                    )))
                }
            }
            (Some(_), None) => Err(Failure::client(format!(
                "client {id} must authenticate with its secret"
            ))),
            (None, None) => Ok(client.clone()),
            (None, Some(_)) => Err(Failure::client(format!(
                "client {id} is public and has no secret"
            ))),
        }
    }

    /// The audience asked for (`audience`, or RFC 8707's `resource`), which
    /// must be this server's; none asked: this server's.
    fn audience(&self, params: &Params) -> Result<String, Failure> {
        let ours = &self.config.audience;
        for asked in [params.get("audience"), params.get("resource")]
            .into_iter()
            .flatten()
        {
            if !same_audience(asked, ours) {
                return Err(Failure::new(
                    "invalid_target",
                    format!("this server issues tokens for {ours} only, not {asked}"),
                ));
            }
        }
        Ok(ours.clone())
    }

    fn issue(&mut self, issue: &Issue<'_>, now: u64) -> Value {
        let ttl = self.config.access_ttl;
        let scope = issue.scope.join(" ");
        let mut claims = json!({
            "iss": self.issuer,
            "sub": issue.subject,
            "aud": issue.audience,
            "iat": now,
            "exp": now + ttl,
            "jti": random_token(12),
            "client_id": issue.client_id,
        });
        if !scope.is_empty() {
            claims["scope"] = scope.clone().into();
        }
        // Every token is the rehearsal owner's, whoever asked for it.
        if self.config.owner_claim != "sub" {
            claims[self.config.owner_claim.as_str()] = self.config.owner.clone().into();
        }
        if let Some(device_id) = issue.device_id {
            claims[DEVICE_ID_CLAIM] = device_id.into();
        }
        let mut body = json!({
            "access_token": self.signer.sign("at+jwt", &claims),
            "token_type": "Bearer",
            "expires_in": ttl,
        });
        if !scope.is_empty() {
            body["scope"] = scope.into();
        }
        if let Some(family) = issue.family {
            let token = random_token(32);
            self.refresh.insert(
                token.clone(),
                RefreshGrant {
                    client_id: issue.client_id.to_owned(),
                    scope: issue.scope.to_vec(),
                    audience: issue.audience.to_owned(),
                    device_id: issue.device_id.map(str::to_owned),
                    expires_at: now + self.config.refresh_ttl,
                    used: false,
                    family,
                },
            );
            body["refresh_token"] = token.into();
        }
        if issue.person && issue.scope.iter().any(|s| s == "openid") {
            let mut id = json!({
                "iss": self.issuer,
                "sub": issue.subject,
                "aud": issue.client_id,
                "iat": now,
                "exp": now + ttl,
            });
            if let Some(nonce) = issue.nonce {
                id["nonce"] = nonce.into();
            }
            body["id_token"] = self.signer.sign("JWT", &id).into();
        }
        body
    }

    fn new_family(&mut self) -> u64 {
        self.families += 1;
        self.families
    }

    /// Revokes every refresh token of a grant (its codes are spent already).
    fn revoke_family(&mut self, family: u64) {
        self.refresh.retain(|_, grant| grant.family != family);
    }

    fn purge(&mut self, now: u64) {
        let keep = |expires_at: u64| expires_at + KEEP_AFTER_EXPIRY > now;
        self.codes.retain(|_, g| keep(g.expires_at));
        self.device_codes.retain(|_, g| keep(g.expires_at));
        self.refresh.retain(|_, g| keep(g.expires_at));
    }
}

fn same_audience(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

fn scope_of(params: &Params) -> Vec<String> {
    let mut scope: Vec<String> = Vec::new();
    for s in params.get("scope").unwrap_or_default().split_whitespace() {
        if !scope.iter().any(|x| x == s) {
            scope.push(s.to_owned());
        }
    }
    scope
}

/// `uri` with these query parameters added (those with a value).
fn with_query(uri: &url::Url, pairs: &[(&str, Option<&str>)]) -> String {
    let mut uri = uri.clone();
    {
        let mut query = uri.query_pairs_mut();
        for (key, value) in pairs {
            if let Some(value) = value {
                query.append_pair(key, value);
            }
        }
    }
    uri.to_string()
}

/// RFC 7636 §4.1: 43 to 128 unreserved characters.
fn valid_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// BASE64URL(SHA256(verifier)), RFC 7636 §4.2.
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Eight letters a person can read aloud, `BCDF-GHJK` (RFC 8628 §6.1).
fn user_code() -> String {
    const LETTERS: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    let letters: String = bytes
        .iter()
        .map(|b| LETTERS[usize::from(*b) % LETTERS.len()] as char)
        .collect();
    format!("{}-{}", &letters[..4], &letters[4..])
}
