//! The host runtime: serve an [`App`] with tokio.
//!
//! ```
//! use ferrodot::prelude::*;
//! use ferrodot::rt::tokio::{Server, ServerOptions};
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!
//! async fn hello() -> &'static str { "hello" }
//! ferrodot::routes! { Hello<()> { GET "/" => hello } }
//! static APP: App<(), Hello> = App::new((), Hello);
//!
//! # let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
//! # tokio::task::LocalSet::new().block_on(&runtime, async {
//! let server = Server::bind("127.0.0.1:0").await?.options(ServerOptions { max_connections: 4, ..Default::default() });
//! let addr = server.local_addr()?;
//! let (done, shutdown) = tokio::sync::oneshot::channel::<()>();
//! let client = async move {
//!     let mut socket = tokio::net::TcpStream::connect(addr).await?;
//!     socket.write_all(b"GET / HTTP/1.1\r\nHost: cam\r\nConnection: close\r\n\r\n").await?;
//!     let mut response = Vec::new();
//!     socket.read_to_end(&mut response).await?;
//!     let _ = done.send(());
//!     Ok::<_, std::io::Error>(response)
//! };
//! // Serve until the shutdown future completes (here: once the client has its answer).
//! let (served, response) = tokio::join!(server.serve_with_shutdown(&APP, async { let _ = shutdown.await; }), client);
//! served?;
//! assert!(response?.ends_with(b"hello"));
//! # Ok::<(), std::io::Error>(())
//! # })?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Connections run as local tasks on the calling thread (a `LocalSet`),
//! like the one-executor model of a microcontroller: handlers need not be
//! `Send`, and one core serves everything. Run several servers (one per
//! port) in the same `LocalSet`, or one per thread. A connection whose
//! request has arrived with it (see [`ServerOptions::defer_accept`]) is
//! first served inside the accept loop; it gets a task, and a place in the
//! reactor, only if it has to wait.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::ops::Deref;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;
use std::vec;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpSocket, TcpStream, ToSocketAddrs};
use tokio::sync::{watch, Semaphore};
use tokio::time::{Instant, Sleep};

use crate::app::{App, Dispatch};
use crate::io::{IoError, Transport};
use crate::rt::idle::{longest_idle, IdleOrder};
use crate::server::serve_connection;

#[cfg(unix)]
mod accept;
mod background;
#[cfg(unix)]
use accept::{defer_accept, Acceptor};
pub use background::{Background, StopSignal};
#[cfg(feature = "tls-rustls")]
mod tls;
#[cfg(feature = "portal")]
pub mod udp;
#[cfg(target_os = "linux")]
mod zero_copy;
#[cfg(feature = "tls-rustls")]
pub use tls::{Tls, TlsTransport};

/// Per-server settings of the host runtime.
#[derive(Debug, Clone, Copy)]
pub struct ServerOptions {
    /// Connections served at once; more wait in the kernel's accept queue.
    pub max_connections: usize,
    /// Request buffer per connection (heads and collected bodies).
    pub rx_buffer: usize,
    /// Response buffer per connection.
    pub tx_buffer: usize,
    /// After shutdown is asked for, how long in-flight requests may take.
    pub shutdown_grace: Duration,
    /// Let the kernel hand over a connection only once its first bytes
    /// have arrived (`TCP_DEFER_ACCEPT` on Linux, ignored elsewhere), as
    /// Apache does by default and nginx with `listen … deferred`. A
    /// connection that sends nothing waits in the kernel for a second
    /// instead of taking a slot (then it is handed over and its first-byte
    /// timeout runs), and one that has sent its request is read at once and
    /// joins the reactor only if it has to wait: about a fifth less server
    /// CPU per short-lived connection. On by default.
    pub defer_accept: bool,
    /// When every connection slot is taken and another connection
    /// arrives, close the connection that has been idle the longest (it
    /// never sent a byte, or waits between keep-alive requests) to make
    /// room; one inside a request, a WebSocket or an event stream is never
    /// closed for this (see [`crate::rt::idle`]). Off, a newcomer waits
    /// until a connection ends or times out. On by default.
    pub evict_idle: bool,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            max_connections: 64,
            rx_buffer: 4096,
            tx_buffer: 4096,
            shutdown_grace: Duration::from_secs(5),
            defer_accept: true,
            evict_idle: true,
        }
    }
}

