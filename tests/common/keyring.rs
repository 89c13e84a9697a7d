//! A scratch home for tests that need the OS keyring: HOME and the XDG dirs
//! point into a temporary folder, and a private D-Bus session runs a real
//! gnome-keyring (Secret Service), so a user's own keyring is never touched.
//!
//! Use from a test file with `mod common;` and `use common::keyring::TestHome;`.
//!
//! gnome-keyring-daemon itself sometimes aborts (a GLib assertion, `trap
//! int3` in the kernel log) when a client is killed with SIGKILL in the
//! middle of a request, as the kill -9 tests do on purpose. Its session
//! here is therefore the one a desktop would give: the daemon is restarted
//! at once with the same password, so the same login keyring and its items
//! come back; no other daemon is started on demand by D-Bus activation (the
//! bus has no service directories), which would serve a locked keyring
//! meanwhile. Each restart is logged and reported when the home is dropped.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{Run, mediator_command};

/// A scratch home with its own Secret Service; everything stops when dropped.
pub struct TestHome {
    dir: tempfile::TempDir,
    bus_address: String,
    daemons: Vec<Child>,
}

impl TestHome {
    /// Starts `dbus-daemon` and an unlocked `gnome-keyring-daemon` for this home.
    pub fn start() -> TestHome {
        let dir = tempfile::tempdir().expect("scratch home");
        for sub in ["data", "config", "cache", "runtime"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let runtime = dir.path().join("runtime");
            std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        let config = dir.path().join("bus.conf");
        std::fs::write(&config, BUS_CONFIG).unwrap();
        let mut dbus = Command::new("dbus-daemon")
            .args(["--nofork", "--print-address=1"])
            .arg(format!("--config-file={}", config.display()))
            .arg(format!(
                "--address=unix:path={}",
                dir.path().join("runtime/bus").display()
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon (run scripts/setup.sh to install it)");
        let mut line = String::new();
        BufReader::new(dbus.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let mut home = TestHome {
            dir,
            bus_address: line.trim().to_owned(),
            daemons: vec![dbus],
        };
        super::require(&["dbus-send"], "dbus");
        super::require(&["gnome-keyring-daemon"], "gnome-keyring");
        let keyring = home
            .command("sh")
            .args([
                "-c",
                "while :; do \
                   printf %s test-home-password | \
                     gnome-keyring-daemon --replace --foreground --unlock --components=secrets; \
                   echo \"exit status $?\" >> \"$1\"; sleep 0.02; \
                 done",
                "keyring-supervisor",
            ])
            .arg(home.restarts_log())
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("sh");
        home.daemons.push(keyring);
        wait_for_secret_service(&home.bus_address);
        home
    }

    fn restarts_log(&self) -> PathBuf {
        self.path().join("keyring-restarts.log")
    }

    /// The pid of the shell that keeps gnome-keyring-daemon running (its
    /// parent).
    #[allow(dead_code)]
    pub fn keyring_supervisor(&self) -> u32 {
        self.daemons[1].id()
    }

    /// How often gnome-keyring-daemon ended and was started again.
    pub fn keyring_restarts(&self) -> usize {
        std::fs::read_to_string(self.restarts_log())
            .map(|log| log.lines().count())
            .unwrap_or(0)
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The address of this home's D-Bus session, for a test that uses the
    /// library in its own process (`DBUS_SESSION_BUS_ADDRESS`).
    pub fn bus_address(&self) -> &str {
        &self.bus_address
    }

    /// The mediator's state directory in this home.
    pub fn state_dir(&self) -> PathBuf {
        self.path().join("data/ocf-mediator")
    }

    /// The mediator's devices as `devices --json` lists them, shaped as the
    /// old state file was: `{"devices": {DI: {...}}}`.
    pub fn state(&self) -> serde_json::Value {
        let run = self.mediator(&["--json", "devices"]);
        assert_eq!(run.code, 0, "devices: {}", run.stderr);
        let devices: serde_json::Map<String, serde_json::Value> = run
            .json_lines()
            .into_iter()
            .map(|d| (d["di"].as_str().unwrap().to_owned(), d))
            .collect();
        serde_json::json!({ "devices": devices })
    }

    /// Whether the store holds an owner key for `di` that opens.
    #[allow(dead_code)]
    pub fn has_owner_key(&self, di: &str) -> bool {
        self.state()["devices"][di]["key"] == "present"
    }

    /// The owner keys of the store, through `keys export` (and the
    /// library's reader of that file): DI and key bytes.
    #[allow(dead_code)]
    pub fn owner_keys(&self) -> Vec<(String, Vec<u8>)> {
        if self.state()["devices"].as_object().unwrap().is_empty() {
            return Vec::new();
        }
        let file = self.path().join("owner-keys.export");
        let _ = std::fs::remove_file(&file);
        let run = self.mediator_with_stdin(
            &[
                "keys",
                "export",
                "--out",
                file.to_str().unwrap(),
                "--passphrase-stdin",
            ],
            "test passphrase\n",
        );
        assert_eq!(run.code, 0, "keys export: {}", run.stderr);
        let opened =
            ocf_mediator::store::export::open(&std::fs::read(&file).unwrap(), b"test passphrase")
                .unwrap();
        std::fs::remove_file(&file).unwrap();
        opened
            .devices
            .into_iter()
            .map(|d| (d.record.di.to_string(), d.key.bytes().to_vec()))
            .collect()
    }

    /// Deletes the store's key-encryption key from the Secret Service
    /// behind the mediator's back (to simulate a lost keyring).
    #[allow(dead_code)]
    pub fn forget_kek(&self) {
        let keks: Vec<String> = self
            .secret_accounts()
            .into_iter()
            .filter(|a| a.starts_with("kek/"))
            .collect();
        assert_eq!(keks.len(), 1, "one KEK: {keks:?}");
        self.forget_secret(&keks[0]);
    }

    /// Any program, run with this home's environment.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        self.apply(&mut command);
        command
    }

    fn apply(&self, command: &mut Command) {
        let p = self.path();
        command
            .env("HOME", p)
            .env("XDG_DATA_HOME", p.join("data"))
            .env("XDG_CONFIG_HOME", p.join("config"))
            .env("XDG_CACHE_HOME", p.join("cache"))
            .env("XDG_RUNTIME_DIR", p.join("runtime"))
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus_address)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY");
    }

    /// `ocf-mediator ARGS` in this home, stdin empty.
    pub fn mediator(&self, args: &[&str]) -> Run {
        let mut command = mediator_command(args);
        self.apply(&mut command);
        Run::from(command.output().expect("run ocf-mediator"))
    }

    /// `ocf-mediator ARGS` in this home, with `input` on stdin.
    pub fn mediator_with_stdin(&self, args: &[&str], input: &str) -> Run {
        self.mediator_with_env(args, &[], input)
    }

    /// `ocf-mediator ARGS` in this home with extra environment variables.
    pub fn mediator_with_env(&self, args: &[&str], env: &[(&str, &str)], input: &str) -> Run {
        let mut command = mediator_command(args);
        self.apply(&mut command);
        command.envs(env.iter().copied());
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run ocf-mediator");
        // A command that fails before it reads stdin closes it early.
        let written = child.stdin.take().unwrap().write_all(input.as_bytes());
        if let Err(e) = written {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
        }
        Run::from(child.wait_with_output().unwrap())
    }

    /// A secret of the mediator as the Secret Service holds it (via
    /// libsecret's `secret-tool`, an independent client).
    pub fn secret(&self, account: &str) -> Option<Vec<u8>> {
        let out = self
            .command("secret-tool")
            .args(["lookup", "service", "ocf-mediator", "username", account])
            .output()
            .expect("secret-tool (run scripts/setup.sh to install libsecret-tools)");
        (out.status.success() && !out.stdout.is_empty()).then_some(out.stdout)
    }

    /// The accounts of every secret the mediator has in the Secret Service.
    #[allow(dead_code)]
    pub fn secret_accounts(&self) -> Vec<String> {
        let out = self
            .command("secret-tool")
            .args(["search", "--all", "service", "ocf-mediator"])
            .output()
            .expect("secret-tool (run scripts/setup.sh to install libsecret-tools)");
        // secret-tool prints the attributes on stderr, the secrets on stdout.
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .filter_map(|line| line.strip_prefix("attribute.username = "))
            .map(str::to_owned)
            .collect()
    }

    /// Removes a secret behind the mediator's back (to simulate a lost key).
    pub fn forget_secret(&self, account: &str) {
        let status = self
            .command("secret-tool")
            .args(["clear", "service", "ocf-mediator", "username", account])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Locks every collection of the Secret Service, as a screen lock does.
    /// Unlocking needs a prompt, which has no display here, so writes fail.
    pub fn lock_keyring(&self) {
        let status = self
            .command("dbus-send")
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.secrets",
                "/org/freedesktop/secrets",
                "org.freedesktop.Secret.Service.Lock",
                "array:objpath:/org/freedesktop/secrets/collection/login",
            ])
            .stdout(Stdio::null())
            .status()
            .expect("dbus-send (run scripts/setup.sh to install dbus)");
        assert!(status.success());
    }
}

impl Drop for TestHome {
    fn drop(&mut self) {
        let restarts = self.keyring_restarts();
        if restarts > 0 {
            eprintln!(
                "gnome-keyring-daemon ended {restarts} time(s) during the test and was restarted \
                 with the same keyring: {}",
                std::fs::read_to_string(self.restarts_log())
                    .unwrap_or_default()
                    .replace('\n', "; ")
            );
        }
        for daemon in self.daemons.iter_mut().rev() {
            // The keyring's supervisor leads a process group with the daemon.
            unsafe { libc::kill(-(daemon.id() as i32), libc::SIGKILL) };
            let _ = daemon.kill();
            let _ = daemon.wait();
        }
    }
}

/// A session bus without service directories: nothing is started on
/// demand, so only the supervised gnome-keyring ever owns the Secret
/// Service name.
const BUS_CONFIG: &str = r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#;

/// Waits (10 s at most) until the Secret Service answers on the session
/// bus at `bus_address`: after start, or after a daemon's restart.
pub fn wait_for_secret_service(bus_address: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let owned = Command::new("dbus-send")
            .env("DBUS_SESSION_BUS_ADDRESS", bus_address)
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.secrets",
            ])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).contains("boolean true"))
            .unwrap_or(false);
        if owned {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "gnome-keyring did not come up on the test's D-Bus (run scripts/setup.sh)"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
