//! One connection's life: read a head, route it, run the handler, write
//! the response, then keep the connection for the next request or close.
//!
//! ```
//! # use core::task::{Context, Poll};
//! # use ferrodot::io::{IoError, Transport};
//! # struct Memory<'a> { input: &'a [u8], output: Vec<u8> }
//! # impl Transport for Memory<'_> {
//! #     fn poll_read(&mut self, _: &mut Context<'_>, buf: &mut [u8]) -> Poll<Result<usize, IoError>> {
//! #         let n = buf.len().min(self.input.len());
//! #         buf[..n].copy_from_slice(&self.input[..n]);
//! #         self.input = &self.input[n..];
//! #         Poll::Ready(Ok(n))
//! #     }
//! #     fn poll_write(&mut self, _: &mut Context<'_>, buf: &[u8]) -> Poll<Result<usize, IoError>> {
//! #         self.output.extend_from_slice(buf);
//! #         Poll::Ready(Ok(buf.len()))
//! #     }
//! #     fn poll_flush(&mut self, _: &mut Context<'_>) -> Poll<Result<(), IoError>> { Poll::Ready(Ok(())) }
//! #     fn set_deadline(&mut self, _ms: Option<u32>) {}
//! # }
//! use ferrodot::prelude::*;
//! use ferrodot::server::serve_connection;
//!
//! async fn hello() -> &'static str { "hello" }
//! ferrodot::routes! { Hello<()> { GET "/" => hello } }
//! static APP: App<(), Hello> = App::new((), Hello);
//!
//! // Two pipelined requests in one read (`Memory` is an in-memory
//! // `Transport`, as in the `io` module's example): both answered, in order,
//! // on one connection.
//! let two = b"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /nope HTTP/1.1\r\nHost: a\r\n\r\n";
//! let mut socket = Memory { input: two, output: Vec::new() };
//! let (mut rx, mut tx) = ([0u8; 512], [0u8; 512]);
//! let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! let _ = rt.block_on(serve_connection(&APP, &mut socket, &mut rx, &mut tx, None));
//! let out = String::from_utf8(socket.output).unwrap();
//! assert!(out.starts_with("HTTP/1.1 200 OK\r\n"));
//! assert_eq!(out.matches("HTTP/1.1 ").count(), 2);
//! assert!(out.contains("HTTP/1.1 404 Not Found\r\n"));
//! ```
//!
//! Only `exchange` is generic over the app; reading heads, answering
//! without a handler, draining bodies and refusing requests are plain
//! functions, each awaited at one place. Every `.await` site of a nested
//! future becomes code in the caller's state machine, so keeping them few
//! keeps a firmware image and a connection's future small.

use core::cell::Cell;
use core::future::{poll_fn, Future};
use core::pin::{pin, Pin};
use core::task::{Context, Poll};

use crate::app::{AfterRequest, App, Dispatch, ErrorBody, ErrorPage};
#[cfg(feature = "chunked-requests")]
use crate::http::chunked::{ChunkError, ChunkedDecoder};
use crate::http::method::MethodSet;
use crate::http::parse::{check_partial, parse_head, HeadLimits, ParsedHead, Rejection};
use crate::http::request::Framing;
use crate::http::response::BufWriter;
use crate::http::{Method, Request, Status, Version};
use crate::io::{IoError, Transport};
use crate::route::table::{lookup, Lookup};
use crate::route::Route;

use super::body::{read_into, Cursor, RequestBody};
use super::config::Config;
use super::port::{self, Port, SharedTransport};
use super::writer::{HeadExtras, HeadHook, ResponseWriter, WriteError, WriterSetup};

/// How a request ended for the connection.
enum Next {
    /// Serve the next request; `rx[from..to]` holds its first bytes
    /// (pipelined after this one), which the caller moves to the front.
    KeepAlive {
        from: usize,
        to: usize,
    },
    Close,
    /// Answer with this error, then close.
    Refuse(Rejection),
}

