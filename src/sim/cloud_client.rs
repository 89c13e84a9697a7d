//! The simulated device's cloud client, as a sans-IO state machine: what an
//! iotivity-lite device does with its `oic.r.coapcloudconf` once it is in
//! RFNOP (FACTS §1.1–1.2, §1.5; tests/vectors/cloud).
//!
//! Connect to `cis` (the driver brings TLS with the provisioned trust
//! anchor and the check of CN `uuid:<sid>`), then sign-up → sign-in →
//! publish, a Ping every 20 s, a token refresh before the access token
//! expires (checked when a Pong comes, as the reference device does) and a
//! new sign-in with the new token, reconnection with backoff, a
//! `redirecturi` followed, and `{"cis": ""}` answered with the sign-off
//! DELETE. No CSM is sent, as the reference device sends none. `cps` and
//! `clec` move as FACTS §1.2 says: registering → registered, or failed with
//! 1 (error response), 2 (connect failed), 3 (token refresh failed) or 4
//! (unauthorized).
//!
//! The frames are the reference device's: the same options in the same
//! order, CBOR with indefinite-length maps and arrays, the same property
//! order, 8-byte tokens.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ciborium::Value as Cbor;
use uuid::Uuid;

use super::resources;
use super::state::{DeviceState, dos};
use super::wire_cbor::encode_indefinite;
use crate::coap::option::{OCF_VERSION_1_0, content_format};
use crate::coap::tcp::{Connection, Event, TcpConfig};
use crate::coap::{Code, OptionNumber, Request, RequestId, Response};
use crate::ocf::representation::decode_cbor;

/// Timing of the client.
#[derive(Clone, Debug)]
pub struct CloudClientConfig {
    /// Keepalive: a Ping this long after the last one was answered.
    pub ping_interval: Duration,
    /// Waits between connection attempts (the last one repeats).
    pub backoff: Vec<Duration>,
    /// Connection attempts that fail before `cps` says failed.
    pub attempts_before_failed: u32,
}

impl Default for CloudClientConfig {
    fn default() -> Self {
        CloudClientConfig {
            ping_interval: Duration::from_secs(20),
            backoff: [1, 2, 4, 8, 16, 32, 60]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
            attempts_before_failed: 3,
        }
    }
}

/// What the driver must do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Open a connection to `addr`, with TLS (trust anchors and CN
    /// `uuid:<sid>` from the device) unless the scheme is `coap+tcp`.
    Connect {
        addr: SocketAddr,
        tls: bool,
        sid: String,
    },
    /// Write these bytes on the connection.
    Send(Vec<u8>),
    /// Close the connection.
    Disconnect,
}

/// How a connection attempt or connection ended, as the driver saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkFailure {
    /// TCP connect failed or timed out.
    Connect(String),
    /// The TLS handshake failed (certificate refused either way).
    Tls(String),
    /// The connection broke or the peer closed it.
    Lost(String),
}

/// Last error codes (FACTS §1.2).
pub mod clec {
    pub const OK: u64 = 0;
    pub const ERROR_RESPONSE: u64 = 1;
    pub const CONNECT: u64 = 2;
    pub const REFRESH: u64 = 3;
    pub const UNAUTHORIZED: u64 = 4;
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Phase {
    /// Nothing to do (no configuration, or not in RFNOP).
    Idle,
    /// Waiting to connect again.
    Waiting {
        at: Instant,
    },
    Connecting,
    SigningUp,
    SigningIn,
    Publishing,
    /// Signed in; pings go out.
    Online,
    Refreshing,
    SigningOff,
    /// A final failure: waits for a new configuration.
    Failed,
}

#[derive(Clone)]
struct Tokens {
    uid: String,
    access: String,
    refresh: String,
    /// `None`: permanent.
    expires_at: Option<Instant>,
    refresh_at: Option<Instant>,
}

/// The configuration registration started from.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Target {
    cis: String,
    sid: String,
    apn: String,
    /// The device id registered (a hard reset changes the device's).
    di: Uuid,
}

