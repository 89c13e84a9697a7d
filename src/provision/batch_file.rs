//! The batch file of `provision --batch`: one device per line, as JSON lines
//! or CSV, with optional per-device settings. Pure parsing; the files named
//! inside (PIN files) are the caller's to read.
//!
//! JSON lines: `{"device": "…", "otm": "rdp", "pin_file": "…", "profile": "…"}`.
//! CSV: a header naming the columns (`device,otm,pin_file,pin_env,profile`,
//! any order, `device` required), then one row per device; or no header and
//! one column of devices. Blank lines and lines starting with `#` are skipped.

use std::fmt;

/// One device of a batch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchRow {
    /// The line it came from (1-based), for messages.
    pub line: usize,
    /// A UUID, a name or an address.
    pub device: String,
    /// `auto`, `jw`, `rdp` or `mfg`.
    pub otm: Option<String>,
    /// A file holding the device's Random PIN.
    pub pin_file: Option<String>,
    /// An environment variable holding the device's Random PIN.
    pub pin_env: Option<String>,
    /// The cloud profile for this device.
    pub profile: Option<String>,
}

/// Why a batch file cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BatchError {
    /// A line is not what it should be.
    Line { line: usize, problem: String },
    /// The file names no device.
    Empty,
    /// More devices than a batch takes.
    TooMany { limit: usize },
}

impl fmt::Display for BatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BatchError::Line { line, problem } => write!(f, "line {line}: {problem}"),
            BatchError::Empty => f.write_str("it names no device"),
            BatchError::TooMany { limit } => write!(f, "it names more than {limit} devices"),
        }
    }
}

impl std::error::Error for BatchError {}

/// The most devices one batch takes.
pub const MAX_ROWS: usize = 100_000;

const COLUMNS: [&str; 5] = ["device", "otm", "pin_file", "pin_env", "profile"];

/// Parses a batch file's text.
pub fn parse_batch(text: &str) -> Result<Vec<BatchRow>, BatchError> {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let Some(&(_, first)) = lines.first() else {
        return Err(BatchError::Empty);
    };
    let rows = if first.starts_with('{') {
        lines
            .iter()
            .map(|&(line, text)| json_row(line, text))
            .collect::<Result<Vec<_>, _>>()?
    } else {
        csv_rows(&lines)?
    };
    if rows.is_empty() {
        return Err(BatchError::Empty);
    }
    if rows.len() > MAX_ROWS {
        return Err(BatchError::TooMany { limit: MAX_ROWS });
    }
    Ok(rows)
}

fn bad(line: usize, problem: impl Into<String>) -> BatchError {
    BatchError::Line {
        line,
        problem: problem.into(),
    }
}

fn json_row(line: usize, text: &str) -> Result<BatchRow, BatchError> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| bad(line, format!("not a JSON object: {e}")))?;
    let Some(object) = value.as_object() else {
        return Err(bad(line, "not a JSON object"));
    };
    let mut row = BatchRow {
        line,
        ..BatchRow::default()
    };
    for (key, value) in object {
        let Some(text) = value.as_str() else {
            return Err(bad(line, format!("{key:?} must be a string")));
        };
        set(&mut row, key, text)?;
    }
    finish(row)
}

fn csv_rows(lines: &[(usize, &str)]) -> Result<Vec<BatchRow>, BatchError> {
    let (header_line, header) = lines[0];
    let names: Vec<String> = split_csv(header_line, header)?
        .into_iter()
        .map(|n| n.trim().to_ascii_lowercase())
        .collect();
    let has_header = names.iter().any(|n| n == "device");
    let (columns, body): (Vec<String>, &[(usize, &str)]) = if has_header {
        for name in &names {
            if !COLUMNS.contains(&name.as_str()) {
                return Err(bad(
                    header_line,
                    format!("unknown column {name:?} (columns: {})", COLUMNS.join(", ")),
                ));
            }
        }
        (names, &lines[1..])
    } else {
        (vec!["device".to_owned()], lines)
    };
    body.iter()
        .map(|&(line, text)| {
            let cells = split_csv(line, text)?;
            if cells.len() > columns.len() {
                return Err(bad(
                    line,
                    format!("{} cells for {} columns", cells.len(), columns.len()),
                ));
            }
            let mut row = BatchRow {
                line,
                ..BatchRow::default()
            };
            for (name, cell) in columns.iter().zip(cells) {
                let cell = cell.trim();
                if !cell.is_empty() {
                    set(&mut row, name, cell)?;
                }
            }
            finish(row)
        })
        .collect()
}

