//! Hosts simulated devices on UDP sockets: one unicast socket per device,
//! shared multicast listeners, delayed multicast answers like real devices.

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, Socket, Type};

use crate::net::udp::{Socket as UdpSocket, memory_network};
use tokio::sync::mpsc;

use super::cloud_client::{CloudClient, CloudClientConfig};
use super::cloud_link::{CloudLinks, deliver};
use super::misbehave::{Misbehaving, Misbehaviour};
use super::secure_host::SecurePort;
use crate::coap::{IncomingRequest, Reply, Server, ServerConfig};
use crate::net::coap_endpoint::random_seed;
use crate::net::interfaces::{
    ALL_COAP_NODES_V4, ALL_COAP_NODES_V6, local_addresses, multicast_interfaces,
};
use crate::ocf::address::{Endpoint, Scheme, with_port};
use crate::sim::{DeviceState, Notice, Peer, RequestContext, SecurityConfig, SimDevice};

#[derive(Clone, Debug)]
pub struct HostOptions {
    /// Where device 0 listens; device i uses port + i unless the port is 0.
    pub listen: Option<SocketAddr>,
    pub count: usize,
    pub name: String,
    pub state_dir: Option<PathBuf>,
    /// Multicast answers are delayed by a random time up to this.
    pub multicast_delay: Duration,
    /// Join the OCF multicast groups on every interface.
    pub multicast: bool,
    /// Port the multicast listeners bind (5683 on real networks).
    pub multicast_port: u16,
    /// Ownership transfer methods, PIN and manufacturer certificate.
    pub security: SecurityConfig,
    /// How long after a hard reset request the device wipes itself.
    pub reset_delay: Duration,
    /// DTLS sessions that hear nothing for this long are closed.
    pub session_idle: Duration,
    /// List loopback endpoints in eps to peers on loopback (see [`eps_for`]);
    /// `false` lists none, as the reference device.
    pub loopback_eps: bool,
    /// How the devices misbehave on purpose; `None` (the default) for
    /// devices as strict as real ones.
    pub misbehaviour: Option<Misbehaviour>,
}

/// A device as announced on startup.
#[derive(Clone, Debug, serde::Serialize)]
pub struct HostedDevice {
    pub di: uuid::Uuid,
    pub name: String,
    pub endpoints: Vec<String>,
}

struct Hosted {
    device: SimDevice,
    server: Server,
    socket: Arc<UdpSocket>,
    port: u16,
    /// DTLS, on the same address as the plain port.
    secure: SecurePort,
    secure_port: u16,
    wildcard: bool,
    loopback_eps: bool,
    state_path: Option<PathBuf>,
    /// When an asked-for hard reset takes effect.
    reset_at: Option<Instant>,
    /// The device's connection to its cloud (CoAP over TCP and TLS).
    cloud: CloudClient,
    /// Misbehaviour on the plain port (the secure port has its own).
    misbehaving: Misbehaving,
    /// Datagrams the misbehaviour sends in the device's stead.
    raw: Vec<(SocketAddr, Vec<u8>)>,
}

enum Source {
    Device(usize),
    Secure(usize),
    Multicast,
}

struct Delayed {
    at: Instant,
    device: usize,
    request: IncomingRequest,
    reply: Reply,
}

