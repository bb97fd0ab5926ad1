//! Request-head parsing: bytes in, a [`Request`] view or a rejection out.
//!
//! ```
//! use ferrodot::http::parse::{check_partial, parse_head, HeadLimits};
//! use ferrodot::http::Status;
//!
//! let limits = HeadLimits { max_request_line: 64, ..HeadLimits::DEFAULT };
//! // A request line past the limit is refused before the head is complete: 414.
//! let long = format!("GET /{} HTTP/1.1", "a".repeat(200));
//! assert_eq!(check_partial(long.as_bytes(), &limits).unwrap_err().status, Status::URI_TOO_LONG);
//! // A header line without a colon: 400.
//! let bad = parse_head(b"GET / HTTP/1.1\r\nHost x\r\n\r\n", &limits);
//! assert_eq!(bad.unwrap_err().status, Status::BAD_REQUEST);
//! ```
//!
//! `httparse` does the tokenising; this module adds the rules of RFC 9112
//! that decide framing and persistence, and the size limits of a device.

use core::mem::MaybeUninit;

use super::request::{Captures, Framing, Request, Version};
use super::{Method, Status};

/// Limits on a request head. Defaults suit a small device.
#[derive(Debug, Clone, Copy)]
pub struct HeadLimits {
    /// Longest request line (method, target, version) → 414.
    pub max_request_line: usize,
    /// Most bytes in the whole head → 431. Also bounded by the buffer.
    pub max_head: usize,
    /// Most header lines → 431 (at most [`HEADER_SLOTS`]).
    pub max_headers: usize,
}

impl HeadLimits {
    /// A 1 KiB request line, a 2 KiB head, 24 header lines.
    pub const DEFAULT: HeadLimits = HeadLimits {
        max_request_line: 1024,
        max_head: 2048,
        max_headers: 24,
    };
}

impl Default for HeadLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The parser's scratch table size: the hard ceiling of `max_headers`. It
/// lives on the stack only while parsing, never across an `.await`.
pub const HEADER_SLOTS: usize = 64;

/// A request that cannot be served: the status to answer with and a short
/// reason for the body. A rejection of the head closes the connection;
/// one from a handler keeps it when the request's body was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejection {
    /// The status answered, e.g. `400` or `413`.
    pub status: Status,
    /// A short reason, sent as the body (plain text or JSON, per
    /// [`ErrorStyle`](crate::ErrorStyle)).
    pub reason: &'static str,
    /// One header the answer needs (426's `Sec-WebSocket-Version`, 401's
    /// `WWW-Authenticate`).
    pub header: Option<(&'static str, &'static str)>,
}

impl Rejection {
    /// A rejection answered with `status` and `reason`, without extra headers.
    pub const fn new(status: Status, reason: &'static str) -> Self {
        Rejection {
            status,
            reason,
            header: None,
        }
    }

    /// Adds the one header the answer needs, e.g. `WWW-Authenticate` for a 401.
    pub const fn with_header(mut self, name: &'static str, value: &'static str) -> Self {
        self.header = Some((name, value));
        self
    }
}

const fn bad(reason: &'static str) -> Rejection {
    Rejection::new(Status::BAD_REQUEST, reason)
}

/// What [`parse_head`] found at the start of a buffer.
///
/// `Partial` is small and `Complete` is a whole `Request` view; without a
/// heap there is nothing to box, and the value is consumed at once.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum ParsedHead<'a> {
    /// The head is not complete yet: read more bytes and parse again.
    Partial,
    /// The head is the first `head_len` bytes; what follows is body or
    /// the next pipelined request.
    Complete {
        /// The parsed head, borrowing from the buffer.
        request: Request<'a>,
        /// Length of the head, the blank line included.
        head_len: usize,
    },
}

