//! `own`, `disown`, owner sessions: each ownership transfer method end to end
//! against `ocf-devsim`, with the owner key in a real Secret Service.

mod common;
#[path = "common/dtls.rs"]
mod pki;
#[path = "common/silent_dtls.rs"]
mod silent_dtls;

use common::keyring::TestHome;
use std::time::{Duration, Instant};

use common::{DevSim, Run};
use serde_json::Value;

/// A scratch home and one simulated device with the given devsim flags.
fn setup(devsim_flags: &[&str]) -> (TestHome, DevSim) {
    let mut flags = vec!["--reset-delay-ms", "200"];
    flags.extend_from_slice(devsim_flags);
    (TestHome::start(), DevSim::start(&flags))
}

fn own(home: &TestHome, sim: &DevSim, flags: &[&str]) -> Run {
    let address = sim.address(0);
    let mut args = vec!["--json", "own", address.as_str()];
    args.extend_from_slice(flags);
    home.mediator(&args)
}

/// What plain discovery says about the device now.
fn discovered(home: &TestHome, sim: &DevSim) -> Value {
    home.mediator(&["--json", "discover", "--address", &sim.address(0)])
        .json()
}

fn owned_di(run: &Run) -> String {
    assert_eq!(run.code, 0, "own failed: {}", run.stderr);
    run.json()["di"].as_str().unwrap().to_owned()
}

#[test]
fn just_works_takes_the_device_and_the_owner_session_reaches_it() {
    let (home, sim) = setup(&[]);
    let run = own(&home, &sim, &[]);
    let di = owned_di(&run);
    let result = run.json();
    assert_eq!(result["otm"], "jw");
    assert_eq!(result["previous_di"], sim.di(0));
    assert_ne!(
        di,
        sim.di(0),
        "the device takes a new UUID during ownership"
    );
    assert_eq!(discovered(&home, &sim)["owned"], true);
    let device = home.mediator(&["--json", "get", &di, "/oic/d"]);
    assert_eq!(device.code, 0, "{}", device.stderr);
    assert_eq!(device.json()["representation"]["di"], di.as_str());
    let listed = home.mediator(&["--json", "devices"]).json();
    assert_eq!(
        (listed["di"].as_str(), listed["key"].as_str()),
        (Some(di.as_str()), Some("present"))
    );
    assert!(home.has_owner_key(&di));
    assert_eq!(
        home.secret_accounts().len(),
        1,
        "one keyring item, the store's key-encryption key"
    );
}

#[test]
fn the_owner_can_update_cloud_configuration_it_was_granted() {
    let (home, sim) = setup(&[]);
    let di = owned_di(&own(&home, &sim, &[]));
    let body = r#"{"apn":"plgd","cis":"coaps+tcp://127.0.0.1:5684","sid":"00000000-0000-0000-0000-000000000001","at":"one-time-code"}"#;
    let run = home.mediator_with_stdin(
        &["--json", "update", &di, "/CoapCloudConfResURI", "-d", "-"],
        body,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["representation"]["cps"], "readytoregister");
}