/// The client of one device.
pub struct CloudClient {
    config: CloudClientConfig,
    phase: Phase,
    target: Option<Target>,
    connection: Option<Connection>,
    pending: Option<RequestId>,
    ping: Option<RequestId>,
    next_ping: Option<Instant>,
    tokens: Option<Tokens>,
    registered: bool,
    published: bool,
    attempts: u32,
    seed: u64,
    actions: VecDeque<Action>,
    log: VecDeque<String>,
}

impl CloudClient {
    pub fn new(config: CloudClientConfig, seed: u64) -> Self {
        CloudClient {
            config,
            phase: Phase::Idle,
            target: None,
            connection: None,
            pending: None,
            ping: None,
            next_ping: None,
            tokens: None,
            registered: false,
            published: false,
            attempts: 0,
            seed,
            actions: VecDeque::new(),
            log: VecDeque::new(),
        }
    }

    /// What to do next on the connection.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// A line for the device's log (stderr): what failed and why.
    pub fn poll_log(&mut self) -> Option<String> {
        self.log.pop_front()
    }

    /// Whether the device is signed in.
    pub fn is_online(&self) -> bool {
        self.phase == Phase::Online
    }

    /// Looks at the device's state after anything changed it: starts
    /// registering a new configuration in RFNOP, signs off when the
    /// configuration was cleared, stops when the device left RFNOP.
    pub fn sync(&mut self, now: Instant, state: &mut DeviceState) {
        let cloud = &state.security.cloud;
        let configured = !cloud.cis.is_empty();
        let target = Target {
            cis: cloud.cis.clone(),
            sid: cloud.sid.clone(),
            apn: cloud.apn.clone(),
            di: state.di,
        };
        if !configured || state.pstat.s != dos::RFNOP {
            if self.phase == Phase::Idle || self.phase == Phase::SigningOff {
                return;
            }
            if !configured && self.registered && self.connection.is_some() {
                self.sign_off(now);
                self.pump(now, state);
                return;
            }
            self.stop();
            return;
        }
        if cloud.cps == "readytoregister" {
            // A new configuration: start over with it.
            self.stop();
            self.target = Some(target);
            self.tokens = None;
            self.registered = false;
            self.published = false;
            self.attempts = 0;
            state.security.cloud.cps = "registering".into();
            state.security.cloud.clec = clec::OK;
            self.connect(state);
        } else if self.phase == Phase::Idle && cloud.cps == "registering" {
            // A restarted device: register again.
            self.target = Some(target);
            self.connect(state);
        }
    }

