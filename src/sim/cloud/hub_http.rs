//! The cloud's HTTP side, as a plgd hub serves it: the
//! `/.well-known/hub-configuration` document a mediator starts from (FACTS
//! §4; `ocf-mediator login --hub URL` reads it unchanged) and the identity
//! CSR signing of its certificate authority
//! (`POST /api/v1/sign/identity-csr`, FACTS §4 "CA signing").

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use super::authority::Authority;
use super::ca::CloudCa;
use super::service::{CloudEvent, connection_event};

/// What the hub configuration says.
#[derive(Clone, Debug)]
pub struct HubDocument {
    pub id: String,
    pub coap_gateway: String,
    pub ca_pem: String,
    /// The OAuth server (`authority`).
    pub authority: String,
    pub owner_claim: String,
    /// The device OAuth client: id, audience, scopes, provider name, grant.
    pub device_client_id: String,
    pub audience: Option<String>,
    pub device_scopes: Vec<String>,
    pub provider_name: String,
    pub device_grant: String,
    pub m2m_client_id: String,
    pub web_client_id: String,
}

impl HubDocument {
    /// The protojson (camelCase) document; `base` is this server's URL.
    pub fn to_json(&self, base: &str) -> Value {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        json!({
            "id": self.id,
            "coapGateway": self.coap_gateway,
            "certificateAuthorities": self.ca_pem,
            "authority": self.authority,
            "certificateAuthority": base,
            "httpGatewayAddress": base,
            "jwtOwnerClaim": self.owner_claim,
            "jwtDeviceIdClaim": "https://plgd.dev/deviceId",
            "currentTime": now.to_string(),
            "defaultCommandTimeToLive": "10000000000",
            "deviceOauthClient": {
                "clientId": self.device_client_id,
                "audience": self.audience.clone().unwrap_or_default(),
                "scopes": self.device_scopes,
                "providerName": self.provider_name,
                "clientAssertionType": "",
                "authority": self.authority,
                "grantType": self.device_grant,
            },
            "webOauthClient": {
                "clientId": self.web_client_id,
                "audience": self.audience.clone().unwrap_or_default(),
                "scopes": ["openid", "offline_access"],
            },
            "m2mOauthClient": {
                "clientId": self.m2m_client_id,
                "audience": self.audience.clone().unwrap_or_default(),
                "scopes": [],
                "authority": self.authority,
                "grantType": "clientCredentials",
            },
        })
    }
}

struct Shared {
    document: HubDocument,
    base: String,
    ca: Arc<CloudCa>,
    authority: Option<Arc<Authority>>,
    events: Option<tokio::sync::mpsc::UnboundedSender<CloudEvent>>,
}

/// Serves the hub's HTTP side on `listener` until `shutdown` completes;
/// each signing (`sign`) or refusal to sign (`refused`) goes to `events`.
pub async fn serve(
    listener: TcpListener,
    document: HubDocument,
    ca: Arc<CloudCa>,
    authority: Option<Arc<Authority>>,
    events: Option<tokio::sync::mpsc::UnboundedSender<CloudEvent>>,
    shutdown: impl Future<Output = ()>,
) {
    let base = match listener.local_addr() {
        Ok(addr) => base_url(addr),
        Err(_) => return,
    };
    let shared = Arc::new(Shared {
        document,
        base,
        ca,
        authority,
        events,
    });
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, peer)) = accepted else {
            tokio::task::yield_now().await;
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let shared = shared.clone();
                async move { Ok::<_, Infallible>(route(&shared, peer, request).await) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// `http://ADDR` for a listening address.
pub fn base_url(addr: SocketAddr) -> String {
    format!("http://{addr}")
}

async fn route(
    shared: &Shared,
    peer: SocketAddr,
    request: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_owned();
    match (request.method().clone(), path.as_str()) {
        (Method::GET, "/.well-known/hub-configuration") => {
            json_response(StatusCode::OK, &shared.document.to_json(&shared.base))
        }
        (Method::POST, SIGN_PATH) => sign(shared, peer, request).await,
        _ => json_response(StatusCode::NOT_FOUND, &json!({"message": "not found"})),
    }
}

/// The identity CSR signing endpoint of plgd's certificate authority.
const SIGN_PATH: &str = "/api/v1/sign/identity-csr";

impl Shared {
    /// A refusal, reported as a `refused` event and answered as JSON.
    fn refuse(
        &self,
        peer: SocketAddr,
        status: StatusCode,
        reason: String,
    ) -> Response<Full<Bytes>> {
        if let Some(events) = &self.events {
            let mut event = connection_event(
                "refused",
                peer,
                Some(status.as_str()),
                reason.clone(),
                super::unix_now(),
            );
            event.request = Some(format!("POST {SIGN_PATH}"));
            let _ = events.send(event);
        }
        json_response(status, &json!({"message": reason}))
    }
}

async fn sign(
    shared: &Shared,
    peer: SocketAddr,
    request: Request<Incoming>,
) -> Response<Full<Bytes>> {
    if let Some(authority) = &shared.authority {
        let bearer = request
            .headers()
            .get(hyper::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_owned);
        let now = super::unix_now();
        let verdict = match bearer {
            Some(token) => authority.verify_access_token(&token, now).await,
            None => Err("no bearer token".into()),
        };
        if let Err(reason) = verdict {
            return shared.refuse(peer, StatusCode::UNAUTHORIZED, reason);
        }
    }
    let body = match request.into_body().collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => return shared.refuse(peer, StatusCode::BAD_REQUEST, "no body".into()),
    };
    let csr = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v["certificateSigningRequest"].as_str().map(str::to_owned));
    let Some(csr) = csr else {
        return shared.refuse(
            peer,
            StatusCode::BAD_REQUEST,
            "certificateSigningRequest is missing".into(),
        );
    };
    // base64 of the PEM, as plgd's API takes it; a PEM as is also goes.
    let pem = STANDARD
        .decode(csr.trim())
        .unwrap_or_else(|_| csr.into_bytes());
    match shared.ca.sign_identity_csr(&pem) {
        Ok((certificate, di)) => {
            if let Some(events) = &shared.events {
                let mut event = connection_event(
                    "sign",
                    peer,
                    None,
                    "identity certificate".into(),
                    super::unix_now(),
                );
                event.di = Some(di.to_string());
                event.request = Some(format!("POST {SIGN_PATH}"));
                event.reason = None;
                let _ = events.send(event);
            }
            json_response(
                StatusCode::OK,
                &json!({"certificate": STANDARD.encode(certificate)}),
            )
        }
        Err(e) => shared.refuse(peer, StatusCode::BAD_REQUEST, e.to_string()),
    }
}

fn json_response(status: StatusCode, value: &Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(value.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}
