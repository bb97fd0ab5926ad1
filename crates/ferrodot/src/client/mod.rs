//! An HTTP/1.1 client that shares the server's protocol core: a request
//! writer, a response-head parser and body decoders, all sans-IO, `no_std`
//! and heap-free.
//!
//! ```
//! use ferrodot::client::{BodyDecoder, RequestHead, ResponseHead, ResponseLimits};
//! use ferrodot::Method;
//!
//! let mut out = [0u8; 128];
//! let n = RequestHead::new(Method::Get, "device.local", "/status").query(&[("v", "1")]).write(&mut out)?;
//! assert!(out[..n].starts_with(b"GET /status?v=1 HTTP/1.1\r\nHost: device.local\r\n"));
//!
//! let mut wire = *b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
//! let head = ResponseHead::parse(&wire, &ResponseLimits::DEFAULT)?.expect("complete");
//! let (status, len, framing) = (head.status(), head.len(), head.framing(Method::Get)?);
//! let mut body = BodyDecoder::new(framing);
//! let (_, produced) = body.decode(&mut wire[len..])?;
//! assert_eq!((status.0, &wire[len..len + produced]), (200, &b"ok"[..]));
//! assert!(body.is_done());
//! # Ok::<(), ferrodot::client::Error>(())
//! ```
//!
//! Strict where leniency is dangerous: conflicting lengths, a bad chunk,
//! `Transfer-Encoding` with `Content-Length` and a body longer than
//! declared are errors, and a connection that saw one is not reused.

mod body;
mod conn;
mod error;
mod request;
mod response;
#[cfg(feature = "tokio")]
pub mod tokio;
mod url;
#[cfg(feature = "ws")]
pub mod ws;

pub use body::BodyDecoder;
pub use conn::{Body, Connection, Response};
pub use error::Error;
pub use request::{chunk_size_line, BodyLength, RequestHead, LAST_CHUNK};
pub use response::{BodyFraming, ResponseHead, ResponseLimits};
pub use url::{Scheme, Url};
