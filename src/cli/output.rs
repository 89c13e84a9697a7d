//! How results reach people and scripts: text or JSON lines on stdout,
//! notes and progress on stderr.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use super::args::GlobalArgs;

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

    /// A note for people (stderr), unless quiet.
    pub fn note(&self, message: &str) {
        if !self.quiet {
            eprintln!("{message}");
        }
    }

    /// Detail shown with -v.
    pub fn debug(&self, message: &str) {
        if self.verbose > 0 && !self.quiet {
            eprintln!("debug: {message}");
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

/// As [`escape`], keeping the line breaks of multi-line text (pretty JSON).
pub fn escape_lines(text: &str) -> String {
    text.split('\n').map(escape).collect::<Vec<_>>().join("\n")
}

/// Lays out rows as aligned columns.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
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
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
    out
}

/// Text from a device or a server, made safe to show on a terminal:
/// control characters (and the bidirectional overrides that reorder what
/// is shown) are escaped, so that they cannot move the cursor, erase lines
/// or fake output. Everything else, accents included, is shown as it is.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let bidi = matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        if c.is_control() || bidi {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}