    /// When [`CloudClient::handle_timeout`] has work.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let waiting = match self.phase {
            Phase::Waiting { at } => Some(at),
            _ => None,
        };
        let refresh = self
            .tokens
            .as_ref()
            .filter(|_| self.phase == Phase::Online)
            .and_then(|t| t.refresh_at)
            .map(|at| at + Duration::from_secs(1));
        [
            waiting,
            self.next_ping.filter(|_| self.phase == Phase::Online),
            refresh,
            self.connection.as_ref().and_then(Connection::poll_timeout),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    pub fn handle_timeout(&mut self, now: Instant, state: &mut DeviceState) {
        if let Some(connection) = &mut self.connection {
            connection.handle_timeout(now);
        }
        match self.phase {
            Phase::Waiting { at } if at <= now => self.connect(state),
            Phase::Online => {
                if self.next_ping.is_some_and(|at| at <= now) && self.ping.is_none() {
                    self.next_ping = None;
                    if let Some(connection) = &mut self.connection {
                        self.ping = Some(connection.ping(now));
                    }
                }
                // Without Pongs (pings unanswered), refresh on time anyway.
                let late = self
                    .tokens
                    .as_ref()
                    .and_then(|t| t.refresh_at)
                    .is_some_and(|at| at + Duration::from_secs(1) <= now);
                if late {
                    self.refresh(now, state);
                }
            }
            _ => {}
        }
        self.pump(now, state);
    }

    /// The connection is up.
    pub fn handle_connected(&mut self, now: Instant, state: &mut DeviceState) {
        if self.phase != Phase::Connecting {
            return;
        }
        self.seed = self.seed.wrapping_mul(6364136223846793005).wrapping_add(1);
        // Our CSM stays off: the reference device sends none.
        self.connection = Some(Connection::new(TcpConfig::default(), self.seed));
        if self.registered {
            self.sign_in(now, state);
        } else {
            self.sign_up(now, state);
        }
        self.pump(now, state);
    }

    /// Bytes from the connection.
    pub fn handle_bytes(&mut self, now: Instant, bytes: &[u8], state: &mut DeviceState) {
        if let Some(connection) = &mut self.connection {
            connection.handle_bytes(now, bytes);
        }
        self.pump(now, state);
    }

    /// The connection attempt failed, or the connection ended.
    pub fn handle_failure(&mut self, now: Instant, failure: LinkFailure, state: &mut DeviceState) {
        self.connection = None;
        self.pending = None;
        self.ping = None;
        let cloud = &mut state.security.cloud;
        match self.phase {
            Phase::Idle | Phase::Failed => return,
            Phase::SigningOff => {
                self.finish_sign_off(state);
                return;
            }
            _ => {}
        }
        self.attempts += 1;
        match &failure {
            LinkFailure::Tls(reason) => {
                // A certificate refused is not going to change by itself.
                self.note(format!("cloud: TLS with {} failed: {reason}", self.cis()));
                cloud.cps = "failed".into();
                cloud.clec = clec::CONNECT;
            }
            LinkFailure::Connect(reason) => {
                self.note(format!("cloud: cannot connect to {}: {reason}", self.cis()));
                if self.attempts >= self.config.attempts_before_failed && !self.registered {
                    cloud.cps = "failed".into();
                    cloud.clec = clec::CONNECT;
                }
            }
            LinkFailure::Lost(reason) => {
                self.note(format!(
                    "cloud: connection to {} lost: {reason}",
                    self.cis()
                ));
                // A sign-up that keeps failing this way (no answer, an answer
                // too large) ends as iotivity-lite's does once its retries
                // are over: failed, connect error.
                let signing_up = self.phase == Phase::SigningUp;
                if signing_up && self.attempts >= self.config.attempts_before_failed {
                    cloud.cps = "failed".into();
                    cloud.clec = clec::CONNECT;
                    self.phase = Phase::Failed;
                    return;
                }
            }
        }
        let index = (self.attempts as usize).saturating_sub(1);
        let wait = self
            .config
            .backoff
            .get(index)
            .or(self.config.backoff.last())
            .copied()
            .unwrap_or(Duration::from_secs(60));
        self.phase = Phase::Waiting { at: now + wait };
    }

    fn cis(&self) -> String {
        self.target
            .as_ref()
            .map(|t| t.cis.clone())
            .unwrap_or_default()
    }

    fn note(&mut self, line: String) {
        self.log.push_back(line);
    }

    fn stop(&mut self) {
        if self.connection.take().is_some() || self.phase == Phase::Connecting {
            self.actions.push_back(Action::Disconnect);
        }
        self.pending = None;
        self.ping = None;
        self.next_ping = None;
        self.phase = Phase::Idle;
    }

    fn connect(&mut self, state: &mut DeviceState) {
        let Some(target) = self.target.clone() else {
            return;
        };
        match parse_cis(&target.cis) {
            Some((addr, tls)) => {
                self.phase = Phase::Connecting;
                self.actions.push_back(Action::Connect {
                    addr,
                    tls,
                    sid: target.sid.clone(),
                });
            }
            None => {
                self.note(format!(
                    "cloud: cis {} is not coaps+tcp://ADDR:PORT or coap+tcp://ADDR:PORT",
                    target.cis
                ));
                state.security.cloud.cps = "failed".into();
                state.security.cloud.clec = clec::CONNECT;
                self.phase = Phase::Failed;
            }
        }
    }

    fn request(&mut self, now: Instant, request: Request) {
        if let Some(connection) = &mut self.connection {
            self.pending = Some(connection.request(now, request));
        }
    }

    fn sign_up(&mut self, now: Instant, state: &DeviceState) {
        let cloud = &state.security.cloud;
        let body = map(vec![
            ("di", text(&state.di.to_string())),
            ("authprovider", text(&cloud.apn)),
            ("accesstoken", text(&cloud.at)),
            ("devicetype", text("device")),
        ]);
        self.phase = Phase::SigningUp;
        self.request(now, post("/oic/sec/account", &body));
    }

    fn sign_in(&mut self, now: Instant, state: &DeviceState) {
        let Some(tokens) = &self.tokens else {
            return;
        };
        let body = map(vec![
            ("uid", text(&tokens.uid)),
            ("di", text(&state.di.to_string())),
            ("accesstoken", text(&tokens.access)),
            ("login", Cbor::Bool(true)),
        ]);
        self.phase = Phase::SigningIn;
        self.request(now, post("/oic/sec/session", &body));
    }

    fn publish(&mut self, now: Instant, state: &DeviceState) {
        self.phase = Phase::Publishing;
        self.request(now, post("/oic/rd?rt=oic.wk.rdpub", &publication(state)));
    }

    fn refresh(&mut self, now: Instant, state: &DeviceState) {
        let (Some(tokens), Some(target)) = (&mut self.tokens, &self.target) else {
            return;
        };
        tokens.refresh_at = None;
        let body = map(vec![
            ("uid", text(&tokens.uid)),
            ("di", text(&state.di.to_string())),
            ("authprovider", text(&target.apn)),
            ("granttype", text("refresh_token")),
            ("refreshtoken", text(&tokens.refresh)),
        ]);
        self.phase = Phase::Refreshing;
        self.request(now, post("/oic/sec/tokenrefresh", &body));
    }

    fn sign_off(&mut self, now: Instant) {
        let (Some(tokens), Some(target)) = (self.tokens.clone(), self.target.clone()) else {
            self.stop();
            return;
        };
        let href = format!(
            "/oic/sec/account?uid={}&di={}&accesstoken={}",
            tokens.uid, target.di, tokens.access
        );
        let mut request = Request::new(Code::DELETE, &href);
        request
            .options
            .set_uint(OptionNumber::ACCEPT, content_format::OCF_CBOR.into());
        request.options.set_uint(
            OptionNumber::OCF_ACCEPT_CONTENT_FORMAT_VERSION,
            OCF_VERSION_1_0,
        );
        self.phase = Phase::SigningOff;
        self.request(now, request);
    }

    fn finish_sign_off(&mut self, state: &mut DeviceState) {
        self.stop();
        self.tokens = None;
        self.registered = false;
        self.published = false;
        self.target = None;
        state.security.cloud.cps = "uninitialized".into();
        state.security.cloud.clec = clec::OK;
    }

    /// Moves bytes out and handles the connection's events.
    fn pump(&mut self, now: Instant, state: &mut DeviceState) {
        loop {
            let Some(connection) = &mut self.connection else {
                return;
            };
            if let Some(bytes) = connection.poll_transmit() {
                self.actions.push_back(Action::Send(bytes));
            }
            let Some(event) = connection.poll_event() else {
                return;
            };
            match event {
                Event::Response { id, response } if Some(id) == self.pending => {
                    self.pending = None;
                    self.on_response(now, response, state);
                }
                Event::Failed { id, error } if Some(id) == self.pending => {
                    self.pending = None;
                    self.connection = None;
                    self.actions.push_back(Action::Disconnect);
                    self.handle_failure(now, LinkFailure::Lost(error.to_string()), state);
                }
                Event::Pong { id } if Some(id) == self.ping => {
                    self.ping = None;
                    self.next_ping = Some(now + self.config.ping_interval);
                    let due = self
                        .tokens
                        .as_ref()
                        .and_then(|t| t.refresh_at)
                        .is_some_and(|at| at <= now);
                    if due && self.phase == Phase::Online {
                        self.refresh(now, state);
                    }
                }
                Event::Failed { id, .. } if Some(id) == self.ping => {
                    self.ping = None;
                    self.connection = None;
                    self.actions.push_back(Action::Disconnect);
                    self.handle_failure(now, LinkFailure::Lost("no Pong".into()), state);
                }
                Event::Closed { error } => {
                    let reason =
                        error.map_or_else(|| "closed by the cloud".into(), |e| e.to_string());
                    self.connection = None;
                    self.actions.push_back(Action::Disconnect);
                    self.handle_failure(now, LinkFailure::Lost(reason), state);
                }
                _ => {}
            }
        }
    }

    fn on_response(&mut self, now: Instant, response: Response, state: &mut DeviceState) {
        let body = decode_cbor(&response.payload).ok();
        let field = |name: &str| -> Option<&Cbor> {
            body.as_ref()?
                .as_map()?
                .iter()
                .find(|(k, _)| k.as_text() == Some(name))
                .map(|(_, v)| v)
        };
        let text_of = |name: &str| field(name).and_then(Cbor::as_text).map(str::to_owned);
        let int_of = |name: &str| {
            field(name)
                .and_then(Cbor::as_integer)
                .and_then(|i| i64::try_from(i).ok())
        };
        let phase = self.phase.clone();
        if phase == Phase::SigningOff {
            self.finish_sign_off(state);
            return;
        }
        if !response.code.is_success() {
            let what = match phase {
                Phase::SigningUp => "sign-up",
                Phase::SigningIn => "sign-in",
                Phase::Publishing => "publication",
                Phase::Refreshing => "token refresh",
                _ => "request",
            };
            let reason = String::from_utf8_lossy(&response.payload).into_owned();
            self.note(format!(
                "cloud: {what} answered {} {}{}{reason}",
                response.code,
                response.code.name(),
                if reason.is_empty() { "" } else { ": " }
            ));
            let cloud = &mut state.security.cloud;
            cloud.cps = "failed".into();
            cloud.clec = match (phase, response.code) {
                (Phase::Refreshing, _) => clec::REFRESH,
                (_, Code::UNAUTHORIZED) => clec::UNAUTHORIZED,
                _ => clec::ERROR_RESPONSE,
            };
            self.stop();
            self.phase = Phase::Failed;
            return;
        }
        match phase {
            Phase::SigningUp => {
                // As iotivity-lite's cloud_manager_handle_register_response:
                // non-empty text tokens and uid, and an integer expiresin.
                let non_empty = |name: &str| text_of(name).filter(|t| !t.is_empty());
                let (Some(access), Some(refresh), Some(uid), Some(expires_in)) = (
                    non_empty("accesstoken"),
                    non_empty("refreshtoken"),
                    non_empty("uid"),
                    int_of("expiresin"),
                ) else {
                    return self.malformed(state, "sign-up");
                };
                self.tokens = Some(tokens(uid, access, refresh, expires_in, now));
                self.registered = true;
                state.security.cloud.cps = "registered".into();
                state.security.cloud.clec = clec::OK;
                if let Some(redirect) = text_of("redirecturi").filter(|r| !r.is_empty()) {
                    // Go there and sign in (iotivity-lite takes it as its cis).
                    self.note(format!("cloud: redirected to {redirect}"));
                    state.security.cloud.cis = redirect.clone();
                    if let Some(target) = &mut self.target {
                        target.cis = redirect;
                    }
                    self.stop();
                    self.connect(state);
                    return;
                }
                self.sign_in(now, state);
            }
            Phase::SigningIn => {
                if let (Some(expires_in), Some(tokens)) = (int_of("expiresin"), &mut self.tokens) {
                    let fresh = self::tokens(
                        tokens.uid.clone(),
                        tokens.access.clone(),
                        tokens.refresh.clone(),
                        expires_in,
                        now,
                    );
                    tokens.expires_at = fresh.expires_at;
                    tokens.refresh_at = fresh.refresh_at;
                }
                self.attempts = 0;
                self.next_ping = Some(now + self.config.ping_interval);
                if self.published {
                    self.phase = Phase::Online;
                } else {
                    self.publish(now, state);
                }
            }
            Phase::Publishing => {
                self.published = true;
                self.phase = Phase::Online;
            }
            Phase::Refreshing => {
                let (Some(access), Some(refresh), Some(tokens)) = (
                    text_of("accesstoken"),
                    text_of("refreshtoken"),
                    &self.tokens,
                ) else {
                    state.security.cloud.cps = "failed".into();
                    state.security.cloud.clec = clec::REFRESH;
                    self.stop();
                    self.phase = Phase::Failed;
                    return;
                };
                let expires_in = int_of("expiresin").unwrap_or(-1);
                self.tokens = Some(self::tokens(
                    tokens.uid.clone(),
                    access,
                    refresh,
                    expires_in,
                    now,
                ));
                self.sign_in(now, state);
            }
            _ => {}
        }
    }

    fn malformed(&mut self, state: &mut DeviceState, what: &str) {
        self.note(format!(
            "cloud: the {what} answer lacks required properties"
        ));
        state.security.cloud.cps = "failed".into();
        state.security.cloud.clec = clec::ERROR_RESPONSE;
        self.stop();
        self.phase = Phase::Failed;
    }
}

