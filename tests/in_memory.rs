//! The ownership sequence in one process: the simulated devices' security
//! core and the mediator's library on an in-memory network, with scripted
//! answers and simulated time (tokio's paused clock). No processes, no
//! sockets of the system, no D-Bus: the owner keys are sealed under a key
//! in the kernel keyring.

#[path = "common/kernel_session.rs"]
mod kernel_session;
#[path = "common/memory_lab.rs"]
mod memory_lab;
#[path = "common/dtls.rs"]
mod pki;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use memory_lab::{Lab, lab, lab_with_timeout, simulated};
use ocf_mediator::cloud::{self, CloudSettings, CloudToken, ConfigureRequest};
use ocf_mediator::dtls::CertifiedKey;
use ocf_mediator::interact::Secret;
use ocf_mediator::interact::{Scripted, Unattended};
use ocf_mediator::mediator::Failpoint;
use ocf_mediator::net::udp::{Fate, use_memory_network};
use ocf_mediator::ocf::DeviceError;
use ocf_mediator::ocf::address::DeviceRef;
use ocf_mediator::otm::{self, DisownRequest, Disowned, Method, MethodChoice, OwnChange, OwnError};
use ocf_mediator::sim::SecurityConfig;
use serde_json::Value;

const PIN: &str = "24681357";

fn security(oxms: &[u64]) -> SecurityConfig {
    SecurityConfig {
        oxms: oxms.to_vec(),
        pin: Some(PIN.into()),
        mfg: None,
        csr_fault: None,
    }
}

/// A manufacturer chain (root → intermediate → device) and the root.
fn manufacturer() -> (SecurityConfig, Vec<u8>) {
    let root = pki::issue("Memory Maker Root", pki::Kind::Ca, None, 0);
    let intermediate = pki::issue("Memory Maker Devices", pki::Kind::Ca, Some(&root), 0);
    let leaf = pki::issue(
        "uuid:00000000-0000-0000-0000-0000000000dd",
        pki::Kind::Server,
        Some(&intermediate),
        0,
    );
    let mfg = CertifiedKey::new(vec![leaf.der(), intermediate.der()], &leaf.pkcs8()).unwrap();
    let config = SecurityConfig {
        oxms: vec![0, 2],
        pin: None,
        mfg: Some(mfg),
        csr_fault: None,
    };
    (config, root.der())
}

fn looks_owned(saved: &Value) -> bool {
    saved["doxm"]["owned"] == true || saved["pstat"]["s"] != 1
}

#[test]
fn each_method_owns_a_device() {
    simulated(|| async {
        let jw = lab(1, security(&[0]), Arc::new(Unattended)).await;
        let owned = otm::own(&jw.mediator, jw.request(0, MethodChoice::Auto))
            .await
            .unwrap();
        assert_eq!(
            (owned.method.as_str(), owned.change),
            ("jw", OwnChange::Taken)
        );
        assert_eq!(jw.saved(0)["pstat"]["s"], 3);

        let rdp = lab(
            1,
            security(&[1]),
            Arc::new(Scripted::new().with_pins(&[PIN])),
        )
        .await;
        let owned = otm::own(&rdp.mediator, rdp.request(0, MethodChoice::Auto))
            .await
            .unwrap();
        assert_eq!(owned.method, "rdp");

        let (config, root) = manufacturer();
        let mfg = lab(1, config, Arc::new(Unattended)).await;
        let mut request = mfg.request(0, MethodChoice::Only(Method::ManufacturerCertificate));
        request.mfg_trust_anchors = vec![root];
        let owned = otm::own(&mfg.mediator, request).await.unwrap();
        assert_eq!(owned.method, "mfg");
        assert_eq!(mfg.saved(0)["di"], owned.di.to_string());
    })
}

