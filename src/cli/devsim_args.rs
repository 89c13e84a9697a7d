//! The command line of `ocf-devsim`, the simulated OCF device.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use super::help;

/// A simulated OCF device, to rehearse provisioning and to test against
///
/// ocf-devsim runs simulated OCF devices on this host: they answer
/// discovery like real devices, are owned over OCF's DTLS, and keep the
/// security rules of the reference implementation, so that ocf-mediator
/// (or any OCF onboarding tool) can be rehearsed and tested without
/// hardware.
#[derive(Parser, Debug)]
#[command(
    name = "ocf-devsim",
    version,
    after_long_help = help::DEVSIM_TOP_AFTER_HELP,
    propagate_version = true
)]
pub struct DevsimCli {
    #[command(subcommand)]
    pub command: DevsimCommand,
}

#[derive(Subcommand, Debug)]
pub enum DevsimCommand {
    /// Run one or more simulated, unowned OCF devices until SIGINT or SIGTERM
    ///
    /// Each device answers /oic/res (rt and if filters, eps, Block2 above
    /// 1024 bytes), /oic/d, /oic/p, /oic/sec/doxm, /oic/sec/pstat and
    /// /.well-known/core with the unsecured-access rules of a real device in
    /// RFOTM, joins the OCF multicast groups on every interface and delays
    /// multicast answers like real devices.
    ///
    /// Each device is a secure OCF device: a second UDP port serves CoAP over
    /// DTLS (listed as coaps:// in the startup line and in eps), with the
    /// security resources doxm, pstat, cred, acl2, sdi, sp and csr, the write
    /// rules, access rules and state transitions of the reference device, and
    /// ownership transfer by Just Works, Random PIN or manufacturer
    /// certificate (--otm). A Random PIN is shown on stderr as "PIN for <di>:
    /// <pin>" when the onboarding tool selects that method. A hard reset
    /// (pstat dos.s = 0) wipes the device after --reset-delay-ms: new UUID,
    /// unowned, RFOTM.
    #[command(after_long_help = help::DEVSIM_DEVICE_EXAMPLES)]
    Device(DeviceArgs),
}

#[derive(Args, Debug)]
pub struct DeviceArgs {
    /// Address and port of the (first) device; port 0 picks a free port.
    /// Default: every address, IPv6 and IPv4, on a free port.
    #[arg(long, value_name = "ADDR:PORT", env = "OCF_DEVSIM_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Number of devices to run, each with its own UUID and port.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub count: u16,
    /// Device name (/oic/d n); with --count, numbered.
    #[arg(long, value_name = "NAME", default_value = "ocf-devsim")]
    pub name: String,
    /// Keep each device's state in this directory across restarts.
    #[arg(long, value_name = "DIR", env = "OCF_DEVSIM_STATE_DIR", value_hint = clap::ValueHint::DirPath)]
    pub state_dir: Option<PathBuf>,
    /// Delay multicast answers by a random time up to this many milliseconds (at most 60000).
    #[arg(long, value_name = "MAX", default_value_t = 2000,
          value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub multicast_delay_ms: u64,
    /// Do not join the OCF multicast groups.
    #[arg(long)]
    pub no_multicast: bool,
    /// Print one JSON line per device on startup: di, name, endpoints.
    #[arg(long)]
    pub json: bool,
    /// Ownership transfer methods offered (doxm oxms), in this order.
    #[arg(
        long,
        value_name = "METHODS",
        value_delimiter = ',',
        default_value = "jw"
    )]
    pub otm: Vec<Otm>,
    /// The Random PIN (8 digits). Default: a new random PIN each time the
    /// method is selected, shown on stderr as a real device displays it.
    #[arg(long, value_name = "PIN", value_parser = parse_pin)]
    pub pin: Option<String>,
    /// Manufacturer certificate chain, PEM, leaf first (for --otm mfg).
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath, requires = "mfg_key")]
    pub mfg_cert: Option<PathBuf>,
    /// The manufacturer certificate's private key, PKCS#8 PEM (P-256).
    #[arg(long, value_name = "FILE", value_hint = clap::ValueHint::FilePath, requires = "mfg_cert")]
    pub mfg_key: Option<PathBuf>,
    /// How long after a hard reset request the device wipes itself, in
    /// milliseconds (at most 3600000, an hour).
    #[arg(long, value_name = "MS", default_value_t = 2000,
          value_parser = clap::value_parser!(u64).range(0..=3_600_000))]
    pub reset_delay_ms: u64,
    /// Close DTLS sessions that are silent this many milliseconds (1 to
    /// 86400000, a day). A device ownership session that ends before the
    /// device leaves RFOTM is undone.
    #[arg(long, value_name = "MS", default_value_t = 60_000,
          value_parser = clap::value_parser!(u64).range(1..=86_400_000))]
    pub session_idle_ms: u64,
    /// List no eps to peers on loopback, exactly as the reference device
    /// (for the tests that compare with its captures).
    #[arg(long, hide = true)]
    pub reference_loopback_eps: bool,
}

/// An ownership transfer method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Otm {
    /// Just Works (oxm 0): anonymous DTLS.
    Jw,
    /// Random PIN (oxm 1): a PSK from the PIN the device shows.
    Rdp,
    /// Manufacturer certificate (oxm 2): needs --mfg-cert and --mfg-key.
    Mfg,
}

impl Otm {
    /// The doxm `oxms` value.
    pub fn oxm(self) -> u64 {
        match self {
            Otm::Jw => 0,
            Otm::Rdp => 1,
            Otm::Mfg => 2,
        }
    }
}

fn parse_pin(text: &str) -> Result<String, String> {
    if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) {
        Ok(text.to_owned())
    } else {
        Err("a PIN is 8 digits".into())
    }
}