/// Serve HTTP/1.1 on one connection until it closes.
///
/// `rx` holds request heads (and bodies a handler collects); `tx` holds
/// response heads and bodies. Their sizes bound the connection's memory.
///
/// A plain function returning an `async move` block rather than an
/// `async fn`: an `async fn` moves each argument into a local, so the
/// future would hold every argument twice.
#[allow(clippy::manual_async_fn)]
pub fn serve_connection<'a, S, R: Dispatch<S>>(
    app: &'a App<S, R>,
    transport: &'a mut dyn Transport,
    rx: &'a mut [u8],
    tx: &'a mut [u8],
    client: Option<core::net::SocketAddr>,
) -> impl Future<Output = Result<(), IoError>> + use<'a, S, R> {
    async move {
        let port = SharedTransport::new(transport);
        let mut pending = 0;
        let mut first = true;
        loop {
            let next = match read_head(&port, rx, pending, first, &app.config).await {
                HeadRead::Ready { head_len, filled } => {
                    // Polled out of line: see `poll_exchange`.
                    let mut fut = pin!(exchange(app, &port, &mut *rx, tx, &client, head_len, filled));
                    poll_fn(|cx| poll_exchange(fut.as_mut(), cx)).await
                }
                HeadRead::Close => Next::Close,
                HeadRead::Refuse(rejection) => Next::Refuse(rejection),
            };
            match next {
                Next::KeepAlive { from, to } => {
                    // Bytes after the body belong to the next (pipelined) request.
                    pending = to.saturating_sub(from);
                    if pending > 0 {
                        crate::shift::copy_within(rx, from..to, 0);
                    }
                }
                Next::Close => return Ok(()),
                Next::Refuse(rejection) => {
                    if let Some(hook) = app.on_refuse {
                        hook(client, rejection);
                    }
                    refuse(&port, tx, &app.config, rejection).await;
                    return Ok(());
                }
            }
            first = false;
        }
    }
}

/// Poll an [`exchange`] through a function of its own instead of inlining
/// its state machine into the connection's. One poll function holding
/// both spilled registers at every `.await` site; split in two, the halves
/// are smaller than the whole (hello -1000 B, json3 -324 B in
/// `footprint/report.sh`). The future stays pinned in the caller: an
/// `async fn` wrapper would hold it twice. Costs one call per poll.
#[inline(never)]
fn poll_exchange<F: Future>(fut: Pin<&mut F>, cx: &mut Context<'_>) -> Poll<F::Output> {
    fut.poll(cx)
}

/// Find the end of a head (`\n\r\n` or `\n\n`) in `buf`, looking from `from`.
// `start`, `at` and `i` are offsets into `buf`, so adding at most 3 cannot
// overflow.
#[allow(clippy::arithmetic_side_effects)]
fn head_end(buf: &[u8], from: usize) -> Option<usize> {
    let start = from.saturating_sub(3);
    let window = buf.get(start..)?;
    let mut i = 0;
    while let Some(off) = window.get(i..)?.iter().position(|&b| b == b'\n') {
        let at = i + off;
        match window.get(at + 1..at + 3) {
            Some([b'\n', _]) | Some([b'\n']) => return Some(start + at + 2),
            Some([b'\r', b'\n']) => return Some(start + at + 3),
            _ if window.get(at + 1) == Some(&b'\n') => return Some(start + at + 2),
            _ => {}
        }
        i = at + 1;
    }
    None
}

fn head_limits(cfg: &Config, rx_len: usize) -> HeadLimits {
    HeadLimits {
        max_head: cfg.head.max_head.min(rx_len),
        ..cfg.head
    }
}

enum HeadRead {
    /// A whole head is `rx[..head_len]`; `rx[..filled]` holds data.
    Ready {
        head_len: usize,
        filled: usize,
    },
    Close,
    Refuse(Rejection),
}

