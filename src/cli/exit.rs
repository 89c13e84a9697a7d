//! Exit codes (documented in the man page) and the error type that carries one.

use std::fmt;
use std::process::ExitCode;

/// How `ocf-mediator` ends. Stable: scripts depend on these numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Success = 0,
    /// The operation failed.
    Failed = 1,
    /// The command line was wrong.
    Usage = 2,
    /// The device was not found.
    NotFound = 3,
    /// The device did not answer in time.
    TimedOut = 4,
    /// Authentication failed (OAuth or DTLS).
    AuthFailed = 5,
    /// The device refused a request (a CoAP 4.xx or 5.xx answer).
    Refused = 6,
    /// Some devices of a batch failed.
    BatchPartial = 7,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

/// The exit code table, as a literal so that `concat!` can put it after
/// the examples of the top-level help.
macro_rules! exit_codes_table {
    () => {
        "\
Exit status:
  0  success
  1  the operation failed
  2  usage error
  3  device not found
  4  timed out
  5  authentication failed (OAuth or DTLS)
  6  the device refused a request
  7  some devices of a batch failed"
    };
}
pub(crate) use exit_codes_table;

/// The exit code table, for the top-level help and man page.
pub const EXIT_CODES_HELP: &str = exit_codes_table!();

/// An error that knows its exit code. Commands return it through `anyhow`;
/// `main` finds it with `downcast_ref`.
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// Makes an error with an exit code.
pub fn failure(exit: Exit, message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Failure {
        exit,
        message: message.into(),
    })
}

/// The exit code an error maps to.
pub fn exit_of(error: &anyhow::Error) -> Exit {
    error
        .chain()
        .find_map(|e| e.downcast_ref::<Failure>())
        .map_or(Exit::Failed, |f| f.exit)
}
