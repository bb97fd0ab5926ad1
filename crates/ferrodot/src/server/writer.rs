//! Writing one response: head and body coalesced into one buffer and one
//! socket write when they fit; when the body outgrows the buffer, framed by
//! the length the handler declared ([`ResponseWriter::content_length`]),
//! else chunked (or close-delimited for HTTP/1.0).
//!
//! # States
//!
//! ```text
//!        start()            body outgrows the buffer,        finish()
//!   Idle ────────► Buffering ──────────────────────► Streaming ───────► Done
//!                   │          or flush()                                ▲
//!                   └────────── finish(): head + body in one write ──────┘
//! ```
//!
//! `write` and `finish` in `Idle` start a 200 (`write`) or a 204
//! (`finish`) first.
//!
//! Which flags matter where:
//! - `invalid` (a bad header, a head that does not fit): set in `Buffering`
//!   by `start`, `header` and the hook; checked before anything is sent, so
//!   an invalid response never reaches the socket and becomes a 500.
//! - `committed`: false until the first byte is sent (leaving `Buffering`);
//!   after that `start` cannot restart the response and no 500 can replace it.
//! - `chunked` is part of the `Streaming` stage, decided when `Buffering`
//!   turns into it (a declared length: `Content-Length`; else HTTP/1.1:
//!   chunked, HTTP/1.0: close-delimited); no other stage has it.
//! - `declared` / `accepted`: the declared length and the body bytes taken
//!   so far; more than declared is an error at once, fewer at `finish`.
//! - `setup.keep_alive`: may drop to false in any state (`close_after`, a
//!   broken request body, HTTP/1.0 streaming); the head says
//!   `Connection: close` if it was false when the framing headers went into
//!   the reserve, and the connection reads [`ResponseWriter::keep_alive`]
//!   after `Done`.
//!
//! # Buffer layout
//!
//! While buffering, the body is collected behind the head, with a fixed
//! reserve between them for the framing headers only known at the end:
//!
//! ```text
//!   0          head_len        body_at = head_len + RESERVE      body_end   buf.len()
//!   [ head      ][ reserve (64) ][ body ...................... ][ free ...... ]
//! ```
//!
//! `finish` writes `Content-Length` and the blank line into the reserve,
//! moves the body down against them, and sends `buf[..end]` in one write.
//! When streaming starts, the framing headers go into the reserve. With a
//! declared length the body is moved against them and head and body go in
//! one write; a later slice longer than the whole buffer goes to the port
//! directly. Chunked, the head is sent alone and the first chunk still goes
//! out from behind the old head. After it the head is gone: the reserve
//! stays at the front and holds each chunk-size line just before its data:
//!
//! ```text
//!   0        body_at = RESERVE              body_end   buf.len()
//!   [ reserve ][ body ..................... ][ free ...... ]
//!          └─ "1f4\r\n" written right before body_at; "\r\n" after body_end
//! ```
//!
//! The three offsets live in one `Layout`, whose invariant is
//! `head_len <= body_at` and `body_at + body_len <= buf.len()` (or
//! `body_len == 0`). It keeps every sum far from overflow, and debug builds
//! (the tests, the fuzz targets) assert it; the buffer is only sliced with
//! `get`, so even a broken invariant would give a short slice, not a panic.

use crate::http::parse::Rejection;
use crate::http::response::{is_field_bytes, is_token, write_field, write_header, write_status_line, BufWriter};
use crate::http::Status;
use crate::io::IoError;

use core::cell::Cell;

use super::body::Cursor;
use super::port::{self, Port};

/// Room kept between the head and the body for the headers the engine
/// only writes at the end: at most `Connection: keep-alive\r\n` (24) +
/// `Content-Length: <20 digits>\r\n` (38) + the blank line (2). Once the
/// head is sent, the same room holds each chunk-size line.
const FRAMING_RESERVE: usize = 64;

