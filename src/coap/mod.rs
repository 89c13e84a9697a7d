//! CoAP over UDP (RFC 7252) and over TCP (RFC 8323, in [`tcp`]) with
//! block-wise transfers (RFC 7959) and the options OCF adds (2049, 2053).
//! Pure protocol code: no sockets, no clocks.

pub mod client;
pub mod message;
pub mod option;
pub mod recent;
pub mod rto;
pub mod server;
pub mod tcp;

pub use client::{Client, ClientConfig, Event, Request, RequestId, Response, Transmit};
pub use message::{Code, DecodeError, Message, MessageType};
pub use option::{Block, OptionNumber, Options, content_format};
pub use rto::Cocoa;
pub use server::{IncomingRequest, Reply, Server, ServerConfig};