#[test]
fn disown_resets_the_device_and_forgets_the_key_then_it_can_be_owned_again() {
    let (home, sim) = setup(&[]);
    let di = owned_di(&own(&home, &sim, &[]));
    let run = home.mediator(&["--json", "disown", "--yes", &di]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let line = run.json();
    assert_eq!(line["previous_di"], di.as_str());
    let new_di = line["di"].as_str().unwrap().to_owned();
    assert_ne!(new_di, di);
    assert_eq!(discovered(&home, &sim)["owned"], false);
    assert!(home.owner_keys().is_empty());
    assert_eq!(home.mediator(&["--json", "devices"]).stdout, "");
    owned_di(&own(&home, &sim, &[]));
}

#[test]
fn random_pin_from_stdin() {
    let (home, sim) = setup(&["--otm", "rdp", "--pin", "31415926"]);
    let address = sim.address(0);
    let run = home.mediator_with_stdin(&["--json", "own", &address, "--pin-stdin"], "3141-5926\n");
    assert_eq!(owned_di(&run).len(), 36);
    assert_eq!(run.json()["otm"], "rdp");
}

#[test]
fn a_wrong_pin_is_an_authentication_failure_and_the_device_stays_ownable() {
    let (home, sim) = setup(&["--otm", "rdp", "--pin", "31415926"]);
    let address = sim.address(0);
    let run = home.mediator_with_stdin(&["--json", "own", &address, "--pin-stdin"], "11111111\n");
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(
        run.stderr.contains("PIN"),
        "the error says what to check: {}",
        run.stderr
    );
    let device = discovered(&home, &sim);
    assert_eq!(
        (device["owned"].as_bool(), device["di"].as_str()),
        (Some(false), Some(sim.di(0).as_str()))
    );
    assert!(
        home.state()["devices"]
            .as_object()
            .is_none_or(|d| d.is_empty())
    );
    assert!(home.owner_keys().is_empty(), "no key is kept");
    assert!(
        home.secret_accounts().iter().all(|a| a.starts_with("kek/")),
        "the keyring holds at most the store's key-encryption key: {:?}",
        home.secret_accounts()
    );
    let run = home.mediator_with_stdin(&["--json", "own", &address, "--pin-stdin"], "31415926\n");
    let di = owned_di(&run);
    let accounts = home.secret_accounts();
    assert!(
        accounts.len() == 1 && accounts[0].starts_with("kek/"),
        "one keyring item, the store's key-encryption key: {accounts:?}"
    );
    assert_eq!(home.owner_keys()[0].0, di);
}

/// The device ends unowned and we keep no entry for it.
fn assert_not_taken(home: &TestHome, sim: &DevSim) {
    assert_eq!(discovered(home, sim)["owned"], false);
    assert!(
        home.state()["devices"]
            .as_object()
            .is_none_or(|d| d.is_empty()),
        "{}",
        home.state()
    );
}

#[test]
fn without_a_secret_service_the_device_is_not_taken() {
    let (home, sim) = setup(&[]);
    let address = sim.address(0);
    let bus = format!("unix:path={}/no-bus", home.path().display());
    let run = home.mediator_with_env(
        &["own", &address],
        &[("DBUS_SESSION_BUS_ADDRESS", &bus)],
        "",
    );
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("not taken"), "{}", run.stderr);
    assert!(run.stderr.contains("--volatile-keyring"), "{}", run.stderr);
    assert_not_taken(&home, &sim);
}

/// A keyring daemon that dies (gnome-keyring can abort on a client killed
/// mid-request) and is started again with the same login keyring, as a
/// session restarts it: the mediator reaches the device it owns with the
/// key sealed before, and owns the next one.
#[test]
fn after_the_keyring_daemon_restarts_the_owner_keys_still_open() {
    let home = TestHome::start();
    let sim = DevSim::start(&["--count", "2"]);
    let first = owned_di(&home.mediator(&["--json", "own", &sim.address(0)]));
    let killed = std::process::Command::new("pkill")
        .args(["-ABRT", "-f", "-P"])
        .arg(home.keyring_supervisor().to_string())
        .arg("^gnome-keyring-daemon")
        .status()
        .unwrap();
    assert!(killed.success(), "no gnome-keyring-daemon to kill");
    assert!(
        common::wait_until(Duration::from_secs(10), || home.keyring_restarts() == 1),
        "the test's keyring was not restarted"
    );
    common::keyring::wait_for_secret_service(home.bus_address());
    let get = home.mediator(&["--json", "get", &first, "/oic/d"]);
    assert_eq!(get.code, 0, "{}", get.stderr);
    owned_di(&home.mediator(&["--json", "own", &sim.address(1)]));
}

