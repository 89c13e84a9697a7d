//! The command line's side of [`Interaction`]: hidden prompts, pickers and
//! confirmations on a terminal, answers from stdin and flags in scripts,
//! spinners on stderr, and prompts as JSON events with `--json`.

use std::collections::HashMap;
use std::io::{BufRead, Read};
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use url::Url;

use super::output::Output;
use crate::interact::{Declined, Interaction, Notice, PinRequest, Progress, Secret};

/// Where a Random PIN comes from.
#[derive(Debug)]
pub enum PinSource {
    /// A hidden prompt on the terminal (when there is one).
    Prompt,
    /// Given before the operation started (`--pin-stdin`, read and checked
    /// before anything was sent): one try only.
    Given(Mutex<Option<Secret>>),
}

/// The terminal (or script) running `ocf-mediator`.
pub struct Terminal {
    output: Output,
    pin: PinSource,
    stdin_taken: Mutex<bool>,
    bars: Mutex<HashMap<String, ProgressBar>>,
    multi: MultiProgress,
}

impl Terminal {
    pub fn new(output: &Output) -> Terminal {
        Terminal::with_pin_source(output, PinSource::Prompt)
    }

    pub fn with_pin_source(output: &Output, pin: PinSource) -> Terminal {
        let multi = MultiProgress::with_draw_target(if output.progress {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        });
        Terminal {
            output: output.clone(),
            pin,
            stdin_taken: Mutex::new(false),
            bars: Mutex::new(HashMap::new()),
            multi,
        }
    }

    fn not_interactive(hint: &str) -> Declined {
        Declined::NotInteractive {
            hint: hint.to_owned(),
        }
    }

    /// Takes stdin for one answer; a second answer from stdin is refused.
    fn take_stdin(&self) -> Result<(), Declined> {
        let mut taken = self.stdin_taken.lock().unwrap_or_else(|e| e.into_inner());
        if *taken {
            return Err(Declined::Exhausted);
        }
        *taken = true;
        Ok(())
    }

    /// Prints above the progress lines, so that they are not torn.
    fn say(&self, text: &str) {
        if self.output.progress {
            let _ = self.multi.println(text);
        } else {
            eprintln!("{text}");
        }
    }
}

/// The longest line read from stdin for one answer.
const MAX_LINE: u64 = 4096;

