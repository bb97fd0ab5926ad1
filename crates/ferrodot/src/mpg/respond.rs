//! mpgameserver's `JsonResponse` and `ErrorResponse`.

use crate::app::respond::IntoResponse;
use crate::http::parse::Rejection;
use crate::http::response::BufWriter;
use crate::http::Status;
use crate::server::writer::push_json_escaped;
use crate::server::{ResponseWriter, WriteError};

/// Extra response headers: a slice, so a response stays small.
type Extra<'a> = &'a [(&'a str, &'a str)];

fn write_headers(out: &mut ResponseWriter<'_>, extra: Extra<'_>) {
    for (name, value) in extra {
        out.header(name, value);
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
        JsonResponse { obj, status: Status::OK, extra: &[] }
    }

    pub fn status(mut self, status: Status) -> Self {
        self.status = status;
        self
    }

    /// Extra headers: `.headers(&[("Cache-Control", "no-store")])`.
    pub fn headers(mut self, headers: &'a [(&'a str, &'a str)]) -> Self {
        self.extra = headers;
        self
    }
}

#[cfg(feature = "json")]
impl<T: serde::Serialize> IntoResponse for JsonResponse<'_, T> {
    async fn into_response(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        use crate::app::respond::Content;
        out.start(self.status);
        out.header("Content-Type", "application/json");
        write_headers(out, self.extra);
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
        ErrorResponse { message, status: Status::BAD_REQUEST, extra: &[] }
    }

    pub fn status(mut self, status: Status) -> Self {
        self.status = status;
        self
    }

    /// Extra headers: `.headers(&[("Retry-After", "5")])`.
    pub fn headers(mut self, headers: &'a [(&'a str, &'a str)]) -> Self {
        self.extra = headers;
        self
    }
}

impl<M: From<&'static str>> From<Rejection> for ErrorResponse<'_, M> {
    fn from(r: Rejection) -> Self {
        let message = if r.reason.is_empty() { r.status.reason() } else { r.reason };
        ErrorResponse { message: M::from(message), status: r.status, extra: &[] }
    }
}

impl<M: AsRef<str>> IntoResponse for ErrorResponse<'_, M> {
    async fn into_response(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        out.start(self.status);
        out.header("Content-Type", "application/json");
        write_headers(out, self.extra);
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
