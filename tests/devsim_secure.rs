//! `ocf-devsim device` as a secure OCF device: the reference device's
//! ownership conversation (tests/vectors/jw-ownership-decrypted.txt)
//! replayed over our DTLS client, the other methods, the write and access
//! rules, and the hard reset.

mod common;
#[path = "common/ocf.rs"]
mod ocf;
#[path = "common/dtls.rs"]
mod pki;

use std::time::Duration;

use common::{DevSim, wait_until};
use ocf::{OBT, Session, own_with_just_works, plain};
use ocf_mediator::coap::Code;
use ocf_mediator::dtls::{CipherSuite, ClientConfig};
use serde_json::json;

fn get_plain(sim: &DevSim, href: &str) -> (Code, serde_json::Value) {
    plain(sim, Code::GET, href, None)
}

#[test]
fn the_reference_ownership_and_owner_sessions_succeed_then_a_hard_reset_wipes_the_device() {
    let sim = DevSim::start(&["--reset-delay-ms", "300"]);
    let (code, doxm) = get_plain(&sim, "/oic/sec/doxm");
    assert_eq!(code, Code::CONTENT);
    assert_eq!(doxm["oxms"], json!([0]));
    let (di, psk) = own_with_just_works(&sim);
    assert_ne!(di, sim.di(0));
    // Owned: unsecured doxm and pstat are refused, /oic/d still answers.
    assert_eq!(get_plain(&sim, "/oic/sec/doxm").0, Code::UNAUTHORIZED);
    assert_eq!(get_plain(&sim, "/oic/sec/pstat").0, Code::UNAUTHORIZED);
    assert_eq!(get_plain(&sim, "/oic/d").1["di"], di.as_str());

    // Owner session 1 (frames 58–77): /oic/d, doxm, trust anchor under RFPRO.
    let mut owner = Session::owner(&sim, OBT, &psk).expect("owner session");
    let (code, d) = owner.get("/oic/d");
    assert_eq!((code, d["di"].as_str()), (Code::CONTENT, Some(di.as_str())));
    let (code, doxm) = owner.get("/oic/sec/doxm");
    assert_eq!(code, Code::CONTENT);
    assert_eq!(doxm["owned"], true);
    assert_eq!(doxm["devowneruuid"], OBT);
    assert_eq!(doxm["deviceuuid"], di.as_str());
    assert_eq!(owner.get("/oic/sec/pstat").1["isop"], true);
    assert_eq!(
        owner.post("/oic/sec/pstat", json!({"dos": {"s": 2}})),
        Code::CHANGED
    );
    let (_, pstat) = owner.get("/oic/sec/pstat");
    assert_eq!(
        (pstat["dos"]["s"].clone(), pstat["isop"].clone()),
        (json!(2), json!(false))
    );
    let ca = json!({"creds": [{"credtype": 8, "subjectuuid": "b341f9a6-236e-4316-b15d-6c0f5cf4d1af",
        "credusage": "oic.sec.cred.trustca",
        "publicdata": {"data": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
        "encoding": "oic.sec.encoding.pem"}}]});
    assert_eq!(owner.post("/oic/sec/cred", ca), Code::CHANGED);
    assert_eq!(
        owner.post("/oic/sec/pstat", json!({"dos": {"s": 3}})),
        Code::CHANGED
    );
    // Without an href ACE the cloud configuration is closed to the owner.
    assert_eq!(owner.get("/CoapCloudConfResURI").0, Code::UNAUTHORIZED);
    owner.close();

    // Owner session 2 (frames 78–93): the ACE for the cloud configuration.
    let mut owner = Session::owner(&sim, OBT, &psk).unwrap();
    assert_eq!(
        owner.post("/oic/sec/pstat", json!({"dos": {"s": 2}})),
        Code::CHANGED
    );
    let ace = json!({"aclist2": [{"subject": {"uuid": format!("{OBT}\u{0}")},
        "resources": [{"href": "/CoapCloudConfResURI"}], "permission": 6}]});
    assert_eq!(owner.post("/oic/sec/acl2", ace), Code::CHANGED);
    assert_eq!(
        owner.post("/oic/sec/pstat", json!({"dos": {"s": 3}})),
        Code::CHANGED
    );
    owner.close();

    // Owner session 3 (frames 94–111): cloud configuration, then hard reset.
    let mut owner = Session::owner(&sim, OBT, &psk).unwrap();
    let conf = json!({"at": "test-token", "apn": "plgd", "cis": "coaps+tcp://127.0.0.1:55555",
        "sid": "b341f9a6-236e-4316-b15d-6c0f5cf4d1af"});
    let (code, answer) = owner.call(Code::POST, "/CoapCloudConfResURI", Some(conf));
    assert_eq!(code, Code::CHANGED);
    assert_eq!(answer["cps"], "readytoregister");
    assert_eq!(answer["apn"], "plgd");
    assert!(answer.get("at").is_none(), "at is write-only: {answer}");
    assert_eq!(
        owner.get("/CoapCloudConfResURI").1["sid"],
        "b341f9a6-236e-4316-b15d-6c0f5cf4d1af"
    );
    assert_eq!(
        owner.post("/oic/sec/pstat", json!({"dos": {"s": 0}})),
        Code::CHANGED
    );
    owner.close();

    // After the delay: unowned, a new UUID, RFOTM, nothing left.
    let mut doxm = json!(null);
    assert!(wait_until(Duration::from_secs(5), || {
        let (code, d) = get_plain(&sim, "/oic/sec/doxm");
        doxm = d;
        code == Code::CONTENT
    }));
    assert_eq!(doxm["owned"], false);
    assert_ne!(doxm["deviceuuid"], di.as_str());
    assert_ne!(doxm["deviceuuid"], sim.di(0).as_str());
    assert_eq!(doxm["devowneruuid"], "00000000-0000-0000-0000-000000000000");
    assert_eq!(get_plain(&sim, "/oic/sec/pstat").1["dos"]["s"], 1);
    assert!(
        Session::owner(&sim, OBT, &psk).is_err(),
        "the owner credential is gone"
    );
    // And it can be owned again.
    let (again, _) = own_with_just_works(&sim);
    assert_ne!(again, di);
}