/// Splits one CSV line: commas, and double quotes around cells that hold
/// them (`""` for a quote inside).
fn split_csv(line: usize, text: &str) -> Result<Vec<String>, BatchError> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', false) if cell.trim().is_empty() => {
                cell.clear();
                quoted = true;
            }
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            ('"', true) => quoted = false,
            (',', false) => cells.push(std::mem::take(&mut cell)),
            (c, _) => cell.push(c),
        }
    }
    if quoted {
        return Err(bad(line, "a quote is not closed"));
    }
    cells.push(cell);
    Ok(cells)
}

fn set(row: &mut BatchRow, key: &str, value: &str) -> Result<(), BatchError> {
    if value.chars().any(char::is_control) {
        return Err(bad(row.line, format!("{key} holds a control character")));
    }
    let value = value.to_owned();
    match key {
        "device" => row.device = value,
        "otm" => row.otm = Some(value),
        "pin_file" => row.pin_file = Some(value),
        "pin_env" => row.pin_env = Some(value),
        "profile" => row.profile = Some(value),
        other => {
            return Err(bad(
                row.line,
                format!("unknown field {other:?} (fields: {})", COLUMNS.join(", ")),
            ));
        }
    }
    Ok(())
}

fn finish(row: BatchRow) -> Result<BatchRow, BatchError> {
    if row.device.is_empty() {
        return Err(bad(row.line, "no device"));
    }
    if row.pin_file.is_some() && row.pin_env.is_some() {
        return Err(bad(row.line, "give pin_file or pin_env, not both"));
    }
    if let Some(otm) = &row.otm {
        if !["auto", "jw", "rdp", "mfg"].contains(&otm.as_str()) {
            return Err(bad(
                row.line,
                format!("otm {otm:?} is not one of auto, jw, rdp, mfg"),
            ));
        }
    }
    Ok(row)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_lines_with_settings() {
        let rows = parse_batch(
            "# line 3\n{\"device\": \"Porch\"}\n\n{\"device\": \"127.0.0.1:5683\", \"otm\": \"rdp\", \"pin_env\": \"PIN\"}\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[1].line, rows[1].otm.as_deref()), (4, Some("rdp")));
        assert_eq!(rows[1].pin_env.as_deref(), Some("PIN"));
    }

    #[test]
    fn csv_with_a_header_and_quotes() {
        let rows = parse_batch("device,otm,profile\n\"Lamp, hall\",jw,line3\nGate,,\n").unwrap();
        assert_eq!(rows[0].device, "Lamp, hall");
        assert_eq!(rows[0].profile.as_deref(), Some("line3"));
        assert_eq!(
            (rows[1].device.as_str(), rows[1].otm.as_deref()),
            ("Gate", None)
        );
    }

    #[test]
    fn one_column_without_a_header() {
        let rows = parse_batch("a\nb\n").unwrap();
        assert_eq!(
            rows.iter().map(|r| r.device.as_str()).collect::<Vec<_>>(),
            ["a", "b"]
        );
    }

    #[test]
    fn bad_lines_are_named() {
        let err = parse_batch("{\"device\": \"a\"}\n{\"otm\": \"jw\"}\n").unwrap_err();
        assert_eq!(err.to_string(), "line 2: no device");
        let err = parse_batch("device,color\na,red\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("line 1: unknown column \"color\"")
        );
        assert_eq!(parse_batch("# nothing\n\n").unwrap_err(), BatchError::Empty);
        assert!(parse_batch("{\"device\": \"a\", \"otm\": \"xyz\"}").is_err());
        assert!(parse_batch("device\n\"unclosed\n").is_err());
        assert!(parse_batch("{\"device\": 5}").is_err());
    }
}
