//! Identity certificates (FACTS §1.1 step 5): a device's CSR read and
//! checked, signed by the hub's certificate authority or the mediator's
//! own CA, and written to the device with the CA as a trust anchor; the
//! mediator's own identity certificate from the same signer, for owner
//! sessions over the certificate suites.

mod error;
mod issue;
mod local_ca;
mod plan;
mod session;
mod signer;

pub use error::CertError;
pub use issue::{CertOutcome, IdentityInDoc, issue, issue_located, read_csr, renew};
pub use local_ca::{LOCAL_CA, LocalCa};
pub use plan::{
    CertCred, IDENTITY_CERT, TRUST_CA, certificate_creds, delete_step, identity_step, superseded,
};
pub use session::{CERTIFICATE_SUITES, certificate_session, request_with_certificate};
pub use signer::{Issued, Signer, owner_credential_name};