/// A bound listening socket, ready to serve.
pub struct Server {
    listener: TcpListener,
    options: ServerOptions,
    /// Whether the kernel defers accepting (`options.defer_accept` took).
    deferred: bool,
    /// HTTPS: set by [`Server::tls`].
    #[cfg(feature = "tls-rustls")]
    tls: Option<Arc<tls::TlsShared>>,
    /// Set by [`Server::admit`].
    admit: Option<Admit>,
}

/// Decides, per accepted connection, whether it is served.
type Admit = std::boxed::Box<dyn FnMut(SocketAddr) -> bool + Send>;

impl Server {
    /// Bind `addr`. Errors say which address could not be bound and why.
    pub async fn bind(addr: impl ToSocketAddrs + std::fmt::Display) -> io::Result<Server> {
        let display = std::format!("{addr}");
        match listen(addr).await {
            Ok(listener) => Ok(Server::from_listener(listener)),
            Err(e) => Err(io::Error::new(
                e.kind(),
                std::format!("cannot listen on {display}: {e}"),
            )),
        }
    }

    /// Use an already bound listener.
    pub fn from_listener(listener: TcpListener) -> Server {
        Server {
            listener,
            options: ServerOptions::default(),
            deferred: false,
            #[cfg(feature = "tls-rustls")]
            tls: None,
            admit: None,
        }
    }

    /// Ask `admit(peer)` about every new connection; one it refuses is
    /// closed at once, before it takes a slot or a byte is read. For a
    /// limit on new connections per second, see
    /// `middleware::ratelimit::ConnectionRate` (feature `ratelimit`).
    pub fn admit(mut self, admit: impl FnMut(SocketAddr) -> bool + Send + 'static) -> Self {
        self.admit = Some(std::boxed::Box::new(admit));
        self
    }

    /// Replaces the per-server settings (connection slots, buffers, shutdown
    /// grace, deferred accept).
    pub fn options(mut self, options: ServerOptions) -> Self {
        self.options = options;
        // Now rather than when serving starts: the connections in between
        // would not be deferred.
        self.deferred = options.defer_accept && defer_accept(&self.listener);
        self
    }

    /// Serve HTTPS: every connection is a TLS one (see [`Tls`] for the
    /// handshake limits; an `Arc<rustls::ServerConfig>` takes the defaults).
    #[cfg(feature = "tls-rustls")]
    pub fn tls(mut self, tls: impl Into<Tls>) -> Self {
        self.tls = Some(Arc::new(tls::TlsShared::new(tls.into())));
        self
    }

    /// The address the listener is bound to (the port chosen when bound to port
    /// 0).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serve until the process ends. Must run inside a `LocalSet`.
    pub async fn serve<A, S, R>(self, app: A) -> io::Result<()>
    where
        A: Deref<Target = App<S, R>> + Clone + 'static,
        S: 'static,
        R: Dispatch<S> + 'static,
    {
        self.serve_with_shutdown(app, std::future::pending()).await
    }

