//! What the cloud answers, without sockets or clocks: the Account, Session
//! and Token Refresh resources (FACTS §1.5, plgd's coap-gateway) and
//! resource publication (`/oic/rd`), with their exact property names and
//! required sets. Wrong or missing properties answer 4.00; a bad or expired
//! token, an unknown `authprovider`, a device id that is not the client
//! certificate's, a reused one-time code or a refresh token used twice
//! answer 4.01. Every answer comes with the event the cloud reports.
//!
//! The one step that needs the network, checking a sign-up's access token
//! or code with the OAuth server, is left to the caller: [`Service::handle`]
//! returns [`Outcome::Authorize`], and [`Service::finish_sign_up`] takes the
//! verdict.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;

use ciborium::Value as Cbor;
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::tokens::{Grant, Kind, Minter};
use crate::coap::option::content_format;
use crate::coap::server::Reply;
use crate::coap::tcp::IncomingRequest;
use crate::coap::{Code, OptionNumber};
use crate::ocf::representation::{decode_cbor, encode_cbor};

/// How the cloud behaves.
#[derive(Clone, Debug)]
pub struct ServiceConfig {
    /// Accepted `authprovider` names (plgd's provider `name`).
    pub authproviders: Vec<String>,
    /// `expiresin` of the access tokens issued (−1: permanent).
    pub expires_in: i64,
    /// Sent as `redirecturi` in sign-up answers: where the device should go.
    pub redirect_to: Option<String>,
}

/// One connection's state.
#[derive(Clone, Debug)]
pub struct ConnectionState {
    pub peer: SocketAddr,
    /// The device id of the client certificate (`uuid:<di>`), if one was shown.
    pub certificate_di: Option<Uuid>,
    /// Signed in as (di, uid).
    pub signed_in: Option<(Uuid, String)>,
}

/// Something the cloud reports (one JSON line each with `--json`).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct CloudEvent {
    /// `signup`, `signin`, `signout`, `publish`, `unpublish`, `refresh`,
    /// `signoff`, `sign` (an identity certificate signed), `refused`.
    pub event: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub di: Option<String>,
    /// RFC 3339, UTC.
    pub time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// For `refused`: the request (`POST /oic/sec/account`) …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    /// … the code answered (`4.01`) …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// … and why, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The peer's address.
    pub peer: String,
    /// For `publish`: the hrefs published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hrefs: Option<Vec<String>>,
}

/// A sign-up waiting for the OAuth server's verdict on its token.
#[derive(Clone)]
pub struct SignUp {
    pub di: Uuid,
    /// The device's access token or one-time code (a secret).
    pub accesstoken: String,
    pub authprovider: String,
}

impl std::fmt::Debug for SignUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignUp")
            .field("di", &self.di)
            .field("authprovider", &self.authprovider)
            .finish()
    }
}

/// What to do with a request.
#[derive(Debug)]
pub enum Outcome {
    /// Answer this, report that.
    Reply(Reply, CloudEvent),
    /// Check the sign-up's token with the OAuth server, then call
    /// [`Service::finish_sign_up`].
    Authorize(SignUp),
}

/// The cloud's memory.
pub struct Service {
    config: ServiceConfig,
    minter: Minter,
    /// SHA-256 of every one-time code seen at sign-up.
    used_codes: HashSet<[u8; 32]>,
    /// Refresh tokens already exchanged (rotation: each works once).
    used_refresh: HashSet<String>,
    /// Tokens of a device issued before this time (its sign-off) are void.
    revoked_before: HashMap<Uuid, u64>,
    /// Published links, by device.
    publications: HashMap<Uuid, Cbor>,
    /// Who is signed in now: device, user and connection.
    online: HashMap<Uuid, (String, SocketAddr)>,
}

const ACCOUNT: &str = "/oic/sec/account";
const SESSION: &str = "/oic/sec/session";
const TOKEN_REFRESH: &str = "/oic/sec/tokenrefresh";
const RD: &str = "/oic/rd";

impl Service {
    pub fn new(config: ServiceConfig, minter: Minter) -> Self {
        Service {
            config,
            minter,
            used_codes: HashSet::new(),
            used_refresh: HashSet::new(),
            revoked_before: HashMap::new(),
            publications: HashMap::new(),
            online: HashMap::new(),
        }
    }

    /// The devices signed in now, with their user and peer address.
    pub fn signed_in(&self) -> Vec<(Uuid, String, SocketAddr)> {
        let mut list: Vec<_> = self
            .online
            .iter()
            .map(|(di, (uid, peer))| (*di, uid.clone(), *peer))
            .collect();
        list.sort();
        list
    }

