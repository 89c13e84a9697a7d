//! Requests to a device, over plain CoAP or a DTLS session, with every
//! failure reported as a [`DeviceError`] naming the device and the step.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use super::address::format_addr;
use super::error::DeviceError;
use super::representation::decode_cbor;
use super::request::strip_ocf_options;
use crate::coap::{Code, Request, Response};
use crate::dtls::{self, CipherSuite, ClientConfig};
use crate::net::plain::{PlainError, PlainSession};
use crate::net::secure::SecureSession;

/// One request over plain CoAP. A generic CoAP server that rejects OCF's
/// options (4.02 Bad Option, 4.06 Not Acceptable) is asked again without them.
pub async fn plain_request(
    peer: SocketAddr,
    request: Request,
    deadline: Instant,
    step: &str,
) -> Result<Response, DeviceError> {
    plain_request_with_fallback(peer, request, deadline, step)
        .await
        .map(|answer| answer.response)
}

/// An answer, and the refusal of OCF's options that came before it.
pub struct Answer {
    pub response: Response,
    /// The code with which the peer refused OCF's options, when it did
    /// and was asked again without them.
    pub refused_ocf_options: Option<Code>,
}

/// As [`plain_request`], saying whether the request went again without
/// OCF's options.
pub async fn plain_request_with_fallback(
    peer: SocketAddr,
    mut request: Request,
    deadline: Instant,
    step: &str,
) -> Result<Answer, DeviceError> {
    let name = format_addr(peer);
    let fail = |e: PlainError| plain_failure(&name, step, e);
    let mut session = PlainSession::open(peer).await.map_err(fail)?;
    let response = session
        .request(request.clone(), deadline)
        .await
        .map_err(fail)?;
    if !matches!(response.code, Code::BAD_OPTION | Code::NOT_ACCEPTABLE) {
        return Ok(Answer {
            response,
            refused_ocf_options: None,
        });
    }
    strip_ocf_options(&mut request);
    let refused = response.code;
    let response = session.request(request, deadline).await.map_err(fail)?;
    Ok(Answer {
        response,
        refused_ocf_options: Some(refused),
    })
}

fn plain_failure(peer: &str, step: &str, error: PlainError) -> DeviceError {
    match error {
        PlainError::Unreachable => DeviceError::Unreachable {
            peer: peer.to_owned(),
        },
        PlainError::TimedOut => DeviceError::TimedOut {
            peer: peer.to_owned(),
            step: step.to_owned(),
        },
        PlainError::Coap(e) => DeviceError::from_coap(peer, step, e),
        PlainError::Io(e) => DeviceError::Network {
            peer: peer.to_owned(),
            detail: e.to_string(),
        },
    }
}

/// A refusal (4.xx, 5.xx) as an error naming the step.
pub fn expect_success(peer: &str, step: &str, response: &Response) -> Result<(), DeviceError> {
    if response.code.is_success() {
        return Ok(());
    }
    let diagnostic = std::str::from_utf8(&response.payload)
        .ok()
        .filter(|t| !t.is_empty() && response.content_format().is_none())
        .filter(|t| *t != response.code.name())
        .map(|t| t.chars().take(200).collect());
    Err(DeviceError::Refused {
        peer: peer.to_owned(),
        step: step.to_owned(),
        code: response.code,
        diagnostic,
    })
}

/// A successful answer's CBOR body.
pub fn cbor_body(
    peer: &str,
    step: &str,
    response: &Response,
) -> Result<ciborium::Value, DeviceError> {
    expect_success(peer, step, response)?;
    decode_cbor(&response.payload).map_err(|e| DeviceError::Malformed {
        peer: peer.to_owned(),
        step: step.to_owned(),
        detail: e.to_string(),
    })
}

/// The configuration of an owner session: ECDHE-PSK (then PSK-CCM8) with
/// the owner UUID's 16 bytes as identity (FACTS §2.1).
pub fn owner_config(owner: uuid::Uuid, key: &[u8]) -> Arc<ClientConfig> {
    Arc::new(
        ClientConfig::new(&[
            CipherSuite::EcdhePskWithAes128CbcSha256,
            CipherSuite::PskWithAes128Ccm8,
        ])
        .with_psk(owner.as_bytes(), key),
    )
}

/// A DTLS session with a device.
pub struct Session {
    inner: SecureSession,
    name: String,
}

impl Session {
    /// Opens a session with `peer` before `deadline`; `step` names it in
    /// errors. `local_port` 0 picks a free port; the port of an earlier
    /// session takes that session's place at the device.
    pub async fn open(
        peer: SocketAddr,
        config: Arc<ClientConfig>,
        deadline: Instant,
        step: &str,
        local_port: u16,
    ) -> Result<Session, DeviceError> {
        Self::open_watching_keys(peer, config, deadline, step, local_port, |_| {}).await
    }

    /// As [`Session::open`], calling `on_keys` with the session's key
    /// material as soon as it exists (a round trip before the device
    /// confirms the handshake).
    pub async fn open_watching_keys(
        peer: SocketAddr,
        config: Arc<ClientConfig>,
        deadline: Instant,
        step: &str,
        local_port: u16,
        on_keys: impl FnMut(dtls::KeyMaterial),
    ) -> Result<Session, DeviceError> {
        let name = format_addr(peer);
        let fail = |e| DeviceError::from_session(&name, step, e);
        let socket = SecureSession::bind(peer, local_port).await.map_err(fail)?;
        let inner = SecureSession::handshake(socket, peer, config, deadline, on_keys)
            .await
            .map_err(fail)?;
        Ok(Session { inner, name })
    }

    /// A session opened by [`SecureSession`] directly, named `name` in errors.
    pub fn from_secure(inner: SecureSession, name: String) -> Session {
        Session { inner, name }
    }

    /// The same session, called `name` in its errors (a device's name and
    /// UUID rather than its address).
    pub fn named(mut self, name: String) -> Session {
        self.name = name;
        self
    }

    /// The device's address, as shown in messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn peer(&self) -> SocketAddr {
        self.inner.peer()
    }

    pub fn suite(&self) -> CipherSuite {
        self.inner.suite()
    }

    pub fn local_port(&self) -> u16 {
        self.inner.local_port()
    }

    /// Sends a request and returns the device's answer, whatever its code.
    pub async fn request(
        &mut self,
        request: Request,
        deadline: Instant,
        step: &str,
    ) -> Result<Response, DeviceError> {
        self.inner
            .request(request, deadline)
            .await
            .map_err(|e| DeviceError::from_session(&self.name, step, e))
    }

    /// As [`Session::request`], asking again without OCF's options when a
    /// generic CoAP server rejects them.
    pub async fn request_with_fallback(
        &mut self,
        mut request: Request,
        deadline: Instant,
        step: &str,
    ) -> Result<Response, DeviceError> {
        let response = self.request(request.clone(), deadline, step).await?;
        if !matches!(response.code, Code::BAD_OPTION | Code::NOT_ACCEPTABLE) {
            return Ok(response);
        }
        strip_ocf_options(&mut request);
        self.request(request, deadline, step).await
    }

    /// Ends the session with close_notify.
    pub async fn close(self) {
        self.inner.close().await;
    }
}
