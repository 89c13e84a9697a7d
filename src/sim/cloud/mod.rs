//! `ocf-devsim cloud`: a simulated OCF cloud (ISO/IEC 30118-12 as plgd's
//! hub serves it) for tests and rehearsals, as a library type a program
//! starts in-process: [`Cloud::start`] binds its CoAP gateway (CoAP over TCP
//! and TLS) and its HTTP side, and returns a [`CloudHandle`] whose events
//! are a stream.
//!
//! - `service`: the resources (account, session, token refresh, `/oic/rd`);
//! - `tokens`: the cloud's own access and refresh tokens;
//! - `authority`: the OAuth server it trusts (`--issuer`);
//! - `ca`: its CA, server certificate and identity certificates;
//! - `hub_http`: `/.well-known/hub-configuration` and CSR signing;
//! - `misbehave`: sign-up answers of a broken cloud, for rehearsals.

pub mod authority;
pub mod ca;
pub mod hub_http;
pub mod misbehave;
pub mod service;
pub mod tokens;

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use uuid::Uuid;

use crate::coap::server::Reply;
use crate::coap::tcp::{IncomingRequest, TcpConfig};
use crate::net::coap_tcp::{PeerInfo, RequestHandler, serve};
use crate::net::tls::{ClientCertPolicy, server_config};
use crate::sim::cloud_link::uuid_of;
use crate::sim::jwt::JwtSigner;
use authority::{Authority, CodeClient};
use ca::CloudCa;
use hub_http::HubDocument;
pub use service::CloudEvent;
use service::{ConnectionState, Outcome, Service, ServiceConfig};
use tokens::Minter;

/// How to run a cloud.
#[derive(Clone, Debug)]
pub struct CloudConfig {
    /// The CoAP gateway's address (`cis`).
    pub listen: SocketAddr,
    /// The HTTP side's address (hub configuration, CA).
    pub http_listen: SocketAddr,
    /// TLS on the gateway (`coaps+tcp`); off: plain `coap+tcp`.
    pub tls: bool,
    /// The cloud's id; made up when not given (or kept in `state_dir`).
    pub sid: Option<Uuid>,
    /// Keeps the sid, the CA and the token key across restarts, and lets a
    /// second instance (a redirect target) share them.
    pub state_dir: Option<PathBuf>,
    /// Ask devices for a certificate from this cloud's CA, refuse those
    /// without one, and bind each to its `uuid:<di>`.
    pub require_client_cert: bool,
    /// Ask devices for a certificate from this cloud's CA, check and bind
    /// one that is shown, and let those without one in too (a plgd hub
    /// with `clientCertificateRequired: false`).
    pub optional_client_cert: bool,
    /// Send our CSM first on every connection.
    pub send_csm: bool,
    /// Accepted `authprovider` names; the first goes in the hub
    /// configuration's `providerName`.
    pub authproviders: Vec<String>,
    /// `expiresin` of the access tokens issued to devices (−1: permanent).
    pub expires_in: i64,
    /// `redirecturi` for sign-up answers.
    pub redirect_to: Option<String>,
    /// The OAuth server whose tokens and codes devices sign up with.
    pub issuer: Option<String>,
    /// The audience its access tokens must name.
    pub audience: Option<String>,
    /// The claim naming a token's owner (plgd's `jwtOwnerClaim`).
    pub owner_claim: String,
    /// The client that exchanges one-time codes, and its secret.
    pub code_client: Option<CodeClient>,
    /// `authority` of the hub configuration when there is no issuer (the
    /// simulator's own OAuth server).
    pub authority: Option<String>,
    /// Client ids named in the hub configuration.
    pub device_client_id: String,
    pub device_scopes: Vec<String>,
    pub device_grant: String,
    pub m2m_client_id: String,
    pub web_client_id: String,
    /// For rehearsals only: the server certificate's CN is this instead of
    /// `uuid:<sid>`, as a wrong or impostor cloud's would be; devices must
    /// refuse it.
    pub misbehave_cn: Option<String>,
    /// For rehearsals only: sign-ups are answered this way instead.
    pub misbehave_signup: Option<misbehave::SignUpMisbehaviour>,
}

impl Default for CloudConfig {
    fn default() -> Self {
        CloudConfig {
            listen: ([127, 0, 0, 1], 0).into(),
            http_listen: ([127, 0, 0, 1], 0).into(),
            tls: true,
            sid: None,
            state_dir: None,
            require_client_cert: false,
            optional_client_cert: false,
            send_csm: false,
            authproviders: vec!["plgd".into()],
            expires_in: 3600,
            redirect_to: None,
            issuer: None,
            audience: None,
            owner_claim: "sub".into(),
            code_client: None,
            authority: None,
            device_client_id: "device".into(),
            device_scopes: vec!["openid".into(), "offline_access".into()],
            device_grant: "authorizationCode".into(),
            m2m_client_id: "m2m".into(),
            web_client_id: "web".into(),
            misbehave_cn: None,
            misbehave_signup: None,
        }
    }
}