/// Runs devices until `shutdown` completes. `announce` is called once the
/// sockets are bound; `notify` with what a device shows its user (a PIN)
/// or its log says (its cloud client's failures).
pub async fn run(
    options: HostOptions,
    announce: impl FnOnce(&[HostedDevice]),
    mut notify: impl FnMut(Notice),
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let (sender, mut received) = mpsc::channel::<(Source, SocketAddr, Vec<u8>)>(1024);
    let mut hosted = Vec::new();
    let mut seed = random_seed();
    if let Some(dir) = &options.state_dir {
        std::fs::create_dir_all(dir)?;
    }
    for index in 0..options.count.max(1) {
        let name = if options.count > 1 {
            format!("{} {}", options.name, index + 1)
        } else {
            options.name.clone()
        };
        let state_path = options
            .state_dir
            .as_ref()
            .map(|d| DeviceState::path_in(d, index));
        let state = match &state_path {
            Some(path) => DeviceState::load_or_create(path, &name)?,
            None => DeviceState::new_unowned(&name),
        };
        let (socket, wildcard) = device_socket(options.listen, index)?;
        let port = socket.local_addr()?.port();
        let socket = Arc::new(socket);
        spawn_reader(socket.clone(), sender.clone(), move || {
            Source::Device(index)
        });
        let local = socket.local_addr()?;
        let (secure_socket, _) = device_socket(Some(SocketAddr::new(local.ip(), 0)), 0)?;
        let secure_port = secure_socket.local_addr()?.port();
        let secure_socket = Arc::new(secure_socket);
        spawn_reader(secure_socket.clone(), sender.clone(), move || {
            Source::Secure(index)
        });
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
        let mut secure = SecurePort::new(secure_socket, (seed >> 16) as u16, options.session_idle);
        secure.misbehaving = Misbehaving::new(options.misbehaviour);
        hosted.push(Hosted {
            device: SimDevice::with_security(state, options.security.clone()),
            server: Server::new(ServerConfig::default(), (seed >> 32) as u16),
            socket,
            port,
            secure,
            secure_port,
            wildcard,
            loopback_eps: options.loopback_eps,
            state_path,
            reset_at: None,
            cloud: CloudClient::new(CloudClientConfig::default(), seed),
            misbehaving: Misbehaving::new(options.misbehaviour),
            raw: Vec::new(),
        });
    }
    if options.multicast {
        for socket in multicast_listeners(options.multicast_port) {
            spawn_reader(Arc::new(socket), sender.clone(), || Source::Multicast);
        }
    }
    let announced: Vec<HostedDevice> = hosted
        .iter()
        .map(|h| HostedDevice {
            di: h.device.state.di,
            name: h.device.state.name.clone(),
            endpoints: announced_endpoints(h),
        })
        .collect();
    announce(&announced);

    let mut delayed: Vec<Delayed> = Vec::new();
    let mut rng = seed | 1;
    let mut links: CloudLinks<usize> = CloudLinks::new();
    // Only the devices something happened to (a datagram, a due timer, a
    // cloud event) are visited after it: their cloud client follows their
    // state, the state is saved, what they send goes out, and their next
    // deadline is taken. Visiting every device on every event made each
    // event cost as much as the whole host (1000 devices: the simulator,
    // not the peer, set the pace).
    let mut touched = Touched::all(hosted.len());
    let mut wakes: Vec<Option<Instant>> = vec![None; hosted.len()];
    tokio::pin!(shutdown);
    loop {
        let now = crate::net::now();
        for &index in touched.list() {
            let h = &mut hosted[index];
            // The cloud client follows the configuration and the state.
            let before = h.device.state.security.cloud.clone();
            h.cloud.sync(now, &mut h.device.state);
            links.apply(
                &index,
                &mut h.cloud,
                &mut h.device.state,
                h.device.config.mfg.as_ref(),
                now,
            );
            while let Some(message) = h.cloud.poll_log() {
                let di = h.device.state.di;
                h.device.notices.push(Notice::Cloud { di, message });
            }
            if h.device.state.security.cloud != before {
                h.device.dirty = true;
            }
        }
        for &index in touched.list() {
            let h = &mut hosted[index];
            // Durable before acknowledged: a peer that saw the answer may
            // kill us at once, and the change must survive that.
            if h.device.dirty {
                h.device.dirty = false;
                if let Some(path) = &h.state_path {
                    h.device.state.save(path)?;
                }
            }
            for notice in h.device.notices.drain(..) {
                notify(notice);
            }
            if h.device.reset_requested && h.reset_at.is_none() {
                h.reset_at = Some(crate::net::now() + options.reset_delay);
            }
            for (to, datagram) in std::mem::take(&mut h.raw) {
                let _ = h.socket.send_to(&datagram, to).await;
            }
            while let Some(t) = h.server.poll_transmit() {
                for datagram in h.misbehaving.transmit(t.datagram) {
                    let _ = h.socket.send_to(&datagram, t.destination).await;
                }
            }
            h.secure.flush().await;
            wakes[index] = [
                h.server.poll_timeout(),
                h.secure.poll_timeout(),
                h.reset_at,
                h.cloud.poll_timeout(),
            ]
            .into_iter()
            .flatten()
            .min();
        }
        touched.clear();
        let wake = wakes
            .iter()
            .flatten()
            .copied()
            .chain(delayed.iter().map(|d| d.at))
            .min();
        let sleep = async {
            match wake {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = &mut shutdown => return Ok(()),
            () = sleep => {
                let now = crate::net::now();
                for (index, h) in hosted.iter_mut().enumerate() {
                    if wakes[index].is_none_or(|at| at > now) {
                        continue;
                    }
                    touched.add(index);
                    h.cloud.handle_timeout(now, &mut h.device.state);
                    h.server.handle_timeout(now);
                    let eps = eps_for(h, h.secure_local());
                    h.secure.handle_timeout(&mut h.device, now, &eps);
                    if h.reset_at.is_some_and(|at| at <= now) {
                        // Sessions end, then the device forgets everything.
                        h.reset_at = None;
                        h.secure.close_all(&mut h.device);
                        h.device.hard_reset();
                    }
                }
                let (due, later): (Vec<_>, Vec<_>) = delayed.drain(..).partition(|d| d.at <= now);
                delayed = later;
                for d in due {
                    touched.add(d.device);
                    hosted[d.device].server.respond(now, &d.request, d.reply);
                }
            }
            Some((index, event)) = links.next() => {
                if let Some(h) = hosted.get_mut(index) {
                    touched.add(index);
                    deliver(&mut h.cloud, &mut h.device.state, event, crate::net::now());
                }
            }
            incoming = received.recv() => {
                let Some((source, from, datagram)) = incoming else { return Ok(()) };
                let now = crate::net::now();
                let targets: Vec<usize> = match source {
                    Source::Secure(i) => {
                        touched.add(i);
                        let h = &mut hosted[i];
                        let eps = eps_for(h, from);
                        h.secure.handle_datagram(&mut h.device, now, from, &datagram, &eps);
                        continue;
                    }
                    Source::Device(i) => vec![i],
                    Source::Multicast => (0..hosted.len()).collect(),
                };
                let multicast = matches!(source, Source::Multicast);
                for i in targets {
                    touched.add(i);
                    let h = &mut hosted[i];
                    // Not CoAP: noise, ignored.
                    let Ok(Some(request)) = h.server.handle_datagram(now, from, &datagram) else { continue };
                    if let Some(raw) = h.misbehaving.intercept(&request) {
                        h.raw.extend(raw.into_iter().map(|d| (from, d)));
                        continue;
                    }
                    let context = RequestContext { multicast, eps: eps_for(h, from), peer: Peer::Unsecured };
                    let Some(reply) = h.device.handle(&request, &context) else { continue };
                    let reply = h.misbehaving.reply(&request, reply);
                    if multicast && !options.multicast_delay.is_zero() {
                        rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
                        let delay = Duration::from_micros(rng % (options.multicast_delay.as_micros() as u64 + 1));
                        delayed.push(Delayed { at: now + delay, device: i, request, reply });
                    } else {
                        h.server.respond(now, &request, reply);
                    }
                }
            }
        }
    }
}

/// The devices to visit after an event, each once.
struct Touched {
    list: Vec<usize>,
    marked: Vec<bool>,
}

impl Touched {
    /// Every device (the first pass).
    fn all(count: usize) -> Touched {
        Touched {
            list: (0..count).collect(),
            marked: vec![true; count],
        }
    }

    fn add(&mut self, index: usize) {
        if let Some(marked) = self.marked.get_mut(index) {
            if !*marked {
                *marked = true;
                self.list.push(index);
            }
        }
    }

    fn list(&self) -> &[usize] {
        &self.list
    }

    fn clear(&mut self) {
        for index in self.list.drain(..) {
            self.marked[index] = false;
        }
    }
}

fn spawn_reader(
    socket: Arc<UdpSocket>,
    sender: mpsc::Sender<(Source, SocketAddr, Vec<u8>)>,
    source: impl Fn() -> Source + Send + 'static,
) {
    tokio::spawn(async move {
        let mut buf = Vec::with_capacity(65_535);
        loop {
            buf.clear();
            match socket.recv_buf_from(&mut buf).await {
                Ok((n, from)) => {
                    if sender
                        .send((source(), from, buf[..n].to_vec()))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                Err(_) => tokio::task::yield_now().await,
            }
        }
    });
}

/// Device `index`'s unicast socket, and whether it listens on every
/// address. On the in-memory network: on loopback.
fn device_socket(listen: Option<SocketAddr>, index: usize) -> io::Result<(UdpSocket, bool)> {
    if memory_network().is_some() {
        let mut addr =
            listen.unwrap_or_else(|| SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0));
        if addr.port() != 0 {
            let port = u16::try_from(usize::from(addr.port()) + index)
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "port range exhausted"))?;
            addr.set_port(port);
        }
        return Ok((UdpSocket::make(|| unreachable!(), addr, None)?, false));
    }
    let (socket, wildcard) = bind_device_socket(listen, index)?;
    let addr = socket.local_addr()?;
    Ok((UdpSocket::make(|| Ok(socket), addr, None)?, wildcard))
}

