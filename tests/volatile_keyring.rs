//! `--volatile-keyring`: owner keys in the Linux kernel keyring, asked for
//! explicitly, with a warning; `devices` says which store holds each key.
//! The commands run in one kernel keyring session (`keyctl session`), as a
//! headless user's login session would be.

mod common;

use common::keyring::TestHome;
use common::{DevSim, MEDIATOR, Run};

#[test]
fn keys_go_to_the_kernel_keyring_only_when_asked_and_with_a_warning() {
    common::require(&["keyctl"], "keyutils");
    let home = TestHome::start();
    let sim = DevSim::start(&[]);
    let script = format!(
        "set -e; m={MEDIATOR}; \
         $m --volatile-keyring --json own {addr} > own.json 2> own.err; \
         di=$(sed 's/.*\"di\":\"\\([^\"]*\\)\".*/\\1/' own.json); \
         $m --json devices > devices.json; \
         $m --json get $di /oic/d > get.json",
        addr = sim.address(0)
    );
    let out = home
        .command("keyctl")
        .args(["session", "-", "bash", "-c", &script])
        .current_dir(home.path())
        .output()
        .unwrap();
    let run = Run::from(out);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let read = |name: &str| std::fs::read_to_string(home.path().join(name)).unwrap();
    assert!(
        read("own.err").contains("lost on reboot"),
        "{}",
        read("own.err")
    );
    let device: serde_json::Value = serde_json::from_str(&read("devices.json")).unwrap();
    assert_eq!(device["keyring"], "kernel");
    assert_eq!(device["key"], "present");
    assert!(
        read("get.json").contains("\"2.05\""),
        "{}",
        read("get.json")
    );
    assert!(
        home.secret_accounts().is_empty(),
        "nothing in the Secret Service"
    );
}

/// The store's key-encryption key (KEK) goes to the session keyring, and
/// is never linked into the persistent keyring, where it would outlive the
/// session by days.
#[test]
fn the_kek_goes_to_the_session_keyring_and_never_to_the_persistent_one() {
    common::require(&["keyctl"], "keyutils");
    let home = TestHome::start();
    let sim = DevSim::start(&[]);
    let script = format!(
        "set -e; m={MEDIATOR}; \
         $m --volatile-keyring --json own {addr} > own.json 2> own.err; \
         keyctl show @s > session.txt; keyctl show @u > user.txt; \
         p=$(keyctl get_persistent @s); keyctl show $p > persistent.txt",
        addr = sim.address(0)
    );
    let run = Run::from(
        home.command("keyctl")
            .args(["session", "-", "bash", "-c", &script])
            .current_dir(home.path())
            .output()
            .unwrap(),
    );
    let read = |name: &str| std::fs::read_to_string(home.path().join(name)).unwrap_or_default();
    assert_eq!(
        run.code,
        0,
        "{}{}{}",
        run.stdout,
        run.stderr,
        read("own.err")
    );
    assert!(
        read("session.txt").contains("kek/"),
        "{}",
        read("session.txt")
    );
    assert!(
        !read("user.txt").contains("ocf-mediator"),
        "{}",
        read("user.txt")
    );
    // (Earlier versions left device keys there; this store's KEK never.)
    assert!(
        !read("persistent.txt").contains("kek/"),
        "{}",
        read("persistent.txt")
    );
}

/// A scratch directory the unprivileged user `nobody` owns.
fn nobodys_home() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::chown(dir.path(), Some(65534), Some(65534))
        .expect("the keyring quota tests run as root, as CI does, to become nobody");
    dir
}

/// A copy of the mediator that `nobody` can run, in its home: the
/// checkout's own may lie under a directory only its owner may enter.
fn nobodys_mediator(home: &std::path::Path) -> String {
    use std::os::unix::fs::PermissionsExt;
    let copy = home.join("ocf-mediator");
    std::fs::copy(MEDIATOR, &copy).unwrap();
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).unwrap();
    copy.to_str().unwrap().to_owned()
}

