//! The command line of `ocf-devsim`, the simulated OCF device.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "ocf-devsim",
    version,
    about = "A simulated OCF device, to rehearse provisioning and to test against",
    propagate_version = true
)]
pub struct DevsimCli {
    #[command(subcommand)]
    pub command: DevsimCommand,
}

#[derive(Subcommand, Debug)]
pub enum DevsimCommand {
    /// Run one or more simulated, unowned OCF devices until SIGINT or SIGTERM.
    Device(DeviceArgs),
}

#[derive(Args, Debug)]
#[command(long_about = "Run simulated OCF devices until SIGINT or SIGTERM.\n\n\
    Each device answers /oic/res (rt and if filters, eps, Block2 above 1024 bytes), /oic/d, /oic/p, \
    /oic/sec/doxm, /oic/sec/pstat and /.well-known/core with the unsecured-access rules of a real device in RFOTM, \
    joins the OCF multicast groups on every interface and delays multicast answers like real devices.")]
pub struct DeviceArgs {
    /// Address and port of the (first) device; port 0 picks a free port.
    /// Default: every address, IPv6 and IPv4, on a free port.
    #[arg(long, value_name = "ADDR:PORT", env = "OCF_DEVSIM_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Number of devices to run, each with its own UUID and port.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub count: u16,
    /// Device name (/oic/d n); with --count, numbered.
    #[arg(long, default_value = "ocf-devsim")]
    pub name: String,
    /// Keep each device's state in this directory across restarts.
    #[arg(long, value_name = "DIR", env = "OCF_DEVSIM_STATE_DIR")]
    pub state_dir: Option<PathBuf>,
    /// Delay multicast answers by a random time up to this many milliseconds.
    #[arg(long, value_name = "MAX", default_value_t = 2000)]
    pub multicast_delay_ms: u64,
    /// Do not join the OCF multicast groups.
    #[arg(long)]
    pub no_multicast: bool,
    /// Print one JSON line per device on startup: di, name, endpoints.
    #[arg(long)]
    pub json: bool,
}
