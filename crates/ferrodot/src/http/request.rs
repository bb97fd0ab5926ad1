//! The zero-copy request view handed to routes and handlers.
//!
//! ```
//! use ferrodot::http::parse::{parse_head, HeadLimits, ParsedHead};
//!
//! let raw = b"POST /led?on=1&on=2 HTTP/1.0\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: 11\r\n\r\n";
//! let Ok(ParsedHead::Complete { request, .. }) = parse_head(raw, &HeadLimits::DEFAULT) else {
//!     panic!("a complete head");
//! };
//! assert_eq!(request.query_all("on").map(|v| v.raw()).collect::<Vec<_>>(), ["1", "2"]);
//! assert!(request.mime_is("application/json"));
//! assert_eq!(request.content_length(), Some(11));
//! assert!(!request.wants_keep_alive()); // HTTP/1.0 without `Connection: keep-alive`
//! ```

use super::fields::Fields;
pub use super::fields::Headers;
use super::query::{Encoded, QueryPairs};
use super::Method;

/// The protocol version of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// `HTTP/1.0`: the connection closes after the response unless the client
    /// asks for keep-alive.
    Http10,
    /// `HTTP/1.1`: persistent connections by default (RFC 9112 §9.3).
    Http11,
}

impl Version {
    /// The version as on the wire, e.g. `"HTTP/1.1"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Version::Http10 => "HTTP/1.0",
            Version::Http11 => "HTTP/1.1",
        }
    }
}

/// How many path captures a route may have.
pub const MAX_CAPTURES: usize = 8;

/// Path captures of the matched route: spans of the raw path, named by the
/// route pattern (which is re-read to find names, so no names are stored).
#[derive(Clone, Copy, Debug)]
pub struct Captures<'a> {
    pub(crate) pattern: &'a str,
    pub(crate) spans: [(u16, u16); MAX_CAPTURES],
    pub(crate) len: u8,
    /// Which captures matched nothing at all (`:x?` against `/p`), by bit.
    pub(crate) absent: u8,
    /// Where capture `name` is in `pattern`: the router's pattern reader,
    /// handed over with the spans, so this lower layer needs no pattern
    /// syntax of its own (and does not import the router).
    pub(crate) position: fn(pattern: &str, name: &str) -> Option<usize>,
}

impl Default for Captures<'_> {
    fn default() -> Self {
        Captures {
            pattern: "",
            spans: [(0, 0); MAX_CAPTURES],
            len: 0,
            absent: 0,
            position: |_, _| None,
        }
    }
}

/// How the request body is framed on the wire (RFC 9112 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body.
    None,
    /// `Content-Length: n`.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// A parsed request head, borrowing the connection's buffer.
///
/// Headers are not copied into a table: the head was validated by the
/// parser, so lookups scan it again. That keeps a connection's RAM to the
/// buffer itself.
#[derive(Clone, Debug)]
pub struct Request<'a> {
    pub(crate) head: &'a [u8],
    pub(crate) headers_at: usize,
    pub(crate) method: Method,
    pub(crate) target: &'a str,
    pub(crate) path: &'a str,
    pub(crate) query: &'a str,
    pub(crate) fragment: &'a str,
    pub(crate) version: Version,
    pub(crate) framing: Framing,
    pub(crate) keep_alive: bool,
    pub(crate) expect_continue: bool,
    pub(crate) client: Option<core::net::SocketAddr>,
    pub(crate) captures: Captures<'a>,
}

