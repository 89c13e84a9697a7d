//! Secret hygiene: every command of `ocf-mediator`, run with secrets the
//! test knows — the factory line's client secret, a Random PIN, the
//! refresh and access tokens oidc-provider issued, the devices' one-time
//! codes, the private keys of the local CA and of the mediator's own
//! identity certificate (opened from the store), the owner keys (read back through `keys export` and the
//! library's reader), the key-encryption key (read from the Secret Service
//! with libsecret's `secret-tool`), the export passphrase — and none of
//! them, raw or in hex, base64 or base64url, appears:
//!
//! - on stdout (`token` prints a token: that is its job), on stderr at
//!   the highest verbosity (`-vvv`), or in `--json` lines;
//! - in any file under the home's data, config and cache directories (the
//!   keyring's own files left out), nor in the export file: owner keys
//!   only sealed;
//! - in the argv or environment of a program the mediator starts (the
//!   browser of `login --browser`: a recording program stands in through
//!   `$BROWSER` and reads its own /proc/self/cmdline and environ);
//! - in a core dump: the mediator turns them off for itself
//!   (RLIMIT_CORE 0, PR_SET_DUMPABLE 0; changing the machine's
//!   core_pattern to provoke one is not safe on a shared machine).
//!
//! Every file of a state directory is 0600, and the directory 0700.

mod common;
#[path = "common/hub.rs"]
mod hub;
#[path = "common/cloud.rs"]
mod kit;
#[path = "common/oidc.rs"]
mod oidc;

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use base64::Engine;
use common::Run;
use hub::{Devices, Grant, Hub};
use oidc::{DEVICE_SECRET, FACTORY_SECRET, play_user};

const PIN: &str = "52093184";
const PASSPHRASE: &str = "correct horse battery staple 7731";

/// Known secrets, by what they are.
#[derive(Default)]
struct Secrets(Vec<(String, Vec<u8>)>);

impl Secrets {
    fn add(&mut self, what: &str, secret: impl AsRef<[u8]>) {
        let secret = secret.as_ref().to_vec();
        assert!(secret.len() >= 8, "{what} is too short to look for");
        if !self.0.iter().any(|(_, s)| *s == secret) {
            self.0.push((what.to_owned(), secret));
        }
    }

    fn add_text(&mut self, what: &str, secret: &str) {
        self.add(what, secret.trim().as_bytes());
    }

    /// Which secret, in which form, is in `haystack`, if any.
    fn leak(&self, haystack: &[u8]) -> Option<String> {
        self.0.iter().find_map(|(what, secret)| {
            forms(secret)
                .into_iter()
                .find(|(_, needle)| contains(haystack, needle))
                .map(|(form, _)| format!("{what} ({form})"))
        })
    }

    /// Fails if any form of any secret is in `haystack`.
    fn assert_absent(&self, haystack: &[u8], place: &str) {
        if let Some(leak) = self.leak(haystack) {
            panic!("{leak} is in {place}");
        }
    }
}

/// A secret as it could be written: raw, hex (either case), base64 and
/// base64url (with and without padding).
fn forms(secret: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    vec![
        ("raw", secret.to_vec()),
        ("hex", hex.clone().into_bytes()),
        ("HEX", hex.to_uppercase().into_bytes()),
        ("base64", STANDARD.encode(secret).into_bytes()),
        (
            "base64, unpadded",
            STANDARD_NO_PAD.encode(secret).into_bytes(),
        ),
        ("base64url", URL_SAFE.encode(secret).into_bytes()),
        (
            "base64url, unpadded",
            URL_SAFE_NO_PAD.encode(secret).into_bytes(),
        ),
    ]
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.len() <= haystack.len() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every file under `dir`, recursively, but those under `skip`.
fn files_under(dir: &Path, skip: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.map(Result::unwrap) {
        let path = entry.path();
        if skip.contains(&path) {
            continue;
        }
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            out.extend(files_under(&path, skip));
        } else if kind.is_file() {
            out.push(path);
        }
    }
    out
}

