//! Shared helpers of the TCP integration tests: a real ferrodot server on
//! 127.0.0.1 (OS-chosen port) on a background thread, a raw-socket HTTP/1.1
//! client that reads responses exactly as framed, and a curl wrapper.
//!
//! Everything here is bounded in time: sockets carry read/write timeouts,
//! curl runs with `--max-time`, and a server thread is stopped and joined
//! when its [`TestServer`] is dropped.
#![allow(dead_code)]

use std::cell::Cell;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Output};
use std::rc::Rc;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ferrodot::app::{App, Dispatch};
use ferrodot::prelude::*;
use ferrodot::rt::tokio::{Server, ServerOptions};
use ferrodot::server::HeadExtras;
use ferrodot::{Config, Timeouts, Typed};

/// How long any single socket read or write may block in a test.
pub const IO_TIMEOUT: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------

/// A server running on its own thread (tokio current-thread runtime and a
/// `LocalSet`, as on a device). Dropping it asks for a graceful shutdown
/// and joins the thread.
pub struct TestServer {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl TestServer {
    /// Start the app built by `make` (built on the server thread, so it
    /// need not be `Send`) with `options`.
    pub fn start<S, R, F>(make: F, options: ServerOptions) -> TestServer
    where
        S: 'static,
        R: Dispatch<S> + 'static,
        F: FnOnce() -> App<S, R> + Send + 'static,
    {
        TestServer::start_with(make, options, |server| server)
    }

    /// [`TestServer::start`], with `configure` applied to the bound server
    /// (HTTPS, say).
    pub fn start_with<S, R, F>(
        make: F,
        options: ServerOptions,
        configure: impl FnOnce(Server) -> Server + Send + 'static,
    ) -> TestServer
    where
        S: 'static,
        R: Dispatch<S> + 'static,
        F: FnOnce() -> App<S, R> + Send + 'static,
    {
        let (addr_tx, addr_rx) = mpsc::channel::<io::Result<SocketAddr>>();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || -> io::Result<()> {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let local = tokio::task::LocalSet::new();
            local.block_on(&runtime, async move {
                let server = match Server::bind("127.0.0.1:0").await {
                    Ok(server) => configure(server.options(options)),
                    Err(e) => {
                        let _ = addr_tx.send(Err(io::Error::new(e.kind(), e.to_string())));
                        return Err(e);
                    }
                };
                let _ = addr_tx.send(server.local_addr());
                let app = Rc::new(make());
                server
                    .serve_with_shutdown(app, async {
                        let _ = stop_rx.await;
                    })
                    .await
            })
        });
        let addr = addr_rx
            .recv_timeout(Duration::from_secs(20))
            .expect("server thread did not report its address")
            .expect("server failed to bind 127.0.0.1:0");
        assert!(addr.ip().is_loopback(), "tests only ever target 127.0.0.1, got {addr}");
        TestServer {
            addr,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// The standard test app with the default test options.
    pub fn standard() -> TestServer {
        TestServer::start(|| test_app(normal_config()), ServerOptions::default())
    }

    /// The standard test app with short (400 ms) timeouts.
    pub fn fast_timeouts() -> TestServer {
        TestServer::start(|| test_app(fast_config()), ServerOptions::default())
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Ask for a graceful shutdown (stop accepting, finish in-flight requests).
    pub fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Shut down and wait (at most `limit`) for `serve_with_shutdown` to return.
    pub fn join(&mut self, limit: Duration) -> io::Result<()> {
        self.shutdown();
        let Some(thread) = self.thread.take() else {
            return Ok(());
        };
        let deadline = Instant::now() + limit;
        while !thread.is_finished() {
            assert!(Instant::now() < deadline, "server did not stop within {limit:?}");
            std::thread::sleep(Duration::from_millis(10));
        }
        match thread.join() {
            Ok(result) => result,
            Err(_) => panic!("server thread panicked"),
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown();
        if let Some(thread) = self.thread.take() {
            // Bounded: the grace period of the options plus a margin. A
            // thread that does not stop is left behind rather than hanging
            // the test binary; the process ends with the tests.
            let deadline = Instant::now() + Duration::from_secs(15);
            while !thread.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            if thread.is_finished() && thread.join().is_err() && !std::thread::panicking() {
                panic!("server thread panicked");
            }
        }
    }
}

/// The test certificates of `tests/tls/make-certs.sh` (openssl), made
/// once per test binary, in a folder of its own.
pub fn certs() -> &'static std::path::Path {
    static DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir =
            std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{}-certs", env!("CARGO_CRATE_NAME")));
        let _ = std::fs::remove_dir_all(&dir);
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/tls/make-certs.sh");
        let out = Command::new("bash")
            .arg(script)
            .arg(&dir)
            .output()
            .expect("bash and openssl are needed for the TLS tests");
        assert!(
            out.status.success(),
            "make-certs.sh failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        dir
    })
}

/// The path of test certificate file `name` (`ca.pem`, `ec.key`, …).
pub fn cert(name: &str) -> String {
    certs().join(name).to_string_lossy().into_owned()
}

/// Timeouts long enough for a loaded CI machine.
pub fn normal_config() -> Config {
    Config {
        max_body: 2048,
        timeouts: Timeouts {
            first_byte_ms: 5_000,
            head_ms: 5_000,
            body_ms: 5_000,
            write_ms: 5_000,
            idle_ms: 5_000,
        },
        ..Config::DEFAULT
    }
}

/// Short timeouts, for the 408 and idle-close tests.
pub fn fast_config() -> Config {
    Config {
        max_body: 2048,
        timeouts: Timeouts {
            first_byte_ms: 400,
            head_ms: 400,
            body_ms: 400,
            write_ms: 5_000,
            idle_ms: 400,
        },
        ..Config::DEFAULT
    }
}

// ---------------------------------------------------------------------------
// The test app
// ---------------------------------------------------------------------------

/// State of the test app: how many `/slow` requests run at once.
#[derive(Default)]
pub struct Probe {
    pub active: Cell<u32>,
    pub max_active: Cell<u32>,
    pub started: Cell<u32>,
    pub finished: Cell<u32>,
}

async fn hello() -> &'static str {
    "hello"
}

async fn json() -> Typed<&'static str> {
    Typed("application/json", "{\"ok\":true,\"n\":42}")
}

