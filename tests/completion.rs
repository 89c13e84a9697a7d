//! Shell completion as a person meets it: a real bash in a terminal (tmux)
//! with the installed script from `completions/`, and what TAB offers:
//! the flags of a subcommand, for both (hyphenated) binaries, an owned
//! device's UUID from the state, and a profile name. zsh and fish load
//! their scripts; fish is also asked for completions.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::keyring::TestHome;
use common::{DevSim, MEDIATOR, wait_until};

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// PATH with the binaries under test first: the scripts call them by name.
fn path_with_binaries() -> String {
    let bin = Path::new(MEDIATOR).parent().unwrap();
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// An interactive bash in a tmux pane of its own, both completion scripts
/// sourced, the state directory given in the environment.
struct Bash {
    socket: String,
    /// Holds the rc file and HOME; removed when the shell is done.
    _home: tempfile::TempDir,
}

impl Bash {
    fn start(tag: &str, state_dir: &Path) -> Bash {
        common::require(&["tmux"], "tmux");
        common::require(&["bash"], "bash");
        let home = tempfile::tempdir().unwrap();
        let rc = home.path().join("bashrc");
        std::fs::write(
            &rc,
            format!(
                "PS1='$ '\nsource {}\nsource {}\n",
                repository().join("completions/ocf-mediator.bash").display(),
                repository().join("completions/ocf-devsim.bash").display(),
            ),
        )
        .unwrap();
        let socket = format!("ocf-complete-{}-{tag}", std::process::id());
        let status = Command::new("tmux")
            .args(["-L", &socket, "-f", "/dev/null", "new-session", "-d"])
            .args(["-x", "200", "-y", "50"])
            .arg(format!("bash --noprofile --rcfile {}", rc.display()))
            .env("HOME", home.path())
            .env("PATH", path_with_binaries())
            .env("OCF_MEDIATOR_STATE_DIR", state_dir)
            // What is tested here is the state; the network look has its
            // own test in multicast_netns.rs.
            .env("OCF_MEDIATOR_NO_NETWORK_COMPLETION", "1")
            .env_remove("OCF_MEDIATOR_PROFILE")
            .env("TERM", "xterm")
            .output()
            .expect("run tmux");
        assert!(
            status.status.success(),
            "tmux did not start: {}",
            String::from_utf8_lossy(&status.stderr)
        );
        let bash = Bash {
            socket,
            _home: home,
        };
        bash.wait_for_prompt();
        bash
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-J"])
    }

    fn wait_for_prompt(&self) {
        let ready = wait_until(Duration::from_secs(10), || {
            self.screen().lines().any(|l| l.starts_with("$ "))
        });
        assert!(ready, "bash did not start:\n{}", self.screen());
    }

    /// Types `line`, presses TAB `tabs` times, and returns the screen once
    /// it has settled; then clears the line (Ctrl-C) for the next case.
    fn tab(&self, line: &str, tabs: usize) -> String {
        self.tmux(&["send-keys", "-l", line]);
        for _ in 0..tabs {
            // Each TAB runs the binary; let one finish before the next.
            std::thread::sleep(Duration::from_millis(150));
            self.tmux(&["send-keys", "Tab"]);
        }
        let mut last = String::new();
        let mut screen = self.screen();
        // Settled: the same screen twice, 200 ms apart.
        wait_until(Duration::from_secs(10), || {
            std::thread::sleep(Duration::from_millis(200));
            last = std::mem::replace(&mut screen, self.screen());
            last == screen
        });
        self.tmux(&["send-keys", "C-c"]);
        self.tmux(&["send-keys", "clear", "Enter"]);
        wait_until(Duration::from_secs(5), || {
            self.screen().trim_end().lines().count() == 1
        });
        screen
    }

    /// The command line after one TAB.
    fn completed(&self, line: &str) -> String {
        let screen = self.tab(line, 1);
        screen
            .lines()
            .rfind(|l| l.starts_with("$ "))
            .unwrap_or_default()
            .trim_start_matches("$ ")
            .trim_end()
            .to_owned()
    }
}

impl Drop for Bash {
    fn drop(&mut self) {
        // tmux may leave its socket file behind: remove it too.
        let socket_path = self.tmux(&["display-message", "-p", "#{socket_path}"]);
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
        let socket_path = socket_path.trim();
        if !socket_path.is_empty() {
            let _ = std::fs::remove_file(socket_path);
        }
    }
}

/// A state with one device owned for real (an `ocf-devsim` taken by `own`,
/// its key in a real Secret Service) and a cloud profile written through
/// the library's store.
fn seeded_state(home: &TestHome) -> (String, DevSim) {
    let sim = DevSim::start(&["--name", "Porch"]);
    let own = home.mediator(&["--json", "own", &sim.address(0)]);
    assert_eq!(own.code, 0, "{}", own.stderr);
    let di = own.json()["di"].as_str().unwrap().to_owned();
    let store = ocf_mediator::store::Store::open(Some(&home.state_dir())).unwrap();
    let runtime = ocf_mediator::net::runtime().unwrap();
    runtime
        .block_on(store.put_profile("factory-line", serde_json::json!({})))
        .unwrap();
    (di, sim)
}

#[test]
fn tab_in_bash_completes_flags_devices_and_profiles() {
    let home = TestHome::start();
    let (di, _sim) = seeded_state(&home);
    let bash = Bash::start("flags", &home.state_dir());

    // The flags of a subcommand, for both hyphenated binaries.
    assert_eq!(
        bash.completed("ocf-mediator own --o"),
        "ocf-mediator own --otm"
    );
    assert_eq!(
        bash.completed("ocf-mediator own --otm r"),
        "ocf-mediator own --otm rdp"
    );
    assert_eq!(
        bash.completed("ocf-devsim device --multicast-d"),
        "ocf-devsim device --multicast-delay-ms"
    );
    let listed = bash.tab("ocf-mediator update 127.0.0.1:5683 /oic/d --", 2);
    for flag in ["--data", "--psk-identity", "--timeout", "--json"] {
        assert!(listed.contains(flag), "{flag} not offered:\n{listed}");
    }

    // An owned device's UUID from the state, from its first characters.
    assert_eq!(
        bash.completed(&format!("ocf-mediator get {}", &di[..8])),
        format!("ocf-mediator get {di}")
    );
    let listed = bash.tab("ocf-mediator disown ", 2);
    assert!(listed.contains(&di) && listed.contains("Porch"), "{listed}");

    // A profile name.
    assert_eq!(
        bash.completed("ocf-mediator logout --profile fact"),
        "ocf-mediator logout --profile factory-line"
    );
}

#[test]
fn a_state_dir_on_the_line_is_where_completion_looks() {
    let home = TestHome::start();
    let (di, _sim) = seeded_state(&home);
    let elsewhere = tempfile::tempdir().unwrap();
    let bash = Bash::start("state-dir", elsewhere.path());
    let line = format!(
        "ocf-mediator --state-dir {} get {}",
        home.state_dir().display(),
        &di[..8]
    );
    assert!(bash.completed(&line).ends_with(&di), "{line}");
    // The environment's (empty) state offers nothing.
    assert_eq!(
        bash.completed(&format!("ocf-mediator get {}", &di[..8])),
        format!("ocf-mediator get {}", &di[..8])
    );
}

#[test]
fn zsh_and_fish_load_their_scripts() {
    common::require(&["zsh"], "zsh");
    common::require(&["fish"], "fish");
    let dir = repository().join("completions");
    let scratch = tempfile::tempdir().unwrap();
    for binary in ["ocf-mediator", "ocf-devsim"] {
        // -D: no dump file (compinit would replace the file it is given).
        let zsh = Command::new("zsh")
            .args(["-f", "-c"])
            .arg(format!(
                "autoload -U compinit && compinit -u -D && source {}",
                dir.join(format!("_{binary}")).display()
            ))
            .env("HOME", scratch.path())
            .env("ZDOTDIR", scratch.path())
            .env("PATH", path_with_binaries())
            .output()
            .unwrap();
        assert!(
            zsh.status.success() && zsh.stderr.is_empty(),
            "zsh: {}",
            String::from_utf8_lossy(&zsh.stderr)
        );
    }
    let fish_home = scratch;
    let fish = Command::new("fish")
        .args(["--no-config", "-c"])
        .arg(format!(
            "source {}; and complete -C 'ocf-mediator own --o'",
            dir.join("ocf-mediator.fish").display()
        ))
        .env("HOME", fish_home.path())
        .env("XDG_CONFIG_HOME", fish_home.path())
        .env("XDG_DATA_HOME", fish_home.path())
        .env("PATH", path_with_binaries())
        .env("OCF_MEDIATOR_NO_NETWORK_COMPLETION", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&fish.stdout);
    assert!(
        fish.status.success() && fish.stderr.is_empty(),
        "fish: {}",
        String::from_utf8_lossy(&fish.stderr)
    );
    assert!(stdout.contains("--otm"), "fish offered: {stdout}");
}

#[test]
fn completion_answers_fast_without_the_network() {
    let state = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let output = common::mediator_command(&["--", "ocf-mediator", "own", ""])
        .env("COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", "2")
        .env("OCF_MEDIATOR_STATE_DIR", state.path())
        .env("OCF_MEDIATOR_NO_NETWORK_COMPLETION", "1")
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    let offered = String::from_utf8_lossy(&output.stdout).replace('\u{b}', " ");
    assert!(offered.contains("--otm"), "{offered}");
}