    /// Serve until `shutdown` completes; then stop accepting, let
    /// in-flight requests finish within the grace period, and return.
    pub async fn serve_with_shutdown<A, S, R>(self, app: A, shutdown: impl Future<Output = ()>) -> io::Result<()>
    where
        A: Deref<Target = App<S, R>> + Clone + 'static,
        S: 'static,
        R: Dispatch<S> + 'static,
    {
        app.validate()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e.message()))?;
        let options = self.options;
        let mut admit = self.admit;
        let mut listener = Acceptor::new(self.listener, self.deferred)?;
        let slots = Arc::new(Semaphore::new(options.max_connections.max(1)));
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut tasks = tokio::task::JoinSet::new();
        tokio::pin!(shutdown);
        let pool: Rc<Cell<vec::Vec<ConnectionParts>>> = Rc::new(Cell::new(vec::Vec::new()));
        let board = Rc::new(Board::default());
        loop {
            // Without eviction, a connection is accepted only when a slot
            // is free; with it, the one that arrives while all are taken is
            // the signal to make room.
            let mut permit = None;
            if !options.evict_idle {
                permit = tokio::select! {
                    _ = &mut shutdown => break,
                    permit = slots.clone().acquire_owned() => permit.ok(),
                };
                if permit.is_none() {
                    break;
                }
            }
            let accepted = tokio::select! {
                _ = &mut shutdown => break,
                accepted = listener.accept() => accepted,
            };
            let (stream, peer) = match accepted {
                Ok(pair) => pair,
                // Running out of file descriptors must not end the server.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            };
            if admit.as_mut().is_some_and(|admit| !admit(peer)) {
                drop(stream);
                continue;
            }
            let permit = match permit {
                Some(permit) => permit,
                None => tokio::select! {
                    _ = &mut shutdown => break,
                    permit = make_room(&slots, &board) => permit,
                },
            };
            let app = app.clone();
            let stop = stop_rx.clone();
            let pool = pool.clone();
            #[cfg(feature = "tls-rustls")]
            if let Some(tls) = &self.tls {
                let room = Room {
                    slots: slots.clone(),
                    board: board.clone(),
                };
                tasks.spawn_local(tls::serve(
                    tls.clone(),
                    app,
                    stream,
                    peer,
                    stop,
                    pool,
                    options,
                    permit,
                    room,
                ));
                while tasks.try_join_next().is_some() {}
                continue;
            }
            let slot = Slot {
                board: board.clone(),
                state: board.join(),
            };
            // Boxed, the task tokio moves around is a pointer, not the
            // whole connection state.
            let connection = serve_pooled(app, peer, stop, pool, options, permit, slot, |timer, slot| {
                TokioTransport::new(stream, timer, slot)
            });
            let mut connection = std::boxed::Box::pin(connection);
            // A deferred connection has sent its request: most are answered
            // and closed in one go, here, without a task of their own. One
            // that has to wait gets a task, whose first poll takes over the
            // wake-ups registered meanwhile.
            if !self.deferred || !poll_inline(connection.as_mut()).await {
                tasks.spawn_local(connection);
            }
            while tasks.try_join_next().is_some() {}
        }
        drop(listener);
        let _ = stop_tx.send(true);
        let drain = async { while tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(options.shutdown_grace, drain).await.is_err() {
            tasks.abort_all();
        }
        Ok(())
    }
}

/// A free slot's permit; when none is free, evict the connection idle the
/// longest and wait for its slot. If none is idle, or the chosen one has
/// become busy meanwhile, look again now and then.
async fn make_room(slots: &Arc<Semaphore>, board: &Board) -> tokio::sync::OwnedSemaphorePermit {
    loop {
        if let Ok(permit) = slots.clone().try_acquire_owned() {
            return permit;
        }
        board.evict_longest_idle();
        tokio::select! {
            // The semaphore is never closed.
            Ok(permit) = slots.clone().acquire_owned() => return permit,
            _ = tokio::time::sleep(Duration::from_millis(50)) => {}
        }
    }
}

/// The connection slots and their board, for a connection that takes its
/// slot later (a TLS one, after its ClientHello).
#[cfg_attr(not(feature = "tls-rustls"), allow(dead_code))]
struct Room {
    slots: Arc<Semaphore>,
    board: Rc<Board>,
}

#[cfg_attr(not(feature = "tls-rustls"), allow(dead_code))]
impl Room {
    async fn slot(&self) -> tokio::sync::OwnedSemaphorePermit {
        make_room(&self.slots, &self.board).await
    }

    fn join(&self) -> Slot {
        Slot {
            board: self.board.clone(),
            state: self.board.join(),
        }
    }
}

/// A transport the pool serves: it closes itself, and gives its timer back.
trait Pooled: Transport {
    async fn close(&mut self, scratch: &mut [u8]);
    fn into_timer(self) -> Pin<std::boxed::Box<Sleep>>;
}

impl Pooled for TokioTransport {
    async fn close(&mut self, scratch: &mut [u8]) {
        self.shutdown(scratch).await;
    }

    fn into_timer(self) -> Pin<std::boxed::Box<Sleep>> {
        self.timer
    }
}

