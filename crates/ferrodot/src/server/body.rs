//! Request bodies as a handler sees them: streamed piece by piece, or
//! collected into the connection buffer after the head.
//!
//! ```
//! use ferrodot::prelude::*;
//! use ferrodot::testing::TestClient;
//!
//! // Streamed: the body goes through a 16-byte buffer, never held whole.
//! async fn count(mut body: BodyReader<'_>) -> Result<String, Rejection> {
//!     let (mut total, mut buf) = (0, [0u8; 16]);
//!     loop {
//!         match body.read(&mut buf).await.map_err(|e| e.rejection())? {
//!             0 => return Ok(total.to_string()),
//!             n => total += n,
//!         }
//!     }
//! }
//! ferrodot::routes! { Upload<()> { POST "/count" => count } }
//! static APP: App<(), Upload> = App::new((), Upload);
//!
//! assert_eq!(TestClient::new(&APP).post("/count", [7u8; 100]).body, b"100");
//! ```
//!
//! The buffer is lent to the first reader that asks for it; the cursor
//! stays in a `Cell` the engine keeps, so after the handler the engine
//! knows where the body ended and where a pipelined request begins.

use core::cell::Cell;
use core::future::Future;

#[cfg(feature = "chunked-requests")]
use crate::http::chunked::ChunkedDecoder;
use crate::http::parse::Rejection;
use crate::http::request::Framing;
use crate::http::Status;
use crate::io::IoError;

use super::port::{self, Port};

/// Where reading of the current body stands.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cursor {
    /// Raw bytes of the connection still unread start here in the buffer…
    pub pos: usize,
    /// …and end here.
    pub filled: usize,
    /// How the rest of the body is framed.
    pub framing: BodyFraming,
    /// Decoded chunk data waiting in the buffer, not yet handed out.
    pub data: (usize, usize),
    /// Body bytes delivered so far, against `limit`.
    pub received: u64,
    pub limit: u64,
    /// `Expect: 100-continue` not yet answered.
    pub continue_pending: bool,
    /// The body could not be read to its end; the connection must close.
    pub broken: bool,
}

/// Without `chunked-requests` no chunked body is ever read (the engine
/// answers 501 first): the decoder's place is taken by a type with no
/// values, so the compiler drops every chunked path.
#[cfg(not(feature = "chunked-requests"))]
#[derive(Debug, Clone, Copy)]
pub(crate) enum ChunkedDecoder {}

#[cfg(not(feature = "chunked-requests"))]
impl ChunkedDecoder {
    fn is_done(&self) -> bool {
        match *self {}
    }

    fn decode_in_place(&mut self, _: &mut [u8]) -> Result<(usize, usize), crate::http::chunked::ChunkError> {
        match *self {}
    }
}

/// A body's framing as it is read. One enum rather than a count beside
/// an `Option` of the decoder: the cursor is copied into several futures.
#[derive(Debug, Clone, Copy)]
pub(crate) enum BodyFraming {
    /// Content-Length bytes still to come (0 without a body).
    Length(u64),
    /// Without `chunked-requests` a chunked request is refused before
    /// its body is read: the variant is matched, never made.
    #[cfg_attr(not(feature = "chunked-requests"), allow(dead_code))]
    Chunked(ChunkedDecoder),
}

impl Cursor {
    pub(crate) fn new(framing: Framing, pos: usize, filled: usize, limit: u64, expect_continue: bool) -> Self {
        let body = match framing {
            Framing::None => BodyFraming::Length(0),
            Framing::Length(n) => BodyFraming::Length(n),
            #[cfg(feature = "chunked-requests")]
            Framing::Chunked => BodyFraming::Chunked(ChunkedDecoder::new()),
            // Refused before any body is read; nothing of it is taken.
            #[cfg(not(feature = "chunked-requests"))]
            Framing::Chunked => BodyFraming::Length(0),
        };
        Cursor {
            pos,
            filled,
            framing: body,
            data: (0, 0),
            received: 0,
            limit,
            continue_pending: expect_continue && framing != Framing::None,
            broken: false,
        }
    }

    /// True once the whole body has been read.
    pub(crate) fn is_done(&self) -> bool {
        match self.framing {
            BodyFraming::Chunked(dec) => dec.is_done() && self.data.0 == self.data.1,
            BodyFraming::Length(remaining) => remaining == 0,
        }
    }
}

