//! An in-memory [`Transport`] for driving the connection engine without a
//! socket, a tiny executor to run it, and a strict HTTP/1.1 response
//! parser to read back what the engine wrote.
//!
//! The transport plays a script: a list of input segments. Each
//! `poll_read` returns at most `chunk` bytes and never crosses a segment
//! boundary, so a test controls exactly how a request is split across
//! reads. When the script is used up the peer either finished sending
//! (`Ok(0)`) or went quiet until the engine's deadline passed
//! (`Err(IoError::TimedOut)`). It never returns `Pending`, so the engine
//! must run to completion in one go.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use ferrodot::app::{App, Dispatch};
use ferrodot::io::{IoError, Transport};
use ferrodot::server::serve_connection;

/// What the peer does once the scripted input is used up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Half-close: reads return `Ok(0)`.
    Eof,
    /// Silence until the deadline: reads fail with `TimedOut`.
    Stall,
}

/// Something the engine did to the transport, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A read returned these bytes while this deadline was set.
    Read {
        n: usize,
        deadline: Option<u32>,
    },
    /// A read hit the end of the script.
    Eof,
    /// A read timed out; the deadline in force is recorded.
    TimedOut {
        deadline: Option<u32>,
    },
    /// Bytes written after `consumed` input bytes had been read.
    Write {
        consumed: usize,
        bytes: Vec<u8>,
    },
    Flush,
    Deadline(Option<u32>),
    Idle(bool),
}

pub struct MemTransport {
    segments: VecDeque<Vec<u8>>,
    chunk: usize,
    end: End,
    write_limit: usize,
    /// Input bytes handed to the engine so far.
    pub consumed: usize,
    /// Every byte the engine wrote.
    pub out: Vec<u8>,
    pub events: Vec<Event>,
    pub deadline: Option<u32>,
    reads_past_end: usize,
}

impl MemTransport {
    /// Deliver `segments` in reads of at most `chunk` bytes each.
    pub fn new(segments: Vec<Vec<u8>>, chunk: usize, end: End) -> Self {
        assert!(chunk > 0, "chunk must be at least one byte");
        MemTransport {
            segments: segments.into_iter().filter(|s| !s.is_empty()).collect(),
            chunk,
            end,
            write_limit: usize::MAX,
            consumed: 0,
            out: Vec::new(),
            events: Vec::new(),
            deadline: None,
            reads_past_end: 0,
        }
    }

    /// All of `input` as one segment, read in pieces of `chunk` bytes.
    pub fn chunked(input: &[u8], chunk: usize, end: End) -> Self {
        Self::new(vec![input.to_vec()], chunk, end)
    }

    /// Accept at most `n` bytes per `poll_write` (a slow socket).
    pub fn write_limit(mut self, n: usize) -> Self {
        assert!(n > 0);
        self.write_limit = n;
        self
    }

    /// Input bytes the engine never read.
    pub fn unread(&self) -> usize {
        self.segments.iter().map(Vec::len).sum()
    }

    /// Deadlines in force when reads timed out.
    pub fn timeouts(&self) -> Vec<Option<u32>> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::TimedOut { deadline } => Some(*deadline),
                _ => None,
            })
            .collect()
    }
}

impl Transport for MemTransport {
    fn poll_read(&mut self, _cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<Result<usize, IoError>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let Some(segment) = self.segments.front_mut() else {
            // A correct engine stops reading after end-of-stream or a
            // time-out; looping on it would hang a real server.
            self.reads_past_end += 1;
            assert!(
                self.reads_past_end < 64,
                "the engine keeps reading after the input ended"
            );
            return Poll::Ready(match self.end {
                End::Eof => {
                    self.events.push(Event::Eof);
                    Ok(0)
                }
                End::Stall => {
                    self.events.push(Event::TimedOut {
                        deadline: self.deadline,
                    });
                    Err(IoError::TimedOut)
                }
            });
        };
        let n = segment.len().min(self.chunk).min(buf.len());
        buf[..n].copy_from_slice(&segment[..n]);
        segment.drain(..n);
        if segment.is_empty() {
            self.segments.pop_front();
        }
        self.consumed += n;
        self.events.push(Event::Read {
            n,
            deadline: self.deadline,
        });
        Poll::Ready(Ok(n))
    }

    fn poll_write(&mut self, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<Result<usize, IoError>> {
        let n = buf.len().min(self.write_limit);
        self.out.extend_from_slice(&buf[..n]);
        self.events.push(Event::Write {
            consumed: self.consumed,
            bytes: buf[..n].to_vec(),
        });
        Poll::Ready(Ok(n))
    }

    fn poll_flush(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), IoError>> {
        self.events.push(Event::Flush);
        Poll::Ready(Ok(()))
    }

    fn set_deadline(&mut self, ms: Option<u32>) {
        self.deadline = ms;
        self.events.push(Event::Deadline(ms));
    }

    fn set_idle(&mut self, idle: bool) {
        self.events.push(Event::Idle(idle));
    }
}

/// Poll `fut` to completion. The in-memory transport is always ready, so
/// a future that keeps returning `Pending` is stuck: fail loudly.
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1_000 {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
    }
    panic!("serve_connection is Pending although the transport is always ready");
}

pub const RX: usize = 2048;
pub const TX: usize = 1024;

