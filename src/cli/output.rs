//! How results reach people and scripts: text or JSON lines on stdout,
//! notes and progress on stderr.
//!
//! Text that a device or server chose (a device name, an href, an error
//! payload) goes through [`printable`] before it reaches a terminal: an
//! escape sequence in a device name must not erase or fake table rows.
//! JSON output keeps it exact (JSON escapes control characters itself),
//! and the state file keeps the raw value.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::time::Duration;

use super::args::GlobalArgs;
use super::exit::Exit;
use crate::ocf::DeviceError;

/// Where and how to print.
#[derive(Clone, Debug)]
pub struct Output {
    pub json: bool,
    pub quiet: bool,
    pub verbose: u8,
    /// Prompts are allowed (stdin is a terminal and --no-input is off).
    pub interactive: bool,
    /// Progress can be drawn (stderr is a terminal, not quiet, not JSON).
    pub progress: bool,
}

impl Output {
    pub fn new(global: &GlobalArgs) -> Self {
        let stderr_tty = std::io::stderr().is_terminal();
        Output {
            json: global.json,
            quiet: global.quiet,
            verbose: global.verbose,
            interactive: !global.no_input && std::io::stdin().is_terminal() && stderr_tty,
            progress: stderr_tty && !global.quiet && !global.json,
        }
    }

    /// A note for people (stderr), unless quiet. Control characters other
    /// than line breaks are escaped, whatever the message quotes.
    pub fn note(&self, message: &str) {
        if !self.quiet {
            eprintln!("{}", printable_lines(message));
        }
    }

    /// Detail shown with -v.
    pub fn debug(&self, message: &str) {
        if self.verbose > 0 && !self.quiet {
            eprintln!("debug: {}", printable_lines(message));
        }
    }

    /// An error: `error: MESSAGE` on stderr, the device's authentication
    /// detail with -v, and with `--json` the error line of docs/json.md
    /// (`{"error", "exit", "step"?, "code"?}`) on stdout. Every command's
    /// errors go through here, so they have one shape.
    pub fn error(&self, message: &str, exit: Exit, device: Option<&DeviceError>) {
        // Messages may quote what a device or server said.
        eprintln!("error: {}", printable_lines(message));
        if self.verbose > 0 {
            if let Some(detail) = device.and_then(crate::ocf::error::authentication_detail) {
                eprintln!("detail: {}", printable_lines(detail));
            }
        }
        if self.json {
            self.json_line(&error_line(message, exit, device));
        }
    }

    /// One JSON line on stdout.
    pub fn json_line(&self, value: &serde_json::Value) {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{value}");
    }

    /// A spinner on stderr while something runs, when a person watches.
    pub fn spinner(&self, message: &str) -> Option<indicatif::ProgressBar> {
        if !self.progress {
            return None;
        }
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_message(message.to_owned());
        bar.enable_steady_tick(Duration::from_millis(100));
        Some(bar)
    }
}

/// The error line: the message, the exit code it maps to, and when a
/// device failed, the step (the request) and the CoAP code it answered.
pub fn error_line(message: &str, exit: Exit, device: Option<&DeviceError>) -> serde_json::Value {
    let mut value = serde_json::json!({
        "error": message,
        "exit": exit as u8,
    });
    if let Some(device) = device {
        if let Some(step) = device.step() {
            value["step"] = step.into();
        }
        if let Some(code) = device.code() {
            value["code"] = code.to_string().into();
        }
    }
    value
}

/// `text` as it may be shown on a terminal, on one line: control
/// characters, bidirectional overrides and backslashes escaped the way `ls
/// -b` and git do (`\e`, `\r`, `\n`, `\t`, `\\`, else `\u{..}`), everything
/// else as it is. Use it for every string a device or server supplied.
pub fn printable(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// Like [`printable`], but keeps line breaks and tabs: for multi-line text
/// (a text representation, a message) where only what can move the cursor
/// or change colours must go. Backslashes stay as they are.
pub fn printable_lines(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

fn escape(text: &str, keep_lines: bool) -> Cow<'_, str> {
    let needs = |c: char| match c {
        '\\' => !keep_lines,
        '\n' | '\t' => !keep_lines,
        c => is_unsafe(c),
    };
    if !text.chars().any(needs) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !needs(c) {
            out.push(c);
            continue;
        }
        match c {
            '\\' => out.push_str("\\\\"),
            '\x1b' => out.push_str("\\e"),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
        }
    }
    Cow::Owned(out)
}

/// Characters that move the cursor, change how text looks, or reorder it.
fn is_unsafe(c: char) -> bool {
    c.is_control() // C0, DEL and C1 (which includes the 8-bit CSI, U+009B)
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Lays out rows as aligned columns. Every cell is shown [`printable`].
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let rows: Vec<Vec<Cow<'_, str>>> = rows
        .iter()
        .map(|row| row.iter().map(|cell| printable(cell)).collect())
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<&str>| {
        let last = cells.len().saturating_sub(1);
        for (i, cell) in cells.iter().enumerate() {
            out.push_str(cell);
            if i < last {
                let pad = widths[i] - cell.chars().count() + 2;
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push('\n');
    };
    line(header.to_vec());
    for row in &rows {
        line(row.iter().map(|cell| cell.as_ref()).collect());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_the_rest_kept() {
        assert_eq!(printable("Porch lamp"), "Porch lamp");
        assert_eq!(printable("K\u{e9}k"), "K\u{e9}k");
        assert_eq!(printable("a\x1b[2K\rb"), "a\\e[2K\\rb");
        assert_eq!(printable("a\nb\tc\\d"), "a\\nb\\tc\\\\d");
        assert_eq!(
            printable("\u{7}\u{7f}\u{9b}\u{202e}"),
            "\\u{7}\\u{7f}\\u{9b}\\u{202e}"
        );
        assert_eq!(printable_lines("one\ntwo\tx\\y\x1b"), "one\ntwo\tx\\y\\e");
    }

    #[test]
    fn table_cells_cannot_break_the_layout() {
        let rows = vec![vec!["\x1b[2K\rfake".to_owned(), "x".to_owned()]];
        let shown = table(&["NAME", "X"], &rows);
        assert!(
            !shown.contains('\x1b') && !shown.contains('\r'),
            "{shown:?}"
        );
        assert_eq!(shown.lines().nth(1), Some("\\e[2K\\rfake  x"));
    }
}
