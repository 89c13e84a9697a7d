//! `-h`, `--help` and the man pages say the same things in the same places:
//! one first line for both helps, each command's own options before the
//! global ones, the exit codes on the top level only, and man pages with
//! SYNOPSIS values, EXAMPLES that parse, ENVIRONMENT, FILES and EXIT STATUS,
//! naming no page that does not exist.

mod common;

use std::path::PathBuf;
use std::process::Command;

use clap::{CommandFactory, Parser};
use common::{DEVSIM, MEDIATOR, Run};
use ocf_mediator::cli::args::Cli;
use ocf_mediator::cli::devsim_args::DevsimCli;
use ocf_mediator::cli::generate::{commands, man_pages, parse_examples};

/// Every command line that has its own help: `[]`, `["own"]`, … per binary.
fn command_paths() -> Vec<(&'static str, Vec<String>)> {
    let mut paths = Vec::new();
    for (binary, command) in [(MEDIATOR, Cli::command()), (DEVSIM, DevsimCli::command())] {
        paths.push((binary, Vec::new()));
        for sub in command.get_subcommands() {
            paths.push((binary, vec![sub.get_name().to_owned()]));
        }
    }
    paths
}

fn help(binary: &str, path: &[String], flag: &str) -> String {
    let output = Command::new(binary).args(path).arg(flag).output().unwrap();
    let run = Run::from(output);
    assert_eq!(run.code, 0, "{path:?} {flag}: {}", run.stderr);
    run.stdout
}

fn name(binary: &str) -> &str {
    binary.rsplit('/').next().unwrap()
}

#[test]
fn short_and_long_help_begin_with_the_same_line() {
    for (binary, path) in command_paths() {
        let short = help(binary, &path, "-h");
        let long = help(binary, &path, "--help");
        let first = |text: &str| text.lines().next().unwrap_or_default().to_owned();
        assert_eq!(first(&short), first(&long), "{} {path:?}", name(binary));
        assert!(
            short.len() < long.len(),
            "{} {path:?}: -h is the shorter one",
            name(binary)
        );
    }
}

#[test]
fn global_options_come_after_each_command_s_own_options() {
    for (binary, path) in command_paths() {
        if binary != MEDIATOR || path.is_empty() || path[0] == "help" {
            continue;
        }
        for flag in ["-h", "--help"] {
            let text = help(binary, &path, flag);
            let own = text.find("\nOptions:").expect("an Options heading");
            let global = text
                .find("\nGlobal options:")
                .unwrap_or_else(|| panic!("{path:?} {flag}: no Global options heading:\n{text}"));
            assert!(own < global, "{path:?} {flag}:\n{text}");
            for global_flag in ["--json", "--timeout <DURATION>", "--state-dir <DIR>"] {
                // As an option line (descriptions may mention the flag).
                let at = text.find(&format!("\n      {global_flag}")).unwrap();
                assert!(
                    at > global,
                    "{path:?} {flag}: {global_flag} before its heading"
                );
            }
        }
    }
}

#[test]
fn the_exit_codes_are_in_the_top_level_help_only() {
    for (binary, path) in command_paths() {
        let text = help(binary, &path, "--help");
        let has_table = text.contains("Exit status:");
        assert_eq!(
            has_table,
            path.is_empty(),
            "{} {path:?}: exit codes belong to the top-level help only",
            name(binary)
        );
    }
}

/// The command an example line runs: from the binary's name to the end of
/// its part of a pipeline, split as a shell would.
fn example_words(line: &str) -> Option<Vec<String>> {
    let start = ["ocf-mediator ", "ocf-devsim "]
        .iter()
        .filter_map(|b| line.find(b))
        .min()?;
    let rest = &line[start..];
    let end = [" | ", " > ", ")", " &"]
        .iter()
        .filter_map(|s| rest.find(s))
        .min()
        .unwrap_or(rest.len());
    shlex::split(&rest[..end])
}

#[test]
fn every_command_has_an_interactive_and_a_scripted_example_and_they_parse() {
    for mut command in commands() {
        command.build();
        let mut helps = vec![(command.get_name().to_owned(), command.clone())];
        for sub in command.get_subcommands() {
            if sub.get_name() != "help" {
                helps.push((sub.get_name().to_owned(), sub.clone()));
            }
        }
        for (name, sub) in helps {
            let after = sub
                .get_after_long_help()
                .map(|h| h.to_string())
                .unwrap_or_default();
            let examples = parse_examples(&after);
            let scripted = examples
                .iter()
                .filter(|(about, _)| about.starts_with("In a script"))
                .count();
            assert!(
                scripted >= 1 && examples.len() > scripted,
                "{name}: one example for a person and one 'In a script': {examples:?}"
            );
            for (_, lines) in &examples {
                for line in lines {
                    let words = example_words(line)
                        .unwrap_or_else(|| panic!("{name}: no command in {line:?}"));
                    let parsed = if words[0] == "ocf-mediator" {
                        Cli::try_parse_from(&words).map(drop)
                    } else {
                        DevsimCli::try_parse_from(&words).map(drop)
                    };
                    if let Err(e) = parsed {
                        panic!("{name}: the example {line:?} does not parse:\n{e}");
                    }
                }
            }
        }
    }
}

