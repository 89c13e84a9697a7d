//! Man pages and completion scripts, generated from the clap definitions.
//! `tests/generated_files.rs` keeps the committed copies in `man/` and
//! `completions/` equal to these.

use clap::{Command, CommandFactory};
use clap_complete::Shell;

use super::args::Cli;
use super::devsim_args::DevsimCli;

pub const SHELLS: [Shell; 5] = [
    Shell::Bash,
    Shell::Zsh,
    Shell::Fish,
    Shell::PowerShell,
    Shell::Elvish,
];

/// The binaries' command definitions.
pub fn commands() -> Vec<Command> {
    vec![Cli::command(), DevsimCli::command()]
}

/// One completion script.
pub fn completion(command: &Command, shell: Shell) -> Vec<u8> {
    let mut command = command.clone();
    let name = command.get_name().to_owned();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, name, &mut out);
    out
}

/// The file name of a completion script, as each shell expects it.
pub fn completion_file_name(binary: &str, shell: Shell) -> String {
    match shell {
        Shell::Bash => format!("{binary}.bash"),
        Shell::Zsh => format!("_{binary}"),
        Shell::Fish => format!("{binary}.fish"),
        Shell::PowerShell => format!("_{binary}.ps1"),
        Shell::Elvish => format!("{binary}.elv"),
        _ => format!("{binary}.{shell}"),
    }
}

/// Every man page: `(file name, roff)`, one per command and subcommand.
pub fn man_pages() -> Vec<(String, Vec<u8>)> {
    let mut pages = Vec::new();
    for command in commands() {
        let mut command = command;
        command.build();
        collect_pages(&command, command.get_name(), &mut pages);
    }
    pages
}

fn collect_pages(command: &Command, name: &str, pages: &mut Vec<(String, Vec<u8>)>) {
    let page_command = command.clone().name(name.to_owned());
    let mut roff = Vec::new();
    // Rendering into a Vec cannot fail.
    let _ = clap_mangen::Man::new(page_command).render(&mut roff);
    pages.push((format!("{name}.1"), roff));
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        collect_pages(sub, &format!("{name}-{}", sub.get_name()), pages);
    }
}