/// Try to parse a request head from the start of `buf`.
///
/// `Err`: answer with the rejection and close.
///
/// ```
/// use ferrodot::http::parse::{parse_head, HeadLimits, ParsedHead};
///
/// // The smallest request: HTTP/1.0 needs no `Host` field (HTTP/1.1 does).
/// let raw = b"GET / HTTP/1.0\r\n\r\n";
/// let Ok(ParsedHead::Complete { request, head_len }) = parse_head(raw, &HeadLimits::DEFAULT) else {
///     panic!("a complete head");
/// };
/// assert_eq!((request.path(), head_len), ("/", raw.len()));
/// assert!(matches!(parse_head(&raw[..5], &HeadLimits::DEFAULT), Ok(ParsedHead::Partial)));
/// ```
pub fn parse_head<'a>(buf: &'a [u8], limits: &HeadLimits) -> Result<ParsedHead<'a>, Rejection> {
    // httparse fills the slots it uses; clearing all of them first would
    // cost more than the parse itself.
    let mut slots = [const { MaybeUninit::<httparse::Header<'a>>::uninit() }; HEADER_SLOTS];
    let table = slots.get_mut(..limits.max_headers.min(HEADER_SLOTS)).unwrap_or(&mut []);
    let mut raw = httparse::Request::new(&mut []);
    let line_start = buf.iter().position(|&b| b != b'\r' && b != b'\n').unwrap_or(buf.len());
    let line = buf.get(line_start..).unwrap_or(&[]);

    let head_len = match raw.parse_with_uninit_headers(buf, table) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => {
            check_partial(buf, limits)?;
            return Ok(ParsedHead::Partial);
        }
        Err(httparse::Error::TooManyHeaders) => {
            return Err(Rejection::new(
                Status::HEADER_FIELDS_TOO_LARGE,
                "too many header fields",
            ))
        }
        Err(httparse::Error::Version) => return Err(version_error(line)),
        Err(httparse::Error::Token) => {
            // httparse stops at the first bad byte; an overlong line is the
            // more useful diagnosis when the line is too long anyway.
            if request_line_len(line) > limits.max_request_line {
                return Err(too_long_line(line));
            }
            return Err(bad("invalid token in request line"));
        }
        Err(httparse::Error::HeaderName) => return Err(bad("invalid header name")),
        Err(httparse::Error::HeaderValue) => return Err(bad("invalid header value")),
        Err(httparse::Error::NewLine) => return Err(bad("invalid line ending")),
        Err(_) => return Err(bad("malformed request")),
    };
    let (Some(method), Some(target), Some(minor)) = (raw.method, raw.path, raw.version) else {
        return Err(bad("malformed request line"));
    };
    // The request line first: a head too large because of its target is
    // a long URI (414), not large header fields (431).
    let (line_len, headers_at) = request_line_span(line, method, target);
    if line_len > limits.max_request_line {
        return Err(too_long_line(line));
    }
    if head_len > limits.max_head {
        return Err(Rejection::new(
            Status::HEADER_FIELDS_TOO_LARGE,
            "request head too large",
        ));
    }
    // Both are offsets of bytes in `buf` (the request line's start and
    // the end of the line within the rest), so their sum cannot overflow.
    #[allow(clippy::arithmetic_side_effects)]
    let headers_at = line_start + headers_at;

    let version = if minor == 0 { Version::Http10 } else { Version::Http11 };
    let Some(method) = Method::from_token(method) else {
        return Err(Rejection::new(Status::NOT_IMPLEMENTED, "method not implemented"));
    };
    let (path, query, fragment) = split_target(method, target)?;
    let meta = read_headers(raw.headers, version)?;
    let head = buf.get(..head_len).unwrap_or(&[]);
    let request = Request {
        head,
        headers_at,
        method,
        target,
        path,
        query,
        fragment,
        version,
        framing: meta.framing,
        keep_alive: meta.keep_alive,
        expect_continue: meta.expect_continue,
        client: None,
        captures: Captures::default(),
    };
    Ok(ParsedHead::Complete { request, head_len })
}

