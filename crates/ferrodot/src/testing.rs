//! Calling an app in-process, without a socket (feature `std`): the
//! `TestClient` of Microdot and of mpgameserver.
//!
//! Each request is rendered as HTTP/1.1 bytes and served by the real
//! connection engine ([`crate::server::serve_connection`]) over an
//! in-memory transport, so routing, extractors, limits and error pages
//! behave exactly as over TCP.
//!
//! ```
//! use ferrodot::prelude::*;
//! use ferrodot::testing::TestClient;
//!
//! async fn hello(Path(name): Path<&str>) -> String { format!("hello {name}") }
//! ferrodot::routes! { Hello<()> { GET "/hello/:name" => hello } }
//!
//! let app = App::new((), Hello);
//! let client = TestClient::new(&app);
//! let resp = client.get("/hello/ada");
//! assert_eq!(resp.status, Status::OK);
//! assert_eq!(resp.text(), "hello ada");
//! assert_eq!(client.post("/hello/ada", "x").status, Status::METHOD_NOT_ALLOWED);
//! ```
//!
//! Requests name a method and a path (`client.get("/user/ada")`), not a
//! method generated per route as mpgameserver's `TestClient` does
//! (`user_get_user("ada")`): the path is what a real client sends.
//!
//! The plain methods (`get`, `send`, …) run the engine on the calling
//! thread until it finishes, which suits handlers that wait only for the
//! request. A handler that awaits a runtime's timers or channels needs
//! that runtime: use [`TestRequest::send_async`] inside it.

use std::string::String;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::vec::Vec;

use crate::app::{App, Dispatch};
use crate::http::{Method, Status};
use crate::io::{IoError, Transport};
use crate::server::serve_connection;

/// An in-process client of one app.
pub struct TestClient<'a, S, R> {
    app: &'a App<S, R>,
    rx: usize,
    tx: usize,
    client: Option<core::net::SocketAddr>,
}

impl<'a, S, R: Dispatch<S>> TestClient<'a, S, R> {
    /// A client with the host runtime's buffer sizes (4 KiB each).
    pub fn new(app: &'a App<S, R>) -> Self {
        TestClient {
            app,
            rx: 4096,
            tx: 4096,
            client: None,
        }
    }

    /// Use other connection buffer sizes (a device's, say).
    pub fn buffers(mut self, rx: usize, tx: usize) -> Self {
        self.rx = rx;
        self.tx = tx;
        self
    }

    /// The client address handlers see (`ClientAddr`); none by default.
    pub fn client_addr(mut self, addr: core::net::SocketAddr) -> Self {
        self.client = Some(addr);
        self
    }

