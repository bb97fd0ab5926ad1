//! One connection's life: read a head, route it, run the handler, write
//! the response, then keep the connection for the next request or close.

use core::cell::Cell;

use crate::app::{App, Dispatch, ErrorBody};
use crate::http::method::MethodSet;
use crate::http::parse::{parse_head, Rejection};
use crate::http::request::Framing;
use crate::http::response::BufWriter;
use crate::http::{Method, Request, Status, Version};
use crate::io::{IoError, Transport};
use crate::route::table::{lookup, Lookup};

use super::body::{read_into, Cursor, RequestBody};
use super::port::{self, Port, SharedTransport};
use super::writer::{ResponseWriter, WriteError, WriterSetup};

/// How a request ended for the connection.
enum Next {
    /// Serve the next request; `pending` bytes of it are already buffered.
    KeepAlive { pending: usize },
    Close,
}

/// Serve HTTP/1.1 on one connection until it closes.
///
/// `rx` holds request heads (and bodies a handler collects); `tx` holds
/// response heads and bodies. Their sizes bound the connection's memory.
pub async fn serve_connection<S, R: Dispatch<S>>(
    app: &App<S, R>,
    transport: &mut dyn Transport,
    rx: &mut [u8],
    tx: &mut [u8],
    client: Option<core::net::SocketAddr>,
) -> Result<(), IoError> {
    let port = SharedTransport::new(transport);
    let mut pending = 0;
    let mut first = true;
    loop {
        match serve_one(app, &port, rx, tx, client, pending, first).await? {
            Next::KeepAlive { pending: p } => pending = p,
            Next::Close => return Ok(()),
        }
        first = false;
    }
}

/// Find the end of a head (`\n\r\n` or `\n\n`) in `buf`, looking from `from`.
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