/// Limits that can fail before a head is complete: a request line with
/// no end in sight (414), or a head that filled its budget (431).
pub fn check_partial(buf: &[u8], limits: &HeadLimits) -> Result<(), Rejection> {
    let line_start = buf.iter().position(|&b| b != b'\r' && b != b'\n').unwrap_or(buf.len());
    let line = buf.get(line_start..).unwrap_or(&[]);
    if !line.contains(&b'\n') && request_line_len(line) > limits.max_request_line {
        return Err(too_long_line(line));
    }
    if buf.len() >= limits.max_head {
        return Err(Rejection::new(
            Status::HEADER_FIELDS_TOO_LARGE,
            "request head too large",
        ));
    }
    Ok(())
}

/// The length of a parsed request line (without CRLF) and where the
/// header lines start, both from the start of `line`. httparse accepted
/// `method SP target SP HTTP/1.x` with single spaces, so the length is
/// known without scanning; the line ending is checked where it must be,
/// and anything else falls back to a scan.
// `method` and `target` are parts of `line`, a slice of the receive buffer,
// so their lengths plus a dozen bytes, and `end` (an index) plus one, fit.
#[allow(clippy::arithmetic_side_effects)]
fn request_line_span(line: &[u8], method: &str, target: &str) -> (usize, usize) {
    let text = method.len() + target.len() + 10;
    match (line.get(text), line.get(text + 1)) {
        (Some(b'\r'), Some(b'\n')) => (text, text + 2),
        (Some(b'\n'), _) => (text, text + 1),
        _ => {
            let end = line.iter().position(|&b| b == b'\n').unwrap_or(line.len());
            (request_line_len(line), end + 1)
        }
    }
}

/// The length of the request line at the start of `line`, without its
/// CRLF or LF. A CR at the very end of a partial line is the start of its
/// CRLF, so a line of exactly the limit is not refused when a read ends
/// between its CR and LF.
fn request_line_len(line: &[u8]) -> usize {
    let end = line.iter().position(|&b| b == b'\n').unwrap_or(line.len());
    let text = line.get(..end).unwrap_or(&[]);
    text.strip_suffix(b"\r").unwrap_or(text).len()
}

fn too_long_line(line: &[u8]) -> Rejection {
    // Only a line that got as far as a target is a long URI; anything else
    // is noise.
    let has_method = line.iter().take(8).position(|&b| b == b' ').is_some_and(|sp| {
        core::str::from_utf8(line.get(..sp).unwrap_or(&[]))
            .ok()
            .and_then(Method::from_token)
            .is_some()
    });
    if has_method {
        Rejection::new(Status::URI_TOO_LONG, "request target too long")
    } else {
        bad("malformed request line")
    }
}

/// Make a request of a later HTTP/1 minor version (`HTTP/1.2` …
/// `HTTP/1.9`) read as HTTP/1.1, as RFC 9110 §2.5 asks: a recipient
/// processes it as the highest minor version it implements. httparse
/// knows only 1.0 and 1.1, so the engine rewrites the digit of a complete
/// request line in its buffer before [`parse_head`]; the response says
/// `HTTP/1.1`. Returns whether it did. `HTTP/2.0` and above stay 505.
// `line_start + end` is an index into `head`, `at` one within it.
#[allow(clippy::arithmetic_side_effects)]
pub fn accept_later_minor(head: &mut [u8]) -> bool {
    let line_start = head
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(head.len());
    let Some(end) = head
        .get(line_start..)
        .and_then(|line| line.iter().position(|&b| b == b'\n'))
    else {
        return false;
    };
    let mut text_end = line_start + end;
    if text_end > line_start && head.get(text_end - 1) == Some(&b'\r') {
        text_end -= 1;
    }
    let Some(version) = head
        .get_mut(line_start..text_end)
        .and_then(|line| line.rsplit_mut(|&b| b == b' ').next())
    else {
        return false;
    };
    match version {
        [b'H', b'T', b'T', b'P', b'/', b'1', b'.', minor @ b'2'..=b'9'] => {
            *minor = b'1';
            true
        }
        _ => false,
    }
}