/// Why a body could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyError {
    /// Larger than the route or app allows (413).
    TooLarge,
    /// Malformed chunked framing (400).
    Malformed(&'static str),
    /// The client stopped sending (408 on time-out, else the connection is gone).
    Io(IoError),
    /// A second extractor asked for a body already taken (a handler bug: 500).
    AlreadyTaken,
}

impl BodyError {
    /// The response this error calls for: 413, 400, 408 or 500 (see each
    /// variant).
    pub fn rejection(self) -> Rejection {
        match self {
            BodyError::TooLarge => Rejection::new(Status::PAYLOAD_TOO_LARGE, "request body too large"),
            BodyError::Malformed(why) => Rejection::new(Status::BAD_REQUEST, why),
            BodyError::Io(IoError::TimedOut) => Rejection::new(Status::REQUEST_TIMEOUT, "request body timed out"),
            BodyError::Io(_) => Rejection::new(Status::BAD_REQUEST, "request body ended early"),
            BodyError::AlreadyTaken => Rejection::new(Status::INTERNAL_SERVER_ERROR, "request body read twice"),
        }
    }
}

/// The body of the current request, as lent to extractors.
pub struct RequestBody<'b> {
    port: &'b dyn Port,
    buf: Cell<Option<&'b mut [u8]>>,
    cursor: &'b Cell<Cursor>,
    timeout_ms: Option<u32>,
}

impl<'b> RequestBody<'b> {
    pub(crate) fn new(
        port: &'b dyn Port,
        buf: &'b mut [u8],
        cursor: &'b Cell<Cursor>,
        timeout_ms: Option<u32>,
    ) -> Self {
        RequestBody {
            port,
            buf: Cell::new(Some(buf)),
            cursor,
            timeout_ms,
        }
    }

    /// Take the body as a stream. Only one reader per request.
    pub fn reader(&self) -> Result<BodyReader<'b>, BodyError> {
        let buf = self.buf.take().ok_or(BodyError::AlreadyTaken)?;
        Ok(BodyReader {
            port: self.port,
            buf,
            cursor: self.cursor,
            timeout_ms: self.timeout_ms,
        })
    }

    /// Read the whole body into the connection buffer and borrow it.
    /// Bodies larger than the free buffer space get [`BodyError::TooLarge`].
    pub async fn collect(&self) -> Result<&'b [u8], BodyError> {
        self.reader()?.collect().await
    }

    /// Lend the connection to another protocol (a WebSocket): the socket,
    /// the whole buffer, and the range of it already read past the head.
    /// Once the protocol calls [`Port::hijack`], the HTTP engine closes the
    /// connection when the handler returns.
    #[cfg(feature = "ws")]
    pub(crate) fn take_for_upgrade(&self) -> Result<Upgraded<'b>, BodyError> {
        let buf = self.buf.take().ok_or(BodyError::AlreadyTaken)?;
        let cur = self.cursor.get();
        Ok(Upgraded {
            port: self.port,
            buf,
            pending: cur.pos..cur.filled,
        })
    }

    /// The body limit in force for this request.
    pub fn limit(&self) -> u64 {
        self.cursor.get().limit
    }
}

/// A connection handed over to another protocol.
#[cfg(feature = "ws")]
pub(crate) struct Upgraded<'b> {
    pub port: &'b dyn Port,
    pub buf: &'b mut [u8],
    /// Bytes already read past the request head.
    pub pending: core::ops::Range<usize>,
}

/// A streamed request body.
pub struct BodyReader<'b> {
    port: &'b dyn Port,
    buf: &'b mut [u8],
    cursor: &'b Cell<Cursor>,
    timeout_ms: Option<u32>,
}

impl<'b> BodyReader<'b> {
    /// Read the next piece of the body into `out`; `Ok(0)` at its end.
    pub async fn read(&mut self, out: &mut [u8]) -> Result<usize, BodyError> {
        let mut cur = self.cursor.get();
        let result = read_into(self.port, self.buf, &mut cur, out, self.timeout_ms).await;
        cur.broken |= result.is_err();
        put_back(self.cursor, cur);
        result
    }

    /// Read the whole body and borrow it from the connection buffer.
    // An `async move` block rather than an `async fn`, which would hold
    // `self` twice in the future.
    #[allow(clippy::manual_async_fn)]
    pub fn collect(self) -> impl Future<Output = Result<&'b [u8], BodyError>> + use<'b> {
        async move {
            let mut cur = self.cursor.get();
            let result = collect(self.port, &mut *self.buf, &mut cur, self.timeout_ms).await;
            cur.broken |= result.is_err();
            put_back(self.cursor, cur);
            let (start, end) = result?;
            let buf: &'b [u8] = self.buf;
            Ok(buf.get(start..end).unwrap_or(&[]))
        }
    }