/// Why a cloud could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum CloudError {
    /// A socket could not be bound.
    Bind {
        addr: SocketAddr,
        error: std::io::Error,
    },
    /// The state directory could not be read or written.
    State { path: PathBuf, reason: String },
    /// The certificates could not be made.
    Certificates(String),
    /// The issuer's discovery document or keys could not be read.
    Issuer(authority::AuthorityError),
}

impl fmt::Display for CloudError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bind { addr, error } => write!(f, "cannot listen on {addr}: {error}"),
            Self::State { path, reason } => write!(f, "{}: {reason}", path.display()),
            Self::Certificates(reason) => {
                write!(f, "cannot make the cloud's certificates: {reason}")
            }
            Self::Issuer(e) => write!(f, "the issuer is unusable: {e}"),
        }
    }
}

impl std::error::Error for CloudError {}

/// What a started cloud tells (the `--json` startup line).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct StartupInfo {
    pub sid: Uuid,
    /// `coaps+tcp://ADDR:PORT` (or `coap+tcp://` without TLS).
    pub cis: String,
    pub hub_configuration_url: String,
    /// The CA certificate (PEM), the devices' trust anchor.
    pub ca_file: PathBuf,
}

/// A running cloud; it stops when dropped.
pub struct CloudHandle {
    pub info: StartupInfo,
    /// The CA, for signing device certificates in-process.
    pub ca: Arc<CloudCa>,
    events: mpsc::UnboundedReceiver<CloudEvent>,
    stop: watch::Sender<bool>,
    gateway: Arc<Gateway>,
    /// The directory made for `ca_file` without a state directory, removed
    /// when the cloud stops.
    scratch: Option<PathBuf>,
}

impl CloudHandle {
    /// The devices signed in now: device id, user id, peer address.
    pub fn signed_in(&self) -> Vec<(Uuid, String, SocketAddr)> {
        self.gateway
            .service
            .lock()
            .map(|s| s.signed_in())
            .unwrap_or_default()
    }

    /// The next event; `None` once the cloud stopped.
    pub async fn next_event(&mut self) -> Option<CloudEvent> {
        self.events.recv().await
    }

    /// An event already there, without waiting.
    pub fn try_event(&mut self) -> Option<CloudEvent> {
        self.events.try_recv().ok()
    }

    /// The CA certificate as PEM.
    pub fn ca_pem(&self) -> &str {
        &self.ca.cert_pem
    }

    /// Stops accepting connections.
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }
}

