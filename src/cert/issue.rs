//! `cert issue`, `cert renew`, and the identity certificate written inside
//! an ownership session: read the device's CSR (`/oic/sec/csr`), check it
//! before anything is signed, have it signed, check what came back, and
//! write the certificate and its CA under RFPRO.

use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use uuid::Uuid;

use super::error::CertError;
use super::plan::{certificate_creds, delete_step, identity_step, superseded};
use super::signer::{Issued, Signer};
use crate::coap::Code;
use crate::interact::Progress;
use crate::mediator::{Located, Mediator};
use crate::ocf::address::DeviceRef;
use crate::ocf::link::{Session, cbor_body};
use crate::ocf::pki::{self, IdentityCsr};
use crate::ocf::representation::encode_cbor;
use crate::ocf::request::{ocf_get, ocf_request, ocf_request_with_body};
use crate::ocf::resources::field;
use crate::otm::{InSession, Prepared, Provisioning, Step};
use crate::store::DeviceCertificate;

/// What was written to a device.
#[derive(Clone, Debug)]
pub struct CertOutcome {
    pub di: Uuid,
    pub name: Option<String>,
    /// `local`, or `hub:<profile>`.
    pub signer: String,
    pub not_after: SystemTime,
    /// Credentials of an earlier certificate that were removed.
    pub replaced: usize,
}

/// Reads the device's CSR over `session` and checks it for `di`.
pub async fn read_csr(
    session: &mut Session,
    di: Uuid,
    label: &str,
    deadline: Instant,
) -> Result<IdentityCsr, CertError> {
    let step = "read its certificate signing request";
    let response = session
        .request(ocf_get("/oic/sec/csr"), deadline, step)
        .await?;
    let body = cbor_body(session.name(), step, &response)?;
    let csr = match field(&body, "csr") {
        Some(ciborium::Value::Text(pem)) => pem.as_bytes().to_vec(),
        Some(ciborium::Value::Bytes(der)) => der.clone(),
        _ => {
            return Err(CertError::BadCsr {
                device: label.to_owned(),
                problem: pki::CsrProblem::Unreadable("the csr resource holds no csr".into()),
            });
        }
    };
    pki::check_csr(&csr, di).map_err(|problem| CertError::BadCsr {
        device: label.to_owned(),
        problem,
    })
}

/// Gives a device this mediator owns an identity certificate from `signer`,
/// over an owner session: replaces one it had from us.
pub async fn issue(
    m: &Mediator,
    device: &DeviceRef,
    signer: &Signer,
) -> Result<CertOutcome, CertError> {
    let deadline = crate::net::now() + m.timeout();
    let located = m.locate(device, deadline).await?;
    issue_located(m, &located, signer, deadline).await
}

/// Renews the identity certificate of a device, from the signer `signer`
/// (by default the one that signed the certificate on record).
pub async fn renew(
    m: &Mediator,
    device: &DeviceRef,
    signer: impl AsyncFnOnce(&str) -> Result<Signer, CertError>,
) -> Result<CertOutcome, CertError> {
    let deadline = crate::net::now() + m.timeout();
    let located = m.locate(device, deadline).await?;
    let recorded = m.store().device_certificate(located.record.di).await?;
    let Some(recorded) = recorded else {
        return Err(CertError::NoCertificate {
            device: located.label(),
        });
    };
    let signer = signer(&recorded.signer).await?;
    issue_located(m, &located, &signer, deadline).await
}

/// As [`issue`], for a device already located, within `deadline`.
pub async fn issue_located(
    m: &Mediator,
    located: &Located,
    signer: &Signer,
    deadline: Instant,
) -> Result<CertOutcome, CertError> {
    let label = located.label();
    let Some(entry) = located.entry.as_ref().filter(|e| e.complete) else {
        return Err(CertError::NotOurs { device: label });
    };
    let di = located.record.di;
    let progress = |what: &str| {
        m.interaction().progress(&Progress::Step {
            subject: &label,
            what,
        })
    };
    m.prepare_sessions(entry.keyring);
    let owner = m.owner().await?;
    let mut session = m.owner_session(located, deadline).await?;
    let result = async {
        progress("reading its certificate signing request");
        m.checkpoint()?;
        let csr = read_csr(&mut session, di, &label, deadline).await?;
        progress(&format!(
            "having it signed by the {} signer",
            signer.kind_name()
        ));
        let issued = signer.sign(m.store(), m.keyring(), owner, &csr).await?;
        m.checkpoint()?;
        let step = "read its credentials";
        let response = session
            .request(ocf_get("/oic/sec/cred"), deadline, step)
            .await?;
        let creds = certificate_creds(&cbor_body(session.name(), step, &response)?);
        let previous = m.store().device_certificate(di).await?;
        let old = superseded(
            &creds,
            di,
            owner,
            previous.as_ref().map(|p| p.trust_anchor_pem.as_str()),
            &issued,
        );
        let anchor_present = has_anchor(&creds, owner, &issued);
        let mut steps = vec![crate::otm::rfpro_step()];
        steps.push(identity_step(di, owner, &issued, !anchor_present));
        steps.extend(old.iter().map(|credid| delete_step(*credid)));
        for (i, step) in steps.iter().enumerate() {
            progress(step.what);
            if let Err(error) = send(m, &mut session, step, deadline).await {
                if i > 0 {
                    // Back to RFNOP, so the device keeps working as before.
                    let _ = send(m, &mut session, &crate::otm::rfnop_step(), deadline).await;
                }
                return Err(error);
            }
        }
        progress("back to normal operation");
        send(m, &mut session, &crate::otm::rfnop_step(), deadline)
            .await
            .map_err(|e| match e {
                CertError::Device { error, .. } => CertError::Device {
                    error,
                    in_rfpro: true,
                },
                other => other,
            })?;
        record(m, di, signer, &issued).await?;
        Ok(CertOutcome {
            di,
            name: located.record.name.clone(),
            signer: signer.name(),
            not_after: issued.not_after,
            replaced: old.len(),
        })
    }
    .await;
    session.close().await;
    if result.is_ok() {
        m.interaction()
            .progress(&Progress::Done { subject: &label });
    }
    result
}