impl Interaction for Terminal {
    fn can_provide_pin(&self) -> Result<(), Declined> {
        match &self.pin {
            PinSource::Given(pin) => match pin.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
                Some(_) => Ok(()),
                None => Err(Declined::Exhausted),
            },
            PinSource::Prompt if self.output.interactive => Ok(()),
            PinSource::Prompt => Err(Self::not_interactive(
                "pass --pin-stdin and write the PIN the device shows to stdin, or run on a terminal",
            )),
        }
    }

    fn pin(&self, request: &PinRequest) -> Result<Secret, Declined> {
        match &self.pin {
            PinSource::Given(pin) => pin
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take()
                .ok_or(Declined::Exhausted),
            PinSource::Prompt => {
                self.can_provide_pin()?;
                let prompt = if request.attempt > 1 {
                    format!(
                        "New PIN shown by {} (try {} of {})",
                        request.device, request.attempt, request.attempts
                    )
                } else {
                    format!("PIN shown by {}", request.device)
                };
                let _guard = self.suspend_bars();
                dialoguer::Password::new()
                    .with_prompt(prompt)
                    .allow_empty_password(true)
                    .interact()
                    .map(Secret::new)
                    .map_err(|_| Declined::Cancelled)
            }
        }
    }

    fn choose(&self, question: &str, options: &[String]) -> Result<usize, Declined> {
        if !self.output.interactive {
            return Err(Self::not_interactive("name exactly one"));
        }
        let _guard = self.suspend_bars();
        dialoguer::Select::new()
            .with_prompt(question)
            .items(options)
            .default(0)
            .interact_opt()
            .map_err(|_| Declined::Cancelled)?
            .ok_or(Declined::Cancelled)
    }

    fn choose_many(&self, question: &str, options: &[String]) -> Result<Vec<usize>, Declined> {
        if !self.output.interactive {
            return Err(Self::not_interactive("name them on the command line"));
        }
        let _guard = self.suspend_bars();
        dialoguer::MultiSelect::new()
            .with_prompt(question)
            .items(options)
            .interact_opt()
            .map_err(|_| Declined::Cancelled)?
            .ok_or(Declined::Cancelled)
    }

    fn confirm(&self, question: &str) -> Result<bool, Declined> {
        if !self.output.interactive {
            return Err(Self::not_interactive(
                "pass --yes to go ahead without asking",
            ));
        }
        let _guard = self.suspend_bars();
        dialoguer::Confirm::new()
            .with_prompt(question)
            .default(false)
            .interact_opt()
            .map_err(|_| Declined::Cancelled)?
            .ok_or(Declined::Cancelled)
    }

    fn can_paste(&self) -> Result<(), Declined> {
        if !self.output.interactive {
            return Err(Self::not_interactive(
                "run on a terminal, where the address the browser ends at can be pasted",
            ));
        }
        Ok(())
    }

    fn paste(&self, prompt: &str) -> Result<Secret, Declined> {
        self.can_paste()?;
        self.take_stdin()?;
        let _guard = self.suspend_bars();
        eprintln!("{prompt}");
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .take(MAX_LINE)
            .read_line(&mut line)
            .map_err(|_| Declined::Cancelled)?;
        Ok(Secret::new(line))
    }

    fn open_browser(&self, url: &Url) -> bool {
        open_browser(url)
    }

    fn notice(&self, notice: &Notice<'_>) {
        match notice {
            Notice::Note(text) => {
                if !self.output.quiet {
                    self.say(text);
                }
            }
            Notice::Warning(text) => {
                if !self.output.quiet {
                    self.say(&format!("warning: {text}"));
                }
            }
            // Prompts for the person logging in: shown even with --quiet.
            Notice::DeviceCode {
                verification_uri,
                verification_uri_complete,
                user_code,
                expires_in,
                interval,
            } => {
                if self.output.json {
                    self.output.json_line(&serde_json::json!({
                        "event": "device_code",
                        "verification_uri": verification_uri,
                        "verification_uri_complete": verification_uri_complete,
                        "user_code": user_code,
                        "expires_in": expires_in.as_secs(),
                        "interval": interval.as_secs(),
                    }));
                } else {
                    self.say(&format!(
                        "To log in, open {verification_uri} and enter the code {user_code}"
                    ));
                    if let Some(complete) = verification_uri_complete {
                        self.say(&format!("(or open {complete})"));
                    }
                    self.say(&format!(
                        "Waiting for the login (the code expires in {})…",
                        humantime::format_duration(*expires_in)
                    ));
                }
            }
            Notice::AuthorizationUrl {
                url,
                redirect_uri,
                browser_opened,
            } => {
                if self.output.json {
                    self.output.json_line(&serde_json::json!({
                        "event": "authorization_url",
                        "url": url.as_str(),
                        "redirect_uri": redirect_uri.as_str(),
                        "browser_opened": browser_opened,
                    }));
                } else if *browser_opened {
                    self.say(&format!(
                        "A browser was opened to log in. If it did not show up, open:\n{url}"
                    ));
                } else {
                    self.say(&format!("Open this address in a browser to log in:\n{url}"));
                }
            }
        }
    }

    fn progress(&self, progress: &Progress<'_>) {
        match progress {
            Progress::Step { subject, what } | Progress::Waiting { subject, what } => {
                self.output.debug(&format!("{subject}: {what}"));
                if !self.output.progress {
                    return;
                }
                let mut bars = self.bars.lock().unwrap_or_else(|e| e.into_inner());
                let bar = bars.entry((*subject).to_owned()).or_insert_with(|| {
                    let bar = self.multi.add(ProgressBar::new_spinner());
                    bar.set_style(
                        ProgressStyle::with_template("{spinner} {prefix} {msg} ({elapsed})")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    );
                    bar.set_prefix(super::output::printable(subject).into_owned());
                    // The message first: the tick draws the line at once.
                    bar.set_message((*what).to_owned());
                    bar.enable_steady_tick(Duration::from_millis(100));
                    bar
                });
                bar.set_message((*what).to_owned());
            }
            Progress::Done { subject } => {
                let mut bars = self.bars.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(bar) = bars.remove(*subject) {
                    bar.finish_and_clear();
                }
            }
        }
    }
}

/// Hides the progress lines while a prompt is on screen.
struct Suspended<'a>(&'a MultiProgress);

impl Drop for Suspended<'_> {
    fn drop(&mut self) {
        self.0.set_draw_target(ProgressDrawTarget::stderr());
    }
}

impl Terminal {
    fn suspend_bars(&self) -> Option<Suspended<'_>> {
        if !self.output.progress {
            return None;
        }
        let _ = self.multi.clear();
        self.multi.set_draw_target(ProgressDrawTarget::hidden());
        Some(Suspended(&self.multi))
    }
}

/// Opens `url` in a browser when this session has one (a display, or
/// `$BROWSER`). Returns whether one was started. The URL holds no secret,
/// and the browser does not inherit the client secret's variable.
pub fn open_browser(url: &Url) -> bool {
    if !has_browser() {
        return false;
    }
    let program = std::env::var("BROWSER").unwrap_or_else(|_| "xdg-open".to_owned());
    std::process::Command::new(program)
        .arg(url.as_str())
        .env_remove("OCF_MEDIATOR_CLIENT_SECRET")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .is_ok()
}

/// Whether a browser can be opened here.
pub fn has_browser() -> bool {
    let set = |k: &str| std::env::var_os(k).is_some_and(|v| !v.is_empty());
    set("BROWSER") || ((set("DISPLAY") || set("WAYLAND_DISPLAY")) && on_path("xdg-open"))
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}