    /// A request to build: `client.request(Method::Put, "/x").header(..).body(..).send()`.
    pub fn request(&self, method: Method, target: &str) -> TestRequest<'_, 'a, S, R> {
        TestRequest {
            client: self,
            method,
            target: String::from(target),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// Sends `GET target` and reads the response.
    pub fn get(&self, target: &str) -> TestResponse {
        self.request(Method::Get, target).send()
    }

    /// Sends `HEAD target`; the response has headers and no body.
    pub fn head(&self, target: &str) -> TestResponse {
        self.request(Method::Head, target).send()
    }

    /// Sends `DELETE target` without a body.
    pub fn delete(&self, target: &str) -> TestResponse {
        self.request(Method::Delete, target).send()
    }

    /// Sends `OPTIONS target` without a body.
    pub fn options(&self, target: &str) -> TestResponse {
        self.request(Method::Options, target).send()
    }

    /// Sends `POST target` with `body` (and its `Content-Length`).
    pub fn post(&self, target: &str, body: impl AsRef<[u8]>) -> TestResponse {
        self.request(Method::Post, target).body(body).send()
    }

    /// Sends `PUT target` with `body` (and its `Content-Length`).
    pub fn put(&self, target: &str, body: impl AsRef<[u8]>) -> TestResponse {
        self.request(Method::Put, target).body(body).send()
    }

    /// Serve raw request bytes on one connection; every response written.
    /// `head` says which requests (in order) are HEAD, whose responses
    /// have no body.
    pub fn raw(&self, input: &[u8], head: &[bool]) -> Vec<TestResponse> {
        parse_all(&block_on(self.raw_async(input)), head)
    }

    /// [`TestClient::raw`], inside an executor of your choice; returns the bytes written.
    pub async fn raw_async(&self, input: &[u8]) -> Vec<u8> {
        let mut transport = MemoryTransport {
            input: input.to_vec(),
            pos: 0,
            output: Vec::new(),
        };
        let mut rx = std::vec![0u8; self.rx];
        let mut tx = std::vec![0u8; self.tx];
        let _ = serve_connection(self.app, &mut transport, &mut rx, &mut tx, self.client).await;
        transport.output
    }
}

/// A request being built.
pub struct TestRequest<'c, 'a, S, R> {
    client: &'c TestClient<'a, S, R>,
    method: Method,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl<S, R: Dispatch<S>> TestRequest<'_, '_, S, R> {
    /// Adds a header field, sent in the order added.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((String::from(name), String::from(value)));
        self
    }

    /// The request body; `Content-Length` is added unless a header sets it or
    /// `Transfer-Encoding`.
    pub fn body(mut self, body: impl AsRef<[u8]>) -> Self {
        self.body = body.as_ref().to_vec();
        self
    }

    /// A JSON body with `Content-Type: application/json`.
    #[cfg(feature = "json")]
    pub fn json<T: serde::Serialize + ?Sized>(self, value: &T) -> Self {
        let body = serde_json::to_vec(value).unwrap_or_default();
        self.header("Content-Type", "application/json").body(body)
    }

    /// The request as sent: `Host` and `Content-Length` are added when
    /// missing, and `Connection: close` ends the exchange.
    pub fn to_bytes(&self) -> Vec<u8> {
        let has = |name: &str| self.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
        let mut out = Vec::new();
        out.extend_from_slice(self.method.as_str().as_bytes());
        out.push(b' ');
        out.extend_from_slice(self.target.as_bytes());
        out.extend_from_slice(b" HTTP/1.1\r\n");
        if !has("host") {
            out.extend_from_slice(b"Host: testclient\r\n");
        }
        for (name, value) in &self.headers {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        let body_method = matches!(self.method, Method::Post | Method::Put | Method::Patch);
        if !has("content-length") && !has("transfer-encoding") && (body_method || !self.body.is_empty()) {
            out.extend_from_slice(std::format!("Content-Length: {}\r\n", self.body.len()).as_bytes());
        }
        if !has("connection") {
            out.extend_from_slice(b"Connection: close\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        out
    }

    /// Serve the request on the calling thread and read the response.
    pub fn send(self) -> TestResponse {
        block_on(self.send_async())
    }

    /// Serve the request inside the caller's executor.
    pub async fn send_async(self) -> TestResponse {
        let head = self.method == Method::Head;
        let written = self.client.raw_async(&self.to_bytes()).await;
        match parse_all(&written, &[head]).into_iter().find(|r| r.status.0 >= 200) {
            Some(resp) => resp,
            None => TestResponse::no_response(written),
        }
    }
}

/// A response as the client read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestResponse {
    /// The status code.
    pub status: Status,
    /// The reason phrase of the status line.
    pub reason: String,
    /// The header fields in the order received, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked when it came chunked.
    pub body: Vec<u8>,
}

impl TestResponse {
    fn no_response(written: Vec<u8>) -> Self {
        TestResponse {
            status: Status(0),
            reason: String::from("no response"),
            headers: Vec::new(),
            body: written,
        }
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON.
    #[cfg(feature = "json")]
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }
}

/// An always-ready socket: reads come from `input` then end, writes are kept.
struct MemoryTransport {
    input: Vec<u8>,
    pos: usize,
    output: Vec<u8>,
}

impl Transport for MemoryTransport {
    fn poll_read(&mut self, _cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<Result<usize, IoError>> {
        let rest = self.input.get(self.pos..).unwrap_or(&[]);
        let n = rest.len().min(buf.len());
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), rest.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.pos = self.pos.saturating_add(n);
        Poll::Ready(Ok(n))
    }

    fn poll_write(&mut self, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<Result<usize, IoError>> {
        self.output.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), IoError>> {
        Poll::Ready(Ok(()))
    }

    fn set_deadline(&mut self, _ms: Option<u32>) {}
}

struct Unpark(std::thread::Thread);

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Run `fut` to completion on this thread, sleeping while it waits.
pub fn block_on<F: core::future::Future>(fut: F) -> F::Output {
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut fut = core::pin::pin!(fut);
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::park();
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Parse one response at the start of `out`: it and the bytes it took.
fn parse_one(out: &[u8], head: bool) -> Option<(TestResponse, usize)> {
    let end = find(out, b"\r\n\r\n")?;
    let text = core::str::from_utf8(out.get(..end)?).ok()?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next()?;
    let mut parts = status_line.splitn(3, ' ');
    let _version = parts.next()?;
    let status = Status(parts.next()?.parse().ok()?);
    let reason = String::from(parts.next().unwrap_or(""));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (String::from(n.trim()), String::from(v.trim())))
        .collect();
    let mut resp = TestResponse {
        status,
        reason,
        headers,
        body: Vec::new(),
    };
    let mut at = end.checked_add(4)?;
    if head || status.0 < 200 || status == Status::NO_CONTENT || status == Status::NOT_MODIFIED {
        return Some((resp, at));
    }
    if resp
        .header("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
    {
        loop {
            let line_end = at.checked_add(find(out.get(at..)?, b"\r\n")?)?;
            let size_text = core::str::from_utf8(out.get(at..line_end)?).ok()?;
            let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
            at = line_end.checked_add(2)?;
            if size == 0 {
                // Trailers (none are sent) and the blank line.
                at = at.checked_add(find(out.get(at..)?, b"\r\n")?)?.checked_add(2)?;
                break;
            }
            resp.body.extend_from_slice(out.get(at..)?.get(..size)?);
            at = at.checked_add(size)?.checked_add(2)?;
        }
    } else if let Some(len) = resp.header("content-length") {
        let len: usize = len.parse().ok()?;
        resp.body = out.get(at..)?.get(..len)?.to_vec();
        at = at.checked_add(len)?;
    } else {
        resp.body = out.get(at..)?.to_vec();
        at = out.len();
    }
    Some((resp, at))
}

fn parse_all(out: &[u8], head: &[bool]) -> Vec<TestResponse> {
    let mut all = Vec::new();
    let mut rest = out;
    let mut finals = 0;
    while !rest.is_empty() {
        let is_head = head.get(finals).copied().unwrap_or(false);
        let Some((resp, n)) = parse_one(rest, is_head) else {
            all.push(TestResponse::no_response(rest.to_vec()));
            break;
        };
        if resp.status.0 >= 200 {
            finals = finals.saturating_add(1);
        }
        all.push(resp);
        rest = rest.get(n..).unwrap_or(&[]);
    }
    all
}