    /// The largest body [`BodyReader::collect`] can hold: the connection
    /// buffer's free space after the request head.
    pub fn collect_capacity(&self) -> usize {
        self.buf.len()
    }

    /// Body bytes still to come by `Content-Length`; `None` for a chunked
    /// body, whose size is known only once it is read.
    pub fn remaining_len(&self) -> Option<u64> {
        match self.cursor.get().framing {
            BodyFraming::Length(n) => Some(n),
            BodyFraming::Chunked(_) => None,
        }
    }

    /// The body limit in force for this request (the route's, else the app's).
    pub fn limit(&self) -> u64 {
        self.cursor.get().limit
    }

    /// Read and drop the rest of the body.
    pub async fn discard(&mut self) -> Result<(), BodyError> {
        let mut scratch = [0u8; 64];
        while self.read(&mut scratch).await? != 0 {}
        Ok(())
    }
}

async fn answer_continue(port: &dyn Port, cur: &mut Cursor) -> Result<(), BodyError> {
    if cur.continue_pending {
        cur.continue_pending = false;
        port::write_all(port, b"HTTP/1.1 100 Continue\r\n\r\n")
            .await
            .map_err(BodyError::Io)?;
        port::flush(port).await.map_err(BodyError::Io)?;
    }
    Ok(())
}

async fn fill(port: &dyn Port, dst: &mut [u8], cur: &mut Cursor, timeout_ms: Option<u32>) -> Result<usize, BodyError> {
    answer_continue(port, cur).await?;
    port.set_deadline(timeout_ms);
    match port::read(port, dst).await {
        Ok(0) => Err(BodyError::Io(IoError::Closed)),
        Ok(n) => Ok(n),
        Err(e) => Err(BodyError::Io(e)),
    }
}

fn count(cur: &mut Cursor, n: usize) -> Result<(), BodyError> {
    cur.received = cur.received.saturating_add(n as u64);
    if cur.received > cur.limit {
        return Err(BodyError::TooLarge);
    }
    Ok(())
}

/// `cell.set(cur)`, out of line: in the async frame the compiler cannot
/// tell the cell from the copy it was read into, and the store would be
/// a `memmove` (1.5 KB of flash on a device).
#[inline(never)]
fn put_back(cell: &Cell<Cursor>, cur: Cursor) {
    cell.set(cur);
}

/// Whether the body is chunked and its last chunk and trailers are read.
fn chunked_done(cur: &Cursor) -> bool {
    matches!(cur.framing, BodyFraming::Chunked(decoder) if decoder.is_done())
}

/// Decode the raw bytes buffered at `pos..filled` in place, with the
/// decoder where it lies in the cursor: a copy of it in an async frame,
/// written back after, is a `memmove` on a device (1.5 KB of flash).
/// Returns where the decoded bytes start and how many there are.
// `pos + consumed <= filled`: the decoder consumes at most what it is given.
#[allow(clippy::arithmetic_side_effects)]
fn decode_buffered(buf: &mut [u8], cur: &mut Cursor) -> Result<(usize, usize), BodyError> {
    let at = cur.pos;
    let raw = buf.get_mut(at..cur.filled).ok_or(BodyError::Malformed("buffer"))?;
    let BodyFraming::Chunked(decoder) = &mut cur.framing else {
        return Err(BodyError::Malformed("not chunked"));
    };
    let (consumed, produced) = decoder.decode_in_place(raw).map_err(|e| BodyError::Malformed(e.0))?;
    cur.pos += consumed;
    count(cur, produced)?;
    Ok((at, produced))
}

