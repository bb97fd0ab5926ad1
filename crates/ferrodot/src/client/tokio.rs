//! The client on tokio: DNS, a small pool of kept-alive connections per
//! host, time-outs, opt-in redirects and `https://` through rustls.
//!
//! ```no_run
//! # async fn demo() -> Result<(), ferrodot::client::Error> {
//! use ferrodot::client::tokio::Client;
//!
//! let client = Client::new();
//! let status = client.get("http://127.0.0.1:8080/status").await?;
//! println!("{} {}", status.status.0, status.text());
//! let posted = client.post("http://127.0.0.1:8080/trigger", &[("Content-Type", "application/json")], b"{}").await?;
//! # let _ = posted;
//! # Ok(()) }
//! ```
//!
//! [`http_get`] is the blocking one-liner for scripts and examples.
//! Certificates are verified by default: against Mozilla's roots
//! (`webpki-roots`) or the roots of [`ClientOptions::ca_file`].

use std::collections::HashMap;
use std::string::{String, ToString};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use std::vec::Vec;

use core::pin::Pin;
use core::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

use super::url::{Scheme, Url};
use super::{Connection, Error, RequestHead};
use crate::http::{Method, Status, Version};

/// What a [`Client`] allows itself.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// The longest a connect, a write or a read may take.
    pub timeout: Duration,
    /// The largest body collected into a [`Reply`].
    pub max_body: usize,
    /// Each connection's buffer (head and body pieces).
    pub buffer: usize,
    /// Idle connections kept per host and port.
    pub pool_per_host: usize,
    /// Redirects followed (0: none, the 3xx is the reply). An `https`
    /// URL never redirects to `http`.
    pub redirects: u8,
    /// Trust the certificates in this PEM file instead of Mozilla's roots.
    pub ca_file: Option<std::path::PathBuf>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Duration::from_secs(10),
            max_body: 16 * 1024 * 1024,
            buffer: 8 * 1024,
            pool_per_host: 4,
            redirects: 0,
            ca_file: None,
        }
    }
}

/// A complete response, owned.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The status code.
    pub status: Status,
    /// The reason phrase as sent.
    pub reason: String,
    /// The version the server answered with.
    pub version: Version,
    /// Every field, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// The URL that gave this reply (after redirects).
    pub url: String,
    /// Whether it came over a connection kept from an earlier request.
    pub reused: bool,
}

impl Reply {
    /// The first value of field `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }

    /// The body as JSON.
    #[cfg(feature = "json")]
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|_| Error::Json)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Origin {
    scheme: Scheme,
    host: String,
    port: u16,
}

