//! The committed man pages (man/) and completion scripts (completions/) are
//! what the clap definitions generate. Refresh them with:
//!
//!     OCF_MEDIATOR_BLESS=1 cargo test --test generated_files

use std::path::{Path, PathBuf};

use ocf_mediator::cli::generate::{SHELLS, commands, completion, completion_file_name, man_pages};

const REFRESH: &str = "OCF_MEDIATOR_BLESS=1 cargo test --test generated_files";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every generated file: path relative to the project root, and contents.
fn generated() -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    for command in commands() {
        for shell in SHELLS {
            let name = completion_file_name(command.get_name(), shell);
            files.push((
                Path::new("completions").join(name),
                completion(&command, shell),
            ));
        }
    }
    for (name, roff) in man_pages() {
        files.push((Path::new("man").join(name), roff));
    }
    files
}

#[test]
fn committed_man_pages_and_completions_are_current() {
    let bless = std::env::var_os("OCF_MEDIATOR_BLESS").is_some();
    let files = generated();
    let mut stale = Vec::new();
    for (path, contents) in &files {
        let full = root().join(path);
        if bless {
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(&full, contents).unwrap();
        } else if std::fs::read(&full).ok().as_deref() != Some(contents.as_slice()) {
            stale.push(path.display().to_string());
        }
    }
    // Files nobody generates any more are stale too.
    for dir in ["man", "completions"] {
        let Ok(entries) = std::fs::read_dir(root().join(dir)) else {
            continue;
        };
        for entry in entries {
            let path = Path::new(dir).join(entry.unwrap().file_name());
            if !files.iter().any(|(p, _)| *p == path) {
                if bless {
                    std::fs::remove_file(root().join(&path)).unwrap();
                } else {
                    stale.push(format!("{} (no longer generated)", path.display()));
                }
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale generated files: {}\nrefresh them with: {REFRESH}",
        stale.join(", ")
    );
}

#[test]
fn there_is_a_man_page_for_every_command_and_they_document_exit_codes() {
    let pages = man_pages();
    let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
    for expected in [
        "ocf-mediator.1",
        "ocf-mediator-discover.1",
        "ocf-mediator-get.1",
        "ocf-mediator-update.1",
        "ocf-mediator-completions.1",
        "ocf-devsim.1",
        "ocf-devsim-device.1",
        "ocf-devsim-cloud.1",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    let main = String::from_utf8(pages[0].1.clone()).unwrap();
    assert!(
        main.contains("EXIT STATUS") && main.contains("device not found"),
        "the main page documents exit codes"
    );
    assert!(
        main.contains("OCF_MEDIATOR_TIMEOUT"),
        "the main page documents environment variables"
    );
}
