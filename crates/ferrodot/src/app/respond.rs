//! Responders: what a handler may return.
//!
//! ```
//! use ferrodot::prelude::*;
//! use ferrodot::testing::TestClient;
//!
//! async fn save() -> Response<'static, Html<&'static str>> {
//!     Response::new(Status::CREATED).header("Location", "/photos/1").body(Html("<p>saved</p>"))
//! }
//! async fn gallery() -> Redirect<'static> {
//!     Redirect::to("/photos")
//! }
//! ferrodot::routes! { Photos<()> { POST "/photos" => save, GET "/gallery" => gallery } }
//! static APP: App<(), Photos> = App::new((), Photos);
//!
//! let client = TestClient::new(&APP);
//! let saved = client.post("/photos", "");
//! assert_eq!((saved.status, saved.header("location")), (Status::CREATED, Some("/photos/1")));
//! assert!(saved.header("content-type").unwrap().starts_with("text/html"));
//! assert_eq!(client.get("/gallery").status, Status::FOUND);
//! ```
//!
//! A body type implements [`Content`] (its media type and how to write
//! it); anything that is a whole response implements [`IntoResponse`].

use crate::http::parse::Rejection;
use crate::http::Status;
use crate::server::{ResponseWriter, WriteError};

/// A response body: its media type, and how to write it.
#[allow(async_fn_in_trait)]
pub trait Content {
    /// The `Content-Type` to send, e.g. `text/html; charset=utf-8`.
    fn content_type(&self) -> &str;
    /// Writes the body into `out`.
    async fn write_body(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError>;
}

/// A whole response.
#[allow(async_fn_in_trait)]
pub trait IntoResponse {
    /// Writes the status, the headers and the body into `out`, then finishes
    /// the response.
    async fn into_response(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError>;
}

const TEXT: &str = "text/plain; charset=utf-8";
const OCTETS: &str = "application/octet-stream";

impl Content for &str {
    fn content_type(&self) -> &str {
        TEXT
    }
    async fn write_body(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        out.write(self.as_bytes()).await
    }
}

impl Content for &[u8] {
    fn content_type(&self) -> &str {
        OCTETS
    }
    async fn write_body(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        out.write(self).await
    }
}

impl<const N: usize> Content for &[u8; N] {
    fn content_type(&self) -> &str {
        OCTETS
    }
    async fn write_body(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        out.write(self).await
    }
}

#[cfg(feature = "alloc")]
impl Content for alloc::string::String {
    fn content_type(&self) -> &str {
        TEXT
    }
    async fn write_body(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        out.write(self.as_bytes()).await
    }
}

#[cfg(feature = "alloc")]
impl Content for alloc::vec::Vec<u8> {
    fn content_type(&self) -> &str {
        OCTETS
    }
    async fn write_body(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        out.write(&self).await
    }
}

/// An HTML body.
pub struct Html<T>(pub T);

impl<T: AsRef<str>> Content for Html<T> {
    fn content_type(&self) -> &str {
        "text/html; charset=utf-8"
    }
    async fn write_body(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        out.write(self.0.as_ref().as_bytes()).await
    }
}

/// A body with a media type of your choice.
pub struct Typed<T>(pub &'static str, pub T);

impl<T: AsRef<[u8]>> Content for Typed<T> {
    fn content_type(&self) -> &str {
        self.0
    }
    async fn write_body(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        out.write(self.1.as_ref()).await
    }
}

/// A body produced piece by piece (sent chunked when it outgrows the
/// response buffer): `Chunks("text/csv", rows.iter())`.
pub struct Chunks<I>(pub &'static str, pub I);

impl<I, T> Content for Chunks<I>
where
    I: Iterator<Item = T>,
    T: AsRef<[u8]>,
{
    fn content_type(&self) -> &str {
        self.0
    }
    async fn write_body(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        for piece in self.1 {
            out.write(piece.as_ref()).await?;
        }
        Ok(())
    }
}

/// A JSON body, serialised straight into the response buffer.
#[cfg(feature = "json")]
impl<T: serde::Serialize> Content for crate::app::extract::Json<T> {
    fn content_type(&self) -> &str {
        "application/json"
    }
    async fn write_body(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        match serde_json_core::to_slice(&self.0, out.body_space()) {
            Ok(n) => {
                out.commit_body(n);
                Ok(())
            }
            #[cfg(feature = "std")]
            Err(_) => {
                // Larger than the buffer: the host can afford a heap copy.
                let bytes =
                    serde_json::to_vec(&self.0).map_err(|_| WriteError::Invalid("JSON serialisation failed"))?;
                out.write(&bytes).await
            }
            #[cfg(not(feature = "std"))]
            Err(_) => Err(WriteError::Invalid("JSON response larger than the response buffer")),
        }
    }
}

/// Any body: 200 with its media type.
impl<C: Content> IntoResponse for C {
    async fn into_response(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        (Status::OK, self).into_response(out).await
    }
}

/// A bare status: an empty body for successes, the app's error body for
/// errors.
impl IntoResponse for Status {
    async fn into_response(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        if self.is_error() {
            return out.error(Rejection::new(self, "")).await;
        }
        out.start(self);
        out.finish().await
    }
}

/// Nothing to say: 204 No Content.
impl IntoResponse for () {
    async fn into_response(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        Status::NO_CONTENT.into_response(out).await
    }
}

/// A rejection: the app's error body.
impl IntoResponse for Rejection {
    async fn into_response(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        out.error(self).await
    }
}

impl<C: Content> IntoResponse for (Status, C) {
    async fn into_response(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        out.start(self.0);
        out.content_type(self.1.content_type());
        self.1.write_body(out).await?;
        out.finish().await
    }
}

impl<C: Content, const N: usize> IntoResponse for (Status, [(&str, &str); N], C) {
    async fn into_response(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        out.start(self.0);
        out.content_type(self.2.content_type());
        for (name, value) in self.1 {
            out.header(name, value);
        }
        self.2.write_body(out).await?;
        out.finish().await
    }
}

impl<C: Content, const N: usize> IntoResponse for ([(&str, &str); N], C) {
    async fn into_response(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        (Status::OK, self.0, self.1).into_response(out).await
    }
}

impl<const N: usize> IntoResponse for (Status, [(&str, &str); N]) {
    async fn into_response(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        out.start(self.0);
        for (name, value) in self.1 {
            out.header(name, value);
        }
        out.finish().await
    }
}

impl<T: IntoResponse, E: IntoResponse> IntoResponse for Result<T, E> {
    async fn into_response(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        match self {
            Ok(v) => v.into_response(out).await,
            Err(e) => e.into_response(out).await,
        }
    }
}

/// `None` is 404.
impl<T: IntoResponse> IntoResponse for Option<T> {
    async fn into_response(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        match self {
            Some(v) => v.into_response(out).await,
            None => out.error(Rejection::new(Status::NOT_FOUND, "not found")).await,
        }
    }
}

/// Most headers a [`Response`] carries besides the framing ones.
pub const MAX_RESPONSE_HEADERS: usize = 8;

/// A whole response built step by step:
/// `Response::new(Status::CREATED).header("Location", "/x").body("made")`.
pub struct Response<'a, C = &'static str> {
    status: Status,
    headers: [(&'a str, &'a str); MAX_RESPONSE_HEADERS],
    len: usize,
    overflow: bool,
    body: Option<C>,
}

impl<'a> Response<'a> {
    /// A response with `status` and no body yet.
    pub const fn new(status: Status) -> Self {
        Response {
            status,
            headers: [("", ""); MAX_RESPONSE_HEADERS],
            len: 0,
            overflow: false,
            body: None,
        }
    }
}

impl<'a, C: Content> Response<'a, C> {
    /// Add a header (more than [`MAX_RESPONSE_HEADERS`] makes it a 500).
    pub fn header(mut self, name: &'a str, value: &'a str) -> Self {
        match self.headers.get_mut(self.len) {
            Some(slot) => {
                *slot = (name, value);
                // The slot exists, so `len + 1` is at most the array's length.
                self.len = self.len.saturating_add(1);
            }
            None => self.overflow = true,
        }
        self
    }

    /// Set the body; its type sets `Content-Type`.
    pub fn body<B: Content>(self, body: B) -> Response<'a, B> {
        Response {
            status: self.status,
            headers: self.headers,
            len: self.len,
            overflow: self.overflow,
            body: Some(body),
        }
    }
}

impl<C: Content> IntoResponse for Response<'_, C> {
    async fn into_response(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        if self.overflow {
            return Err(WriteError::Invalid("too many response headers"));
        }
        out.start(self.status);
        if let Some(body) = &self.body {
            out.content_type(body.content_type());
        }
        for (name, value) in self.headers.iter().take(self.len) {
            out.header(name, value);
        }
        if let Some(body) = self.body {
            body.write_body(out).await?;
        }
        out.finish().await
    }
}

/// A redirect to `location` (302 Found, or the status given).
pub struct Redirect<'a>(pub Status, pub &'a str);

impl<'a> Redirect<'a> {
    /// A `302 Found` to `location`.
    pub fn to(location: &'a str) -> Self {
        Redirect(Status::FOUND, location)
    }
}

impl IntoResponse for Redirect<'_> {
    async fn into_response(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        (self.0, [("Location", self.1)]).into_response(out).await
    }
}
