//! `ocf-mediator disown`: parse, call `otm::disown` (which asks for a
//! confirmation unless `--yes`), render.

use std::sync::Arc;

use super::args::{DisownArgs, GlobalArgs};
use super::exit::Exit;
use super::interaction::Terminal;
use super::output::Output;
use super::resolve::parse_device;
use crate::otm::{self, DisownRequest, Disowned};

pub async fn run(args: &DisownArgs, global: &GlobalArgs, output: &Output) -> anyhow::Result<Exit> {
    let request = DisownRequest {
        device: parse_device(&args.device)?,
        forget_only: args.forget,
        confirmed: args.yes,
    };
    let mediator = super::mediator(global, Arc::new(Terminal::new(output)))?;
    if args.dry_run {
        let plan = otm::plan_disown(&mediator, &request).await?;
        super::dry_run::show(
            output,
            &plan,
            plan.di,
            None,
            "would disown {}:",
            &plan.steps,
        )?;
        return Ok(Exit::Success);
    }
    match otm::disown(&mediator, request).await? {
        Disowned::Reset { di, new_di } => {
            if output.json {
                // `di` is the device's UUID now, `previous_di` the one it
                // had, as `own` says them (docs/json.md).
                output.json_line(
                    &serde_json::json!({ "di": new_di, "previous_di": di, "disowned": true }),
                );
            } else if !output.quiet {
                println!("Disowned {di}: it is back in RFOTM as {new_di}");
            }
        }
        Disowned::Forgotten { di, was_complete } => {
            if was_complete {
                output.note(&format!(
                    "warning: {di} was fully owned: if it still exists, only a reset at the device makes it ownable again"
                ));
            }
            if output.json {
                output.json_line(&serde_json::json!({ "di": di, "forgotten": true }));
            } else if !output.quiet {
                println!("Forgot {di}: its record and owner key are gone");
            }
        }
    }
    Ok(Exit::Success)
}
