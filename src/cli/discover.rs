//! `ocf-mediator discover`.

use std::net::SocketAddr;

use super::args::{DiscoverArgs, GlobalArgs};
use super::exit::{Exit, failure};
use super::output::{Output, table};
use super::resolve::resolve_address;
use crate::net::{DiscoverOptions, discover};
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
    for (address, problem) in &outcome.problems {
        output.note(&format!("{address}: {problem}"));
    }
    if !outcome.problems.is_empty() && !options.multicast {
        return Ok(Exit::NotFound);
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