/// Whether the device already trusts the CA of `issued` for this mediator.
fn has_anchor(creds: &[super::plan::CertCred], owner: Uuid, issued: &Issued) -> bool {
    let owner = owner.to_string();
    let anchor = issued.anchor.as_slice();
    creds.iter().any(|c| {
        c.usage == super::plan::TRUST_CA
            && c.subject.eq_ignore_ascii_case(&owner)
            && pki::pem_certificates(&c.pem)
                .iter()
                .any(|der| der == anchor)
    })
}

/// Records what a device was given.
async fn record(m: &Mediator, di: Uuid, signer: &Signer, issued: &Issued) -> Result<(), CertError> {
    record_in(m.store(), di, signer, issued).await
}

async fn record_in(
    store: &crate::store::Store,
    di: Uuid,
    signer: &Signer,
    issued: &Issued,
) -> Result<(), CertError> {
    store
        .put_device_certificate(DeviceCertificate {
            di,
            signer: signer.name(),
            not_after: issued.not_after,
            chain_pem: issued.chain_pem(),
            trust_anchor_pem: issued.anchor_pem(),
            issued: None,
        })
        .await?;
    Ok(())
}

async fn send(
    m: &Mediator,
    session: &mut Session,
    step: &Step,
    deadline: Instant,
) -> Result<(), CertError> {
    m.checkpoint()?;
    let request = match &step.body {
        Some(body) => ocf_request_with_body(step.code, &step.href, encode_cbor(body)),
        None => ocf_request(step.code, &step.href),
    };
    let response = session.request(request, deadline, step.what).await?;
    if response.code == Code::NOT_FOUND && step.code == Code::DELETE {
        return Ok(());
    }
    crate::ocf::link::expect_success(session.name(), step.what, &response)?;
    Ok(())
}

/// The identity certificate inside an ownership session: the CSR is read
/// in the session once the device has its new UUID, signed while the
/// session goes on, and written in RFPRO with the other provisioning. The
/// device's certificate is recorded by [`IdentityInDoc::record`] once the
/// ownership succeeded.
pub struct IdentityInDoc {
    signer: Signer,
    store: crate::store::Store,
    keyring: crate::store::KeyringKind,
    owner: Uuid,
    label: String,
    issued: Arc<Mutex<Option<(Uuid, Issued)>>>,
    /// Whether the store holds the record of `issued` already.
    recorded: std::sync::atomic::AtomicBool,
}

impl IdentityInDoc {
    /// For the device people know as `label`, owned by `owner`.
    pub fn new(m: &Mediator, signer: Signer, owner: Uuid, label: String) -> IdentityInDoc {
        IdentityInDoc {
            signer,
            store: m.store().clone(),
            keyring: m.keyring(),
            owner,
            label,
            issued: Arc::new(Mutex::new(None)),
            recorded: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// Who signs.
    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// Records the certificate written in the session, unless the
    /// ownership did already ([`Provisioning::owned`]); call it once `own`
    /// succeeded. `None` when none was written (the ownership was only
    /// finished, over an owner session).
    pub async fn record(&self) -> Result<Option<CertOutcome>, CertError> {
        let issued = self.issued.lock().unwrap_or_else(|e| e.into_inner()).take();
        let Some((di, issued)) = issued else {
            return Ok(None);
        };
        if !self.recorded.load(std::sync::atomic::Ordering::Acquire) {
            record_in(&self.store, di, &self.signer, &issued).await?;
        }
        Ok(Some(CertOutcome {
            di,
            name: None,
            signer: self.signer.name(),
            not_after: issued.not_after,
            replaced: 0,
        }))
    }
}

impl Provisioning for IdentityInDoc {
    fn needs_cloud_conf(&self) -> bool {
        false
    }

    fn owned(
        &self,
        di: Uuid,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            let issued = self
                .issued
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            if let Some((written_to, issued)) = issued.filter(|(d, _)| *d == di) {
                // A failure here is retried by `record`, which reports it.
                if record_in(&self.store, written_to, &self.signer, &issued)
                    .await
                    .is_ok()
                {
                    self.recorded
                        .store(true, std::sync::atomic::Ordering::Release);
                }
            }
        })
    }

    fn prepare(&self, _di: Uuid, _cloud_conf: Option<String>) -> Prepared {
        Box::pin(async { Ok(Vec::new()) })
    }

    fn read_in_session<'a>(
        &'a self,
        di: Uuid,
        session: &'a mut Session,
        deadline: Instant,
    ) -> InSession<'a> {
        Box::pin(async move {
            let csr = read_csr(session, di, &self.label, deadline).await?;
            let signer = self.signer.clone();
            let (store, keyring, owner) = (self.store.clone(), self.keyring, self.owner);
            let issued = Arc::clone(&self.issued);
            let prepared: Prepared = Box::pin(async move {
                let signed = signer.sign(&store, keyring, owner, &csr).await?;
                let step = identity_step(di, owner, &signed, true);
                *issued.lock().unwrap_or_else(|e| e.into_inner()) = Some((di, signed));
                Ok(vec![step])
            });
            Ok(Some(prepared))
        })
    }
}