/// Read until a whole request head is buffered.
async fn read_head(port: &dyn Port, rx: &mut [u8], mut filled: usize, first: bool, cfg: &Config) -> HeadRead {
    let t = &cfg.timeouts;
    let limits = head_limits(cfg, rx.len());
    let mut scanned = 0usize;
    let mut head_armed = false;
    loop {
        // Empty lines before a request are ignored (RFC 9112 §2.2).
        let skip = rx
            .get(..filled)
            .unwrap_or(&[])
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .count();
        if skip > 0 {
            crate::shift::copy_within(rx, skip..filled, 0);
            filled = filled.saturating_sub(skip);
            scanned = scanned.saturating_sub(skip);
        }
        if let Some(head_len) = head_end(rx.get(..filled).unwrap_or(&[]), scanned) {
            return HeadRead::Ready { head_len, filled };
        }
        scanned = filled;
        if let Err(rejection) = check_partial(rx.get(..filled).unwrap_or(&[]), &limits) {
            return HeadRead::Refuse(rejection);
        }
        let was_empty = filled == 0;
        // The head deadline is set once, when the request's first byte is
        // in: re-arming it on every read would let a slowloris client
        // that trickles a byte at a time keep the connection forever.
        if was_empty {
            port.set_deadline(Some(if first { t.first_byte_ms } else { t.idle_ms }));
        } else if !head_armed {
            port.set_deadline(Some(t.head_ms));
            head_armed = true;
        }
        let Some(space) = rx.get_mut(filled..) else {
            return HeadRead::Close;
        };
        port.set_idle(was_empty);
        let read = port::read(port, space).await;
        port.set_idle(false);
        match read {
            Ok(0) => return HeadRead::Close,
            // `port::read` returns at most `space.len()`, so this stays within `rx`.
            Ok(n) => filled = filled.saturating_add(n),
            Err(IoError::TimedOut) if !was_empty => {
                return HeadRead::Refuse(Rejection::new(
                    Status::REQUEST_TIMEOUT,
                    "request head not received in time",
                ));
            }
            Err(_) => return HeadRead::Close,
        }
        if was_empty {
            // The head deadline runs from the request's first byte.
            port.set_deadline(Some(t.head_ms));
            head_armed = true;
        }
    }
}

/// What answers a routed request.
enum Plan {
    /// Route `index`'s handler.
    Handler(usize),
    /// `OPTIONS`: 200 with `Allow`.
    Options(MethodSet),
    /// An error, with `Allow` for 405.
    Error(Rejection, Option<MethodSet>),
}