/// The state directory is 0700 and each of its files 0600.
fn assert_private(state_dir: &Path) {
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(state_dir), 0o700, "{}", state_dir.display());
    let files = files_under(state_dir, &[]);
    assert!(!files.is_empty(), "{} is empty", state_dir.display());
    for file in files {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
}

/// A stand-in browser: writes its own command line and environment, as
/// /proc shows them, next to itself, then stays a moment.
fn recording_browser(dir: &Path) -> PathBuf {
    let script = dir.join("browser");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\ncat /proc/$$/cmdline > {out}.cmdline.tmp\ncat /proc/$$/environ > {out}.environ\nmv {out}.cmdline.tmp {out}.cmdline\n",
            out = dir.join("seen").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

/// What the mediator's process says of core files (`/proc/PID/limits`):
/// the soft and hard limits.
fn core_limits(pid: u32) -> String {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap();
    line.split_whitespace()
        .skip(4)
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

struct Session {
    hub: Hub,
    devices: Devices,
    secrets: Secrets,
    scratch: tempfile::TempDir,
    /// The command line and environment of each program the mediator
    /// started, checked at the end against every secret learnt by then.
    children: std::cell::RefCell<Vec<(Vec<u8>, Vec<u8>)>>,
}

impl Session {
    /// `ocf-mediator -vvv ARGS` (the highest verbosity), `stdin` given.
    fn run(&self, args: &[&str], stdin: &str) -> Run {
        let mut all = vec!["-vvv"];
        all.extend_from_slice(args);
        let run = self.hub.home.run_with_stdin(&all, stdin);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        run
    }

    /// As [`Session::run`], whatever the exit code (a device may refuse).
    fn run_any(&self, args: &[&str]) -> Run {
        let mut all = vec!["-vvv"];
        all.extend_from_slice(args);
        self.hub.home.run_with_stdin(&all, "")
    }

    /// Both ways: as text, and with `--json`.
    fn run_both(&self, args: &[&str]) {
        self.run(args, "");
        let mut json = vec!["--json"];
        json.extend_from_slice(args);
        self.run(&json, "");
    }

    fn address(&self, i: usize) -> String {
        self.devices.address(i)
    }

    /// The access token a profile hands its devices (`token` prints it).
    fn learn_token(&mut self, profile: &str) {
        let run = self.run(&["token", "--profile", profile], "");
        self.secrets
            .add_text(&format!("{profile}'s access token"), &run.stdout);
        let json = self.run(&["--json", "token", "--profile", profile], "");
        let token = json.json()["token"].as_str().unwrap().to_owned();
        self.secrets
            .add_text(&format!("{profile}'s access token"), &token);
        let cached = self
            .hub
            .home
            .home
            .secret(&format!("profile/{profile}/access_token"));
        if let Some(cached) = cached {
            self.secrets
                .add(&format!("{profile}'s cached access token"), cached);
        }
    }

    /// The owner keys of the store and its key-encryption key.
    fn learn_keys(&mut self) {
        let home = &self.hub.home.home;
        for (di, key) in home.owner_keys() {
            self.secrets.add(&format!("owner key of {di}"), key);
        }
        for account in home.secret_accounts() {
            if account.starts_with("kek/") {
                let kek = home.secret(&account).unwrap();
                self.secrets
                    .add(&format!("the key-encryption key {account}"), kek);
            }
        }
    }

    /// The private keys the store keeps sealed beside the owner keys (the
    /// local CA's, the mediator's own identity's), opened with the
    /// key-encryption keys [`Session::learn_keys`] read from the keyring:
    /// each as PKCS#8 and as its bare P-256 scalar.
    fn learn_credential_keys(&mut self) {
        use p256::pkcs8::DecodePrivateKey;
        let home = &self.hub.home.home;
        let keks: Vec<Vec<u8>> = home
            .secret_accounts()
            .iter()
            .filter(|a| a.starts_with("kek/"))
            .filter_map(|a| home.secret(a))
            .collect();
        let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY;
        let db =
            rusqlite::Connection::open_with_flags(home.state_dir().join("store.sqlite3"), flags)
                .unwrap();
        let rows: Vec<(String, Vec<u8>)> = db
            .prepare("SELECT name, sealed_key FROM credentials")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        for wanted in ["local-ca", "identity/local"] {
            assert!(
                rows.iter().any(|(name, _)| name == wanted),
                "no {wanted} in the store: {:?}",
                rows.iter().map(|(n, _)| n).collect::<Vec<_>>()
            );
        }
        for (name, sealed) in rows {
            let aad = format!("credential/{name}");
            let pkcs8 = keks
                .iter()
                .find_map(|kek| open_sealed(kek, &sealed, aad.as_bytes()))
                .unwrap_or_else(|| panic!("the sealed key of {name} opens with no KEK"));
            let scalar = p256::SecretKey::from_pkcs8_der(&pkcs8).unwrap().to_bytes();
            self.secrets
                .add(&format!("the private key of {name} (PKCS#8)"), &pkcs8);
            self.secrets
                .add(&format!("the private key of {name}"), scalar.as_slice());
        }
    }

    /// `login --browser` with a recording program as the browser, and
    /// OCF_MEDIATOR_CLIENT_SECRET set (which the browser must not get).
    fn browser_login(&self, profile: &str) {
        let browser = recording_browser(self.scratch.path());
        let mut child = self
            .hub
            .home
            .command(&[
                "-vvv",
                "login",
                "--profile",
                profile,
                "--browser",
                "--hub",
                &self.hub.oidc.issuer,
            ])
            .env("BROWSER", &browser)
            .env("OCF_MEDIATOR_CLIENT_SECRET", FACTORY_SECRET)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id();
        let seen = self.scratch.path().join("seen.cmdline");
        assert!(
            common::wait_until(Duration::from_secs(20), || seen.exists()),
            "the mediator did not start the browser"
        );
        // While it waits for the redirect, its core dumps are off.
        assert_eq!(core_limits(pid), "0 0", "RLIMIT_CORE of a running mediator");
        let cmdline = std::fs::read(&seen).unwrap();
        let environ = std::fs::read(self.scratch.path().join("seen.environ")).unwrap();
        let args: Vec<String> = cmdline
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let url = args.last().unwrap().clone();
        assert!(url.starts_with(&self.hub.oidc.issuer), "{args:?}");
        let (last, _) = play_user(&url);
        assert!(last.starts_with("http://127.0.0.1:"), "{last}");
        let mut stdout = String::new();
        let mut stderr = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut stdout)
            .unwrap();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        let status = child.wait().unwrap();
        assert!(status.success(), "login --browser: {stderr}");
        let mut recorded = self.hub.home.seen.borrow_mut();
        recorded.push_str(&stdout);
        recorded.push_str(&stderr);
        drop(recorded);
        self.pending_child_checks(cmdline, environ);
    }

    fn pending_child_checks(&self, cmdline: Vec<u8>, environ: Vec<u8>) {
        self.children.borrow_mut().push((cmdline, environ));
    }
}

/// What the store sealed with `kek` (AES-256-GCM: a version byte, the
/// nonce, then ciphertext and tag), opened; `None` when it does not open.
fn open_sealed(kek: &[u8], sealed: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
    use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, kek).ok()?);
    let nonce = Nonce::try_assume_unique_for_key(sealed.get(1..1 + NONCE_LEN)?).ok()?;
    let mut body = sealed.get(1 + NONCE_LEN..)?.to_vec();
    let len = key
        .open_in_place(nonce, Aad::from(aad), &mut body)
        .ok()?
        .len();
    body.truncate(len);
    Some(body)
}

