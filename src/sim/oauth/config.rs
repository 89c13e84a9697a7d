//! Who may ask the simulator's OAuth server for what: its clients (public or
//! with a secret, their grants, their redirect URIs), the one audience it
//! issues tokens for, and how long each thing lives.

use std::fmt;
use std::net::SocketAddr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A grant type a client may use at the token endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
    /// RFC 8628's `urn:ietf:params:oauth:grant-type:device_code`.
    DeviceCode,
}

impl GrantType {
    /// The `grant_type` value.
    pub fn name(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::RefreshToken => "refresh_token",
            GrantType::ClientCredentials => "client_credentials",
            GrantType::DeviceCode => "urn:ietf:params:oauth:grant-type:device_code",
        }
    }

    pub fn from_name(name: &str) -> Option<GrantType> {
        [
            GrantType::AuthorizationCode,
            GrantType::RefreshToken,
            GrantType::ClientCredentials,
            GrantType::DeviceCode,
        ]
        .into_iter()
        .find(|g| g.name() == name)
    }
}

/// Where a client's authorization answers may be sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RedirectRule {
    /// `http://` to 127.0.0.1, `[::1]` or `localhost`, any port and path:
    /// a native application's loopback redirect (RFC 8252 §7.3), which
    /// picks its port when it starts.
    Loopback,
    /// Exactly this URI.
    Exact(String),
}

impl RedirectRule {
    fn allows(&self, uri: &url::Url) -> bool {
        match self {
            RedirectRule::Loopback => {
                uri.scheme() == "http"
                    && uri.fragment().is_none()
                    && match uri.host() {
                        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                        Some(url::Host::Domain(name)) => name == "localhost",
                        None => false,
                    }
            }
            RedirectRule::Exact(exact) => uri.as_str() == exact,
        }
    }
}

/// One OAuth client of the server.
#[derive(Clone)]
pub struct Client {
    pub id: String,
    /// `None`: a public client (no secret; PKCE required for codes).
    pub secret: Option<String>,
    pub grants: Vec<GrantType>,
    pub redirects: Vec<RedirectRule>,
}

impl fmt::Debug for Client {
    // Never print the secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("id", &self.id)
            .field("confidential", &self.secret.is_some())
            .field("grants", &self.grants)
            .field("redirects", &self.redirects)
            .finish()
    }
}

impl Client {
    pub fn allows(&self, grant: GrantType) -> bool {
        self.grants.contains(&grant)
    }

    /// Whether `uri` is one of this client's redirect URIs.
    pub fn allows_redirect(&self, uri: &url::Url) -> bool {
        self.redirects.iter().any(|r| r.allows(uri))
    }

    pub fn is_public(&self) -> bool {
        self.secret.is_none()
    }
}

/// How to run the OAuth server.
#[derive(Clone, Debug)]
pub struct OAuthConfig {
    /// Where it listens (HTTP; the issuer is `http://ADDR:PORT`).
    pub listen: SocketAddr,
    /// The audience of every access token (`aud`): the cloud that takes
    /// them. Requests naming another (`audience` or `resource`) are refused.
    pub audience: String,
    /// The one person of the rehearsal: `sub` of the tokens people get, and
    /// the owner of every token.
    pub owner: String,
    /// The claim that names the owner (plgd's `jwtOwnerClaim`), besides `sub`.
    pub owner_claim: String,
    pub clients: Vec<Client>,
    /// Seconds an access token lives.
    pub access_ttl: u64,
    /// Seconds a refresh token lives (each use gives a new one).
    pub refresh_ttl: u64,
    /// Seconds an authorization code lives (it is good for one exchange).
    pub code_ttl: u64,
    /// Seconds a device code lives.
    pub device_code_ttl: u64,
    /// Seconds a device should wait between polls.
    pub device_poll_interval: u64,
}

/// The client ids [`OAuthConfig::rehearsal`] makes, as plgd's hub
/// configuration names them.
pub const WEB_CLIENT: &str = "web";
pub const M2M_CLIENT: &str = "m2m";
pub const DEVICE_CLIENT: &str = "device";

impl OAuthConfig {
    /// A rehearsal's server on `listen`: a public client for people
    /// (`web`: authorization code with PKCE, device code, refresh tokens;
    /// loopback redirects), a machine-to-machine client for factory lines
    /// (`m2m`: client credentials), and the hub's device client (`device`:
    /// authorization codes without PKCE, exchanged by the cloud with its
    /// secret; refresh tokens), the last two with secrets made now.
    pub fn rehearsal(listen: SocketAddr, audience: &str) -> OAuthConfig {
        OAuthConfig {
            listen,
            audience: audience.to_owned(),
            owner: "rehearsal-user".into(),
            owner_claim: "https://plgd.dev/owner".into(),
            clients: vec![
                Client {
                    id: WEB_CLIENT.into(),
                    secret: None,
                    grants: vec![
                        GrantType::AuthorizationCode,
                        GrantType::DeviceCode,
                        GrantType::RefreshToken,
                    ],
                    redirects: vec![RedirectRule::Loopback],
                },
                Client {
                    id: M2M_CLIENT.into(),
                    secret: Some(random_token(24)),
                    grants: vec![GrantType::ClientCredentials],
                    redirects: Vec::new(),
                },
                Client {
                    id: DEVICE_CLIENT.into(),
                    secret: Some(random_token(24)),
                    grants: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
                    redirects: vec![RedirectRule::Loopback],
                },
            ],
            access_ttl: 3600,
            refresh_ttl: 86_400,
            code_ttl: 60,
            device_code_ttl: 600,
            device_poll_interval: 1,
        }
    }

    pub fn client(&self, id: &str) -> Option<&Client> {
        self.clients.iter().find(|c| c.id == id)
    }

    /// A client's secret (for the lab to hand to whoever needs it).
    pub fn secret_of(&self, id: &str) -> Option<&str> {
        self.client(id).and_then(|c| c.secret.as_deref())
    }
}

/// `bytes` random bytes as base64url: codes, tokens, secrets.
pub fn random_token(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).expect("the operating system's random source failed");
    URL_SAFE_NO_PAD.encode(buffer)
}