/// `HTTP/2.0` is a well-formed version we do not speak (505); `HTTX/1.1`
/// is garbage (400).
fn version_error(line: &[u8]) -> Rejection {
    let end = line
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .unwrap_or(line.len());
    let line = line.get(..end).unwrap_or(&[]);
    let version = line.rsplit(|&b| b == b' ').next().unwrap_or(&[]);
    match version {
        [b'H', b'T', b'T', b'P', b'/', major, b'.', minor] if major.is_ascii_digit() && minor.is_ascii_digit() => {
            Rejection::new(Status::HTTP_VERSION_NOT_SUPPORTED, "HTTP version not supported")
        }
        _ => bad("malformed HTTP version"),
    }
}

/// Split a request target into path, query and fragment (RFC 9112 §3.2).
fn split_target(method: Method, target: &str) -> Result<(&str, &str, &str), Rejection> {
    let origin = if target.starts_with('/') {
        target
    } else if target == "*" {
        if method != Method::Options {
            return Err(bad("asterisk-form target is only for OPTIONS"));
        }
        return Ok(("*", "", ""));
    } else if let Some(rest) = strip_scheme(target) {
        // absolute-form: the authority is ignored, the path is routed.
        match rest.find(['/', '?', '#']) {
            Some(i) if rest.as_bytes().get(i) == Some(&b'/') => rest.get(i..).unwrap_or("/"),
            Some(i) => return split_with_path("/", rest.get(i..).unwrap_or("")),
            None => "/",
        }
    } else {
        return Err(bad("invalid request target"));
    };
    split_with_path("", origin)
}

// `from + i`, `end_of_path + 1` and `end_of_query + 1` are at most one past
// an index of `origin`.
#[allow(clippy::arithmetic_side_effects)]
fn split_with_path<'a>(path_prefix: &'static str, origin: &'a str) -> Result<(&'a str, &'a str, &'a str), Rejection> {
    // Byte scans, not `split_once`: a memchr set-up per call costs more
    // than the few bytes of a typical target.
    let at = |from: usize, hit: fn(u8) -> bool| {
        origin
            .as_bytes()
            .iter()
            .skip(from)
            .position(|&b| hit(b))
            .map_or(origin.len(), |i| from + i)
    };
    let end_of_path = at(0, |b| b == b'?' || b == b'#');
    let has_query = origin.as_bytes().get(end_of_path) == Some(&b'?');
    let end_of_query = if has_query {
        at(end_of_path, |b| b == b'#')
    } else {
        end_of_path
    };
    let path = origin.get(..end_of_path).unwrap_or("");
    let query = origin.get(end_of_path + 1..end_of_query).unwrap_or("");
    let fragment = origin.get(end_of_query + 1..).unwrap_or("");
    let path = if path.is_empty() && !path_prefix.is_empty() {
        path_prefix
    } else {
        path
    };
    Ok((path, query, fragment))
}

