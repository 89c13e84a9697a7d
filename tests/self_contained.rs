//! The repository stands on its own: a clone has everything its tests and
//! tools read. Nothing may name the folder that sat beside the first
//! checkout (the protocol facts and captures now live in `docs/` and
//! `tests/vectors/`), and no test reads above the repository.

use std::path::{Path, PathBuf};

/// Folders that are built or installed, not part of the repository.
const NOT_OURS: &[&str] = &[
    "target",
    ".git",
    "node_modules",
    "corpus",
    "artifacts",
    ".node",
];

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        let name = entry.file_name();
        if entry.file_type().unwrap().is_dir() {
            if !NOT_OURS.iter().any(|n| name == *n) {
                files(&path, out);
            }
        } else {
            out.push(path);
        }
    }
}

fn repository_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    files(Path::new(env!("CARGO_MANIFEST_DIR")), &mut out);
    out
}

#[test]
fn no_file_refers_to_the_folder_beside_the_first_checkout() {
    // Spelled in two halves so that this file does not name it either.
    let beside = ["../", "shared"].concat();
    let reads_above = [r#"env!("CARGO_MANIFEST_DIR"), ""#, "/.."].concat();
    let mut offenders = Vec::new();
    for path in repository_files() {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue; // binary files
        };
        if text.contains(&beside) || text.contains(&reads_above) {
            offenders.push(path.display().to_string());
        }
    }
    assert!(
        offenders.is_empty(),
        "these files refer to files outside the repository, which a clone does not have; \
         copy what they need into tests/vectors/ or docs/: {offenders:#?}"
    );
}

#[test]
fn the_captured_vectors_are_in_the_repository() {
    let vectors = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    for name in [
        "README.md",
        "jw-kat.json",
        "jw-ownership-decrypted.txt",
        "handshake-summary.txt",
        "coap-unsecured/udp4_get_oic_res.json",
        "cloud/registration-iotivity-lite.json",
    ] {
        assert!(
            vectors.join(name).is_file(),
            "tests/vectors/{name} is missing"
        );
    }
}
