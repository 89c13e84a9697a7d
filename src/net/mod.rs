//! The only place with sockets and clocks: tokio drivers for the sans-IO
//! engines.

pub mod coap_endpoint;
pub mod coap_tcp;
pub mod discover;
pub mod interfaces;
pub mod paths;
pub mod plain;
pub mod secure;
pub mod tls;
pub mod udp;

pub use coap_endpoint::CoapEndpoint;
pub use discover::{DiscoverOptions, DiscoveryOutcome, DiscoveryProblem, discover};
pub use udp::now;

/// The single-threaded tokio runtime both binaries run on: every socket of a
/// command is driven from one thread, which keeps start-up cheap.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// A runtime with a worker thread per core, for a command that drives many
/// devices at once (a provisioning batch): one thread spent most of its
/// time on the handshakes' elliptic-curve arithmetic and the store while
/// the other core idled (or ran the devices' side, when simulated here).
pub fn parallel_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}