/// Copy up to `out.len()` bytes of body into `out`.
// Offsets into `buf` only: `pos <= filled <= buf.len()`, decoded data lies
// behind `pos`, a read returns at most the space it was given
// (`port::read`), the decoder produces at most what it consumes, and `n`
// never exceeds `remaining`.
#[allow(clippy::arithmetic_side_effects)]
pub(crate) async fn read_into(
    port: &dyn Port,
    buf: &mut [u8],
    cur: &mut Cursor,
    out: &mut [u8],
    timeout_ms: Option<u32>,
) -> Result<usize, BodyError> {
    if out.is_empty() {
        return Ok(0);
    }
    match cur.framing {
        BodyFraming::Chunked(_) => {}
        BodyFraming::Length(0) => return Ok(0),
        BodyFraming::Length(remaining) => {
            if cur.received.saturating_add(remaining) > cur.limit {
                return Err(BodyError::TooLarge);
            }
            let want = usize::try_from(remaining).unwrap_or(usize::MAX).min(out.len());
            let n = if cur.pos < cur.filled {
                let n = want.min(cur.filled - cur.pos);
                let src = buf.get(cur.pos..cur.pos + n).ok_or(BodyError::Malformed("buffer"))?;
                out.get_mut(..n)
                    .ok_or(BodyError::Malformed("buffer"))?
                    .copy_from_slice(src);
                cur.pos += n;
                n
            } else {
                // Nothing buffered: read straight into the caller's buffer,
                // never past the body's end.
                let dst = out.get_mut(..want).ok_or(BodyError::Malformed("buffer"))?;
                fill(port, dst, cur, timeout_ms).await?
            };
            cur.framing = BodyFraming::Length(remaining - n as u64);
            count(cur, n)?;
            return Ok(n);
        }
    }
    loop {
        let (start, end) = cur.data;
        if start < end {
            let n = (end - start).min(out.len());
            let src = buf.get(start..start + n).ok_or(BodyError::Malformed("buffer"))?;
            out.get_mut(..n)
                .ok_or(BodyError::Malformed("buffer"))?
                .copy_from_slice(src);
            cur.data = (start + n, end);
            return Ok(n);
        }
        if chunked_done(cur) {
            return Ok(0);
        }
        if cur.pos < cur.filled {
            let (at, produced) = decode_buffered(buf, cur)?;
            cur.data = (at, at + produced);
            continue;
        }
        // Buffer drained: refill it from the start. Anything read past
        // the body's end stays there for the next request.
        let n = fill(port, buf, cur, timeout_ms).await?;
        cur.pos = 0;
        cur.filled = n;
        cur.data = (0, 0);
    }
}

/// Read the whole body into `buf`; returns where it lies.
// Offsets into `buf` only, as in `read_into`; `len <= buf.len()` is checked
// before `pos + len`.
#[allow(clippy::arithmetic_side_effects)]
pub(crate) async fn collect(
    port: &dyn Port,
    buf: &mut [u8],
    cur: &mut Cursor,
    timeout_ms: Option<u32>,
) -> Result<(usize, usize), BodyError> {
    match cur.framing {
        BodyFraming::Chunked(_) => {}
        BodyFraming::Length(remaining) => {
            let len = usize::try_from(remaining).map_err(|_| BodyError::TooLarge)?;
            if remaining > cur.limit || len > buf.len() {
                return Err(BodyError::TooLarge);
            }
            if cur.pos + len > buf.len() {
                crate::shift::copy_within(buf, cur.pos..cur.filled, 0);
                cur.filled -= cur.pos;
                cur.pos = 0;
            }
            let end = cur.pos + len;
            while cur.filled < end {
                let dst = buf.get_mut(cur.filled..end).ok_or(BodyError::TooLarge)?;
                cur.filled += fill(port, dst, cur, timeout_ms).await?;
            }
            let start = cur.pos;
            cur.pos = end;
            cur.framing = BodyFraming::Length(0);
            cur.received = len as u64;
            return Ok((start, end));
        }
    }
    // Decoded data grows at `start..data_end`, always behind the raw bytes.
    let start = cur.data.0.min(cur.pos);
    let mut data_end = cur.data.1.max(start);
    loop {
        if chunked_done(cur) {
            cur.data = (data_end, data_end);
            return Ok((start, data_end));
        }
        if cur.pos < cur.filled {
            let (at, produced) = decode_buffered(buf, cur)?;
            crate::shift::copy_within(buf, at..at + produced, data_end);
            data_end += produced;
            continue;
        }
        // All raw bytes consumed: reuse the space behind the data.
        cur.pos = data_end;
        cur.filled = data_end;
        if data_end >= buf.len() {
            return Err(BodyError::TooLarge);
        }
        let dst = buf.get_mut(data_end..).ok_or(BodyError::TooLarge)?;
        let n = fill(port, dst, cur, timeout_ms).await?;
        cur.filled += n;
    }
}