/// Why writing a response failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteError {
    /// The socket failed; the connection is gone.
    Io(IoError),
    /// The handler produced something unsendable (a bad header, a head
    /// larger than the buffer, JSON that failed to serialise).
    Invalid(&'static str),
}

impl From<IoError> for WriteError {
    fn from(e: IoError) -> Self {
        WriteError::Io(e)
    }
}

/// How error bodies look: Microdot's plain text or MicroServer's and
/// mpgameserver's JSON `{"error": "..."}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorStyle {
    /// `text/plain`: the reason as the body (Microdot).
    Text,
    /// `application/json`: `{"error": "reason"}` (MicroServer, mpgameserver).
    #[cfg(feature = "json-errors")]
    Json,
}

/// A hook that sees each response head (the app's `after_request`): it
/// may add headers. It runs when the response starts, so its headers are
/// in the head before any body byte is buffered behind it.
pub type HeadHook<'w> = &'w dyn Fn(Status, &mut HeadExtras<'_, '_>);

/// Headers an `after_request` hook may add.
pub struct HeadExtras<'a, 'b> {
    head: &'a mut BufWriter<'b>,
    invalid: &'a mut bool,
}

impl HeadExtras<'_, '_> {
    /// Adds a header. An invalid name or value (CR, LF, a framing header such
    /// as `Content-Length`) turns the response into a 500.
    pub fn header(&mut self, name: &str, value: &str) {
        add_header(self.head, self.invalid, name, value.as_bytes(), true);
    }

    /// Add a header whose value `value` writes in place (see
    /// [`ResponseWriter::header_with`]).
    pub fn header_with(&mut self, name: &str, value: impl FnOnce(&mut BufWriter<'_>) -> bool) {
        add_header_with(self.head, self.invalid, name, value);
    }
}

/// `name: <what value writes>\r\n`, or nothing (and `invalid`) when
/// `value` refuses, overflows or writes a CR, LF or NUL.
fn add_header_with(
    head: &mut BufWriter<'_>,
    invalid: &mut bool,
    name: &str,
    value: impl FnOnce(&mut BufWriter<'_>) -> bool,
) {
    if !is_token(name) || is_framing_header(name) {
        *invalid = true;
        return;
    }
    let line_start = head.len();
    head.push_str(name);
    head.push(b": ");
    let value_start = head.len();
    let accepted = value(head);
    let text = head.written().get(value_start..).unwrap_or(&[]);
    let clean = is_field_bytes(text);
    head.push(b"\r\n");
    if !accepted || !clean || head.overflowed() {
        head.truncate(line_start);
        *invalid = true;
    }
}

/// `check_name`: false for the engine's own names (`Content-Type`), which
/// are known to be valid and not framing headers.
fn add_header(head: &mut BufWriter<'_>, invalid: &mut bool, name: &str, value: &[u8], check_name: bool) {
    if (check_name && (!is_token(name) || is_framing_header(name))) || !is_field_bytes(value) {
        *invalid = true;
        return;
    }
    write_field(head, name, value);
}

/// Framing is the engine's job; a handler setting these would desync the stream.
fn is_framing_header(name: &str) -> bool {
    ["content-length", "transfer-encoding", "connection"]
        .iter()
        .any(|h| name.eq_ignore_ascii_case(h))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Nothing written yet.
    Idle,
    /// The head is in the buffer; the body is collected after it.
    Buffering,
    /// The head is sent; body bytes go out as they come, each buffer-full
    /// as one chunk when `chunked`, else as they are.
    Streaming {
        chunked: bool,
    },
    Done,
}

/// Where the head and the buffered body lie in the response buffer (see
/// the drawings above). Invariant: `head_len <= body_at`, and
/// `body_at + body_len <= buf.len()` unless `body_len == 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Layout {
    /// Head bytes at the buffer's start (0 once the head is sent).
    head_len: usize,
    /// Where buffered body bytes start: after the head and the reserve
    /// while buffering, right after the reserve once the head is sent.
    body_at: usize,
    body_len: usize,
}

// Every sum here is bounded by the buffer's length plus the reserve (the
// invariant above), far from `usize::MAX`; the invariant is asserted in
// debug builds, which the tests and fuzz targets run.
#[allow(clippy::arithmetic_side_effects)]
impl Layout {
    /// A new head of `n` bytes and no body yet.
    fn begin(&mut self, n: usize) {
        self.body_len = 0;
        self.head_len = 0;
        self.extend_head(n);
    }

