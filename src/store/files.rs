//! The store's files on disk: a directory only its user can enter (0700),
//! files only its user can read (0600), temporary files created exclusively
//! and never through a symbolic link, and store files that are symbolic
//! links refused (someone could point them at a file of theirs).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Why a file of the store cannot be used.
#[derive(Debug)]
pub enum FileError {
    Io {
        path: PathBuf,
        error: io::Error,
    },
    /// A store file (or the directory) is a symbolic link.
    Symlink {
        path: PathBuf,
    },
}

fn io(path: &Path) -> impl FnOnce(io::Error) -> FileError + '_ {
    move |error| FileError::Io {
        path: path.to_path_buf(),
        error,
    }
}

/// Creates the state directory (0700) if needed, syncing its parent so the
/// new entry survives a crash, and tightens an existing one to 0700.
pub fn prepare_dir(dir: &Path) -> Result<(), FileError> {
    match fs::symlink_metadata(dir) {
        Ok(meta) if meta.file_type().is_symlink() => {
            // A link someone else made would put our files in their
            // directory; a link the user made on purpose is theirs to keep,
            // so only the link's target is checked, below.
            let target = fs::metadata(dir).map_err(io(dir))?;
            if !target.is_dir() {
                return Err(FileError::Symlink {
                    path: dir.to_path_buf(),
                });
            }
        }
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            create_dir_0700(dir)?;
            if let Some(parent) = dir.parent() {
                sync_dir(parent);
            }
        }
        Err(e) => return Err(io(dir)(e)),
    }
    restrict(dir, 0o700)
}

#[cfg(unix)]
fn create_dir_0700(dir: &Path) -> Result<(), FileError> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io(dir))
}

#[cfg(not(unix))]
fn create_dir_0700(dir: &Path) -> Result<(), FileError> {
    fs::create_dir_all(dir).map_err(io(dir))
}

/// Sets `path`'s permission bits to `mode` when they are looser (unix).
#[cfg(unix)]
pub fn restrict(path: &Path, mode: u32) -> Result<(), FileError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = fs::metadata(path).map_err(io(path))?;
    if meta.permissions().mode() & 0o777 & !mode != 0 {
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(io(path))?;
    }
    Ok(())
}

#[cfg(not(unix))]
pub fn restrict(_path: &Path, _mode: u32) -> Result<(), FileError> {
    Ok(())
}

/// Refuses a store file that is a symbolic link; tightens an existing one
/// to 0600. A missing file is fine (it will be created 0600).
pub fn check_file(path: &Path) -> Result<bool, FileError> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(FileError::Symlink {
            path: path.to_path_buf(),
        }),
        Ok(_) => restrict(path, 0o600).map(|()| true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io(path)(e)),
    }
}

/// Creates `path` exclusively (`O_EXCL`: never an existing file, never
/// through a symbolic link), mode 0600.
pub fn create_exclusive(path: &Path) -> Result<File, FileError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(nofollow());
    }
    options.open(path).map_err(io(path))
}

#[cfg(unix)]
fn nofollow() -> i32 {
    // O_NOFOLLOW; create_new already refuses an existing link, this also
    // covers a platform whose O_EXCL would follow one.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    return 0o400000;
    #[cfg(any(target_os = "macos", target_os = "ios", target_os = "freebsd"))]
    return 0x0100;
    #[allow(unreachable_code)]
    0
}

/// Writes `bytes` to `path` whole or not at all: a temporary file beside it
/// (created exclusively), synced, renamed over `path` only with `replace`
/// (else an existing `path` is an error), and the directory synced.
pub fn write_new_file(path: &Path, bytes: &[u8], replace: bool) -> Result<(), FileError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let mut suffix = [0u8; 6];
    getrandom::fill(&mut suffix).map_err(|e| io(path)(io::Error::other(e.to_string())))?;
    let suffix: String = suffix.iter().map(|b| format!("{b:02x}")).collect();
    let tmp = dir.join(format!(".{name}.{suffix}.tmp"));
    let result = (|| {
        let mut file = create_exclusive(&tmp)?;
        file.write_all(bytes).map_err(io(&tmp))?;
        file.sync_all().map_err(io(&tmp))?;
        drop(file);
        if replace {
            check_file(path)?;
            fs::rename(&tmp, path).map_err(io(path))
        } else {
            // A hard link fails if `path` exists, where a rename would
            // replace it: the check and the creation are one step.
            fs::hard_link(&tmp, path).map_err(io(path))
        }
    })();
    let _ = fs::remove_file(&tmp);
    result?;
    sync_dir(dir);
    Ok(())
}

/// Makes a directory's new or renamed entries durable. Not every platform
/// can open a directory; the files themselves are synced either way.
pub fn sync_dir(dir: &Path) {
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_directory_is_0700_and_an_open_one_is_tightened() {
        let scratch = tempfile::tempdir().unwrap();
        let dir = scratch.path().join("a/b");
        prepare_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        prepare_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
    }

    #[test]
    fn files_are_created_0600_exclusively_and_links_are_refused() {
        let scratch = tempfile::tempdir().unwrap();
        let path = scratch.path().join("f");
        write_new_file(&path, b"one", false).unwrap();
        assert_eq!(mode(&path), 0o600);
        assert!(write_new_file(&path, b"two", false).is_err());
        assert_eq!(fs::read(&path).unwrap(), b"one");
        write_new_file(&path, b"two", true).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let link = scratch.path().join("link");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        assert!(matches!(check_file(&link), Err(FileError::Symlink { .. })));
        assert!(create_exclusive(&link).is_err());
        let leftovers: Vec<_> = fs::read_dir(scratch.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n.to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}