/// A connection to a server: plain TCP or TLS over it.
pub enum Stream {
    /// `http://`, `ws://`.
    Plain(TcpStream),
    /// `https://`, `wss://`.
    #[cfg(feature = "tls-rustls")]
    Tls(std::boxed::Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

struct Pooled {
    stream: Stream,
    buf: std::boxed::Box<[u8]>,
}

/// An HTTP client; cheap to clone (the pool is shared).
#[derive(Clone)]
pub struct Client {
    options: Arc<ClientOptions>,
    pool: Arc<Mutex<HashMap<Origin, Vec<Pooled>>>>,
    #[cfg(feature = "tls-rustls")]
    tls: Arc<std::sync::OnceLock<Result<Arc<rustls::ClientConfig>, Error>>>,
}

impl Default for Client {
    fn default() -> Self {
        Self::new()
    }
}

impl Client {
    /// A client with the default options.
    pub fn new() -> Self {
        Self::with_options(ClientOptions::default())
    }

    /// A client with `options`.
    pub fn with_options(options: ClientOptions) -> Self {
        Client {
            options: Arc::new(options),
            pool: Arc::default(),
            #[cfg(feature = "tls-rustls")]
            tls: Arc::default(),
        }
    }

    /// `GET url`.
    pub async fn get(&self, url: &str) -> Result<Reply, Error> {
        self.request(Method::Get, url, &[], b"").await
    }

    /// `POST url` with `body`.
    pub async fn post(&self, url: &str, headers: &[(&str, &str)], body: &[u8]) -> Result<Reply, Error> {
        self.request(Method::Post, url, headers, body).await
    }

    /// Any request; follows redirects when the options allow.
    pub async fn request(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Reply, Error> {
        self.send(method, url, &[], headers, body).await
    }

    /// Any request with `query` pairs percent-encoded after the URL's own
    /// query; a redirect's `Location` replaces both.
    pub async fn send(
        &self,
        method: Method,
        url: &str,
        query: &[(&str, &str)],
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Reply, Error> {
        let mut url = url.to_string();
        let mut method = method;
        let mut body = body;
        let mut query = query;
        let mut hops = 0u8;
        loop {
            let reply = self.once(method, &url, query, headers, body).await?;
            let location = match reply.status.0 {
                301 | 302 | 303 | 307 | 308 if hops < self.options.redirects => reply.header("location"),
                _ => None,
            };
            let Some(location) = location else { return Ok(reply) };
            let next = resolve(&url, location)?;
            hops = hops.saturating_add(1);
            query = &[];
            // RFC 9110 §15.4: 303 (and, as browsers do, 301/302 after a
            // POST) continue with GET and no body; 307/308 repeat as sent.
            if reply.status.0 == 303 || (matches!(reply.status.0, 301 | 302) && method == Method::Post) {
                method = Method::Get;
                body = b"";
            }
            url = next;
        }
    }

    /// Open a WebSocket to `url` (`ws://`, `wss://`, or their `http(s)`
    /// spellings) using `buf` for the handshake and for messages (a
    /// message may be as large as `buf`). Masking keys come from
    /// [`std_random`](super::ws::std_random).
    #[cfg(feature = "ws")]
    pub async fn websocket<'b>(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        buf: &'b mut [u8],
    ) -> Result<super::ws::WsClient<'b, TokioIo<Stream>, fn() -> u32>, Error> {
        let url = match url.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("ws") => std::format!("http://{rest}"),
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("wss") => std::format!("https://{rest}"),
            _ => url.to_string(),
        };
        let parsed = Url::parse(&url)?;
        let Pooled { stream, .. } = self.connect(&parsed).await?;
        let conn = Connection::new(TokioIo::new(stream, self.options.timeout), buf);
        let rng: fn() -> u32 = super::ws::std_random;
        super::ws::WsClient::handshake(conn, parsed.authority, parsed.path, headers, rng).await
    }

    /// One request on one connection: a kept one when the pool has it (and
    /// a fresh one if that turns out closed, for idempotent methods).
    async fn once(
        &self,
        method: Method,
        url: &str,
        query: &[(&str, &str)],
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Reply, Error> {
        let parsed = Url::parse(url)?;
        let origin = Origin {
            scheme: parsed.scheme,
            host: parsed.host.to_ascii_lowercase(),
            port: parsed.port,
        };
        let head = RequestHead::new(method, parsed.authority, parsed.path)
            .query(query)
            .headers(headers);
        if let Some(pooled) = self.take(&origin) {
            match self.exchange(pooled, &origin, &head, body, url, true).await {
                // The server closed the kept connection before answering
                // (RFC 9112 §9.3.1): safe to retry only when idempotent.
                Err(Error::Closed) if method != Method::Post && method != Method::Patch => {}
                done => return done,
            }
        }
        let pooled = self.connect(&parsed).await?;
        self.exchange(pooled, &origin, &head, body, url, false).await
    }

    async fn exchange(
        &self,
        mut pooled: Pooled,
        origin: &Origin,
        head: &RequestHead<'_>,
        body: &[u8],
        url: &str,
        reused: bool,
    ) -> Result<Reply, Error> {
        let timeout = self.options.timeout;
        let max_body = self.options.max_body;
        let Pooled { stream, buf } = &mut pooled;
        let mut conn = Connection::new(TokioIo::new(stream, timeout), &mut buf[..]);
        let mut response = conn.send(head, body).await?;
        let head_of = &response.head;
        let mut reply = Reply {
            status: head_of.status(),
            reason: head_of.reason().to_string(),
            version: head_of.version(),
            headers: head_of
                .headers()
                .map(|(name, value)| (name.to_string(), String::from_utf8_lossy(value).into_owned()))
                .collect(),
            body: Vec::new(),
            url: url.to_string(),
            reused,
        };
        loop {
            let piece = response.body.chunk().await?;
            if piece.is_empty() {
                break;
            }
            if reply.body.len().saturating_add(piece.len()) > max_body {
                return Err(Error::BodyTooLarge);
            }
            reply.body.extend_from_slice(piece);
        }
        if conn.is_reusable() {
            self.give_back(origin.clone(), pooled);
        }
        Ok(reply)
    }

    fn take(&self, origin: &Origin) -> Option<Pooled> {
        self.pool.lock().ok()?.get_mut(origin)?.pop()
    }

    fn give_back(&self, origin: Origin, pooled: Pooled) {
        if let Ok(mut pool) = self.pool.lock() {
            let idle = pool.entry(origin).or_default();
            if idle.len() < self.options.pool_per_host {
                idle.push(pooled);
            }
        }
    }

    async fn connect(&self, url: &Url<'_>) -> Result<Pooled, Error> {
        let timeout = self.options.timeout;
        let tcp = tokio::time::timeout(timeout, TcpStream::connect((url.host, url.port)))
            .await
            .map_err(|_| Error::TimedOut)?
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::ConnectionRefused => Error::Connect("connection refused"),
                _ => Error::Connect("no route to the host, or its name is unknown"),
            })?;
        let _ = tcp.set_nodelay(true);
        let stream = match url.scheme {
            Scheme::Http => Stream::Plain(tcp),
            Scheme::Https => self.tls_connect(tcp, url.host).await?,
        };
        Ok(Pooled {
            stream,
            buf: std::vec![0u8; self.options.buffer.max(1024)].into_boxed_slice(),
        })
    }

