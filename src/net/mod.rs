//! The only place with sockets and clocks: tokio drivers for the sans-IO
//! engines.

pub mod coap_endpoint;
pub mod device_host;
pub mod discover;
pub mod interfaces;
pub mod secure;

pub use coap_endpoint::CoapEndpoint;
pub use discover::{DiscoverOptions, DiscoveryOutcome, discover};