/// Tokens with their expiry; refresh when two thirds of the lifetime are
/// gone (with the capture's 30 s, the refresh follows the Ping after 20 s).
fn tokens(uid: String, access: String, refresh: String, expires_in: i64, now: Instant) -> Tokens {
    let lifetime = u64::try_from(expires_in).ok().filter(|s| *s > 0);
    Tokens {
        uid,
        access,
        refresh,
        expires_at: lifetime.map(|s| now + Duration::from_secs(s)),
        refresh_at: lifetime.map(|s| now + Duration::from_millis(s * 2000 / 3)),
    }
}

/// `coaps+tcp://ADDR:PORT` → (address, TLS).
pub fn parse_cis(cis: &str) -> Option<(SocketAddr, bool)> {
    let (tls, rest) = if let Some(rest) = cis.strip_prefix("coaps+tcp://") {
        (true, rest)
    } else {
        (false, cis.strip_prefix("coap+tcp://")?)
    };
    let rest = rest.trim_end_matches('/');
    let addr = rest.parse::<SocketAddr>().ok().or_else(|| {
        // No port: the CoAP over TLS default.
        let ip: std::net::IpAddr = rest
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .ok()?;
        Some(SocketAddr::new(ip, if tls { 5684 } else { 5683 }))
    })?;
    Some((addr, tls))
}

