//! `ocf-mediator`: parse, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;
use ocf_mediator::cli::{self, args::Cli, exit::Exit};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                Exit::Usage.into()
            } else {
                Exit::Success.into()
            };
        }
    };
    cli::run(cli).into()
}
