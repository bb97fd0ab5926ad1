//! HTTPS connections: the handshake before the engine, and the encrypted
//! stream as the engine's [`Transport`].
//!
//! A connection goes through three phases, each bounded:
//! 1. **Waiting for the ClientHello.** Its first bytes are peeked (not
//!    read) within the handshake time-out. Meanwhile it holds a place among
//!    [`Tls::max_waiting`] instead of a connection slot: all it costs is a
//!    socket and a small task, so clients that connect and send nothing
//!    do not lock out the others. Plain HTTP sent to the port is answered
//!    400, as nginx does, and anything that is not a TLS record is closed.
//! 2. **The handshake**, with a connection slot and one of
//!    [`Tls::max_handshakes`] (the CPU-heavy part: a few hundred µs of
//!    public-key work each), finished before the same deadline.
//! 3. **Serving**: `serve_connection` over [`TlsTransport`], through the
//!    same pooled path as a plain connection, so time-outs, shutdown and
//!    idle eviction work the same. A slot taken after the ClientHello is
//!    taken as a plain connection's is: by evicting the longest-idle
//!    connection when none is free.

use std::boxed::Box;
use std::cell::Cell;
use std::io;
use std::net::SocketAddr;
use std::ops::Deref;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use std::vec;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use super::{io_error, serve_pooled, Connection, ConnectionParts, Pooled, Room, ServerOptions, TokioTransport};
use crate::app::{App, Dispatch};
use crate::io::{IoError, Transport};
use crate::tls::ServerConfig;

/// HTTPS settings of a [`Server`](super::Server): the rustls configuration
/// (see [`crate::tls::TlsConfig`]) and the handshake limits.
#[derive(Debug, Clone)]
pub struct Tls {
    config: Arc<ServerConfig>,
    handshake_timeout: Duration,
    max_handshakes: usize,
    max_waiting: usize,
}

impl Tls {
    /// Defaults: a 10 s handshake time-out, 16 handshakes at once, 256
    /// connections waiting for their ClientHello.
    pub fn new(config: Arc<ServerConfig>) -> Self {
        Tls {
            config,
            handshake_timeout: Duration::from_secs(10),
            max_handshakes: 16,
            max_waiting: 256,
        }
    }

    /// Longest time from accepting a connection to the end of its
    /// handshake; a client that stalls is closed then.
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// Handshakes in progress at once; more wait (within their time-out).
    pub fn max_handshakes(mut self, n: usize) -> Self {
        self.max_handshakes = n.max(1);
        self
    }

    /// Connections that may wait for their ClientHello outside the
    /// connection limit; beyond that they wait in a connection slot.
    pub fn max_waiting(mut self, n: usize) -> Self {
        self.max_waiting = n;
        self
    }
}

impl From<Arc<ServerConfig>> for Tls {
    fn from(config: Arc<ServerConfig>) -> Self {
        Tls::new(config)
    }
}

/// What the connections of one TLS server share.
pub(super) struct TlsShared {
    acceptor: TlsAcceptor,
    handshake_timeout: Duration,
    handshakes: Arc<Semaphore>,
    waiting: Arc<Semaphore>,
}

impl TlsShared {
    pub(super) fn new(tls: Tls) -> Self {
        TlsShared {
            acceptor: TlsAcceptor::from(tls.config),
            handshake_timeout: tls.handshake_timeout,
            handshakes: Arc::new(Semaphore::new(tls.max_handshakes)),
            waiting: Arc::new(Semaphore::new(tls.max_waiting)),
        }
    }
}

/// What the first bytes of a connection are.
#[derive(Debug, PartialEq, Eq)]
enum FirstBytes {
    /// A TLS handshake record.
    Tls,
    /// Something like `GET /`: plain HTTP.
    Http,
    Other,
}

fn classify(first: u8) -> FirstBytes {
    match first {
        0x16 => FirstBytes::Tls,
        b'A'..=b'Z' => FirstBytes::Http,
        _ => FirstBytes::Other,
    }
}

const PLAIN_HTTP_RESPONSE: &[u8] = b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 42\r\nConnection: close\r\n\r\nplain HTTP request sent to the HTTPS port\n";

