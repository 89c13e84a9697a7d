//! `ocf-mediator`: parse, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use ocf_mediator::cli::{self, args::Cli, generate::COMPLETE_VAR};

fn main() -> ExitCode {
    // Before anything reads a secret: no core file may hold one.
    cli::core_dumps::disable();
    // First: a shell asking for completions (COMPLETE=<shell>) gets them and
    // nothing else runs. Without the variable this is one lookup.
    clap_complete::CompleteEnv::with_factory(Cli::command)
        .var(COMPLETE_VAR)
        .complete();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return cli::refused_command_line(&error).into(),
    };
    cli::run(cli).into()
}