async fn peer(ClientAddr(addr): ClientAddr) -> String {
    addr.map(|a| a.to_string()).unwrap_or_else(|| "unknown".into())
}

/// `[value]`, or `absent` when the capture matched nothing.
fn show(req: &Request<'_>, name: &str) -> String {
    match req.param(name) {
        Some(v) => format!("[{}]", v.raw()),
        None => "absent".into(),
    }
}

async fn one(req: &Request<'_>) -> String {
    format!("one {}", show(req, "x"))
}

async fn opt(req: &Request<'_>) -> String {
    format!("opt {}", show(req, "x"))
}

async fn plus(req: &Request<'_>) -> String {
    format!("plus {}", show(req, "x"))
}

async fn star(req: &Request<'_>) -> String {
    format!("star {}", show(req, "x"))
}

async fn int(Path(n): Path<i64>) -> String {
    format!("int {n}")
}

async fn path(req: &Request<'_>) -> String {
    format!("path {}", show(req, "p"))
}

async fn echo(Bytes(body): Bytes<'_>) -> Typed<Vec<u8>> {
    Typed("application/octet-stream", body.to_vec())
}

/// Streams the body and answers its length and a checksum.
async fn count(mut body: BodyReader<'_>) -> Result<String, Rejection> {
    let mut buf = [0u8; 700];
    let (mut n, mut sum) = (0u64, 0u64);
    loop {
        let got = body.read(&mut buf).await.map_err(|e| e.rejection())?;
        if got == 0 {
            return Ok(format!("{n} {sum}"));
        }
        n += got as u64;
        sum = buf[..got].iter().fold(sum, |s, &b| s.wrapping_add(u64::from(b)));
    }
}

