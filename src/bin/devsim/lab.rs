//! `ocf-devsim lab`: starts the rehearsal (the library's `sim::lab`), says
//! where everything is, prints the cloud's events, and with `--run` runs
//! the command in the lab's environment and stops when it ends.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, ExitStatus};

use ocf_mediator::cli::devsim_args::{LabArgs, Otm};
use ocf_mediator::sim::SecurityConfig;
use ocf_mediator::sim::cloud::CloudEvent;
use ocf_mediator::sim::lab::{Lab, LabConfig, LabEvent, LabInfo};

use crate::{show, shutdown_signal};

/// The mediator's state directory for `--run`, in the lab's directory.
const MEDIATOR_DIR: &str = "mediator";

pub fn run(args: LabArgs) -> ExitCode {
    if args.otm.contains(&Otm::Mfg) {
        eprintln!("error: the lab's devices have no manufacturer certificate: use --otm jw or rdp");
        return ExitCode::from(2);
    }
    if let Some(dir) = &args.dir {
        // Its devices and keys died with that lab; a mediator meeting the
        // records would take them for lost keys.
        if dir.join(MEDIATOR_DIR).exists() {
            eprintln!(
                "error: --dir {} holds an earlier rehearsal's mediator state, whose devices and keys are gone: give a new directory",
                dir.display()
            );
            return ExitCode::from(2);
        }
    }
    let (dir, scratch) = match lab_dir(args.dir.as_deref()) {
        Ok(dir) => dir,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::FAILURE;
        }
    };
    let mut oxms = Vec::new();
    for otm in &args.otm {
        if !oxms.contains(&otm.oxm()) {
            oxms.push(otm.oxm());
        }
    }
    let config = LabConfig {
        devices: usize::from(args.devices),
        name: args.name.clone(),
        security: SecurityConfig {
            oxms,
            pin: args.pin.clone(),
            mfg: None,
            csr_fault: None,
        },
        expires_in: args.expires_in,
        optional_client_cert: args.optional_client_cert,
        dir: dir.clone(),
    };
    let code = match ocf_mediator::net::runtime() {
        Ok(runtime) => runtime.block_on(lab(config, &args)),
        Err(e) => {
            eprintln!("error: cannot start the I/O runtime: {e}");
            ExitCode::FAILURE
        }
    };
    if scratch {
        let _ = std::fs::remove_dir_all(&dir);
    }
    code
}

async fn lab(config: LabConfig, args: &LabArgs) -> ExitCode {
    // Listening for signals before anything is announced.
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    let mut lab = match Lab::start(config.clone()).await {
        Ok(lab) => lab,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut seen = Seen::default();
    let Some(script) = &args.run else {
        announce(&lab.info, args.json, None);
        if !args.json {
            say(&next_steps(&lab.info, &config.dir));
        }
        loop {
            tokio::select! {
                () = &mut shutdown => return ExitCode::SUCCESS,
                event = lab.next_event() => match event {
                    Some(event) => report(event, args.json, &mut seen),
                    None => return ExitCode::SUCCESS,
                },
            }
        }
    };
    let keyring = own_session_keyring();
    announce(&lab.info, args.json, Some(keyring));
    let mut child = match command(script, &lab.info, &config.dir).spawn() {
        Ok(child) => child,
        Err(e) => {
            eprintln!("error: cannot run sh: {e}");
            return ExitCode::FAILURE;
        }
    };
    let pid = child.id();
    let mut waited = tokio::task::spawn_blocking(move || child.wait());
    let status = loop {
        tokio::select! {
            status = &mut waited => break status,
            // The command hears of it too: on a terminal Ctrl-C reaches it
            // anyway; a SIGTERM for the lab is passed on.
            () = &mut shutdown, if !seen.stopping => {
                seen.stopping = true;
                terminate(pid);
            }
            Some(event) = lab.next_event() => report(event, args.json, &mut seen),
        }
    };
    while let Ok(Some(event)) =
        tokio::time::timeout(std::time::Duration::from_millis(50), lab.next_event()).await
    {
        report(event, args.json, &mut seen);
    }
    if !args.json {
        say(&seen.summary());
    }
    match status {
        Ok(Ok(status)) => exit_code(status),
        _ => {
            eprintln!("error: lost track of the command");
            ExitCode::FAILURE
        }
    }
}

/// The lab's directory: the one given, or a new private scratch directory
/// (the flag says whether to remove it at the end).
fn lab_dir(given: Option<&Path>) -> Result<(PathBuf, bool), String> {
    if let Some(dir) = given {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot make --dir {}: {e}", dir.display()))?;
        return Ok((dir.to_owned(), false));
    }
    let mut random = [0u8; 6];
    getrandom::fill(&mut random).map_err(|e| format!("no random source: {e}"))?;
    let name: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let dir = std::env::temp_dir().join(format!("ocf-devsim-lab-{name}"));
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        // It will hold the mediator's state: the user's alone.
        builder.mode(0o700);
    }
    builder
        .create(&dir)
        .map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
    Ok((dir, true))
}