    /// A connection ended: whoever was signed in on it is not any more.
    pub fn connection_closed(&mut self, connection: &ConnectionState) {
        if let Some((di, _)) = &connection.signed_in {
            if self
                .online
                .get(di)
                .is_some_and(|(_, peer)| *peer == connection.peer)
            {
                self.online.remove(di);
            }
        }
    }

    /// The links a device published, if any.
    pub fn publication(&self, di: &Uuid) -> Option<&Cbor> {
        self.publications.get(di)
    }

    /// Handles one request on `connection` at `now` (seconds since the epoch).
    pub fn handle(
        &mut self,
        connection: &mut ConnectionState,
        request: &IncomingRequest,
        now: u64,
    ) -> Outcome {
        let path = request.path();
        let code = request.code();
        let mut ctx = Ctx {
            connection,
            request: format!("{} {path}", code.name()),
            now,
        };
        let result = match (path.as_str(), code) {
            (ACCOUNT, Code::POST) => return self.sign_up(&mut ctx, request),
            (ACCOUNT, Code::DELETE) => self.sign_off(&mut ctx, request),
            (SESSION, Code::POST) => self.session(&mut ctx, request),
            (TOKEN_REFRESH, Code::POST) => self.refresh(&mut ctx, request),
            (RD, Code::POST) => self.publish(&mut ctx, request),
            (RD, Code::DELETE) => self.unpublish(&mut ctx, request),
            (ACCOUNT | SESSION | TOKEN_REFRESH | RD, _) => Err(Refusal::new(
                Code::METHOD_NOT_ALLOWED,
                None,
                "method not allowed",
            )),
            _ => Err(Refusal::new(Code::NOT_FOUND, None, "no such resource")),
        };
        match result {
            Ok((reply, event)) => Outcome::Reply(reply, event),
            Err(refusal) => {
                let event = ctx.refused(&refusal);
                Outcome::Reply(refusal.reply(), event)
            }
        }
    }

    fn sign_up(&mut self, ctx: &mut Ctx<'_>, request: &IncomingRequest) -> Outcome {
        let checked = (|| {
            let body = Body::of(request)?;
            let di = body.uuid("di")?;
            let accesstoken = body.required_text("accesstoken")?;
            let authprovider = body.optional_text("authprovider")?;
            body.optional_text("devicetype")?;
            let authprovider = match authprovider {
                Some(name) => name,
                None => self
                    .config
                    .authproviders
                    .first()
                    .cloned()
                    .unwrap_or_default(),
            };
            if !self.config.authproviders.contains(&authprovider) {
                return Err(Refusal::unauthorized(
                    Some(di),
                    format!("unknown authprovider {authprovider:?}"),
                ));
            }
            self.check_certificate(ctx, di)?;
            if self.used_codes.contains(&digest(&accesstoken)) {
                return Err(Refusal::unauthorized(
                    Some(di),
                    "the access token or code was already used for a sign-up".into(),
                ));
            }
            Ok(SignUp {
                di,
                accesstoken,
                authprovider,
            })
        })();
        match checked {
            Ok(sign_up) => Outcome::Authorize(sign_up),
            Err(refusal) => {
                let event = ctx.refused(&refusal);
                Outcome::Reply(refusal.reply(), event)
            }
        }
    }

    /// Completes a sign-up with the OAuth server's verdict: the owner's id,
    /// or why the token or code was refused. `one_time` marks a code, which
    /// is never accepted again.
    pub fn finish_sign_up(
        &mut self,
        connection: &mut ConnectionState,
        sign_up: SignUp,
        verdict: Result<String, String>,
        one_time: bool,
        now: u64,
    ) -> (Reply, CloudEvent) {
        let ctx = Ctx {
            connection,
            request: format!("POST {ACCOUNT}"),
            now,
        };
        if one_time {
            self.used_codes.insert(digest(&sign_up.accesstoken));
        }
        let uid = match verdict {
            Ok(uid) => uid,
            Err(reason) => {
                let refusal = Refusal::unauthorized(Some(sign_up.di), reason);
                let event = ctx.refused(&refusal);
                return (refusal.reply(), event);
            }
        };
        let di = sign_up.di;
        self.revoked_before.remove(&di);
        let (access, refresh) = self.issue(di, &uid, now);
        let mut entries = vec![
            ("accesstoken", text(&access)),
            ("refreshtoken", text(&refresh)),
            ("expiresin", Cbor::Integer(self.config.expires_in.into())),
            ("uid", text(&uid)),
        ];
        if let Some(to) = &self.config.redirect_to {
            entries.push(("redirecturi", text(to)));
        }
        let event = ctx.event("signup", Some(di), Some(uid));
        (changed(map(entries)), event)
    }

