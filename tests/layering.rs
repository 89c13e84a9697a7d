//! Arrows point down: nothing below the command line names it, and the
//! cloud login library neither prints nor reads a terminal (it asks and
//! tells through `interact::Interaction`).

use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code lines of a file (comments left out), with their numbers.
fn code_lines(path: &Path) -> Vec<(usize, String)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim_start().starts_with("//"))
        .map(|(n, line)| (n + 1, line.to_owned()))
        .collect()
}

/// Whether a line names the `cli` module of the crate.
fn names_cli(line: &str) -> bool {
    let grouped_use = line.contains("crate::{")
        && line
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .any(|word| word == "cli");
    line.contains("crate::cli") || grouped_use
}

#[test]
fn no_module_below_the_command_line_names_it() {
    let root = src();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let below: Vec<_> = files
        .iter()
        .filter(|f| {
            let relative = f.strip_prefix(&root).unwrap();
            !(relative.starts_with("cli")
                || relative.starts_with("bin")
                || relative == Path::new("main.rs"))
        })
        .collect();
    assert!(
        below.len() > 20,
        "the library's files were not found under {}",
        root.display()
    );
    let offenders: Vec<String> = below
        .iter()
        .flat_map(|f| {
            code_lines(f)
                .into_iter()
                .filter(|(_, line)| names_cli(line))
                .map(move |(n, line)| format!("{}:{n}: {}", f.display(), line.trim()))
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "below cli, cli is named:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn the_oauth_library_neither_prints_nor_reads_a_terminal() {
    let mut files = Vec::new();
    rust_files(&src().join("oauth"), &mut files);
    assert!(!files.is_empty());
    let forbidden = ["println!", "print!(", "io::stdin", "anyhow"];
    let offenders: Vec<String> = files
        .iter()
        .flat_map(|f| {
            code_lines(f)
                .into_iter()
                .filter(|(_, line)| forbidden.iter().any(|word| line.contains(word)))
                .map(move |(n, line)| format!("{}:{n}: {}", f.display(), line.trim()))
        })
        .collect();
    assert!(
        offenders.is_empty(),
        "in src/oauth:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn the_check_sees_the_ways_cli_is_named() {
    assert!(names_cli("use crate::cli::exit::{Exit, failure};"));
    assert!(names_cli("use crate::{cli, store};"));
    assert!(names_cli("    crate::cli::output::escape(x)"));
    assert!(!names_cli("use super::client::Transmit;"));
    assert!(!names_cli("use crate::{client, store};"));
}
