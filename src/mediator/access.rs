//! Reaching a device with a request: over an owner session when it is
//! ours (keyed from the store), over DTLS with credentials the caller
//! brings, or over plain CoAP.

use std::net::SocketAddr;
use std::time::Instant;

use super::locate::{Located, resolve_host, same_host_endpoints};
use super::{AccessError, Mediator};
use crate::coap::{Request, Response};
use crate::ocf::DeviceError;
use crate::ocf::address::{DeviceRef, Endpoint, Scheme, format_addr};
use crate::ocf::credentials::Credentials;
use crate::ocf::link::{Session, owner_config, plain_request_with_fallback};
use crate::store::OwnedDevice;

/// How to reach a device for a request.
#[derive(Debug)]
pub enum Access {
    /// Over an owner session when the device is ours; else plain CoAP (a
    /// `coaps://` address of a device that is not ours needs credentials).
    Auto,
    /// Over DTLS with these credentials (the device is named by its
    /// `coaps://` address).
    With(Credentials),
}

/// A request carried out.
#[derive(Debug)]
pub struct Exchanged {
    /// Where it went.
    pub endpoint: Endpoint,
    /// The device's answer, whatever its code.
    pub response: Response,
    /// Whether it went over an owner session.
    pub owner_session: bool,
    /// The DTLS session's cipher suite, when there was one.
    pub suite: Option<crate::dtls::CipherSuite>,
    /// The code with which a generic CoAP peer refused OCF's options before
    /// it was asked again without them.
    pub refused_ocf_options: Option<crate::coap::Code>,
}

impl Mediator {
    /// Sends `request` to `device` and returns the answer.
    pub async fn request(
        &self,
        device: &DeviceRef,
        request: Request,
        access: Access,
    ) -> Result<Exchanged, AccessError> {
        let deadline = crate::net::now() + self.timeout();
        let step = format!("{} {}", request.code.name(), request.options.uri_path());
        if let Access::With(credentials) = access {
            let DeviceRef::Address {
                scheme: Scheme::Coaps,
                host,
                port,
            } = device
            else {
                return Err(AccessError::Invalid(
                    "DTLS credentials are for a device named by its coaps:// address".into(),
                ));
            };
            let addr = resolve_host(host, *port).await?;
            self.checkpoint()?;
            let mut session = Session::open(
                addr,
                credentials.client_config(),
                deadline,
                "DTLS handshake",
                0,
            )
            .await?;
            let suite = Some(session.suite());
            let response = session
                .request_with_fallback(request, deadline, &step)
                .await?;
            session.close().await;
            return Ok(Exchanged {
                endpoint: Endpoint {
                    scheme: Scheme::Coaps,
                    addr,
                },
                response,
                owner_session: false,
                suite,
                refused_ocf_options: None,
            });
        }
        let located = match device {
            DeviceRef::Address { scheme, host, port } => {
                let addr = resolve_host(host, *port).await?;
                let uri = Endpoint {
                    scheme: *scheme,
                    addr,
                }
                .to_string();
                // An address of a device we own goes over its owner
                // session; any other address gets the request as it is.
                if self.store().device_with_endpoint(&uri).await?.is_none() {
                    if *scheme == Scheme::Coaps {
                        return Err(AccessError::Invalid(format!(
                            "{uri} is not a device this mediator owns, so its DTLS session needs \
                             credentials: --psk-identity ID --psk-stdin (key as hex on stdin), or \
                             --ca FILE (with --cert FILE --key FILE for mutual authentication)"
                        )));
                    }
                    self.checkpoint()?;
                    let answer =
                        plain_request_with_fallback(addr, request, deadline, &step).await?;
                    return Ok(Exchanged {
                        endpoint: Endpoint::coap(addr),
                        response: answer.response,
                        owner_session: false,
                        suite: None,
                        refused_ocf_options: answer.refused_ocf_options,
                    });
                }
                self.locate(device, deadline).await?
            }
            _ => self.locate(device, deadline).await?,
        };
        match &located.entry {
            Some(entry) => {
                self.prepare_sessions(entry.keyring);
                let mut session = self.owner_session(&located, deadline).await?;
                let endpoint = Endpoint {
                    scheme: Scheme::Coaps,
                    addr: session.peer(),
                };
                self.checkpoint()?;
                let suite = Some(session.suite());
                let response = session.request(request, deadline, &step).await?;
                session.close().await;
                Ok(Exchanged {
                    endpoint,
                    response,
                    owner_session: true,
                    suite,
                    refused_ocf_options: None,
                })
            }
            None => {
                let addr = located.record.address;
                self.checkpoint()?;
                let answer = plain_request_with_fallback(addr, request, deadline, &step).await?;
                Ok(Exchanged {
                    endpoint: Endpoint::coap(addr),
                    response: answer.response,
                    owner_session: false,
                    suite: None,
                    refused_ocf_options: answer.refused_ocf_options,
                })
            }
        }
    }

    /// An owner session with a located device we own.
    pub async fn owner_session(
        &self,
        located: &Located,
        deadline: Instant,
    ) -> Result<Session, AccessError> {
        let Some(entry) = &located.entry else {
            return Err(AccessError::Invalid(format!(
                "{} is not owned by this mediator (`ocf-mediator devices` lists those it owns)",
                located.label()
            )));
        };
        let secure = secure_endpoint(located)?;
        self.open_owner_session(entry, secure, deadline, 0).await
    }

    /// An owner session with `entry`'s device at `secure`, from
    /// `local_port` (0: any).
    pub async fn open_owner_session(
        &self,
        entry: &OwnedDevice,
        secure: SocketAddr,
        deadline: Instant,
        local_port: u16,
    ) -> Result<Session, AccessError> {
        let owner = self.owner().await?;
        let key = self.store().owner_key(entry).await?;
        self.checkpoint()?;
        let session = Session::open(
            secure,
            owner_config(owner, key.bytes()),
            deadline,
            "owner session",
            local_port,
        )
        .await?;
        // What the device answers from now on is reported as the device's,
        // by the name and UUID we know it by, not by a bare address.
        let who = match entry.name.as_str() {
            "" => entry.di.to_string(),
            name => format!("{name} ({})", entry.di),
        };
        Ok(session.named(format!("{who} at {}", format_addr(secure))))
    }
}

/// The device's secure endpoint: from the `eps` it listed, else from our
/// record of it (a device asked over loopback lists none).
pub fn secure_endpoint(located: &Located) -> Result<SocketAddr, AccessError> {
    if let Some(endpoint) = located.record.coaps_endpoint() {
        return Ok(endpoint.addr);
    }
    let ip = located.record.address.ip();
    located
        .entry
        .iter()
        .flat_map(|e| same_host_endpoints(e, ip, Scheme::Coaps))
        .next()
        .ok_or_else(|| {
            DeviceError::NoSecureEndpoint {
                device: format!(
                    "{} at {}",
                    located.label(),
                    format_addr(located.record.address)
                ),
            }
            .into()
        })
}
