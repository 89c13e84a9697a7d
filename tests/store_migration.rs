//! The first run on a state directory of an earlier version (`state.json`,
//! `complete/` marks, one keyring item `device/<UUID>` per owner key)
//! moves it into the store: records, identity and profiles into the
//! database, each key sealed under the store's key-encryption key, the old
//! keyring items deleted and `state.json` renamed to `state.json.migrated`.
//! With a real gnome-keyring, and with the kernel keyring in a session.

mod common;

use std::io::Write;
use std::process::Stdio;

use common::keyring::TestHome;
use common::{DevSim, MEDIATOR, Run};

const DI: &str = "95dd205a-157f-4582-7432-1eed3000de30";
const OTHER: &str = "0685b4b5-8f60-4b1c-a6de-2d6b4b3c0d7e";
const MEDIATOR_UUID: &str = "1f5b5c4d-56a4-45c2-57bc-98abe007ee36";

/// The files an earlier version left: two devices, one marked complete.
fn write_legacy_state(home: &TestHome, keyring: &str, endpoints: &[String]) {
    let dir = home.state_dir();
    std::fs::create_dir_all(dir.join("complete")).unwrap();
    let state = serde_json::json!({
        "mediator_uuid": MEDIATOR_UUID,
        "devices": {
            DI: { "name": "Kitchen Light", "endpoints": endpoints,
                  "otm": "jw", "keyring": keyring, "complete": false },
            OTHER: { "name": "Hall", "endpoints": [], "otm": "rdp",
                     "keyring": keyring, "complete": true, "previous_uuid": DI },
        },
        "profiles": { "plgd": { "name": "plgd", "client_id": "x" } },
    });
    std::fs::write(dir.join("state.json"), state.to_string()).unwrap();
    std::fs::write(dir.join("complete").join(DI), b"").unwrap();
}