/// The resource publication: the device's published resources in the
/// reference device's order and form.
pub fn publication(state: &DeviceState) -> Cbor {
    const PUBLISHED: [&str; 5] = ["/oic/d", "/oic/p", "/light/1", "/switches", "/oc/con"];
    let links = PUBLISHED
        .iter()
        .filter_map(|href| resources::find(href))
        .map(|r| {
            map(vec![
                ("href", text(r.href)),
                ("rt", Cbor::Array(r.rt.iter().map(|t| text(t)).collect())),
                (
                    "if",
                    Cbor::Array(r.interfaces.iter().map(|i| text(i)).collect()),
                ),
                ("rel", text("hosts")),
                ("ins", Cbor::Integer(instance(state.di, r.href).into())),
                ("p", map(vec![("bm", Cbor::Integer(r.bm.into()))])),
            ])
        })
        .collect();
    map(vec![
        ("di", text(&state.di.to_string())),
        ("n", text(&state.name)),
        ("ttl", Cbor::Integer(0.into())),
        ("links", Cbor::Array(links)),
    ])
}

/// A link's instance number: stable for a device and href (the reference
/// device draws them at random once).
fn instance(di: Uuid, href: &str) -> u32 {
    use sha2::Digest;
    let digest = sha2::Sha256::digest([di.as_bytes().as_slice(), href.as_bytes()].concat());
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// A POST with the OCF options in the reference device's order and its CBOR.
fn post(href: &str, body: &Cbor) -> Request {
    let mut request = Request::new(Code::POST, href);
    let options = &mut request.options;
    options.set_uint(
        OptionNumber::CONTENT_FORMAT,
        content_format::OCF_CBOR.into(),
    );
    options.set_uint(OptionNumber::ACCEPT, content_format::OCF_CBOR.into());
    options.set_uint(
        OptionNumber::OCF_ACCEPT_CONTENT_FORMAT_VERSION,
        OCF_VERSION_1_0,
    );
    options.set_uint(OptionNumber::OCF_CONTENT_FORMAT_VERSION, OCF_VERSION_1_0);
    request.payload = encode_indefinite(body);
    request
}

fn text(s: &str) -> Cbor {
    Cbor::Text(s.to_owned())
}

fn map(entries: Vec<(&str, Cbor)>) -> Cbor {
    Cbor::Map(entries.into_iter().map(|(k, v)| (text(k), v)).collect())
}
