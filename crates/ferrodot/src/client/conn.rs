//! One HTTP/1.1 connection over any `embedded-io-async` stream (an
//! embassy-net `TcpSocket`, a TLS stream, the tokio adapter), reused for
//! request after request while the server keeps it open.
//!
//! ```
//! # async fn demo<T: embedded_io_async::Read + embedded_io_async::Write>(socket: T) -> Result<(), ferrodot::client::Error> {
//! use ferrodot::client::{Connection, RequestHead};
//! use ferrodot::Method;
//!
//! let mut buf = [0u8; 2048];
//! let mut conn = Connection::new(socket, &mut buf);
//! let response = conn.send(&RequestHead::new(Method::Get, "10.0.2.2", "/status"), b"").await?;
//! let status = response.head.status();
//! let body = response.body.collect().await?;
//! # let _ = (status, body);
//! if !conn.is_reusable() { /* connect again before the next request */ }
//! # Ok(()) }
//! ```
//!
//! The caller owns the buffer: the request head is written into it, the
//! response head is read into it, and the body is decoded in what is left
//! of it, so a connection's RAM is that buffer. A body larger than the
//! buffer is read piece by piece with [`Body::chunk`].

use embedded_io_async::{ErrorKind, Read, Write};

use super::body::BodyDecoder;
use super::request::{BodyLength, RequestHead};
use super::response::{BodyFraming, ResponseHead, ResponseLimits};
use super::Error;

/// A client connection: the stream, the caller's buffer and whether the
/// stream can carry another request.
pub struct Connection<'b, T> {
    io: T,
    buf: &'b mut [u8],
    limits: ResponseLimits,
    reusable: bool,
}

/// A response: its head, and its body still to be read from the stream.
pub struct Response<'c, T> {
    /// Status, reason and header fields.
    pub head: ResponseHead<'c>,
    /// The body, read on demand.
    pub body: Body<'c, T>,
}

/// A response body being read from the stream.
pub struct Body<'c, T> {
    io: &'c mut T,
    /// What is left of the buffer after the head; `buf[start..end]` are
    /// bytes read but not decoded yet.
    buf: &'c mut [u8],
    start: usize,
    end: usize,
    decoder: BodyDecoder,
    /// Set when the body ended cleanly and the server keeps the
    /// connection: the only way the connection becomes reusable again.
    keep: bool,
    reusable: &'c mut bool,
}

fn io_error<E: embedded_io_async::Error>(e: E) -> Error {
    match e.kind() {
        ErrorKind::TimedOut => Error::TimedOut,
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe | ErrorKind::NotConnected => {
            Error::Closed
        }
        _ => Error::Io,
    }
}

impl<'b, T: Read + Write> Connection<'b, T> {
    /// A connection over `io`, an already connected stream, using `buf`
    /// for heads and bodies (2 KiB is plenty for small JSON APIs).
    pub fn new(io: T, buf: &'b mut [u8]) -> Self {
        Connection {
            io,
            buf,
            limits: ResponseLimits::DEFAULT,
            reusable: true,
        }
    }

    /// Other response-head limits.
    pub fn limits(mut self, limits: ResponseLimits) -> Self {
        self.limits = limits;
        self
    }

    /// False after an error, a response the server ends by closing, a body
    /// not read to its end, or `Connection: close`: connect again.
    pub fn is_reusable(&self) -> bool {
        self.reusable
    }

    /// The stream, to close it or connect it again.
    pub fn io(&mut self) -> &mut T {
        &mut self.io
    }

    /// Take the stream back.
    pub fn into_inner(self) -> T {
        self.io
    }

    /// The stream and the buffer, for a protocol that takes over the
    /// stream after a `101` (WebSocket).
    pub fn into_parts(self) -> (T, &'b mut [u8]) {
        (self.io, self.buf)
    }

    /// Mark the connection usable again after the caller connected the
    /// stream anew.
    pub fn reconnected(&mut self) {
        self.reusable = true;
    }