/// Poll a connection once, in the caller's task; whether it is done. A
/// handler that panics ends its connection, not the server, as it would in
/// a task of its own.
async fn poll_inline(mut connection: Pin<&mut impl Future<Output = ()>>) -> bool {
    std::future::poll_fn(|cx| {
        let polled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| connection.as_mut().poll(cx)));
        Poll::Ready(!matches!(polled, Ok(Poll::Pending)))
    })
    .await
}

/// Serve one connection with parts from `pool`, and put them back. `make`
/// builds its transport around the pooled timer and its `slot`.
#[allow(clippy::too_many_arguments)]
async fn serve_pooled<A, S, R, T: Pooled>(
    app: A,
    peer: SocketAddr,
    mut stop: watch::Receiver<bool>,
    pool: Rc<Cell<vec::Vec<ConnectionParts>>>,
    options: ServerOptions,
    permit: tokio::sync::OwnedSemaphorePermit,
    slot: Slot,
    make: impl FnOnce(Pin<std::boxed::Box<Sleep>>, Slot) -> T,
) where
    A: Deref<Target = App<S, R>>,
    R: Dispatch<S>,
{
    let mut free = pool.take();
    let ConnectionParts { mut rx, mut tx, timer } = free.pop().unwrap_or_else(|| ConnectionParts::new(&options));
    pool.set(free);
    let state = slot.state.clone();
    let board = slot.board.clone();
    let mut transport = make(timer, slot);
    // On shutdown, a connection waiting for its next request is ended; one
    // inside a request finishes it first.
    let stopped_while_idle = async {
        let _ = stop.wait_for(|stopping| *stopping).await;
        while !state.idle.get() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    // Biased: the connection is polled first, so one that has just
    // received a request is busy by the time its eviction is looked at.
    let stopped = tokio::select! {
        biased;
        _ = serve_connection(&*app, &mut transport, &mut rx, &mut tx, Some(peer)) => false,
        _ = stopped_while_idle => true,
        _ = state.evicted() => true,
    };
    if stopped && !state.evict.get() {
        // A request may be on its way: close gracefully.
        state.idle.set(false);
    }
    transport.close(&mut rx).await;
    let timer = transport.into_timer();
    board.leave(&state);
    let mut free = pool.take();
    free.push(ConnectionParts { rx, tx, timer });
    pool.set(free);
    drop(permit);
}

/// The live connections of one server, for eviction.
#[derive(Default)]
struct Board {
    live: RefCell<vec::Vec<Rc<ConnState>>>,
    /// States of ended connections, for new ones.
    spare: RefCell<vec::Vec<Rc<ConnState>>>,
    order: IdleOrder,
}

impl Board {
    fn join(&self) -> Rc<ConnState> {
        let state = self.spare.borrow_mut().pop().unwrap_or_default();
        state.idle.set(false);
        state.evict.set(false);
        self.live.borrow_mut().push(state.clone());
        state
    }

    fn leave(&self, state: &Rc<ConnState>) {
        let mut live = self.live.borrow_mut();
        if let Some(at) = live.iter().position(|s| Rc::ptr_eq(s, state)) {
            let state = live.swap_remove(at);
            state.waker.take();
            self.spare.borrow_mut().push(state);
        }
    }

    /// Ask the connection idle the longest to close.
    fn evict_longest_idle(&self) {
        let live = self.live.borrow();
        let marks = live
            .iter()
            .enumerate()
            .map(|(i, s)| (i, (s.idle.get() && !s.evict.get()).then(|| s.since.get())));
        if let Some(state) = longest_idle(marks).and_then(|i| live.get(i)) {
            state.evict.set(true);
            if let Some(waker) = state.waker.take() {
                waker.wake();
            }
        }
    }
}

/// What a connection shares with the accept loop.
#[derive(Default)]
struct ConnState {
    /// Waiting for its next request with nothing buffered (see
    /// [`Transport::set_idle`]).
    idle: Cell<bool>,
    /// Its [`IdleOrder`] mark from when it last became idle.
    since: Cell<u32>,
    /// The accept loop asked it to make room.
    evict: Cell<bool>,
    waker: Cell<Option<Waker>>,
}

impl ConnState {
    /// Ready once the connection is asked to make room while it is idle.
    fn evicted(&self) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(|cx| {
            if self.evict.get() && self.idle.get() {
                return Poll::Ready(());
            }
            self.waker.set(Some(cx.waker().clone()));
            Poll::Pending
        })
    }
}

