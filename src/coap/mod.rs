//! CoAP over UDP (RFC 7252) with block-wise transfers (RFC 7959) and the
//! options OCF adds (2049, 2053). Pure protocol code: no sockets, no clocks.

pub mod client;
pub mod message;
pub mod option;
pub mod recent;
pub mod server;

pub use client::{Client, ClientConfig, Event, Request, RequestId, Response, Transmit};
pub use message::{Code, DecodeError, Message, MessageType};
pub use option::{Block, OptionNumber, Options, content_format};
pub use server::{IncomingRequest, Reply, Server, ServerConfig};
