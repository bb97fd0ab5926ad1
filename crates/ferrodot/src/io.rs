//! The one socket trait the engine talks to.
//!
//! ```
//! use core::task::{Context, Poll};
//! use ferrodot::io::{IoError, Transport};
//! use ferrodot::prelude::*;
//!
//! /// A connection that has received `input` and keeps what is written to it.
//! struct Memory<'a> {
//!     input: &'a [u8],
//!     output: Vec<u8>,
//! }
//!
//! impl Transport for Memory<'_> {
//!     fn poll_read(&mut self, _: &mut Context<'_>, buf: &mut [u8]) -> Poll<Result<usize, IoError>> {
//!         let n = buf.len().min(self.input.len());
//!         buf[..n].copy_from_slice(&self.input[..n]);
//!         self.input = &self.input[n..];
//!         Poll::Ready(Ok(n)) // 0 once `input` is used up: the peer finished
//!     }
//!     fn poll_write(&mut self, _: &mut Context<'_>, buf: &[u8]) -> Poll<Result<usize, IoError>> {
//!         self.output.extend_from_slice(buf);
//!         Poll::Ready(Ok(buf.len()))
//!     }
//!     fn poll_flush(&mut self, _: &mut Context<'_>) -> Poll<Result<(), IoError>> {
//!         Poll::Ready(Ok(()))
//!     }
//!     fn set_deadline(&mut self, _ms: Option<u32>) {}
//! }
//!
//! async fn hello() -> &'static str { "hello" }
//! ferrodot::routes! { Hello<()> { GET "/" => hello } }
//! static APP: App<(), Hello> = App::new((), Hello);
//!
//! let mut socket = Memory { input: b"GET / HTTP/1.1\r\nHost: cam\r\n\r\n", output: Vec::new() };
//! let (mut rx, mut tx) = ([0u8; 1024], [0u8; 1024]);
//! let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! let _ = rt.block_on(ferrodot::server::serve_connection(&APP, &mut socket, &mut rx, &mut tx, None));
//! assert!(socket.output.starts_with(b"HTTP/1.1 200 OK\r\n"));
//! assert!(socket.output.ends_with(b"hello"));
//! ```
//!
//! It is poll-based so it stays object-safe: the engine, the body reader and
//! the response writer all use it through `dyn`, which keeps one copy of the
//! engine in flash whatever the runtime is, and keeps the runtime's types
//! out of handler signatures. Each runtime adapter (`rt::tokio`,
//! `rt::embassy`) implements it for its socket.

use core::task::{Context, Poll};

/// Why a socket operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IoError {
    /// The deadline set with [`Transport::set_deadline`] passed.
    TimedOut,
    /// The peer closed or reset the connection.
    Closed,
    /// Any other socket error.
    Other,
}

/// A byte stream with a deadline, as seen by the connection engine.
pub trait Transport {
    /// Read into `buf`; `Ok(0)` means the peer finished sending.
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<Result<usize, IoError>>;
    /// Write some of `buf`, returning how much was taken.
    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<Result<usize, IoError>>;
    /// Push buffered bytes to the network.
    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), IoError>>;
    /// Write some of `buf`, bytes that live as long as the program (a
    /// build-time asset) and so never change: a transport may give the
    /// kernel a reference to them instead of a copy (`rt::tokio` does, with
    /// `sendfile` on Linux). By default, [`Transport::poll_write`].
    #[cfg(feature = "std")]
    fn poll_write_static(&mut self, cx: &mut Context<'_>, buf: &'static [u8]) -> Poll<Result<usize, IoError>> {
        self.poll_write(cx, buf)
    }
    /// Write some of `buf`, knowing that more bytes follow at once (a
    /// response head before its [`Transport::poll_write_static`] body): a
    /// transport may hold them back to go out together with those
    /// (`MSG_MORE`). By default, [`Transport::poll_write`].
    #[cfg(feature = "std")]
    fn poll_write_more(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<Result<usize, IoError>> {
        self.poll_write(cx, buf)
    }
    /// Fail reads and writes with [`IoError::TimedOut`] once `ms`
    /// milliseconds have passed from now; `None` removes the deadline.
    fn set_deadline(&mut self, ms: Option<u32>);
    /// Ready once the deadline set with [`Transport::set_deadline`] has
    /// passed (never, when none is set): the runtime's timer, lent to the
    /// engine for keep-alive pings and event streams.
    fn poll_deadline(&mut self, _cx: &mut Context<'_>) -> Poll<()> {
        Poll::Pending
    }

    /// The engine is waiting for a new request with nothing buffered
    /// (`true`) or is inside one (`false`). A server shutting down may end
    /// idle connections by reporting end-of-stream while idle. `true` is
    /// also reported when a connection ends after a response with nothing
    /// the client sent left unread: it may be closed without lingering.
    fn set_idle(&mut self, _idle: bool) {}
}
