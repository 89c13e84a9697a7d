//! How the library asks people (or scripts) for things and tells them how an
//! operation is going.
//!
//! The library never prints, draws or reads a terminal. An operation that
//! needs a PIN, a choice, a confirmation or a pasted code asks an
//! [`Interaction`], and reports its steps and waits through it: the command
//! line implements it with prompts and progress bars, a script with flags and
//! stdin, and tests with scripted answers ([`Scripted`]). Every method may be
//! called from any thread; the blocking ones (`pin`, `choose`, `confirm`,
//! `paste`) are called off the async executor.

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use url::Url;

/// A secret typed or piped in (a PIN, a pasted code). Never printed; wiped
/// when dropped.
pub struct Secret(String);

impl Secret {
    pub fn new(text: impl Into<String>) -> Secret {
        Secret(text.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        // SAFETY: zeroes are valid UTF-8, and the string is not used again.
        for b in unsafe { self.0.as_bytes_mut() } {
            unsafe { std::ptr::write_volatile(b, 0) };
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// Why an [`Interaction`] gave no answer.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Declined {
    /// Nobody can be asked (no terminal, `--no-input`); `hint` says how to
    /// give the answer another way (e.g. "pass --pin-stdin").
    NotInteractive { hint: String },
    /// The person cancelled (Escape, Ctrl-C at the prompt, an empty answer).
    Cancelled,
    /// The answer could be given once and was used (a PIN on stdin).
    Exhausted,
}

impl fmt::Display for Declined {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Declined::NotInteractive { hint } => write!(f, "nobody can be asked here: {hint}"),
            Declined::Cancelled => f.write_str("cancelled"),
            Declined::Exhausted => f.write_str("no further answer can be read"),
        }
    }
}

impl std::error::Error for Declined {}

/// A Random PIN is wanted: the device shows one now.
#[derive(Clone, Debug)]
pub struct PinRequest {
    /// How people know the device: its name and UUID.
    pub device: String,
    /// 1 for the first try; each further try follows a new PIN on the device.
    pub attempt: u32,
    /// How many tries there are in all.
    pub attempts: u32,
}

/// Something people should see that is neither a result nor an error.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Notice<'a> {
    /// A note (e.g. "the device is unowned again; taking it afresh").
    Note(&'a str),
    /// A warning (e.g. the volatile keyring).
    Warning(&'a str),
    /// RFC 8628: open `verification_uri` and enter `user_code`.
    DeviceCode {
        verification_uri: &'a str,
        verification_uri_complete: Option<&'a str>,
        user_code: &'a str,
        expires_in: Duration,
        interval: Duration,
    },
    /// Log in at `url`; the browser ends at `redirect_uri`.
    AuthorizationUrl {
        url: &'a Url,
        redirect_uri: &'a Url,
        browser_opened: bool,
    },
}

/// How an operation is going.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Progress<'a> {
    /// A step on `subject` (a device, a profile) begins.
    Step { subject: &'a str, what: &'a str },
    /// Waiting for something outside our control begins (a login in a
    /// browser, a device coming back after a reset).
    Waiting { subject: &'a str, what: &'a str },
    /// The work on `subject` ended (either way): clear its line.
    Done { subject: &'a str },
}

/// The library's side of the conversation with whoever runs it.
pub trait Interaction: Send + Sync {
    /// Whether [`Interaction::pin`] can be answered at all; asked before
    /// anything is sent to a device, so that a PIN that cannot be read fails
    /// the operation with the device untouched.
    fn can_provide_pin(&self) -> Result<(), Declined>;

    /// The PIN a device shows now.
    fn pin(&self, request: &PinRequest) -> Result<Secret, Declined>;

    /// One of `options` (labels for people), by index.
    fn choose(&self, question: &str, options: &[String]) -> Result<usize, Declined>;

    /// Several of `options`, by index (a multi-select picker).
    fn choose_many(&self, question: &str, options: &[String]) -> Result<Vec<usize>, Declined>;

    /// Whether to go ahead with something that cannot be undone.
    fn confirm(&self, question: &str) -> Result<bool, Declined>;

    /// Whether [`Interaction::paste`] can be answered at all; asked before
    /// showing what the answer depends on (e.g. an address to open), so that
    /// an answer that cannot be given fails the operation at once.
    fn can_paste(&self) -> Result<(), Declined> {
        Ok(())
    }

    /// A line pasted by the person (e.g. the address a browser ended at).
    fn paste(&self, prompt: &str) -> Result<Secret, Declined>;

    /// Opens `url` in a browser; whether one was opened.
    fn open_browser(&self, url: &Url) -> bool;

    /// Shows a notice.
    fn notice(&self, notice: &Notice<'_>);

    /// Reports progress.
    fn progress(&self, progress: &Progress<'_>);
}

/// Nobody to ask and nothing to show: every question is declined, every
/// notice dropped. For library users that run unattended.
#[derive(Clone, Debug, Default)]
pub struct Unattended;

fn unattended(hint: &str) -> Declined {
    Declined::NotInteractive {
        hint: hint.to_owned(),
    }
}

impl Interaction for Unattended {
    fn can_provide_pin(&self) -> Result<(), Declined> {
        Err(unattended("give the PIN with the request"))
    }
    fn pin(&self, _: &PinRequest) -> Result<Secret, Declined> {
        Err(unattended("give the PIN with the request"))
    }
    fn choose(&self, _: &str, _: &[String]) -> Result<usize, Declined> {
        Err(unattended("name exactly one device"))
    }
    fn choose_many(&self, _: &str, _: &[String]) -> Result<Vec<usize>, Declined> {
        Err(unattended("name the devices"))
    }
    fn confirm(&self, _: &str) -> Result<bool, Declined> {
        Err(unattended("confirm with the request"))
    }
    fn can_paste(&self) -> Result<(), Declined> {
        Err(unattended("no person can paste an answer"))
    }
    fn paste(&self, _: &str) -> Result<Secret, Declined> {
        Err(unattended("no person can paste an answer"))
    }
    fn open_browser(&self, _: &Url) -> bool {
        false
    }
    fn notice(&self, _: &Notice<'_>) {}
    fn progress(&self, _: &Progress<'_>) {}
}

/// Answers given in advance, for tests: each question takes the next answer
/// of its kind, and everything shown is recorded.
#[derive(Debug, Default)]
pub struct Scripted {
    pins: Mutex<Vec<Result<String, Declined>>>,
    choices: Mutex<Vec<Result<usize, Declined>>>,
    confirmations: Mutex<Vec<Result<bool, Declined>>>,
    pastes: Mutex<Vec<Result<String, Declined>>>,
    /// What was shown: notices, progress and questions, as text.
    pub shown: Mutex<Vec<String>>,
}

impl Scripted {
    pub fn new() -> Scripted {
        Scripted::default()
    }

    /// The PINs to type, in order.
    pub fn with_pins(self, pins: &[&str]) -> Scripted {
        *self.pins.lock().unwrap() = pins.iter().rev().map(|p| Ok(p.to_string())).collect();
        self
    }

    /// The options to pick, in order.
    pub fn with_choices(self, choices: &[usize]) -> Scripted {
        *self.choices.lock().unwrap() = choices.iter().rev().map(|c| Ok(*c)).collect();
        self
    }

    /// The answers to confirmations, in order.
    pub fn with_confirmations(self, answers: &[bool]) -> Scripted {
        *self.confirmations.lock().unwrap() = answers.iter().rev().map(|a| Ok(*a)).collect();
        self
    }

    /// The lines to paste, in order.
    pub fn with_pastes(self, lines: &[&str]) -> Scripted {
        *self.pastes.lock().unwrap() = lines.iter().rev().map(|l| Ok(l.to_string())).collect();
        self
    }

    /// Everything shown so far.
    pub fn transcript(&self) -> Vec<String> {
        self.shown.lock().unwrap().clone()
    }

    fn record(&self, line: String) {
        self.shown.lock().unwrap().push(line);
    }
}

fn next<T>(queue: &Mutex<Vec<Result<T, Declined>>>) -> Result<T, Declined> {
    queue
        .lock()
        .unwrap()
        .pop()
        .unwrap_or(Err(Declined::Exhausted))
}

impl Interaction for Scripted {
    fn can_provide_pin(&self) -> Result<(), Declined> {
        if self.pins.lock().unwrap().is_empty() {
            Err(unattended("the script has no PIN"))
        } else {
            Ok(())
        }
    }
    fn pin(&self, request: &PinRequest) -> Result<Secret, Declined> {
        self.record(format!(
            "pin {} {}/{}",
            request.device, request.attempt, request.attempts
        ));
        next(&self.pins).map(Secret::new)
    }
    fn choose(&self, question: &str, options: &[String]) -> Result<usize, Declined> {
        self.record(format!("choose {question}: {}", options.join(" | ")));
        next(&self.choices)
    }
    fn choose_many(&self, question: &str, options: &[String]) -> Result<Vec<usize>, Declined> {
        self.record(format!("choose many {question}: {}", options.join(" | ")));
        let mut picked = Vec::new();
        while let Ok(choice) = next(&self.choices) {
            picked.push(choice);
        }
        Ok(picked)
    }
    fn confirm(&self, question: &str) -> Result<bool, Declined> {
        self.record(format!("confirm {question}"));
        next(&self.confirmations)
    }
    fn can_paste(&self) -> Result<(), Declined> {
        if self.pastes.lock().unwrap().is_empty() {
            Err(unattended("the script has nothing to paste"))
        } else {
            Ok(())
        }
    }
    fn paste(&self, prompt: &str) -> Result<Secret, Declined> {
        self.record(format!("paste {prompt}"));
        next(&self.pastes).map(Secret::new)
    }
    fn open_browser(&self, url: &Url) -> bool {
        self.record(format!("browser {url}"));
        false
    }
    fn notice(&self, notice: &Notice<'_>) {
        self.record(format!("notice {notice:?}"));
    }
    fn progress(&self, progress: &Progress<'_>) {
        self.record(format!("progress {progress:?}"));
    }
}
