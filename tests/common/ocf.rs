//! Talking OCF to `ocf-devsim` the way an onboarding tool does: plain CoAP,
//! a Just Works / Random PIN / certificate DOC, owner PSK sessions.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ocf_mediator::coap::client::ClientConfig as CoapClientConfig;
use ocf_mediator::coap::{Code, Event};
use ocf_mediator::dtls::{self, CipherSuite, ClientConfig, KeyMaterial};
use ocf_mediator::net::coap_endpoint::CoapEndpoint;
use ocf_mediator::net::secure::{SecureSession, SessionError};
use ocf_mediator::ocf::representation::{cbor_to_json, decode_cbor, encode_cbor, json_to_cbor};
use ocf_mediator::ocf::request::{ocf_request, ocf_request_with_body};
use serde_json::Value as Json;
use tokio::runtime::Runtime;

use crate::common::DevSim;

/// The onboarding tool's UUID in the reference capture.
pub const OBT: &str = "1f5b5c4d-56a4-45c2-57bc-98abe007ee36";

pub fn rt() -> Runtime {
    ocf_mediator::net::runtime().unwrap()
}

/// The secure endpoint device `index` announced.
pub fn coaps_addr(sim: &DevSim, index: usize) -> SocketAddr {
    sim.devices[index]["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|e| e.as_str()?.strip_prefix("coaps://"))
        .expect("a coaps endpoint")
        .parse()
        .unwrap()
}

fn request(code: Code, href: &str, body: Option<&Json>) -> ocf_mediator::coap::Request {
    match body {
        Some(json) => ocf_request_with_body(code, href, encode_cbor(&json_to_cbor(json))),
        None => ocf_request(code, href),
    }
}

fn answer(code: Code, payload: &[u8]) -> (Code, Json) {
    let json = decode_cbor(payload)
        .map(|c| cbor_to_json(&c))
        .unwrap_or(Json::Null);
    (code, json)
}

/// One plain CoAP request.
pub fn plain(sim: &DevSim, code: Code, href: &str, body: Option<Json>) -> (Code, Json) {
    let peer = sim.socket_addr(0);
    rt().block_on(async {
        let mut endpoint = CoapEndpoint::new(CoapClientConfig::default()).unwrap();
        let id = endpoint.request(peer, request(code, href, body.as_ref()));
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match endpoint.next_event(Some(deadline)).await {
                Some(Event::Response {
                    id: got, response, ..
                }) if got == id => {
                    return answer(response.code, &response.payload);
                }
                Some(Event::Failed { error, .. }) => panic!("{href}: {error}"),
                Some(_) => {}
                None => panic!("{href}: no answer"),
            }
        }
    })
}

/// A DTLS session to a device, with blocking calls for tests.
pub struct Session {
    runtime: Runtime,
    session: Option<SecureSession>,
}

/// Client settings that give up quickly (a refused handshake fails in seconds).
fn client(suites: &[CipherSuite]) -> ClientConfig {
    let mut c = ClientConfig::new(suites);
    c.common.initial_retransmit = Duration::from_millis(300);
    c.common.max_retransmissions = 3;
    c
}

impl Session {
    pub fn connect(peer: SocketAddr, config: ClientConfig) -> Result<Session, SessionError> {
        let runtime = rt();
        let deadline = Instant::now() + Duration::from_secs(8);
        let session = runtime.block_on(SecureSession::connect(peer, Arc::new(config), deadline))?;
        Ok(Session {
            runtime,
            session: Some(session),
        })
    }

    /// A Just Works DOC (0xFF00).
    pub fn just_works(sim: &DevSim) -> Result<Session, SessionError> {
        Session::connect(
            coaps_addr(sim, 0),
            client(&[CipherSuite::EcdhAnonWithAes128CbcSha256]),
        )
    }

    /// A Random PIN DOC (0xC037 with the PIN's PSK).
    pub fn random_pin(sim: &DevSim, pin: &str, di: &str) -> Result<Session, SessionError> {
        let di = uuid::Uuid::parse_str(di).unwrap();
        let key = dtls::random_pin_psk(pin.as_bytes(), *di.as_bytes());
        let config = client(&[CipherSuite::EcdhePskWithAes128CbcSha256])
            .with_psk(dtls::RANDOM_PIN_IDENTITY, &key);
        Session::connect(coaps_addr(sim, 0), config)
    }

    /// An owner session: identity = owner UUID bytes, key = the owner PSK.
    pub fn owner(sim: &DevSim, owner: &str, psk: &[u8]) -> Result<Session, SessionError> {
        let owner = uuid::Uuid::parse_str(owner).unwrap();
        let config =
            client(&[CipherSuite::EcdhePskWithAes128CbcSha256]).with_psk(owner.as_bytes(), psk);
        Session::connect(coaps_addr(sim, 0), config)
    }

