//! Owner sessions over the certificate suites (0xC0AE, then 0xC0AC): the
//! mediator shows its own identity certificate (`CN=uuid:<owner>`, from
//! the signer that signed the device's), which the device authorizes
//! through the trust anchor written for the owner with its certificate;
//! the mediator trusts only that CA for the device, and only a device
//! certificate that names the device's UUID.

use std::sync::Arc;
use std::time::Instant;

use super::error::CertError;
use super::signer::Signer;
use crate::coap::Request;
use crate::dtls::{CertifiedKey, CipherSuite, ClientConfig};
use crate::mediator::{Exchanged, Located, Mediator, secure_endpoint};
use crate::ocf::DeviceError;
use crate::ocf::address::{DeviceRef, Endpoint, Scheme};
use crate::ocf::link::Session;
use crate::ocf::pki;

/// The suites of a certificate owner session, in OCF's order of preference.
pub const CERTIFICATE_SUITES: [CipherSuite; 2] = [
    CipherSuite::EcdheEcdsaWithAes128Ccm8,
    CipherSuite::EcdheEcdsaWithAes128Ccm,
];

/// Opens an owner session with a device we gave an identity certificate,
/// authenticated by certificates on both sides. `signer_for` makes the
/// signer named on the device's record (`local`, `hub:<profile>`): the
/// mediator's own identity certificate comes from it, made on first use.
pub async fn certificate_session(
    m: &Mediator,
    located: &Located,
    signer_for: impl AsyncFnOnce(&str) -> Result<Signer, CertError>,
    deadline: Instant,
) -> Result<Session, CertError> {
    let label = located.label();
    if located.entry.as_ref().is_none_or(|e| !e.complete) {
        return Err(CertError::NotOurs { device: label });
    }
    let di = located.record.di;
    let Some(recorded) = m.store().device_certificate(di).await? else {
        return Err(CertError::NoCertificate { device: label });
    };
    let signer = signer_for(&recorded.signer).await?;
    let owner = m.owner().await?;
    let identity = signer.owner_identity(m.store(), m.keyring(), owner).await?;
    let certificate = CertifiedKey::new(identity.chain(), identity.pkcs8()).map_err(|e| {
        CertError::BadCertificate {
            signer: signer.kind_name().into(),
            detail: format!("the mediator's own identity certificate: {e}"),
        }
    })?;
    let mut config = ClientConfig::new(&CERTIFICATE_SUITES);
    config.common.certificate = Some(certificate);
    config.common.trust_anchors = pki::pem_certificates(&recorded.trust_anchor_pem);
    let secure = secure_endpoint(located)?;
    m.checkpoint()?;
    let session = Session::open(
        secure,
        Arc::new(config),
        deadline,
        "certificate owner session",
        0,
    )
    .await?;
    let named = session
        .peer_certificates()
        .first()
        .and_then(|leaf| pki::subject_uuid(leaf));
    if named != Some(di) {
        let name = session.name().to_owned();
        session.close().await;
        return Err(CertError::Device {
            error: DeviceError::Malformed {
                peer: name,
                step: "certificate owner session".into(),
                detail: format!(
                    "its certificate names {}, not uuid:{di}",
                    named.map_or_else(|| "no UUID".to_owned(), |u| format!("uuid:{u}"))
                ),
            },
            in_rfpro: false,
        });
    }
    Ok(session)
}

/// Sends `request` to a device we own over a certificate owner session.
pub async fn request_with_certificate(
    m: &Mediator,
    device: &DeviceRef,
    request: Request,
    signer_for: impl AsyncFnOnce(&str) -> Result<Signer, CertError>,
) -> Result<Exchanged, CertError> {
    let deadline = crate::net::now() + m.timeout();
    let located = m.locate(device, deadline).await?;
    let step = format!("{} {}", request.code.name(), request.options.uri_path());
    let mut session = certificate_session(m, &located, signer_for, deadline).await?;
    let endpoint = Endpoint {
        scheme: Scheme::Coaps,
        addr: session.peer(),
    };
    let suite = Some(session.suite());
    m.checkpoint()?;
    let response = session.request(request, deadline, &step).await;
    session.close().await;
    Ok(Exchanged {
        endpoint,
        response: response?,
        owner_session: true,
        suite,
        refused_ocf_options: None,
    })
}