    /// The head grew by `n` header bytes, written into the free space
    /// after it; the body's place moves along (the caller moved any
    /// buffered body bytes first).
    fn extend_head(&mut self, n: usize) {
        self.head_len += n;
        self.body_at = self.head_len + FRAMING_RESERVE;
    }

    /// The framing headers (`n` bytes) went into the reserve: the body
    /// stays where it is.
    fn close_head(&mut self, n: usize) {
        self.head_len += n;
        debug_assert!(self.head_len <= self.body_at);
    }

    fn body_end(&self) -> usize {
        self.body_at + self.body_len
    }

    /// Free body space in a buffer of `cap` bytes.
    fn free(&self, cap: usize) -> usize {
        cap.saturating_sub(self.body_end())
    }

    /// Count `n` body bytes written into the free space (`n <= free`).
    fn add_body(&mut self, n: usize, cap: usize) {
        debug_assert!(n <= self.free(cap));
        self.body_len += n;
    }

    /// Everything buffered was sent: the head is gone and the whole
    /// buffer after the reserve is body space.
    fn sent(&mut self) {
        self.head_len = 0;
        self.body_at = FRAMING_RESERVE;
        self.body_len = 0;
    }
}

/// Per-response settings from the connection.
#[derive(Clone, Copy)]
pub(crate) struct WriterSetup {
    pub head_only: bool,
    pub keep_alive: bool,
    pub http10: bool,
    pub server: Option<&'static str>,
    pub error_style: ErrorStyle,
    #[cfg(feature = "std")]
    pub clock: Option<fn() -> u64>,
}

/// Writes the response to the current request.
pub struct ResponseWriter<'w> {
    port: &'w dyn Port,
    buf: &'w mut [u8],
    setup: WriterSetup,
    hook: Option<HeadHook<'w>>,
    /// The request body's cursor: a body that could not be read to its
    /// end (too large, malformed, timed out) means the connection closes,
    /// and the response must say so.
    body: Option<&'w Cell<Cursor>>,
    stage: Stage,
    status: Status,
    at: Layout,
    /// Body bytes of a HEAD response, counted but not sent.
    discarded: u64,
    invalid: bool,
    committed: bool,
    /// The body's length, when the handler declared it ([`ResponseWriter::content_length`]).
    declared: Option<u64>,
    /// Body bytes accepted so far (buffered or sent), checked against `declared`.
    accepted: u64,
}

impl<'w> ResponseWriter<'w> {
    pub(crate) fn new(port: &'w dyn Port, buf: &'w mut [u8], setup: WriterSetup, hook: Option<HeadHook<'w>>) -> Self {
        ResponseWriter {
            port,
            buf,
            setup,
            hook,
            body: None,
            stage: Stage::Idle,
            status: Status::OK,
            at: Layout {
                head_len: 0,
                body_at: FRAMING_RESERVE,
                body_len: 0,
            },
            discarded: 0,
            invalid: false,
            committed: false,
            declared: None,
            accepted: 0,
        }
    }

    /// Watch the request body: if reading it fails, the response carries
    /// `Connection: close`.
    pub(crate) fn watch_body(&mut self, cursor: &'w Cell<Cursor>) {
        self.body = Some(cursor);
    }

    /// The status of the response started so far.
    pub fn status(&self) -> Status {
        self.status
    }

    /// Whether the connection stays open after this response.
    pub fn keep_alive(&self) -> bool {
        self.setup.keep_alive && !self.body.is_some_and(|c| c.get().broken)
    }

    /// Ask for the connection to close after this response.
    pub fn close_after(&mut self) {
        self.setup.keep_alive = false;
    }

