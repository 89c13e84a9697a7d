//! The simulated device's cloud client sends the real device's frames.
//!
//! The client (sans-IO) runs against a scripted cloud that answers exactly
//! what the capture's test cloud answered (tests/vectors/cloud), with the
//! captured device's id, name, `apn` and `at`, on a clock that moves as the
//! capture's did. Every frame it sends is compared with the captured one:
//! byte for byte, except the token (random, 8 bytes in both) and the links'
//! `ins` (the reference device draws them at random).

use std::time::{Duration, Instant};

use ocf_mediator::coap::tcp::{Frame, Signal};
use ocf_mediator::coap::{Code, OptionNumber};
use ocf_mediator::ocf::representation::{cbor_to_json, decode_cbor, encode_cbor, json_to_cbor};
use ocf_mediator::sim::DeviceState;
use ocf_mediator::sim::cloud_client::{Action, CloudClient, CloudClientConfig};
use ocf_mediator::sim::cloud_conf;
use ocf_mediator::sim::state::dos;
use ocf_mediator::sim::wire_cbor::encode_indefinite;

mod common;

const DI: &str = "1f021db2-1c4b-4cff-8a6c-efd6c9f5a502";
const SID: &str = "5f9e3b0c-8e1f-4a7e-9c51-2a4f0e6b7d10";

fn captured_device_frames() -> Vec<Frame> {
    let path = common::vectors_dir().join("cloud/registration-iotivity-lite.json");
    let entries: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    entries
        .iter()
        .filter(|e| e["dir"] == "device->cloud")
        .map(|e| {
            let hex = e["hex"].as_str().unwrap();
            let bytes: Vec<u8> = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            Frame::decode(&bytes, usize::MAX).unwrap().unwrap().0
        })
        .collect()
}

/// The captured device, owned and configured as in the capture.
fn captured_device() -> DeviceState {
    let mut state = DeviceState::new_unowned("cloud_server");
    state.di = DI.parse().unwrap();
    state.pstat.s = dos::RFNOP;
    let conf = json_to_cbor(&serde_json::json!({
        "cis": "coaps+tcp://127.0.0.1:5684", "sid": SID, "apn": "plgd", "at": "test-auth-code-123"
    }));
    cloud_conf::post(&mut state, &conf).unwrap();
    assert_eq!(state.security.cloud.cps, "readytoregister");
    state
}

struct Rig {
    client: CloudClient,
    state: DeviceState,
    now: Instant,
}

impl Rig {
    /// The next frame the client writes.
    fn sent(&mut self) -> Frame {
        match self.client.poll_action() {
            Some(Action::Send(bytes)) => {
                let (frame, used) = Frame::decode(&bytes, usize::MAX).unwrap().unwrap();
                assert_eq!(used, bytes.len(), "one frame per write");
                frame
            }
            other => panic!("expected a frame, got {other:?}"),
        }
    }

    fn answer(&mut self, to: &Frame, code: Code, body: Option<serde_json::Value>) {
        let mut frame = Frame::new(code, to.token.clone());
        if let Some(body) = body {
            frame.options.set_uint(OptionNumber::CONTENT_FORMAT, 10000);
            frame.payload = encode_cbor(&json_to_cbor(&body));
        }
        self.client
            .handle_bytes(self.now, &frame.encode(), &mut self.state);
    }

    fn advance(&mut self, by: Duration) {
        self.now += by;
        self.client.handle_timeout(self.now, &mut self.state);
    }
}

