//! One request to one device, over CoAP or CoAP over DTLS, and how its
//! answer is shown: what `get` and `update` share.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use super::args::{DtlsArgs, GlobalArgs};
use super::credentials::client_config;
use super::exit::{Exit, failure};
use super::output::Output;
use super::resolve::resolve_device;
use super::session::{locate, owner_config, owner_key, secure_endpoint};
use crate::coap::{ClientConfig, Code, Event, Request, Response};
use crate::net::CoapEndpoint;
use crate::net::secure::{SecureSession, SessionError};
use crate::ocf::address::{DeviceRef, Endpoint, Scheme, format_addr};
use crate::ocf::representation::{Shown, show_payload};
use crate::ocf::request::strip_ocf_options;
use crate::store::Store;

/// Sends `request` to DEVICE and returns where it went and the whole answer.
/// For coaps:// the DTLS credentials come from `dtls` (a PSK from `key_input`).
pub async fn exchange(
    device: &str,
    request: Request,
    dtls: &DtlsArgs,
    key_input: &mut dyn std::io::Read,
    global: &GlobalArgs,
    output: &Output,
) -> anyhow::Result<(Endpoint, Response)> {
    if !has_credentials(dtls) {
        if let Some(answer) = owner_exchange(device, &request, global, output).await? {
            return Ok(answer);
        }
    }
    let endpoint = resolve_device(device, global.timeout, output).await?;
    output.debug(&format!(
        "{} {} to {endpoint}",
        request.code.name(),
        request.options.uri_path()
    ));
    let deadline = Instant::now() + global.timeout;
    let response = match endpoint.scheme {
        Scheme::Coap => send_plain(endpoint.addr, request, deadline, output).await?,
        Scheme::Coaps => {
            let config = client_config(dtls, key_input)?;
            send_secure(endpoint.addr, config, request, deadline, output).await?
        }
    };
    Ok((endpoint, response))
}

fn has_credentials(dtls: &DtlsArgs) -> bool {
    dtls.psk_identity.is_some() || dtls.cert.is_some() || !dtls.ca.is_empty()
}

/// A device this mediator owns, named by UUID or by one of its coaps://
/// endpoints, is asked over an owner session keyed from the keyring.
async fn owner_exchange(
    device: &str,
    request: &Request,
    global: &GlobalArgs,
    output: &Output,
) -> anyhow::Result<Option<(Endpoint, Response)>> {
    let store = Store::open(global.state_dir.as_deref())?;
    let owned = match DeviceRef::parse(device) {
        DeviceRef::Uuid(di) => store.device(di).await?,
        DeviceRef::Address {
            scheme: Scheme::Coaps,
            ..
        } => {
            let uri = device.trim_end_matches('/');
            store.device_with_endpoint(uri).await?
        }
        // A name that exactly one owned device has.
        DeviceRef::Name(name) => {
            let mut named = store.devices_named(&name).await?;
            match named.len() {
                1 => named.pop(),
                _ => None,
            }
        }
        _ => None,
    };
    let Some(entry) = owned else {
        return Ok(None);
    };
    let di = &entry.di;
    store.warm_up(entry.keyring);
    crate::net::secure::prepare_ephemeral_keys(1);
    let owner = store.mediator_uuid().await?;
    let record = locate(&di.to_string(), &store, global.timeout, output).await?;
    let key = owner_key(&store, &entry).await?;
    let secure = secure_endpoint(&record)?;
    output.debug(&format!("{di}: owner session to {}", format_addr(secure)));
    let deadline = Instant::now() + global.timeout;
    let response = send_secure(
        secure,
        owner_config(owner, key.bytes()),
        request.clone(),
        deadline,
        output,
    )
    .await?;
    Ok(Some((
        Endpoint {
            scheme: Scheme::Coaps,
            addr: secure,
        },
        response,
    )))
}

/// Prints an answer (JSON line or representation) or turns a refusal into
/// an error with exit code 6.
pub fn report(
    endpoint: &Endpoint,
    method: &str,
    href: &str,
    response: &Response,
    output: &Output,
) -> anyhow::Result<Exit> {
    let peer = endpoint.addr;
    let shown = show_payload(response.content_format(), &response.payload)
        .map_err(|e| failure(Exit::Failed, format!("{}: {href}: {e}", format_addr(peer))))?;
    if !response.code.is_success() {
        let detail = match &shown {
            Shown::Text(t) if !t.is_empty() => format!(": {t}"),
            _ => String::new(),
        };
        return Err(failure(
            Exit::Refused,
            format!(
                "{} answered {} {} to {method} {href}{detail}{}",
                format_addr(peer),
                response.code,
                response.code.name(),
                hint(response.code)
            ),
        ));
    }
    if output.json {
        let value = match shown {
            Shown::Json(v) => v,
            Shown::Text(t) | Shown::Binary(t) => serde_json::Value::String(t),
        };
        output.json_line(&serde_json::json!({
            "device": endpoint.to_string(),
            "href": href,
            "code": response.code.to_string(),
            "content_format": response.content_format(),
            "representation": value,
        }));
    } else {
        match shown {
            Shown::Json(v) => println!("{}", serde_json::to_string_pretty(&v)?),
            Shown::Text(t) => println!("{t}"),
            Shown::Binary(b) => println!("{b}"),
        }
    }
    Ok(Exit::Success)
}

