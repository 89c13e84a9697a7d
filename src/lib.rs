//! ocf-mediator: a Mediator for OCF devices and the OCF Cloud.
//!
//! The protocol engines (`coap`, `dtls`) are sans-IO; `net` owns sockets and
//! clocks; `ocf` knows the resources; `sim` is the simulated device; `cli` is
//! the command line.

pub mod cert;
pub mod cli;
pub mod cloud;
pub mod coap;
pub mod dtls;
pub mod interact;
pub mod mediator;
pub mod net;
pub mod oauth;
pub mod ocf;
pub mod otm;
pub mod provision;
pub mod sim;
pub mod store;
