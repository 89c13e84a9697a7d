//! The access control entries an owner posts at the end of ownership.
//!
//! The reference device gives its owner implicit access only to acl2, doxm,
//! pstat and cred; wildcard ACEs do not cover device configuration resources
//! (DCRs), so each DCR this mediator will use needs an explicit `href`
//! (FACTS §1.3, §5). Permission bits: C 1, R 2, U 4, D 8, N 16.

use ciborium::Value as Cbor;
use uuid::Uuid;

const FULL: u64 = 31;
const READ: u64 = 2;
const SP_PERMISSION: u64 = 14;

/// The device configuration resources the owner needs besides acl2, doxm,
/// pstat and cred, plus the cloud configuration resource the device lists.
fn owner_dcrs(cloud_conf: Option<&str>) -> Vec<String> {
    let mut hrefs: Vec<String> = [
        "/oic/d",
        "/oic/p",
        "/oic/res",
        "/oic/mnt",
        "/oc/swu",
        "/oic/sec/sdi",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    // Real devices serve it at /CoapCloudConfResURI; the spec's name is
    // /oic/sec/coapcloudconf. Grant both, and whatever the device listed.
    for href in ["/CoapCloudConfResURI", "/oic/sec/coapcloudconf"]
        .into_iter()
        .chain(cloud_conf)
    {
        if !hrefs.iter().any(|h| h == href) {
            hrefs.push(href.to_owned());
        }
    }
    hrefs
}

/// The ACL the owner posts after the device ownership connection: full
/// access for the owner to everything it manages, /oic/sec/sp and csr as
/// the reference tool grants them, and unsecured discovery reads.
pub fn owner_aces(owner: Uuid, cloud_conf: Option<&str>) -> Cbor {
    let subject_owner = || map(vec![("uuid", text(&owner.to_string()))]);
    let resources =
        |hrefs: &[&str]| Cbor::Array(hrefs.iter().map(|h| map(vec![("href", text(h))])).collect());
    let dcrs = owner_dcrs(cloud_conf);
    let mut owner_resources: Vec<Cbor> = vec![map(vec![("wc", text("*"))])];
    owner_resources.extend(dcrs.iter().map(|h| map(vec![("href", text(h))])));
    let aces = vec![
        ace(1, subject_owner(), Cbor::Array(owner_resources), FULL),
        ace(
            2,
            subject_owner(),
            resources(&["/oic/sec/sp"]),
            SP_PERMISSION,
        ),
        ace(3, subject_owner(), resources(&["/oic/sec/csr"]), READ),
        ace(
            4,
            map(vec![("conntype", text("anon-clear"))]),
            resources(&["/oic/d", "/oic/p", "/oic/res"]),
            READ,
        ),
    ];
    map(vec![("aclist2", Cbor::Array(aces))])
}

fn ace(id: u64, subject: Cbor, resources: Cbor, permission: u64) -> Cbor {
    map(vec![
        ("aceid", Cbor::Integer(id.into())),
        ("subject", subject),
        ("resources", resources),
        ("permission", Cbor::Integer(permission.into())),
    ])
}

fn map(entries: Vec<(&str, Cbor)>) -> Cbor {
    Cbor::Map(entries.into_iter().map(|(k, v)| (text(k), v)).collect())
}

fn text(s: &str) -> Cbor {
    Cbor::Text(s.to_owned())
}
