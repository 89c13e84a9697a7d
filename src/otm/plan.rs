//! The requests of an ownership transfer, in order (FACTS §2.4, the reference
//! onboarding tool's sequence, checked against the real device's decrypted
//! conversation).
//!
//! Two phases: `doc_steps` take the device and end with it leaving RFOTM;
//! `owner_steps` give the owner its ACL and end in RFNOP. Both run inside
//! the device ownership connection (DOC), as in the reference conversation;
//! `owner_steps` run over an owner session when `own` finishes an ownership
//! that was interrupted after the DOC was gone. The owner key is stored before the first
//! step that makes the device look owned (`owned`, then leaving RFOTM): every
//! interruption leaves either a device in RFOTM that the DOC can still reset
//! (and that resets itself when its DOC ends), or one that accepts the
//! stored key. The key is written while the earlier DOC steps run.

use ciborium::Value as Cbor;
use uuid::Uuid;

use super::acl::owner_aces;
use crate::coap::Code;

/// What a 4.04 answer to a step means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnNotFound {
    Fail,
    /// Optional resource (e.g. `/oic/sec/sdi` on older devices).
    Skip,
}

/// One request of the plan.
#[derive(Clone, Debug)]
pub struct Step {
    /// For progress and errors: what this step does.
    pub what: &'static str,
    pub code: Code,
    pub href: String,
    pub body: Option<Cbor>,
    pub on_not_found: OnNotFound,
    /// The owner key and the device's entry must be stored before this
    /// request is sent: from here on the device can end up owned.
    pub needs_stored_key: bool,
    /// After this request the device answers under its new UUID (its CSR
    /// names it): a provisioning's reads in the session follow it.
    pub uuid_taken: bool,
}

impl Step {
    /// A POST of `body` to `href`.
    pub fn post(what: &'static str, href: &str, body: Cbor) -> Step {
        Step {
            what,
            code: Code::POST,
            href: href.to_owned(),
            body: Some(body),
            on_not_found: OnNotFound::Fail,
            needs_stored_key: false,
            uuid_taken: false,
        }
    }

    pub(crate) fn after_key_is_stored(mut self) -> Step {
        self.needs_stored_key = true;
        self
    }
}

/// Inside the DOC: take the device (steps 3–12 of FACTS §2.4). `device` is
/// the device UUID it takes now; the owner PSK is derived with it.
pub fn doc_steps(owner: Uuid, device: Uuid, mediator_name: &str) -> Vec<Step> {
    let owner_text = || text(&owner.to_string());
    let rowner = || map(vec![("rowneruuid", owner_text())]);
    let mut sdi = Step::post(
        "join the owner's security domain",
        "/oic/sec/sdi",
        map(vec![
            ("uuid", owner_text()),
            ("name", text(mediator_name)),
            ("priv", Cbor::Bool(false)),
        ]),
    );
    sdi.on_not_found = OnNotFound::Skip;
    vec![
        Step::post(
            "select client-directed provisioning",
            "/oic/sec/pstat",
            map(vec![("om", Cbor::Integer(4.into()))]),
        ),
        Step::post(
            "set the device owner",
            "/oic/sec/doxm",
            map(vec![("devowneruuid", owner_text())]),
        ),
        Step {
            uuid_taken: true,
            ..Step::post(
                "give the device its new UUID",
                "/oic/sec/doxm",
                map(vec![("deviceuuid", text(&device.to_string()))]),
            )
        },
        Step::post("set the doxm resource owner", "/oic/sec/doxm", rowner()),
        Step::post("set the acl2 resource owner", "/oic/sec/acl2", rowner()),
        Step::post("set the pstat resource owner", "/oic/sec/pstat", rowner()),
        Step::post(
            "install the owner credential",
            "/oic/sec/cred",
            map(vec![
                (
                    "creds",
                    Cbor::Array(vec![map(vec![
                        ("credtype", Cbor::Integer(1.into())),
                        ("subjectuuid", owner_text()),
                        (
                            "privatedata",
                            map(vec![
                                ("encoding", text("oic.sec.encoding.raw")),
                                // Empty: the device derives the same key we did.
                                ("data", Cbor::Bytes(Vec::new())),
                            ]),
                        ),
                    ])]),
                ),
                ("rowneruuid", owner_text()),
            ]),
        ),
        sdi,
        Step::post(
            "mark the device owned",
            "/oic/sec/doxm",
            map(vec![("owned", Cbor::Bool(true))]),
        )
        .after_key_is_stored(),
        Step::post("move the device to RFPRO", "/oic/sec/pstat", dos(2)).after_key_is_stored(),
    ]
}

