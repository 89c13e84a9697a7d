//! UDP sockets: the operating system's, or an in-memory network for tests.
//!
//! Every datagram socket of the mediator and the simulator is a [`Socket`].
//! A process that calls [`use_memory_network`] (a test binary) gets sockets
//! on an in-memory network instead of the operating system's: devices and
//! mediator in one process, no ports taken, and, with tokio's paused clock,
//! simulated time. The network can drop, duplicate or delay datagrams
//! ([`Net::set_fate`]), to test loss without a kernel's help.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use tokio::sync::mpsc;

/// A UDP socket.
#[derive(Debug)]
pub enum Socket {
    /// The operating system's.
    Os(tokio::net::UdpSocket),
    /// On the in-memory network.
    Memory(Endpoint),
}

static MEMORY: OnceLock<Net> = OnceLock::new();

/// From now on, new sockets of this process are on the in-memory network.
pub fn use_memory_network() -> &'static Net {
    MEMORY.get_or_init(Net::default)
}

/// The in-memory network, when this process uses it.
pub fn memory_network() -> Option<&'static Net> {
    MEMORY.get()
}

impl Socket {
    /// A socket bound to `addr` (port 0: any free one).
    pub async fn bind(addr: SocketAddr) -> io::Result<Socket> {
        match memory_network() {
            Some(net) => net.bind(addr).map(Socket::Memory),
            None => tokio::net::UdpSocket::bind(addr).await.map(Socket::Os),
        }
    }

    /// A socket the operating system made (with options set through
    /// socket2); on the in-memory network, a socket bound to the same
    /// address instead.
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<Socket> {
        match memory_network() {
            Some(net) => {
                let addr = socket.local_addr()?;
                drop(socket);
                net.bind(addr).map(Socket::Memory)
            }
            None => tokio::net::UdpSocket::from_std(socket).map(Socket::Os),
        }
    }

    /// A socket made by `make` (the operating system's, with options set
    /// through socket2), or, on the in-memory network, one bound to
    /// `memory_addr` instead; connected to `peer` when given.
    pub fn make(
        make: impl FnOnce() -> io::Result<std::net::UdpSocket>,
        memory_addr: SocketAddr,
        peer: Option<SocketAddr>,
    ) -> io::Result<Socket> {
        match memory_network() {
            Some(net) => {
                let endpoint = net.bind(memory_addr)?;
                *endpoint.peer.lock().unwrap_or_else(|p| p.into_inner()) = peer;
                Ok(Socket::Memory(endpoint))
            }
            None => {
                let socket = make()?;
                if let Some(peer) = peer {
                    socket.connect(peer)?;
                }
                tokio::net::UdpSocket::from_std(socket).map(Socket::Os)
            }
        }
    }

    /// Receives only from `peer`, and sends to it with [`Socket::send`].
    pub async fn connect(&self, peer: SocketAddr) -> io::Result<()> {
        match self {
            Socket::Os(s) => s.connect(peer).await,
            Socket::Memory(e) => {
                *e.peer.lock().unwrap_or_else(|p| p.into_inner()) = Some(peer);
                Ok(())
            }
        }
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        match self {
            Socket::Os(s) => s.local_addr(),
            Socket::Memory(e) => Ok(e.local),
        }
    }

    /// Sends to the connected peer.
    pub async fn send(&self, datagram: &[u8]) -> io::Result<usize> {
        match self {
            Socket::Os(s) => s.send(datagram).await,
            Socket::Memory(e) => {
                let peer = e
                    .connected()
                    .ok_or_else(|| io::Error::from(io::ErrorKind::NotConnected))?;
                e.net.send(e.local, peer, datagram, true);
                Ok(datagram.len())
            }
        }
    }

    pub async fn send_to(&self, datagram: &[u8], to: SocketAddr) -> io::Result<usize> {
        match self {
            Socket::Os(s) => s.send_to(datagram, to).await,
            Socket::Memory(e) => {
                let connected = e.connected() == Some(to);
                e.net.send(e.local, to, datagram, connected);
                Ok(datagram.len())
            }
        }
    }

    /// Receives one datagram, appended to `buffer` (in its spare capacity,
    /// for the operating system's sockets): clear it first to hold just the
    /// datagram.
    pub async fn recv_buf(&self, buffer: &mut Vec<u8>) -> io::Result<usize> {
        self.recv_buf_from(buffer).await.map(|(n, _)| n)
    }

    /// As [`Socket::recv_buf`], with the sender's address.
    pub async fn recv_buf_from(&self, buffer: &mut Vec<u8>) -> io::Result<(usize, SocketAddr)> {
        match self {
            Socket::Os(s) => s.recv_buf_from(buffer).await,
            Socket::Memory(e) => e.recv(buffer).await,
        }
    }

    /// Joins `group` for datagrams to its `port`, on the in-memory network
    /// (the operating system's sockets join through socket2 before they are
    /// made).
    pub fn join_memory_group(&self, group: IpAddr, port: u16) {
        if let Socket::Memory(e) = self {
            e.net.join(group, port, e.local);
        }
    }
}

/// What the network does with one datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    Deliver,
    Drop,
    /// Delivered twice.
    Duplicate,
    /// Delivered after a while (later datagrams may overtake it).
    Delay(Duration),
}

type FateFn = Box<dyn FnMut(SocketAddr, SocketAddr, &[u8]) -> Fate + Send>;

