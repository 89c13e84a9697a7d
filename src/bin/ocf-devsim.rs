//! `ocf-devsim`: simulated OCF devices on this host.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use ocf_mediator::cli::devsim_args::{DevsimCli, DevsimCommand};
use ocf_mediator::net::device_host::{HostOptions, HostedDevice, run};
use ocf_mediator::ocf::address::COAP_PORT;

fn main() -> ExitCode {
    let cli = match DevsimCli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() { 2 } else { 0 });
        }
    };
    let DevsimCommand::Device(args) = cli.command;
    let options = HostOptions {
        listen: args.listen,
        count: usize::from(args.count),
        name: args.name,
        state_dir: args.state_dir,
        multicast_delay: Duration::from_millis(args.multicast_delay_ms),
        multicast: !args.no_multicast,
        multicast_port: COAP_PORT,
    };
    let json = args.json;
    let runtime = match ocf_mediator::net::runtime() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the I/O runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(
        options,
        |devices| announce(devices, json),
        shutdown_signal(),
    ));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn announce(devices: &[HostedDevice], json: bool) {
    let mut stdout = std::io::stdout().lock();
    for device in devices {
        if json {
            let line = serde_json::to_string(device).unwrap_or_default();
            let _ = writeln!(stdout, "{line}");
        } else {
            let _ = writeln!(
                stdout,
                "{}  {}  {}",
                device.di,
                device.name,
                device.endpoints.join(" ")
            );
        }
    }
    let _ = stdout.flush();
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