/// Compares a sent frame with a captured one: everything but the token's
/// value; `ins` of published links set aside.
fn assert_same_frame(sent: &Frame, captured: &Frame, what: &str) {
    assert_eq!(sent.token.len(), 8, "{what}: 8-byte tokens as the device");
    assert_eq!(sent.code, captured.code, "{what}");
    assert_eq!(sent.options, captured.options, "{what}: options");
    let strip_ins = |payload: &[u8]| -> Vec<u8> {
        if payload.is_empty() {
            return Vec::new();
        }
        let mut json = cbor_to_json(&decode_cbor(payload).unwrap());
        if let Some(links) = json.get_mut("links").and_then(|l| l.as_array_mut()) {
            for link in links {
                assert!(link["ins"].is_u64(), "{what}: ins is a number");
                link["ins"] = serde_json::json!(0);
            }
        }
        encode_indefinite(&json_to_cbor(&json))
    };
    if captured.payload.iter().any(|_| true) && !sent.payload.is_empty() {
        // The payload as the device encodes it (indefinite lengths), exactly.
        assert_eq!(
            strip_ins(&sent.payload),
            strip_ins(&captured.payload),
            "{what}: payload {} vs captured {}",
            cbor_to_json(&decode_cbor(&sent.payload).unwrap()),
            cbor_to_json(&decode_cbor(&captured.payload).unwrap())
        );
    } else {
        assert_eq!(sent.payload, captured.payload, "{what}: payload");
    }
    // And so the encoded frame, with the captured token.
    let mut same_token = sent.clone();
    same_token.token = captured.token.clone();
    if !sent.payload.windows(3).any(|w| w == b"ins") {
        assert_eq!(same_token.encode(), captured.encode(), "{what}: bytes");
    }
}

#[test]
fn the_device_registers_refreshes_and_deregisters_with_the_captured_frames() {
    let captured = captured_device_frames();
    let mut rig = Rig {
        client: CloudClient::new(CloudClientConfig::default(), 7),
        state: captured_device(),
        now: Instant::now(),
    };
    // RFNOP with a configuration: connect to cis, with TLS.
    rig.client.sync(rig.now, &mut rig.state);
    assert_eq!(rig.state.security.cloud.cps, "registering");
    match rig.client.poll_action() {
        Some(Action::Connect { addr, tls, sid }) => {
            assert_eq!(addr.to_string(), "127.0.0.1:5684");
            assert!(tls);
            assert_eq!(sid, SID);
        }
        other => panic!("expected a connection, got {other:?}"),
    }
    rig.client.handle_connected(rig.now, &mut rig.state);

    // 1. Sign-up, first frame: no CSM before it.
    let sign_up = rig.sent();
    assert_same_frame(&sign_up, &captured[0], "sign-up");
    rig.answer(
        &sign_up,
        Code::CHANGED,
        Some(serde_json::json!({"accesstoken": "at-1", "refreshtoken": "rt-1", "expiresin": 30, "uid": "user-1"})),
    );
    assert_eq!(rig.state.security.cloud.cps, "registered");
    assert_eq!(rig.state.security.cloud.clec, 0);

    // 2. Sign-in.
    let sign_in = rig.sent();
    assert_same_frame(&sign_in, &captured[1], "sign-in");
    rig.answer(
        &sign_in,
        Code::CHANGED,
        Some(serde_json::json!({"expiresin": 30})),
    );

    // 3. Publication.
    let publish = rig.sent();
    assert_same_frame(&publish, &captured[2], "publication");
    let echoed = cbor_to_json(&decode_cbor(&publish.payload).unwrap());
    rig.answer(&publish, Code::CHANGED, Some(echoed));
    assert!(rig.client.is_online());
    assert!(
        rig.client.poll_action().is_none(),
        "nothing more until the ping"
    );

    // 4. A Ping 20 s after sign-in.
    rig.advance(Duration::from_millis(19_900));
    assert!(rig.client.poll_action().is_none(), "no ping before 20 s");
    rig.advance(Duration::from_millis(100));
    let ping = rig.sent();
    assert_same_frame(&ping, &captured[3], "ping");
    assert_eq!(
        Signal::from_frame(&ping).unwrap(),
        Signal::Ping { custody: false }
    );
    // 5. The Pong comes; two thirds of the token's 30 s are gone: refresh.
    let pong = Signal::Pong { custody: false }.to_frame(ping.token.clone());
    rig.client
        .handle_bytes(rig.now, &pong.encode(), &mut rig.state);
    let refresh = rig.sent();
    assert_same_frame(&refresh, &captured[4], "token refresh");
    rig.answer(
        &refresh,
        Code::CHANGED,
        Some(serde_json::json!({"accesstoken": "at-2", "refreshtoken": "rt-2", "expiresin": 30})),
    );
    // 6. A new sign-in with the new token; no new publication.
    let again = rig.sent();
    assert_same_frame(&again, &captured[5], "sign-in after refresh");
    rig.answer(
        &again,
        Code::CHANGED,
        Some(serde_json::json!({"expiresin": 30})),
    );
    assert!(rig.client.poll_action().is_none());

    // 7. The owner writes {"cis": ""}: the DELETE with its query.
    let clear = json_to_cbor(&serde_json::json!({"cis": ""}));
    cloud_conf::post(&mut rig.state, &clear).unwrap();
    rig.client.sync(rig.now, &mut rig.state);
    let sign_off = rig.sent();
    assert_same_frame(&sign_off, captured.last().unwrap(), "sign-off");
    rig.answer(&sign_off, Code::DELETED, None);
    assert_eq!(rig.client.poll_action(), Some(Action::Disconnect));
    assert_eq!(rig.state.security.cloud.cps, "uninitialized");
}