    #[cfg(feature = "tls-rustls")]
    async fn tls_connect(&self, tcp: TcpStream, host: &str) -> Result<Stream, Error> {
        let config = self
            .tls
            .get_or_init(|| {
                let roots = match &self.options.ca_file {
                    Some(path) => {
                        Some(crate::tls::load_ca_file(path).map_err(|_| Error::Tls("cannot read the CA file"))?)
                    }
                    None => None,
                };
                crate::tls::client_config(roots.as_deref()).map_err(|_| Error::Tls("bad CA certificate"))
            })
            .clone()?;
        let name =
            rustls::pki_types::ServerName::try_from(host.to_string()).map_err(|_| Error::Tls("invalid server name"))?;
        let connector = tokio_rustls::TlsConnector::from(config);
        let tls = tokio::time::timeout(self.options.timeout, connector.connect(name, tcp))
            .await
            .map_err(|_| Error::TimedOut)?
            .map_err(|e| Error::Tls(tls_reason(&e)))?;
        Ok(Stream::Tls(std::boxed::Box::new(tls)))
    }

    #[cfg(not(feature = "tls-rustls"))]
    async fn tls_connect(&self, _tcp: TcpStream, _host: &str) -> Result<Stream, Error> {
        Err(Error::Tls("https:// needs the tls-rustls feature"))
    }
}

/// What went wrong in a handshake, from the rustls error inside the I/O
/// error tokio-rustls returns.
#[cfg(feature = "tls-rustls")]
fn tls_reason(e: &std::io::Error) -> &'static str {
    use rustls::CertificateError as C;
    let inner = e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>());
    match inner {
        Some(rustls::Error::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. })) => {
            "the certificate is not valid for this host name"
        }
        Some(rustls::Error::InvalidCertificate(C::Expired | C::ExpiredContext { .. })) => "the certificate has expired",
        Some(rustls::Error::InvalidCertificate(_)) => "certificate verification failed",
        Some(rustls::Error::AlertReceived(_)) => "the server refused the handshake",
        _ => "handshake failed",
    }
}

/// Where a redirect's `Location` points, from the URL that sent it.
fn resolve(base: &str, location: &str) -> Result<String, Error> {
    let from = Url::parse(base)?;
    let next = if location.starts_with("http://") || location.starts_with("https://") {
        location.to_string()
    } else if location.starts_with('/') && !location.starts_with("//") {
        let scheme = if from.scheme == Scheme::Https { "https" } else { "http" };
        std::format!("{scheme}://{}{location}", from.authority)
    } else {
        return Err(Error::Url("unsupported relative redirect"));
    };
    let to = Url::parse(&next)?;
    if from.scheme == Scheme::Https && to.scheme == Scheme::Http {
        return Err(Error::Url("redirect from https to http refused"));
    }
    Ok(next)
}

