//! The bare-metal runtime: serve an [`App`] on embassy-net TCP sockets,
//! with embassy-time deadlines. No heap: every buffer is the caller's.
//!
//! Two ways to run connection slots:
//! - one embassy task per slot, each calling [`serve_slot`] (tasks can be
//!   spread over executors and priorities);
//! - all slots in one future with [`serve_slots`], for a single task.
//!
//! Each slot's RAM is its [`Buffers`] plus the slot future itself; the
//! footprint report (`footprint/`) prints both.

use core::future::Future;
use core::pin::{pin, Pin};
use core::task::{Context, Poll};

use embassy_net::tcp::TcpSocket;
use embassy_net::Stack;
use embassy_time::{Duration, Instant, Timer};

use crate::app::{App, Dispatch};
use crate::io::{IoError, Transport};
use crate::server::serve_connection;

/// The buffers of one connection slot: the TCP socket's own windows and
/// ferrodot's request and response buffers.
pub struct Buffers<const TCP_RX: usize, const TCP_TX: usize, const RX: usize, const TX: usize> {
    pub tcp_rx: [u8; TCP_RX],
    pub tcp_tx: [u8; TCP_TX],
    pub rx: [u8; RX],
    pub tx: [u8; TX],
}

impl<const TCP_RX: usize, const TCP_TX: usize, const RX: usize, const TX: usize> Buffers<TCP_RX, TCP_TX, RX, TX> {
    pub const fn new() -> Self {
        Buffers { tcp_rx: [0; TCP_RX], tcp_tx: [0; TCP_TX], rx: [0; RX], tx: [0; TX] }
    }
}

impl<const TCP_RX: usize, const TCP_TX: usize, const RX: usize, const TX: usize> Default for Buffers<TCP_RX, TCP_TX, RX, TX> {
    fn default() -> Self {
        Self::new()
    }
}

/// Serve connections on `port`, one at a time, forever: accept, serve
/// until the connection ends, close, repeat.
pub async fn serve_slot<S, R, const TCP_RX: usize, const TCP_TX: usize, const RX: usize, const TX: usize>(
    app: &App<S, R>,
    stack: Stack<'_>,
    port: u16,
    buffers: &mut Buffers<TCP_RX, TCP_TX, RX, TX>,
) -> !
where
    R: Dispatch<S>,
{
    loop {
        let mut socket = TcpSocket::new(stack, &mut buffers.tcp_rx, &mut buffers.tcp_tx);
        if socket.accept(port).await.is_err() {
            continue;
        }
        // A response is written in one piece; Nagle would only delay it.
        socket.set_nagle_enabled(false);
        let client = socket.remote_endpoint().map(|ep| core::net::SocketAddr::new(ep.addr.into(), ep.port));
        {
            let mut transport = EmbassyTransport::new(&mut socket);
            let _ = serve_connection(app, &mut transport, &mut buffers.rx, &mut buffers.tx, client).await;
        }
        // Let the last response drain (bounded), then free the slot.
        socket.close();
        let flushed = embassy_futures::select::select(socket.flush(), Timer::after(Duration::from_millis(500))).await;
        if matches!(flushed, embassy_futures::select::Either::Second(())) {
            socket.abort();
        }
    }
}

/// Serve `N` connection slots on `port` from one future.
pub async fn serve_slots<S, R, const N: usize, const TCP_RX: usize, const TCP_TX: usize, const RX: usize, const TX: usize>(
    app: &App<S, R>,
    stack: Stack<'_>,
    port: u16,
    slots: &mut [Buffers<TCP_RX, TCP_TX, RX, TX>; N],
) -> !
where
    R: Dispatch<S>,
{
    let futures = slots.each_mut().map(|buffers| serve_slot(app, stack, port, buffers));
    embassy_futures::join::join_array(futures).await;
    // `serve_slot` never returns; keep the signature honest without a panic.
    loop {
        Timer::after(Duration::from_secs(3600)).await;
    }
}

/// An embassy-net socket as a [`Transport`].
///
/// embassy-net's `read`/`write` futures are stateless `poll_fn`s over the
/// socket (wakers are registered with smoltcp), so polling a fresh one
/// each time is exactly as good as keeping one.
pub struct EmbassyTransport<'s, 'a> {
    socket: &'s mut TcpSocket<'a>,
    deadline: Option<Timer>,
}

impl<'s, 'a> EmbassyTransport<'s, 'a> {
    pub fn new(socket: &'s mut TcpSocket<'a>) -> Self {
        EmbassyTransport { socket, deadline: None }
    }

    fn timed_out(&mut self, cx: &mut Context<'_>) -> bool {
        match &mut self.deadline {
            Some(timer) => Pin::new(timer).poll(cx).is_ready(),
            None => false,
        }
    }
}

impl Transport for EmbassyTransport<'_, '_> {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<Result<usize, IoError>> {
        let polled = pin!(self.socket.read(buf)).poll(cx);
        match polled {
            Poll::Ready(Ok(n)) => Poll::Ready(Ok(n)),
            Poll::Ready(Err(_)) => Poll::Ready(Err(IoError::Closed)),
            Poll::Pending if self.timed_out(cx) => Poll::Ready(Err(IoError::TimedOut)),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<Result<usize, IoError>> {
        let polled = pin!(self.socket.write(buf)).poll(cx);
        match polled {
            Poll::Ready(Ok(n)) => Poll::Ready(Ok(n)),
            Poll::Ready(Err(_)) => Poll::Ready(Err(IoError::Closed)),
            Poll::Pending if self.timed_out(cx) => Poll::Ready(Err(IoError::TimedOut)),
            Poll::Pending => Poll::Pending,
        }
    }

    /// smoltcp sends queued data on its own; waiting for the peer's ACK
    /// here (what embassy-net's `flush` does) would cost a round trip per
    /// response. The slot flushes once, before closing.
    fn poll_flush(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), IoError>> {
        Poll::Ready(Ok(()))
    }

    fn set_deadline(&mut self, ms: Option<u32>) {
        // A deadline past the clock's end is no deadline.
        let at = |ms: u32| Instant::now().checked_add(Duration::from_millis(u64::from(ms))).unwrap_or(Instant::MAX);
        self.deadline = ms.map(|ms| Timer::at(at(ms)));
    }

    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.timed_out(cx) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}