#[test]
fn refused_sign_ups_fail_with_the_right_clec() {
    for (code, clec) in [(Code::BAD_REQUEST, 1), (Code::UNAUTHORIZED, 4)] {
        let mut rig = Rig {
            client: CloudClient::new(CloudClientConfig::default(), 1),
            state: captured_device(),
            now: Instant::now(),
        };
        rig.client.sync(rig.now, &mut rig.state);
        let _connect = rig.client.poll_action();
        rig.client.handle_connected(rig.now, &mut rig.state);
        let sign_up = rig.sent();
        rig.answer(&sign_up, code, None);
        assert_eq!(rig.state.security.cloud.cps, "failed", "{code}");
        assert_eq!(rig.state.security.cloud.clec, clec, "{code}");
        assert_eq!(rig.client.poll_action(), Some(Action::Disconnect));
        let log = rig.client.poll_log().unwrap();
        assert!(log.contains(&code.to_string()), "{log}");
        // It stays failed (no retry storm) until a new configuration.
        rig.advance(Duration::from_secs(120));
        assert!(rig.client.poll_action().is_none());
    }
}

#[test]
fn a_failed_refresh_says_clec_3() {
    let mut rig = Rig {
        client: CloudClient::new(CloudClientConfig::default(), 2),
        state: captured_device(),
        now: Instant::now(),
    };
    rig.client.sync(rig.now, &mut rig.state);
    let _ = rig.client.poll_action();
    rig.client.handle_connected(rig.now, &mut rig.state);
    let f = rig.sent();
    rig.answer(
        &f,
        Code::CHANGED,
        Some(serde_json::json!({"accesstoken": "a", "refreshtoken": "r", "expiresin": 3, "uid": "u"})),
    );
    let f = rig.sent();
    rig.answer(&f, Code::CHANGED, Some(serde_json::json!({"expiresin": 3})));
    let f = rig.sent();
    rig.answer(&f, Code::CHANGED, Some(serde_json::json!({})));
    // 3 s tokens: the refresh is due after 2 s, before any ping.
    rig.advance(Duration::from_secs(4));
    let refresh = rig.sent();
    assert_eq!(refresh.options.uri_path(), "/oic/sec/tokenrefresh");
    rig.answer(&refresh, Code::UNAUTHORIZED, None);
    assert_eq!(rig.state.security.cloud.cps, "failed");
    assert_eq!(rig.state.security.cloud.clec, 3);
}

