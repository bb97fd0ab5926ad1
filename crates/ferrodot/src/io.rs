//! The one socket trait the engine talks to.
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
