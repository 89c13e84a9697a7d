//! CoAP over TCP (RFC 8323), the transport between an OCF device and its
//! cloud (FACTS §1.6): the framing, the signalling messages, and a sans-IO
//! connection that is both client and server. Options, codes and content
//! formats are those of [`crate::coap`], shared with UDP.

pub mod connection;
pub mod frame;
pub mod signal;

pub use connection::{Connection, ConnectionError, Error, Event, IncomingRequest, TcpConfig};
pub use frame::{Frame, FrameDecoder, FrameError};
pub use signal::{DEFAULT_MAX_MESSAGE_SIZE, Signal, SignalError};
