//! The writes that point a device at a cloud (FACTS §1.1 step 3, §1.3):
//! the cloud's trust anchor, its access control entry, and the cloud
//! configuration itself. Data only, like the ownership plan: they run over
//! an owner session between RFPRO and RFNOP (`configure.rs`), or inside the
//! device ownership connection when a device is owned and configured in one
//! go (`provision`).

use ciborium::Value as Cbor;
use uuid::Uuid;

use crate::otm::Step;

/// Where and how a device reaches its cloud.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloudSettings {
    /// `cis`: the cloud interface server, e.g. `coaps+tcp://cloud.example:5684`.
    pub cis: String,
    /// `sid`: the cloud's UUID; also the subject of its trust anchor and
    /// ACE, and the CN (`uuid:<sid>`) of its server certificate.
    pub sid: Uuid,
    /// `apn`: the authorisation provider name the cloud knows.
    pub apn: String,
    /// The cloud's CA certificate(s), PEM.
    pub trust_anchor: String,
}

/// Device configuration resources the cloud needs explicit `href`s for:
/// wildcard ACEs do not cover them on the reference device (FACTS §1.3).
const CLOUD_DCRS: [&str; 5] = ["/oic/d", "/oic/p", "/oic/res", "/oic/mnt", "/oc/swu"];

/// Full access (CRUDN).
const FULL: u64 = 31;

/// The cloud's trust anchor: credtype 8, credusage trustca, subject = sid.
pub fn trust_anchor_step(cloud: &CloudSettings) -> Step {
    Step::post(
        "install the cloud's trust anchor",
        "/oic/sec/cred",
        map(vec![(
            "creds",
            Cbor::Array(vec![map(vec![
                ("subjectuuid", text(&cloud.sid.to_string())),
                ("credtype", Cbor::Integer(8.into())),
                ("credusage", text("oic.sec.cred.trustca")),
                (
                    "publicdata",
                    map(vec![
                        ("data", text(&cloud.trust_anchor)),
                        ("encoding", text("oic.sec.encoding.pem")),
                    ]),
                ),
            ])]),
        )]),
    )
}

/// The cloud's ACE: subject = sid, every resource, and the device
/// configuration resources by name.
pub fn cloud_ace_step(cloud: &CloudSettings) -> Step {
    let mut resources = vec![map(vec![("wc", text("*"))])];
    resources.extend(CLOUD_DCRS.iter().map(|h| map(vec![("href", text(h))])));
    Step::post(
        "grant the cloud access to the device",
        "/oic/sec/acl2",
        map(vec![(
            "aclist2",
            Cbor::Array(vec![map(vec![
                ("subject", map(vec![("uuid", text(&cloud.sid.to_string()))])),
                ("resources", Cbor::Array(resources)),
                ("permission", Cbor::Integer(FULL.into())),
            ])]),
        )]),
    )
}

/// `{cis, sid, apn, at}` to the device's cloud configuration resource.
pub fn configuration_step(cloud: &CloudSettings, href: &str, token: &str) -> Step {
    Step::post(
        "write the cloud configuration",
        href,
        map(vec![
            ("apn", text(&cloud.apn)),
            ("at", text(token)),
            ("cis", text(&cloud.cis)),
            ("sid", text(&cloud.sid.to_string())),
        ]),
    )
}

/// `{"cis": ""}`: the device leaves its cloud.
pub fn deregistration_step(href: &str) -> Step {
    Step::post("leave the cloud", href, map(vec![("cis", text(""))]))
}

/// What of the cloud's setup the device already holds, from its cred and
/// acl2 representations: neither is written twice.
pub fn already_present(cloud: &CloudSettings, cred: &Cbor, acl2: &Cbor) -> (bool, bool) {
    use crate::ocf::resources::field;
    let sid = cloud.sid.to_string();
    let anchor = field(cred, "creds")
        .and_then(Cbor::as_array)
        .is_some_and(|creds| {
            creds.iter().any(|c| {
                let usage = field(c, "credusage").and_then(Cbor::as_text);
                let subject = field(c, "subjectuuid").and_then(Cbor::as_text);
                let data = field(c, "publicdata")
                    .and_then(|p| field(p, "data"))
                    .and_then(Cbor::as_text);
                usage == Some("oic.sec.cred.trustca")
                    && subject.is_some_and(|s| s.eq_ignore_ascii_case(&sid))
                    && data.is_some_and(|d| same_pem(d, &cloud.trust_anchor))
            })
        });
    let ace = field(acl2, "aclist2")
        .and_then(Cbor::as_array)
        .is_some_and(|aces| {
            aces.iter().any(|a| {
                field(a, "subject")
                    .and_then(|s| field(s, "uuid"))
                    .and_then(Cbor::as_text)
                    .is_some_and(|u| u.eq_ignore_ascii_case(&sid))
            })
        });
    (anchor, ace)
}

fn same_pem(a: &str, b: &str) -> bool {
    let squeeze = |s: &str| s.split_whitespace().collect::<String>();
    squeeze(a) == squeeze(b)
}

fn map(entries: Vec<(&str, Cbor)>) -> Cbor {
    Cbor::Map(entries.into_iter().map(|(k, v)| (text(k), v)).collect())
}

fn text(s: &str) -> Cbor {
    Cbor::Text(s.to_owned())
}
