//! Hostile devices: `ocf-devsim device --misbehave MODE` answers as a broken
//! or malicious device would, and `ocf-mediator` ends each case with a clean
//! error naming the device and the step (its exit code, no panic, no debug
//! text), within bounded time and memory (peak RSS printed and bounded), and
//! leaves nothing lost: a device that looks owned is one we hold the key of.

mod common;
#[path = "common/hostile.rs"]
mod hostile;
#[path = "common/kernel_session.rs"]
mod kernel_session;
#[path = "common/lab.rs"]
mod lab;
#[path = "common/dtls.rs"]
mod pki;

use std::time::Duration;

use hostile::{Hostile, Station, assert_clean_error, assert_memory_bounded, assert_nothing_lost};

/// Every case ends within this (the mediator runs with `--timeout 5s`).
const BOUND: Duration = Duration::from_secs(20);

/// `own` of a device misbehaving as `mode`: exit `code`, the error naming
/// the device's address or UUID, and `says`.
#[track_caller]
fn own_fails(mode: &str, code: i32, says: &[&str]) {
    let station = Station::new();
    let device = Hostile::start(mode, &["--reset-delay-ms", "100"]);
    let address = device.address();
    let run = station.run(&["--timeout", "5s", "own", &address]);
    // A reset the device agreed to takes effect after its reset delay.
    std::thread::sleep(Duration::from_millis(500));
    let di = device.di();
    let named = if run.run.stderr.contains(&di) {
        di.as_str()
    } else {
        address.as_str()
    };
    let mut all = vec![named];
    all.extend_from_slice(says);
    assert_clean_error(mode, &run, code, &all, BOUND);
    assert_nothing_lost(mode, &station, &address, &device.state(0));
}

#[test]
fn an_endless_block2_listing_stops_at_the_size_limit() {
    own_fails(
        "endless-block2",
        3,
        &["GET /oic/res", "exceeds the limit of 262144 bytes"],
    );
}

#[test]
fn a_4_gib_block2_listing_is_refused_at_its_first_block() {
    own_fails(
        "giant-block2",
        3,
        &["GET /oic/res", "exceeds the limit of 262144 bytes"],
    );
}

#[test]
fn a_device_asking_for_endless_block1_continuation_is_a_protocol_error() {
    own_fails(
        "endless-block1",
        1,
        &["select the ownership transfer method", "block-wise"],
    );
}

#[test]
fn a_doxm_never_answered_is_a_timeout_not_another_owner() {
    own_fails(
        "silent-doxm",
        4,
        &["did not answer in time", "GET /oic/sec/doxm"],
    );
}

#[test]
fn cbor_nested_10000_deep_is_refused_at_the_nesting_limit() {
    own_fails(
        "deep-cbor",
        1,
        &["GET /oic/sec/doxm", "nest more than 256 levels deep"],
    );
}

#[test]
fn a_1_mib_string_is_refused_at_the_size_limit() {
    own_fails(
        "huge-string",
        1,
        &["GET /oic/sec/doxm", "exceeds the limit of 262144 bytes"],
    );
}

#[test]
fn doxm_with_owned_yes_is_a_broken_device_not_an_owned_one() {
    own_fails(
        "doxm-wrong-types",
        1,
        &["GET /oic/sec/doxm", "owned is not a boolean"],
    );
}

#[test]
fn answers_for_other_tokens_are_ignored() {
    // Each answer comes after two that carry other tokens (one with the
    // request's message id): taken for the answer, they would refuse.
    let station = Station::new();
    let device = Hostile::start("stray-tokens", &[]);
    let address = device.address();
    let run = station.run(&["--json", "--timeout", "5s", "own", &address]);
    println!(
        "stray-tokens: exit {} in {:.2} s, peak RSS {:.1} MiB",
        run.run.code,
        run.elapsed.as_secs_f64(),
        run.peak_rss_mib
    );
    assert_eq!(run.run.code, 0, "{}", run.run.stderr);
    assert_memory_bounded("stray-tokens", &run);
    let state = device.state(0);
    assert_eq!(state["pstat"]["s"], 3, "in RFNOP: {state}");
    assert_nothing_lost("stray-tokens", &station, &address, &state);
}

