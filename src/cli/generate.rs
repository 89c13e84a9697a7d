//! Man pages and completion scripts, generated from the clap definitions.
//! `tests/generated_files.rs` keeps the committed copies in `man/` and
//! `completions/` equal to these.

use clap::{Command, CommandFactory};
use clap_complete::Shell;

use super::args::Cli;
use super::devsim_args::DevsimCli;
use super::exit::EXIT_CODES_HELP;

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
    pages.push((format!("{name}.1"), render_page(page_command)));
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        collect_pages(sub, &format!("{name}-{}", sub.get_name()), pages);
    }
}

/// A man page: clap_mangen's sections, with the exit codes under EXIT STATUS
/// rather than its generic EXTRA heading.
fn render_page(command: Command) -> Vec<u8> {
    let exit_codes = command.get_after_long_help().is_some();
    let man = clap_mangen::Man::new(command.clone());
    let mut roff = Vec::new();
    // Rendering into a Vec cannot fail.
    let _ = man.render_title(&mut roff);
    let _ = man.render_name_section(&mut roff);
    let _ = man.render_synopsis_section(&mut roff);
    let _ = man.render_description_section(&mut roff);
    if command.get_arguments().any(|a| !a.is_hide_set()) {
        let _ = man.render_options_section(&mut roff);
    }
    if command.has_subcommands() {
        let _ = man.render_subcommands_section(&mut roff);
    }
    if exit_codes {
        roff.extend_from_slice(b".SH \"EXIT STATUS\"\n");
        for line in EXIT_CODES_HELP.lines().skip(1) {
            let (code, meaning) = line.trim().split_once(' ').unwrap_or((line.trim(), ""));
            roff.extend_from_slice(
                format!(".TP\n{code}\n{}\n", meaning.trim().replace('-', "\\-")).as_bytes(),
            );
        }
    }
    if command.get_version().is_some() {
        let _ = man.render_version_section(&mut roff);
    }
    roff
}