/// Serve one connection over `t` with the default buffer sizes.
pub fn serve<S, R: Dispatch<S>>(app: &App<S, R>, t: &mut MemTransport) -> Result<(), IoError> {
    serve_with(app, t, RX, TX)
}

pub fn serve_with<S, R: Dispatch<S>>(
    app: &App<S, R>,
    t: &mut MemTransport,
    rx_len: usize,
    tx_len: usize,
) -> Result<(), IoError> {
    let mut rx = vec![0u8; rx_len];
    let mut tx = vec![0u8; tx_len];
    block_on(serve_connection(app, t, &mut rx, &mut tx, None))
}

/// Run `input` through a fresh connection in reads of `chunk` bytes and
/// return what the engine wrote.
pub fn run<S, R: Dispatch<S>>(app: &App<S, R>, input: &[u8], chunk: usize, end: End) -> Vec<u8> {
    let mut t = MemTransport::chunked(input, chunk, end);
    let result = serve(app, &mut t);
    assert_eq!(result, Ok(()), "serve_connection failed");
    t.out
}

/// One response as parsed from the engine's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resp {
    pub status: u16,
    pub reason: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// How the body was framed on the wire.
    pub framing: RespFraming,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RespFraming {
    NoBody,
    Length,
    Chunked,
    UntilClose,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn header_count(&self, name: &str) -> usize {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .count()
    }

    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("response body is not UTF-8")
    }

    /// True when the response announces the connection will close.
    pub fn closes(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Parse one response from the start of `out`; `head` marks a response
/// to HEAD (a head only, whatever its Content-Length says). Returns the
/// response and how many bytes it took. Panics on anything malformed:
/// the engine must never write a broken response.
pub fn parse_response(out: &[u8], head: bool) -> (Resp, usize) {
    let end = find(out, b"\r\n\r\n").unwrap_or_else(|| panic!("no complete response head in {:?}", lossy(out)));
    let text = std::str::from_utf8(&out[..end]).expect("response head is not UTF-8");
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let rest = status_line
        .strip_prefix("HTTP/1.1 ")
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
    assert_eq!(code.len(), 3, "status code must be three digits: {status_line:?}");
    let status: u16 = code.parse().expect("status code is not a number");
    let mut headers = Vec::new();
    for line in lines {
        let (name, value) = line
            .split_once(':')
            .unwrap_or_else(|| panic!("header line without colon: {line:?}"));
        assert!(!name.is_empty() && !name.contains(' '), "bad header name {name:?}");
        headers.push((name.to_string(), value.trim().to_string()));
    }
    let mut resp = Resp {
        status,
        reason: reason.to_string(),
        headers,
        body: Vec::new(),
        framing: RespFraming::NoBody,
    };
    let mut at = end + 4;
    let no_body = head || status < 200 || status == 204 || status == 304;
    if status < 200 || status == 204 {
        assert!(
            resp.header("content-length").is_none(),
            "Content-Length on a {status} response"
        );
        assert!(
            resp.header("transfer-encoding").is_none(),
            "Transfer-Encoding on a {status} response"
        );
    }
    assert!(
        resp.header_count("content-length") <= 1 && resp.header_count("transfer-encoding") <= 1,
        "repeated framing headers: {:?}",
        resp.headers
    );
    if no_body {
        return (resp, at);
    }
    if let Some(te) = resp.header("transfer-encoding") {
        assert_eq!(te, "chunked");
        assert!(
            resp.header("content-length").is_none(),
            "both Content-Length and Transfer-Encoding"
        );
        resp.framing = RespFraming::Chunked;
        loop {
            let line_end = find(&out[at..], b"\r\n").expect("unterminated chunk size line") + at;
            let size_text = std::str::from_utf8(&out[at..line_end]).expect("chunk size not UTF-8");
            let size = usize::from_str_radix(size_text, 16).unwrap_or_else(|_| panic!("bad chunk size {size_text:?}"));
            at = line_end + 2;
            if size == 0 {
                assert_eq!(&out[at..at + 2], b"\r\n", "no trailer terminator");
                at += 2;
                break;
            }
            resp.body.extend_from_slice(&out[at..at + size]);
            at += size;
            assert_eq!(&out[at..at + 2], b"\r\n", "chunk data not followed by CRLF");
            at += 2;
        }
    } else if let Some(len) = resp.header("content-length") {
        let len: usize = len.parse().expect("bad Content-Length");
        resp.framing = RespFraming::Length;
        assert!(out.len() >= at + len, "response body shorter than its Content-Length");
        resp.body = out[at..at + len].to_vec();
        at += len;
    } else {
        resp.framing = RespFraming::UntilClose;
        resp.body = out[at..].to_vec();
        at = out.len();
    }
    (resp, at)
}

/// Parse every response in `out`. `heads[i]` says the `i`-th final
/// (non-1xx) response answers a HEAD request; missing entries are false.
pub fn parse_all(out: &[u8], heads: &[bool]) -> Vec<Resp> {
    let mut rest = out;
    let mut all = Vec::new();
    let mut finals = 0;
    while !rest.is_empty() {
        let head = heads.get(finals).copied().unwrap_or(false);
        let (resp, n) = parse_response(rest, head);
        if resp.status >= 200 {
            finals += 1;
        }
        all.push(resp);
        rest = &rest[n..];
    }
    all
}

pub fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