/// A request over plain CoAP; a generic CoAP server that does not know OCF's
/// options is asked again without them.
pub(crate) async fn send_plain(
    peer: SocketAddr,
    mut request: Request,
    deadline: Instant,
    output: &Output,
) -> anyhow::Result<Response> {
    let mut endpoint = CoapEndpoint::new(ClientConfig::default())?;
    let response = fetch(&mut endpoint, peer, request.clone(), deadline).await?;
    if !matches!(response.code, Code::BAD_OPTION | Code::NOT_ACCEPTABLE) {
        return Ok(response);
    }
    output.debug(&format!(
        "{} answered {} {}: asking again without OCF's options",
        format_addr(peer),
        response.code,
        response.code.name()
    ));
    strip_ocf_options(&mut request);
    fetch(&mut endpoint, peer, request, deadline).await
}

/// A request over a DTLS session, closed with close_notify afterwards.
async fn send_secure(
    peer: SocketAddr,
    config: Arc<crate::dtls::ClientConfig>,
    mut request: Request,
    deadline: Instant,
    output: &Output,
) -> anyhow::Result<Response> {
    let name = format_addr(peer);
    let mut session = SecureSession::connect(peer, config, deadline)
        .await
        .map_err(|e| session_failure(&name, "DTLS handshake failed", e))?;
    output.debug(&format!("{name}: DTLS session with {:?}", session.suite()));
    let mut response = session
        .request(request.clone(), deadline)
        .await
        .map_err(|e| session_failure(&name, "request failed", e))?;
    if matches!(response.code, Code::BAD_OPTION | Code::NOT_ACCEPTABLE) {
        strip_ocf_options(&mut request);
        response = session
            .request(request, deadline)
            .await
            .map_err(|e| session_failure(&name, "request failed", e))?;
    }
    session.close().await;
    Ok(response)
}

pub(crate) fn session_failure(name: &str, what: &str, error: SessionError) -> anyhow::Error {
    let exit = if error.is_authentication() {
        Exit::AuthFailed
    } else if matches!(
        error,
        SessionError::TimedOut | SessionError::Dtls(crate::dtls::Error::Timeout)
    ) {
        Exit::TimedOut
    } else {
        Exit::Failed
    };
    let hint = if exit == Exit::AuthFailed && !matches!(error, SessionError::KeysNotConfirmed) {
        " (check the identity, key or trust anchors)"
    } else {
        ""
    };
    failure(exit, format!("{name}: {what}: {error}{hint}"))
}

async fn fetch(
    endpoint: &mut CoapEndpoint,
    peer: SocketAddr,
    request: Request,
    deadline: Instant,
) -> anyhow::Result<Response> {
    let id = endpoint.request(peer, request);
    loop {
        match endpoint.next_event(Some(deadline)).await {
            Some(Event::Response {
                id: got, response, ..
            }) if got == id => return Ok(response),
            Some(Event::Failed { id: got, error, .. }) if got == id => {
                let exit = match error {
                    crate::coap::client::Error::Timeout => Exit::TimedOut,
                    _ => Exit::Failed,
                };
                return Err(failure(exit, format!("{}: {error}", format_addr(peer))));
            }
            Some(_) => continue,
            None => {
                return Err(failure(
                    Exit::TimedOut,
                    format!("{} did not answer in time (--timeout)", format_addr(peer)),
                ));
            }
        }
    }
}

pub fn normalize_href(href: &str) -> anyhow::Result<String> {
    let href = href.trim();
    if href.is_empty() || href.contains(char::is_whitespace) {
        return Err(failure(
            Exit::Usage,
            format!("{href:?} is not a resource path; expected something like /oic/d"),
        ));
    }
    Ok(if href.starts_with('/') {
        href.to_owned()
    } else {
        format!("/{href}")
    })
}

fn hint(code: Code) -> &'static str {
    match code {
        Code::UNAUTHORIZED => " (the device serves it only over a secure session)",
        Code::NOT_FOUND => " (no such resource; `get DEVICE /oic/res` lists them)",
        _ => "",
    }
}