/// Binds device `index`'s unicast socket. The default is a dual-stack
/// wildcard socket, so the device answers on IPv4 and IPv6 alike.
fn bind_device_socket(
    listen: Option<SocketAddr>,
    index: usize,
) -> io::Result<(std::net::UdpSocket, bool)> {
    let candidates = match listen {
        Some(addr) => vec![addr],
        None => vec![
            SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0),
            SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
        ],
    };
    let mut last = io::Error::other("no address to listen on");
    for mut addr in candidates {
        if addr.port() != 0 {
            let port = usize::from(addr.port()) + index;
            let Ok(port) = u16::try_from(port) else {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "port range exhausted",
                ));
            };
            addr.set_port(port);
        }
        let domain = if addr.is_ipv6() {
            Domain::IPV6
        } else {
            Domain::IPV4
        };
        let attempt = (|| {
            let socket = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))?;
            if addr.is_ipv6() && addr.ip().is_unspecified() {
                socket.set_only_v6(false)?;
            }
            socket.set_nonblocking(true)?;
            socket.bind(&addr.into())?;
            io::Result::Ok(socket)
        })();
        match attempt {
            Ok(socket) => return Ok((socket.into(), addr.ip().is_unspecified())),
            Err(e) => last = io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")),
        }
    }
    Err(last)
}