fn strip_scheme(target: &str) -> Option<&str> {
    // A byte search, not `split_once("://")`: core's substring search
    // costs over a kilobyte of flash.
    let colon = target.bytes().position(|b| b == b':')?;
    let scheme = target.get(..colon)?;
    let rest = target.get(colon..)?.strip_prefix("://")?;
    (scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")).then_some(rest)
}

struct HeadMeta {
    framing: Framing,
    keep_alive: bool,
    expect_continue: bool,
}

/// Apply the header rules that decide framing and persistence.
fn read_headers(headers: &[httparse::Header<'_>], version: Version) -> Result<HeadMeta, Rejection> {
    let mut content_length: Option<u64> = None;
    let mut transfer_encoding = false;
    // The last transfer coding seen was chunked; an unknown one was seen.
    let mut chunked_last = false;
    let mut unknown_coding = false;
    let mut hosts = 0u32;
    let mut close = false;
    let mut keep_alive = false;
    let mut expect_continue = false;
    for h in headers {
        let name = h.name;
        if name.eq_ignore_ascii_case("content-length") {
            // RFC 9112 §6.3: a list of identical values is one value; any
            // disagreement is unrecoverable framing.
            for item in h.value.split(|&b| b == b',') {
                let n = parse_length(item.trim_ascii()).ok_or(bad("invalid Content-Length"))?;
                if content_length.is_some_and(|prev| prev != n) {
                    return Err(bad("conflicting Content-Length values"));
                }
                content_length = Some(n);
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            if version == Version::Http10 {
                // RFC 9112 §6.1: treat the framing of such a 1.0 message as faulty.
                return Err(bad("Transfer-Encoding in an HTTP/1.0 request"));
            }
            let mut any = false;
            for coding in h.value.split(|&b| b == b',') {
                let coding = coding.trim_ascii();
                if coding.is_empty() {
                    continue;
                }
                any = true;
                chunked_last = coding.eq_ignore_ascii_case(b"chunked");
                if !chunked_last {
                    unknown_coding = true;
                } else if transfer_encoding {
                    return Err(bad("chunked applied more than once"));
                } else {
                    transfer_encoding = true;
                }
            }
            if !any {
                return Err(bad("empty Transfer-Encoding"));
            }
        } else if name.eq_ignore_ascii_case("host") {
            // RFC 9112 §3.2: an invalid Host value is a 400.
            if !valid_host(h.value) {
                return Err(bad("invalid Host header"));
            }
            hosts = hosts.saturating_add(1);
        } else if name.eq_ignore_ascii_case("connection") {
            for token in h.value.split(|&b| b == b',') {
                let token = token.trim_ascii();
                close |= token.eq_ignore_ascii_case(b"close");
                keep_alive |= token.eq_ignore_ascii_case(b"keep-alive");
            }
        } else if name.eq_ignore_ascii_case("expect") {
            if h.value.trim_ascii().eq_ignore_ascii_case(b"100-continue") {
                // RFC 9110 §10.1.1: ignored in HTTP/1.0, which has no 1xx
                // responses (§15.2).
                expect_continue = version == Version::Http11;
            } else {
                return Err(Rejection::new(Status::EXPECTATION_FAILED, "unsupported expectation"));
            }
        }
    }
    // RFC 9112 §6.3: chunked applied but not last leaves the body length
    // unknown: 400 and close. Any other coding we do not know (no chunked
    // at all, or before chunked) is 501 (RFC 9112 §6.1); both close.
    if transfer_encoding && !chunked_last {
        return Err(bad("chunked is not the final transfer coding"));
    }
    if unknown_coding {
        return Err(Rejection::new(
            Status::NOT_IMPLEMENTED,
            "transfer coding not implemented",
        ));
    }
    // RFC 9112 §3.2: exactly one Host in HTTP/1.1; at most one in 1.0.
    if hosts > 1 || (hosts == 0 && version == Version::Http11) {
        return Err(bad("HTTP/1.1 requests need exactly one Host header"));
    }
    let framing = match (transfer_encoding, content_length) {
        // RFC 9112 §6.1: both is a smuggling attempt; refuse, then close.
        (true, Some(_)) => return Err(bad("both Content-Length and Transfer-Encoding")),
        (true, None) => Framing::Chunked,
        (false, Some(0)) | (false, None) => Framing::None,
        (false, Some(n)) => Framing::Length(n),
    };
    let keep_alive = match version {
        Version::Http11 => !close,
        Version::Http10 => keep_alive && !close,
    };
    Ok(HeadMeta {
        framing,
        keep_alive,
        expect_continue,
    })
}

/// Digits only: no sign, no spaces, no overflow.
pub(crate) fn parse_length(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &d| {
        let digit = d.checked_sub(b'0').filter(|&v| v < 10)?;
        n.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// A Host value (RFC 9110 §7.2: `uri-host [ ":" port ]`, or empty): the
/// characters of a reg-name, an IPv4 address or an IP literal, and a port.
/// Exact URI grammar is not needed to route, only refusing what no
/// authority can contain (spaces, `/`, `@`, controls, non-ASCII).
pub(crate) fn valid_host(value: &[u8]) -> bool {
    value.trim_ascii().iter().all(|&b| {
        b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.' | b'_' | b'~' | b'%' | b'!' | b'$' | b'&' | b'\'' | b'(' | b')'
            )
            || matches!(b, b'*' | b'+' | b',' | b';' | b'=' | b':' | b'[' | b']')
    })
}