/// `login --device-code`, playing the person at the verification URL.
fn device_code_login(session: &Session, profile: &str) {
    let args = [
        "--json",
        "-vvv",
        "login",
        "--profile",
        profile,
        "--device-code",
        "--hub",
        &session.hub.oidc.issuer,
    ];
    let run = session.hub.home.run_interactive(&args, |prompt| {
        let url = prompt["verification_uri_complete"].as_str();
        play_user(url.unwrap_or_else(|| panic!("not a device code prompt: {prompt}")));
    });
    assert_eq!(run.code, 0, "login --device-code: {}", run.stderr);
}

#[test]
fn no_command_leaks_a_secret_to_its_output_files_children_or_core_dumps() {
    let hub = Hub::start(Grant::ClientCredentials);
    let devices = Devices::start(
        4,
        &["--otm", "jw,rdp", "--pin", PIN, "--reset-delay-ms", "100"],
    );
    let mut s = Session {
        hub,
        devices,
        secrets: Secrets::default(),
        scratch: tempfile::tempdir().unwrap(),
        children: Default::default(),
    };
    for (what, secret) in [
        ("the factory's client secret", FACTORY_SECRET),
        ("the hub's device client secret", DEVICE_SECRET),
        ("the Random PIN", PIN),
        ("the export passphrase", PASSPHRASE),
    ] {
        s.secrets.add_text(what, secret);
    }
    let issuer = s.hub.oidc.issuer.clone();

    // The cloud: a factory line (client credentials, the secret on stdin,
    // then from the keyring), a person (device code), a browser (PKCE).
    s.run(
        &[
            "login",
            "--hub",
            &issuer,
            "--client-credentials",
            "--client-secret-stdin",
        ],
        &format!("{FACTORY_SECRET}\n"),
    );
    s.run(&["--json", "login", "--client-credentials"], "");
    device_code_login(&s, "person");
    s.browser_login("web");
    s.run_both(&["profiles"]);
    for profile in ["default", "person", "web"] {
        s.learn_token(profile);
    }
    let person_code = s.run(
        &[
            "token",
            "--profile",
            "person",
            "--device",
            "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        ],
        "",
    );
    s.secrets
        .add_text("the person's device token", &person_code.stdout);

    // Devices: found, owned (Random PIN from stdin; Just Works), read,
    // updated, provisioned, configured for the cloud.
    let a0 = s.address(0);
    s.run_both(&["discover", "--address", &a0]);
    let owned = s.run(
        &["--json", "own", &a0, "--otm", "rdp", "--pin-stdin"],
        &format!("{PIN}\n"),
    );
    let di0 = owned.json()["di"].as_str().unwrap().to_owned();
    let owned = s.run(&["--json", "own", &s.address(1), "--otm", "jw"], "");
    let di1 = owned.json()["di"].as_str().unwrap().to_owned();
    s.run(&["own", &s.address(1)], "");
    s.run_both(&["get", &di0, "/oic/sec/cred"]);
    s.run_both(&["get", &di1, "/oic/sec/doxm"]);
    s.run_any(&[
        "update",
        &di1,
        "/oic/sec/sdi",
        "--data",
        r#"{"name": "hygiene"}"#,
    ]);
    s.run(&["provision", &s.address(2)], "");
    s.run(&["--json", "provision", &s.address(3)], "");
    s.run(&["cloud", "configure", &di0], "");
    s.run(&["--json", "cloud", "configure", &di1], "");
    s.run(&["cloud", "status", &di0, "--wait", "registered"], "");
    s.run(
        &["--json", "cloud", "status", &di1, "--wait", "registered"],
        "",
    );
    // Identity certificates from the local CA: issued, renewed, the CA
    // printed (its key, and the mediator's own, only ever sealed).
    s.run(&["cert", "issue", &di0, "--signer", "local"], "");
    s.run(&["--json", "cert", "issue", &di1, "--signer", "local"], "");
    s.run(&["--json", "cert", "renew", &di0], "");
    s.run(&["cert", "renew", &di1], "");
    s.run_both(&["cert", "ca"]);
    s.run_both(&["get", &di0, "/oic/sec/cred", "--owner-cert"]);
    s.run_both(&["devices"]);
    s.learn_keys();
    s.learn_credential_keys();

    // Keys moved to another station's store, and back out.
    let export = s.scratch.path().join("station.keys");
    let export_text = export.to_str().unwrap().to_owned();
    s.run(
        &[
            "keys",
            "export",
            "--out",
            &export_text,
            "--passphrase-stdin",
        ],
        &format!("{PASSPHRASE}\n"),
    );
    let other = s.scratch.path().join("other-station");
    let other_text = other.to_str().unwrap().to_owned();
    s.run(
        &[
            "--json",
            "--state-dir",
            &other_text,
            "keys",
            "import",
            &export_text,
            "--passphrase-stdin",
        ],
        &format!("{PASSPHRASE}\n"),
    );
    s.run(&["--state-dir", &other_text, "devices"], "");

    // Leaving: the cloud, then the devices, then the profiles.
    s.run(&["cloud", "deregister", &di1], "");
    s.run(&["disown", "--yes", &di0], "");
    s.run(&["--json", "disown", "--yes", &di1], "");
    s.run(&["logout", "--profile", "person"], "");
    s.run(&["--json", "logout", "--profile", "web"], "");
    s.run(&["completions", "bash"], "");

    for token in s.hub.oidc.issued_refresh_tokens() {
        s.secrets.add_text("a refresh token", &token);
    }

    // Output of every run: stdout (but token's), stderr, JSON lines.
    let seen = s.hub.home.seen.borrow().clone();
    s.secrets
        .assert_absent(seen.as_bytes(), "the mediator's output");

    // Files: the state, config and cache directories, the other store and
    // the export; the keyring's own files are where secrets belong.
    let home = s.hub.home.home.path().to_owned();
    let skip = [home.join("data/keyrings"), home.join("runtime")];
    let mut files = files_under(&home, &skip);
    files.extend(files_under(&other, &[]));
    files.push(export.clone());
    assert!(
        files.iter().any(|f| f.ends_with("store.sqlite3")),
        "{files:?}"
    );
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        s.secrets.assert_absent(&bytes, &file.display().to_string());
    }
    assert_private(&s.hub.home.home.state_dir());
    assert_private(&other);
    let mode = std::fs::metadata(&export).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the export file");

    // The browser's command line and environment.
    let children = s.children.borrow();
    assert!(!children.is_empty());
    for (cmdline, environ) in children.iter() {
        s.secrets
            .assert_absent(cmdline, "the browser's command line");
        s.secrets
            .assert_absent(environ, "the browser's environment");
    }
    // The check itself finds a secret written in any of its forms.
    for (what, secret) in &s.secrets.0 {
        for (form, needle) in forms(secret) {
            let planted = [b"x=".as_slice(), &needle, b";"].concat();
            assert!(
                s.secrets.leak(&planted).is_some(),
                "{what} ({form}) would go unseen"
            );
        }
    }
    let kinds: std::collections::BTreeSet<&str> =
        s.secrets.0.iter().map(|(what, _)| what.as_str()).collect();
    eprintln!("secrets: {kinds:?}");
    eprintln!(
        "looked for {} secrets in {} files and the output of every command",
        s.secrets.0.len(),
        files.len()
    );
}

#[test]
fn a_long_running_mediator_has_core_dumps_off() {
    // A `get` of a device that never answers waits long enough to read /proc.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let address = silent.local_addr().unwrap().to_string();
    let mut child = common::mediator_command(&["--timeout", "3s", "get", &address, "/oic/d"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let limits = core_limits(child.id());
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(limits, "0 0", "RLIMIT_CORE soft and hard");
    // And the library's switch does both halves in a process of ours.
    ocf_mediator::cli::core_dumps::disable();
    assert!(ocf_mediator::cli::core_dumps::disabled());
}
