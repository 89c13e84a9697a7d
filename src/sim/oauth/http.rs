//! The OAuth server's HTTP side (hyper, HTTP/1.1, as the cloud's): routes
//! requests to the [`Issuer`] and writes its answers, with the headers RFC
//! 6749 asks for (`Cache-Control: no-store` on tokens, `WWW-Authenticate`
//! on a refused client).

use std::convert::Infallible;
use std::future::Future;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use super::issuer::{
    AUTHORIZE_PATH, AuthorizeAnswer, DEVICE_AUTHORIZATION_PATH, Failure, Issuer, JWKS_PATH,
    REVOKE_PATH, TOKEN_PATH, VERIFICATION_PATH,
};
use crate::sim::cloud::unix_now;

/// The largest request body taken (forms are a few hundred bytes).
const BODY_LIMIT: usize = 64 * 1024;

/// Serves `issuer` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    issuer: Arc<Mutex<Issuer>>,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, _)) = accepted else {
            tokio::task::yield_now().await;
            continue;
        };
        let issuer = issuer.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let issuer = issuer.clone();
                async move { Ok::<_, Infallible>(route(&issuer, request).await) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn route(issuer: &Mutex<Issuer>, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or_default().to_owned();
    let now = unix_now();
    if matches!(
        path.as_str(),
        TOKEN_PATH | DEVICE_AUTHORIZATION_PATH | REVOKE_PATH
    ) {
        if method != Method::POST {
            return json(
                StatusCode::METHOD_NOT_ALLOWED,
                &json!({"error": "invalid_request", "error_description": "use POST"}),
            );
        }
        return form_endpoint(issuer, &path, request, now).await;
    }
    let Ok(mut issuer) = issuer.lock() else {
        return json(
            StatusCode::INTERNAL_SERVER_ERROR,
            &json!({"error": "server_error"}),
        );
    };
    match (method, path.as_str()) {
        (
            Method::GET,
            "/.well-known/openid-configuration" | "/.well-known/oauth-authorization-server",
        ) => json(StatusCode::OK, &issuer.discovery()),
        (Method::GET, JWKS_PATH) => json(StatusCode::OK, &issuer.jwks()),
        (Method::GET, AUTHORIZE_PATH) => match issuer.authorize(&query, now) {
            AuthorizeAnswer::Redirect(location) => redirect(&location),
            AuthorizeAnswer::Code { code, state } => {
                let mut body = json!({"code": code});
                if let Some(state) = state {
                    body["state"] = state.into();
                }
                no_store(json(StatusCode::OK, &body))
            }
            AuthorizeAnswer::Refused(failure) => failed(&failure),
        },
        (Method::GET, VERIFICATION_PATH) => {
            text(StatusCode::OK, issuer.verification_page(&query, now))
        }
        _ => json(StatusCode::NOT_FOUND, &json!({"error": "not_found"})),
    }
}

async fn form_endpoint(
    issuer: &Mutex<Issuer>,
    path: &str,
    request: Request<Incoming>,
    now: u64,
) -> Response<Full<Bytes>> {
    let basic = match basic_credentials(&request) {
        Ok(basic) => basic,
        Err(failure) => return failed(&failure),
    };
    let form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return failed(&Failure {
            status: 400,
            error: "invalid_request",
            description: "the body must be application/x-www-form-urlencoded".into(),
        });
    }
    let body = match Limited::new(request.into_body(), BODY_LIMIT)
        .collect()
        .await
    {
        Ok(body) => body.to_bytes(),
        Err(_) => {
            return failed(&Failure {
                status: 400,
                error: "invalid_request",
                description: format!("the body is unreadable or larger than {BODY_LIMIT} bytes"),
            });
        }
    };
    let Ok(body) = std::str::from_utf8(&body) else {
        return failed(&Failure {
            status: 400,
            error: "invalid_request",
            description: "the body is not UTF-8".into(),
        });
    };
    let Ok(mut issuer) = issuer.lock() else {
        return json(
            StatusCode::INTERNAL_SERVER_ERROR,
            &json!({"error": "server_error"}),
        );
    };
    let answer = match path {
        TOKEN_PATH => issuer.token(basic, body, now),
        DEVICE_AUTHORIZATION_PATH => issuer.device_authorization(basic, body, now),
        _ => issuer.revoke(basic, body).map(|()| Value::Null),
    };
    match answer {
        Ok(Value::Null) => no_store(Response::new(Full::new(Bytes::new()))),
        Ok(body) => no_store(json(StatusCode::OK, &body)),
        Err(failure) => failed(&failure),
    }
}

/// The client id and secret of an `Authorization: Basic` header, each
/// form-decoded (RFC 6749 §2.3.1).
fn basic_credentials(request: &Request<Incoming>) -> Result<Option<(String, String)>, Failure> {
    let Some(value) = request.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed = || Failure {
        status: 401,
        error: "invalid_client",
        description: "the Authorization header is not HTTP Basic with a client id and secret"
            .into(),
    };
    let encoded = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Basic "))
        .ok_or_else(malformed)?;
    let decoded = STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(malformed)?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    let decode = |part: &str| -> String {
        url::form_urlencoded::parse(format!("x={part}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Ok(Some((decode(id), decode(secret))))
}

fn json(status: StatusCode, value: &Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(value.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn text(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn redirect(location: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::FOUND;
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    no_store(response)
}

fn failed(failure: &Failure) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(failure.status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = no_store(json(status, &failure.body()));
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"ocf-devsim\""),
        );
    }
    response
}

/// Tokens and codes are never cached (RFC 6749 §5.1).
fn no_store(mut response: Response<Full<Bytes>>) -> Response<Full<Bytes>> {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}