#[test]
fn a_device_whose_answers_all_carry_other_tokens_times_out() {
    own_fails("wrong-tokens", 4, &["did not answer in time"]);
}

#[test]
fn a_dtls_finished_that_does_not_verify_fails_the_handshake() {
    own_fails(
        "bad-finished",
        5,
        &["ownership transfer handshake", "Finished did not verify"],
    );
}

#[test]
fn a_suite_the_client_did_not_offer_fails_the_handshake() {
    own_fails(
        "unoffered-suite",
        1,
        &["ownership transfer handshake", "which was not offered"],
    );
}

#[test]
fn a_manufacturer_chain_that_does_not_verify_is_refused() {
    let maker = pki::issue("Maker Root", pki::Kind::Ca, None, 0);
    let stranger = pki::issue("Stranger Root", pki::Kind::Ca, None, 0);
    let leaf = pki::issue(
        "uuid:00000000-0000-0000-0000-0000000000cc",
        pki::Kind::Server,
        Some(&stranger),
        0,
    );
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, pem: Vec<u8>| {
        let path = dir.path().join(name);
        std::fs::write(&path, pem).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let (ca, chain, key) = (
        file("maker.pem", maker.pem()),
        file("chain.pem", leaf.pem()),
        file("key.pem", leaf.key_pem()),
    );
    let station = Station::new();
    let state = tempfile::tempdir().unwrap();
    let sim = common::DevSim::start(&[
        "--state-dir",
        state.path().to_str().unwrap(),
        "--otm",
        "mfg",
        "--mfg-cert",
        &chain,
        "--mfg-key",
        &key,
    ]);
    let address = sim.address(0);
    let run = station.run(&["--timeout", "5s", "own", &address, "--mfg-ca", &ca]);
    assert_clean_error(
        "untrusted manufacturer chain",
        &run,
        5,
        &[
            &sim.di(0),
            "manufacturer certificate",
            "does not verify against --mfg-ca",
            "not issued by any certificate in --mfg-ca",
        ],
        BOUND,
    );
    assert_nothing_lost(
        "untrusted manufacturer chain",
        &station,
        &address,
        &hostile::device_state(state.path(), 0),
    );
}

#[test]
fn a_device_that_claims_to_be_owned_mid_sequence_leaves_nothing_lost() {
    own_fails("owned-mid-sequence", 6, &["give the device its new UUID"]);
}

#[test]
fn a_device_taking_a_uuid_we_already_own_is_reset_and_the_owned_one_kept() {
    let station = Station::new();
    let first = Hostile::normal(1, &[]);
    let owned = station.run(&["--json", "own", &first.address()]);
    assert_eq!(owned.run.code, 0, "{}", owned.run.stderr);
    let taken = owned.run.json()["di"].as_str().unwrap().to_owned();

    let device = Hostile::start("uuid-change", &["--misbehave-uuid", &taken]);
    let address = device.address();
    let run = station.run(&["--timeout", "5s", "own", &address]);
    assert_clean_error(
        "uuid-change",
        &run,
        1,
        &[
            &device.di(),
            "give the device its new UUID",
            &format!("it took the UUID {taken}"),
        ],
        BOUND,
    );
    // The device is back in RFOTM, unowned; the device we own is untouched.
    let state = device.state(0);
    assert_eq!(state["doxm"]["owned"], false, "{state}");
    assert_nothing_lost("uuid-change", &station, &address, &state);
    let listed = station.devices();
    assert_eq!(listed.len(), 1, "only the first device: {listed:?}");
    assert_eq!(listed[0]["di"], taken.as_str());
    assert_eq!(listed[0]["complete"], true);
    assert_eq!(listed[0]["key"], "present");
}

#[test]
fn pstat_with_dos_3_is_a_clean_error_when_an_ownership_is_resumed() {
    // Stopped right after the device entered RFPRO, `own` resumes over an
    // owner session and reads pstat: the answer cannot be used.
    let station = Station::new();
    let device = Hostile::start("pstat-wrong-types", &[]);
    let address = device.address();
    let mut command = station.command(&["--timeout", "5s", "own", &address]);
    command.env("OCF_MEDIATOR_TEST_STOP_AFTER", "12");
    let stopped = station.measure(command);
    assert_eq!(stopped.run.code, 86, "{}", stopped.run.stderr);
    assert_eq!(device.state(0)["pstat"]["s"], 2, "stopped in RFPRO");
    let run = station.run(&["--timeout", "5s", "own", &address]);
    assert_clean_error(
        "pstat-wrong-types",
        &run,
        1,
        &["read the provisioning state", "dos"],
        BOUND,
    );
    assert_nothing_lost("pstat-wrong-types", &station, &address, &device.state(0));
}

#[test]
fn cred_with_creds_7_is_a_clean_error_of_cloud_configure() {
    let station = Station::new();
    let device = Hostile::start("cred-wrong-types", &[]);
    let address = device.address();
    let owned = station.run(&["--json", "own", &address]);
    assert_eq!(owned.run.code, 0, "{}", owned.run.stderr);
    let di = owned.run.json()["di"].as_str().unwrap().to_owned();
    let ca = pki::issue("Cloud Root", pki::Kind::Ca, None, 0);
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca.pem()).unwrap();
    let run = station.run_with_stdin(
        &[
            "--timeout",
            "5s",
            "cloud",
            "configure",
            &di,
            "--cis",
            "coaps+tcp://127.0.0.1:9",
            "--sid",
            "11111111-2222-4333-8444-555555555555",
            "--apn",
            "plgd",
            "--ca",
            ca_file.to_str().unwrap(),
            "--token-stdin",
        ],
        "a-token\n",
    );
    assert_clean_error(
        "cred-wrong-types",
        &run,
        1,
        &[&di, "GET /oic/sec/cred", "creds is not a list of maps"],
        BOUND,
    );
}