#[test]
fn three_wrong_pins_leave_the_device_unowned_and_ownable() {
    simulated(|| async {
        let script = Scripted::new().with_pins(&["11111111", "22222222", "33333333"]);
        let lab = lab(1, security(&[1]), Arc::new(script)).await;
        let error = otm::own(&lab.mediator, lab.request(0, MethodChoice::Auto))
            .await
            .unwrap_err();
        assert!(
            matches!(error, OwnError::NotAuthenticated { tries: 3, .. }),
            "{error}"
        );
        assert!(!looks_owned(&lab.saved(0)));
        assert!(lab.mediator.store().devices().await.unwrap().is_empty());
    })
}

/// Stops `own` before each of its requests in turn, as a crash would; then
/// the device is unowned or ours with the key stored, and `own` again
/// finishes it at once (the device still runs the dead session).
async fn every_abort_point(config: SecurityConfig, anchors: Vec<Vec<u8>>, pins: usize) {
    for stop in 0.. {
        let script = Scripted::new().with_pins(&vec![PIN; pins * 2]);
        let lab = lab(1, config.clone(), Arc::new(script)).await;
        let mut request = lab.request(0, MethodChoice::Auto);
        request.mfg_trust_anchors = anchors.clone();
        let stopped = lab.mediator.with_failpoint(Failpoint::after_requests(stop));
        match otm::own(&stopped, request.clone()).await {
            Ok(_) => {
                assert!(stop > 10, "the plan has more requests than {stop}");
                return;
            }
            // As after a crash, the writes the stopped operation had
            // started land (or fail) before anyone looks again.
            Err(OwnError::Interrupted) => tokio::time::sleep(Duration::from_millis(10)).await,
            Err(other) => panic!("stop {stop}: {other}"),
        }
        let saved = lab.saved(0);
        if looks_owned(&saved) {
            let di = saved["di"].as_str().unwrap().parse().unwrap();
            let record = lab.mediator.store().device(di).await.unwrap();
            let record = record.unwrap_or_else(|| panic!("stop {stop}: owned, no record"));
            lab.mediator
                .store()
                .owner_key(&record)
                .await
                .unwrap_or_else(|e| panic!("stop {stop}: owned, key: {e}"));
        }
        let started = tokio::time::Instant::now();
        let owned = otm::own(&lab.mediator, request)
            .await
            .unwrap_or_else(|e| panic!("stop {stop}: own again: {e}"));
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "stop {stop}: the rerun waited for the device to drop the dead session"
        );
        assert_eq!(lab.saved(0)["pstat"]["s"], 3, "stop {stop}");
        assert_eq!(lab.saved(0)["di"], owned.di.to_string());
        let records = lab.mediator.store().devices().await.unwrap();
        assert_eq!(records.len(), 1, "stop {stop}: no leftovers: {records:?}");
        assert!(records[0].complete);
    }
}

#[test]
fn just_works_survives_a_stop_before_every_request() {
    simulated(|| async {
        every_abort_point(security(&[0]), Vec::new(), 0).await;
    })
}

#[test]
fn random_pin_survives_a_stop_before_every_request() {
    simulated(|| async {
        every_abort_point(security(&[1]), Vec::new(), 1).await;
    })
}

#[test]
fn manufacturer_certificate_survives_a_stop_before_every_request() {
    simulated(|| async {
        let (config, root) = manufacturer();
        every_abort_point(config, vec![root], 0).await;
    })
}

#[test]
fn disown_resets_the_device_and_forgets_it() {
    simulated(|| async {
        let lab = lab(1, security(&[0]), Arc::new(Unattended)).await;
        let owned = otm::own(&lab.mediator, lab.request(0, MethodChoice::Auto))
            .await
            .unwrap();
        let request = DisownRequest {
            device: DeviceRef::Uuid(owned.di),
            forget_only: false,
            confirmed: true,
        };
        let Disowned::Reset { new_di, .. } = otm::disown(&lab.mediator, request).await.unwrap()
        else {
            panic!("a reset");
        };
        assert_ne!(new_di, owned.di);
        assert!(!looks_owned(&lab.saved(0)));
        assert!(lab.mediator.store().devices().await.unwrap().is_empty());
    })
}

#[test]
fn a_hundred_owns_at_once_in_one_process() {
    kernel_session::join_new_session_keyring();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(hundred());
}

