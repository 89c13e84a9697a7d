//! Completion marks: `own` records that a device finished its ownership
//! transfer by creating an empty file `complete/<device UUID>` beside the
//! state file, instead of rewriting and syncing the whole state file as the
//! last step of every `own`.
//!
//! Why no fsync is needed: creating an empty file is one metadata operation
//! and touches no other file, so after a crash the mark either exists or it
//! does not, and the state file is intact either way. A lost mark leaves the
//! entry incomplete, which the next `own` of that device checks and
//! finishes. Reading the state applies the marks; the next durable update of
//! the state file writes them into it and removes them, so they do not pile
//! up.

use std::fs::{self, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use uuid::Uuid;

/// Where the marks of the state in `state_dir` live.
pub(super) fn dir(state_dir: &Path) -> PathBuf {
    state_dir.join("complete")
}

/// Marks `di` complete.
pub(super) fn create(state_dir: &Path, di: Uuid) -> io::Result<()> {
    let dir = dir(state_dir);
    fs::create_dir_all(&dir)?;
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(dir.join(di.to_string()))
        .map(drop)
}

/// The devices marked complete. No directory means no marks; names that are
/// not UUIDs (an editor's backup, say) are not marks.
pub(super) fn read(state_dir: &Path) -> io::Result<Vec<Uuid>> {
    let entries = match fs::read_dir(dir(state_dir)) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut marks = Vec::new();
    for entry in entries {
        let name = entry?.file_name();
        if let Some(di) = name.to_str().and_then(|n| Uuid::parse_str(n).ok()) {
            marks.push(di);
        }
    }
    Ok(marks)
}

/// Removes marks once the state file durably says what they said. A mark
/// that cannot be removed is applied again next time, which is harmless.
pub(super) fn remove(state_dir: &Path, marks: &[Uuid]) {
    let dir = dir(state_dir);
    for di in marks {
        let _ = fs::remove_file(dir.join(di.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_are_read_back_and_removed() {
        let scratch = tempfile::tempdir().unwrap();
        let di = Uuid::new_v4();
        assert!(read(scratch.path()).unwrap().is_empty());
        create(scratch.path(), di).unwrap();
        create(scratch.path(), di).unwrap();
        fs::write(dir(scratch.path()).join("notes.txt~"), b"").unwrap();
        assert_eq!(read(scratch.path()).unwrap(), vec![di]);
        remove(scratch.path(), &[di]);
        assert!(read(scratch.path()).unwrap().is_empty());
    }
}