/// Multicast listeners on the OCF port, joined to the groups on every
/// interface. Several processes may listen at once (SO_REUSEPORT); every
/// one of them receives each multicast datagram.
fn multicast_listeners(port: u16) -> Vec<UdpSocket> {
    if memory_network().is_some() {
        let any = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port);
        return UdpSocket::make(|| unreachable!(), any, None)
            .map(|socket| {
                socket.join_memory_group(IpAddr::V4(ALL_COAP_NODES_V4), port);
                vec![socket]
            })
            .unwrap_or_default();
    }
    let interfaces = multicast_interfaces();
    let mut sockets = Vec::new();
    let v4 = (|| {
        let socket = reusable(
            Domain::IPV4,
            SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port),
        )?;
        let mut joined = false;
        for iface in &interfaces {
            if let Some(addr) = iface.ipv4 {
                joined |= socket.join_multicast_v4(&ALL_COAP_NODES_V4, &addr).is_ok();
            }
        }
        if !joined {
            return Err(io::Error::other("no IPv4 interface joined"));
        }
        io::Result::Ok(socket)
    })();
    let v6 = (|| {
        let socket = reusable(
            Domain::IPV6,
            SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), port),
        )?;
        let mut joined = false;
        for iface in interfaces.iter().filter(|i| i.has_ipv6) {
            for group in ALL_COAP_NODES_V6 {
                joined |= socket.join_multicast_v6(&group, iface.index).is_ok();
            }
        }
        if !joined {
            return Err(io::Error::other("no IPv6 interface joined"));
        }
        io::Result::Ok(socket)
    })();
    for socket in [v4, v6].into_iter().flatten() {
        let Ok(addr) = socket.local_addr().map(|a| a.as_socket()) else {
            continue;
        };
        let addr = addr.unwrap_or_else(|| SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port));
        if let Ok(socket) = UdpSocket::make(|| Ok(socket.into()), addr, None) {
            sockets.push(socket);
        }
    }
    sockets
}