/// `sh -c SCRIPT` with the lab's environment.
fn command(script: &str, info: &LabInfo, dir: &Path) -> Command {
    let mut command = Command::new("sh");
    command.arg("-c").arg(script);
    // The binaries built with this one come first: `ocf-mediator` in the
    // command is the mediator of the same build.
    let own_dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf));
    if let Some(own_dir) = own_dir {
        let rest = std::env::var_os("PATH").unwrap_or_default();
        let path =
            std::env::join_paths(std::iter::once(own_dir).chain(std::env::split_paths(&rest)));
        if let Ok(path) = path {
            command.env("PATH", path);
        }
    }
    command
        .env("OCF_LAB_HUB", &info.hub)
        .env("OCF_LAB_DEVICES", &info.devices_file)
        .env("OCF_LAB_ISSUER", &info.issuer)
        .env("OCF_LAB_CA_FILE", &info.ca_file)
        .env("OCF_MEDIATOR_CLIENT_SECRET", &info.m2m_client_secret)
        .env("OCF_MEDIATOR_STATE_DIR", dir.join(MEDIATOR_DIR))
        .env("OCF_MEDIATOR_VOLATILE_KEYRING", "1");
    command
}

/// Where the rehearsal's secrets go: on Linux, a new kernel session keyring
/// for this process and the command it runs, which the kernel drops when
/// the last of them ends. `true` when there is one.
#[cfg(target_os = "linux")]
fn own_session_keyring() -> bool {
    const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
    // SAFETY: keyctl(2) with a null name joins a new anonymous session
    // keyring; it reads no memory of ours.
    let serial = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_JOIN_SESSION_KEYRING,
            std::ptr::null::<libc::c_char>(),
        )
    };
    serial > 0
}

#[cfg(not(target_os = "linux"))]
fn own_session_keyring() -> bool {
    false
}

#[cfg(unix)]
fn terminate(pid: u32) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: kill(2) on the child we started and still wait for.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
    }
}

#[cfg(not(unix))]
fn terminate(_pid: u32) {}

fn exit_code(status: ExitStatus) -> ExitCode {
    if let Some(code) = status.code() {
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return ExitCode::from(u8::try_from(128 + signal).unwrap_or(1));
        }
    }
    ExitCode::FAILURE
}