/// `nobody`'s key quota is one for all its processes: its tests run one at a time.
static NOBODY: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// `bash -c SCRIPT` as the unprivileged user `nobody` (whose kernel key
/// quota is the default 200 keys), in `home`.
fn as_nobody(home: &std::path::Path, script: &str) -> Run {
    let _one_at_a_time = NOBODY.lock().unwrap_or_else(|e| e.into_inner());
    common::require(&["setpriv"], "util-linux");
    wait_for_nobodys_quota();
    Run::from(
        std::process::Command::new("setpriv")
            .args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "bash",
                "-c",
                script,
            ])
            .env("HOME", home)
            .env_remove("XDG_DATA_HOME")
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .current_dir(home)
            .output()
            .unwrap(),
    )
}

/// The kernel frees the keys of a finished process in its garbage
/// collector, a moment later: after the quota test filled `nobody`'s 200
/// keys, the next test waits until they are back (or fails saying so).
fn wait_for_nobodys_quota() {
    let used = || {
        std::fs::read_to_string("/proc/key-users")
            .unwrap_or_default()
            .lines()
            .find(|line| line.trim_start().starts_with("65534:"))
            .and_then(|line| line.split_whitespace().nth(3))
            .and_then(|quota| quota.split('/').next())
            .and_then(|keys| keys.parse::<u32>().ok())
            .unwrap_or(0)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while used() > 20 {
        assert!(
            std::time::Instant::now() < deadline,
            "nobody's kernel keys were not freed within 30 s ({} in use, /proc/key-users)",
            used()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// A process without a session keyring of its own keeps the KEK in the
/// user keyring, and finds it there in the next run.
#[test]
fn without_a_session_keyring_the_kek_goes_to_the_user_keyring() {
    common::require(&["keyctl"], "keyutils");
    let home = nobodys_home();
    let sim = DevSim::start(&[]);
    let script = format!(
        "m={mediator}; keyctl rdescribe @s > session.txt; \
         $m --volatile-keyring --json own {addr} > own.json 2> own.err; \
         keyctl show @u > user.txt; \
         di=$(sed 's/.*\"di\":\"\\([^\"]*\\)\".*/\\1/' own.json); \
         $m --json get $di /oic/d > get.json 2> get.err; \
         keyctl clear @u",
        addr = sim.address(0),
        mediator = nobodys_mediator(home.path()),
    );
    let run = as_nobody(home.path(), &script);
    let read = |name: &str| std::fs::read_to_string(home.path().join(name)).unwrap_or_default();
    assert!(
        read("session.txt").contains("_uid_ses."),
        "the test needs a process without a session keyring of its own: {}",
        read("session.txt")
    );
    assert_eq!(run.code, 0, "{}{}", run.stderr, read("own.err"));
    assert!(read("own.json").contains("\"di\""), "{}", read("own.err"));
    assert!(read("user.txt").contains("kek/"), "{}", read("user.txt"));
    assert!(read("get.json").contains("\"2.05\""), "{}", read("get.err"));
}

/// A full key quota is named as such, with where to look.
#[test]
fn a_full_kernel_key_quota_is_reported_with_where_to_look() {
    common::require(&["keyctl"], "keyutils");
    let home = nobodys_home();
    let sim = DevSim::start(&[]);
    let script = format!(
        "keyctl session - bash -c '\
           i=0; while keyctl add user filler$i x @s > /dev/null 2>&1; do i=$((i+1)); done; \
           {mediator} --volatile-keyring own {addr} 2> own.err; echo $? > own.code; \
           keyctl clear @s'",
        addr = sim.address(0),
        mediator = nobodys_mediator(home.path()),
    );
    as_nobody(home.path(), &script);
    let read = |name: &str| std::fs::read_to_string(home.path().join(name)).unwrap_or_default();
    assert_eq!(read("own.code").trim(), "1", "{}", read("own.err"));
    let err = read("own.err");
    assert!(err.contains("quota"), "{err}");
    assert!(err.contains("/proc/sys/kernel/keys/maxkeys"), "{err}");
    assert!(err.contains("not taken"), "{err}");
}