impl<'a> Request<'a> {
    /// The request method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The request target exactly as sent (`/a/b?x=1`).
    pub fn target(&self) -> &'a str {
        self.target
    }

    /// The raw (still percent-encoded) path, without query or fragment.
    pub fn path(&self) -> &'a str {
        self.path
    }

    /// The path, percent-decoded on demand.
    pub fn path_decoded(&self) -> Encoded<'a> {
        Encoded::path(self.path)
    }

    /// The raw query string (after `?`, before `#`), `""` when absent.
    pub fn query_string(&self) -> &'a str {
        self.query
    }

    /// The fragment (after `#`); clients should not send one, but some do.
    pub fn fragment(&self) -> &'a str {
        self.fragment
    }

    /// All query pairs in order; repeated keys are all kept.
    pub fn query_pairs(&self) -> QueryPairs<'a> {
        QueryPairs::new(self.query)
    }

    /// The first value of query key `key` (compared after decoding).
    pub fn query(&self, key: &str) -> Option<Encoded<'a>> {
        self.query_all(key).next()
    }

    /// Every value of query key `key`.
    pub fn query_all<'k>(&self, key: &'k str) -> impl Iterator<Item = Encoded<'a>> + 'k
    where
        'a: 'k,
    {
        self.query_pairs()
            .filter(move |(k, _)| k.eq_decoded(key))
            .map(|(_, v)| v)
    }

    /// The protocol version of the request line.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The peer's address, when the runtime knows it.
    pub fn client_addr(&self) -> Option<core::net::SocketAddr> {
        self.client
    }

    /// How the body is framed.
    pub fn framing(&self) -> Framing {
        self.framing
    }

    /// The declared body length (`None` for chunked bodies).
    pub fn content_length(&self) -> Option<u64> {
        match self.framing {
            Framing::Length(n) => Some(n),
            Framing::None => Some(0),
            Framing::Chunked => None,
        }
    }

    /// Whether the client asked to keep the connection open.
    pub fn wants_keep_alive(&self) -> bool {
        self.keep_alive
    }

    /// Every header line as `(name, value)`, in order, repeats included.
    pub fn headers(&self) -> Headers<'a> {
        self.fields().iter()
    }

    /// The first value of header `name` (case-insensitive) as text;
    /// `None` when absent or not valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.header_bytes(name).and_then(|v| core::str::from_utf8(v).ok())
    }

    /// The first value of header `name` as bytes.
    pub fn header_bytes(&self, name: &str) -> Option<&'a [u8]> {
        self.headers_all(name).next()
    }

    /// Every value of header `name`, in order.
    pub fn headers_all<'n>(&self, name: &'n str) -> impl Iterator<Item = &'a [u8]> + 'n
    where
        'a: 'n,
    {
        self.fields().all(name)
    }

    /// The header lines, read in place.
    pub fn fields(&self) -> Fields<'a> {
        Fields::new(self.head.get(self.headers_at..).unwrap_or(&[]))
    }

    /// `Content-Type` without parameters, lower-cased comparison left to
    /// the caller (`mime_is`).
    pub fn content_type(&self) -> Option<&'a str> {
        let value = self.header("content-type")?;
        let end = value.bytes().position(|b| b == b';').unwrap_or(value.len());
        Some(value.get(..end).unwrap_or("").trim_ascii())
    }

    /// True when the media type of the body is `mime` (case-insensitive,
    /// parameters ignored).
    pub fn mime_is(&self, mime: &str) -> bool {
        self.content_type().is_some_and(|t| t.eq_ignore_ascii_case(mime))
    }

    /// The raw value of path capture `name`.
    pub fn param(&self, name: &str) -> Option<Encoded<'a>> {
        let index = (self.captures.position)(self.captures.pattern, name)?;
        self.param_at(index)
    }

    /// The raw value of the `index`-th path capture. A capture that
    /// matched nothing (`:x?` against `/p`) is `None`.
    pub fn param_at(&self, index: usize) -> Option<Encoded<'a>> {
        if index >= usize::from(self.captures.len) || self.captures.absent & (1 << index) != 0 {
            return None;
        }
        let (start, end) = *self.captures.spans.get(index)?;
        self.path.get(usize::from(start)..usize::from(end)).map(Encoded::path)
    }

    /// How many captures the matched route has.
    pub fn param_count(&self) -> usize {
        usize::from(self.captures.len)
    }

    /// The pattern of the matched route (`""` before routing).
    pub fn route_pattern(&self) -> &'a str {
        self.captures.pattern
    }
}
