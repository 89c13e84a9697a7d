//! The README's test command is what CI runs: `.ci/run` runs the very line
//! the README shows, so the two cannot drift apart.

use std::path::PathBuf;

fn read(path: &str) -> String {
    std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// The `sh` code blocks of the README, each as its lines.
fn readme_blocks() -> Vec<Vec<String>> {
    let readme = read("README.md");
    let mut blocks = Vec::new();
    let mut current: Option<Vec<String>> = None;
    for line in readme.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```sh") => current = Some(Vec::new()),
            (Some(_), "```") => blocks.push(current.take().unwrap()),
            (Some(block), line) => block.push(line.to_owned()),
            (None, _) => {}
        }
    }
    blocks
}

#[test]
fn ci_runs_exactly_the_readme_s_test_command() {
    let ci = read(".ci/run");
    let test_lines: Vec<&str> = ci
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && l.contains("cargo test"))
        .collect();
    assert_eq!(
        test_lines.len(),
        1,
        ".ci/run runs the tests once: {test_lines:?}"
    );
    let command = test_lines[0].trim();
    assert!(
        command.starts_with("scripts/setup.sh && "),
        "on a fresh machine the command installs what the tests need first: {command}"
    );
    let blocks = readme_blocks();
    assert!(
        blocks.iter().any(|b| b.len() == 1 && b[0] == command),
        "README.md has no block with exactly `{command}`: {blocks:?}"
    );
}