    /// True once any byte of this response reached the socket.
    pub fn is_committed(&self) -> bool {
        self.committed
    }

    pub(crate) fn is_done(&self) -> bool {
        matches!(self.stage, Stage::Done)
    }

    /// How error bodies are styled for this app.
    pub fn error_style(&self) -> ErrorStyle {
        self.setup.error_style
    }

    /// Begin the response with `status`: writes the status line.
    /// Starting again before anything was sent discards the first start.
    pub fn start(&mut self, status: Status) {
        if self.committed {
            self.invalid = true;
            return;
        }
        self.status = status;
        self.invalid = false;
        self.discarded = 0;
        self.declared = None;
        self.accepted = 0;
        let mut head = BufWriter::new(&mut *self.buf);
        write_status_line(&mut head, status);
        if let Some(server) = self.setup.server {
            write_header(&mut head, "Server", server);
        }
        #[cfg(feature = "std")]
        if let Some(now) = self.setup.clock {
            head.push(b"Date: ");
            head.push(&crate::http::date::format_cached(now()));
            head.push(b"\r\n");
        }
        self.at.begin(head.len());
        self.invalid |= head.overflowed();
        if let Some(hook) = self.hook {
            let mut invalid = self.invalid;
            let mut head = self.head();
            hook(
                status,
                &mut HeadExtras {
                    head: &mut head,
                    invalid: &mut invalid,
                },
            );
            let (n, over) = (head.len(), head.overflowed());
            self.at.extend_head(n);
            self.invalid = invalid || over;
        }
        self.stage = Stage::Buffering;
    }