async fn serve_one<S, R: Dispatch<S>>(
    app: &App<S, R>,
    port: &dyn Port,
    rx: &mut [u8],
    tx: &mut [u8],
    client: Option<core::net::SocketAddr>,
    mut filled: usize,
    first: bool,
) -> Result<Next, IoError> {
    let cfg = &app.config;
    let t = &cfg.timeouts;
    let limits = crate::http::parse::HeadLimits { max_head: cfg.head.max_head.min(rx.len()), ..cfg.head };

    // 1. Read until a whole head is buffered.
    let mut scanned = 0usize;
    let head_len = loop {
        // Empty lines before a request are ignored (RFC 9112 §2.2).
        let skip = rx.get(..filled).unwrap_or(&[]).iter().take_while(|&&b| b == b'\r' || b == b'\n').count();
        if skip > 0 {
            rx.copy_within(skip..filled, 0);
            filled -= skip;
            scanned = scanned.saturating_sub(skip);
        }
        if let Some(end) = head_end(rx.get(..filled).unwrap_or(&[]), scanned) {
            break end;
        }
        scanned = filled;
        if let Err(rejection) = crate::http::parse::check_partial(rx.get(..filled).unwrap_or(&[]), &limits) {
            return reject(app, port, tx, rejection, None).await;
        }
        port.set_deadline(Some(match (filled, first) {
            (0, true) => t.first_byte_ms,
            (0, false) => t.idle_ms,
            _ => t.head_ms,
        }));
        let Some(space) = rx.get_mut(filled..) else { return Ok(Next::Close) };
        let was_empty = filled == 0;
        port.set_idle(was_empty);
        let read = port::read(port, space).await;
        port.set_idle(false);
        match read {
            Ok(0) => return Ok(Next::Close),
            Ok(n) => filled += n,
            Err(IoError::TimedOut) if !was_empty => {
                let rejection = Rejection::new(Status::REQUEST_TIMEOUT, "request head not received in time");
                return reject(app, port, tx, rejection, None).await;
            }
            Err(_) => return Ok(Next::Close),
        }
        if was_empty && filled > 0 {
            // The head deadline runs from the request's first byte.
            port.set_deadline(Some(t.head_ms));
        }
    };

    // 2. Parse it. The head is borrowed; the rest of `rx` is the body's.
    let (head_buf, body_buf) = rx.split_at_mut(head_len.min(filled));
    let (mut req, _) = match parse_head(head_buf, &limits) {
        Ok(Some(parsed)) => parsed,
        Ok(None) => return reject(app, port, tx, Rejection::new(Status::BAD_REQUEST, "malformed request"), None).await,
        Err(rejection) => return reject(app, port, tx, rejection, None).await,
    };
    req.client = client;
    let body_filled = filled - head_buf.len();

    // 3. Route it.
    let found = if req.path == "*" {
        Err(MethodSet(0x7f))
    } else {
        match lookup(app.routes.routes(), req.method, req.path, app.custom_types) {
            Lookup::Found(m) => {
                req.captures = m.captures;
                Ok(m.index)
            }
            Lookup::MethodNotAllowed(allowed) => Err(allowed),
            Lookup::NotFound => Err(MethodSet::EMPTY),
        }
    };
    let route = found.ok().and_then(|i| app.routes.route(i));
    let limit = route.and_then(|r| r.max_body).unwrap_or(cfg.max_body);
    let cursor = Cell::new(Cursor::new(req.framing, 0, body_filled, limit, req.expect_continue));

    let setup = WriterSetup {
        head_only: req.method == Method::Head,
        keep_alive: req.keep_alive,
        http10: req.version == Version::Http10,
        server: cfg.server_header,
        error_style: cfg.error_style,
    };
    let after = app.after.map(|hook| {
        let (req, state) = (&req, &app.state);
        move |status: Status, extras: &mut super::writer::HeadExtras<'_, '_>| hook(req, state, status, extras)
    });
    let hook: Option<super::writer::HeadHook<'_>> = after.as_ref().map(|h| h as _);
    let mut out = ResponseWriter::new(port, tx, setup, hook);
    out.watch_body(&cursor);

    // 4. Checks that answer before the handler.
    let body_method = matches!(req.method, Method::Post | Method::Put | Method::Patch);
    let early = match found {
        Err(allowed) if req.method == Method::Options && !allowed.is_empty() => Some(Early::Options(allowed)),
        Err(allowed) if allowed.is_empty() => Some(Early::Reject(Rejection::new(Status::NOT_FOUND, "no such resource"))),
        Err(allowed) => Some(Early::MethodNotAllowed(allowed)),
        Ok(_) => {
            let needs_length = cfg.length_required || route.is_some_and(|r| r.require_length);
            match req.framing {
                Framing::Length(n) if n > limit => {
                    Some(Early::Reject(Rejection::new(Status::PAYLOAD_TOO_LARGE, "request body too large")))
                }
                Framing::None if body_method && needs_length && req.header_bytes("content-length").is_none() => {
                    Some(Early::Reject(Rejection::new(Status::LENGTH_REQUIRED, "Content-Length required")))
                }
                _ => app.before.and_then(|hook| hook(&req, &app.state)).map(Early::Reject),
            }
        }
    };

    // 5. Answer: early, or through the handler.
    let result = {
        let body = RequestBody::new(port, &mut *body_buf, &cursor, Some(t.body_ms));
        match (early, found) {
            (Some(Early::Options(allowed)), _) => send_allow(&mut out, Status::OK, allowed).await,
            (Some(Early::MethodNotAllowed(allowed)), _) => {
                let rejection = Rejection::new(Status::METHOD_NOT_ALLOWED, "method not allowed here");
                send_error(app, &req, &mut out, rejection, Some(allowed)).await
            }
            (Some(Early::Reject(rejection)), _) => {
                // The body was not read: close unless there is none.
                if req.framing != Framing::None {
                    out.close_after();
                }
                send_error(app, &req, &mut out, rejection, None).await
            }
            (None, Ok(index)) => {
                port.set_deadline(Some(t.write_ms));
                app.routes.call(index, &req, &app.state, &body, &mut out).await
            }
            (None, Err(_)) => Ok(()),
        }
    };
    if port.is_hijacked() {
        // Upgraded (WebSocket): the handler owned the connection until now.
        return Ok(Next::Close);
    }
    let mut keep_alive = out.keep_alive();
    let committed = out.is_committed();
    let done = out.is_done();

    let result = match result {
        // A handler that wrote nothing still owes the client an answer.
        Ok(()) if !done && !committed => Err(WriteError::Invalid("the handler sent no response")),
        other => other,
    };
    match result {
        Ok(()) if done => {}
        Ok(()) => return Ok(Next::Close),
        Err(WriteError::Io(_)) => return Ok(Next::Close),
        Err(WriteError::Invalid(why)) => {
            if committed {
                return Ok(Next::Close);
            }
            let mut out = ResponseWriter::new(port, tx, setup, None);
            out.close_after();
            let _ = out.error(Rejection::new(Status::INTERNAL_SERVER_ERROR, why)).await;
            return Ok(Next::Close);
        }
    }

    // 6. Finish the body the handler left unread, then keep the rest.
    let mut cur = cursor.get();
    if cur.continue_pending && !cur.is_done() {
        // The client still waits for 100 Continue before sending a body
        // the handler never read: answering it now would follow the final
        // response, so the connection ends here instead.
        return Ok(Next::Close);
    }
    if keep_alive && !cur.broken && !cur.is_done() {
        // The head is no longer needed: its bytes are the scratch space
        // (a stack buffer here would live in every connection's future).
        let drained = loop {
            match read_into(port, body_buf, &mut cur, head_buf, Some(t.body_ms)).await {
                Ok(0) => break true,
                Ok(_) => {}
                Err(_) => break false,
            }
        };
        keep_alive = drained;
    }
    if !keep_alive || cur.broken {
        return Ok(Next::Close);
    }
    // Bytes after the body belong to the next (pipelined) request.
    let from = head_len + cur.pos;
    let to = head_len + cur.filled;
    let pending = to.saturating_sub(from);
    if pending > 0 {
        rx.copy_within(from..to, 0);
    }
    Ok(Next::KeepAlive { pending })
}