#[test]
fn a_cloud_configuration_with_cis_42_is_a_clean_error_of_cloud_status() {
    let station = Station::new();
    let device = Hostile::start("cloud-conf-wrong-types", &[]);
    let owned = station.run(&["--json", "own", &device.address()]);
    assert_eq!(owned.run.code, 0, "{}", owned.run.stderr);
    let di = owned.run.json()["di"].as_str().unwrap().to_owned();
    let run = station.run(&["--timeout", "5s", "cloud", "status", &di]);
    assert_clean_error(
        "cloud-conf-wrong-types",
        &run,
        1,
        &[&di, "GET /CoapCloudConfResURI", "cis is not a text string"],
        BOUND,
    );
}

/// One hostile device of each kind in a batch with well-behaved ones: the
/// well-behaved all register, each hostile one fails alone with its step.
#[test]
fn a_batch_with_hostile_devices_registers_the_others() {
    let lab = lab::LabProcess::start(&["--devices", "4"]);
    let station = Station::new();
    let login = station.run_with_stdin(
        &[
            "login",
            "--hub",
            &lab.hub(),
            "--client-credentials",
            "--client-secret-stdin",
        ],
        &format!("{}\n", lab.text("m2m_client_secret")),
    );
    assert_eq!(login.run.code, 0, "login: {}", login.run.stderr);
    let hostile: Vec<(&str, &str)> = vec![
        ("endless-block2", "locate"),
        ("giant-block2", "locate"),
        ("endless-block1", "own"),
        ("deep-cbor", "own"),
        ("huge-string", "own"),
        ("doxm-wrong-types", "own"),
        ("wrong-tokens", "locate"),
        ("bad-finished", "own"),
        ("unoffered-suite", "own"),
        ("owned-mid-sequence", "own"),
        ("uuid-change", "own"),
        ("cloud-conf-wrong-types", "register"),
    ];
    let devices: Vec<Hostile> = hostile
        .iter()
        .map(|(mode, _)| Hostile::start(mode, &["--reset-delay-ms", "100"]))
        .collect();
    let normal: Vec<String> = lab
        .devices()
        .iter()
        .map(|d| {
            d["endpoints"][0]
                .as_str()
                .unwrap()
                .trim_start_matches("coap://")
                .to_owned()
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let batch = dir.path().join("batch.csv");
    let mut csv = String::from("device\n");
    for address in normal
        .iter()
        .cloned()
        .chain(devices.iter().map(Hostile::address))
    {
        csv.push_str(&address);
        csv.push('\n');
    }
    std::fs::write(&batch, csv).unwrap();
    let run = station.run(&[
        "--json",
        "--timeout",
        "5s",
        "provision",
        "--batch",
        batch.to_str().unwrap(),
        "--jobs",
        "16",
    ]);
    println!(
        "batch of {} normal and {} hostile devices: exit {} in {:.2} s, peak RSS {:.1} MiB",
        normal.len(),
        devices.len(),
        run.run.code,
        run.elapsed.as_secs_f64(),
        run.peak_rss_mib
    );
    assert_eq!(run.run.code, 7, "{}\n{}", run.run.stdout, run.run.stderr);
    assert!(!run.run.stderr.contains("panicked"), "{}", run.run.stderr);
    assert!(run.elapsed < Duration::from_secs(60), "{:?}", run.elapsed);
    hostile::assert_memory_bounded("batch", &run);
    std::thread::sleep(Duration::from_millis(500));
    let records = run.run.json_lines();
    let record = |address: &str| {
        records
            .iter()
            .find(|r| r["device"] == address)
            .unwrap_or_else(|| panic!("no record for {address}: {records:?}"))
            .clone()
    };
    for address in &normal {
        let r = record(address);
        assert_eq!(r["ok"], true, "a well-behaved device failed: {r}");
        assert_eq!(r["cps"], "registered", "{r}");
    }
    for ((mode, step), device) in hostile.iter().zip(&devices) {
        let r = record(&device.address());
        println!(
            "  {mode}: {} at {}: {}",
            r["exit"], r["failed_step"], r["error"]
        );
        assert_eq!(r["ok"], false, "{mode}: {r}");
        assert_eq!(r["failed_step"], *step, "{mode}: {r}");
        let error = r["error"].as_str().unwrap();
        for debug in ["panicked", "Error {", "Some(", "kind:"] {
            assert!(!error.contains(debug), "{mode}: {error}");
        }
        assert_nothing_lost(mode, &station, &device.address(), &device.state(0));
    }
}

/// A device giving, unowned, the UUID of one we own (which still answers,
/// owned, where we left it) is an impostor: it is not taken, and the key of
/// the real one is kept. (Taken "afresh", the real device's key would go.)
#[test]
fn an_impostor_giving_the_uuid_of_an_owned_device_is_not_taken() {
    let station = Station::new();
    let real = Hostile::normal(1, &[]);
    let owned = station.run(&["--json", "own", &real.address()]);
    assert_eq!(owned.run.code, 0, "{}", owned.run.stderr);
    let taken = owned.run.json()["di"].as_str().unwrap().to_owned();

    // An unowned device whose saved identity is made to be that UUID.
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().to_str().unwrap().to_owned();
    drop(common::DevSim::start(&["--state-dir", &state]));
    let path = dir.path().join("device-0.json");
    let mut saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    saved["di"] = taken.as_str().into();
    std::fs::write(&path, saved.to_string()).unwrap();
    let impostor = common::DevSim::start(&["--state-dir", &state]);
    assert_eq!(impostor.di(0), taken);

    let address = impostor.address(0);
    let run = station.run(&["--timeout", "5s", "own", &address]);
    assert_clean_error(
        "impostor",
        &run,
        1,
        &[&address, &taken, "still answers, owned", &real.address()],
        BOUND,
    );
    let listed = station.devices();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["di"], taken.as_str());
    assert_eq!(listed[0]["complete"], true);
    assert_eq!(listed[0]["key"], "present");
    let state = hostile::device_state(dir.path(), 0);
    assert_eq!(state["doxm"]["owned"], false, "untouched: {state}");
}