#[test]
fn a_lost_connection_is_reopened_with_backoff_and_the_device_signs_in_again() {
    use ocf_mediator::sim::cloud_client::LinkFailure;
    let mut rig = Rig {
        client: CloudClient::new(CloudClientConfig::default(), 3),
        state: captured_device(),
        now: Instant::now(),
    };
    rig.client.sync(rig.now, &mut rig.state);
    let _connect = rig.client.poll_action();
    rig.client.handle_connected(rig.now, &mut rig.state);
    let f = rig.sent();
    rig.answer(
        &f,
        Code::CHANGED,
        Some(serde_json::json!({"accesstoken": "a", "refreshtoken": "r", "expiresin": 3600, "uid": "u"})),
    );
    let f = rig.sent();
    rig.answer(
        &f,
        Code::CHANGED,
        Some(serde_json::json!({"expiresin": 3600})),
    );
    let f = rig.sent();
    rig.answer(&f, Code::CHANGED, Some(serde_json::json!({})));
    assert!(rig.client.is_online());

    // The cloud goes away: wait 1 s, then 2 s, 4 s … between attempts.
    rig.client.handle_failure(
        rig.now,
        LinkFailure::Lost("closed by the cloud".into()),
        &mut rig.state,
    );
    assert_eq!(
        rig.state.security.cloud.cps, "registered",
        "still registered"
    );
    rig.advance(Duration::from_millis(900));
    assert!(rig.client.poll_action().is_none());
    rig.advance(Duration::from_millis(100));
    assert!(matches!(
        rig.client.poll_action(),
        Some(Action::Connect { .. })
    ));
    rig.client.handle_failure(
        rig.now,
        LinkFailure::Connect("connection refused".into()),
        &mut rig.state,
    );
    rig.advance(Duration::from_millis(1900));
    assert!(rig.client.poll_action().is_none());
    rig.advance(Duration::from_millis(100));
    assert!(matches!(
        rig.client.poll_action(),
        Some(Action::Connect { .. })
    ));
    // Back: a sign-in with the tokens it has, no new sign-up, no new publication.
    rig.client.handle_connected(rig.now, &mut rig.state);
    let sign_in = rig.sent();
    assert_eq!(sign_in.options.uri_path(), "/oic/sec/session");
    rig.answer(
        &sign_in,
        Code::CHANGED,
        Some(serde_json::json!({"expiresin": 3599})),
    );
    assert!(rig.client.is_online());
    assert!(rig.client.poll_action().is_none());
    assert!(rig.client.poll_log().unwrap().contains("lost"));
}

#[test]
fn while_registering_or_registered_only_an_empty_cis_is_accepted() {
    let mut state = captured_device();
    let mut client = CloudClient::new(CloudClientConfig::default(), 4);
    client.sync(Instant::now(), &mut state);
    assert_eq!(state.security.cloud.cps, "registering");
    let rewrite = json_to_cbor(&serde_json::json!({
        "cis": "coaps+tcp://127.0.0.1:5685", "sid": SID, "apn": "plgd", "at": "another"
    }));
    assert_eq!(
        cloud_conf::post(&mut state, &rewrite),
        Err(Code::BAD_REQUEST)
    );
    let with_cps = json_to_cbor(&serde_json::json!({"cis": "", "cps": "uninitialized"}));
    assert_eq!(
        cloud_conf::post(&mut state, &with_cps),
        Err(Code::BAD_REQUEST)
    );
    let clear = json_to_cbor(&serde_json::json!({"cis": ""}));
    assert_eq!(cloud_conf::post(&mut state, &clear), Ok(()));
    assert_eq!(state.security.cloud.cps, "uninitialized");
    // at is write-only.
    let shown = cbor_to_json(&cloud_conf::representation(
        &captured_device().security.cloud,
    ));
    assert!(shown.get("at").is_none(), "{shown}");
}