async fn item_get() -> &'static str {
    "item"
}

async fn item_put(Bytes(body): Bytes<'_>) -> String {
    format!("put {}", body.len())
}

/// A body of `n` bytes (`?n=`), larger than the response buffer if asked:
/// sent chunked to HTTP/1.1 clients, close-delimited to HTTP/1.0.
async fn big(q: Query<'_>) -> String {
    let n: usize = q.parse("n").unwrap_or(10_000);
    (0..n).map(|i| char::from(b'a' + (i % 26) as u8)).collect()
}

async fn slow(State(probe): State<&Probe>, q: Query<'_>) -> String {
    let ms: u64 = q.parse("ms").unwrap_or(300);
    probe.started.set(probe.started.get() + 1);
    probe.active.set(probe.active.get() + 1);
    probe.max_active.set(probe.max_active.get().max(probe.active.get()));
    tokio::time::sleep(Duration::from_millis(ms)).await;
    probe.active.set(probe.active.get() - 1);
    probe.finished.set(probe.finished.get() + 1);
    format!("slow done {ms}")
}

async fn stats(State(probe): State<&Probe>) -> String {
    format!(
        "active={} max_active={} started={} finished={}",
        probe.active.get(),
        probe.max_active.get(),
        probe.started.get(),
        probe.finished.get()
    )
}

ferrodot::routes! {
    pub TestRoutes<Probe> {
        GET "/" => hello,
        GET "/json" => json,
        GET "/peer" => peer,
        GET "/one/:x" => one,
        GET "/opt/:x?" => opt,
        GET "/plus/:x+" => plus,
        GET "/star/:x*" => star,
        GET "/int/<int:n>" => int,
        GET "/path/<path:p>" => path,
        POST "/echo" => echo,
        POST "/small" .max_body(16) => echo,
        PUT "/len" .require_length() => echo,
        POST "/count" .max_body(1_000_000) => count,
        GET "/item" => item_get,
        PUT "/item" => item_put,
        GET "/big" => big,
        GET "/slow" => slow,
        GET "/stats" => stats,
    }
}

/// Adds `X-Hook: seen` to every response head (an `after_request` hook).
fn mark_response(_: &Request<'_>, _: &Probe, _: Status, extras: &mut HeadExtras<'_, '_>) {
    extras.header("X-Hook", "seen");
}

pub fn test_app(config: Config) -> App<Probe, TestRoutes> {
    App::new(Probe::default(), TestRoutes)
        .with_config(config)
        .after_request(mark_response)
}

// ---------------------------------------------------------------------------
// A raw HTTP/1.1 client over std::net::TcpStream
// ---------------------------------------------------------------------------

/// One parsed response.
#[derive(Debug, Clone)]
pub struct Resp {
    pub version: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The `Allow` header as a sorted list of methods.
    pub fn allow(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .header("allow")
            .unwrap_or("")
            .split(',')
            .map(|m| m.trim().to_string())
            .filter(|m| !m.is_empty())
            .collect();
        v.sort();
        v
    }

    pub fn closes(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
}

/// A client connection that reads responses exactly as they are framed,
/// keeping any bytes past one response for the next.
pub struct Conn {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    pub fn open(addr: SocketAddr) -> Conn {
        assert!(addr.ip().is_loopback());
        let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT).expect("connect to the test server");
        stream.set_read_timeout(Some(IO_TIMEOUT)).expect("read timeout");
        stream.set_write_timeout(Some(IO_TIMEOUT)).expect("write timeout");
        stream.set_nodelay(true).expect("nodelay");
        Conn {
            stream,
            buf: Vec::new(),
        }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write to the test server");
        self.stream.flush().expect("flush");
    }

