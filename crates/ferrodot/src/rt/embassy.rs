//! The bare-metal runtime: serve an [`App`] on embassy-net TCP sockets,
//! with embassy-time deadlines. No heap: every buffer is the caller's.
//!
//! Two ways to run connection slots:
//! - one embassy task per slot, each calling [`serve_slot`] (tasks can be
//!   spread over executors and priorities);
//! - all slots in one future with [`serve_slots`], for a single task.
//!
//! A connection that is not a bare socket (HTTPS: a TLS session over one)
//! is served with [`serve_stream`] over any `embedded-io-async` stream.
//!
//! Each slot's RAM is its [`Buffers`] plus the slot future itself; the
//! footprint report (`footprint/`) prints both.
//!
//! The slots of one port share a [`SlotBoard`], through which a slot that
//! has just accepted the last free place makes room: smoltcp has no accept
//! queue, so a connection that finds no listening socket is refused at
//! once. When no slot is left listening, the connection idle the longest
//! (never sent a byte, or waits between keep-alive requests) is closed, so
//! the next client finds a listener; a connection inside a request, a
//! WebSocket or an event stream is never closed for this (the policy:
//! [`crate::rt::idle`]).
//!
//! ```ignore
//! static BOARD: SlotBoard<4> = SlotBoard::new();
//! #[embassy_executor::task(pool_size = 4)]
//! async fn http_task(stack: Stack<'static>, buffers: &'static mut SlotBuffers) -> ! {
//!     serve_slot(&APP, stack, 80, buffers, &BOARD).await
//! }
//! ```

use core::cell::RefCell;
use core::future::Future;
use core::pin::{pin, Pin};
use core::task::{Context, Poll, Waker};

use critical_section::Mutex;

use embassy_net::tcp::TcpSocket;
use embassy_net::Stack;
use embassy_time::{Duration, Instant, Timer};

use crate::app::{App, Dispatch};

pub mod stream;
#[cfg(feature = "portal")]
pub mod udp;
pub use self::stream::{serve_stream, StreamTransport};
use crate::io::{IoError, Transport};
use crate::rt::idle::{longest_idle, IdleOrder};
use crate::server::serve_connection;

/// The buffers of one connection slot: the TCP socket's own windows and
/// ferrodot's request and response buffers.
pub struct Buffers<const TCP_RX: usize, const TCP_TX: usize, const RX: usize, const TX: usize> {
    /// The TCP socket's receive window.
    pub tcp_rx: [u8; TCP_RX],
    /// The TCP socket's send buffer.
    pub tcp_tx: [u8; TCP_TX],
    /// ferrodot's request buffer: the head and any body it collects.
    pub rx: [u8; RX],
    /// ferrodot's response buffer: the head and buffered body bytes.
    pub tx: [u8; TX],
}

impl<const TCP_RX: usize, const TCP_TX: usize, const RX: usize, const TX: usize> Buffers<TCP_RX, TCP_TX, RX, TX> {
    /// Zeroed buffers; `const`, so a slot can live in a `static`.
    pub const fn new() -> Self {
        Buffers {
            tcp_rx: [0; TCP_RX],
            tcp_tx: [0; TCP_TX],
            rx: [0; RX],
            tx: [0; TX],
        }
    }
}

impl<const TCP_RX: usize, const TCP_TX: usize, const RX: usize, const TX: usize> Default
    for Buffers<TCP_RX, TCP_TX, RX, TX>
{
    fn default() -> Self {
        Self::new()
    }
}

/// Serve connections on `port`, one at a time, forever: accept, serve
/// until the connection ends, close, repeat. `board` is shared by all
/// slots of `port` (at most `N` of them; more serve without eviction).
pub async fn serve_slot<
    S,
    R,
    const N: usize,
    const TCP_RX: usize,
    const TCP_TX: usize,
    const RX: usize,
    const TX: usize,
