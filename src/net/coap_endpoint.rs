//! A tokio driver for the sans-IO CoAP client: sockets, the clock, and
//! multicast on every interface.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use socket2::{Domain, Protocol, Type};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::interfaces::multicast_interfaces;
use super::paths;
use super::udp::{Socket as UdpSocket, memory_network, now};
use crate::coap::{Client, ClientConfig, Event, Request, RequestId};

/// Largest datagram read; UDP cannot carry more.
const MAX_DATAGRAM: usize = 65_535;

struct Entry {
    socket: Arc<UdpSocket>,
    ipv6: bool,
    /// Sends multicast (one per interface and family).
    multicast: bool,
}

/// What a socket's reader hands to the endpoint.
enum Received {
    Datagram(Vec<u8>),
    /// The peer's host said nothing listens on its port.
    Unreachable,
}

/// The most peers given a connected socket of their own; further peers
/// share the unicast sockets (and learn of a closed port by timing out).
const MAX_CONNECTED: usize = 64;

/// A CoAP client bound to UDP sockets.
pub struct CoapEndpoint {
    client: Client,
    sockets: Vec<Entry>,
    /// The socket each peer last answered on, so follow-ups leave by the
    /// same interface (needed for link-local IPv6 and multicast answers).
    routes: HashMap<SocketAddr, usize>,
    received: mpsc::Receiver<(usize, SocketAddr, Received)>,
    sender: mpsc::Sender<(usize, SocketAddr, Received)>,
    readers: Vec<JoinHandle<()>>,
    /// Peers first reached by unicast get a connected socket, so that an
    /// ICMP port unreachable reaches us (unconnected sockets never see it).
    connected: usize,
}

impl Drop for CoapEndpoint {
    fn drop(&mut self) {
        for reader in &self.readers {
            reader.abort();
        }
    }
}

impl CoapEndpoint {
    /// An endpoint with one unicast socket per address family.
    pub fn new(config: ClientConfig) -> io::Result<Self> {
        let (sender, received) = mpsc::channel(256);
        let mut endpoint = CoapEndpoint {
            client: Client::new(config, random_seed()),
            sockets: Vec::new(),
            routes: HashMap::new(),
            received,
            sender,
            readers: Vec::new(),
            connected: 0,
        };
        let v4 = endpoint.add(unicast(false, None), false);
        let v6 = endpoint.add(unicast(true, None), false);
        if let (Err(e), Err(_)) = (v4, v6) {
            return Err(e);
        }
        Ok(endpoint)
    }

    /// Adds one multicast-sending socket per interface and family. Returns
    /// how many interfaces can be reached.
    pub fn enable_multicast(&mut self) -> usize {
        if memory_network().is_some() {
            // The in-memory network has one link: one sender.
            let any = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0);
            let sender = UdpSocket::make(|| unreachable!(), any, None);
            return usize::from(self.add(sender, true).is_ok());
        }
        let mut count = 0;
        for iface in multicast_interfaces() {
            if let Some(v4) = iface.ipv4 {
                if self.add(os(multicast_sender_v4(v4)), true).is_ok() {
                    count += 1;
                }
            }
            if iface.has_ipv6 && self.add(os(multicast_sender_v6(iface.index)), true).is_ok() {
                count += 1;
            }
        }
        count
    }

    fn add(&mut self, socket: io::Result<UdpSocket>, multicast: bool) -> io::Result<()> {
        self.add_socket(socket, multicast, None)
    }

    fn add_socket(
        &mut self,
        socket: io::Result<UdpSocket>,
        multicast: bool,
        connected_to: Option<SocketAddr>,
    ) -> io::Result<()> {
        let socket = socket?;
        let ipv6 = socket.local_addr()?.is_ipv6();
        let socket = Arc::new(socket);
        let index = self.sockets.len();
        let sender = self.sender.clone();
        let reader = socket.clone();
        self.readers.push(tokio::spawn(async move {
            // Received into spare capacity: a zeroed 64 KiB buffer would
            // cost its every page up front, in every short-lived command.
            let mut buf = Vec::with_capacity(MAX_DATAGRAM);
            loop {
                buf.clear();
                let message = match (connected_to, reader.recv_buf_from(&mut buf).await) {
                    (_, Ok((_, from))) => (from, Received::Datagram(buf.clone())),
                    // ICMP errors surface here on Linux, for connected sockets.
                    (Some(peer), Err(e)) if e.kind() == io::ErrorKind::ConnectionRefused => {
                        (peer, Received::Unreachable)
                    }
                    (_, Err(_)) => {
                        tokio::task::yield_now().await;
                        continue;
                    }
                };
                if sender.send((index, message.0, message.1)).await.is_err() {
                    return;
                }
            }
        }));
        self.sockets.push(Entry {
            socket,
            ipv6,
            multicast,
        });
        Ok(())
    }

    pub fn client(&mut self) -> &mut Client {
        &mut self.client
    }

    pub fn request(&mut self, peer: SocketAddr, request: Request) -> RequestId {
        if self.client.path(peer).is_none() {
            if let Some(path) = paths::cocoa(peer) {
                self.client.learn_path(peer, path);
            }
        }
        self.client.request(now(), peer, request)
    }

    pub fn multicast(&mut self, group: SocketAddr, request: Request) -> RequestId {
        self.client.multicast(group, request)
    }

    pub fn cancel(&mut self, id: RequestId) {
        self.client.cancel(id);
    }

    /// Drives the client until it has an event, or `deadline` passes (`None`),
    /// or nothing is running and nothing can happen (`None`).
    pub async fn next_event(&mut self, deadline: Option<Instant>) -> Option<Event> {
        loop {
            self.flush().await;
            if let Some(event) = self.client.poll_event() {
                let peer = match &event {
                    Event::Response { from, .. } => *from,
                    Event::Failed { peer, .. } => *peer,
                };
                if let Some(path) = self.client.path(peer) {
                    paths::remember(peer, path, now());
                }
                return Some(event);
            }
            if self.client.active() == 0 && deadline.is_none() {
                return None;
            }
            if deadline.is_some_and(|d| d <= now()) {
                return None;
            }
            let wake = match (self.client.poll_timeout(), deadline) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let sleep = async {
                match wake {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                received = self.received.recv() => {
                    let (index, from, received) = received?;
                    match received {
                        Received::Datagram(datagram) => {
                            self.routes.insert(from, index);
                            // A datagram that is not CoAP is noise from the network: ignored.
                            let _ = self.client.handle_datagram(now(), from, &datagram);
                        }
                        Received::Unreachable => self.client.handle_unreachable(from),
                    }
                }
                () = sleep => self.client.handle_timeout(now()),
            }
        }
    }

    async fn flush(&mut self) {
        while let Some(transmit) = self.client.poll_transmit() {
            let destination = transmit.destination;
            if destination.ip().is_multicast() {
                for entry in self
                    .sockets
                    .iter()
                    .filter(|e| e.multicast && e.ipv6 == destination.is_ipv6())
                {
                    // A group not routed on an interface fails there; others still go.
                    let _ = entry.socket.send_to(&transmit.datagram, destination).await;
                }
                continue;
            }
            let index = match self.routes.get(&destination) {
                Some(index) => Some(*index),
                None => self.connect_to(destination).or_else(|| {
                    self.sockets
                        .iter()
                        .position(|e| !e.multicast && e.ipv6 == destination.is_ipv6())
                }),
            };
            if let Some(entry) = index.and_then(|i| self.sockets.get(i)) {
                let _ = entry.socket.send_to(&transmit.datagram, destination).await;
            }
        }
    }
}

