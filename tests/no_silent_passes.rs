//! A test whose peer or privilege is missing fails, naming the set-up step;
//! none returns early as a pass. This keeps it that way: prerequisites go
//! through `common::require` and `common::require_root`.

use std::path::PathBuf;

fn test_sources() -> Vec<(PathBuf, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut files = Vec::new();
    for sub in [dir.clone(), dir.join("common")] {
        for entry in std::fs::read_dir(&sub).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                files.push((path, text));
            }
        }
    }
    files
}

#[test]
fn no_test_skips_itself_when_a_tool_or_root_is_missing() {
    let this = file!().rsplit('/').next().unwrap();
    let mut offenders = Vec::new();
    for (path, text) in test_sources() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name == this || name == "mod.rs" {
            continue;
        }
        for (number, line) in text.lines().enumerate() {
            // `have(` outside common/ is how a test used to decide to skip.
            let skip_message = line.contains("\"skipping");
            let tool_probe = line.contains("have(") && !line.contains("fn have(");
            if skip_message || tool_probe {
                offenders.push(format!("{name}:{}: {}", number + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "use common::require / common::require_root instead:\n{}",
        offenders.join("\n")
    );
}