/// A connection's place on its server's board.
struct Slot {
    board: Rc<Board>,
    state: Rc<ConnState>,
}

impl Slot {
    fn set_idle(&self, idle: bool) {
        let state = &self.state;
        if idle && !state.idle.get() {
            state.since.set(self.board.order.next());
        }
        if !idle {
            // Busy again before it could act on an eviction: the accept
            // loop picks another.
            state.evict.set(false);
        }
        state.idle.set(idle);
    }
}

/// Elsewhere, tokio's own accept loop.
#[cfg(not(unix))]
struct Acceptor(TcpListener);

#[cfg(not(unix))]
impl Acceptor {
    fn new(listener: TcpListener, _deferred: bool) -> io::Result<Acceptor> {
        Ok(Acceptor(listener))
    }

    async fn accept(&mut self) -> io::Result<(Connection, SocketAddr)> {
        let (stream, peer) = self.0.accept().await?;
        let _ = stream.set_nodelay(true);
        Ok((Connection::Registered(stream), peer))
    }
}

#[cfg(not(unix))]
fn defer_accept(_listener: &TcpListener) -> bool {
    false
}

/// Like `TcpListener::bind` (the first address that binds, address reuse,
/// a backlog of 1024), with `TCP_NODELAY` on the listening socket: Linux
/// copies it to every accepted socket, which saves a syscall per
/// connection.
async fn listen(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
    let mut last_error = None;
    for addr in tokio::net::lookup_host(addr).await? {
        let socket = if addr.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        #[cfg(unix)]
        socket.set_reuseaddr(true)?;
        let _ = socket.set_nodelay(true);
        match socket.bind(addr) {
            Ok(()) => return socket.listen(1024),
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error.unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address to listen on")))
}

/// Serve `app` on `addr` until Ctrl-C, on a single-threaded runtime:
/// Microdot's `app.run()`.
pub fn run<A, S, R>(app: A, addr: &str) -> io::Result<()>
where
    A: Deref<Target = App<S, R>> + Clone + 'static,
    S: 'static,
    R: Dispatch<S> + 'static,
{
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async move {
        let server = Server::bind(addr).await?;
        server.serve_with_shutdown(app, ctrl_c()).await
    })
}

async fn ctrl_c() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let (Ok(mut int), Ok(mut term)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// What a connection needs besides its socket. Closed connections leave
/// theirs for new ones: allocating and zeroing buffers and creating a timer
/// cost more than serving a request.
struct ConnectionParts {
    rx: vec::Vec<u8>,
    tx: vec::Vec<u8>,
    timer: Pin<std::boxed::Box<Sleep>>,
}

impl ConnectionParts {
    fn new(options: &ServerOptions) -> Self {
        ConnectionParts {
            rx: vec![0u8; options.rx_buffer],
            tx: vec![0u8; options.tx_buffer],
            timer: std::boxed::Box::pin(tokio::time::sleep(Duration::ZERO)),
        }
    }
}

/// A connection's socket. With deferred accept it starts unregistered and
/// is read and written directly; it joins tokio's reactor only when an
/// operation would block, so a request answered at once costs no
/// `epoll_ctl` at all.
enum Connection {
    Unregistered(std::net::TcpStream),
    Registered(TcpStream),
    /// Registering failed; the socket is gone.
    Closed,
}

impl Connection {
    /// The registered stream, registering it first if need be.
    fn registered(&mut self) -> io::Result<&mut TcpStream> {
        if let Connection::Unregistered(_) = self {
            if let Connection::Unregistered(stream) = std::mem::replace(self, Connection::Closed) {
                *self = Connection::Registered(TcpStream::from_std(stream)?);
            }
        }
        match self {
            Connection::Registered(stream) => Ok(stream),
            _ => Err(io::ErrorKind::NotConnected.into()),
        }
    }

    /// Try `op` on the socket directly while it is unregistered. `Err`
    /// carries its result; `Ok` is the registered stream to go through
    /// (`op` would have blocked, or the socket was registered already).
    fn direct_or_registered<T>(
        &mut self,
        op: impl FnOnce(&std::net::TcpStream) -> io::Result<T>,
    ) -> Result<&mut TcpStream, io::Result<T>> {
        if let Connection::Unregistered(stream) = self {
            match op(stream) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                done => return Err(done),
            }
        }
        self.registered().map_err(Err)
    }
}

/// A connection's socket as a [`Transport`], with one reusable timer.
///
/// Deadlines are kept cheap because one is set several times per request:
/// the clock is read only when an operation has to wait, and the tokio
/// timer is moved only when a deadline comes earlier than the one it is
/// set for. A later deadline (each keep-alive request pushes the idle one
/// on) leaves it where it is: if it fires first, it is moved on then.
pub struct TokioTransport {
    stream: Connection,
    timer: Pin<std::boxed::Box<Sleep>>,
    /// When `timer` fires, if it is set (it may have fired already).
    timer_at: Option<Instant>,
    deadline: Deadline,
    slot: Slot,
}

#[derive(Clone, Copy)]
enum Deadline {
    None,
    /// This long after the first wait since it was set (nothing waits in
    /// between, so that is when it was set, to within the CPU time spent).
    After(Duration),
    At(Instant),
}

impl TokioTransport {
    fn new(stream: Connection, timer: Pin<std::boxed::Box<Sleep>>, slot: Slot) -> Self {
        TokioTransport {
            stream,
            timer,
            timer_at: None,
            deadline: Deadline::None,
            slot,
        }
    }

    /// Close gracefully: send FIN, then read and drop what the peer still
    /// sends for a moment ("lingering close"). Closing a socket with unread
    /// data makes the kernel send a reset, which can destroy the last
    /// response (a 413, a WebSocket close frame) before the peer reads it.
    /// When the engine reported the connection idle at its end, nothing
    /// the client sent is unread and dropping the socket sends a plain FIN:
    /// no lingering, no extra syscalls (nginx's `lingering_close on`).
    async fn shutdown(&mut self, scratch: &mut [u8]) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        if self.slot.state.idle.get() {
            return;
        }
        let Ok(stream) = self.stream.registered() else { return };
        let _ = tokio::time::timeout(Duration::from_millis(100), stream.shutdown()).await;
        let linger = async {
            let mut budget: usize = 256 * 1024;
            while budget > 0 {
                match stream.read(scratch).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => budget = budget.saturating_sub(n),
                }
            }
        };
        let _ = tokio::time::timeout(Duration::from_millis(500), linger).await;
    }

    /// Whether the deadline has passed; otherwise the timer will wake
    /// `cx` at or before it.
    fn timed_out(&mut self, cx: &mut Context<'_>) -> bool {
        let deadline = match self.deadline {
            Deadline::None => return false,
            Deadline::At(at) => at,
            Deadline::After(wait) => match Instant::now().checked_add(wait) {
                Some(at) => {
                    self.deadline = Deadline::At(at);
                    at
                }
                // Beyond the clock's range: no deadline rather than a panic.
                None => {
                    self.deadline = Deadline::None;
                    return false;
                }
            },
        };
        // The timer may fire early, never late.
        if self.timer_at.is_none_or(|at| at > deadline) {
            self.timer.as_mut().reset(deadline);
            self.timer_at = Some(deadline);
        }
        while self.timer.as_mut().poll(cx).is_ready() {
            if self.timer_at.is_some_and(|at| at >= deadline) {
                return true;
            }
            // It fired for an earlier deadline that has since moved on.
            self.timer.as_mut().reset(deadline);
            self.timer_at = Some(deadline);
        }
        false
    }
}