    fn head(&mut self) -> BufWriter<'_> {
        let tail = self.buf.get_mut(self.at.head_len..).unwrap_or(&mut []);
        BufWriter::new(tail)
    }

    /// Add a header. Invalid names or values (CR/LF injection), and the
    /// framing headers the engine owns, make the response a 500. A header
    /// added after some body was buffered moves that body along.
    pub fn header(&mut self, name: &str, value: &str) {
        self.add_line(name, value.as_bytes(), true);
    }

    /// [`ResponseWriter::header`] with a value formatted as bytes (ASCII),
    /// checked alike.
    pub(crate) fn header_raw(&mut self, name: &str, value: &[u8]) {
        self.add_line(name, value, true);
    }

    /// Add a header whose value `value` writes straight into the head (a
    /// cookie, a signed token), so it needs no buffer of its own. A value
    /// that `value` refuses (returns `false`), that does not fit, or that
    /// holds a CR, LF or NUL makes the response a 500. Call it before any
    /// body is written.
    pub fn header_with(&mut self, name: &str, value: impl FnOnce(&mut BufWriter<'_>) -> bool) {
        if !matches!(self.stage, Stage::Buffering) || self.at.body_len > 0 {
            self.invalid = true;
            return;
        }
        let mut invalid = self.invalid;
        let mut head = self.head();
        add_header_with(&mut head, &mut invalid, name, value);
        let n = head.len();
        self.at.extend_head(n);
        self.invalid = invalid;
    }

    /// Declare the body's length before writing it (a file, an asset): a body
    /// larger than the buffer then goes out with `Content-Length` and the
    /// connection stays open, instead of chunked framing. Writing more than
    /// `len` bytes, or fewer by [`ResponseWriter::finish`], is an error (a 500
    /// if nothing was sent yet, else the connection closes). A HEAD or 304
    /// response need not write the body at all: `len` is its length.
    pub fn content_length(&mut self, len: u64) {
        if !matches!(self.stage, Stage::Buffering) {
            self.invalid = true;
            return;
        }
        self.declared = Some(len);
    }

    /// Whether body bytes reach the client: not for HEAD, 1xx, 204 and 304,
    /// whose bodies are only measured.
    fn sends_body(&self) -> bool {
        !self.setup.head_only && self.status.has_body()
    }

    /// Count `n` body bytes against the declared length.
    fn accept(&mut self, n: usize) -> Result<(), WriteError> {
        self.accepted = self.accepted.saturating_add(n as u64);
        match self.declared {
            Some(len) if self.accepted > len => Err(WriteError::Invalid("body longer than its Content-Length")),
            _ => Ok(()),
        }
    }

    /// Set `Content-Type`, like [`ResponseWriter::header`] without
    /// checking the name again on every response.
    pub fn content_type(&mut self, value: &str) {
        self.add_line("Content-Type", value.as_bytes(), false);
    }

    fn add_line(&mut self, name: &str, value: &[u8], check_name: bool) {
        if !matches!(self.stage, Stage::Buffering) {
            self.invalid = true;
            return;
        }
        // `name: value\r\n`; saturating, so an absurd length fails the fit check.
        let line = name.len().saturating_add(value.len()).saturating_add(4);
        if self.at.body_len > 0 {
            let (from, body_end) = (self.at.body_at, self.at.body_end());
            if body_end.saturating_add(line) > self.buf.len() {
                self.invalid = true;
                return;
            }
            crate::shift::copy_within(self.buf, from..body_end, from.saturating_add(line));
        }
        let mut invalid = self.invalid;
        let mut head = self.head();
        add_header(&mut head, &mut invalid, name, value, check_name);
        let (n, over) = (head.len(), head.overflowed());
        self.at.extend_head(n);
        self.invalid = invalid || over || (self.at.body_len > 0 && n != line);
    }

    /// Free space for body bytes in the buffer.
    pub fn body_capacity(&self) -> usize {
        self.at.free(self.buf.len())
    }

    /// Borrow the free body space, to render into it directly; then call
    /// [`ResponseWriter::commit_body`] with how much was written.
    pub fn body_space(&mut self) -> &mut [u8] {
        let at = self.at.body_end();
        self.buf.get_mut(at..).unwrap_or(&mut [])
    }

    /// The whole response buffer, for a protocol that took the connection
    /// over (a WebSocket after its 101): no HTTP response follows.
    #[cfg(feature = "ws")]
    pub(crate) fn upgraded_buffer(&mut self) -> &mut [u8] {
        &mut *self.buf
    }

    /// Count `n` bytes rendered into [`ResponseWriter::body_space`]. More than
    /// a declared [`ResponseWriter::content_length`] makes the response invalid.
    pub fn commit_body(&mut self, n: usize) {
        // `n` is the caller's word: count no more than the free space.
        let n = n.min(self.body_capacity());
        self.at.add_body(n, self.buf.len());
        if self.accept(n).is_err() {
            self.invalid = true;
        }
    }

    /// Append body bytes.
    pub async fn write(&mut self, mut bytes: &[u8]) -> Result<(), WriteError> {
        if matches!(self.stage, Stage::Idle) {
            self.start(Status::OK);
        }
        if self.invalid {
            return Err(WriteError::Invalid("invalid response header"));
        }
        if !self.sends_body() {
            self.discarded = self.discarded.saturating_add(bytes.len() as u64);
            return Ok(());
        }
        self.accept(bytes.len())?;
        while !bytes.is_empty() {
            let room = self.body_capacity();
            if room == 0 {
                self.flush_body().await?;
                // With its length declared there is no framing to add: what
                // would only be copied through the empty buffer piece by
                // piece goes to the port in one write.
                if self.declared.is_some() && bytes.len() >= self.body_capacity() {
                    self.committed = true;
                    if !self.port.is_hijacked() {
                        port::write_all(self.port, bytes).await?;
                    }
                    return Ok(());
                }
                continue;
            }
            let n = room.min(bytes.len());
            let (now, later) = bytes.split_at(n);
            if let Some(dst) = self.body_space().get_mut(..n) {
                dst.copy_from_slice(now);
            }
            self.at.add_body(n, self.buf.len());
            bytes = later;
        }
        Ok(())
    }

    /// Send what is buffered: the first time, the head goes with it and
    /// the response switches to its declared `Content-Length`, or else to
    /// chunked (HTTP/1.1) or close-delimited (HTTP/1.0) framing.
    async fn flush_body(&mut self) -> Result<(), WriteError> {
        if matches!(self.stage, Stage::Buffering) {
            let chunked = self.declared.is_none() && !self.setup.http10;
            if !chunked && self.declared.is_none() {
                self.setup.keep_alive = false;
            }
            // The framing headers go into the reserve; the body stays
            // where it is (at `body_at`).
            self.end_head(chunked, self.declared)?;
            self.stage = Stage::Streaming { chunked };
            let end = if chunked {
                self.at.head_len
            } else {
                // No chunk line to put before the body: head and body go in one write.
                let end = self.join_head_and_body()?;
                self.at.sent();
                end
            };
            self.send(0, end).await?;
        }
        if self.at.body_len == 0 {
            return Ok(());
        }
        let start = self.at.body_at;
        if matches!(self.stage, Stage::Streaming { chunked: true }) {
            // The chunk-size line goes into the reserve just before the data.
            let mut line = [0u8; 20];
            let n = hex_line(self.at.body_len, &mut line);
            let at = start.checked_sub(n);
            let end = self.at.body_end();
            match at.and_then(|at| self.buf.get_mut(at..start)).zip(line.get(..n)) {
                Some((dst, src)) => dst.copy_from_slice(src),
                None => port::write_all(self.port, line.get(..n).unwrap_or(&[])).await?,
            }
            let from = at.unwrap_or(start);
            if let Some(crlf) = self.buf.get_mut(end..).and_then(|rest| rest.get_mut(..2)) {
                crlf.copy_from_slice(b"\r\n");
                self.send(from, end.saturating_add(2)).await?;
            } else {
                self.send(from, end).await?;
                port::write_all(self.port, b"\r\n").await?;
            }
        } else {
            self.send(start, self.at.body_end()).await?;
        }
        self.at.sent();
        Ok(())
    }

    async fn send(&mut self, from: usize, to: usize) -> Result<(), WriteError> {
        self.committed = true;
        if self.port.is_hijacked() {
            return Ok(());
        }
        let bytes = self.buf.get(from..to).unwrap_or(&[]);
        port::write_all(self.port, bytes).await?;
        Ok(())
    }

    /// Write the framing headers and the blank line into the reserve. They
    /// never reach the buffered body: what does not fit is an error.
    fn end_head(&mut self, chunked: bool, length: Option<u64>) -> Result<(), WriteError> {
        if !self.keep_alive() {
            self.setup.keep_alive = false;
        }
        let status = self.status;
        let (keep_alive, http10) = (self.setup.keep_alive, self.setup.http10);
        let limit = self.at.body_at.min(self.buf.len());
        let mut head = BufWriter::new(self.buf.get_mut(self.at.head_len..limit).unwrap_or(&mut []));
        if !keep_alive {
            write_header(&mut head, "Connection", "close");
        } else if http10 {
            write_header(&mut head, "Connection", "keep-alive");
        }
        if chunked {
            write_header(&mut head, "Transfer-Encoding", "chunked");
        } else if let Some(n) = length {
            // RFC 9110 §8.6: no Content-Length on 1xx and 204.
            if status.0 >= 200 && status != Status::NO_CONTENT {
                head.push(b"Content-Length: ");
                head.push_u64(n);
                head.push(b"\r\n");
            }
        }
        head.push(b"\r\n");
        let (n, over) = (head.len(), head.overflowed());
        self.at.close_head(n);
        if over || self.invalid {
            return Err(WriteError::Invalid("response head does not fit the buffer"));
        }
        Ok(())
    }

    /// Move the buffered body (at `body_at`) to right after the finished
    /// head, so that both go in one write; returns where they end.
    fn join_head_and_body(&mut self) -> Result<usize, WriteError> {
        let Layout {
            head_len,
            body_at,
            body_len,
        } = self.at;
        let end = head_len.saturating_add(body_len);
        if body_len > 0 {
            let gap = body_at.saturating_sub(head_len);
            let region = self.buf.get_mut(head_len..self.at.body_end());
            let Some(region) = region.filter(|region| gap <= region.len()) else {
                return Err(WriteError::Invalid("response body misplaced"));
            };
            crate::shift::copy_within(region, gap..region.len(), 0);
        }
        Ok(end)
    }

    /// Complete the response.
    pub async fn finish(&mut self) -> Result<(), WriteError> {
        if self.port.is_hijacked() {
            // The handler upgraded the connection: HTTP is over on it.
            self.stage = Stage::Done;
            return Ok(());
        }
        match self.stage {
            Stage::Done => return Ok(()),
            Stage::Idle => self.start(Status::NO_CONTENT),
            _ => {}
        }
        if self.invalid {
            return Err(WriteError::Invalid("invalid response header"));
        }
        let sends_body = self.sends_body();
        if sends_body && self.declared.is_some_and(|len| len != self.accepted) {
            return Err(WriteError::Invalid("body shorter than its Content-Length"));
        }
        if matches!(self.stage, Stage::Buffering) {
            let measured = self.discarded.saturating_add(self.at.body_len as u64);
            let length = self.declared.unwrap_or(measured);
            // A body rendered straight into the buffer (JSON, error text)
            // is measured but not sent for HEAD, 204 and 304.
            if !sends_body {
                self.at.body_len = 0;
            }
            self.end_head(false, Some(length))?;
            let end = self.join_head_and_body()?;
            self.send(0, end).await?;
        } else {
            self.flush_body().await?;
            if matches!(self.stage, Stage::Streaming { chunked: true }) {
                port::write_all(self.port, b"0\r\n\r\n").await?;
            }
        }
        port::flush(self.port).await?;
        self.stage = Stage::Done;
        Ok(())
    }

    /// Send what is buffered now (the head too, switching to chunked
    /// framing): for streams whose parts must not wait, like events.
    pub async fn flush(&mut self) -> Result<(), WriteError> {
        if matches!(self.stage, Stage::Idle) {
            self.start(Status::OK);
        }
        if self.invalid {
            return Err(WriteError::Invalid("invalid response header"));
        }
        if !self.sends_body() {
            return Ok(());
        }
        self.flush_body().await?;
        port::flush(self.port).await?;
        Ok(())
    }

    /// The connection, for timers (see [`crate::server::port::with_timeout`]).
    pub fn port(&self) -> &'w dyn Port {
        self.port
    }

    /// Send a whole body and finish.
    pub async fn body(&mut self, bytes: &[u8]) -> Result<(), WriteError> {
        self.write(bytes).await?;
        self.finish().await
    }

    /// [`ResponseWriter::body`] for bytes that live as long as the program
    /// (a build-time asset). A body whose length was declared
    /// ([`ResponseWriter::content_length`]) and that does not fit the free
    /// buffer goes after the head through [`Port::poll_write_static`], which
    /// may send it without copying it (`sendfile` on Linux with tokio);
    /// anything else, and every body without `std`, as `body` does.
    #[cfg(feature = "std")]
    pub async fn body_static(&mut self, bytes: &'static [u8]) -> Result<(), WriteError> {
        let by_reference = matches!(self.stage, Stage::Buffering)
            && !self.invalid
            && self.sends_body()
            && self.at.body_len == 0
            && self.accepted == 0
            && self.declared == Some(bytes.len() as u64)
            && bytes.len() > self.body_capacity();
        if !by_reference {
            return self.body(bytes).await;
        }
        self.accept(bytes.len())?;
        // As `flush_body` starts a declared-length stream with nothing
        // buffered: the framing headers, then the head alone, marked as
        // followed at once by the body so both may leave together.
        self.end_head(false, self.declared)?;
        self.stage = Stage::Streaming { chunked: false };
        let end = self.join_head_and_body()?;
        self.at.sent();
        self.committed = true;
        if !self.port.is_hijacked() {
            let head = self.buf.get(..end).unwrap_or(&[]);
            port::write_all_static(self.port, head, bytes).await?;
        }
        self.finish().await
    }

    /// [`ResponseWriter::body`] for bytes that live as long as the program:
    /// without `std` there is no other way to send them.
    #[cfg(not(feature = "std"))]
    pub fn body_static(
        &mut self,
        bytes: &'static [u8],
    ) -> impl core::future::Future<Output = Result<(), WriteError>> + use<'_, 'w> {
        self.body(bytes)
    }

    /// Send an error response in the app's error style.
    pub async fn error(&mut self, rejection: Rejection) -> Result<(), WriteError> {
        self.start(rejection.status);
        self.error_body(rejection).await
    }

    /// The error body, after [`ResponseWriter::start`] and any headers.
    /// Rendered straight into the buffer (an error page is small), so
    /// there is one `.await` here, not one per piece of text.
    pub async fn error_body(&mut self, rejection: Rejection) -> Result<(), WriteError> {
        if let Some((name, value)) = rejection.header {
            self.header(name, value);
        }
        let style = self.setup.error_style;
        self.content_type(match style {
            ErrorStyle::Text => "text/plain; charset=utf-8",
            #[cfg(feature = "json-errors")]
            ErrorStyle::Json => "application/json",
        });
        let mut body = BufWriter::new(self.body_space());
        render_error(&mut body, style, rejection);
        let n = body.len();
        self.commit_body(n);
        self.finish().await
    }
}