async fn hundred() {
    let lab = lab(100, security(&[0]), Arc::new(Unattended)).await;
    let owns = (0..100).map(|i| {
        let m = lab.mediator.clone();
        let request = lab.request(i, MethodChoice::Auto);
        tokio::spawn(async move { otm::own(&m, request).await })
    });
    let mut owned = Vec::new();
    for own in owns {
        owned.push(own.await.unwrap().expect("owned"));
    }
    let records = lab.mediator.store().devices().await.unwrap();
    assert_eq!(records.len(), 100, "every key stored once");
    for record in &records {
        assert!(record.complete);
        lab.mediator.store().owner_key(record).await.unwrap();
    }
    let mut dis: Vec<_> = owned.iter().map(|o| o.di).collect();
    dis.sort();
    dis.dedup();
    assert_eq!(dis.len(), 100);
}

/// The secure (DTLS) address device `index` announced.
fn secure_address(lab: &Lab, index: usize) -> SocketAddr {
    lab.devices[index]
        .endpoints
        .iter()
        .find_map(|e| e.strip_prefix("coaps://"))
        .expect("a coaps endpoint")
        .parse()
        .unwrap()
}

/// What the in-memory network, which every test of this process shares,
/// does to what one address sends: one test at a time decides it, and it
/// ends with the test.
struct Weather(#[allow(dead_code)] std::sync::MutexGuard<'static, ()>);

impl Weather {
    /// From now on, what `from` sends that `picks` picks meets `fate`;
    /// everything else goes through.
    fn from(from: SocketAddr, picks: fn(&[u8]) -> bool, fate: Fate) -> Weather {
        static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let guard = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
        Weather(guard).and(from, picks, fate)
    }

    /// The same, instead of what was decided before.
    fn and(self, from: SocketAddr, picks: fn(&[u8]) -> bool, fate: Fate) -> Weather {
        use_memory_network().set_fate(Some(
            move |sender: SocketAddr, _: SocketAddr, data: &[u8]| {
                if sender == from && picks(data) {
                    fate
                } else {
                    Fate::Deliver
                }
            },
        ));
        self
    }
}

impl Drop for Weather {
    fn drop(&mut self) {
        use_memory_network().set_fate(None::<fn(SocketAddr, SocketAddr, &[u8]) -> Fate>);
    }
}

/// Every datagram.
fn everything(_: &[u8]) -> bool {
    true
}

/// DTLS records of application data (content type 23): the handshake
/// completes, every answer inside the session meets its fate.
fn application_data(data: &[u8]) -> bool {
    data.first() == Some(&23)
}

/// How long `operation` took in simulated time, and what it returned.
async fn timed<T>(operation: impl std::future::Future<Output = T>) -> (Duration, T) {
    let started = tokio::time::Instant::now();
    let result = operation.await;
    (started.elapsed(), result)
}

/// The mediator's timeout bounds the whole operation on one device: it
/// gives up about once the timeout (10 s) has passed, not after a timeout
/// per request or per handshake flight (which would be several times it).
#[track_caller]
fn about_the_timeout(took: Duration) {
    assert!(
        took >= Duration::from_secs(9) && took <= Duration::from_millis(11_500),
        "gave up after {took:?} with a timeout of 10 s"
    );
}

fn timed_out(error: Option<&DeviceError>) -> bool {
    matches!(error, Some(DeviceError::TimedOut { .. }))
}

#[test]
fn own_gives_up_after_the_timeout_when_every_dtls_answer_is_lost() {
    simulated(|| async {
        let lab = lab(1, security(&[0]), Arc::new(Unattended)).await;
        let _losses = Weather::from(secure_address(&lab, 0), everything, Fate::Drop);
        let (took, result) =
            timed(otm::own(&lab.mediator, lab.request(0, MethodChoice::Auto))).await;
        let error = result.unwrap_err();
        assert!(timed_out(error.device_error()), "{error}");
        about_the_timeout(took);
        assert!(!looks_owned(&lab.saved(0)));
    })
}

#[test]
fn own_gives_up_after_the_timeout_when_answers_inside_the_session_are_lost() {
    simulated(|| async {
        let lab = lab(1, security(&[0]), Arc::new(Unattended)).await;
        let _losses = Weather::from(secure_address(&lab, 0), application_data, Fate::Drop);
        let (took, result) =
            timed(otm::own(&lab.mediator, lab.request(0, MethodChoice::Auto))).await;
        let error = result.unwrap_err();
        assert!(timed_out(error.device_error()), "{error}");
        about_the_timeout(took);
    })
}

#[test]
fn disown_and_cloud_configure_give_up_after_the_timeout_when_the_owner_session_goes_silent() {
    simulated(|| async {
        let lab = lab(1, security(&[0]), Arc::new(Unattended)).await;
        let owned = otm::own(&lab.mediator, lab.request(0, MethodChoice::Auto))
            .await
            .unwrap();
        let losses = Weather::from(secure_address(&lab, 0), application_data, Fate::Drop);

        let ca = pki::issue("Memory Cloud CA", pki::Kind::Ca, None, 0);
        let request = ConfigureRequest {
            device: DeviceRef::Uuid(owned.di),
            cloud: CloudSettings {
                cis: "coaps+tcp://127.0.0.1:5684".into(),
                sid: "5f1e5a55-26b2-4ddd-9b27-2c3e1a7f0c01".parse().unwrap(),
                apn: "plgd".into(),
                trust_anchor: String::from_utf8(ca.pem()).unwrap(),
            },
            token: CloudToken::Given(Arc::new(Secret::new("one-time-code"))),
            force: false,
        };
        let (took, result) = timed(cloud::configure(&lab.mediator, request)).await;
        let error = result.unwrap_err();
        assert!(timed_out(error.device_error()), "{error}");
        about_the_timeout(took);

        // A new owner session: its handshake goes unanswered. (Were only
        // the answers inside it lost, the device would reset itself and
        // close the session, which is not silence.)
        let _losses = losses.and(secure_address(&lab, 0), everything, Fate::Drop);
        let request = DisownRequest {
            device: DeviceRef::Uuid(owned.di),
            forget_only: false,
            confirmed: true,
        };
        let (took, result) = timed(otm::disown(&lab.mediator, request)).await;
        let error = result.unwrap_err();
        assert!(timed_out(error.device_error()), "{error}");
        about_the_timeout(took);
    })
}

/// Each answer inside the owner session (DOC) comes 1.5 s late: well
/// within any one request's patience, and sooner than CoAP retransmits.
const SLOW: Fate = Fate::Delay(Duration::from_millis(1500));

/// A slow device whose every answer comes well within the timeout, but
/// whose whole ownership takes longer than it: `own` gives up once the
/// timeout has passed. With a timeout per request it would succeed.
#[test]
fn own_of_a_slow_device_gives_up_when_the_whole_operation_outlasts_the_timeout() {
    simulated(|| async {
        // With time enough, the same slow device is owned, and it takes
        // longer than 10 s in all.
        let patient = lab_with_timeout(
            1,
            security(&[0]),
            Arc::new(Unattended),
            Duration::from_secs(120),
        )
        .await;
        let weather = Weather::from(secure_address(&patient, 0), application_data, SLOW);
        let (took, result) = timed(otm::own(
            &patient.mediator,
            patient.request(0, MethodChoice::Auto),
        ))
        .await;
        result.expect("owned when the timeout is long enough");
        assert!(
            took > Duration::from_secs(12),
            "the slow ownership took only {took:?}: it does not show a whole-operation timeout"
        );

        let lab = lab(1, security(&[0]), Arc::new(Unattended)).await;
        let _weather = weather.and(secure_address(&lab, 0), application_data, SLOW);
        let (took, result) =
            timed(otm::own(&lab.mediator, lab.request(0, MethodChoice::Auto))).await;
        let error = result.unwrap_err();
        assert!(timed_out(error.device_error()), "{error}");
        about_the_timeout(took);
    })
}
