//! A terminal for tests of what people see: a tmux server of its own (in a
//! test home's environment) running one command in a 120x40 pane. Everything
//! the command writes is also kept in a file, so lines that are drawn and
//! cleared again (progress spinners) can be checked after the fact.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use crate::common::keyring::TestHome;
use crate::common::wait_until;

pub struct Tmux<'a> {
    home: &'a TestHome,
    socket: String,
    log: PathBuf,
}

impl<'a> Tmux<'a> {
    /// Starts `command` (a shell command line); it runs once the pane's
    /// output is being kept.
    pub fn run(home: &'a TestHome, command: &str) -> Tmux<'a> {
        crate::common::require(&["tmux"], "tmux");
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let socket = format!("ocf-test-{}-{n}", std::process::id());
        let go = home.path().join(format!("tmux-{n}.go"));
        let log = home.path().join(format!("tmux-{n}.log"));
        let line = format!(
            "while [ ! -e {go} ]; do sleep 0.02; done; {command}; echo EXIT=$?; sleep 120",
            go = go.display()
        );
        let terminal = Tmux { home, socket, log };
        terminal.tmux(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            "120",
            "-y",
            "40",
            &line,
        ]);
        terminal.tmux(&[
            "pipe-pane",
            "-o",
            &format!("cat >> {}", terminal.log.display()),
        ]);
        std::fs::write(&go, "").unwrap();
        terminal
    }

    fn tmux(&self, args: &[&str]) {
        let status = self
            .home
            .command("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .status()
            .expect("tmux (run scripts/setup.sh to install it)");
        assert!(status.success(), "tmux {args:?}");
    }

    /// What the pane shows now (and what scrolled off, up to 200 lines).
    pub fn screen(&self) -> String {
        let out = self
            .home
            .command("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-S", "-200"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Everything the command wrote to the terminal, escape sequences and all.
    pub fn written(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.log).unwrap_or_default()).into_owned()
    }

    /// Presses keys (tmux key names: `Space`, `Down`, `Enter`, …).
    pub fn press(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    /// Waits until the pane shows `text`; what it shows then.
    pub fn wait_for(&self, text: &str, within: Duration) -> String {
        let mut screen = String::new();
        let seen = wait_until(within, || {
            screen = self.screen();
            screen.contains(text)
        });
        assert!(seen, "waited for {text:?}; the terminal shows:\n{screen}");
        screen
    }
}

impl Drop for Tmux<'_> {
    fn drop(&mut self) {
        let _ = self
            .home
            .command("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}
