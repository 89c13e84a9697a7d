//! The simulator's own OAuth 2.0 / OpenID Connect server, for rehearsals
//! (`ocf-devsim lab`): a person who always says yes, so that every flow the
//! mediator has runs without anyone at a browser.
//!
//! - discovery (`/.well-known/openid-configuration`) and its JWKS;
//! - `/authorize`: authorization codes, approved at once, sent to the
//!   client's redirect URI (or answered as JSON without one, as plgd's mock
//!   server does), PKCE S256 required of public clients;
//! - `/oauth/token`: client credentials, authorization code, refresh token
//!   (rotated at each use; a reused one revokes its grant) and device code;
//! - `/oauth/device/code` (RFC 8628), approved the moment it is asked for;
//! - `/oauth/revoke` (RFC 7009).
//!
//! Access tokens are ES256 JWTs (RFC 9068) signed with a key made at start,
//! naming the audience and the owner (`owner_claim`), so `ocf-devsim
//! cloud --issuer` checks them as it checks any OAuth server's, and
//! exchanges the hub device client's one-time codes here.
//!
//! - `config`: clients, audience, lifetimes;
//! - `issuer`: the rules, sans-IO (parameters and the time in, answers out);
//! - `http`: hyper, moving bytes.

pub mod config;
pub mod http;
pub mod issuer;

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::TcpListener;
use tokio::sync::watch;

pub use config::{
    Client, DEVICE_CLIENT, GrantType, M2M_CLIENT, OAuthConfig, RedirectRule, WEB_CLIENT,
};
pub use issuer::{AuthorizeAnswer, Failure, Issuer};

/// Why the OAuth server could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum OAuthServerError {
    /// Its socket could not be bound.
    Bind {
        addr: SocketAddr,
        error: std::io::Error,
    },
}

impl fmt::Display for OAuthServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bind { addr, error } => {
                write!(f, "the OAuth server cannot listen on {addr}: {error}")
            }
        }
    }
}

impl std::error::Error for OAuthServerError {}

/// A running OAuth server; it stops when dropped.
pub struct OAuthHandle {
    /// `http://ADDR:PORT`, the issuer URL.
    pub issuer: String,
    /// Its clients (with their secrets: the rehearsal's own).
    pub config: OAuthConfig,
    stop: watch::Sender<bool>,
}

impl OAuthHandle {
    /// The secret of a confidential client.
    pub fn secret_of(&self, client: &str) -> Option<&str> {
        self.config.secret_of(client)
    }

    /// Stops accepting connections.
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }
}

impl Drop for OAuthHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

impl fmt::Debug for OAuthHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthHandle")
            .field("issuer", &self.issuer)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The server.
pub struct OAuthServer;

impl OAuthServer {
    /// Binds and starts serving on the current tokio runtime.
    pub async fn start(config: OAuthConfig) -> Result<OAuthHandle, OAuthServerError> {
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|error| OAuthServerError::Bind {
                    addr: config.listen,
                    error,
                })?;
        let addr = listener
            .local_addr()
            .map_err(|error| OAuthServerError::Bind {
                addr: config.listen,
                error,
            })?;
        let issuer_url = format!("http://{addr}");
        let issuer = Arc::new(Mutex::new(Issuer::new(&issuer_url, config.clone())));
        let (stop, mut stopped) = watch::channel(false);
        tokio::spawn(http::serve(listener, issuer, async move {
            while !*stopped.borrow() {
                if stopped.changed().await.is_err() {
                    return;
                }
            }
        }));
        Ok(OAuthHandle {
            issuer: issuer_url,
            config,
            stop,
        })
    }
}
