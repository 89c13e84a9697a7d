//! The `ocf-mediator` and `ocf-devsim` command lines.

pub mod args;
pub mod cert;
pub mod cloud;
pub mod cloud_state;
pub mod complete;
pub mod core_dumps;
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

/// Whether the command may work on several devices at once: `provision`
/// with a batch, several devices, every unowned one or the picker (no
/// device named), and more than one job. The others start faster on one
/// thread.
fn runs_many_devices(command: &Command) -> bool {
    match command {
        Command::Provision(args) => {
            args.jobs > 1 && (args.devices.len() != 1 || args.all_unowned || args.batch.is_some())
        }
        _ => false,
    }
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
    let runtime = match if runs_many_devices(&cli.command) {
        crate::net::parallel_runtime()
    } else {
        crate::net::runtime()
    } {
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

/// A command line clap refused: its text on stderr, as clap prints it, and
/// with `--json` (as far as the line could be read, or from
/// `OCF_MEDIATOR_JSON`) the error line on stdout too, as for every other
/// error. `--help` and `--version` print and succeed.
pub fn refused_command_line(error: &clap::Error) -> Exit {
    let _ = error.print();
    if !error.use_stderr() {
        return Exit::Success;
    }
    if json_asked() {
        let text = error.render().to_string();
        let line = output::error_line(&usage_sentence(&text), Exit::Usage, None);
        println!("{line}");
    }
    Exit::Usage
}

/// Whether the refused command line asks for JSON: clap reads it again,
/// keeping what it can (a flag or the environment variable).
fn json_asked() -> bool {
    <Cli as clap::CommandFactory>::command()
        .ignore_errors(true)
        .try_get_matches()
        .ok()
        .and_then(|matches| matches.get_one::<bool>("json").copied())
        .unwrap_or(false)
}

/// clap's message without its `error: ` prefix, the usage and the hint
/// after it: what is wrong, on one line.
fn usage_sentence(text: &str) -> String {
    let said: Vec<&str> = text
        .lines()
        .take_while(|line| !line.trim().is_empty())
        .map(str::trim)
        .collect();
    let joined = said.join(" ");
    joined.strip_prefix("error: ").unwrap_or(&joined).to_owned()
}

/// An error: one sentence on stderr (details with -v); with `--json`, also
/// one `{"error", "exit", …}` line on stdout.
fn report(error: &anyhow::Error, output: &Output) {
    let message = format!("{error:#}");
    output.error(&message, exit::exit_of(error), exit::device_error_of(error));
}
