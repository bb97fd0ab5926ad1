//! The HTTP/1.1 wire protocol, sans-IO: request heads in, response heads out.
//!
//! ```
//! use ferrodot::http::parse::{parse_head, HeadLimits, ParsedHead};
//! use ferrodot::http::{Method, Version};
//!
//! let raw = b"GET /led?on=1 HTTP/1.1\r\nHost: cam.local\r\n\r\n";
//! let Ok(ParsedHead::Complete { request, .. }) = parse_head(raw, &HeadLimits::DEFAULT) else {
//!     panic!("a complete head");
//! };
//! assert_eq!((request.method(), request.path(), request.version()), (Method::Get, "/led", Version::Http11));
//! assert_eq!(request.query("on").map(|v| v.raw()), Some("1"));
//! assert_eq!(request.header("host"), Some("cam.local"));
//! ```
//!
//! Nothing here touches a socket or a clock; the connection engine in
//! `server` feeds bytes in and takes bytes out.

pub mod chunked;
pub mod date;
pub mod fields;
mod grammar;
pub mod method;
pub mod parse;
pub mod query;
pub mod request;
pub mod response;
pub mod status;

pub use method::Method;
pub use request::{Request, Version};
pub use status::Status;

/// The value of one hex digit, either case (chunk sizes, `%XX` escapes).
pub(crate) fn hex_digit_value(b: u8) -> Option<u8> {
    char::from(b).to_digit(16).and_then(|d| u8::try_from(d).ok())
}
