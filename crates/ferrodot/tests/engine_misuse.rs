//! Counts the engine is handed by code outside it — a transport's read
//! count, a body's `commit_body` — are added to buffer offsets. Absurd
//! ones must end in an answer, never an arithmetic overflow (a panic in
//! these debug-built tests).

mod memio;

use std::task::{Context, Poll};

use ferrodot::io::{IoError, Transport};
use ferrodot::prelude::*;
use ferrodot::server::{serve_connection, WriteError};
use ferrodot::{Content, ResponseWriter};
use memio::{block_on, parse_response};

async fn hello() -> &'static str {
    "hello"
}

/// A body that claims far more bytes than it rendered.
struct Overclaimed;

impl Content for Overclaimed {
    fn content_type(&self) -> &str {
        "text/plain"
    }

    async fn write_body(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        out.write(b"ok").await?;
        out.commit_body(usize::MAX);
        Ok(())
    }
}

async fn overclaimed() -> Overclaimed {
    Overclaimed
}

/// A body that declares `declared` bytes with `content_length` and writes `written`.
struct Declared {
    declared: u64,
    written: usize,
}

impl Content for Declared {
    fn content_type(&self) -> &str {
        "application/octet-stream"
    }

    async fn write_body(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        out.content_length(self.declared);
        for _ in 0..self.written / 100 {
            out.write(&[b'x'; 100]).await?;
        }
        out.write(&vec![b'x'; self.written % 100]).await
    }
}

async fn declared_streamed() -> Declared {
    Declared {
        declared: 3000,
        written: 3000,
    }
}

async fn declared_short() -> Declared {
    Declared {
        declared: 10,
        written: 5,
    }
}

async fn declared_long() -> Declared {
    Declared {
        declared: 5,
        written: 10,
    }
}

async fn declared_short_streamed() -> Declared {
    Declared {
        declared: 3000,
        written: 2000,
    }
}

ferrodot::routes! {
    MisuseRoutes<()> {
        GET "/" => hello,
        GET "/overclaimed" => overclaimed,
        GET "/declared/streamed" => declared_streamed,
        GET "/declared/short" => declared_short,
        GET "/declared/long" => declared_long,
        GET "/declared/short-streamed" => declared_short_streamed,
    }
}

/// Plays its segments one read each; a read may report `claim` instead
/// of the bytes it really copied.
struct Scripted {
    reads: Vec<(Vec<u8>, Option<usize>)>,
    out: Vec<u8>,
}

impl Transport for Scripted {
    fn poll_read(&mut self, _cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<Result<usize, IoError>> {
        if self.reads.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let (bytes, claim) = self.reads.remove(0);
        buf[..bytes.len()].copy_from_slice(&bytes);
        Poll::Ready(Ok(claim.unwrap_or(bytes.len())))
    }

    fn poll_write(&mut self, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<Result<usize, IoError>> {
        self.out.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), IoError>> {
        Poll::Ready(Ok(()))
    }

    fn set_deadline(&mut self, _ms: Option<u32>) {}
}

fn serve(reads: Vec<(Vec<u8>, Option<usize>)>) -> Vec<u8> {
    let app = App::new((), MisuseRoutes);
    let mut t = Scripted { reads, out: Vec::new() };
    let (mut rx, mut tx) = (vec![0u8; 1024], vec![0u8; 512]);
    assert_eq!(block_on(serve_connection(&app, &mut t, &mut rx, &mut tx, None)), Ok(()));
    t.out
}

/// A read reporting `usize::MAX` bytes after an honest one: the count is
/// taken as "the buffer is full", the request is answered.
#[test]
fn transport_overclaiming_a_read_is_survived() {
    let out = serve(vec![
        (b"GET / HTTP/1.1\r\n".to_vec(), None),
        (b"Host: test\r\n\r\n".to_vec(), Some(usize::MAX)),
    ]);
    let (first, _) = parse_response(&out, false);
    assert_eq!(first.status, 200, "{}", memio::lossy(&out));
    assert_eq!(first.body, b"hello");
}

/// A body claiming `usize::MAX` rendered bytes is cut to the buffer.
#[test]
fn body_overclaiming_its_length_is_cut_to_the_buffer() {
    let out = serve(vec![(
        b"GET /overclaimed HTTP/1.1\r\nHost: test\r\n\r\n".to_vec(),
        None,
    )]);
    let (resp, _) = parse_response(&out, false);
    assert_eq!(resp.status, 200, "{}", memio::lossy(&out));
    assert!(resp.body.starts_with(b"ok"));
    assert!(resp.body.len() < 512, "the body is bounded by the response buffer");
}

/// A declared length frames a body larger than the buffer with
/// `Content-Length` (not chunked), and the connection serves the next request.
#[test]
fn declared_length_streams_with_content_length() {
    let out = serve(vec![(
        b"GET /declared/streamed HTTP/1.1\r\nHost: test\r\n\r\nGET / HTTP/1.1\r\nHost: test\r\n\r\n".to_vec(),
        None,
    )]);
    let text = memio::lossy(&out);
    let (first, rest) = parse_response(&out, false);
    assert_eq!(first.status, 200, "{text}");
    assert_eq!(first.body.len(), 3000);
    assert!(
        text.contains("Content-Length: 3000\r\n") && !text.contains("chunked"),
        "{text}"
    );
    let (second, _) = parse_response(&out[rest..], false);
    assert_eq!(second.body, b"hello");
}

/// A body that breaks its declared length: a 500 while nothing was sent;
/// once the head is out, the connection closes (the client sees a short body,
/// never a desynchronised stream).
#[test]
fn a_body_that_breaks_its_declared_length_never_desyncs() {
    for path in ["/declared/short", "/declared/long"] {
        let out = serve(vec![(
            format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").into_bytes(),
            None,
        )]);
        let (resp, _) = parse_response(&out, false);
        assert_eq!(resp.status, 500, "{path}: {}", memio::lossy(&out));
        assert!(
            memio::lossy(&resp.body).contains("Content-Length"),
            "{path}: {}",
            memio::lossy(&out)
        );
    }
    let out = serve(vec![(
        b"GET /declared/short-streamed HTTP/1.1\r\nHost: test\r\n\r\nGET / HTTP/1.1\r\nHost: test\r\n\r\n".to_vec(),
        None,
    )]);
    let text = memio::lossy(&out);
    assert!(
        text.starts_with("HTTP/1.1 200 OK\r\n") && text.contains("Content-Length: 3000\r\n"),
        "{text}"
    );
    assert!(
        !text.contains("hello"),
        "the pipelined request must not be answered: {text}"
    );
    let body_start = text.find("\r\n\r\n").unwrap() + 4;
    assert!(out.len() - body_start < 3000);
}
