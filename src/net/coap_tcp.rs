//! CoAP over TCP and over TLS on sockets: the tokio side of
//! [`crate::coap::tcp::Connection`] and of rustls.
//!
//! - [`serve`]: accepts connections (plain or TLS) and runs one task per
//!   connection that feeds a [`Connection`] and hands its requests to a
//!   [`RequestHandler`].
//! - [`ClientSession`]: one connection to a server, a request at a time.
//! - [`spawn_link`]: a connection whose bytes go to and come from channels,
//!   for a sans-IO client that keeps the [`Connection`] itself (the
//!   simulated device's cloud client).

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::{TlsAcceptor, TlsConnector};

use super::coap_endpoint::random_seed;
use super::tls::RefusalNote;
use crate::coap::server::Reply;
use crate::coap::tcp::{Connection, Event, IncomingRequest, TcpConfig};
use crate::coap::{Request, Response};

/// A TCP stream, with or without TLS on it.
pub enum Stream {
    Plain(TcpStream),
    TlsServer(Box<tokio_rustls::server::TlsStream<TcpStream>>),
    TlsClient(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl Stream {
    /// The peer's certificate chain (DER, leaf first), if it showed one.
    pub fn peer_certificates(&self) -> Vec<Vec<u8>> {
        let certs = match self {
            Stream::Plain(_) => None,
            Stream::TlsServer(s) => s.get_ref().1.peer_certificates(),
            Stream::TlsClient(s) => s.get_ref().1.peer_certificates(),
        };
        certs
            .into_iter()
            .flatten()
            .map(|c| c.as_ref().to_vec())
            .collect()
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::TlsServer(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Stream::TlsClient(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::TlsServer(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            Stream::TlsClient(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::TlsServer(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Stream::TlsClient(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::TlsServer(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Stream::TlsClient(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// Why a connection could not be made or was lost.
#[derive(Debug)]
#[non_exhaustive]
pub enum LinkError {
    /// TCP connect failed (refused, unreachable).
    Connect(io::Error),
    /// The TLS handshake failed; the reason says which side refused what.
    Tls(String),
    /// Reading or writing failed after the connection was up.
    Io(io::Error),
    /// The connection or the handshake took longer than allowed.
    TimedOut,
    /// The CoAP over TCP connection ended (abort, malformed bytes).
    Coap(String),
    /// A request failed.
    Request(crate::coap::tcp::Error),
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connect(e) => write!(f, "cannot connect: {e}"),
            Self::Tls(reason) => write!(f, "TLS handshake failed: {reason}"),
            Self::Io(e) => write!(f, "connection lost: {e}"),
            Self::TimedOut => f.write_str("timed out"),
            Self::Coap(reason) => write!(f, "CoAP over TCP: {reason}"),
            Self::Request(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for LinkError {}

/// How to secure an outgoing connection.
#[derive(Clone)]
pub struct ClientTls {
    pub config: Arc<rustls::ClientConfig>,
    /// Where the certificate verifier leaves its reason for a refusal.
    pub note: Option<RefusalNote>,
}

/// Connects (and, with `tls`, handshakes) within `timeout`.
pub async fn connect(
    addr: SocketAddr,
    tls: Option<&ClientTls>,
    timeout: Duration,
) -> Result<Stream, LinkError> {
    let work = async {
        let tcp = TcpStream::connect(addr).await.map_err(LinkError::Connect)?;
        let _ = tcp.set_nodelay(true);
        let Some(tls) = tls else {
            return Ok(Stream::Plain(tcp));
        };
        // Devices reach their cloud by address; the verifier checks the CN.
        let name = ServerName::IpAddress(addr.ip().into());
        match TlsConnector::from(tls.config.clone())
            .connect(name, tcp)
            .await
        {
            Ok(stream) => Ok(Stream::TlsClient(Box::new(stream))),
            Err(e) => {
                let noted = tls.note.as_ref().and_then(RefusalNote::take);
                Err(LinkError::Tls(noted.unwrap_or_else(|| tls_reason(&e))))
            }
        }
    };
    tokio::time::timeout(timeout, work)
        .await
        .unwrap_or(Err(LinkError::TimedOut))
}

/// rustls's error inside an I/O error, in words.
fn tls_reason(error: &io::Error) -> String {
    match error.get_ref() {
        Some(inner) => inner.to_string(),
        None => error.to_string(),
    }
}

/// Who is on the other end of an accepted connection.
#[derive(Clone, Debug)]
pub struct PeerInfo {
    pub addr: SocketAddr,
    /// The client's certificate chain (DER, leaf first), verified by the
    /// server's policy; empty without one.
    pub certificates: Vec<Vec<u8>>,
}

/// What a server does with the requests of its connections.
pub trait RequestHandler: Send + Sync + 'static {
    /// Per-connection state.
    type Session: Send + 'static;

    /// A connection is up (after its TLS handshake).
    fn open(&self, peer: &PeerInfo) -> Self::Session;

    /// Answers one request.
    fn handle(
        &self,
        session: &mut Self::Session,
        request: &IncomingRequest,
    ) -> impl Future<Output = Reply> + Send;

    /// The connection ended.
    fn closed(&self, _session: Self::Session) {}

    /// A TLS handshake failed (the client was refused, or refused us).
    fn handshake_failed(&self, _peer: SocketAddr, _reason: String) {}
}

/// Accepts connections on `listener` until `shutdown` completes.
pub async fn serve<H: RequestHandler>(
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    config: TcpConfig,
    handler: Arc<H>,
    shutdown: impl Future<Output = ()>,
) {
    let acceptor = tls.map(TlsAcceptor::from);
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((tcp, addr)) = accepted else {
            // Out of descriptors, or a connection reset before accept: go on.
            tokio::task::yield_now().await;
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let handler = handler.clone();
        let config = config.clone();
        tokio::spawn(async move {
            let stream = match acceptor {
                None => Stream::Plain(tcp),
                Some(acceptor) => {
                    match tokio::time::timeout(Duration::from_secs(20), acceptor.accept(tcp)).await
                    {
                        Ok(Ok(stream)) => Stream::TlsServer(Box::new(stream)),
                        Ok(Err(e)) => {
                            handler.handshake_failed(addr, tls_reason(&e));
                            return;
                        }
                        Err(_) => {
                            handler.handshake_failed(addr, "the handshake timed out".into());
                            return;
                        }
                    }
                }
            };
            let peer = PeerInfo {
                addr,
                certificates: stream.peer_certificates(),
            };
            serve_connection(stream, peer, config, handler).await;
        });
    }
}

async fn serve_connection<H: RequestHandler>(
    mut stream: Stream,
    peer: PeerInfo,
    config: TcpConfig,
    handler: Arc<H>,
) {
    let mut session = handler.open(&peer);
    let mut connection = Connection::new(config, random_seed());
    let mut buffer = vec![0u8; 16 * 1024];
    'outer: loop {
        if let Some(bytes) = connection.poll_transmit() {
            if stream.write_all(&bytes).await.is_err() {
                break;
            }
        }
        while let Some(event) = connection.poll_event() {
            match event {
                Event::Request(request) => {
                    let reply = handler.handle(&mut session, &request).await;
                    connection.respond(&request, reply);
                    if let Some(bytes) = connection.poll_transmit() {
                        if stream.write_all(&bytes).await.is_err() {
                            break 'outer;
                        }
                    }
                }
                Event::Closed { .. } => {
                    if let Some(bytes) = connection.poll_transmit() {
                        let _ = stream.write_all(&bytes).await;
                    }
                    break 'outer;
                }
                _ => {}
            }
        }
        let wake = connection.poll_timeout();
        let sleep = async {
            match wake {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            read = stream.read(&mut buffer) => match read {
                Ok(0) | Err(_) => connection.handle_eof(),
                Ok(n) => connection.handle_bytes(crate::net::now(), &buffer[..n]),
            },
            () = sleep => connection.handle_timeout(crate::net::now()),
        }
    }
    let _ = stream.shutdown().await;
    handler.closed(session);
}

/// One connection to a server, for requests one at a time.
pub struct ClientSession {
    stream: Stream,
    connection: Connection,
    buffer: Vec<u8>,
}

impl ClientSession {
    pub async fn connect(
        addr: SocketAddr,
        tls: Option<&ClientTls>,
        config: TcpConfig,
        timeout: Duration,
    ) -> Result<ClientSession, LinkError> {
        let stream = connect(addr, tls, timeout).await?;
        Ok(ClientSession {
            stream,
            connection: Connection::new(config, random_seed()),
            buffer: vec![0u8; 16 * 1024],
        })
    }

    /// The state machine, for its settings and what the peer announced.
    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    /// Waits up to `timeout` for the peer's CSM, so that the first
    /// requests already respect its Max-Message-Size (a peer announcing less
    /// than RFC 8323's default 1152 bytes may close the connection on a
    /// larger message sent before its CSM was read). Returns whether it came.
    pub async fn await_capabilities(&mut self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while !self.connection.peer_sent_csm() && !self.connection.is_closed() {
            tokio::select! {
                read = self.stream.read(&mut self.buffer) => match read {
                    Ok(0) | Err(_) => self.connection.handle_eof(),
                    Ok(n) => self.connection.handle_bytes(crate::net::now(), &self.buffer[..n]),
                },
                () = tokio::time::sleep_until(deadline) => break,
            }
        }
        self.connection.peer_sent_csm()
    }

    /// Sends a request and waits for its whole response.
    pub async fn request(&mut self, request: Request) -> Result<Response, LinkError> {
        let id = self.connection.request(crate::net::now(), request);
        loop {
            if let Some(bytes) = self.connection.poll_transmit() {
                self.stream.write_all(&bytes).await.map_err(LinkError::Io)?;
            }
            while let Some(event) = self.connection.poll_event() {
                match event {
                    Event::Response { id: got, response } if got == id => return Ok(response),
                    Event::Failed { id: got, error } if got == id => {
                        return Err(LinkError::Request(error));
                    }
                    Event::Closed { error: Some(e) } => {
                        return Err(LinkError::Coap(e.to_string()));
                    }
                    _ => {}
                }
            }
            let wake = self.connection.poll_timeout();
            let sleep = async {
                match wake {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                read = self.stream.read(&mut self.buffer) => match read {
                    Ok(0) | Err(_) => self.connection.handle_eof(),
                    Ok(n) => self.connection.handle_bytes(crate::net::now(), &self.buffer[..n]),
                },
                () = sleep => self.connection.handle_timeout(crate::net::now()),
            }
        }
    }

    /// Sends the raw bytes (for tests that play a broken peer).
    pub async fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes).await
    }

    /// Ends the connection.
    pub async fn close(mut self) {
        let _ = self.stream.shutdown().await;
    }
}

/// What a link reports to its owner.
#[derive(Debug)]
pub enum LinkEvent {
    /// Connected (and handshaken); the server's certificate chain.
    Connected { certificates: Vec<Vec<u8>> },
    /// Bytes read.
    Received(Vec<u8>),
    /// Could not connect, or the connection broke.
    Failed(LinkError),
    /// The peer closed the connection.
    Closed,
}

/// The owner's side of a link: bytes to write; dropping it closes the
/// connection.
pub struct LinkHandle {
    writes: mpsc::UnboundedSender<Vec<u8>>,
    task: tokio::task::JoinHandle<()>,
}

impl LinkHandle {
    /// Queues bytes to write.
    pub fn send(&self, bytes: Vec<u8>) {
        let _ = self.writes.send(bytes);
    }
}

impl Drop for LinkHandle {
    fn drop(&mut self) {
        // Writes already queued are not waited for: a device that drops its
        // link has given up on the connection.
        self.task.abort();
    }
}

/// Connects in the background; events go to `events` tagged with `tag`.
/// Dropping the handle closes the connection.
pub fn spawn_link<T: Clone + Send + 'static>(
    addr: SocketAddr,
    tls: Option<ClientTls>,
    timeout: Duration,
    tag: T,
    events: mpsc::Sender<(T, LinkEvent)>,
) -> LinkHandle {
    let (writes, mut queued) = mpsc::unbounded_channel::<Vec<u8>>();
    let task = tokio::spawn(async move {
        let mut stream = match connect(addr, tls.as_ref(), timeout).await {
            Ok(stream) => stream,
            Err(e) => {
                let _ = events.send((tag, LinkEvent::Failed(e))).await;
                return;
            }
        };
        let certificates = match &stream {
            Stream::TlsClient(s) => s
                .get_ref()
                .1
                .peer_certificates()
                .into_iter()
                .flatten()
                .map(|c| c.as_ref().to_vec())
                .collect(),
            _ => Vec::new(),
        };
        if events
            .send((tag.clone(), LinkEvent::Connected { certificates }))
            .await
            .is_err()
        {
            return;
        }
        let mut buffer = vec![0u8; 8 * 1024];
        loop {
            tokio::select! {
                bytes = queued.recv() => match bytes {
                    Some(bytes) => {
                        if let Err(e) = stream.write_all(&bytes).await {
                            let _ = events.send((tag, LinkEvent::Failed(LinkError::Io(e)))).await;
                            return;
                        }
                    }
                    None => {
                        let _ = stream.shutdown().await;
                        return;
                    }
                },
                read = stream.read(&mut buffer) => match read {
                    Ok(0) => {
                        let _ = events.send((tag, LinkEvent::Closed)).await;
                        return;
                    }
                    Ok(n) => {
                        if events.send((tag.clone(), LinkEvent::Received(buffer[..n].to_vec()))).await.is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        let _ = events.send((tag, LinkEvent::Failed(LinkError::Io(e)))).await;
                        return;
                    }
                },
            }
        }
    });
    LinkHandle { writes, task }
}