    fn issue(&self, di: Uuid, uid: &str, now: u64) -> (String, String) {
        let lifetime = u64::try_from(self.config.expires_in).ok();
        (
            self.minter.mint(Kind::Access, di, uid, now, lifetime),
            self.minter.mint(Kind::Refresh, di, uid, now, None),
        )
    }

    /// A token of ours for `di` and `uid`, not expired, not revoked.
    fn grant(
        &self,
        kind: Kind,
        token: &str,
        di: Uuid,
        uid: &str,
        now: u64,
    ) -> Result<Grant, Refusal> {
        let what = match kind {
            Kind::Access => "access token",
            Kind::Refresh => "refresh token",
        };
        let grant = self
            .minter
            .check(kind, token, now)
            .map_err(|e| Refusal::unauthorized(Some(di), format!("bad {what}: {e}")))?;
        if grant.di != di || grant.uid != uid {
            return Err(Refusal::unauthorized(
                Some(di),
                format!("the {what} was issued to another device or user"),
            ));
        }
        if self
            .revoked_before
            .get(&di)
            .is_some_and(|at| grant.issued_at <= *at)
        {
            return Err(Refusal::unauthorized(
                Some(di),
                format!("the {what} was revoked when the device signed off"),
            ));
        }
        Ok(grant)
    }

    fn check_certificate(&self, ctx: &Ctx<'_>, di: Uuid) -> Result<(), Refusal> {
        match ctx.connection.certificate_di {
            Some(bound) if bound != di => Err(Refusal::unauthorized(
                Some(di),
                format!("the device id is not the client certificate's (uuid:{bound})"),
            )),
            _ => Ok(()),
        }
    }

    fn session(&mut self, ctx: &mut Ctx<'_>, request: &IncomingRequest) -> Handled {
        let body = Body::of(request)?;
        let uid = body.required_text("uid")?;
        let di = body.uuid("di")?;
        let accesstoken = body.required_text("accesstoken")?;
        let login = body.boolean("login")?;
        self.check_certificate(ctx, di)?;
        let grant = self.grant(Kind::Access, &accesstoken, di, &uid, ctx.now)?;
        if !login {
            ctx.connection.signed_in = None;
            self.online.remove(&di);
            let event = ctx.event("signout", Some(di), Some(uid));
            return Ok((changed(map(vec![])), event));
        }
        ctx.connection.signed_in = Some((di, uid.clone()));
        self.online.insert(di, (uid.clone(), ctx.connection.peer));
        let expires_in: i64 = match grant.expires_at {
            Some(at) => i64::try_from(at.saturating_sub(ctx.now)).unwrap_or(i64::MAX),
            None => -1,
        };
        let event = ctx.event("signin", Some(di), Some(uid));
        Ok((
            changed(map(vec![("expiresin", Cbor::Integer(expires_in.into()))])),
            event,
        ))
    }

    fn refresh(&mut self, ctx: &mut Ctx<'_>, request: &IncomingRequest) -> Handled {
        let body = Body::of(request)?;
        let uid = body.required_text("uid")?;
        let di = body.uuid("di")?;
        let refreshtoken = body.required_text("refreshtoken")?;
        if let Some(grant_type) = body.optional_text("granttype")? {
            if grant_type != "refresh_token" {
                return Err(Refusal::bad(
                    Some(di),
                    format!("granttype {grant_type:?} is not refresh_token"),
                ));
            }
        }
        if let Some(provider) = body.optional_text("authprovider")? {
            if !self.config.authproviders.contains(&provider) {
                return Err(Refusal::unauthorized(
                    Some(di),
                    format!("unknown authprovider {provider:?}"),
                ));
            }
        }
        self.check_certificate(ctx, di)?;
        let grant = self.grant(Kind::Refresh, &refreshtoken, di, &uid, ctx.now)?;
        if !self.used_refresh.insert(grant.jti) {
            return Err(Refusal::unauthorized(
                Some(di),
                "the refresh token was already used (rotated out)".into(),
            ));
        }
        let (access, refresh) = self.issue(di, &uid, ctx.now);
        let event = ctx.event("refresh", Some(di), Some(uid));
        Ok((
            changed(map(vec![
                ("accesstoken", text(&access)),
                ("refreshtoken", text(&refresh)),
                ("expiresin", Cbor::Integer(self.config.expires_in.into())),
            ])),
            event,
        ))
    }

