//! What can go wrong on the client side, as one small `Copy` value.

use core::fmt;

/// Why a request failed. After any error but [`Error::Request`] and
/// [`Error::BufferTooSmall`], the connection is not reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The request could not be written as given (a header with CR/LF,
    /// a method or target that is not valid on the wire, …).
    Request(&'static str),
    /// The caller's buffer cannot hold the request head.
    BufferTooSmall,
    /// The response head is larger than the limit or the buffer.
    HeadTooLarge,
    /// The response has more header fields than the limit.
    TooManyHeaders,
    /// The response head is not HTTP (garbage, a bad status line, …).
    BadResponse(&'static str),
    /// The body framing is broken or dangerous: conflicting lengths, a
    /// bad chunk, a body longer than declared.
    BadBody(&'static str),
    /// The server closed the connection before the response was complete.
    Closed,
    /// A read or write did not finish within its time-out.
    TimedOut,
    /// The caller's collect buffer is smaller than the body.
    BodyTooLarge,
    /// Any other I/O error of the transport.
    Io,
    /// The URL is not `http://` or `https://host[:port]/…`, or a redirect
    /// points somewhere it may not.
    Url(&'static str),
    /// No connection could be made (refused, no route, unknown host).
    Connect(&'static str),
    /// TLS failed (handshake, certificate verification).
    Tls(&'static str),
    /// The body is not the expected JSON.
    Json,
    /// A WebSocket handshake or frame was refused.
    WebSocket(&'static str),
}

impl Error {
    /// True when the connection may serve another request afterwards.
    pub fn connection_reusable(&self) -> bool {
        matches!(
            self,
            Error::Request(_) | Error::BufferTooSmall | Error::BodyTooLarge | Error::Json
        )
    }
}

impl Error {
    /// A short, fixed description: what a device can put in a reply
    /// without `core::fmt`.
    pub fn reason(&self) -> &'static str {
        match self {
            Error::Request(why)
            | Error::BadResponse(why)
            | Error::BadBody(why)
            | Error::Url(why)
            | Error::Connect(why)
            | Error::Tls(why)
            | Error::WebSocket(why) => why,
            Error::BufferTooSmall => "request head larger than the buffer",
            Error::HeadTooLarge => "response head too large",
            Error::TooManyHeaders => "too many header fields in the response",
            Error::Closed => "the server closed the connection early",
            Error::TimedOut => "timed out",
            Error::BodyTooLarge => "response body larger than the buffer",
            Error::Io => "connection error",
            Error::Json => "response body is not the expected JSON",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Request(why) => write!(f, "invalid request: {why}"),
            Error::BufferTooSmall => f.write_str("the request head does not fit the buffer"),
            Error::HeadTooLarge => f.write_str("response head too large"),
            Error::TooManyHeaders => f.write_str("too many header fields in the response"),
            Error::BadResponse(why) => write!(f, "malformed response: {why}"),
            Error::BadBody(why) => write!(f, "malformed response body: {why}"),
            Error::Closed => f.write_str("the server closed the connection before the response was complete"),
            Error::TimedOut => f.write_str("timed out"),
            Error::BodyTooLarge => f.write_str("response body larger than the buffer"),
            Error::Io => f.write_str("connection error"),
            Error::Url(why) => write!(f, "bad URL: {why}"),
            Error::Connect(why) => write!(f, "cannot connect: {why}"),
            Error::Tls(why) => write!(f, "TLS: {why}"),
            Error::Json => f.write_str("response body is not the expected JSON"),
            Error::WebSocket(why) => write!(f, "WebSocket: {why}"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}