    /// Send `head` and `body` (sent as `Content-Length` unless the head
    /// says chunked, then as one chunk) and read the response head.
    ///
    /// Interim `1xx` responses are skipped; with `expect_continue`, the
    /// body waits for the server's `100 Continue`, and is not sent at all
    /// when the server answers at once (the connection then closes).
    pub async fn send<'c>(&'c mut self, head: &RequestHead<'_>, body: &[u8]) -> Result<Response<'c, T>, Error> {
        if !self.reusable {
            return Err(Error::Closed);
        }
        let mut head = *head;
        if head.body == BodyLength::None && !body.is_empty() {
            head.body = BodyLength::Length(body.len() as u64);
        }
        let n = head.write(self.buf)?;
        // From the first byte on, only a clean end makes it reusable again.
        self.reusable = false;
        self.io
            .write_all(self.buf.get(..n).unwrap_or(&[]))
            .await
            .map_err(io_error)?;
        let mut filled = 0;
        let mut body_sent = false;
        if head.expect_continue && head.body != BodyLength::None {
            self.io.flush().await.map_err(io_error)?;
            let (status, len) = self.read_head(&mut filled).await?;
            if status == 100 {
                self.drop_front(len, &mut filled);
                self.write_body(&head, body).await?;
                body_sent = true;
            }
        } else {
            self.write_body(&head, body).await?;
            body_sent = true;
        }
        loop {
            let (status, len) = self.read_head(&mut filled).await?;
            // 101 ends HTTP on this stream: the caller takes it over.
            if (100..200).contains(&status) && status != 101 {
                self.drop_front(len, &mut filled);
                continue;
            }
            break;
        }
        let parsed_len = match ResponseHead::parse(self.buf.get(..filled).unwrap_or(&[]), &self.limits)? {
            Some(h) => h.len(),
            None => return Err(Error::BadResponse("incomplete head")),
        };
        let (head_bytes, rest) = self.buf.split_at_mut(parsed_len);
        let response_head =
            ResponseHead::parse(head_bytes, &self.limits)?.ok_or(Error::BadResponse("incomplete head"))?;
        let framing = response_head.framing(head.method)?;
        let keep = body_sent
            && !head.close
            && response_head.keeps_alive()
            && framing != BodyFraming::UntilClose
            && response_head.status().0 != 101;
        Ok(Response {
            head: response_head,
            body: Body {
                io: &mut self.io,
                buf: rest,
                start: 0,
                end: filled.saturating_sub(parsed_len),
                decoder: BodyDecoder::new(framing),
                keep,
                reusable: &mut self.reusable,
            },
        })
    }

    async fn write_body(&mut self, head: &RequestHead<'_>, body: &[u8]) -> Result<(), Error> {
        match head.body {
            BodyLength::Chunked => {
                if !body.is_empty() {
                    let mut line = [0u8; 18];
                    let size = super::request::chunk_size_line(body.len(), &mut line);
                    self.io.write_all(size).await.map_err(io_error)?;
                    self.io.write_all(body).await.map_err(io_error)?;
                    self.io.write_all(b"\r\n").await.map_err(io_error)?;
                }
                self.io.write_all(super::request::LAST_CHUNK).await.map_err(io_error)?;
            }
            BodyLength::Length(n) if n != body.len() as u64 => {
                return Err(Error::Request("Content-Length differs from the body given"));
            }
            _ => self.io.write_all(body).await.map_err(io_error)?,
        }
        self.io.flush().await.map_err(io_error)
    }

    /// Read until a whole head is in `buf[..filled]`; its status and length.
    async fn read_head(&mut self, filled: &mut usize) -> Result<(u16, usize), Error> {
        loop {
            if let Some(head) = ResponseHead::parse(self.buf.get(..*filled).unwrap_or(&[]), &self.limits)? {
                return Ok((head.status().0, head.len()));
            }
            let free = self.buf.get_mut(*filled..).unwrap_or(&mut []);
            if free.is_empty() {
                return Err(Error::HeadTooLarge);
            }
            let n = self.io.read(free).await.map_err(io_error)?;
            if n == 0 {
                return Err(Error::Closed);
            }
            *filled = filled.saturating_add(n);
        }
    }

    /// Forget an interim head, keeping whatever followed it.
    fn drop_front(&mut self, len: usize, filled: &mut usize) {
        let end = (*filled).min(self.buf.len());
        self.buf.copy_within(len.min(end)..end, 0);
        *filled = end.saturating_sub(len);
    }
}

impl<'c, T: Read> Body<'c, T> {
    /// The next piece of the body, decoded; empty once it is complete.
    /// Pieces live in the connection's buffer until the next call, so a
    /// body of any size can be streamed through a small buffer.
    pub async fn chunk(&mut self) -> Result<&[u8], Error> {
        loop {
            if self.decoder.is_done() {
                self.finish()?;
                return Ok(&[]);
            }
            if self.start < self.end {
                let (consumed, produced) = {
                    let pending = self.buf.get_mut(self.start..self.end).unwrap_or(&mut []);
                    self.decoder.decode(pending)?
                };
                let data = self.start;
                self.start = self.start.saturating_add(consumed);
                if produced > 0 {
                    if self.decoder.is_done() {
                        self.finish()?;
                    }
                    return Ok(self.buf.get(data..data.saturating_add(produced)).unwrap_or(&[]));
                }
                continue;
            }
            self.start = 0;
            self.end = self.fill(0).await?;
        }
    }

