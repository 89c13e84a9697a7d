//! `ocf-mediator discover`.

use std::net::SocketAddr;

use super::args::{DiscoverArgs, GlobalArgs};
use super::exit::{Exit, device_exit, failure};
use super::output::{Output, table};
use super::resolve::resolve_address;
use crate::mediator::problem_error;
use crate::net::{DiscoverOptions, DiscoveryProblem, discover};
use crate::ocf::discovery::DeviceRecord;

pub async fn run(
    args: &DiscoverArgs,
    global: &GlobalArgs,
    output: &Output,
) -> anyhow::Result<Exit> {
    let mut addresses: Vec<SocketAddr> = Vec::new();
    for text in &args.addresses {
        addresses.push(resolve_address(text).await?);
    }
    let options = DiscoverOptions {
        multicast: addresses.is_empty(),
        addresses,
        wait: args.wait,
        rounds: args.rounds,
        timeout: global.timeout,
        ..DiscoverOptions::default()
    };
    let spinner = if options.multicast {
        output.spinner("Listening for OCF devices…")
    } else {
        output.spinner("Asking devices…")
    };
    let outcome = discover(&options).await?;
    if let Some(bar) = spinner {
        bar.finish_and_clear();
    }
    if options.multicast && outcome.multicast_interfaces == 0 {
        return Err(failure(
            Exit::Failed,
            "no network interface can send multicast; ask devices directly with --address HOST[:PORT]",
        ));
    }
    let devices: Vec<&DeviceRecord> = outcome
        .devices
        .iter()
        .filter(|d| !args.owned || d.owned == Some(true))
        .filter(|d| !args.unowned || d.owned == Some(false))
        .collect();
    if output.json {
        for device in &devices {
            output.json_line(&serde_json::to_value(device)?);
        }
    } else if !devices.is_empty() {
        print!("{}", render_table(&devices));
    }
    if options.multicast {
        // A device that answered the multicast listing but whose answer
        // could not be completed: worth a note, not a failure.
        for (address, problem) in &outcome.problems {
            output.note(&format!("{address}: {problem}"));
        }
    } else if let Some(exit) = report_problems(&outcome.problems, output) {
        return Ok(exit);
    }
    if devices.is_empty() {
        if options.multicast {
            output.note(&format!(
                "no devices answered within {}; try a longer --wait or more --rounds",
                humantime::format_duration(args.wait * args.rounds)
            ));
        }
        return Ok(Exit::NotFound);
    }
    Ok(Exit::Success)
}

/// Each addressed device that failed, as an error of its own: the same
/// error, exit code and JSON error line as any command sending a request
/// to that address (a closed port is 3, silence 4). Returns the first
/// one's exit code.
fn report_problems(problems: &[(SocketAddr, DiscoveryProblem)], output: &Output) -> Option<Exit> {
    let mut first = None;
    for (address, problem) in problems {
        let error = problem_error(*address, problem);
        let exit = device_exit(&error);
        output.error(&error.to_string(), exit, Some(&error));
        first.get_or_insert(exit);
    }
    first
}

fn render_table(devices: &[&DeviceRecord]) -> String {
    let rows: Vec<Vec<String>> = devices
        .iter()
        .map(|d| {
            vec![
                d.di.to_string(),
                d.name.clone().unwrap_or_else(|| "-".into()),
                match d.owned {
                    Some(true) => "yes".into(),
                    Some(false) => "no".into(),
                    None => "?".into(),
                },
                if d.otms.is_empty() {
                    "-".into()
                } else {
                    d.otms.join(",")
                },
                d.endpoints.join(" "),
                d.cloud_conf.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    table(
        &["DI", "NAME", "OWNED", "OTMS", "ENDPOINTS", "CLOUD CONF"],
        &rows,
    )
}