fn say(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

/// The startup line (JSON) or lines (people). `keyring`: with `--run`,
/// whether the command has a session keyring of its own.
fn announce(info: &LabInfo, json: bool, keyring: Option<bool>) {
    if json {
        say(&format!(
            "{}\n",
            serde_json::to_string(info).unwrap_or_default()
        ));
        return;
    }
    let mut text = format!(
        "ocf-devsim lab: a rehearsal on 127.0.0.1\n\
         \x20 hub           {}\n\
         \x20 OAuth server  {}  (approves every login at once)\n\
         \x20 cloud         {}  sid {}\n\
         \x20 devices       {} unowned, by address in {}\n",
        info.hub,
        info.issuer,
        info.cis,
        info.sid,
        info.devices.len(),
        info.devices_file.display(),
    );
    for device in &info.devices {
        let address = device
            .endpoints
            .iter()
            .find(|e| e.starts_with("coap://"))
            .map_or("", String::as_str);
        text.push_str(&format!(
            "                {}  {}  {address}\n",
            printable(&device.name),
            device.di
        ));
    }
    match keyring {
        Some(true) => text.push_str(
            "Secrets of the rehearsal (owner keys, tokens, the m2m client secret) go to the kernel keyring (--volatile-keyring), in a session keyring of the rehearsal's own.\n",
        ),
        Some(false) => text.push_str(
            "Secrets of the rehearsal (owner keys, tokens, the m2m client secret) go to the kernel keyring (--volatile-keyring): the session or user keyring of this login.\n",
        ),
        None => {}
    }
    say(&text);
}

/// What to type next, when the lab runs no command itself.
fn next_steps(info: &LabInfo, dir: &Path) -> String {
    format!(
        "Next, in another shell (logins are approved at once; secrets go to that shell's kernel keyring):\n\
         \x20 export OCF_MEDIATOR_STATE_DIR={} OCF_MEDIATOR_VOLATILE_KEYRING=1\n\
         \x20 ocf-mediator login --hub {} --device-code\n\
         \x20 ocf-mediator provision --batch {}\n\
         Or start the lab with --run \"$SHELL\": a shell with all of this set and a kernel keyring of its own.\n\
         Stop the lab with Ctrl-C.\n",
        shell_word(&dir.join(MEDIATOR_DIR).display().to_string()),
        info.hub,
        shell_word(&info.devices_file.display().to_string()),
    )
}

/// A word a shell takes as is.
fn shell_word(text: &str) -> String {
    if text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-:".contains(c))
    {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// A device's own text, with control characters shown escaped.
fn printable(text: &str) -> String {
    text.chars().flat_map(char::escape_default).collect()
}

/// What the cloud saw of each device, for the summary.
#[derive(Default)]
struct Seen {
    signed_up: BTreeSet<String>,
    signed_in: BTreeSet<String>,
    published: BTreeSet<String>,
    refused: usize,
    stopping: bool,
}

impl Seen {
    fn note(&mut self, event: &CloudEvent) {
        let Some(di) = event.di.clone() else {
            if event.event == "refused" {
                self.refused += 1;
            }
            return;
        };
        match event.event {
            "signup" => {
                self.signed_up.insert(di);
            }
            "signin" => {
                self.signed_in.insert(di);
            }
            "publish" => {
                self.published.insert(di);
            }
            "refused" => self.refused += 1,
            _ => {}
        }
    }

    fn summary(&self) -> String {
        let registered: Vec<&String> = self
            .signed_up
            .iter()
            .filter(|di| self.signed_in.contains(*di) && self.published.contains(*di))
            .collect();
        let mut text = format!(
            "lab: the cloud registered {} device{} (signed up, signed in, published)",
            registered.len(),
            if registered.len() == 1 { "" } else { "s" }
        );
        if self.refused > 0 {
            text.push_str(&format!(" and refused {} request(s)", self.refused));
        }
        text.push('\n');
        for di in registered {
            text.push_str(&format!("  {di}\n"));
        }
        text
    }
}

fn report(event: LabEvent, json: bool, seen: &mut Seen) {
    match event {
        LabEvent::Cloud(event) => {
            seen.note(&event);
            if json {
                say(&format!(
                    "{}\n",
                    serde_json::to_string(&event).unwrap_or_default()
                ));
            } else {
                say(&format!("cloud: {}\n", describe(&event)));
            }
        }
        LabEvent::Device(notice) => show(notice),
        _ => {}
    }
}

/// One cloud event in words.
fn describe(event: &CloudEvent) -> String {
    let who = event.di.as_deref().unwrap_or(&event.peer);
    let what = match event.event {
        "signup" => "signed up".to_owned(),
        "signin" => "signed in".to_owned(),
        "signout" => "signed out".to_owned(),
        "publish" => match &event.hrefs {
            Some(hrefs) => format!("published {}", hrefs.join(" ")),
            None => "published its resources".to_owned(),
        },
        "unpublish" => "unpublished resources".to_owned(),
        "refresh" => "refreshed its token".to_owned(),
        "signoff" => "signed off".to_owned(),
        "sign" => "had its identity certificate signed".to_owned(),
        "refused" => format!(
            "was refused: {} {} {}",
            event.request.as_deref().unwrap_or(""),
            event.code.as_deref().unwrap_or(""),
            event.reason.as_deref().unwrap_or("")
        ),
        other => other.to_owned(),
    };
    format!("{who} {what}")
}
