//! OCF on top of CoAP: the request conventions (content format 10000 and its
//! version options), the representations of the resources the Mediator
//! reads, device addressing and discovery.

pub mod address;
pub mod credentials;
pub mod discovery;
pub mod error;
pub mod link;
pub mod pki;
pub mod representation;
pub mod request;
pub mod resources;

pub use address::{DeviceRef, Endpoint, Scheme};
pub use discovery::{DeviceRecord, Discovery, DoxmProblem};
pub use error::DeviceError;