    pub fn key_material(&self) -> KeyMaterial {
        self.session.as_ref().unwrap().key_material().unwrap()
    }

    /// The owner PSK both sides derive from this DOC.
    pub fn owner_psk(&self, urn: &str, owner: &str, device: &str) -> [u8; 16] {
        let uuid = |s: &str| *uuid::Uuid::parse_str(s).unwrap().as_bytes();
        dtls::derive_owner_psk(&self.key_material(), urn, uuid(owner), uuid(device))
    }

    pub fn call(&mut self, code: Code, href: &str, body: Option<Json>) -> (Code, Json) {
        let session = self.session.as_mut().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        let response = self
            .runtime
            .block_on(session.request(request(code, href, body.as_ref()), deadline))
            .unwrap_or_else(|e| panic!("{href}: {e}"));
        answer(response.code, &response.payload)
    }

    pub fn get(&mut self, href: &str) -> (Code, Json) {
        self.call(Code::GET, href, None)
    }

    pub fn post(&mut self, href: &str, body: Json) -> Code {
        self.call(Code::POST, href, Some(body)).0
    }

    pub fn delete(&mut self, href: &str) -> Code {
        self.call(Code::DELETE, href, None).0
    }

    pub fn close(mut self) {
        if let Some(session) = self.session.take() {
            self.runtime.block_on(session.close());
        }
    }
}

/// Just Works ownership as the reference tool does it (FACTS §2.4 and the
/// decrypted capture), ending in RFNOP. Returns the new device UUID and
/// the owner PSK.
pub fn own_with_just_works(sim: &DevSim) -> (String, [u8; 16]) {
    assert_eq!(
        plain(
            sim,
            Code::POST,
            "/oic/sec/doxm",
            Some(serde_json::json!({"oxmsel": 0}))
        )
        .0,
        Code::CHANGED
    );
    let mut doc = Session::just_works(sim).expect("Just Works DOC");
    let (di, psk) = own_in_doc(&mut doc, "oic.sec.doxm.jw");
    doc.close();
    (di, psk)
}

/// Requests 3–15 of the reference sequence over an open DOC.
pub fn own_in_doc(doc: &mut Session, urn: &str) -> (String, [u8; 16]) {
    use serde_json::json;
    let new_di = uuid::Uuid::new_v4().to_string();
    let steps: Vec<(&str, Json)> = vec![
        ("/oic/sec/pstat", json!({"om": 4})),
        ("/oic/sec/doxm", json!({"devowneruuid": OBT})),
        ("/oic/sec/doxm", json!({"deviceuuid": new_di})),
        ("/oic/sec/doxm", json!({"rowneruuid": OBT})),
        ("/oic/sec/acl2", json!({"rowneruuid": OBT})),
        ("/oic/sec/pstat", json!({"rowneruuid": OBT})),
        (
            "/oic/sec/cred",
            json!({"creds": [{"credtype": 1, "subjectuuid": OBT,
                "privatedata": {"encoding": "oic.sec.encoding.raw", "data": ""}}],
                "rowneruuid": OBT}),
        ),
        (
            "/oic/sec/sdi",
            json!({"uuid": "5abc6853-4aa0-4b78-6e11-e53cef550f2a", "name": "OBT", "priv": false}),
        ),
        ("/oic/sec/doxm", json!({"owned": true})),
        ("/oic/sec/pstat", json!({"dos": {"s": 2}})),
    ];
    for (href, body) in steps {
        assert_eq!(
            doc.post(href, body.clone()),
            Code::CHANGED,
            "POST {href} {body}"
        );
    }
    assert_eq!(doc.delete("/oic/sec/acl2"), Code::DELETED);
    assert_eq!(doc.post("/oic/sec/acl2", reference_aces()), Code::CHANGED);
    assert_eq!(
        doc.post("/oic/sec/pstat", json!({"dos": {"s": 3}})),
        Code::CHANGED
    );
    let psk = doc.owner_psk(urn, OBT, &new_di);
    (new_di, psk)
}

/// The ACEs of the reference capture (frame 42), the subject with its NUL.
pub fn reference_aces() -> Json {
    serde_json::json!({"aclist2": [
        {"subject": {"uuid": format!("{OBT}\u{0}")}, "resources": [{"href": "/oic/sec/sp"}], "permission": 14},
        {"subject": {"uuid": OBT}, "resources": [{"href": "/oic/sec/csr"}], "permission": 2},
        {"subject": {"conntype": "anon-clear"}, "resources": [{"href": "/oic/d"}, {"href": "/oic/p"},
            {"href": "/oic/res"}, {"href": "/oic/sec/sdi"}], "permission": 2}
    ]})
}