impl Drop for CloudHandle {
    fn drop(&mut self) {
        self.stop();
        if let Some(dir) = &self.scratch {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// What the state directory keeps.
#[derive(Serialize, Deserialize)]
struct Saved {
    sid: Uuid,
    ca_cert_pem: String,
    ca_key_pem: String,
    token_key_hex: String,
}

/// The simulated cloud.
pub struct Cloud;

impl Cloud {
    /// Binds the gateway and the HTTP side and starts serving on the
    /// current tokio runtime.
    pub async fn start(config: CloudConfig) -> Result<CloudHandle, CloudError> {
        let (sid, ca, signer) = identity(&config)?;
        let ca = Arc::new(ca);
        let cn = config
            .misbehave_cn
            .clone()
            .unwrap_or_else(|| format!("uuid:{sid}"));
        let leaf = ca
            .leaf(&cn)
            .map_err(|e| CloudError::Certificates(e.to_string()))?;
        // Without --require-client-cert or --optional-client-cert no
        // certificate is asked for: a device with a manufacturer
        // certificate from another CA would fail a verification it did not
        // need.
        let policy = if config.require_client_cert {
            ClientCertPolicy::Required(vec![ca.cert_der.clone()])
        } else if config.optional_client_cert {
            ClientCertPolicy::Optional(vec![ca.cert_der.clone()])
        } else {
            ClientCertPolicy::None
        };
        let tls = if config.tls {
            Some(
                server_config(&leaf.chain, &leaf.key_pkcs8, &policy)
                    .map_err(|e| CloudError::Certificates(e.to_string()))?,
            )
        } else {
            None
        };
        let authority = match &config.issuer {
            Some(issuer) => Some(Arc::new(
                Authority::discover(
                    issuer,
                    config.audience.clone(),
                    config.owner_claim.clone(),
                    config.code_client.clone(),
                )
                .await
                .map_err(CloudError::Issuer)?,
            )),
            None => None,
        };
        let gateway = TcpListener::bind(config.listen)
            .await
            .map_err(|error| CloudError::Bind {
                addr: config.listen,
                error,
            })?;
        let http = TcpListener::bind(config.http_listen)
            .await
            .map_err(|error| CloudError::Bind {
                addr: config.http_listen,
                error,
            })?;
        let gateway_addr = gateway.local_addr().map_err(|error| CloudError::Bind {
            addr: config.listen,
            error,
        })?;
        let http_addr = http.local_addr().map_err(|error| CloudError::Bind {
            addr: config.http_listen,
            error,
        })?;
        let scheme = if config.tls { "coaps+tcp" } else { "coap+tcp" };
        let cis = format!("{scheme}://{gateway_addr}");
        let ca_file = write_ca_file(&config, sid, gateway_addr.port(), &ca.cert_pem)?;
        let scratch = config
            .state_dir
            .is_none()
            .then(|| ca_file.parent().map(PathBuf::from))
            .flatten();
        let (events_tx, events) = mpsc::unbounded_channel();
        let (stop, stopped) = watch::channel(false);
        let document = HubDocument {
            id: sid.to_string(),
            coap_gateway: cis.clone(),
            ca_pem: ca.cert_pem.clone(),
            authority: config
                .issuer
                .clone()
                .or(config.authority.clone())
                .unwrap_or_else(|| hub_http::base_url(http_addr)),
            owner_claim: config.owner_claim.clone(),
            device_client_id: config.device_client_id.clone(),
            audience: config.audience.clone(),
            device_scopes: config.device_scopes.clone(),
            provider_name: config.authproviders.first().cloned().unwrap_or_default(),
            device_grant: config.device_grant.clone(),
            m2m_client_id: config.m2m_client_id.clone(),
            web_client_id: config.web_client_id.clone(),
        };
        let handler = Arc::new(Gateway {
            service: Mutex::new(Service::new(
                ServiceConfig {
                    authproviders: config.authproviders.clone(),
                    expires_in: config.expires_in,
                    redirect_to: config.redirect_to.clone(),
                },
                Minter::new(signer, sid),
            )),
            authority: authority.clone(),
            events: events_tx.clone(),
            misbehave_signup: config.misbehave_signup,
        });
        let tcp_config = TcpConfig {
            send_csm: config.send_csm,
            ..TcpConfig::default()
        };
        tokio::spawn(serve(
            gateway,
            tls,
            tcp_config,
            handler.clone(),
            until_stopped(stopped.clone()),
        ));
        tokio::spawn(hub_http::serve(
            http,
            document,
            ca.clone(),
            authority,
            Some(events_tx),
            until_stopped(stopped),
        ));
        Ok(CloudHandle {
            info: StartupInfo {
                sid,
                cis,
                hub_configuration_url: format!(
                    "{}/.well-known/hub-configuration",
                    hub_http::base_url(http_addr)
                ),
                ca_file,
            },
            ca,
            events,
            stop,
            gateway: handler,
            scratch,
        })
    }
}

async fn until_stopped(mut stopped: watch::Receiver<bool>) {
    while !*stopped.borrow() {
        if stopped.changed().await.is_err() {
            return;
        }
    }
}

/// The sid, CA and token key: from the state directory, or new (and saved
/// there when there is one).
fn identity(config: &CloudConfig) -> Result<(Uuid, CloudCa, JwtSigner), CloudError> {
    let certificates = |e: ca::CaError| CloudError::Certificates(e.to_string());
    let path = config.state_dir.as_ref().map(|d| d.join("cloud.json"));
    if let Some(path) = &path {
        if let Ok(bytes) = std::fs::read(path) {
            let state_error = |reason: String| CloudError::State {
                path: path.clone(),
                reason,
            };
            let saved: Saved = serde_json::from_slice(&bytes)
                .map_err(|e| state_error(format!("not a cloud state file: {e}")))?;
            if config.sid.is_some_and(|sid| sid != saved.sid) {
                return Err(state_error(format!(
                    "it belongs to cloud {}, not the --sid given",
                    saved.sid
                )));
            }
            let ca = CloudCa::load(&ca_name(saved.sid), &saved.ca_cert_pem, &saved.ca_key_pem)
                .map_err(certificates)?;
            let key = crate::sim::security::unhex(&saved.token_key_hex)
                .and_then(|k| JwtSigner::from_secret_bytes(&k, "cloud"))
                .ok_or_else(|| state_error("the token key is unreadable".into()))?;
            return Ok((saved.sid, ca, key));
        }
    }
    let sid = config.sid.unwrap_or_else(Uuid::new_v4);
    let ca = CloudCa::generate(&ca_name(sid)).map_err(certificates)?;
    let signer = JwtSigner::generate("cloud");
    if let (Some(path), Some(dir)) = (&path, &config.state_dir) {
        let saved = Saved {
            sid,
            ca_cert_pem: ca.cert_pem.clone(),
            ca_key_pem: ca.key_pem(),
            token_key_hex: crate::sim::security::hex(&signer.secret_bytes()),
        };
        let json = serde_json::to_vec_pretty(&saved).map_err(|e| CloudError::State {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        write_private(dir, path, &json).map_err(|e| CloudError::State {
            path: path.clone(),
            reason: e.to_string(),
        })?;
    }
    Ok((sid, ca, signer))
}

fn ca_name(sid: Uuid) -> String {
    format!("ocf-devsim cloud CA {sid}")
}

/// Writes a file only its owner can read (it holds keys).
fn write_private(
    dir: &std::path::Path,
    path: &std::path::Path,
    bytes: &[u8],
) -> std::io::Result<()> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let tmp = path.with_extension("json.tmp");
    options.open(&tmp)?.write_all(bytes)?;
    std::fs::rename(&tmp, path)
}

/// The CA certificate as a file the devices' owner can provision.
fn write_ca_file(
    config: &CloudConfig,
    sid: Uuid,
    port: u16,
    pem: &str,
) -> Result<PathBuf, CloudError> {
    let dir = config
        .state_dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("ocf-devsim-cloud-{sid}-{port}")));
    let path = dir.join("ca.pem");
    std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&path, pem))
        .map_err(|e| CloudError::State {
            path: path.clone(),
            reason: e.to_string(),
        })?;
    Ok(path)
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The gateway: the service behind a lock, the authority, the event stream.
struct Gateway {
    service: Mutex<Service>,
    authority: Option<Arc<Authority>>,
    events: mpsc::UnboundedSender<CloudEvent>,
    misbehave_signup: Option<misbehave::SignUpMisbehaviour>,
}

impl Gateway {
    fn report(&self, event: CloudEvent) {
        let _ = self.events.send(event);
    }
}

impl RequestHandler for Gateway {
    type Session = ConnectionState;