/// Serve one accepted connection over TLS. `permit` is its connection slot.
#[allow(clippy::too_many_arguments)]
pub(super) async fn serve<A, S, R>(
    tls: Arc<TlsShared>,
    app: A,
    stream: Connection,
    peer: SocketAddr,
    mut stop: watch::Receiver<bool>,
    pool: Rc<Cell<vec::Vec<ConnectionParts>>>,
    options: ServerOptions,
    permit: OwnedSemaphorePermit,
    room: Room,
) where
    A: Deref<Target = App<S, R>>,
    R: Dispatch<S>,
{
    let Ok(stream) = registered(stream) else { return };
    let handshaken = tokio::select! {
        done = handshake(&tls, stream, permit, &room) => done,
        _ = stop.wait_for(|stopping| *stopping) => None,
    };
    let Some((stream, permit)) = handshaken else { return };
    let make = |timer, slot| TlsTransport {
        stream,
        clock: TokioTransport::new(Connection::Closed, timer, slot),
    };
    // Boxed: a connection waiting for its ClientHello keeps only the small
    // future above, not the engine's.
    Box::pin(serve_pooled(app, peer, stop, pool, options, permit, room.join(), make)).await;
}

/// Phases 1 and 2: the encrypted stream and its connection slot, or
/// `None` (closed: not TLS, too slow, a failed handshake).
async fn handshake(
    tls: &TlsShared,
    stream: TcpStream,
    permit: OwnedSemaphorePermit,
    room: &Room,
) -> Option<(TlsStream<TcpStream>, OwnedSemaphorePermit)> {
    let now = Instant::now();
    // A time-out beyond the clock's range: the default one instead.
    let deadline = now
        .checked_add(tls.handshake_timeout)
        .or_else(|| now.checked_add(Duration::from_secs(10)))
        .unwrap_or(now);
    let waiting = tls.waiting.clone().try_acquire_owned().ok();
    // With a waiting place, the slot goes back at once (see the module doc).
    let mut slot = Some(permit);
    if waiting.is_some() {
        // Explicitly: a value not moved out lives to the end of its scope.
        drop(slot.take());
    }
    let mut first = [0u8; 1];
    match timeout_at(deadline, stream.peek(&mut first)).await {
        Some(Ok(n)) if n > 0 => {}
        _ => return None,
    }
    match classify(first[0]) {
        FirstBytes::Tls => {}
        FirstBytes::Http => {
            answer_plain_http(stream).await;
            return None;
        }
        FirstBytes::Other => return None,
    }
    drop(waiting);
    if slot.is_none() {
        slot = Some(timeout_at(deadline, room.slot()).await?);
    }
    let _handshaking = timeout_at(deadline, tls.handshakes.clone().acquire_owned())
        .await?
        .ok()?;
    let encrypted = timeout_at(deadline, tls.acceptor.accept(stream)).await?.ok()?;
    Some((encrypted, slot?))
}

async fn timeout_at<F: core::future::Future>(deadline: Instant, fut: F) -> Option<F::Output> {
    tokio::time::timeout_at(deadline, fut).await.ok()
}

/// The socket registered with the reactor: the TLS stream reads through
/// tokio, and a handshake rarely completes without waiting anyway.
fn registered(stream: Connection) -> io::Result<TcpStream> {
    match stream {
        Connection::Unregistered(stream) => TcpStream::from_std(stream),
        Connection::Registered(stream) => Ok(stream),
        Connection::Closed => Err(io::ErrorKind::NotConnected.into()),
    }
}

/// Answer plain HTTP with 400 and close gracefully: read (and drop) what the
/// client sent, so that closing does not reset the connection before the
/// client has read the answer.
async fn answer_plain_http(mut stream: TcpStream) {
    let answer = async {
        stream.write_all(PLAIN_HTTP_RESPONSE).await?;
        stream.shutdown().await?;
        let mut scratch = [0u8; 1024];
        let mut budget: usize = 64 * 1024;
        while budget > 0 {
            match stream.read(&mut scratch).await? {
                0 => break,
                n => budget = budget.saturating_sub(n),
            }
        }
        io::Result::Ok(())
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), answer).await;
}

