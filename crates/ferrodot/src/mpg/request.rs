//! The request as an mpgameserver route method sees it.

use crate::http::parse::Rejection;
use crate::http::query::Encoded;
use crate::http::{Request, Status};
use crate::server::{BodyError, BodyReader, RequestBody};

/// One request: the head (through `Deref` to [`Request`]: `path()`,
/// `header()`, `query()`, `client_addr()`, …), the path captures
/// (mpgameserver's `request.matches`) and the body, read once.
pub struct Incoming<'r> {
    request: &'r Request<'r>,
    body: Option<BodyReader<'r>>,
}

const READ_TWICE: Rejection = Rejection::new(Status::INTERNAL_SERVER_ERROR, "request body read twice");

impl<'r> Incoming<'r> {
    pub fn new<'b: 'r>(request: &'r Request<'r>, body: &'r RequestBody<'b>) -> Self {
        Incoming { request, body: body.reader().ok() }
    }

    /// The request head.
    pub fn request(&self) -> &'r Request<'r> {
        self.request
    }

    /// Path capture `name` of the route (`/user/:username`), still
    /// percent-encoded: `.raw()`, `.decode_into(buf)`, `.parse()`.
    pub fn matches(&self, name: &str) -> Option<Encoded<'r>> {
        self.request.param(name)
    }

    /// The first value of query parameter `key` (mpgameserver's `params`).
    pub fn params(&self, key: &str) -> Option<Encoded<'r>> {
        self.request.query(key)
    }

    /// The body as a stream, for bodies larger than any buffer.
    pub fn stream(&mut self) -> Result<BodyReader<'r>, Rejection> {
        self.body.take().ok_or(READ_TWICE)
    }

    /// The whole body, collected into the connection's buffer (413 if it
    /// is larger than the buffer's free space or the route's limit).
    pub async fn bytes(&mut self) -> Result<&'r [u8], Rejection> {
        self.stream()?.collect().await.map_err(BodyError::rejection)
    }

    /// The body as UTF-8 text (400 if it is not).
    pub async fn text(&mut self) -> Result<&'r str, Rejection> {
        let bytes = self.bytes().await?;
        core::str::from_utf8(bytes).map_err(|_| Rejection::new(Status::BAD_REQUEST, "body is not UTF-8"))
    }

    /// The body as JSON, whatever its `Content-Type` (mpgameserver's
    /// `request.json()`); 400 if it does not parse. Strings may borrow
    /// from the buffer.
    #[cfg(feature = "json")]
    pub async fn json<T: serde::Deserialize<'r>>(&mut self) -> Result<T, Rejection> {
        let bytes = self.bytes().await?;
        parse_json(bytes).ok_or(Rejection::new(Status::BAD_REQUEST, "invalid JSON body"))
    }

    /// The whole body in a vector: bodies larger than the connection
    /// buffer, up to the route's `max_content_length`.
    #[cfg(feature = "alloc")]
    pub async fn body_vec(&mut self) -> Result<alloc::vec::Vec<u8>, Rejection> {
        crate::app::extract::read_to_vec(self.stream()?).await
    }

    /// The body as JSON into an owned value, for bodies larger than the
    /// connection buffer.
    #[cfg(feature = "std")]
    pub async fn json_owned<T: serde::de::DeserializeOwned>(&mut self) -> Result<T, Rejection> {
        let bytes = self.body_vec().await?;
        serde_json::from_slice(&bytes).map_err(|_| Rejection::new(Status::BAD_REQUEST, "invalid JSON body"))
    }
}

#[cfg(all(feature = "json", feature = "std"))]
fn parse_json<'r, T: serde::Deserialize<'r>>(bytes: &'r [u8]) -> Option<T> {
    serde_json::from_slice(bytes).ok()
}

#[cfg(all(feature = "json", not(feature = "std")))]
fn parse_json<'r, T: serde::Deserialize<'r>>(bytes: &'r [u8]) -> Option<T> {
    serde_json_core::from_slice(bytes).ok().map(|(value, _)| value)
}

impl<'r> core::ops::Deref for Incoming<'r> {
    type Target = Request<'r>;

    fn deref(&self) -> &Request<'r> {
        self.request
    }
}