    fn open(&self, peer: &PeerInfo) -> ConnectionState {
        ConnectionState {
            peer: peer.addr,
            certificate_di: peer.certificates.first().and_then(|c| uuid_of(c)),
            signed_in: None,
        }
    }

    async fn handle(&self, session: &mut ConnectionState, request: &IncomingRequest) -> Reply {
        let now = unix_now();
        if let Some(mode) = self.misbehave_signup {
            if request.code() == crate::coap::Code::POST && request.path() == "/oic/sec/account" {
                self.report(service::connection_event(
                    "signup-misbehaved",
                    session.peer,
                    None,
                    format!("sign-up answered as --misbehave-signup {}", mode.name()),
                    now,
                ));
                match misbehave::sign_up_reply(mode) {
                    Some(reply) => return reply,
                    // Silent: the answer never comes (the device gives up).
                    None => std::future::pending::<()>().await,
                }
            }
        }
        let outcome = match self.service.lock() {
            Ok(mut service) => service.handle(session, request, now),
            Err(_) => return Reply::new(crate::coap::Code::INTERNAL_SERVER_ERROR),
        };
        let sign_up = match outcome {
            Outcome::Reply(reply, event) => {
                self.report(event);
                return reply;
            }
            Outcome::Authorize(sign_up) => sign_up,
        };
        let (verdict, one_time) = match &self.authority {
            Some(authority) => match authority.authorize(&sign_up.accesstoken, now).await {
                Ok(owner) => (Ok(owner.uid), owner.one_time),
                // A refused code is spent as well: it is never tried again.
                Err(reason) => (Err(reason), true),
            },
            // A rehearsal without an OAuth server: any token or code, once.
            None => (Ok("rehearsal".to_owned()), true),
        };
        let (reply, event) = match self.service.lock() {
            Ok(mut service) => {
                service.finish_sign_up(session, sign_up, verdict, one_time, unix_now())
            }
            Err(_) => return Reply::new(crate::coap::Code::INTERNAL_SERVER_ERROR),
        };
        self.report(event);
        reply
    }

    fn closed(&self, session: ConnectionState) {
        if let Ok(mut service) = self.service.lock() {
            service.connection_closed(&session);
        }
    }

    fn handshake_failed(&self, peer: SocketAddr, reason: String) {
        self.report(service::connection_event(
            "refused",
            peer,
            None,
            format!("TLS handshake: {reason}"),
            unix_now(),
        ));
    }
}