    fn sign_off(&mut self, ctx: &mut Ctx<'_>, request: &IncomingRequest) -> Handled {
        // plgd answers 4.02 to a sign-off without its query (FACTS §1.5).
        let query = |name: &str| request.query(name).filter(|v| !v.is_empty());
        let missing = |name: &str| {
            Refusal::new(
                Code::BAD_OPTION,
                None,
                &format!("sign-off without the {name} query"),
            )
        };
        let di = query("di").ok_or_else(|| missing("di"))?;
        let di = Uuid::parse_str(&di).map_err(|_| Refusal::bad(None, "di is not a UUID".into()))?;
        let accesstoken = query("accesstoken").ok_or_else(|| missing("accesstoken"))?;
        self.check_certificate(ctx, di)?;
        let grant = self
            .minter
            .check(Kind::Access, &accesstoken, ctx.now)
            .map_err(|e| Refusal::unauthorized(Some(di), format!("bad access token: {e}")))?;
        let uid = query("uid").unwrap_or_else(|| grant.uid.clone());
        let grant = self.grant(Kind::Access, &accesstoken, di, &uid, ctx.now)?;
        self.revoked_before.insert(di, ctx.now.max(grant.issued_at));
        self.publications.remove(&di);
        self.online.remove(&di);
        ctx.connection.signed_in = None;
        let event = ctx.event("signoff", Some(di), Some(uid));
        Ok((Reply::new(Code::DELETED), event))
    }

    fn session_of(&self, ctx: &Ctx<'_>) -> Result<(Uuid, String), Refusal> {
        ctx.connection
            .signed_in
            .clone()
            .ok_or_else(|| Refusal::unauthorized(None, "the connection is not signed in".into()))
    }

    fn publish(&mut self, ctx: &mut Ctx<'_>, request: &IncomingRequest) -> Handled {
        let (signed_in, uid) = self.session_of(ctx)?;
        let body = Body::of(request)?;
        let di = body.uuid("di")?;
        let links = body
            .get("links")
            .ok_or_else(|| Refusal::bad(Some(di), "the publication has no links".into()))?;
        let Cbor::Array(list) = links else {
            return Err(Refusal::bad(Some(di), "links is not an array".into()));
        };
        if let Some(ttl) = body.get("ttl") {
            if !matches!(ttl, Cbor::Integer(_)) {
                return Err(Refusal::bad(Some(di), "ttl is not an integer".into()));
            }
        }
        body.optional_text("n")?;
        if di != signed_in {
            return Err(Refusal::unauthorized(
                Some(di),
                format!("the connection is signed in as {signed_in}, not {di}"),
            ));
        }
        let mut hrefs = Vec::new();
        for link in list {
            let href = link
                .as_map()
                .and_then(|m| m.iter().find(|(k, _)| k.as_text() == Some("href")))
                .and_then(|(_, v)| v.as_text())
                .ok_or_else(|| Refusal::bad(Some(di), "a link has no href".into()))?;
            hrefs.push(href.to_owned());
        }
        self.publications.insert(di, body.value.clone());
        let mut event = ctx.event("publish", Some(di), Some(uid));
        event.hrefs = Some(hrefs);
        // The answer is the publication, as plgd's gateway and the test
        // cloud of the capture answer.
        Ok((changed(body.value.clone()), event))
    }

    fn unpublish(&mut self, ctx: &mut Ctx<'_>, request: &IncomingRequest) -> Handled {
        let (signed_in, uid) = self.session_of(ctx)?;
        let di = request
            .query("di")
            .and_then(|d| Uuid::parse_str(&d).ok())
            .ok_or_else(|| Refusal::bad(None, "unpublish without a di query".into()))?;
        if di != signed_in {
            return Err(Refusal::unauthorized(
                Some(di),
                format!("the connection is signed in as {signed_in}, not {di}"),
            ));
        }
        self.publications.remove(&di);
        let event = ctx.event("unpublish", Some(di), Some(uid));
        Ok((Reply::new(Code::DELETED), event))
    }
}

type Handled = Result<(Reply, CloudEvent), Refusal>;

/// A refused request: the code, the device if known, and why.
#[derive(Debug)]
struct Refusal {
    code: Code,
    di: Option<Uuid>,
    reason: String,
}

impl Refusal {
    fn new(code: Code, di: Option<Uuid>, reason: &str) -> Self {
        Refusal {
            code,
            di,
            reason: reason.to_owned(),
        }
    }

    fn bad(di: Option<Uuid>, reason: String) -> Self {
        Refusal {
            code: Code::BAD_REQUEST,
            di,
            reason,
        }
    }