/// `GET url` on a runtime of its own, for scripts and examples.
pub fn http_get(url: &str) -> Result<Reply, Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|_| Error::Io)?;
    runtime.block_on(Client::new().get(url))
}

/// Any tokio stream (a `TcpStream`, a TLS stream) as an
/// `embedded-io-async` stream with a time-out on every operation: what a
/// [`Connection`] runs on.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use ferrodot::client::{tokio::TokioIo, Connection, RequestHead};
/// use std::time::Duration;
///
/// let tcp = tokio::net::TcpStream::connect("127.0.0.1:8080").await?;
/// let mut buf = [0u8; 4096];
/// let mut conn = Connection::new(TokioIo::new(tcp, Duration::from_secs(5)), &mut buf);
/// let head = RequestHead::new(ferrodot::Method::Get, "127.0.0.1:8080", "/status");
/// let body = conn.send(&head, b"").await?.body.collect().await?;
/// # let _ = body; Ok(()) }
/// ```
pub struct TokioIo<S> {
    stream: S,
    timeout: Duration,
}

impl<S> TokioIo<S> {
    /// `stream`, each read, write and flush bounded by `timeout`.
    pub fn new(stream: S, timeout: Duration) -> Self {
        TokioIo { stream, timeout }
    }

    /// The stream back.
    pub fn into_inner(self) -> S {
        self.stream
    }
}

/// An I/O failure as `embedded-io` sees it.
#[derive(Debug, Clone, Copy)]
pub struct IoFailure(embedded_io_async::ErrorKind);

impl core::fmt::Display for IoFailure {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl std::error::Error for IoFailure {}

impl embedded_io_async::Error for IoFailure {
    fn kind(&self) -> embedded_io_async::ErrorKind {
        self.0
    }
}

fn failure(e: &std::io::Error) -> IoFailure {
    use embedded_io_async::ErrorKind as K;
    IoFailure(match e.kind() {
        std::io::ErrorKind::ConnectionReset => K::ConnectionReset,
        std::io::ErrorKind::ConnectionAborted => K::ConnectionAborted,
        std::io::ErrorKind::BrokenPipe => K::BrokenPipe,
        std::io::ErrorKind::NotConnected => K::NotConnected,
        std::io::ErrorKind::UnexpectedEof => K::ConnectionReset,
        _ => K::Other,
    })
}

/// `op` within the time-out, its error as `embedded-io` names it.
async fn timed<R>(
    timeout: Duration,
    op: impl core::future::Future<Output = std::io::Result<R>>,
) -> Result<R, IoFailure> {
    match tokio::time::timeout(timeout, op).await {
        Ok(Ok(r)) => Ok(r),
        Ok(Err(e)) => Err(failure(&e)),
        Err(_) => Err(IoFailure(embedded_io_async::ErrorKind::TimedOut)),
    }
}

impl<S> embedded_io_async::ErrorType for TokioIo<S> {
    type Error = IoFailure;
}

impl<S: AsyncRead + Unpin> embedded_io_async::Read for TokioIo<S> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, IoFailure> {
        timed(self.timeout, self.stream.read(buf)).await
    }
}

impl<S: AsyncWrite + Unpin> embedded_io_async::Write for TokioIo<S> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, IoFailure> {
        timed(self.timeout, self.stream.write(buf)).await
    }

    async fn flush(&mut self) -> Result<(), IoFailure> {
        timed(self.timeout, self.stream.flush()).await
    }
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            // A peer that closes without `close_notify` ends like a plain
            // one: many servers do after `Connection: close`, and the
            // body's framing still tells a complete response from a cut one.
            #[cfg(feature = "tls-rustls")]
            Stream::Tls(s) => match Pin::new(s).poll_read(cx, buf) {
                Poll::Ready(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => Poll::Ready(Ok(())),
                other => other,
            },
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            #[cfg(feature = "tls-rustls")]
            Stream::Tls(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            #[cfg(feature = "tls-rustls")]
            Stream::Tls(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            #[cfg(feature = "tls-rustls")]
            Stream::Tls(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}
