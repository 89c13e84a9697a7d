//! `own` at a terminal, driven through tmux: the Random PIN prompt hides
//! what is typed, and ownership succeeds.

mod common;

use std::time::Duration;

use common::keyring::TestHome;
use common::{DevSim, MEDIATOR, wait_until};

/// A tmux server of its own, running one command in a 120x30 pane.
struct Terminal<'a> {
    home: &'a TestHome,
    socket: String,
}

impl<'a> Terminal<'a> {
    fn run(home: &'a TestHome, command: &str) -> Terminal<'a> {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let socket = format!("ocf-test-{}-{n}", std::process::id());
        let status = home
            .command("tmux")
            .args([
                "-L",
                &socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                "120",
                "-y",
                "30",
            ])
            .arg(format!("{command}; echo EXIT=$?; sleep 60"))
            .status()
            .expect("tmux (run scripts/setup.sh to install it)");
        assert!(status.success());
        Terminal { home, socket }
    }

    fn screen(&self) -> String {
        let out = self
            .home
            .command("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-S", "-100"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn type_keys(&self, keys: &str) {
        let status = self
            .home
            .command("tmux")
            .args(["-L", &self.socket, "send-keys", "-l", keys])
            .status()
            .unwrap();
        assert!(status.success());
        self.home
            .command("tmux")
            .args(["-L", &self.socket, "send-keys", "Enter"])
            .status()
            .unwrap();
    }

    fn wait_for(&self, text: &str) -> String {
        let mut screen = String::new();
        let seen = wait_until(Duration::from_secs(20), || {
            screen = self.screen();
            screen.contains(text)
        });
        assert!(seen, "waited for {text:?}; the terminal shows:\n{screen}");
        screen
    }
}

impl Drop for Terminal<'_> {
    fn drop(&mut self) {
        let _ = self
            .home
            .command("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

#[test]
fn the_pin_prompt_hides_input_and_ownership_succeeds() {
    common::require(&["tmux"], "tmux");
    let home = TestHome::start();
    let sim = DevSim::start(&["--otm", "rdp", "--pin", "90210473"]);
    let terminal = Terminal::run(&home, &format!("{MEDIATOR} own {}", sim.address(0)));
    terminal.wait_for("PIN shown by ocf-devsim (");
    terminal.type_keys("90210473");
    let screen = terminal.wait_for("EXIT=");
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert!(screen.contains("Owned"), "{screen}");
    assert!(
        !screen.contains("90210473"),
        "the PIN was echoed:\n{screen}"
    );
}

#[test]
fn a_person_gets_three_tries_at_the_pin_each_with_a_new_selection() {
    let home = TestHome::start();
    let sim = DevSim::start(&["--otm", "rdp", "--pin", "90210473"]);
    let terminal = Terminal::run(&home, &format!("{MEDIATOR} own {}", sim.address(0)));
    terminal.wait_for("PIN shown by ocf-devsim (");
    terminal.type_keys("11111111");
    terminal.wait_for("(try 2 of 3)");
    terminal.type_keys("22222222");
    terminal.wait_for("(try 3 of 3)");
    terminal.type_keys("33333333");
    let screen = terminal.wait_for("EXIT=");
    assert!(screen.contains("EXIT=5"), "{screen}");
    assert!(
        screen.contains("did not accept the PIN (3 tries)"),
        "{screen}"
    );
    assert!(
        !screen.contains("DTLS"),
        "no DTLS detail without -v:\n{screen}"
    );
    drop(terminal);
    // Still ownable: the right PIN on the next run takes it.
    let terminal = Terminal::run(&home, &format!("{MEDIATOR} own {}", sim.address(0)));
    terminal.wait_for("PIN shown by ocf-devsim (");
    terminal.type_keys("11111111");
    terminal.wait_for("(try 2 of 3)");
    terminal.type_keys("90210473");
    let screen = terminal.wait_for("EXIT=");
    assert!(screen.contains("EXIT=0"), "{screen}");
}

#[test]
fn disown_asks_on_a_terminal_naming_the_device() {
    let home = TestHome::start();
    let sim = DevSim::start(&["--reset-delay-ms", "100"]);
    let run = home.mediator(&["--json", "own", &sim.address(0)]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let di = run.json()["di"].as_str().unwrap().to_owned();
    let terminal = Terminal::run(&home, &format!("{MEDIATOR} disown {di}"));
    let screen = terminal.wait_for("Reset ocf-devsim (");
    assert!(screen.contains(&di), "{screen}");
    assert!(screen.contains("forgets its owner"), "{screen}");
    terminal.type_keys("y");
    let screen = terminal.wait_for("EXIT=");
    assert!(screen.contains("EXIT=0"), "{screen}");
    assert!(screen.contains("Disowned"), "{screen}");
}