    fn unauthorized(di: Option<Uuid>, reason: String) -> Self {
        Refusal {
            code: Code::UNAUTHORIZED,
            di,
            reason,
        }
    }

    /// The error answer: the code and the reason as diagnostic text.
    fn reply(&self) -> Reply {
        let mut reply = Reply::new(self.code);
        reply.options.set_uint(
            OptionNumber::CONTENT_FORMAT,
            content_format::TEXT_PLAIN.into(),
        );
        reply.payload = self.reason.clone().into_bytes();
        reply
    }
}

struct Ctx<'a> {
    connection: &'a mut ConnectionState,
    request: String,
    now: u64,
}

impl Ctx<'_> {
    fn event(&self, name: &'static str, di: Option<Uuid>, uid: Option<String>) -> CloudEvent {
        CloudEvent {
            event: name,
            di: di.map(|d| d.to_string()),
            time: rfc3339(self.now),
            uid,
            request: None,
            code: None,
            reason: None,
            peer: self.connection.peer.to_string(),
            hrefs: None,
        }
    }

    fn refused(&self, refusal: &Refusal) -> CloudEvent {
        let di = refusal
            .di
            .or(self.connection.signed_in.as_ref().map(|(d, _)| *d));
        let mut event = self.event("refused", di, None);
        event.request = Some(self.request.clone());
        event.code = Some(refusal.code.to_string());
        event.reason = Some(refusal.reason.clone());
        event
    }
}

/// An event for things that happen outside a request (a refused handshake).
pub fn connection_event(
    name: &'static str,
    peer: SocketAddr,
    code: Option<&str>,
    reason: String,
    now: u64,
) -> CloudEvent {
    CloudEvent {
        event: name,
        di: None,
        time: rfc3339(now),
        uid: None,
        request: None,
        code: code.map(str::to_owned),
        reason: Some(reason),
        peer: peer.to_string(),
        hrefs: None,
    }
}

fn rfc3339(secs: u64) -> String {
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
        .to_string()
}

/// A request body: a CBOR map.
struct Body {
    value: Cbor,
}

impl Body {
    fn of(request: &IncomingRequest) -> Result<Body, Refusal> {
        let value = decode_cbor(&request.frame.payload)
            .map_err(|_| Refusal::bad(None, "the body is not CBOR".into()))?;
        if !matches!(value, Cbor::Map(_)) {
            return Err(Refusal::bad(None, "the body is not a CBOR map".into()));
        }
        Ok(Body { value })
    }

    fn get(&self, name: &str) -> Option<&Cbor> {
        self.value
            .as_map()?
            .iter()
            .find(|(k, _)| k.as_text() == Some(name))
            .map(|(_, v)| v)
    }

    fn optional_text(&self, name: &str) -> Result<Option<String>, Refusal> {
        match self.get(name) {
            None => Ok(None),
            Some(Cbor::Text(t)) => Ok(Some(t.clone())),
            Some(_) => Err(Refusal::bad(None, format!("{name} is not a string"))),
        }
    }

    fn required_text(&self, name: &str) -> Result<String, Refusal> {
        match self.optional_text(name)? {
            Some(t) if !t.is_empty() => Ok(t),
            _ => Err(Refusal::bad(None, format!("{name} is missing"))),
        }
    }

    fn uuid(&self, name: &str) -> Result<Uuid, Refusal> {
        let text = self.required_text(name)?;
        Uuid::parse_str(&text).map_err(|_| Refusal::bad(None, format!("{name} is not a UUID")))
    }

    fn boolean(&self, name: &str) -> Result<bool, Refusal> {
        match self.get(name) {
            Some(Cbor::Bool(b)) => Ok(*b),
            Some(_) => Err(Refusal::bad(None, format!("{name} is not a boolean"))),
            None => Err(Refusal::bad(None, format!("{name} is missing"))),
        }
    }
}

fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

fn text(s: &str) -> Cbor {
    Cbor::Text(s.to_owned())
}

fn map(entries: Vec<(&str, Cbor)>) -> Cbor {
    Cbor::Map(entries.into_iter().map(|(k, v)| (text(k), v)).collect())
}

/// 2.04 with an OCF CBOR body. No OCF-Content-Format-Version: plgd's
/// gateway sends none, and generic CoAP clients reject it (critical 2053).
fn changed(value: Cbor) -> Reply {
    let mut reply = Reply::new(Code::CHANGED);
    reply.options.set_uint(
        OptionNumber::CONTENT_FORMAT,
        content_format::OCF_CBOR.into(),
    );
    reply.payload = encode_cbor(&value);
    reply
}
