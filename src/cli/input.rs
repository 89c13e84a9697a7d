//! What the user hands over in files and on stdin, read with a size limit:
//! `--data @/dev/zero` must fail at once with the limit named, not fill
//! memory, and a body is never cut short and then blamed on its JSON.

use std::io::Read;
use std::path::Path;

use super::exit::{Exit, failure};

/// Request bodies (`--data @FILE`, `--data -`): far above any OCF
/// representation, which Block1 sends in 1 KiB pieces.
pub const BODY_LIMIT: usize = 1 << 20;
/// PEM files: certificate chains and keys.
pub const PEM_LIMIT: usize = 1 << 20;
/// Secrets on stdin: a PSK in hex, a PIN, a client secret.
pub const SECRET_LIMIT: usize = 4 << 10;

/// Reads all of `reader`; more than `limit` bytes is a usage error (exit 2)
/// naming `what` and the limit. Reads at most `limit + 1` bytes.
pub fn read_bounded(reader: &mut dyn Read, limit: usize, what: &str) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader
        .take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| failure(Exit::Usage, format!("cannot read {what}: {e}")))?;
    if bytes.len() > limit {
        return Err(too_large(what, limit));
    }
    Ok(bytes)
}

/// Reads a file the user named, bounded like [`read_bounded`].
pub fn read_file(path: &Path, limit: usize, what: &str) -> anyhow::Result<Vec<u8>> {
    let mut file = std::fs::File::open(path)
        .map_err(|e| failure(Exit::Usage, format!("cannot open {what}: {e}")))?;
    read_bounded(&mut file, limit, what)
}

/// [`read_bounded`] as UTF-8 text.
pub fn read_text(reader: &mut dyn Read, limit: usize, what: &str) -> anyhow::Result<String> {
    utf8(read_bounded(reader, limit, what)?, what)
}

/// [`read_file`] as UTF-8 text.
pub fn read_file_text(path: &Path, limit: usize, what: &str) -> anyhow::Result<String> {
    utf8(read_file(path, limit, what)?, what)
}

fn utf8(bytes: Vec<u8>, what: &str) -> anyhow::Result<String> {
    String::from_utf8(bytes).map_err(|_| failure(Exit::Usage, format!("{what} is not UTF-8 text")))
}

fn too_large(what: &str, limit: usize) -> anyhow::Error {
    failure(
        Exit::Usage,
        format!(
            "{what} is larger than {}, the most this tool reads there",
            size(limit)
        ),
    )
}

/// `1 MiB`, `4 KiB`, `256 bytes`.
fn size(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_beyond_the_limit_is_an_error_naming_it() {
        let mut endless = std::io::repeat(0);
        let error = read_bounded(&mut endless, 1 << 20, "--data @/dev/zero").unwrap_err();
        assert_eq!(
            error.to_string(),
            "--data @/dev/zero is larger than 1 MiB, the most this tool reads there"
        );
        assert_eq!(super::super::exit::exit_of(&error), Exit::Usage);
    }

    #[test]
    fn exactly_the_limit_is_read_whole() {
        let bytes = vec![b'x'; 4096];
        let read = read_bounded(&mut bytes.as_slice(), 4096, "stdin").unwrap();
        assert_eq!(read.len(), 4096);
        assert_eq!(size(256), "256 bytes");
    }
}