fn io_error(e: io::Error) -> IoError {
    match e.kind() {
        io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionAborted => {
            IoError::Closed
        }
        io::ErrorKind::TimedOut => IoError::TimedOut,
        _ => IoError::Other,
    }
}

impl Transport for TokioTransport {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<Result<usize, IoError>> {
        let stream = match self
            .stream
            .direct_or_registered(|mut stream| io::Read::read(&mut stream, buf))
        {
            Ok(stream) => stream,
            Err(done) => return Poll::Ready(done.map_err(io_error)),
        };
        let mut rb = ReadBuf::new(buf);
        match Pin::new(stream).poll_read(cx, &mut rb) {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(rb.filled().len())),
            Poll::Ready(Err(e)) => Poll::Ready(Err(io_error(e))),
            Poll::Pending if self.timed_out(cx) => Poll::Ready(Err(IoError::TimedOut)),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<Result<usize, IoError>> {
        let stream = match self
            .stream
            .direct_or_registered(|mut stream| io::Write::write(&mut stream, buf))
        {
            Ok(stream) => stream,
            Err(done) => return Poll::Ready(done.map_err(io_error)),
        };
        match Pin::new(stream).poll_write(cx, buf) {
            Poll::Ready(r) => Poll::Ready(r.map_err(io_error)),
            Poll::Pending if self.timed_out(cx) => Poll::Ready(Err(IoError::TimedOut)),
            Poll::Pending => Poll::Pending,
        }
    }

