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
//! The crate's own byte-by-byte grammar checks the bytes (httparse is its
//! oracle in the tests and the fuzz targets); this module adds the rules of
//! RFC 9112 that decide framing and persistence, and the size limits of a
//! device.

use super::fields::cut;
use super::grammar::{self, Malformed, Stop};
use super::request::{Captures, Framing, Request, Version};
use super::{Method, Status};

/// Limits on a request head. Defaults suit a small device.
#[derive(Debug, Clone, Copy)]
pub struct HeadLimits {
    /// Longest request line (method, target, version) → 414.
    pub max_request_line: usize,
    /// Most bytes in the whole head → 431. Also bounded by the buffer.
    pub max_head: usize,
    /// Most header lines → 431.
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
    let line = match grammar::request_line(buf) {
        Ok(line) => line,
        Err(stop) => return stopped(stop, buf, limits),
    };
    let version = if line.minor == 0 {
        Version::Http10
    } else {
        Version::Http11
    };
    // The rules of the fields run as they are read; their verdict waits
    // until the head is known to be complete and within its limits.
    let mut rules = FieldRules::new(version);
    let head_len = match grammar::field_lines(buf, line.end, limits.max_headers, |name, value| {
        rules.field(name, value)
    }) {
        Ok(len) => len,
        Err(stop) => return stopped(stop, buf, limits),
    };
    // The request line first: a head too large because of its target is
    // a long URI (414), not large header fields (431).
    let rest = buf.get(line.start..).unwrap_or(&[]);
    if line.len > limits.max_request_line {
        return Err(too_long_line(rest));
    }
    if head_len > limits.max_head {
        return Err(Rejection::new(
            Status::HEADER_FIELDS_TOO_LARGE,
            "request head too large",
        ));
    }
    let Some(method) = Method::from_bytes(line.method) else {
        return Err(Rejection::new(Status::NOT_IMPLEMENTED, "method not implemented"));
    };
    let (path, query, fragment) = split_target(method, line.target)?;
    let meta = rules.finish()?;
    let head = buf.get(..head_len).unwrap_or(&[]);
    let request = Request {
        head,
        headers_at: line.end,
        method,
        target: line.target,
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

/// What an incomplete or malformed head is answered with: read more
/// (unless a limit is already past), or the rejection.
fn stopped<'a>(stop: Stop, buf: &[u8], limits: &HeadLimits) -> Result<ParsedHead<'a>, Rejection> {
    let line_start = buf.iter().position(|&b| b != b'\r' && b != b'\n').unwrap_or(buf.len());
    let line = buf.get(line_start..).unwrap_or(&[]);
    let Stop::Malformed(malformed) = stop else {
        return check_partial(buf, limits).map(|()| ParsedHead::Partial);
    };
    Err(match malformed {
        Malformed::TooManyFields => Rejection::new(Status::HEADER_FIELDS_TOO_LARGE, "too many header fields"),
        Malformed::Version => version_error(line),
        // The scan stops at the first bad byte; an overlong line is the
        // more useful diagnosis when the line is too long anyway.
        Malformed::Token if request_line_len(line) > limits.max_request_line => too_long_line(line),
        Malformed::Token => bad("invalid token in request line"),
        Malformed::HeaderName => bad("invalid header name"),
        Malformed::HeaderValue => bad("invalid header value"),
        Malformed::NewLine => bad("invalid line ending"),
    })
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
    let has_method = line
        .iter()
        .take(8)
        .position(|&b| b == b' ')
        .is_some_and(|sp| Method::from_bytes(line.get(..sp).unwrap_or(&[])).is_some());
    if has_method {
        Rejection::new(Status::URI_TOO_LONG, "request target too long")
    } else {
        bad("malformed request line")
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
        match rest.bytes().position(|b| matches!(b, b'/' | b'?' | b'#')) {
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

/// The header rules that decide framing and persistence, applied one field
/// at a time as the head is read. The first broken rule is kept and
/// answered once the whole head is known to be well-formed.
struct FieldRules {
    version: Version,
    content_length: Option<u64>,
    transfer_encoding: bool,
    // The last transfer coding seen was chunked; an unknown one was seen.
    chunked_last: bool,
    unknown_coding: bool,
    hosts: u32,
    close: bool,
    keep_alive: bool,
    expect_continue: bool,
    broken: Option<Rejection>,
}

impl FieldRules {
    fn new(version: Version) -> Self {
        FieldRules {
            version,
            content_length: None,
            transfer_encoding: false,
            chunked_last: false,
            unknown_coding: false,
            hosts: 0,
            close: false,
            keep_alive: false,
            expect_continue: false,
            broken: None,
        }
    }

    fn field(&mut self, name: &[u8], value: &[u8]) {
        if self.broken.is_none() {
            self.broken = self.apply(name, value).err();
        }
    }

    fn apply(&mut self, name: &[u8], value: &[u8]) -> Result<(), Rejection> {
        if name.eq_ignore_ascii_case(b"content-length") {
            // RFC 9112 §6.3: a list of identical values is one value; any
            // disagreement is unrecoverable framing.
            each_item(value, |item| {
                let n = parse_length(item).ok_or(bad("invalid Content-Length"))?;
                if self.content_length.is_some_and(|prev| prev != n) {
                    return Err(bad("conflicting Content-Length values"));
                }
                self.content_length = Some(n);
                Ok(())
            })?;
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            if self.version == Version::Http10 {
                // RFC 9112 §6.1: treat the framing of such a 1.0 message as faulty.
                return Err(bad("Transfer-Encoding in an HTTP/1.0 request"));
            }
            let mut any = false;
            each_item(value, |coding| {
                if coding.is_empty() {
                    return Ok(());
                }
                any = true;
                self.chunked_last = coding.eq_ignore_ascii_case(b"chunked");
                if !self.chunked_last {
                    self.unknown_coding = true;
                } else if self.transfer_encoding {
                    return Err(bad("chunked applied more than once"));
                } else {
                    self.transfer_encoding = true;
                }
                Ok(())
            })?;
            if !any {
                return Err(bad("empty Transfer-Encoding"));
            }
        } else if name.eq_ignore_ascii_case(b"host") {
            // RFC 9112 §3.2: an invalid Host value is a 400.
            if !valid_host(value) {
                return Err(bad("invalid Host header"));
            }
            self.hosts = self.hosts.saturating_add(1);
        } else if name.eq_ignore_ascii_case(b"connection") {
            each_item(value, |token| {
                self.close |= token.eq_ignore_ascii_case(b"close");
                self.keep_alive |= token.eq_ignore_ascii_case(b"keep-alive");
                Ok(())
            })?;
        } else if name.eq_ignore_ascii_case(b"expect") {
            if value.eq_ignore_ascii_case(b"100-continue") {
                // RFC 9110 §10.1.1: ignored in HTTP/1.0, which has no 1xx
                // responses (§15.2).
                self.expect_continue = self.version == Version::Http11;
            } else {
                return Err(Rejection::new(Status::EXPECTATION_FAILED, "unsupported expectation"));
            }
        }
        Ok(())
    }

    /// The verdict on the whole head.
    fn finish(self) -> Result<HeadMeta, Rejection> {
        if let Some(rejection) = self.broken {
            return Err(rejection);
        }
        // RFC 9112 §6.3: chunked applied but not last leaves the body length
        // unknown: 400 and close. Any other coding we do not know (no chunked
        // at all, or before chunked) is 501 (RFC 9112 §6.1); both close.
        if self.transfer_encoding && !self.chunked_last {
            return Err(bad("chunked is not the final transfer coding"));
        }
        if self.unknown_coding {
            return Err(Rejection::new(
                Status::NOT_IMPLEMENTED,
                "transfer coding not implemented",
            ));
        }
        // RFC 9112 §3.2: exactly one Host in HTTP/1.1; at most one in 1.0.
        if self.hosts > 1 || (self.hosts == 0 && self.version == Version::Http11) {
            return Err(bad("HTTP/1.1 requests need exactly one Host header"));
        }
        let framing = match (self.transfer_encoding, self.content_length) {
            // RFC 9112 §6.1: both is a smuggling attempt; refuse, then close.
            (true, Some(_)) => return Err(bad("both Content-Length and Transfer-Encoding")),
            (true, None) => Framing::Chunked,
            (false, Some(0)) | (false, None) => Framing::None,
            (false, Some(n)) => Framing::Length(n),
        };
        let keep_alive = match self.version {
            Version::Http11 => !self.close,
            Version::Http10 => self.keep_alive && !self.close,
        };
        Ok(HeadMeta {
            framing,
            keep_alive,
            expect_continue: self.expect_continue,
        })
    }
}

/// Each item of a comma-separated field value, trimmed, in order, through
/// the one list walker the engine has ([`cut`]).
fn each_item(list: &[u8], mut item: impl FnMut(&[u8]) -> Result<(), Rejection>) -> Result<(), Rejection> {
    let mut rest = Some(list);
    while let Some(s) = rest {
        let (head, tail) = cut(s, b',');
        item(head.trim_ascii())?;
        rest = tail;
    }
    Ok(())
}

/// Digits only: no sign, no spaces, at most 19 of them (so no overflow).
pub(crate) fn parse_length(digits: &[u8]) -> Option<u64> {
    if digits.len() > 19 {
        return None;
    }
    parse_digits(digits)
}

/// 1*DIGIT into a u64 (`Content-Length`, `Range` bounds); overflow and other
/// bytes are `None`.
pub(crate) fn parse_digits(digits: &[u8]) -> Option<u64> {
    let mut n: u64 = 0;
    for &b in digits {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(digit))?;
    }
    (!digits.is_empty()).then_some(n)
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
