//! The `ocf-mediator` and `ocf-devsim` command lines.

pub mod args;
pub mod cert;
pub mod cloud;
pub mod cloud_state;
pub mod complete;
pub mod credentials;
pub mod devices;
pub mod devsim_args;
pub mod discover;
pub mod disown;
pub mod dry_run;
pub mod exchange;
pub mod exit;
pub mod generate;
pub mod get;
pub mod help;
pub mod input;
pub mod interaction;
pub mod keys;
pub mod login;
pub mod logout;
pub mod output;
pub mod own;
pub mod profiles;
pub mod provision;
pub mod resolve;
pub mod token;
pub mod update;

use std::io::Write;
use std::sync::Arc;

use args::{Cli, Command, GlobalArgs};
use exit::Exit;
use output::Output;

use crate::interact::{Interaction, Notice};
use crate::mediator::{Failpoint, Mediator, Settings};
use crate::store::KeyringKind;

/// The mediator a command works with: the store `--state-dir` names, the
/// keyring new secrets go to, the timeout, and whom to ask.
pub fn mediator(
    global: &GlobalArgs,
    interaction: Arc<dyn Interaction>,
) -> anyhow::Result<Mediator> {
    let keyring = if global.volatile_keyring {
        interaction.notice(&Notice::Warning(
            "--volatile-keyring: secrets go to the kernel keyring and are lost on reboot; a device \
             whose owner key is lost cannot be managed or disowned any more",
        ));
        KeyringKind::Kernel
    } else {
        KeyringKind::SecretService
    };
    let settings = Settings {
        state_dir: global.state_dir.clone(),
        keyring,
        timeout: global.timeout,
    };
    let mediator = Mediator::new(settings, interaction)?;
    // The crash tests stop an operation before its (n+1)th request.
    Ok(match test_failpoint() {
        Some(failpoint) => mediator.with_failpoint(failpoint),
        None => mediator,
    })
}

/// `OCF_MEDIATOR_TEST_STOP_AFTER=N`: the failpoint of the crash tests. The
/// process then exits with 86, as if killed before that request.
fn test_failpoint() -> Option<Failpoint> {
    let n = std::env::var("OCF_MEDIATOR_TEST_STOP_AFTER").ok()?;
    n.parse().ok().map(Failpoint::after_requests)
}

/// Runs a parsed command line and returns how the process ends.
pub fn run(cli: Cli) -> Exit {
    let output = Output::new(&cli.global);
    if let Command::Completions(args) = &cli.command {
        // No runtime needed: keep this path instant.
        let script = generate::completion(&<Cli as clap::CommandFactory>::command(), args.shell);
        let _ = std::io::stdout().write_all(&script);
        return Exit::Success;
    }
    let runtime = match crate::net::runtime() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the I/O runtime: {e}");
            return Exit::Failed;
        }
    };
    let result = runtime.block_on(async {
        match &cli.command {
            Command::Discover(args) => discover::run(args, &cli.global, &output).await,
            Command::Get(args) => get::run(args, &cli.global, &output).await,
            Command::Update(args) => update::run(args, &cli.global, &output).await,
            Command::Login(args) => login::run(args, &cli.global, &output).await,
            Command::Logout(args) => logout::run(args, &cli.global, &output).await,
            Command::Profiles => profiles::run(&cli.global, &output).await,
            Command::Token(args) => token::run(args, &cli.global, &output).await,
            Command::Own(args) => own::run(args, &cli.global, &output).await,
            Command::Disown(args) => disown::run(args, &cli.global, &output).await,
            Command::Devices => devices::run(&cli.global, &output).await,
            Command::Cloud(command) => cloud::run(command, &cli.global, &output).await,
            Command::Provision(args) => provision::run(args, &cli.global, &output).await,
            Command::Cert(command) => cert::run(command, &cli.global, &output).await,
            Command::Keys(command) => keys::run(command, &cli.global, &output).await,
            Command::Completions(_) => Ok(Exit::Success),
        }
    });
    // Every command awaits the work it started (own awaits its key and
    // entry writes on every path), so what is left are idle blocking-pool
    // threads: joining them cost about 1 ms per run.
    runtime.shutdown_background();
    match result {
        Ok(exit) => exit,
        Err(error) if exit::interrupted(&error) => {
            // As if killed before the request: no report, nothing else.
            std::process::exit(86);
        }
        Err(error) => {
            report(&error, &output);
            exit::exit_of(&error)
        }
    }
}

/// An error: one sentence on stderr (details with -v); with `--json`, also
/// one `{"error", "exit", …}` line on stdout.
fn report(error: &anyhow::Error, output: &Output) {
    let message = format!("{error:#}");
    // Messages may quote what a device or server said.
    eprintln!("error: {}", output::printable_lines(&message));
    let device = exit::device_error_of(error);
    if output.verbose > 0 {
        if let Some(detail) = device.and_then(crate::ocf::error::authentication_detail) {
            eprintln!("detail: {}", output::printable_lines(detail));
        }
    }
    if output.json {
        let mut value = serde_json::json!({
            "error": message,
            "exit": exit::exit_of(error) as u8,
        });
        if let Some(device) = device {
            if let Some(step) = device.step() {
                value["step"] = step.into();
            }
            if let Some(code) = device.code() {
                value["code"] = code.to_string().into();
            }
        }
        output.json_line(&value);
    }
}