#[test]
fn owner_aces_open_the_device_configuration_resources() {
    let sim = DevSim::start(&[]);
    let (_, psk) = own_with_just_works(&sim);
    let mut owner = Session::owner(&sim, OBT, &psk).unwrap();
    // The reference ACEs: sp (14) and csr (2) for the owner.
    assert_eq!(owner.get("/oic/sec/sp").0, Code::CONTENT);
    let (code, csr) = owner.get("/oic/sec/csr");
    assert_eq!(code, Code::CONTENT);
    assert_eq!(csr["encoding"], "oic.sec.encoding.pem");
    assert!(
        csr["csr"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE REQUEST-----\n")
    );
    assert_eq!(owner.post("/oic/sec/csr", json!({})), Code::UNAUTHORIZED);
    assert_eq!(owner.get("/oic/mnt").0, Code::NOT_FOUND);
    // The mediator's owner ACEs, then the device configuration resources.
    assert_eq!(
        owner.post("/oic/sec/pstat", json!({"dos": {"s": 2}})),
        Code::CHANGED
    );
    let hrefs = [
        "/oic/d",
        "/oic/p",
        "/oic/res",
        "/CoapCloudConfResURI",
        "/oic/mnt",
        "/oc/swu",
        "/oic/sec/sdi",
        "/oic/sec/sp",
        "/oic/sec/csr",
    ];
    let resources: Vec<_> = hrefs
        .iter()
        .map(|h| json!({"href": h}))
        .chain([json!({"wc": "*"})])
        .collect();
    let aces =
        json!({"aclist2": [{"subject": {"uuid": OBT}, "resources": resources, "permission": 31}]});
    assert_eq!(owner.post("/oic/sec/acl2", aces), Code::CHANGED);
    assert_eq!(
        owner.post("/oic/sec/pstat", json!({"dos": {"s": 3}})),
        Code::CHANGED
    );
    assert_eq!(owner.get("/CoapCloudConfResURI").0, Code::CONTENT);
    assert_eq!(owner.get("/oic/sec/sdi").1["name"], "OBT");
    let (code, links) = owner.get("/oic/res");
    assert_eq!(code, Code::CONTENT);
    let doxm_link = links
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["href"] == "/oic/sec/doxm")
        .unwrap();
    let eps: Vec<&str> = doxm_link["eps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["ep"].as_str().unwrap())
        .collect();
    assert!(
        eps.iter().all(|e| e.starts_with("coaps://")),
        "owned SVRs only over DTLS: {eps:?}"
    );
    // ACEs are listed with ids and can be deleted one by one.
    let (_, acl) = owner.get("/oic/sec/acl2");
    let id = acl["aclist2"][0]["aceid"].as_u64().unwrap();
    assert_eq!(
        owner.delete(&format!("/oic/sec/acl2?aceid={id}")),
        Code::DELETED
    );
    assert_eq!(
        owner.delete(&format!("/oic/sec/acl2?aceid={id}")),
        Code::NOT_FOUND
    );
    assert_eq!(owner.delete("/oic/sec/cred?credid=999"), Code::NOT_FOUND);
    owner.close();
}

#[test]
fn acl_denials_and_unknown_identities() {
    let sim = DevSim::start(&[]);
    let (_, psk) = own_with_just_works(&sim);
    let mut owner = Session::owner(&sim, OBT, &psk).unwrap();
    assert_eq!(owner.get("/CoapCloudConfResURI").0, Code::UNAUTHORIZED);
    assert_eq!(owner.get("/light/1").0, Code::UNAUTHORIZED);
    owner.close();
    // Another identity, or the right one with another key: no session.
    let stranger = "11111111-2222-3333-4444-555555555555";
    assert!(Session::owner(&sim, stranger, &psk).is_err());
    assert!(Session::owner(&sim, OBT, &[0u8; 16]).is_err());
    // Unsecured: what anon-clear ACEs grant, and nothing of the SVRs.
    assert_eq!(get_plain(&sim, "/oic/sec/sdi").0, Code::CONTENT);
    assert_eq!(get_plain(&sim, "/oic/sec/cred").0, Code::UNAUTHORIZED);
    assert_eq!(get_plain(&sim, "/oic/sec/acl2").0, Code::UNAUTHORIZED);
}

#[test]
fn the_write_rules_of_the_reference_device() {
    let sim = DevSim::start(&[]);
    let post = |body| plain(&sim, Code::POST, "/oic/sec/doxm", Some(body)).0;
    // Unsecured in RFOTM: only oxmsel.
    assert_eq!(post(json!({"owned": true})), Code::BAD_REQUEST);
    assert_eq!(post(json!({"deviceuuid": OBT})), Code::BAD_REQUEST);
    assert_eq!(post(json!({"oxmsel": 1})), Code::BAD_REQUEST, "not offered");
    assert_eq!(post(json!({"oxmsel": 0})), Code::CHANGED);
    assert_eq!(
        plain(&sim, Code::POST, "/oic/sec/pstat", Some(json!({"om": 4}))).0,
        Code::UNAUTHORIZED
    );
    let mut doc = Session::just_works(&sim).unwrap();
    // In the DOC: not oxmsel; leaving RFOTM needs the owner set up.
    assert_eq!(
        doc.post("/oic/sec/doxm", json!({"oxmsel": 0})),
        Code::BAD_REQUEST
    );
    assert_eq!(
        doc.post("/oic/sec/pstat", json!({"dos": {"s": 2}})),
        Code::BAD_REQUEST
    );
    assert_eq!(
        doc.post("/oic/sec/pstat", json!({"dos": {"s": 4}})),
        Code::BAD_REQUEST
    );
    assert_eq!(
        doc.post("/oic/sec/pstat", json!({"om": 3})),
        Code::BAD_REQUEST
    );
    assert_eq!(
        doc.post("/oic/sec/pstat", json!({"cm": 0})),
        Code::BAD_REQUEST
    );
    assert_eq!(
        doc.post("/oic/sec/doxm", json!({"deviceuuid": "not-a-uuid"})),
        Code::BAD_REQUEST
    );
    // A PSK for someone who is not the resource owner is not derived.
    let stray = json!({"creds": [{"credtype": 1, "subjectuuid": OBT,
        "privatedata": {"encoding": "oic.sec.encoding.raw", "data": ""}}]});
    assert_eq!(doc.post("/oic/sec/cred", stray), Code::BAD_REQUEST);
    let (_, psk) = ocf::own_in_doc(&mut doc, "oic.sec.doxm.jw");
    doc.close();
    // Owned, in RFNOP.
    let mut owner = Session::owner(&sim, OBT, &psk).unwrap();
    assert_eq!(
        owner.post("/oic/sec/doxm", json!({"rowneruuid": OBT})),
        Code::BAD_REQUEST
    );
    assert_eq!(
        owner.post("/oic/sec/doxm", json!({"owned": false})),
        Code::BAD_REQUEST
    );
    assert_eq!(
        owner.post("/oic/sec/pstat", json!({"rowneruuid": OBT})),
        Code::BAD_REQUEST
    );
    assert_eq!(
        owner.post("/oic/sec/pstat", json!({"dos": {"s": 1}})),
        Code::BAD_REQUEST
    );
    let cred = json!({"creds": [{"credtype": 1, "subjectuuid": OBT,
        "privatedata": {"encoding": "oic.sec.encoding.raw", "data": "0123456789abcdef"}}]});
    assert_eq!(owner.post("/oic/sec/cred", cred.clone()), Code::BAD_REQUEST);
    assert_eq!(
        owner.post("/oic/sec/cred", json!({"creds": 5})),
        Code::BAD_REQUEST
    );
    assert_eq!(
        owner.post("/oic/sec/pstat", json!({"dos": {"s": 2}})),
        Code::CHANGED
    );
    // In RFPRO a PSK with key data is stored as given: the owner's key changes.
    assert_eq!(owner.post("/oic/sec/cred", cred), Code::CHANGED);
    owner.close();
    assert!(Session::owner(&sim, OBT, &psk).is_err());
    let owner = Session::owner(&sim, OBT, b"0123456789abcdef").expect("the new key");
    owner.close();
}

#[test]
fn one_doc_at_a_time_and_no_unsecured_svrs_meanwhile() {
    let sim = DevSim::start(&[]);
    assert_eq!(
        plain(
            &sim,
            Code::POST,
            "/oic/sec/doxm",
            Some(json!({"oxmsel": 0}))
        )
        .0,
        Code::CHANGED
    );
    let doc = Session::just_works(&sim).unwrap();
    assert!(Session::just_works(&sim).is_err(), "a second DOC");
    assert_eq!(get_plain(&sim, "/oic/sec/doxm").0, Code::UNAUTHORIZED);
    assert_eq!(get_plain(&sim, "/oic/d").0, Code::CONTENT);
    doc.close();
    assert!(wait_until(Duration::from_secs(3), || get_plain(
        &sim,
        "/oic/sec/doxm"
    )
    .0 == Code::CONTENT));
    select(&sim, 0);
    let doc = Session::just_works(&sim).expect("a DOC after the first closed");
    doc.close();
}

/// POSTs `oxmsel` unsecured, expecting it to be taken.
fn select(sim: &DevSim, oxm: u64) {
    let (code, _) = plain(
        sim,
        Code::POST,
        "/oic/sec/doxm",
        Some(json!({ "oxmsel": oxm })),
    );
    assert_eq!(code, Code::CHANGED, "select oxm {oxm}");
}

/// A manufacturer chain (root → intermediate → device) the device sends as
/// leaf + intermediate, and the root a mediator trusts.
struct Manufacturer {
    root: Vec<u8>,
    _dir: tempfile::TempDir,
    flags: Vec<String>,
}

fn manufacturer() -> Manufacturer {
    let ca = pki::issue("Test Manufacturer CA", pki::Kind::Ca, None, 0);
    let intermediate = pki::issue(
        "Test Manufacturer Intermediate",
        pki::Kind::Ca,
        Some(&ca),
        0,
    );
    let leaf = pki::issue(
        "uuid:00000000-0000-0000-0000-000000000001",
        pki::Kind::Server,
        Some(&intermediate),
        0,
    );
    let dir = tempfile::tempdir().unwrap();
    let chain = dir.path().join("chain.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&chain, [leaf.pem(), intermediate.pem()].concat()).unwrap();
    std::fs::write(&key, leaf.key_pem()).unwrap();
    let flags = vec![
        "--otm".to_owned(),
        "jw,rdp,mfg".to_owned(),
        "--pin".to_owned(),
        "12345678".to_owned(),
        "--mfg-cert".to_owned(),
        chain.to_str().unwrap().to_owned(),
        "--mfg-key".to_owned(),
        key.to_str().unwrap().to_owned(),
    ];
    Manufacturer {
        root: ca.der(),
        _dir: dir,
        flags,
    }
}

fn certificate_doc(
    sim: &DevSim,
    root: &[u8],
) -> Result<Session, ocf_mediator::net::secure::SessionError> {
    let mut config = ClientConfig::new(&[
        CipherSuite::EcdheEcdsaWithAes128Ccm8,
        CipherSuite::EcdheEcdsaWithAes128Ccm,
    ]);
    config.common.trust_anchors = vec![root.to_vec()];
    config.common.initial_retransmit = Duration::from_millis(300);
    config.common.max_retransmissions = 3;
    Session::connect(ocf::coaps_addr(sim, 0), config)
}

/// FACTS §5: until `oxmsel` has been set by an unsecured POST, the device
/// accepts no new DTLS connection, for every method (the reference device
/// drops the ClientHello: "DOC not valid: oxmsel not set").
#[test]
fn no_ownership_session_before_the_method_is_selected() {
    let maker = manufacturer();
    let flags: Vec<&str> = maker.flags.iter().map(String::as_str).collect();
    let sim = DevSim::start(&flags);
    let di = sim.di(0);
    assert_eq!(get_plain(&sim, "/oic/sec/doxm").1["oxmsel"], 4);
    assert!(
        Session::just_works(&sim).is_err(),
        "Just Works before oxmsel"
    );
    assert!(
        Session::random_pin(&sim, "12345678", &di).is_err(),
        "Random PIN before oxmsel"
    );
    assert!(
        certificate_doc(&sim, &maker.root).is_err(),
        "manufacturer certificate before oxmsel"
    );
    select(&sim, 2);
    certificate_doc(&sim, &maker.root)
        .expect("the certificate DOC once selected")
        .close();
}

/// FACTS §2.4, §5: `oxmsel` is written outside the ownership session; the
/// reference device answers 4.00 to a selection inside it.
#[test]
fn a_selection_inside_the_ownership_session_is_refused() {
    let maker = manufacturer();
    let flags: Vec<&str> = maker.flags.iter().map(String::as_str).collect();
    let sim = DevSim::start(&flags);
    select(&sim, 2);
    let mut doc = certificate_doc(&sim, &maker.root).unwrap();
    assert_eq!(
        doc.post("/oic/sec/doxm", json!({"oxmsel": 2})),
        Code::BAD_REQUEST
    );
    assert_eq!(
        doc.post("/oic/sec/doxm", json!({"oxmsel": 0})),
        Code::BAD_REQUEST
    );
    doc.close();
    select(&sim, 0);
    let mut doc = Session::just_works(&sim).unwrap();
    assert_eq!(
        doc.post("/oic/sec/doxm", json!({"oxmsel": 0})),
        Code::BAD_REQUEST
    );
    doc.close();
}

/// The selection is forgotten (`oxmsel` back to 4) after an ownership
/// session that ended in RFOTM and after a hard reset: the next transfer
/// selects its method again.
#[test]
fn the_selection_is_forgotten_after_an_abandoned_transfer_and_a_reset() {
    let sim = DevSim::start(&["--reset-delay-ms", "100"]);
    select(&sim, 0);
    let mut doc = Session::just_works(&sim).unwrap();
    assert_eq!(doc.post("/oic/sec/pstat", json!({"om": 4})), Code::CHANGED);
    doc.close();
    assert!(wait_until(Duration::from_secs(3), || {
        get_plain(&sim, "/oic/sec/doxm").1["oxmsel"] == 4
    }));
    assert!(Session::just_works(&sim).is_err(), "not selected any more");
    let (di, psk) = own_with_just_works(&sim);
    let mut owner = Session::owner(&sim, OBT, &psk).unwrap();
    assert_eq!(
        owner.post("/oic/sec/pstat", json!({"dos": {"s": 0}})),
        Code::CHANGED
    );
    owner.close();
    assert!(wait_until(Duration::from_secs(5), || {
        let (code, doxm) = get_plain(&sim, "/oic/sec/doxm");
        code == Code::CONTENT && doxm["deviceuuid"] != di.as_str()
    }));
    assert_eq!(get_plain(&sim, "/oic/sec/doxm").1["oxmsel"], 4);
}

#[test]
fn random_pin_with_the_right_and_a_wrong_pin() {
    let sim = DevSim::start(&["--otm", "jw,rdp", "--pin", "12345678"]);
    assert_eq!(get_plain(&sim, "/oic/sec/doxm").1["oxms"], json!([0, 1]));
    assert_eq!(
        plain(
            &sim,
            Code::POST,
            "/oic/sec/doxm",
            Some(json!({"oxmsel": 1}))
        )
        .0,
        Code::CHANGED
    );
    let di = sim.di(0);
    assert!(
        Session::random_pin(&sim, "87654321", &di).is_err(),
        "a wrong PIN"
    );
    // The failed transfer is abandoned: selected again, the device shows a
    // PIN again (fixed here by --pin).
    assert!(wait_until(Duration::from_secs(3), || {
        get_plain(&sim, "/oic/sec/doxm").1["oxmsel"] == 4
    }));
    select(&sim, 1);
    let mut doc = Session::random_pin(&sim, "12345678", &di).expect("the right PIN");
    let (_, psk) = ocf::own_in_doc(&mut doc, "oic.sec.doxm.rdp");
    doc.close();
    let mut owner = Session::owner(&sim, OBT, &psk).expect("owner session after Random PIN");
    assert_eq!(owner.get("/oic/sec/doxm").1["oxmsel"], 1);
    owner.close();
}

#[test]
fn manufacturer_certificate_ownership() {
    let ca = pki::issue("Test Manufacturer CA", pki::Kind::Ca, None, 0);
    let intermediate = pki::issue(
        "Test Manufacturer Intermediate",
        pki::Kind::Ca,
        Some(&ca),
        0,
    );
    let leaf = pki::issue(
        "uuid:00000000-0000-0000-0000-000000000001",
        pki::Kind::Server,
        Some(&intermediate),
        0,
    );
    let dir = tempfile::tempdir().unwrap();
    let chain = dir.path().join("chain.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&chain, [leaf.pem(), intermediate.pem()].concat()).unwrap();
    std::fs::write(&key, leaf.key_pem()).unwrap();
    let sim = DevSim::start(&[
        "--otm",
        "jw,mfg",
        "--mfg-cert",
        chain.to_str().unwrap(),
        "--mfg-key",
        key.to_str().unwrap(),
    ]);
    assert_eq!(
        plain(
            &sim,
            Code::POST,
            "/oic/sec/doxm",
            Some(json!({"oxmsel": 2}))
        )
        .0,
        Code::CHANGED
    );
    let mut config = ClientConfig::new(&[
        CipherSuite::EcdheEcdsaWithAes128Ccm8,
        CipherSuite::EcdheEcdsaWithAes128Ccm,
    ]);
    config.common.trust_anchors = vec![ca.der()];
    let mut doc = Session::connect(ocf::coaps_addr(&sim, 0), config).expect("certificate DOC");
    let (_, psk) = ocf::own_in_doc(&mut doc, "oic.sec.doxm.mfgcert");
    doc.close();
    let owner = Session::owner(&sim, OBT, &psk).expect("owner session after mfgcert");
    owner.close();
}

#[test]
fn ownership_survives_a_restart_with_a_state_dir() {
    let dir = tempfile::tempdir().unwrap();
    let state_dir = dir.path().to_str().unwrap();
    let mut sim = DevSim::start(&["--state-dir", state_dir]);
    let (di, psk) = own_with_just_works(&sim);
    sim.terminate();
    let sim = DevSim::start(&["--state-dir", state_dir]);
    assert_eq!(sim.di(0), di);
    let mut owner = Session::owner(&sim, OBT, &psk).expect("the owner PSK was kept");
    assert_eq!(owner.get("/oic/sec/pstat").1["dos"]["s"], 3);
    owner.close();
}

#[test]
fn a_repeated_owner_credential_post_in_the_doc_adds_a_second_credential_as_iotivity_lite_does() {
    // FACTS §3: iotivity-lite looks for a duplicate before it derives the
    // owner PSK, so the same POST twice (a retransmission it handles again)
    // leaves two credentials for the owner, with the same key.
    let sim = DevSim::start(&[]);
    assert_eq!(
        plain(
            &sim,
            Code::POST,
            "/oic/sec/doxm",
            Some(json!({"oxmsel": 0}))
        )
        .0,
        Code::CHANGED
    );
    let mut doc = Session::just_works(&sim).unwrap();
    for body in [json!({"om": 4}), json!({"rowneruuid": OBT})] {
        assert_eq!(doc.post("/oic/sec/pstat", body), Code::CHANGED);
    }
    assert_eq!(
        doc.post("/oic/sec/doxm", json!({"devowneruuid": OBT})),
        Code::CHANGED
    );
    let owner_cred = json!({"creds": [{"credtype": 1, "subjectuuid": OBT,
        "privatedata": {"encoding": "oic.sec.encoding.raw", "data": ""}}],
        "rowneruuid": OBT});
    assert_eq!(doc.post("/oic/sec/cred", owner_cred.clone()), Code::CHANGED);
    assert_eq!(doc.post("/oic/sec/cred", owner_cred), Code::CHANGED);
    let (code, creds) = doc.get("/oic/sec/cred");
    assert_eq!(code, Code::CONTENT);
    let owner_psks: Vec<_> = creds["creds"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["credtype"] == 1 && c["subjectuuid"] == OBT)
        .collect();
    assert_eq!(owner_psks.len(), 2, "{creds}");
    assert_ne!(owner_psks[0]["credid"], owner_psks[1]["credid"]);
    doc.close();
}