/// Replace the ACL and go to RFNOP (steps 13–15): in the DOC, or over an
/// owner session.
pub fn owner_steps(owner: Uuid, cloud_conf: Option<&str>) -> Vec<Step> {
    owner_steps_with(owner, cloud_conf, Vec::new())
}

/// As [`owner_steps`], with `provisioning` (e.g. the cloud's trust anchor,
/// ACE and configuration) sent after the owner's ACL and before RFNOP, so
/// that the clearing of the ACL does not undo them.
pub fn owner_steps_with(
    owner: Uuid,
    cloud_conf: Option<&str>,
    provisioning: Vec<Step>,
) -> Vec<Step> {
    let rfnop = Step::post("move the device to RFNOP", "/oic/sec/pstat", dos(3));
    vec![
        Step {
            what: "clear the ACL",
            code: Code::DELETE,
            href: "/oic/sec/acl2".into(),
            body: None,
            on_not_found: OnNotFound::Fail,
            needs_stored_key: false,
            uuid_taken: false,
        },
        Step::post(
            "grant the owner its resources",
            "/oic/sec/acl2",
            owner_aces(owner, cloud_conf),
        ),
    ]
    .into_iter()
    .chain(provisioning)
    .chain([rfnop])
    .map(Step::after_key_is_stored)
    .collect()
}

/// Selects the method, with an unsecured POST before the DOC, for every
/// method: the device accepts no ownership session before (FACTS §5), and
/// shows its PIN for a Random PIN.
pub fn select_step(method: super::Method) -> Step {
    Step::post(
        "select the ownership transfer method",
        "/oic/sec/doxm",
        map(vec![("oxmsel", Cbor::Integer(method.oxm().into()))]),
    )
}

/// pstat `dos.s` = RFPRO: the device may be provisioned.
pub fn rfpro_step() -> Step {
    Step::post("move the device to RFPRO", "/oic/sec/pstat", dos(2))
}

/// pstat `dos.s` = RFNOP: normal operation.
pub fn rfnop_step() -> Step {
    Step::post("move the device to RFNOP", "/oic/sec/pstat", dos(3))
}

/// Hard reset: the device wipes its security state and returns to RFOTM.
pub fn reset_step() -> Step {
    Step::post("reset the device", "/oic/sec/pstat", dos(0))
}

fn dos(s: u64) -> Cbor {
    map(vec![("dos", map(vec![("s", Cbor::Integer(s.into()))]))])
}

fn map(entries: Vec<(&str, Cbor)>) -> Cbor {
    Cbor::Map(entries.into_iter().map(|(k, v)| (text(k), v)).collect())
}

fn text(s: &str) -> Cbor {
    Cbor::Text(s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ocf::representation::cbor_to_json;

    /// The DOC requests are the reference tool's, in its order and with its
    /// bodies (vectors/jw-ownership-decrypted.txt), except that sdi carries
    /// our name.
    #[test]
    fn the_doc_requests_follow_the_reference_tool() {
        let owner: Uuid = "1f5b5c4d-56a4-45c2-57bc-98abe007ee36".parse().unwrap();
        let device: Uuid = "95dd205a-157f-4582-7432-1eed3000de30".parse().unwrap();
        let steps = doc_steps(owner, device, "ocf-mediator");
        let shown: Vec<String> = steps
            .iter()
            .map(|s| format!("{} {}", s.href, cbor_to_json(s.body.as_ref().unwrap())))
            .collect();
        assert_eq!(shown[0], r#"/oic/sec/pstat {"om":4}"#);
        assert_eq!(
            shown[1],
            r#"/oic/sec/doxm {"devowneruuid":"1f5b5c4d-56a4-45c2-57bc-98abe007ee36"}"#
        );
        assert_eq!(
            shown[2],
            r#"/oic/sec/doxm {"deviceuuid":"95dd205a-157f-4582-7432-1eed3000de30"}"#
        );
        assert!(shown[6].starts_with(r#"/oic/sec/cred {"creds":[{"credtype":1"#));
        assert_eq!(shown[8], r#"/oic/sec/doxm {"owned":true}"#);
        assert_eq!(shown[9], r#"/oic/sec/pstat {"dos":{"s":2}}"#);
    }

    /// Nothing that can make the device look owned is sent before the key
    /// is stored: `owned` and everything after it wait for the keyring.
    #[test]
    fn the_key_is_stored_before_the_device_can_look_owned() {
        let steps = doc_steps(Uuid::nil(), Uuid::nil(), "ocf-mediator");
        let first = steps.iter().position(|s| s.needs_stored_key).unwrap();
        assert_eq!(steps[first].what, "mark the device owned");
        assert!(steps[first..].iter().all(|s| s.needs_stored_key));
        assert!(
            owner_steps(Uuid::nil(), None)
                .iter()
                .all(|s| s.needs_stored_key)
        );
    }
}