/// An encrypted connection as the engine's [`Transport`]. The deadline
/// timer and the connection's slot are those of a [`TokioTransport`] whose
/// own socket is unused, so deadlines behave exactly as on plain
/// connections and shutdown and eviction see TLS connections too.
///
/// RAM: rustls keeps the TLS records in flight — a received record is
/// at most 16 KiB + 256 B, and sent records are bounded by the engine's
/// response buffer, which it flushes before filling again — on top of a
/// plain connection's buffers. See the README's Security section for the
/// measured figure.
pub struct TlsTransport {
    stream: TlsStream<TcpStream>,
    clock: TokioTransport,
}

impl TlsTransport {
    /// Send close_notify and FIN; then, unless the engine reported nothing
    /// unread, read and drop what the client still sends for a moment (see
    /// [`TokioTransport`]'s lingering close).
    async fn shutdown(&mut self, scratch: &mut [u8]) {
        let _ = tokio::time::timeout(Duration::from_millis(100), self.stream.shutdown()).await;
        if self.clock.slot.state.idle.get() {
            return;
        }
        let linger = async {
            let mut budget: usize = 256 * 1024;
            while budget > 0 {
                match self.stream.read(scratch).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => budget = budget.saturating_sub(n),
                }
            }
        };
        let _ = tokio::time::timeout(Duration::from_millis(500), linger).await;
    }
}

impl Pooled for TlsTransport {
    async fn close(&mut self, scratch: &mut [u8]) {
        self.shutdown(scratch).await;
    }

    fn into_timer(self) -> Pin<Box<Sleep>> {
        self.clock.timer
    }
}

/// A peer that closes without close_notify has closed, whatever rustls
/// calls it.
fn tls_error(e: io::Error) -> IoError {
    match e.kind() {
        io::ErrorKind::UnexpectedEof => IoError::Closed,
        _ => io_error(e),
    }
}

impl Transport for TlsTransport {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<Result<usize, IoError>> {
        let mut rb = ReadBuf::new(buf);
        match Pin::new(&mut self.stream).poll_read(cx, &mut rb) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(rb.filled().len())),
            Poll::Ready(Err(e)) => Poll::Ready(Err(tls_error(e))),
            Poll::Pending if self.clock.timed_out(cx) => Poll::Ready(Err(IoError::TimedOut)),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<Result<usize, IoError>> {
        match Pin::new(&mut self.stream).poll_write(cx, buf) {
            Poll::Ready(r) => Poll::Ready(r.map_err(tls_error)),
            Poll::Pending if self.clock.timed_out(cx) => Poll::Ready(Err(IoError::TimedOut)),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), IoError>> {
        match Pin::new(&mut self.stream).poll_flush(cx) {
            Poll::Ready(r) => Poll::Ready(r.map_err(tls_error)),
            Poll::Pending if self.clock.timed_out(cx) => Poll::Ready(Err(IoError::TimedOut)),
            Poll::Pending => Poll::Pending,
        }
    }

    fn set_deadline(&mut self, ms: Option<u32>) {
        self.clock.set_deadline(ms);
    }

    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.clock.poll_deadline(cx)
    }

    fn set_idle(&mut self, idle: bool) {
        self.clock.set_idle(idle);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_bytes() {
        assert_eq!(classify(0x16), FirstBytes::Tls);
        for method in [&b"GET"[..], b"POST", b"PUT", b"HEAD", b"OPTIONS", b"PRI"] {
            assert_eq!(classify(method[0]), FirstBytes::Http);
        }
        for other in [0u8, 0x15, 0x17, 0x80, b'g', b'\r'] {
            assert_eq!(classify(other), FirstBytes::Other);
        }
    }

    #[test]
    fn plain_http_answer_is_well_formed() {
        let text = core::str::from_utf8(PLAIN_HTTP_RESPONSE).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&std::format!("Content-Length: {}", body.len())));
        assert!(body.contains("plain HTTP request sent to the HTTPS port"));
    }
}