enum Early {
    Options(MethodSet),
    MethodNotAllowed(MethodSet),
    Reject(Rejection),
}

/// Answer a request that could not be parsed, then close.
async fn reject<S, R>(
    app: &App<S, R>,
    port: &dyn Port,
    tx: &mut [u8],
    rejection: Rejection,
    _req: Option<&Request<'_>>,
) -> Result<Next, IoError> {
    let setup = WriterSetup {
        head_only: false,
        keep_alive: false,
        http10: false,
        server: app.config.server_header,
        error_style: app.config.error_style,
    };
    port.set_deadline(Some(app.config.timeouts.write_ms));
    let mut out = ResponseWriter::new(port, tx, setup, None);
    let _ = out.error(rejection).await;
    Ok(Next::Close)
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

async fn send_allow(out: &mut ResponseWriter<'_>, status: Status, allowed: MethodSet) -> Result<(), WriteError> {
    let mut buf = [0u8; 64];
    out.start(status);
    out.header("Allow", allow_list(allowed, &mut buf));
    out.finish().await
}

/// An error response, through the app's error page if it has one.
async fn send_error<S, R>(
    app: &App<S, R>,
    req: &Request<'_>,
    out: &mut ResponseWriter<'_>,
    rejection: Rejection,
    allowed: Option<MethodSet>,
) -> Result<(), WriteError> {
    let mut allow_buf = [0u8; 64];
    out.start(rejection.status);
    if let Some(allowed) = allowed {
        out.header("Allow", allow_list(allowed, &mut allow_buf));
    }
    if let Some(page) = app.error_page {
        let mut body = ErrorBody { content_type: "text/plain; charset=utf-8", body: BufWriter::new(out.body_space()) };
        if page(req, rejection, &mut body).is_some() && !body.body.overflowed() {
            let (content_type, n) = (body.content_type, body.body.len());
            out.commit_body(n);
            out.header("Content-Type", content_type);
            return out.finish().await;
        }
    }
    out.error_body(rejection).await
}
