//! mpgameserver's `JsonResponse` and `ErrorResponse`.

use crate::app::respond::IntoResponse;
use crate::http::parse::Rejection;
use crate::http::response::BufWriter;
use crate::http::Status;
use crate::server::writer::push_json_escaped;
use crate::server::{ResponseWriter, WriteError};

/// Most extra headers on a [`JsonResponse`] or [`ErrorResponse`].
const MAX_HEADERS: usize = 4;

#[derive(Clone, Copy)]
struct Extra<'a> {
    headers: [(&'a str, &'a str); MAX_HEADERS],
    len: usize,
    overflow: bool,
}

impl<'a> Extra<'a> {
    const NONE: Extra<'a> = Extra { headers: [("", ""); MAX_HEADERS], len: 0, overflow: false };

    fn add(&mut self, name: &'a str, value: &'a str) {
        match self.headers.get_mut(self.len) {
            Some(slot) => {
                *slot = (name, value);
                self.len += 1;
            }
            None => self.overflow = true,
        }
    }

    fn write(&self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        if self.overflow {
            return Err(WriteError::Invalid("too many response headers"));
        }
        for (name, value) in self.headers.iter().take(self.len) {
            out.header(name, value);
        }
        Ok(())
    }
}

/// `obj` as JSON plus a newline, `Content-Type: application/json`,
/// status 200 unless set: `JsonResponse::new(user).status(Status::CREATED)`.
/// Serialised straight into the response buffer (no heap without `std`).
#[cfg(feature = "json")]
pub struct JsonResponse<'a, T> {
    obj: T,
    status: Status,
    extra: Extra<'a>,
}

#[cfg(feature = "json")]
impl<'a, T: serde::Serialize> JsonResponse<'a, T> {
    pub fn new(obj: T) -> Self {
        JsonResponse { obj, status: Status::OK, extra: Extra::NONE }
    }

    pub fn status(mut self, status: Status) -> Self {
        self.status = status;
        self
    }

    /// Add a header (more than four make the response a 500).
    pub fn header(mut self, name: &'a str, value: &'a str) -> Self {
        self.extra.add(name, value);
        self
    }
}

#[cfg(feature = "json")]
impl<T: serde::Serialize> IntoResponse for JsonResponse<'_, T> {
    async fn into_response(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        use crate::app::respond::Content;
        out.start(self.status);
        out.header("Content-Type", "application/json");
        self.extra.write(out)?;
        crate::app::extract::Json(self.obj).write_body(out).await?;
        out.write(b"\n").await?;
        out.finish().await
    }
}

/// An error as JSON: `{"error": "<message>"}` with status 400 unless set.
/// `M` is any text (`&str`, `String`); a [`Rejection`] converts into one,
/// so `?` works on the body readers of [`super::Incoming`].
pub struct ErrorResponse<'a, M = &'static str> {
    message: M,
    status: Status,
    extra: Extra<'a>,
}

impl<'a, M: AsRef<str>> ErrorResponse<'a, M> {
    pub fn new(message: M) -> Self {
        ErrorResponse { message, status: Status::BAD_REQUEST, extra: Extra::NONE }
    }

    pub fn status(mut self, status: Status) -> Self {
        self.status = status;
        self
    }

    pub fn header(mut self, name: &'a str, value: &'a str) -> Self {
        self.extra.add(name, value);
        self
    }
}

impl<M: From<&'static str>> From<Rejection> for ErrorResponse<'_, M> {
    fn from(r: Rejection) -> Self {
        let message = if r.reason.is_empty() { r.status.reason() } else { r.reason };
        ErrorResponse { message: M::from(message), status: r.status, extra: Extra::NONE }
    }
}

impl<M: AsRef<str>> IntoResponse for ErrorResponse<'_, M> {
    async fn into_response(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        out.start(self.status);
        out.header("Content-Type", "application/json");
        self.extra.write(out)?;
        // Rendered into the buffer in one go, like the engine's own errors.
        let mut body = BufWriter::new(out.body_space());
        body.push(b"{\"error\": \"");
        push_json_escaped(&mut body, self.message.as_ref());
        body.push(b"\"}\n");
        if body.overflowed() {
            return Err(WriteError::Invalid("error message larger than the response buffer"));
        }
        let n = body.len();
        out.commit_body(n);
        out.finish().await
    }
}