    /// `sendfile` from a read-only copy of `buf` (see `zero_copy`), or
    /// else a plain write.
    #[cfg(target_os = "linux")]
    fn poll_write_static(&mut self, cx: &mut Context<'_>, buf: &'static [u8]) -> Poll<Result<usize, IoError>> {
        use std::os::fd::AsRawFd;
        let Some(source) = zero_copy::source(buf) else {
            return self.poll_write(cx, buf);
        };
        let stream = match self
            .stream
            .direct_or_registered(|stream| zero_copy::send(stream.as_raw_fd(), source, buf.len()))
        {
            Ok(stream) => stream,
            Err(Ok(Some(n))) => return Poll::Ready(Ok(n)),
            Err(Ok(None)) => return self.poll_write(cx, buf),
            Err(Err(e)) => return Poll::Ready(Err(io_error(e))),
        };
        loop {
            match stream.poll_write_ready(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(io_error(e))),
                Poll::Pending if self.timed_out(cx) => return Poll::Ready(Err(IoError::TimedOut)),
                Poll::Pending => return Poll::Pending,
            }
            let fd = stream.as_raw_fd();
            match stream.try_io(tokio::io::Interest::WRITABLE, || zero_copy::send(fd, source, buf.len())) {
                Ok(Some(n)) => return Poll::Ready(Ok(n)),
                Ok(None) => return self.poll_write(cx, buf),
                // Not writable after all: readiness was cleared, wait again.
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Poll::Ready(Err(io_error(e))),
            }
        }
    }

    /// `send` with `MSG_MORE`: the head waits for its body's first bytes
    /// (one segment instead of two, one wake-up of the peer).
    #[cfg(target_os = "linux")]
    fn poll_write_more(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<Result<usize, IoError>> {
        let more = |stream: &std::net::TcpStream| {
            socket2::SockRef::from(stream).send_with_flags(buf, libc::MSG_MORE | libc::MSG_NOSIGNAL)
        };
        let stream = match self.stream.direct_or_registered(more) {
            Ok(stream) => stream,
            Err(done) => return Poll::Ready(done.map_err(io_error)),
        };
        loop {
            match stream.poll_write_ready(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(io_error(e))),
                Poll::Pending if self.timed_out(cx) => return Poll::Ready(Err(IoError::TimedOut)),
                Poll::Pending => return Poll::Pending,
            }
            let sock = socket2::SockRef::from(&*stream);
            match stream.try_io(tokio::io::Interest::WRITABLE, || {
                sock.send_with_flags(buf, libc::MSG_MORE | libc::MSG_NOSIGNAL)
            }) {
                Ok(n) => return Poll::Ready(Ok(n)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Poll::Ready(Err(io_error(e))),
            }
        }
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), IoError>> {
        match &mut self.stream {
            Connection::Registered(stream) => Pin::new(stream).poll_flush(cx).map_err(io_error),
            // Unbuffered.
            _ => Poll::Ready(Ok(())),
        }
    }

    fn set_deadline(&mut self, ms: Option<u32>) {
        self.deadline = match ms {
            Some(ms) => Deadline::After(Duration::from_millis(u64::from(ms))),
            None => Deadline::None,
        };
    }

    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.timed_out(cx) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    fn set_idle(&mut self, idle: bool) {
        self.slot.set_idle(idle);
    }
}