impl CoapEndpoint {
    /// A socket connected to `peer` alone, routed for it; `None` when the
    /// cap is reached or it cannot be made.
    fn connect_to(&mut self, peer: SocketAddr) -> Option<usize> {
        if self.connected >= MAX_CONNECTED {
            return None;
        }
        let socket = unicast(peer.is_ipv6(), Some(peer));
        self.add_socket(socket, false, Some(peer)).ok()?;
        self.connected += 1;
        let index = self.sockets.len() - 1;
        self.routes.insert(peer, index);
        Some(index)
    }
}

/// A unicast socket of one family, connected to `peer` when given.
fn unicast(ipv6: bool, peer: Option<SocketAddr>) -> io::Result<UdpSocket> {
    let any = if ipv6 {
        SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0)
    } else {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0)
    };
    UdpSocket::make(|| unicast_socket(ipv6), any, peer)
}

/// An operating system socket made ready for tokio.
fn os(socket: io::Result<std::net::UdpSocket>) -> io::Result<UdpSocket> {
    UdpSocket::make(
        || socket,
        SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
        None,
    )
}

fn unicast_socket(ipv6: bool) -> io::Result<std::net::UdpSocket> {
    let (domain, addr) = if ipv6 {
        (
            Domain::IPV6,
            SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0),
        )
    } else {
        (
            Domain::IPV4,
            SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
        )
    };
    let socket = socket2::Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))?;
    if ipv6 {
        socket.set_only_v6(true)?;
    }
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    Ok(socket.into())
}

fn multicast_sender_v4(interface: Ipv4Addr) -> io::Result<std::net::UdpSocket> {
    let socket = socket2::Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))?;
    socket.set_nonblocking(true)?;
    socket.set_multicast_if_v4(&interface)?;
    socket.set_multicast_loop_v4(true)?;
    socket.set_multicast_ttl_v4(1)?;
    socket.bind(&SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0).into())?;
    Ok(socket.into())
}

fn multicast_sender_v6(index: u32) -> io::Result<std::net::UdpSocket> {
    let socket = socket2::Socket::new(Domain::IPV6, Type::DGRAM, Some(Protocol::UDP))?;
    socket.set_only_v6(true)?;
    socket.set_nonblocking(true)?;
    socket.set_multicast_if_v6(index)?;
    socket.set_multicast_loop_v6(true)?;
    // Link-local groups never leave the link whatever the limit; realm- and
    // site-local ones may cross routers (plgd uses 255 for those too).
    socket.set_multicast_hops_v6(255)?;
    socket.bind(&SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0).into())?;
    Ok(socket.into())
}

/// Seeds message ids and tokens from the OS.
pub fn random_seed() -> u64 {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        // No OS randomness: fall back to the clock; ids only need to differ.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        return nanos ^ u64::from(std::process::id());
    }
    u64::from_le_bytes(bytes)
}