/// Parse, route and answer one request whose head is buffered.
///
/// A plain function returning an `async move` block, as
/// [`serve_connection`] is, so its arguments are held once.
#[allow(clippy::manual_async_fn)]
fn exchange<'a, S, R: Dispatch<S>>(
    app: &'a App<S, R>,
    port: &'a dyn Port,
    rx: &'a mut [u8],
    tx: &'a mut [u8],
    client: &'a Option<core::net::SocketAddr>,
    head_len: usize,
    filled: usize,
) -> impl Future<Output = Next> + use<'a, S, R> {
    async move {
        let rx_len = rx.len();
        // The head is borrowed by the request; the rest of `rx` is the body's.
        let (head_buf, body_buf) = rx.split_at_mut(head_len.min(filled));
        let mut req = match parse_head(head_buf, &head_limits(&app.config, rx_len)) {
            Ok(ParsedHead::Complete { request, .. }) => request,
            Ok(ParsedHead::Partial) => return Next::Refuse(Rejection::new(Status::BAD_REQUEST, "malformed request")),
            Err(rejection) => return Next::Refuse(rejection),
        };
        set_client(&mut req, client);
        let arrived = filled.saturating_sub(head_buf.len());
        let (plan, limit) = plan(app, &mut req, body_buf.get(..arrived).unwrap_or(&[]));

        let cursor = Cell::new(Cursor::new(req.framing, 0, arrived, limit, req.expect_continue));
        let setup = WriterSetup {
            head_only: req.method == Method::Head,
            keep_alive: req.keep_alive,
            http10: req.version == Version::Http10,
            server: app.config.server_header,
            error_style: app.config.error_style,
            #[cfg(feature = "std")]
            clock: app.config.clock,
        };
        // The app's `after_request`, and with layers one that does nothing
        // when the app has none; without layers (`R::LAYERED` is a
        // constant) the app's hook alone, as before layers existed. The
        // route whose layers see the head is found again when the head is
        // written, so the connection's future holds nothing more for it.
        let after: Option<AfterRequest<S>> = if R::LAYERED {
            Some(app.after.unwrap_or(no_hook::<S>))
        } else {
            app.after
        };
        let after = after.map(|hook| {
            let req = &req;
            move |status: Status, extras: &mut HeadExtras<'_, '_>| {
                if R::LAYERED {
                    if let Some(index) = layered_route(app, req) {
                        app.routes.head(index, req, &app.state, status, extras);
                    }
                }
                hook(req, &app.state, status, extras);
            }
        });
        let hook: Option<HeadHook<'_>> = after.as_ref().map(|h| h as _);
        let mut out = ResponseWriter::new(port, tx, setup, hook);
        out.watch_body(&cursor);
        port.set_deadline(Some(app.config.timeouts.write_ms));
        let result = match plan {
            Plan::Handler(index) => {
                let body = RequestBody::new(port, &mut *body_buf, &cursor, Some(app.config.timeouts.body_ms));
                app.routes.call(index, &req, &app.state, &body, &mut out).await
            }
            early => {
                if req.framing != Framing::None && !matches!(early, Plan::Options(_)) {
                    // The body will not be read: close rather than skip it.
                    out.close_after();
                }
                answer(&mut out, &req, early, app.error_page).await
            }
        };
        if port.is_hijacked() {
            // Upgraded (WebSocket): the handler owned the connection until now.
            return Next::Close;
        }
        let keep_alive = out.keep_alive();
        let (committed, done) = (out.is_committed(), out.is_done());
        match result {
            Ok(()) if done => {}
            // A handler that wrote nothing still owes the client an answer.
            Ok(()) if !committed => {
                return Next::Refuse(Rejection::new(
                    Status::INTERNAL_SERVER_ERROR,
                    "the handler sent no response",
                ))
            }
            Err(WriteError::Invalid(why)) if !committed => {
                return Next::Refuse(Rejection::new(Status::INTERNAL_SERVER_ERROR, why))
            }
            _ => return Next::Close,
        }

        // Finish the body the handler left unread, then keep the rest.
        let mut cur = cursor.get();
        if cur.continue_pending && !cur.is_done() {
            // The client still waits for 100 Continue before sending a body
            // the handler never read: answering it now would follow the final
            // response, so the connection ends here instead.
            return Next::Close;
        }
        if !keep_alive || cur.broken {
            if !cur.broken && cur.is_done() && cur.pos == cur.filled {
                // Nothing the client sent is left unread: the runtime may
                // close at once instead of lingering.
                port.set_idle(true);
            }
            return Next::Close;
        }
        // The head is no longer needed: its bytes are the drain's scratch
        // space (a stack buffer would live in every connection's future).
        if !cur.is_done() && !drain(port, body_buf, &mut cur, head_buf, app.config.timeouts.body_ms).await {
            return Next::Close;
        }
        // Offsets into `rx`: the body buffer is the part of `rx` after the head.
        Next::KeepAlive {
            from: head_len.saturating_add(cur.pos),
            to: head_len.saturating_add(cur.filled),
        }
    }
}

/// `req.client = *client`, in a function of its own: with both behind
/// references of one async frame, the copy would be a `memmove` (1.5 KB of
/// flash on a device); here the arguments cannot alias.
#[inline(never)]
fn set_client(req: &mut Request<'_>, client: &Option<core::net::SocketAddr>) {
    req.client = *client;
}

