//! `ocf-devsim`: simulated OCF devices on this host.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, Parser};
use std::path::Path;

use ocf_mediator::cli::devsim_args::{CloudArgs, DeviceArgs, DevsimCli, DevsimCommand, Otm};
use ocf_mediator::cli::generate::COMPLETE_VAR;
use ocf_mediator::cli::input::{PEM_LIMIT, read_file};
use ocf_mediator::dtls::CertifiedKey;
use ocf_mediator::ocf::address::COAP_PORT;
use ocf_mediator::sim::cloud::authority::CodeClient;
use ocf_mediator::sim::cloud::{Cloud, CloudConfig};
use ocf_mediator::sim::host::{HostOptions, HostedDevice, run};
use ocf_mediator::sim::{Notice, SecurityConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

// `lab`, in a file of its own (not a binary: it has no main.rs).
#[path = "devsim/lab.rs"]
mod lab;

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
    match cli.command {
        DevsimCommand::Device(args) => run_devices(args),
        DevsimCommand::Cloud(args) => run_cloud(args),
        DevsimCommand::Lab(args) => lab::run(args),
    }
}

fn run_devices(args: DeviceArgs) -> ExitCode {
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
        misbehaviour: args.misbehave.map(|m| m.mode(args.misbehave_uuid)),
    };
    let json = args.json;
    let runtime = match ocf_mediator::net::runtime() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the I/O runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        // Listening for signals before the devices are announced: a
        // SIGTERM right after the announcement must stop us cleanly.
        let shutdown = shutdown_signal();
        run(options, |devices| announce(devices, json), show, shutdown).await
    });
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
    use ocf_mediator::cli::devsim_args::CsrFaultArg;
    use ocf_mediator::sim::csr::CsrFault;
    Ok(SecurityConfig {
        oxms,
        pin: args.pin.clone(),
        mfg,
        csr_fault: args.csr_fault.map(|fault| match fault {
            CsrFaultArg::Subject => CsrFault::Subject,
            CsrFaultArg::P384 => CsrFault::P384,
            CsrFaultArg::Signature => CsrFault::Signature,
        }),
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

/// What a device shows its user or logs: on stderr, as a device's display
/// or console would.
fn show(notice: Notice) {
    match notice {
        Notice::Pin { di, pin } => eprintln!("PIN for {di}: {pin}"),
        Notice::Cloud { di, message } => eprintln!("{di} {message}"),
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

/// Resolves on SIGINT or SIGTERM. The handlers are installed when this is
/// called (inside the runtime), not when the future is first polled.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            match (interrupt, terminate) {
                (Ok(mut interrupt), Ok(mut terminate)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {}
                        _ = terminate.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// `ocf-devsim cloud`: start, say where, then print events until a signal.
fn run_cloud(args: CloudArgs) -> ExitCode {
    let code_client = match &args.client_id {
        Some(client_id) => match client_secret(&args) {
            Ok(client_secret) => Some(CodeClient {
                client_id: client_id.clone(),
                client_secret,
                redirect_uri: args.code_redirect_uri.clone(),
            }),
            Err(message) => {
                eprintln!("error: {message}");
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    let config = CloudConfig {
        listen: args.listen,
        http_listen: args.http_listen,
        tls: !args.no_tls,
        sid: args.sid,
        state_dir: args.state_dir.clone(),
        require_client_cert: args.require_client_cert,
        optional_client_cert: args.optional_client_cert,
        send_csm: args.csm,
        authproviders: args.authproviders.clone(),
        expires_in: args.expires_in,
        redirect_to: args.redirect_to.clone(),
        issuer: args.issuer.clone(),
        audience: args.audience.clone(),
        owner_claim: args.owner_claim.clone(),
        code_client,
        device_client_id: args.device_client_id.clone(),
        m2m_client_id: args.m2m_client_id.clone(),
        web_client_id: args.web_client_id.clone(),
        misbehave_cn: args.misbehave_cn.clone(),
        misbehave_signup: args.misbehave_signup.map(|m| m.mode()),
        ..CloudConfig::default()
    };
    let runtime = match ocf_mediator::net::runtime() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the I/O runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let json = args.json;
    let result = runtime.block_on(async move {
        let shutdown = shutdown_signal();
        let mut cloud = Cloud::start(config).await?;
        {
            let mut stdout = std::io::stdout().lock();
            let info = &cloud.info;
            if json {
                let line = serde_json::to_string(info).unwrap_or_default();
                let _ = writeln!(stdout, "{line}");
            } else {
                let _ = writeln!(
                    stdout,
                    "cloud {}  {}  hub configuration {}  CA {}",
                    info.sid,
                    info.cis,
                    info.hub_configuration_url,
                    info.ca_file.display()
                );
            }
            let _ = stdout.flush();
        }
        tokio::pin!(shutdown);
        loop {
            let event = tokio::select! {
                () = &mut shutdown => break,
                event = cloud.next_event() => event,
            };
            let Some(event) = event else { break };
            let mut stdout = std::io::stdout().lock();
            if json {
                let line = serde_json::to_string(&event).unwrap_or_default();
                let _ = writeln!(stdout, "{line}");
            } else {
                let what = [
                    event.di.as_deref(),
                    event.request.as_deref(),
                    event.code.as_deref(),
                    event.reason.as_deref(),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("  ");
                let _ = writeln!(stdout, "{}  {:<8}  {what}", event.time, event.event);
            }
            let _ = stdout.flush();
        }
        Ok::<(), ocf_mediator::sim::cloud::CloudError>(())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The code-exchange client's secret: from the file or stdin, never argv.
fn client_secret(args: &CloudArgs) -> Result<String, String> {
    let text = if let Some(path) = &args.client_secret_file {
        std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read --client-secret-file {}: {e}", path.display()))?
    } else if args.client_secret_stdin {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|e| format!("cannot read the client secret from stdin: {e}"))?;
        text
    } else {
        return Err("--client-id needs --client-secret-file or --client-secret-stdin".into());
    };
    let secret = text.trim().to_owned();
    if secret.is_empty() {
        return Err("the client secret is empty".into());
    }
    Ok(secret)
}