>(
    app: &App<S, R>,
    stack: Stack<'_>,
    port: u16,
    buffers: &mut Buffers<TCP_RX, TCP_TX, RX, TX>,
    board: &SlotBoard<N>,
) -> !
where
    R: Dispatch<S>,
{
    let place = board.join().map(|index| Place { board, index });
    loop {
        let mut socket = TcpSocket::new(stack, &mut buffers.tcp_rx, &mut buffers.tcp_tx);
        if socket.accept(port).await.is_err() {
            continue;
        }
        if let Some(place) = &place {
            place.board.accepted(place.index);
        }
        // A response is written in one piece; Nagle would only delay it.
        socket.set_nagle_enabled(false);
        let client = socket
            .remote_endpoint()
            .map(|ep| core::net::SocketAddr::new(ep.addr.into(), ep.port));
        {
            let mut transport = EmbassyTransport {
                socket: &mut socket,
                deadline: Deadline::default(),
                place: place.as_ref().map(|p| p as _),
            };
            let _ = serve_connection(app, &mut transport, &mut buffers.rx, &mut buffers.tx, client).await;
        }
        // Closing counts as free: the slot listens again within moments.
        if let Some(place) = &place {
            place.board.set(place.index, SlotState::Free);
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
pub async fn serve_slots<
    S,
    R,
    const N: usize,
    const TCP_RX: usize,
    const TCP_TX: usize,
    const RX: usize,
    const TX: usize,
>(
    app: &App<S, R>,
    stack: Stack<'_>,
    port: u16,
    slots: &mut [Buffers<TCP_RX, TCP_TX, RX, TX>; N],
) -> !
where
    R: Dispatch<S>,
{
    let board = SlotBoard::<N>::new();
    let futures = slots
        .each_mut()
        .map(|buffers| serve_slot(app, stack, port, buffers, &board));
    embassy_futures::join::join_array(futures).await;
    // `serve_slot` never returns; keep the signature honest without a panic.
    loop {
        Timer::after(Duration::from_secs(3600)).await;
    }
}

/// A connection's embassy-time deadline, shared by the transports here.
#[derive(Default)]
pub(crate) struct Deadline(Option<Timer>);

impl Deadline {
    /// Expire `ms` milliseconds from now; `None` clears it.
    pub(crate) fn set(&mut self, ms: Option<u32>) {
        // A deadline past the clock's end is no deadline.
        let at = |ms: u32| {
            Instant::now()
                .checked_add(Duration::from_millis(u64::from(ms)))
                .unwrap_or(Instant::MAX)
        };
        self.0 = ms.map(|ms| Timer::at(at(ms)));
    }

    /// Whether it has passed (registering the waker if not).
    pub(crate) fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        match &mut self.0 {
            Some(timer) => Pin::new(timer).poll(cx).is_ready(),
            None => false,
        }
    }

    /// [`Transport::poll_deadline`]: ready once it has passed.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.expired(cx) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

/// An embassy-net socket as a [`Transport`].
///
/// embassy-net's `read`/`write` futures are stateless `poll_fn`s over the
/// socket (wakers are registered with smoltcp), so polling a fresh one
/// each time is exactly as good as keeping one.
pub struct EmbassyTransport<'s, 'a> {
    socket: &'s mut TcpSocket<'a>,
    deadline: Deadline,
    /// Its slot on a board, if it serves one.
    place: Option<&'s dyn Tracked>,
}

impl<'s, 'a> EmbassyTransport<'s, 'a> {
    /// A transport outside any [`SlotBoard`]: never evicted.
    pub fn new(socket: &'s mut TcpSocket<'a>) -> Self {
        EmbassyTransport {
            socket,
            deadline: Deadline::default(),
            place: None,
        }
    }

    fn timed_out(&mut self, cx: &mut Context<'_>) -> bool {
        self.deadline.expired(cx)
    }
}

impl Transport for EmbassyTransport<'_, '_> {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<Result<usize, IoError>> {
        let polled = pin!(self.socket.read(buf)).poll(cx);
        match polled {
            Poll::Ready(Ok(n)) => Poll::Ready(Ok(n)),
            Poll::Ready(Err(_)) => Poll::Ready(Err(IoError::Closed)),
            // Asked to make room while idle: end of stream, so the engine
            // closes as after the client's FIN. Bytes that have arrived
            // are read first (above), and make the connection busy.
            Poll::Pending if self.place.is_some_and(|p| p.evicted(cx)) => Poll::Ready(Ok(0)),
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
        self.deadline.set(ms);
    }

    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.deadline.poll(cx)
    }

    fn set_idle(&mut self, idle: bool) {
        if let Some(place) = self.place {
            place.set_idle(idle);
        }
    }
}

/// What the slots of one port know of each other, for making room: which
/// listen and how long each connection has been idle. A `static` shared by
/// slot tasks (it is `Sync`: a critical section guards it), or a local in
/// [`serve_slots`].
pub struct SlotBoard<const N: usize> {
    inner: Mutex<RefCell<Slots<N>>>,
    evict_idle: bool,
}

struct Slots<const N: usize> {
    entries: [Entry; N],
    joined: usize,
    order: IdleOrder,
}

struct Entry {
    state: SlotState,
    /// Asked to close to make room.
    evict: bool,
    /// The slot's task, while it waits to read.
    waker: Option<Waker>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum SlotState {
    /// Listening, or closing and about to listen.
    Free,
    Busy,
    /// Idle since this [`IdleOrder`] mark.
    Idle(u32),
}

impl<const N: usize> SlotBoard<N> {
    /// A board for up to `N` slots, evicting idle connections.
    pub const fn new() -> Self {
        const FREE: Entry = Entry {
            state: SlotState::Free,
            evict: false,
            waker: None,
        };
        SlotBoard {
            inner: Mutex::new(RefCell::new(Slots {
                entries: [FREE; N],
                joined: 0,
                order: IdleOrder::new(),
            })),
            evict_idle: true,
        }
    }

    /// Whether to close the longest-idle connection when no slot is left
    /// listening (on by default). Off, a connection that finds every slot
    /// taken is refused until one ends or times out.
    pub const fn evict_idle(mut self, on: bool) -> Self {
        self.evict_idle = on;
        self
    }

    fn with<T>(&self, f: impl FnOnce(&mut Slots<N>) -> T) -> Option<T> {
        critical_section::with(|cs| {
            self.inner
                .borrow(cs)
                .try_borrow_mut()
                .ok()
                .map(|mut slots| f(&mut slots))
        })
    }

    /// A place for a new slot, if one is left.
    fn join(&self) -> Option<usize> {
        self.with(|slots| {
            let index = slots.joined;
            slots.joined = index.checked_add(1)?;
            (index < N).then_some(index)
        })
        .flatten()
    }

    fn set(&self, index: usize, state: SlotState) {
        self.with(|slots| {
            if let Some(entry) = slots.entries.get_mut(index) {
                entry.state = state;
                entry.evict = false;
            }
        });
    }

    /// Slot `index` has a new connection, idle until it speaks; if no slot
    /// listens any more, make room.
    fn accepted(&self, index: usize) {
        self.with(|slots| {
            let mark = slots.order.next();
            if let Some(entry) = slots.entries.get_mut(index) {
                *entry = Entry {
                    state: SlotState::Idle(mark),
                    evict: false,
                    waker: None,
                };
            }
            slots.make_room(index, self.evict_idle);
        });
    }
}

impl<const N: usize> Default for SlotBoard<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Slots<N> {
    /// With no slot listening (only the ones that joined count), ask the
    /// longest-idle connection other than `except`'s to close, unless one
    /// was asked already.
    fn make_room(&mut self, except: usize, evict_idle: bool) {
        let joined = self.entries.get(..self.joined.min(N)).unwrap_or(&[]);
        if !evict_idle || joined.iter().any(|e| e.state == SlotState::Free || e.evict) {
            return;
        }
        let marks = joined.iter().enumerate().map(|(i, e)| match e.state {
            SlotState::Idle(mark) if i != except => (i, Some(mark)),
            _ => (i, None),
        });
        if let Some(entry) = longest_idle(marks).and_then(|i| self.entries.get_mut(i)) {
            entry.evict = true;
            if let Some(waker) = entry.waker.take() {
                waker.wake();
            }
        }
    }
}

/// A slot's view of its board, without the board's size in its type.
trait Tracked {
    fn set_idle(&self, idle: bool);
    /// Whether the slot's connection is asked to close; if not, `cx` is
    /// woken when it is.
    fn evicted(&self, cx: &mut Context<'_>) -> bool;
}

struct Place<'b, const N: usize> {
    board: &'b SlotBoard<N>,
    index: usize,
}

impl<const N: usize> Tracked for Place<'_, N> {
    fn set_idle(&self, idle: bool) {
        let evict_idle = self.board.evict_idle;
        self.board.with(|slots| {
            let Some(entry) = slots.entries.get_mut(self.index) else {
                return;
            };
            match (idle, entry.state) {
                (true, SlotState::Idle(_)) => {}
                (true, _) => entry.state = SlotState::Idle(slots.order.next()),
                (false, _) => {
                    entry.state = SlotState::Busy;
                    // Busy again before it could close: another makes room.
                    if core::mem::take(&mut entry.evict) {
                        slots.make_room(self.index, evict_idle);
                    }
                }
            }
        });
    }

    fn evicted(&self, cx: &mut Context<'_>) -> bool {
        self.board
            .with(|slots| {
                let Some(entry) = slots.entries.get_mut(self.index) else {
                    return false;
                };
                if entry.evict && matches!(entry.state, SlotState::Idle(_)) {
                    return true;
                }
                if !entry.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    entry.waker = Some(cx.waker().clone());
                }
                false
            })
            .unwrap_or(false)
    }
}
