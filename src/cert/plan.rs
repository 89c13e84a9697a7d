//! The requests that give a device its identity certificate (FACTS §1.1
//! step 5, as plgd's onboarding writes them): one cred POST with the
//! certificate (credtype 8, credusage `oic.sec.cred.cert`, subject = the
//! device; its chain without the trust anchor) and the CA that issued it as a trust anchor whose subject is
//! this mediator (credusage `oic.sec.cred.trustca`, subject = the owner
//! UUID: iotivity-lite authorizes a certificate peer only through a trust
//! anchor credential for its UUID). Data only, sent under RFPRO; and what a
//! device's cred representation says about earlier ones.

use ciborium::Value as Cbor;
use uuid::Uuid;

use super::signer::Issued;
use crate::coap::Code;
use crate::ocf::resources::field;
use crate::otm::{OnNotFound, Step};

pub const IDENTITY_CERT: &str = "oic.sec.cred.cert";
pub const TRUST_CA: &str = "oic.sec.cred.trustca";

/// The device's identity certificate and, with `with_anchor`, the owner's
/// trust anchor (left out when the device holds it already: a device keeps
/// a second copy as a second credential).
pub fn identity_step(di: Uuid, owner: Uuid, issued: &Issued, with_anchor: bool) -> Step {
    let cred = |subject: Uuid, usage: &str, pem: String| {
        map(vec![
            ("subjectuuid", text(&subject.to_string())),
            ("credtype", Cbor::Integer(8.into())),
            ("credusage", text(usage)),
            (
                "publicdata",
                map(vec![
                    ("data", Cbor::Text(pem)),
                    ("encoding", text("oic.sec.encoding.pem")),
                ]),
            ),
        ])
    };
    Step::post(
        "install its identity certificate",
        "/oic/sec/cred",
        map(vec![(
            "creds",
            Cbor::Array(
                std::iter::once(cred(di, IDENTITY_CERT, issued.written_chain_pem()))
                    .chain(with_anchor.then(|| cred(owner, TRUST_CA, issued.anchor_pem())))
                    .collect(),
            ),
        )]),
    )
}

/// Removes one credential (`DELETE /oic/sec/cred?credid=N`).
pub fn delete_step(credid: u64) -> Step {
    Step {
        what: "remove a superseded credential",
        code: Code::DELETE,
        href: format!("/oic/sec/cred?credid={credid}"),
        body: None,
        on_not_found: OnNotFound::Skip,
        needs_stored_key: false,
        uuid_taken: false,
    }
}

/// One certificate credential of a cred representation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertCred {
    pub credid: u64,
    pub subject: String,
    pub usage: String,
    pub pem: String,
}

/// The certificate credentials of a cred representation.
pub fn certificate_creds(cred: &Cbor) -> Vec<CertCred> {
    field(cred, "creds")
        .and_then(Cbor::as_array)
        .map(|creds| {
            creds
                .iter()
                .filter_map(|c| {
                    let number = |k| {
                        field(c, k)
                            .and_then(Cbor::as_integer)
                            .and_then(|i| u64::try_from(i).ok())
                    };
                    let text = |k| field(c, k).and_then(Cbor::as_text).map(str::to_owned);
                    if number("credtype") != Some(8) {
                        return None;
                    }
                    Some(CertCred {
                        credid: number("credid")?,
                        subject: text("subjectuuid")?,
                        usage: text("credusage").unwrap_or_default(),
                        pem: field(c, "publicdata")
                            .and_then(|p| field(p, "data"))
                            .and_then(Cbor::as_text)
                            .unwrap_or_default()
                            .to_owned(),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The credentials a new identity certificate supersedes: the device's
/// earlier identity certificates, and the owner's trust anchor written
/// with the earlier one (`previous_anchor`) when it differs from the new.
pub fn superseded(
    creds: &[CertCred],
    di: Uuid,
    owner: Uuid,
    previous_anchor: Option<&str>,
    issued: &Issued,
) -> Vec<u64> {
    let same = |a: &str, b: &str| squeeze(a) == squeeze(b);
    let (di, owner) = (di.to_string(), owner.to_string());
    let new_anchor = issued.anchor_pem();
    creds
        .iter()
        .filter(|c| {
            let old_identity = c.usage == IDENTITY_CERT && c.subject.eq_ignore_ascii_case(&di);
            let old_anchor = c.usage == TRUST_CA
                && c.subject.eq_ignore_ascii_case(&owner)
                && previous_anchor.is_some_and(|p| same(p, &c.pem))
                && !same(&c.pem, &new_anchor);
            old_identity || old_anchor
        })
        .map(|c| c.credid)
        .collect()
}

fn squeeze(s: &str) -> String {
    s.split_whitespace().collect()
}

fn map(entries: Vec<(&str, Cbor)>) -> Cbor {
    Cbor::Map(entries.into_iter().map(|(k, v)| (text(k), v)).collect())
}

fn text(s: &str) -> Cbor {
    Cbor::Text(s.to_owned())
}