/// The in-memory network: sockets by address, multicast groups.
#[derive(Default)]
pub struct Net {
    state: Mutex<State>,
}

impl std::fmt::Debug for Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Net")
    }
}

#[derive(Default)]
struct State {
    sockets: HashMap<SocketAddr, mpsc::UnboundedSender<Packet>>,
    /// Members of each group, by (group address, port).
    groups: HashMap<(IpAddr, u16), Vec<SocketAddr>>,
    next_port: u16,
    fate: Option<FateFn>,
}

#[derive(Debug)]
enum Packet {
    Datagram {
        from: SocketAddr,
        data: Vec<u8>,
    },
    /// What an ICMP port unreachable tells a connected socket.
    Refused,
}

/// A socket on the in-memory network.
#[derive(Debug)]
pub struct Endpoint {
    net: &'static Net,
    local: SocketAddr,
    peer: Mutex<Option<SocketAddr>>,
    incoming: tokio::sync::Mutex<mpsc::UnboundedReceiver<Packet>>,
}

impl Endpoint {
    fn connected(&self) -> Option<SocketAddr> {
        *self.peer.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn recv(&self, buffer: &mut Vec<u8>) -> io::Result<(usize, SocketAddr)> {
        let mut incoming = self.incoming.lock().await;
        loop {
            match incoming.recv().await {
                Some(Packet::Datagram { from, data }) => {
                    if self.connected().is_some_and(|peer| peer != from) {
                        continue;
                    }
                    buffer.extend_from_slice(&data);
                    return Ok((data.len(), from));
                }
                Some(Packet::Refused) => return Err(io::ErrorKind::ConnectionRefused.into()),
                None => return Err(io::ErrorKind::NotConnected.into()),
            }
        }
    }
}

impl Drop for Endpoint {
    fn drop(&mut self) {
        let mut state = self.net.state.lock().unwrap_or_else(|p| p.into_inner());
        state.sockets.remove(&self.local);
        for members in state.groups.values_mut() {
            members.retain(|m| *m != self.local);
        }
    }
}

/// Where a wildcard or loopback bind lands: every socket of the in-memory
/// network is on loopback.
fn concrete(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        other => other,
    }
}

impl Net {
    /// Decides the fate of each datagram from now on (`None`: deliver all).
    pub fn set_fate(
        &self,
        fate: Option<impl FnMut(SocketAddr, SocketAddr, &[u8]) -> Fate + Send + 'static>,
    ) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.fate = fate.map(|f| Box::new(f) as FateFn);
    }

    fn bind(&'static self, addr: SocketAddr) -> io::Result<Endpoint> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let ip = concrete(addr.ip());
        let local = if addr.port() == 0 {
            let mut port = state.next_port.max(20_000);
            loop {
                port = if port == u16::MAX { 20_000 } else { port + 1 };
                let candidate = SocketAddr::new(ip, port);
                if !state.sockets.contains_key(&candidate) {
                    state.next_port = port;
                    break candidate;
                }
            }
        } else {
            let wanted = SocketAddr::new(ip, addr.port());
            if state.sockets.contains_key(&wanted) {
                // As SO_REUSEPORT allows several multicast listeners on a
                // port: a second socket there gets a free port of its own,
                // and is reached through the groups it joins.
                drop(state);
                return self.bind(SocketAddr::new(ip, 0));
            }
            wanted
        };
        let (sender, receiver) = mpsc::unbounded_channel();
        state.sockets.insert(local, sender);
        Ok(Endpoint {
            net: self,
            local,
            peer: Mutex::new(None),
            incoming: tokio::sync::Mutex::new(receiver),
        })
    }

    fn join(&self, group: IpAddr, port: u16, member: SocketAddr) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.groups.entry((group, port)).or_default().push(member);
    }

    fn send(&self, from: SocketAddr, to: SocketAddr, data: &[u8], connected: bool) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let destinations: Vec<SocketAddr> = if to.ip().is_multicast() {
            state
                .groups
                .get(&(to.ip(), to.port()))
                .cloned()
                .unwrap_or_default()
        } else {
            vec![to]
        };
        for destination in destinations {
            let fate = match state.fate.as_mut() {
                Some(fate) => fate(from, destination, data),
                None => Fate::Deliver,
            };
            let Some(sender) = state.sockets.get(&destination).cloned() else {
                if connected && !to.ip().is_multicast() {
                    if let Some(own) = state.sockets.get(&from) {
                        let _ = own.send(Packet::Refused);
                    }
                }
                continue;
            };
            let packet = || Packet::Datagram {
                from,
                data: data.to_vec(),
            };
            match fate {
                Fate::Deliver => {
                    let _ = sender.send(packet());
                }
                Fate::Drop => {}
                Fate::Duplicate => {
                    let _ = sender.send(packet());
                    let _ = sender.send(packet());
                }
                Fate::Delay(after) => {
                    let datagram = packet();
                    tokio::spawn(async move {
                        tokio::time::sleep(after).await;
                        let _ = sender.send(datagram);
                    });
                }
            }
        }
    }
}

/// The current time, from tokio's clock: the real time, or the simulated
/// time of a test that paused the clock. Every deadline of the drivers is
/// read from it.
pub fn now() -> std::time::Instant {
    tokio::time::Instant::now().into_std()
}