/// `Not Found: reason\n` or `{"error": "reason"}` (cut to fit `w`).
fn render_error(w: &mut BufWriter<'_>, style: ErrorStyle, rejection: Rejection) {
    let reason = rejection.status.reason();
    match style {
        ErrorStyle::Text => {
            w.push_str(reason);
            if !rejection.reason.is_empty() {
                w.push(b": ");
                w.push_str(rejection.reason);
            }
            w.push(b"\n");
        }
        #[cfg(feature = "json-errors")]
        ErrorStyle::Json => {
            let message = if rejection.reason.is_empty() {
                reason
            } else {
                rejection.reason
            };
            w.push(b"{\"error\": \"");
            push_json_escaped(w, message);
            w.push(b"\"}");
        }
    }
}

/// Write `s` as the inside of a JSON string.
pub(crate) fn push_json_escaped(w: &mut BufWriter<'_>, s: &str) {
    for &b in s.as_bytes() {
        match b {
            b'"' => w.push(b"\\\""),
            b'\\' => w.push(b"\\\\"),
            b'\n' => w.push(b"\\n"),
            0..=0x1f => w.push(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                hex_digit(usize::from(b >> 4)),
                hex_digit(usize::from(b)),
            ]),
            _ => w.push(&[b]),
        }
    }
}

/// The lower-case hex digit of the low four bits of `n`.
fn hex_digit(n: usize) -> u8 {
    b"0123456789abcdef".get(n & 15).copied().unwrap_or(b'0')
}

/// `<hex size>\r\n`, returned at the start of `out`.
// `i` counts down from 16 and stops at 0 (a usize has at most 16 hex
// digits), so `len <= 16` and `len + 2 <= 18`.
#[allow(clippy::arithmetic_side_effects)]
fn hex_line(mut n: usize, out: &mut [u8; 20]) -> usize {
    let mut digits = [0u8; 16];
    let mut i = digits.len();
    loop {
        i -= 1;
        if let Some(d) = digits.get_mut(i) {
            *d = hex_digit(n);
        }
        n >>= 4;
        if n == 0 || i == 0 {
            break;
        }
    }
    let len = digits.len() - i;
    if let (Some(dst), Some(src)) = (out.get_mut(..len), digits.get(i..)) {
        dst.copy_from_slice(src);
    }
    if let Some(crlf) = out.get_mut(len..len + 2) {
        crlf.copy_from_slice(b"\r\n");
    }
    len + 2
}