    /// The whole body, collected in the connection's buffer
    /// ([`Error::BodyTooLarge`] when it does not fit).
    pub async fn collect(mut self) -> Result<&'c [u8], Error> {
        let mut filled = 0usize;
        loop {
            if self.start < self.end {
                let (consumed, produced) = {
                    let pending = self.buf.get_mut(self.start..self.end).unwrap_or(&mut []);
                    self.decoder.decode(pending)?
                };
                // Decoded data moves down to join what was collected.
                let from = self.start;
                self.buf.copy_within(from..from.saturating_add(produced), filled);
                filled = filled.saturating_add(produced);
                self.start = from.saturating_add(consumed);
            }
            if self.decoder.is_done() {
                self.finish()?;
                let buf: &'c mut [u8] = core::mem::take(&mut self.buf);
                return Ok(buf.get(..filled).unwrap_or(&[]));
            }
            if self.start >= self.end {
                if filled >= self.buf.len() {
                    return Err(Error::BodyTooLarge);
                }
                self.start = filled;
                self.end = self.fill(filled).await?;
            }
        }
    }

    /// Read and drop the rest of the body, so the connection can be reused.
    pub async fn discard(mut self) -> Result<(), Error> {
        while !self.chunk().await?.is_empty() {}
        Ok(())
    }

    /// The body as JSON (borrowing strings from the buffer where it can).
    #[cfg(feature = "json")]
    pub async fn json<J: serde::Deserialize<'c>>(self) -> Result<J, Error> {
        let bytes = self.collect().await?;
        #[cfg(feature = "std")]
        let value = serde_json::from_slice(bytes).map_err(|_| Error::Json);
        #[cfg(not(feature = "std"))]
        let value = serde_json_core::from_slice(bytes)
            .map(|(v, _)| v)
            .map_err(|_| Error::Json);
        value
    }

    /// Where the bytes read but not decoded are, in the buffer after the
    /// head: what came behind a `101`, for the protocol that follows.
    pub fn unread(&self) -> (usize, usize) {
        (self.start, self.end)
    }

    /// Body bytes the framing still announces (`Content-Length` bodies).
    pub fn remaining(&self) -> Option<u64> {
        self.decoder.remaining()
    }

    /// Read into `buf[at..]`; a close ends a close-delimited body.
    async fn fill(&mut self, at: usize) -> Result<usize, Error> {
        let free = self.buf.get_mut(at..).unwrap_or(&mut []);
        let n = self.io.read(free).await.map_err(io_error)?;
        if n == 0 {
            self.decoder.at_eof()?;
        }
        Ok(at.saturating_add(n))
    }

    /// The body is complete: bytes after it, with no request in flight,
    /// mean the server sent more than it declared.
    fn finish(&mut self) -> Result<(), Error> {
        if self.start < self.end {
            return Err(Error::BadBody("the server sent more bytes than the body it declared"));
        }
        if self.keep {
            *self.reusable = true;
            self.keep = false;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Method;
    use std::vec::Vec;

    /// A stream that hands out `input` in the reads given by `cuts`, the
    /// bytes after `gates[i]` only once `i + 2` requests were written (a
    /// server answers what it was asked), and records what is written.
    struct Script<'a> {
        input: &'a [u8],
        cuts: Vec<usize>,
        gates: Vec<usize>,
        at: usize,
        written: Vec<u8>,
    }

    impl Script<'_> {
        fn requests(&self) -> usize {
            self.written.windows(4).filter(|w| *w == b"\r\n\r\n").count()
        }
    }

    impl embedded_io_async::ErrorType for Script<'_> {
        type Error = core::convert::Infallible;
    }

    impl Read for Script<'_> {
        async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
            let allowed = self
                .gates
                .get(self.requests().saturating_sub(1))
                .copied()
                .unwrap_or(self.input.len());
            let end = self
                .cuts
                .iter()
                .copied()
                .find(|&c| c > self.at)
                .unwrap_or(self.input.len())
                .min(allowed);
            assert!(end > self.at, "the client read past the response it asked for");
            let n = (end - self.at).min(buf.len());
            buf[..n].copy_from_slice(&self.input[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    impl Write for Script<'_> {
        async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
            self.written.extend_from_slice(buf);
            Ok(buf.len())
        }
        async fn flush(&mut self) -> Result<(), Self::Error> {
            Ok(())
        }
    }

    fn block_on<F: core::future::Future>(fut: F) -> F::Output {
        let mut fut = core::pin::pin!(fut);
        let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
        loop {
            if let core::task::Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
                return out;
            }
        }
    }

    const TWO: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7\r\n, world\r\n0\r\nX-T: 1\r\n\r\n\
HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope";

    /// Two responses on one connection (the first after an interim 100),
    /// the stream cut at every byte once: the same bodies every time, and
    /// the connection reusable between them.
    #[test]
    fn two_responses_split_at_every_byte() {
        for cut in 1..TWO.len() {
            let second_at = TWO.windows(8).rposition(|w| w == b"HTTP/1.1").unwrap();
            let mut io = Script {
                input: TWO,
                cuts: std::vec![cut],
                gates: std::vec![second_at],
                at: 0,
                written: Vec::new(),
            };
            let mut buf = [0u8; 256];
            let mut conn = Connection::new(&mut io, &mut buf);
            let head = RequestHead::new(Method::Get, "h", "/a");
            let first = block_on(async {
                let r = conn.send(&head, b"").await?;
                assert_eq!(r.head.status().0, 200);
                Ok::<_, Error>(r.body.collect().await?.to_vec())
            });
            assert_eq!(first.as_deref(), Ok(&b"hello, world"[..]), "cut at {cut}");
            assert!(conn.is_reusable(), "cut at {cut}");
            let second = block_on(async {
                let r = conn.send(&head, b"").await?;
                assert_eq!(r.head.status().0, 404);
                Ok::<_, Error>(r.body.collect().await?.to_vec())
            });
            assert_eq!(second.as_deref(), Ok(&b"nope"[..]), "cut at {cut}");
            assert!(conn.is_reusable());
            assert_eq!(io.written.windows(3).filter(|w| *w == b"GET").count(), 2);
        }
    }

    /// A body far larger than the buffer, streamed piece by piece.
    #[test]
    fn a_body_larger_than_the_buffer_is_streamed() {
        let mut wire = b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n".to_vec();
        wire.extend((0..5000u32).map(|i| (i % 251) as u8));
        let mut io = Script {
            input: &wire,
            cuts: (1..wire.len()).step_by(97).collect(),
            gates: std::vec![],
            at: 0,
            written: Vec::new(),
        };
        let mut buf = [0u8; 128];
        let mut conn = Connection::new(&mut io, &mut buf);
        let got = block_on(async {
            let mut r = conn.send(&RequestHead::new(Method::Get, "h", "/big"), b"").await?;
            let mut all = Vec::new();
            loop {
                let piece = r.body.chunk().await?;
                if piece.is_empty() {
                    break;
                }
                all.extend_from_slice(piece);
            }
            Ok::<_, Error>(all)
        })
        .unwrap();
        assert_eq!(got.len(), 5000);
        assert!(got.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
        assert!(conn.is_reusable());
    }

    /// After `Connection: close` the connection refuses another request
    /// until the caller connects its stream again (on a device:
    /// `conn.io().connect(..)`) and says so.
    #[test]
    fn reconnect_after_the_server_closed() {
        let first = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok";
        let mut io = Script {
            input: first,
            cuts: std::vec![],
            gates: std::vec![],
            at: 0,
            written: Vec::new(),
        };
        let mut buf = [0u8; 256];
        let mut conn = Connection::new(&mut io, &mut buf);
        let head = RequestHead::new(Method::Get, "h", "/");
        let body = block_on(async { conn.send(&head, b"").await?.body.collect().await.map(<[u8]>::to_vec) });
        assert_eq!(body.as_deref(), Ok(&b"ok"[..]));
        assert!(!conn.is_reusable());
        assert!(matches!(block_on(conn.send(&head, b"")), Err(Error::Closed)));
        // "Connect again": the stream starts over.
        let again = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nagain";
        let stream = conn.io();
        (stream.input, stream.at, stream.written) = (again, 0, Vec::new());
        conn.reconnected();
        let body = block_on(async { conn.send(&head, b"").await?.body.collect().await.map(<[u8]>::to_vec) });
        assert_eq!(body.as_deref(), Ok(&b"again"[..]));
        assert!(conn.is_reusable());
    }

    /// Collecting a body larger than the buffer is an error, not a panic,
    /// and the connection is not reused.
    #[test]
    fn collecting_too_much_is_an_error() {
        let mut wire = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n".to_vec();
        wire.extend([b'x'; 1000]);
        let mut io = Script {
            input: &wire,
            cuts: std::vec![],
            gates: std::vec![],
            at: 0,
            written: Vec::new(),
        };
        let mut buf = [0u8; 256];
        let mut conn = Connection::new(&mut io, &mut buf);
        let got = block_on(async {
            conn.send(&RequestHead::new(Method::Get, "h", "/"), b"")
                .await?
                .body
                .collect()
                .await
                .map(|b| b.len())
        });
        assert_eq!(got, Err(Error::BodyTooLarge));
        assert!(!conn.is_reusable());
    }
}