fn page(name: &str) -> String {
    let pages = man_pages();
    let (_, roff) = pages
        .iter()
        .find(|(n, _)| n == &format!("{name}.1"))
        .unwrap_or_else(|| panic!("no page {name}.1"));
    String::from_utf8(roff.clone()).unwrap()
}

/// The text of one section (`.SH NAME` up to the next `.SH`).
fn section(page: &str, heading: &str) -> Option<String> {
    let marker = format!(".SH {heading}\n");
    let start = page.find(&marker)? + marker.len();
    let end = page[start..].find(".SH ").map_or(page.len(), |e| start + e);
    Some(page[start..end].replace("\\-", "-"))
}

#[test]
fn man_pages_have_examples_environment_and_files_and_the_top_pages_exit_status() {
    for (file, roff) in man_pages() {
        let page = String::from_utf8(roff).unwrap();
        let name = file.trim_end_matches(".1");
        let top = name == "ocf-mediator" || name == "ocf-devsim";
        let examples = section(&page, "EXAMPLES").unwrap_or_else(|| panic!("{name}: EXAMPLES"));
        assert!(examples.contains("In a script"), "{name}: {examples}");
        assert!(
            section(&page, "ENVIRONMENT").is_some(),
            "{name}: ENVIRONMENT"
        );
        assert_eq!(
            section(&page, "\"EXIT STATUS\"").is_some(),
            top,
            "{name}: EXIT STATUS on the top pages only"
        );
        if name != "ocf-mediator-completions" {
            assert!(section(&page, "FILES").is_some(), "{name}: FILES");
        }
    }
    let files = section(&page("ocf-mediator"), "FILES").unwrap();
    for needle in [
        "store.sqlite3",
        "keyring",
        "kek/<store id>",
        "refresh_token",
    ] {
        assert!(files.contains(needle), "FILES names {needle}: {files}");
    }
}

#[test]
fn the_top_page_documents_every_environment_variable_the_code_reads() {
    let environment = section(&page("ocf-mediator"), "ENVIRONMENT").unwrap();
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut variables = Vec::new();
    collect_variables(&source, &mut variables);
    // ocf-devsim's own, and those `ocf-devsim lab` sets for its command.
    let (devsim_variables, mediator_variables): (Vec<String>, Vec<String>) = variables
        .into_iter()
        .partition(|v| v.starts_with("OCF_DEVSIM_") || v.starts_with("OCF_LAB_"));
    let variables = mediator_variables;
    assert!(variables.len() > 8, "{variables:?}");
    for variable in variables {
        assert!(
            environment.contains(&format!("\\fB{variable}\\fR")),
            "{variable} is read but not in ENVIRONMENT"
        );
    }
    let devsim = section(&page("ocf-devsim"), "ENVIRONMENT").unwrap();
    for variable in devsim_variables {
        assert!(devsim.contains(&variable), "{variable}: {devsim}");
    }
}

/// Every `"OCF_…"` string literal in the sources.
fn collect_variables(dir: &std::path::Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_variables(&path, out);
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for piece in text.split("\"OCF_").skip(1) {
            let name: String = piece
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || *c == '_')
                .collect();
            let variable = format!("OCF_{name}");
            if piece[name.len()..].starts_with('"') && !out.contains(&variable) {
                out.push(variable);
            }
        }
    }
}

#[test]
fn the_synopsis_shows_option_values() {
    let top = section(&page("ocf-mediator"), "SYNOPSIS").unwrap();
    assert!(
        top.contains("\\fB--timeout\\fR \\fI<DURATION>\\fR"),
        "{top}"
    );
    assert!(top.contains("\\fB--state-dir\\fR \\fI<DIR>\\fR"), "{top}");
    assert!(top.contains("\\fI<COMMAND>\\fR"), "{top}");
    let update = section(&page("ocf-mediator-update"), "SYNOPSIS").unwrap();
    assert!(
        update.contains("\\fB-d\\fR|\\fB--data\\fR \\fI<JSON|@FILE|->\\fR"),
        "{update}"
    );
    assert!(
        update.contains("\\fI<DEVICE>\\fR \\fI<HREF>\\fR"),
        "{update}"
    );
    let own = section(&page("ocf-mediator-own"), "SYNOPSIS").unwrap();
    assert!(
        own.contains("[\\fB--mfg-ca\\fR \\fI<FILE>\\fR]..."),
        "{own}"
    );
}

#[test]
fn man_pages_name_only_pages_that_exist() {
    let pages = man_pages();
    let names: Vec<String> = pages
        .iter()
        .map(|(n, _)| n.trim_end_matches(".1").to_owned())
        .collect();
    assert!(!names.iter().any(|n| n.ends_with("-help")), "{names:?}");
    for (file, roff) in &pages {
        let text = String::from_utf8_lossy(roff)
            .replace("\\-", "-")
            .replace("\\fB", "")
            .replace("\\fR", "");
        for (at, _) in text.match_indices("(1)") {
            let before = &text[..at];
            let word: String = before
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            assert!(
                names.contains(&word),
                "{file} names {word}(1), which does not exist"
            );
        }
    }
}