/// The key is written while the first DOC steps run; when the write fails
/// (here a locked keyring that cannot prompt), the device never hears
/// `owned` and is reset.
#[test]
fn a_locked_keyring_stops_ownership_and_the_device_is_reset() {
    let (home, sim) = setup(&[]);
    home.lock_keyring();
    let run = own(&home, &sim, &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("not taken"), "{}", run.stderr);
    assert!(run.stderr.contains("reset"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("unlock the keyring, or use --volatile-keyring"),
        "{}",
        run.stderr
    );
    assert_not_taken(&home, &sim);
}

#[test]
fn a_device_gone_for_good_is_forgotten_with_disown_forget() {
    let (home, sim) = setup(&[]);
    let di = owned_di(&own(&home, &sim, &[]));
    drop(sim);
    let run = home.mediator(&["--timeout", "300ms", "disown", "--yes", &di]);
    assert_ne!(run.code, 0);
    assert!(
        run.stderr.contains(&format!("disown --forget {di}")),
        "the error says how to drop it: {}",
        run.stderr
    );
    assert!(home.has_owner_key(&di), "kept until asked");
    // Forgetting a complete entry loses the device for good: a script says
    // --yes, or nothing happens.
    let run = home.mediator(&["disown", "--forget", &di]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--yes"), "{}", run.stderr);
    assert!(home.has_owner_key(&di), "nothing was forgotten");
    let run = home.mediator(&["--json", "disown", "--yes", "--forget", &di]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["forgotten"], true);
    assert!(run.stderr.contains("reset at the device"), "{}", run.stderr);
    assert!(home.owner_keys().is_empty());
    assert!(
        home.mediator(&["--json", "devices"])
            .stdout
            .trim()
            .is_empty()
    );
    let run = home.mediator(&["disown", "--yes", "--forget", &di]);
    assert_eq!(run.code, 3, "an unknown device: {}", run.stderr);
}

#[test]
fn random_pin_without_a_terminal_or_stdin_is_a_usage_error() {
    let (home, sim) = setup(&["--otm", "rdp", "--pin", "31415926"]);
    let run = own(&home, &sim, &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--pin-stdin"), "{}", run.stderr);
    assert_eq!(discovered(&home, &sim)["owned"], false);
}

/// A manufacturer CA, and a device chain it issued (leaf + intermediate).
struct Manufacturer {
    dir: tempfile::TempDir,
}

impl Manufacturer {
    fn new(name: &str) -> Manufacturer {
        let ca = pki::issue(&format!("{name} Root CA"), pki::Kind::Ca, None, 0);
        let intermediate = pki::issue(&format!("{name} Devices CA"), pki::Kind::Ca, Some(&ca), 0);
        let leaf = pki::issue(
            "uuid:00000000-0000-0000-0000-0000000000aa",
            pki::Kind::Server,
            Some(&intermediate),
            0,
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
        std::fs::write(
            dir.path().join("chain.pem"),
            [leaf.pem(), intermediate.pem()].concat(),
        )
        .unwrap();
        std::fs::write(dir.path().join("key.pem"), leaf.key_pem()).unwrap();
        Manufacturer { dir }
    }

    fn file(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_owned()
    }

    fn devsim_flags(&self) -> Vec<String> {
        vec![
            "--otm".into(),
            "jw,mfg".into(),
            "--mfg-cert".into(),
            self.file("chain.pem"),
            "--mfg-key".into(),
            self.file("key.pem"),
        ]
    }
}

#[test]
fn manufacturer_certificate_chosen_by_auto_when_trust_anchors_are_given() {
    let maker = Manufacturer::new("Acme");
    let flags = maker.devsim_flags();
    let (home, sim) = setup(&flags.iter().map(String::as_str).collect::<Vec<_>>());
    let run = own(&home, &sim, &["--mfg-ca", &maker.file("ca.pem")]);
    owned_di(&run);
    assert_eq!(run.json()["otm"], "mfg");
}

#[test]
fn a_chain_from_another_manufacturer_is_refused_and_nothing_is_written() {
    let maker = Manufacturer::new("Acme");
    let other = Manufacturer::new("Other");
    let flags = maker.devsim_flags();
    let (home, sim) = setup(&flags.iter().map(String::as_str).collect::<Vec<_>>());
    let before = home
        .mediator(&["--json", "get", &sim.address(0), "/oic/sec/doxm"])
        .json();
    let run = own(
        &home,
        &sim,
        &["--otm", "mfg", "--mfg-ca", &other.file("ca.pem")],
    );
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("uuid:00000000-0000-0000-0000-0000000000aa")
            && run.stderr.contains("Acme Devices CA"),
        "the error names subject and issuer: {}",
        run.stderr
    );
    let after = home
        .mediator(&["--json", "get", &sim.address(0), "/oic/sec/doxm"])
        .json();
    assert_eq!(before["representation"], after["representation"]);
    assert!(
        home.state()["devices"]
            .as_object()
            .is_none_or(|d| d.is_empty())
    );
}

#[test]
fn a_device_owned_by_someone_else_is_refused() {
    let (home, sim) = setup(&[]);
    owned_di(&own(&home, &sim, &[]));
    let stranger = TestHome::start();
    let run = own(&stranger, &sim, &[]);
    assert_eq!(run.code, 6, "{}", run.stderr);
    assert!(run.stderr.contains("already owned"), "{}", run.stderr);
}

#[test]
fn owning_again_what_we_own_changes_nothing() {
    let (home, sim) = setup(&[]);
    let di = owned_di(&own(&home, &sim, &[]));
    let run = home.mediator(&["--json", "own", &di]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        (run.json()["di"].as_str(), run.json()["changed"].as_bool()),
        (Some(di.as_str()), Some(false))
    );
    let by_address = home.mediator(&["own", &sim.address(0)]);
    assert_eq!(by_address.code, 0, "{}", by_address.stderr);
    assert!(
        by_address
            .stdout
            .contains("already owned by this mediator; nothing to do"),
        "{}",
        by_address.stdout
    );
}

#[test]
fn a_device_whose_key_was_lost_is_reported_not_touched() {
    let (home, sim) = setup(&[]);
    let di = owned_di(&own(&home, &sim, &[]));
    home.forget_kek();
    let key = home.mediator(&["--json", "devices"]).json()["key"].clone();
    assert!(
        key.as_str()
            .unwrap()
            .contains("key-encryption key of this store is missing"),
        "{key}"
    );
    let run = home.mediator(&["get", &di, "/oic/d"]);
    assert_eq!(run.code, 5, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("missing from the secret-service keyring"),
        "{}",
        run.stderr
    );
}

#[test]
fn no_secret_reaches_any_output_at_any_verbosity() {
    let (home, sim) = setup(&["--otm", "rdp", "--pin", "27182818"]);
    let address = sim.address(0);
    let run = home.mediator_with_stdin(&["-vv", "own", &address, "--pin-stdin"], "27182818\n");
    let json = home.mediator_with_stdin(&["--json", "-vv", "devices"], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let di = home.state()["devices"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    let keys = home.owner_keys();
    assert_eq!(keys[0].0, di);
    let key_hex: String = keys[0].1.iter().map(|b| format!("{b:02x}")).collect();
    let mut store = std::fs::read(home.state_dir().join("store.sqlite3")).unwrap();
    store.extend(std::fs::read(home.state_dir().join("store.sqlite3-wal")).unwrap_or_default());
    assert!(
        !store
            .windows(keys[0].1.len())
            .any(|w| w == keys[0].1.as_slice()),
        "the owner key is in the store only sealed"
    );
    let state = String::from_utf8_lossy(&store).into_owned();
    for text in [&run.stdout, &run.stderr, &json.stdout, &json.stderr, &state] {
        assert!(!text.contains("27182818"), "the PIN leaked: {text}");
        assert!(
            !text.to_lowercase().contains(&key_hex),
            "the owner key leaked: {text}"
        );
    }
}

/// own → get /oic/d over the owner session → disown → own again.
fn lifecycle(devsim_flags: &[&str], own_flags: &[&str], stdin: &str) {
    let (home, sim) = setup(devsim_flags);
    let address = sim.address(0);
    let mut args = vec!["--json", "own", address.as_str()];
    args.extend_from_slice(own_flags);
    let di = owned_di(&home.mediator_with_stdin(&args, stdin));
    let device = home.mediator(&["--json", "-vv", "get", &di, "/oic/d"]);
    assert_eq!(device.code, 0, "{}", device.stderr);
    assert_eq!(device.json()["representation"]["di"], di.as_str());
    assert_eq!(home.mediator(&["--json", "disown", "--yes", &di]).code, 0);
    owned_di(&home.mediator_with_stdin(&args, stdin));
}

#[test]
fn each_method_owns_serves_disowns_and_owns_again() {
    lifecycle(&[], &["--otm", "jw"], "");
    lifecycle(
        &["--otm", "rdp", "--pin", "55555555"],
        &["--otm", "rdp", "--pin-stdin"],
        "55555555",
    );
    let maker = Manufacturer::new("Lifecycle");
    let flags = maker.devsim_flags();
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    lifecycle(
        &flags,
        &["--otm", "mfg", "--mfg-ca", &maker.file("ca.pem")],
        "",
    );
}

#[test]
fn an_owned_device_is_reached_by_its_name_too() {
    let home = TestHome::start();
    let sim = DevSim::start(&["--name", "Garage Door"]);
    owned_di(&own(&home, &sim, &[]));
    let run = home.mediator(&["--json", "get", "Garage Door", "/oic/d"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["representation"]["n"], "Garage Door");
}

#[test]
fn a_dry_run_of_own_lists_the_steps_and_changes_nothing() {
    let (home, sim) = setup(&["--otm", "rdp", "--pin", "31415926"]);
    let before = discovered(&home, &sim);
    let run = home.mediator(&["own", &sim.address(0), "--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("Dry run: would take"), "{}", run.stdout);
    for step in [
        "select the ownership transfer method: POST /oic/sec/doxm {\"oxmsel\":1} (unsecured)",
        "ask for the PIN the device shows",
        "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256",
        "mark the device owned: POST /oic/sec/doxm {\"owned\":true} (doc)",
        "move the device to RFNOP",
    ] {
        assert!(run.stdout.contains(step), "{step:?} in:\n{}", run.stdout);
    }
    let json = own(&home, &sim, &["--dry-run"]).json();
    assert_eq!(
        (json["action"].as_str(), json["otm"].as_str()),
        (Some("take"), Some("rdp"))
    );
    assert!(json["steps"].as_array().unwrap().len() > 10);
    assert_eq!(discovered(&home, &sim), before, "nothing was written");
    assert!(home.mediator(&["--json", "devices"]).stdout.is_empty());
}

#[test]
fn a_dry_run_of_disown_lists_the_steps_and_changes_nothing() {
    let (home, sim) = setup(&[]);
    let di = owned_di(&own(&home, &sim, &[]));
    let run = home.mediator(&["disown", &di, "--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for step in [
        "ask for a confirmation",
        "reset the device: POST /oic/sec/pstat {\"dos\":{\"s\":0}} (owner session)",
        "forget the device's record and its owner key",
    ] {
        assert!(run.stdout.contains(step), "{step:?} in:\n{}", run.stdout);
    }
    let get = home.mediator(&["--json", "get", &di, "/oic/sec/pstat"]);
    assert_eq!(
        get.json()["representation"]["dos"]["s"],
        3,
        "still ours, in RFNOP"
    );
}

#[test]
fn disown_asks_and_a_script_without_yes_is_told_to_pass_it() {
    let (home, sim) = setup(&[]);
    let di = owned_di(&own(&home, &sim, &[]));
    let run = home.mediator(&["disown", &di]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--yes"), "{}", run.stderr);
    assert_eq!(
        home.mediator(&["--json", "devices"]).json()["di"],
        di.as_str(),
        "nothing was done"
    );
}

/// `--timeout` bounds the whole operation on the device: with a device
/// whose DTLS port never answers, `own --timeout 2s` gives up after about
/// 2 s (not a timeout per handshake flight or per request), with exit 4
/// and the step it was at.
#[test]
fn own_gives_up_after_the_timeout_when_the_secure_port_is_silent() {
    let (home, sim) = setup(&[]);
    let front = silent_dtls::silent_secure_port(sim.socket_addr(0), &sim.di(0));
    let started = Instant::now();
    let run = home.mediator(&["--json", "--timeout", "2s", "own", &front.to_string()]);
    let took = started.elapsed();
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(3),
        "gave up after {took:?} with --timeout 2s"
    );
    let error = run.json();
    assert_eq!(error["exit"], 4);
    assert_eq!(error["step"], "ownership transfer handshake", "{error}");
    assert!(
        run.stderr.contains("did not answer in time"),
        "{}",
        run.stderr
    );
    assert_eq!(discovered(&home, &sim)["owned"], false, "untouched");
    assert!(home.owner_keys().is_empty());
}

/// An address of a device this mediator owns is reached over the owner
/// session, as its UUID and name are: what only the owner may read answers.
#[test]
fn an_owned_device_named_by_its_address_is_reached_over_the_owner_session() {
    let (home, sim) = setup(&[]);
    owned_di(&own(&home, &sim, &[]));
    let run = home.mediator(&["--json", "get", &sim.address(0), "/oic/sec/pstat"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let answer = run.json();
    assert!(
        answer["endpoint"].as_str().unwrap().starts_with("coaps://"),
        "{answer}"
    );
    assert_eq!(answer["representation"]["dos"]["s"], 3, "RFNOP");
}
