//! Shared access to the connection's transport.
//!
//! ```
//! use core::task::{Context, Poll};
//! use ferrodot::io::IoError;
//! use ferrodot::server::port::{with_timeout, Port};
//!
//! /// A socket whose deadline has always passed, to show the time-out path.
//! struct Expired;
//!
//! impl Port for Expired {
//!     fn poll_read(&self, _: &mut Context<'_>, _: &mut [u8]) -> Poll<Result<usize, IoError>> {
//!         Poll::Ready(Err(IoError::TimedOut))
//!     }
//!     fn poll_write(&self, _: &mut Context<'_>, _: &[u8]) -> Poll<Result<usize, IoError>> {
//!         Poll::Ready(Err(IoError::TimedOut))
//!     }
//!     fn poll_flush(&self, _: &mut Context<'_>) -> Poll<Result<(), IoError>> {
//!         Poll::Ready(Ok(()))
//!     }
//!     fn set_deadline(&self, _ms: Option<u32>) {}
//!     fn set_idle(&self, _idle: bool) {}
//!     fn poll_deadline(&self, _: &mut Context<'_>) -> Poll<()> {
//!         Poll::Ready(())
//!     }
//!     fn hijack(&self) {}
//!     fn is_hijacked(&self) -> bool {
//!         false
//!     }
//! }
//!
//! let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! assert_eq!(rt.block_on(with_timeout(&Expired, 1000, core::future::pending::<()>())), None);
//! // A future that is ready at once still wins: it is polled first.
//! assert_eq!(rt.block_on(with_timeout(&Expired, 1000, async { 7 })), Some(7));
//! ```
//!
//! The request body (read by a handler) and the response writer both need
//! the socket during one exchange. Each use is a single poll, never held
//! across an `.await`, so a `RefCell` borrow cannot collide; if it ever
//! did, the operation fails with an error instead of panicking.

use core::cell::{Cell, RefCell};
use core::future::poll_fn;
use core::task::{Context, Poll};

use crate::io::{IoError, Transport};

/// The socket as handed to body readers and the response writer.
pub trait Port {
    /// Reads into `buf`, as [`Transport::poll_read`]; `Ok(0)` is the end of the
    /// peer's data.
    fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<Result<usize, IoError>>;
    /// Writes some of `buf`, as [`Transport::poll_write`].
    fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<Result<usize, IoError>>;
    /// Pushes buffered bytes to the network.
    fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<Result<(), IoError>>;
    /// Writes some of `buf`, bytes that never change, as
    /// [`Transport::poll_write_static`]; by default, [`Port::poll_write`].
    #[cfg(feature = "std")]
    fn poll_write_static(&self, cx: &mut Context<'_>, buf: &'static [u8]) -> Poll<Result<usize, IoError>> {
        self.poll_write(cx, buf)
    }
    /// Writes some of `buf`, with more bytes to follow at once, as
    /// [`Transport::poll_write_more`]; by default, [`Port::poll_write`].
    #[cfg(feature = "std")]
    fn poll_write_more(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<Result<usize, IoError>> {
        self.poll_write(cx, buf)
    }
    /// Fails reads and writes with [`IoError::TimedOut`] `ms` milliseconds from
    /// now; `None` removes the deadline.
    fn set_deadline(&self, ms: Option<u32>);
    /// Tells the transport whether the connection waits between requests (see
    /// [`Transport::set_idle`]).
    fn set_idle(&self, idle: bool);
    /// Ready once the deadline has passed, for keep-alive pings and event
    /// streams.
    fn poll_deadline(&self, cx: &mut Context<'_>) -> Poll<()>;
    /// Another protocol (WebSocket) took the connection over: the HTTP
    /// response writer must not write to it any more.
    fn hijack(&self);
    /// Whether [`hijack`](Self::hijack) was called.
    fn is_hijacked(&self) -> bool;
}

pub(crate) struct SharedTransport<'t>(RefCell<&'t mut dyn Transport>, Cell<bool>);

impl<'t> SharedTransport<'t> {
    pub(crate) fn new(t: &'t mut dyn Transport) -> Self {
        SharedTransport(RefCell::new(t), Cell::new(false))
    }
}

impl Port for SharedTransport<'_> {
    fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<Result<usize, IoError>> {
        match self.0.try_borrow_mut() {
            Ok(mut t) => t.poll_read(cx, buf),
            Err(_) => Poll::Ready(Err(IoError::Other)),
        }
    }

    fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<Result<usize, IoError>> {
        match self.0.try_borrow_mut() {
            Ok(mut t) => t.poll_write(cx, buf),
            Err(_) => Poll::Ready(Err(IoError::Other)),
        }
    }

    #[cfg(feature = "std")]
    fn poll_write_static(&self, cx: &mut Context<'_>, buf: &'static [u8]) -> Poll<Result<usize, IoError>> {
        match self.0.try_borrow_mut() {
            Ok(mut t) => t.poll_write_static(cx, buf),
            Err(_) => Poll::Ready(Err(IoError::Other)),
        }
    }

    #[cfg(feature = "std")]
    fn poll_write_more(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<Result<usize, IoError>> {
        match self.0.try_borrow_mut() {
            Ok(mut t) => t.poll_write_more(cx, buf),
            Err(_) => Poll::Ready(Err(IoError::Other)),
        }
    }

    fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<Result<(), IoError>> {
        match self.0.try_borrow_mut() {
            Ok(mut t) => t.poll_flush(cx),
            Err(_) => Poll::Ready(Err(IoError::Other)),
        }
    }

    fn set_deadline(&self, ms: Option<u32>) {
        if let Ok(mut t) = self.0.try_borrow_mut() {
            t.set_deadline(ms);
        }
    }

    fn set_idle(&self, idle: bool) {
        if let Ok(mut t) = self.0.try_borrow_mut() {
            t.set_idle(idle);
        }
    }

    fn poll_deadline(&self, cx: &mut Context<'_>) -> Poll<()> {
        match self.0.try_borrow_mut() {
            Ok(mut t) => t.poll_deadline(cx),
            Err(_) => Poll::Pending,
        }
    }

    fn hijack(&self) {
        self.1.set(true);
    }

    fn is_hijacked(&self) -> bool {
        self.1.get()
    }
}

pub(crate) async fn read(port: &dyn Port, buf: &mut [u8]) -> Result<usize, IoError> {
    // Callers add the count to buffer offsets: a transport that claims more
    // than it was given must not push them past the buffer.
    let n = poll_fn(|cx| port.poll_read(cx, &mut *buf)).await?;
    Ok(n.min(buf.len()))
}

pub(crate) async fn write_all(port: &dyn Port, mut buf: &[u8]) -> Result<(), IoError> {
    while !buf.is_empty() {
        let n = poll_fn(|cx| port.poll_write(cx, buf)).await?;
        if n == 0 {
            return Err(IoError::Closed);
        }
        buf = buf.get(n..).unwrap_or(&[]);
    }
    Ok(())
}

/// [`write_all`] for a response head whose body follows at once, through
/// [`Port::poll_write_more`], then for the body, bytes that never change,
/// through [`Port::poll_write_static`].
#[cfg(feature = "std")]
pub(crate) async fn write_all_static(port: &dyn Port, mut head: &[u8], mut body: &'static [u8]) -> Result<(), IoError> {
    while !head.is_empty() {
        let n = poll_fn(|cx| port.poll_write_more(cx, head)).await?;
        if n == 0 {
            return Err(IoError::Closed);
        }
        head = head.get(n..).unwrap_or(&[]);
    }
    while !body.is_empty() {
        let n = poll_fn(|cx| port.poll_write_static(cx, body)).await?;
        if n == 0 {
            return Err(IoError::Closed);
        }
        body = body.get(n..).unwrap_or(&[]);
    }
    Ok(())
}

/// Run `fut` for at most `ms` milliseconds: `None` if time ran out.
pub async fn with_timeout<F: core::future::Future>(port: &dyn Port, ms: u32, fut: F) -> Option<F::Output> {
    port.set_deadline(Some(ms));
    let deadline = poll_fn(|cx| port.poll_deadline(cx));
    match crate::future::select(fut, deadline).await {
        crate::future::Either::First(out) => Some(out),
        crate::future::Either::Second(()) => None,
    }
}

pub(crate) async fn flush(port: &dyn Port) -> Result<(), IoError> {
    poll_fn(|cx| port.poll_flush(cx)).await
}