fn reusable(domain: Domain, addr: SocketAddr) -> io::Result<Socket> {
    let socket = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))?;
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    if domain == Domain::IPV6 {
        socket.set_only_v6(true)?;
    }
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    Ok(socket)
}

/// What the device lists in `eps`: its plain and secure endpoints.
///
/// Deviation from the reference device, on purpose: asked over loopback it
/// lists its loopback endpoints, where a real device lists none. Without them
/// no tool could find the simulator's secure port (the mediator falls back to
/// the answering address only for the plain port); the mediator's fallback
/// for empty eps stays covered by the real device's captured `/oic/res`.
fn eps_for(h: &Hosted, from: SocketAddr) -> Vec<String> {
    let both = |ip: (IpAddr, u32)| {
        [
            Endpoint::coap(with_port(ip, h.port)).to_string(),
            coaps(with_port(ip, h.secure_port)).to_string(),
        ]
    };
    let from_ip = from.ip().to_canonical();
    if from_ip.is_loopback() && !h.loopback_eps {
        return Vec::new();
    }
    if !h.wildcard {
        let Ok(local) = h.socket.local_addr() else {
            return Vec::new();
        };
        return both((local.ip(), 0)).to_vec();
    }
    if from_ip.is_loopback() {
        let ip = match from_ip {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        };
        return both((ip, 0)).to_vec();
    }
    local_addresses().into_iter().flat_map(both).collect()
}

fn coaps(addr: SocketAddr) -> Endpoint {
    Endpoint {
        scheme: Scheme::Coaps,
        addr,
    }
}

impl Hosted {
    /// An address of the secure socket's own family, for timer-driven work.
    fn secure_local(&self) -> SocketAddr {
        self.secure
            .socket
            .local_addr()
            .map(|a| SocketAddr::new(a.ip().to_canonical(), a.port()))
            .unwrap_or_else(|_| SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0))
    }
}

/// Plain endpoints first, each followed by its secure one.
fn announced_endpoints(h: &Hosted) -> Vec<String> {
    let Ok(local) = h.socket.local_addr() else {
        return Vec::new();
    };
    let both = |ip: IpAddr, scope: u32| {
        [
            Endpoint::coap(with_port((ip, scope), h.port)).to_string(),
            coaps(with_port((ip, scope), h.secure_port)).to_string(),
        ]
    };
    if !h.wildcard {
        return both(local.ip(), 0).to_vec();
    }
    let mut endpoints = both(IpAddr::V4(Ipv4Addr::LOCALHOST), 0).to_vec();
    if local.is_ipv6() {
        endpoints.extend(both(IpAddr::V6(Ipv6Addr::LOCALHOST), 0));
    }
    endpoints.extend(
        local_addresses()
            .into_iter()
            .filter(|(ip, _)| local.is_ipv6() || ip.is_ipv4())
            .flat_map(|(ip, scope)| both(ip, scope)),
    );
    endpoints
}