/// Route a parsed request and decide what answers it, with the body limit
/// that applies. Synchronous, so that nothing it looks at is kept in the
/// connection's future. `body` holds the body bytes that arrived with the
/// head: a request whose framing is already broken in them is refused
/// here, before its handler can have side effects.
fn plan<'r, S, R: Dispatch<S>>(app: &'r App<S, R>, req: &mut Request<'r>, body: &[u8]) -> (Plan, u64) {
    // The early bytes are only looked at for a chunked body.
    #[cfg(not(feature = "chunked-requests"))]
    let _ = body;
    let cfg = &app.config;
    let found = if req.path == "*" {
        Err(MethodSet(0x7f))
    } else {
        match lookup(app.routes.routes(), req.method, req.path, app.custom_types) {
            Lookup::Found(m) => {
                req.captures = m.captures;
                Ok(m.index)
            }
            Lookup::MethodNotAllowed(allowed) => {
                if R::LAYERED {
                    // The layers of the first route whose path matches see
                    // the engine's answer (a CORS preflight): keep its pattern.
                    let mut captures = Default::default();
                    let custom = app.custom_types;
                    if app
                        .routes
                        .routes()
                        .any(|r| r.pattern.matches(req.path, custom, &mut captures))
                    {
                        req.captures = captures;
                    }
                }
                Err(allowed)
            }
            Lookup::NotFound => Err(MethodSet::EMPTY),
        }
    };
    let route = found.ok().and_then(|i| app.routes.route(i));
    let limit = route.and_then(|r| r.max_body).unwrap_or(cfg.max_body);
    let plan = match found {
        Err(allowed) if allowed.is_empty() => Plan::Error(Rejection::new(Status::NOT_FOUND, "no such resource"), None),
        Err(allowed) if req.method == Method::Options => Plan::Options(allowed),
        Err(allowed) => Plan::Error(
            Rejection::new(Status::METHOD_NOT_ALLOWED, "method not allowed here"),
            Some(allowed),
        ),
        Ok(index) => {
            let needs_length = cfg.length_required || route.is_some_and(|r| r.require_length);
            let body_method = matches!(req.method, Method::Post | Method::Put | Method::Patch);
            let refused = match req.framing {
                Framing::Length(n) if n > limit => {
                    Some(Rejection::new(Status::PAYLOAD_TOO_LARGE, "request body too large"))
                }
                Framing::None if body_method && needs_length && req.header_bytes("content-length").is_none() => {
                    Some(Rejection::new(Status::LENGTH_REQUIRED, "Content-Length required"))
                }
                #[cfg(feature = "chunked-requests")]
                Framing::Chunked => chunked_so_far(body, limit),
                #[cfg(not(feature = "chunked-requests"))]
                Framing::Chunked => Some(Rejection::new(
                    Status::NOT_IMPLEMENTED,
                    "chunked request bodies are not supported here: send Content-Length",
                )),
                _ => None,
            };
            match refused.or_else(|| app.before.and_then(|hook| hook(req, &app.state))) {
                Some(rejection) => Plan::Error(rejection, None),
                None => Plan::Handler(index),
            }
        }
    };
    (plan, limit)
}

/// The `after_request` of an app with layers but no hook of its own.
fn no_hook<S>(_: &Request<'_>, _: &S, _: Status, _: &mut HeadExtras<'_, '_>) {}

/// The route whose layers apply to a request: the one it is routed to,
/// or, for the engine's own answers (`OPTIONS`, 405), the first one whose
/// pattern matches its path. [`plan`] left that route's pattern in the
/// request's captures, so this compares pattern references instead of
/// matching the path a second time: the first route with that pattern
/// which serves the method is the routed one (an earlier route with the
/// same pattern and method would have been found first), and without one,
/// the first route with that pattern is the first that matched.
fn layered_route<S, R: Dispatch<S>>(app: &App<S, R>, req: &Request<'_>) -> Option<usize> {
    let pattern = req.captures.pattern;
    let same = |route: &Route<'_>| core::ptr::eq(route.pattern.as_str(), pattern);
    let serves = |route: &Route<'_>| {
        route.methods.contains(req.method) || (req.method == Method::Head && route.methods.contains(Method::Get))
    };
    let mut first_same = None;
    for (index, route) in app.routes.routes().enumerate() {
        if same(route) {
            if serves(route) {
                return Some(index);
            }
            first_same = first_same.or(Some(index));
        }
    }
    first_same
}

