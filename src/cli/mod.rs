//! The `ocf-mediator` and `ocf-devsim` command lines.

pub mod args;
pub mod cloud_state;
pub mod credentials;
pub mod devices;
pub mod devsim_args;
pub mod discover;
pub mod disown;
pub mod exchange;
pub mod exit;
mod failpoint;
pub mod generate;
pub mod get;
pub mod keys;
pub mod login;
pub mod logout;
pub mod output;
pub mod own;
mod pending_store;
pub mod profiles;
pub mod resolve;
pub mod session;
pub mod token;
pub mod update;

use std::io::Write;

use args::{Cli, Command};
use exit::Exit;
use output::Output;

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
        Err(error) => {
            report(&error, &output);
            exit::exit_of(&error)
        }
    }
}

fn report(error: &anyhow::Error, output: &Output) {
    if output.json {
        let code = exit::exit_of(error) as u8;
        let value = serde_json::json!({ "error": format!("{error:#}"), "exit": code });
        eprintln!("{value}");
    } else {
        eprintln!("error: {error:#}");
    }
}