fn store_secret(home: &TestHome, account: &str, secret: &str) {
    let mut child = home
        .command("secret-tool")
        .args(["store", "--label=test", "service", "ocf-mediator"])
        .args(["username", account, "target", "default"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("secret-tool (run scripts/setup.sh to install libsecret-tools)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(secret.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
}

fn listed(home: &TestHome) -> serde_json::Value {
    home.state()["devices"].clone()
}

#[test]
fn the_old_state_and_keyring_items_move_into_the_store_once() {
    let home = TestHome::start();
    write_legacy_state(&home, "secret-service", &["coaps://127.0.0.1:5684".into()]);
    store_secret(&home, &format!("device/{DI}"), "0123456789abcdef");

    let devices = listed(&home);
    assert_eq!(devices[DI]["key"], "present");
    assert_eq!(
        devices[DI]["complete"], true,
        "the completion mark is applied"
    );
    assert_eq!(devices[DI]["name"], "Kitchen Light");
    assert_eq!(devices[OTHER]["key"], "missing", "it had no key to move");
    let dir = home.state_dir();
    assert!(!dir.join("state.json").exists());
    assert!(dir.join("state.json.migrated").exists());
    assert!(!dir.join("complete").exists());
    let accounts = home.secret_accounts();
    assert!(
        accounts.len() == 1 && accounts[0].starts_with("kek/"),
        "the device item is gone, the store's KEK is there: {accounts:?}"
    );
    assert_eq!(
        home.owner_keys(),
        vec![(DI.to_owned(), b"0123456789abcdef".to_vec())]
    );

    // Identity and profiles moved too.
    let store = ocf_mediator::store::Store::open(Some(&dir)).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    assert_eq!(
        rt.block_on(store.mediator_uuid()).unwrap().to_string(),
        MEDIATOR_UUID
    );
    assert_eq!(
        rt.block_on(store.profile("plgd")).unwrap().unwrap()["client_id"],
        "x"
    );
}

#[test]
fn a_key_whose_keyring_is_unreachable_moves_on_its_first_use() {
    let home = TestHome::start();
    write_legacy_state(&home, "secret-service", &[]);
    store_secret(&home, &format!("device/{DI}"), "0123456789abcdef");
    let bus = format!("unix:path={}/no-bus", home.path().display());
    let run = home.mediator_with_env(
        &["--json", "devices"],
        &[("DBUS_SESSION_BUS_ADDRESS", &bus)],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let pending = run
        .json_lines()
        .into_iter()
        .find(|d| d["di"] == DI)
        .unwrap();
    assert!(
        pending["key"]
            .as_str()
            .unwrap()
            .contains("old keyring item"),
        "{pending}"
    );
    assert!(home.state_dir().join("state.json.migrated").exists());
    assert!(
        home.secret(&format!("device/{DI}")).is_some(),
        "not deleted before it is sealed"
    );

    // With the keyring back, the first use seals it and deletes the item.
    assert_eq!(
        home.owner_keys(),
        vec![(DI.to_owned(), b"0123456789abcdef".to_vec())]
    );
    assert!(home.secret(&format!("device/{DI}")).is_none());
    assert_eq!(listed(&home)[DI]["key"], "present");
}

#[test]
fn a_device_owned_by_an_earlier_version_with_the_kernel_keyring_is_managed_after_migration() {
    common::require(&["keyctl"], "keyutils");
    // A real owner key: own a simulated device, then take its key and our
    // identity out through an export.
    let sim = DevSim::start(&[]);
    let donor = TestHome::start();
    let run = donor.mediator(&["--json", "own", &sim.address(0)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let di = run.json()["di"].as_str().unwrap().to_owned();
    let export = donor.path().join("donor.export");
    let run = donor.mediator_with_stdin(
        &[
            "keys",
            "export",
            "--out",
            export.to_str().unwrap(),
            "--passphrase-stdin",
        ],
        "donor passphrase\n",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let opened =
        ocf_mediator::store::export::open(&std::fs::read(&export).unwrap(), b"donor passphrase")
            .unwrap();
    let record = &opened.devices[0].record;

    // What an earlier version would have left for it.
    let home = TestHome::start();
    std::fs::create_dir_all(home.state_dir()).unwrap();
    let state = serde_json::json!({
        "mediator_uuid": opened.mediator_uuid,
        "devices": { &di: { "name": record.name, "endpoints": record.endpoints,
                            "otm": "jw", "keyring": "kernel", "complete": true } },
    });
    std::fs::write(home.state_dir().join("state.json"), state.to_string()).unwrap();
    let key_file = home.path().join("key.bin");
    std::fs::write(&key_file, opened.devices[0].key.bytes()).unwrap();
    let old_item = format!("keyring-rs:device/{di}@ocf-mediator");
    let script = format!(
        "set -e; m={MEDIATOR}; \
         keyctl padd user '{old_item}' @s < key.bin > /dev/null; \
         $m --json get {di} /oic/d > get.json 2> get.err; \
         if keyctl search @s user '{old_item}' > /dev/null 2>&1; then echo left > item; fi; \
         $m --json devices > devices.json"
    );
    let out = home
        .command("keyctl")
        .args(["session", "-", "bash", "-c", &script])
        .current_dir(home.path())
        .output()
        .unwrap();
    let run = Run::from(out);
    let read = |name: &str| std::fs::read_to_string(home.path().join(name)).unwrap_or_default();
    assert_eq!(
        run.code,
        0,
        "{}{}{}",
        run.stdout,
        run.stderr,
        read("get.err")
    );
    assert!(
        read("get.json").contains("\"2.05\""),
        "{}",
        read("get.json")
    );
    assert_eq!(read("item"), "", "the old keyring item was deleted");
    let device: serde_json::Value = serde_json::from_str(&read("devices.json")).unwrap();
    assert_eq!(
        (device["keyring"].as_str(), device["key"].as_str()),
        (Some("kernel"), Some("present"))
    );
    assert!(home.state_dir().join("state.json.migrated").exists());
}
