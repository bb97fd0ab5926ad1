//! Serve one connection over any `embedded-io-async` stream, not only an
//! embassy-net socket: a TLS session wrapped around a socket, a serial line.
//!
//! ```ignore
//! // After the TLS handshake, the engine sees plain bytes; it never learns
//! // that they were encrypted.
//! let mut tls = TlsStream::new(session);
//! let _ = serve_stream(&APP, &mut tls, &mut rx, &mut tx, client).await;
//! ```
//!
//! The stream's `read`, `write` and `flush` futures are polled once each
//! time the engine polls and dropped when they are pending, so they must
//! be safe to drop (cancel-safe) once pending: dropping one must neither
//! lose bytes nor send bytes that the next call does not account for.
//! embassy-net's socket futures are; a wrapper must make a TLS session's
//! so (the firmware's `tls.rs` shows how for mbedtls-rs).

use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll};

use embedded_io_async::{Error as _, ErrorKind, Read, Write};

use super::Deadline;
use crate::app::{App, Dispatch};
use crate::io::{IoError, Transport};
use crate::server::serve_connection;

/// Serve requests from `stream` until the connection ends (the client's
/// end of stream, an error, a time-out or `Connection: close`). `rx` and
/// `tx` are ferrodot's request and response buffers, as in a slot's
/// [`Buffers`](super::Buffers). The caller closes the stream afterwards.
pub async fn serve_stream<S, R, T>(
    app: &App<S, R>,
    stream: &mut T,
    rx: &mut [u8],
    tx: &mut [u8],
    client: Option<core::net::SocketAddr>,
) -> Result<(), IoError>
where
    R: Dispatch<S>,
    T: Read + Write,
{
    let mut transport = StreamTransport::new(stream);
    serve_connection(app, &mut transport, rx, tx, client).await
}

/// An `embedded-io-async` stream as a [`Transport`], with an embassy-time
/// deadline (see the module doc for what the stream must promise).
pub struct StreamTransport<'s, T> {
    stream: &'s mut T,
    deadline: Deadline,
}

impl<'s, T: Read + Write> StreamTransport<'s, T> {
    /// Borrow `stream` for one connection, with no deadline set yet.
    pub fn new(stream: &'s mut T) -> Self {
        StreamTransport {
            stream,
            deadline: Deadline::default(),
        }
    }

    fn timed_out(&mut self, cx: &mut Context<'_>) -> bool {
        self.deadline.expired(cx)
    }
}

fn io_error(kind: ErrorKind) -> IoError {
    match kind {
        ErrorKind::TimedOut => IoError::TimedOut,
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::NotConnected | ErrorKind::BrokenPipe => {
            IoError::Closed
        }
        _ => IoError::Other,
    }
}

impl<T: Read + Write> Transport for StreamTransport<'_, T> {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<Result<usize, IoError>> {
        let polled = pin!(self.stream.read(buf)).poll(cx);
        match polled {
            Poll::Ready(Ok(n)) => Poll::Ready(Ok(n)),
            Poll::Ready(Err(e)) => Poll::Ready(Err(io_error(e.kind()))),
            Poll::Pending if self.timed_out(cx) => Poll::Ready(Err(IoError::TimedOut)),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<Result<usize, IoError>> {
        let polled = pin!(self.stream.write(buf)).poll(cx);
        match polled {
            Poll::Ready(Ok(n)) => Poll::Ready(Ok(n)),
            Poll::Ready(Err(e)) => Poll::Ready(Err(io_error(e.kind()))),
            Poll::Pending if self.timed_out(cx) => Poll::Ready(Err(IoError::TimedOut)),
            Poll::Pending => Poll::Pending,
        }
    }

    /// Unlike a socket, a stream may hold bytes back until flushed (a TLS
    /// session holds the end of a record), so this flushes the stream.
    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), IoError>> {
        let polled = pin!(self.stream.flush()).poll(cx);
        match polled {
            Poll::Ready(Ok(())) => Poll::Ready(Ok(())),
            Poll::Ready(Err(e)) => Poll::Ready(Err(io_error(e.kind()))),
            Poll::Pending if self.timed_out(cx) => Poll::Ready(Err(IoError::TimedOut)),
            Poll::Pending => Poll::Pending,
        }
    }

    fn set_deadline(&mut self, ms: Option<u32>) {
        self.deadline.set(ms);
    }

    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.deadline.poll(cx)
    }
}