/// Whether the chunked body bytes that have arrived are already invalid
/// (400) or declare more than `limit` (413).
#[cfg(feature = "chunked-requests")]
fn chunked_so_far(body: &[u8], limit: u64) -> Option<Rejection> {
    match ChunkedDecoder::new().scan(body) {
        Err(ChunkError(why)) => Some(Rejection::new(Status::BAD_REQUEST, why)),
        Ok(declared) if declared > limit => Some(Rejection::new(Status::PAYLOAD_TOO_LARGE, "request body too large")),
        Ok(_) => None,
    }
}

/// Read and drop the rest of a body; `false` if it could not be read.
async fn drain(port: &dyn Port, buf: &mut [u8], cur: &mut Cursor, scratch: &mut [u8], timeout_ms: u32) -> bool {
    loop {
        match read_into(port, buf, cur, scratch, Some(timeout_ms)).await {
            Ok(0) => return true,
            Ok(_) => {}
            Err(_) => return false,
        }
    }
}

/// Answer a request that could not be parsed or served, then close.
async fn refuse(port: &dyn Port, tx: &mut [u8], cfg: &Config, rejection: Rejection) {
    let setup = WriterSetup {
        head_only: false,
        keep_alive: false,
        http10: false,
        server: cfg.server_header,
        error_style: cfg.error_style,
        #[cfg(feature = "std")]
        clock: cfg.clock,
    };
    port.set_deadline(Some(cfg.timeouts.write_ms));
    let mut out = ResponseWriter::new(port, tx, setup, None);
    let _ = out.error(rejection).await;
}

/// Write `Allow: GET, HEAD, ...` into `buf`.
fn allow_list(allowed: MethodSet, buf: &mut [u8; 64]) -> &str {
    let mut w = BufWriter::new(buf);
    for (i, m) in allowed.iter().enumerate() {
        if i > 0 {
            w.push(b", ");
        }
        w.push_str(m.as_str());
    }
    let n = w.len();
    core::str::from_utf8(buf.get(..n).unwrap_or(&[])).unwrap_or("")
}

/// Answer without a handler: `OPTIONS`, or an error through the app's
/// error page if it has one. Everything is written into the response
/// buffer first, then sent with one `.await`.
async fn answer(
    out: &mut ResponseWriter<'_>,
    req: &Request<'_>,
    plan: Plan,
    page: Option<ErrorPage>,
) -> Result<(), WriteError> {
    let (status, allowed, rejection) = match plan {
        Plan::Options(allowed) => (Status::OK, Some(allowed), None),
        Plan::Error(rejection, allowed) => (rejection.status, allowed, Some(rejection)),
        Plan::Handler(_) => (Status::INTERNAL_SERVER_ERROR, None, None),
    };
    out.start(status);
    if let Some(allowed) = allowed {
        let mut buf = [0u8; 64];
        out.header("Allow", allow_list(allowed, &mut buf));
    }
    let Some(rejection) = rejection else {
        return out.finish().await;
    };
    if let Some(page) = page {
        let mut body = ErrorBody {
            content_type: "text/plain; charset=utf-8",
            body: BufWriter::new(out.body_space()),
        };
        if page(req, rejection, &mut body).is_some() && !body.body.overflowed() {
            let (content_type, n) = (body.content_type, body.body.len());
            out.commit_body(n);
            out.header("Content-Type", content_type);
            if let Some((name, value)) = rejection.header {
                out.header(name, value);
            }
            return out.finish().await;
        }
    }
    out.error_body(rejection).await
}