    /// Like `send`, but a failure (the server already closed) is returned.
    pub fn try_send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)?;
        self.stream.flush()
    }

    /// Read more bytes into the buffer; `Ok(0)` at end of stream.
    fn fill(&mut self) -> io::Result<usize> {
        let mut chunk = [0u8; 8192];
        let n = self.stream.read(&mut chunk)?;
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(n)
    }

    fn fill_or_panic(&mut self, what: &str) {
        match self.fill() {
            Ok(0) => panic!(
                "connection closed while reading {what}; got so far: {:?}",
                String::from_utf8_lossy(&self.buf)
            ),
            Ok(_) => {}
            Err(e) => panic!(
                "error while reading {what} ({e}); got so far: {:?}",
                String::from_utf8_lossy(&self.buf)
            ),
        }
    }

    /// Read one response to a request that was not HEAD.
    pub fn response(&mut self) -> Resp {
        self.read_response(false)
    }

    /// Read one response to a HEAD request (no body, whatever the headers say).
    pub fn head_response(&mut self) -> Resp {
        self.read_response(true)
    }

    pub fn read_response(&mut self, head_request: bool) -> Resp {
        loop {
            let resp = self.read_head();
            if (100..200).contains(&resp.status) {
                continue; // 100 Continue and friends
            }
            return self.read_body(resp, head_request);
        }
    }

    fn read_head(&mut self) -> Resp {
        let end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i;
            }
            self.fill_or_panic("a response head");
        };
        let head = String::from_utf8(self.buf[..end].to_vec()).expect("response head is ASCII");
        self.buf.drain(..end + 4);
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or("");
        let mut parts = status_line.splitn(3, ' ');
        let version = parts.next().unwrap_or("").to_string();
        assert!(version.starts_with("HTTP/1."), "bad status line {status_line:?}");
        let status: u16 = parts
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
        let headers = lines
            .map(|l| {
                let (n, v) = l.split_once(':').unwrap_or_else(|| panic!("bad header line {l:?}"));
                (n.trim().to_string(), v.trim().to_string())
            })
            .collect();
        Resp {
            version,
            status,
            headers,
            body: Vec::new(),
        }
    }

    fn read_body(&mut self, mut resp: Resp, head_request: bool) -> Resp {
        if head_request || resp.status == 204 || resp.status == 304 {
            return resp;
        }
        let chunked = resp
            .header("transfer-encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
        if chunked {
            assert!(
                resp.header("content-length").is_none(),
                "both Content-Length and chunked in a response"
            );
            resp.body = self.read_chunked();
        } else if let Some(len) = resp.header("content-length") {
            let len: usize = len.parse().expect("numeric Content-Length");
            while self.buf.len() < len {
                self.fill_or_panic("a response body");
            }
            resp.body = self.buf.drain(..len).collect();
        } else {
            // Close-delimited (HTTP/1.0 streaming): read to EOF.
            loop {
                match self.fill() {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::ConnectionReset => break,
                    Err(e) => panic!("error reading a close-delimited body: {e}"),
                }
            }
            resp.body = std::mem::take(&mut self.buf);
        }
        resp
    }

    fn read_line(&mut self) -> String {
        loop {
            if let Some(i) = find(&self.buf, b"\r\n") {
                let line = String::from_utf8_lossy(&self.buf[..i]).into_owned();
                self.buf.drain(..i + 2);
                return line;
            }
            self.fill_or_panic("a chunk line");
        }
    }

    fn read_chunked(&mut self) -> Vec<u8> {
        let mut body = Vec::new();
        loop {
            let line = self.read_line();
            let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
                .unwrap_or_else(|_| panic!("bad chunk size line {line:?}"));
            if size == 0 {
                // Trailers, then the empty line.
                while !self.read_line().is_empty() {}
                return body;
            }
            while self.buf.len() < size + 2 {
                self.fill_or_panic("a chunk");
            }
            body.extend_from_slice(&self.buf[..size]);
            assert_eq!(&self.buf[size..size + 2], b"\r\n", "chunk not followed by CRLF");
            self.buf.drain(..size + 2);
        }
    }

    /// True if the server closes the connection (EOF or reset) within
    /// `limit` without sending anything more; false if bytes arrive.
    /// Panics if the connection is still open after `limit`.
    pub fn closed_within(&mut self, limit: Duration) -> bool {
        if !self.buf.is_empty() {
            return false;
        }
        self.stream.set_read_timeout(Some(limit)).expect("read timeout");
        let result = self.fill();
        self.stream.set_read_timeout(Some(IO_TIMEOUT)).expect("read timeout");
        match result {
            Ok(0) => true,
            Ok(_) => false,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted
                ) =>
            {
                true
            }
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                panic!("server kept the connection open for more than {limit:?}")
            }
            Err(e) => panic!("unexpected error waiting for close: {e}"),
        }
    }

    /// Assert the server closes the connection and sends nothing more.
    pub fn assert_closed(&mut self) {
        assert!(
            self.closed_within(IO_TIMEOUT),
            "server sent more bytes: {:?}",
            String::from_utf8_lossy(&self.buf)
        );
    }

    /// Bytes received but not yet parsed.
    pub fn leftover(&self) -> &[u8] {
        &self.buf
    }
}

pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `GET path` with a Host header, keep-alive (HTTP/1.1 default).
pub fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").into_bytes()
}

/// One request on a fresh connection that the client asks to close.
pub fn request_once(addr: SocketAddr, raw: &[u8]) -> Resp {
    let mut c = Conn::open(addr);
    c.send(raw);
    c.response()
}

/// `GET path` on a fresh connection with `Connection: close`.
pub fn get_once(addr: SocketAddr, path: &str) -> Resp {
    request_once(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n").as_bytes(),
    )
}

/// Send a request that must be refused with `status`; check the error
/// body is short text and the server closes the connection after it.
pub fn assert_refused(addr: SocketAddr, raw: &[u8], status: u16) -> Resp {
    let mut c = Conn::open(addr);
    // The server may refuse (and close) before it has read all of a
    // large request; a failed write is then expected, not an error.
    let _ = c.try_send(raw);
    let resp = c.response();
    assert_eq!(
        resp.status,
        status,
        "request {:?} -> {resp:?}",
        String::from_utf8_lossy(&raw[..raw.len().min(80)])
    );
    assert!(resp.body.len() < 200, "error body should be short: {:?}", resp.text());
    assert!(
        resp.header("content-type").is_some_and(|t| t.starts_with("text/plain")),
        "{resp:?}"
    );
    assert!(resp.closes(), "a refused request closes the connection: {resp:?}");
    c.assert_closed();
    resp
}

// ---------------------------------------------------------------------------
// curl
// ---------------------------------------------------------------------------

/// Run curl with a time limit and no proxy; returns its output. Panics if
/// curl is not installed (the README lists it as a test dependency).
pub fn curl(args: &[&str]) -> Output {
    let out = Command::new("curl")
        .args([
            "--silent",
            "--show-error",
            "--max-time",
            "10",
            "--noproxy",
            "*",
            "--http1.1",
        ])
        .args(args)
        .output()
        .expect("curl must be installed to run these tests");
    out
}

/// Run curl with `-i` for one URL and parse the final (non-1xx) response.
pub fn curl_resp(args: &[&str]) -> Resp {
    let mut all = vec!["--include"];
    all.extend_from_slice(args);
    let out = curl(&all);
    assert!(
        out.status.success(),
        "curl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    parse_curl_include(&out.stdout)
}

/// Parse curl's `-i` output: heads (1xx ones skipped) then the decoded body.
pub fn parse_curl_include(mut out: &[u8]) -> Resp {
    loop {
        let end = find(out, b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no head in curl output {:?}", String::from_utf8_lossy(out)));
        let head = String::from_utf8_lossy(&out[..end]).into_owned();
        out = &out[end + 4..];
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or("");
        let mut parts = status_line.splitn(3, ' ');
        let version = parts.next().unwrap_or("").to_string();
        let status: u16 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
        if (100..200).contains(&status) {
            continue;
        }
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
            .collect();
        return Resp {
            version,
            status,
            headers,
            body: out.to_vec(),
        };
    }
}

/// Wait until `cond` holds, polling; panics after `limit`.
pub fn wait_for(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}
