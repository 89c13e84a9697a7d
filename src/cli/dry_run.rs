//! How `--dry-run` shows a plan: a numbered list of steps, or one JSON line.

use super::output::{Output, printable};
use crate::otm::PlannedStep;

/// Prints `plan`: with `--json` as one line, else `heading` (with `{}`
/// standing for the device) and its steps.
pub fn show(
    output: &Output,
    plan: &impl serde::Serialize,
    di: uuid::Uuid,
    name: Option<&str>,
    heading: &str,
    steps: &[PlannedStep],
) -> anyhow::Result<()> {
    if output.json {
        let mut value = serde_json::to_value(plan)?;
        value["dry_run"] = true.into();
        output.json_line(&value);
        return Ok(());
    }
    let device = match name {
        Some(name) if !name.is_empty() => format!("{} ({di})", printable(name)),
        _ => di.to_string(),
    };
    println!("Dry run: {}", heading.replace("{}", &device));
    for (n, step) in steps.iter().enumerate() {
        let mut line = format!("{:>3}. {}", n + 1, step.what);
        if let Some(request) = &step.request {
            line.push_str(&format!(": {request}"));
            if let Some(body) = &step.body {
                line.push_str(&format!(" {body}"));
            }
            line.push_str(&format!(" ({})", step.over));
        }
        println!("{line}");
    }
    Ok(())
}
