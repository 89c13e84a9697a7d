//! `ocf-devsim`: simulated OCF devices on this host.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, Parser};
use std::path::Path;

use ocf_mediator::cli::devsim_args::{DeviceArgs, DevsimCli, DevsimCommand, Otm};
use ocf_mediator::cli::generate::COMPLETE_VAR;
use ocf_mediator::cli::input::{PEM_LIMIT, read_file};
use ocf_mediator::dtls::CertifiedKey;
use ocf_mediator::ocf::address::COAP_PORT;
use ocf_mediator::sim::SecurityConfig;
use ocf_mediator::sim::host::{HostOptions, HostedDevice, run};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

fn main() -> ExitCode {
    // First: a shell asking for completions (COMPLETE=<shell>) gets them.
    clap_complete::CompleteEnv::with_factory(DevsimCli::command)
        .var(COMPLETE_VAR)
        .complete();
    let cli = match DevsimCli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() { 2 } else { 0 });
        }
    };
    let DevsimCommand::Device(args) = cli.command;
    let security = match security_config(&args) {
        Ok(security) => security,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let options = HostOptions {
        listen: args.listen,
        count: usize::from(args.count),
        name: args.name,
        state_dir: args.state_dir,
        multicast_delay: Duration::from_millis(args.multicast_delay_ms),
        multicast: !args.no_multicast,
        multicast_port: COAP_PORT,
        security,
        reset_delay: Duration::from_millis(args.reset_delay_ms),
        session_idle: Duration::from_millis(args.session_idle_ms),
        loopback_eps: !args.reference_loopback_eps,
    };
    let json = args.json;
    // A real device has its tables ready before anyone connects; so does this
    // one, and the first peer's handshake does not pay for them.
    ocf_mediator::dtls::precompute_tables();
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

/// The methods, PIN and manufacturer certificate from the flags.
fn security_config(args: &DeviceArgs) -> Result<SecurityConfig, String> {
    let mut oxms = Vec::new();
    for otm in &args.otm {
        if !oxms.contains(&otm.oxm()) {
            oxms.push(otm.oxm());
        }
    }
    let mfg = match (&args.mfg_cert, &args.mfg_key) {
        (Some(cert), Some(key)) => Some(manufacturer_certificate(cert, key)?),
        _ => None,
    };
    if args.otm.contains(&Otm::Mfg) && mfg.is_none() {
        return Err("--otm mfg needs --mfg-cert and --mfg-key".into());
    }
    Ok(SecurityConfig {
        oxms,
        pin: args.pin.clone(),
        mfg,
    })
}

fn manufacturer_certificate(cert: &Path, key: &Path) -> Result<CertifiedKey, String> {
    let read = |path: &Path| {
        read_file(path, PEM_LIMIT, &path.display().to_string()).map_err(|e| e.to_string())
    };
    let chain: Vec<Vec<u8>> = CertificateDer::pem_slice_iter(&read(cert)?)
        .map(|c| c.map(|c| c.as_ref().to_vec()))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("{}: no PEM certificate in it", cert.display()));
    }
    let key_der = match PrivateKeyDer::from_pem_slice(&read(key)?) {
        Ok(PrivateKeyDer::Pkcs8(der)) => der.secret_pkcs8_der().to_vec(),
        Ok(_) => return Err(format!("{}: not a PKCS#8 key", key.display())),
        Err(e) => return Err(format!("{}: {e}", key.display())),
    };
    CertifiedKey::new(chain, &key_der).map_err(|e| format!("{}: {e}", key.display()))
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
