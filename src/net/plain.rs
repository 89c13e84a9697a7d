//! Plain CoAP to one peer over a connected UDP socket: the socket, the
//! clock and the sans-IO CoAP [`Client`]. Connected, so that a host that
//! says nothing listens on the port (ICMP port unreachable) ends the wait at
//! once instead of after every retransmission.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Instant;

use super::coap_endpoint::random_seed;
use super::paths;
use super::udp::{Socket, now};
use crate::coap::{Client, ClientConfig, Event, Request, Response};

/// Why a plain request failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum PlainError {
    /// The socket could not be opened or used.
    Io(io::Error),
    /// Nothing listens at the peer's port (ICMP port unreachable).
    Unreachable,
    /// The CoAP exchange failed (retransmissions exhausted, reset, bad
    /// block-wise answer).
    Coap(crate::coap::client::Error),
    /// The deadline passed.
    TimedOut,
}

impl std::fmt::Display for PlainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlainError::Io(e) => write!(f, "{e}"),
            PlainError::Unreachable => f.write_str("nothing listens on that port"),
            PlainError::Coap(e) => write!(f, "{e}"),
            PlainError::TimedOut => f.write_str("did not answer in time"),
        }
    }
}

impl std::error::Error for PlainError {}

/// A CoAP client talking to one peer.
pub struct PlainSession {
    socket: Socket,
    coap: Client,
    peer: SocketAddr,
    buffer: Vec<u8>,
}

impl PlainSession {
    pub async fn open(peer: SocketAddr) -> Result<PlainSession, PlainError> {
        let local: SocketAddr = if peer.is_ipv6() {
            (Ipv6Addr::UNSPECIFIED, 0).into()
        } else {
            (Ipv4Addr::UNSPECIFIED, 0).into()
        };
        let socket = Socket::bind(local).await.map_err(PlainError::Io)?;
        socket.connect(peer).await.map_err(PlainError::Io)?;
        let mut coap = Client::new(ClientConfig::default(), random_seed());
        if let Some(path) = paths::cocoa(peer) {
            coap.learn_path(peer, path);
        }
        Ok(PlainSession {
            socket,
            coap,
            peer,
            buffer: Vec::with_capacity(65_535),
        })
    }

    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// Sends a request and waits for its whole response.
    pub async fn request(
        &mut self,
        request: Request,
        deadline: Instant,
    ) -> Result<Response, PlainError> {
        let id = self.coap.request(now(), self.peer, request);
        let result = self.exchange(id, deadline).await;
        if let Some(path) = self.coap.path(self.peer) {
            paths::remember(self.peer, path, now());
        }
        result
    }

    async fn exchange(
        &mut self,
        id: crate::coap::RequestId,
        deadline: Instant,
    ) -> Result<Response, PlainError> {
        loop {
            while let Some(transmit) = self.coap.poll_transmit() {
                // A lost datagram is recovered by retransmission.
                let _ = self.socket.send(&transmit.datagram).await;
            }
            while let Some(event) = self.coap.poll_event() {
                match event {
                    Event::Response {
                        id: got, response, ..
                    } if got == id => {
                        // The ACK of a separate response goes out first.
                        while let Some(transmit) = self.coap.poll_transmit() {
                            let _ = self.socket.send(&transmit.datagram).await;
                        }
                        return Ok(response);
                    }
                    Event::Failed { id: got, error, .. } if got == id => {
                        return Err(PlainError::Coap(error));
                    }
                    _ => {}
                }
            }
            if now() >= deadline {
                return Err(PlainError::TimedOut);
            }
            let wake = self
                .coap
                .poll_timeout()
                .map_or(deadline, |t| t.min(deadline));
            tokio::select! {
                received = recv(&self.socket, &mut self.buffer) => match received {
                    // Noise that is not CoAP is dropped by the client.
                    Ok(_) => {
                        let _ = self.coap.handle_datagram(now(), self.peer, &self.buffer);
                    }
                    Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                        return Err(PlainError::Unreachable);
                    }
                    Err(_) => {}
                },
                () = tokio::time::sleep_until(wake.into()) => self.coap.handle_timeout(now()),
            }
        }
    }
}

async fn recv(socket: &Socket, buffer: &mut Vec<u8>) -> io::Result<usize> {
    buffer.clear();
    socket.recv_buf(buffer).await
}
