//! mpgameserver's `JsonResponse`, `SerializableResponse` and `ErrorResponse`.

use crate::app::respond::IntoResponse;
use crate::http::parse::Rejection;
use crate::http::response::BufWriter;
use crate::http::Status;
use crate::server::writer::push_json_escaped;
use crate::server::{ResponseWriter, WriteError};

use super::request::BodyRejection;

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
    /// `obj` with status 200.
    pub fn new(obj: T) -> Self {
        JsonResponse {
            obj,
            status: Status::OK,
            extra: &[],
        }
    }

    /// Answer with `status` instead of 200.
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

/// Status, JSON content type, extra headers, `obj` as JSON and a newline.
#[cfg(feature = "json")]
async fn write_json<T: serde::Serialize>(
    out: &mut ResponseWriter<'_>,
    status: Status,
    extra: Extra<'_>,
    obj: T,
) -> Result<(), WriteError> {
    use crate::app::respond::Content;
    out.start(status);
    out.header("Content-Type", "application/json");
    write_headers(out, extra);
    crate::app::extract::Json(obj).write_body(out).await?;
    out.write(b"\n").await?;
    out.finish().await
}

#[cfg(feature = "json")]
impl<T: serde::Serialize> IntoResponse for JsonResponse<'_, T> {
    async fn into_response(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        write_json(out, self.status, self.extra, self.obj).await
    }
}

/// mpgameserver's `Response(payload, status_code, headers, compress)`: bytes
/// or text with status 200 and `Content-Type: text/html` (Twisted's default)
/// unless set. With `Response::compress` (feature `compress`) the payload is gzipped on the
/// fly, but only for a client that accepts gzip (the seed compressed for
/// every client).
///
/// ```
/// use ferrodot::mpg::{Incoming, Response};
/// use ferrodot::prelude::*;
///
/// struct Logs;
/// impl Logs {
///     async fn log(&self, req: Incoming<'_>) -> Response<'static, String> {
///         Response::new("frame ok\n".repeat(500)).content_type("text/plain").compress(&req)
///     }
/// }
/// ferrodot::mpg_resource! { impl Logs { GET "/log" => log } }
/// let app = App::new((), Logs);
/// let client = ferrodot::testing::TestClient::new(&app);
/// let r = client.request(Method::Get, "/log").header("Accept-Encoding", "gzip").send();
/// assert_eq!((r.header("content-encoding"), r.header("content-type")), (Some("gzip"), Some("text/plain")));
/// assert_eq!(client.get("/log").body.len(), 4500);
/// ```
pub struct Response<'a, B> {
    payload: B,
    status: Status,
    content_type: &'a str,
    extra: Extra<'a>,
    gzip: Option<bool>,
}

impl<'a, B: AsRef<[u8]>> Response<'a, B> {
    /// `payload` with status 200 as `text/html`.
    pub fn new(payload: B) -> Self {
        Response {
            payload,
            status: Status::OK,
            content_type: "text/html",
            extra: &[],
            gzip: None,
        }
    }

    /// Answer with `status` instead of 200.
    pub fn status(mut self, status: Status) -> Self {
        self.status = status;
        self
    }

    /// Another media type.
    pub fn content_type(mut self, content_type: &'a str) -> Self {
        self.content_type = content_type;
        self
    }

    /// Extra headers: `.headers(&[("Cache-Control", "no-store")])`.
    pub fn headers(mut self, headers: &'a [(&'a str, &'a str)]) -> Self {
        self.extra = headers;
        self
    }

    /// `compress=True`: gzip the payload if `req` accepts gzip
    /// (`Vary: Accept-Encoding` either way).
    #[cfg(feature = "compress")]
    pub fn compress(mut self, req: &super::Incoming<'_>) -> Self {
        self.gzip = Some(crate::compress::accepts_gzip(req.request()));
        self
    }
}

impl<B: AsRef<[u8]>> IntoResponse for Response<'_, B> {
    async fn into_response(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        out.start(self.status);
        out.content_type(self.content_type);
        write_headers(out, self.extra);
        match self.gzip {
            #[cfg(feature = "compress")]
            Some(gzip) => crate::compress::write_body(out, self.payload.as_ref(), gzip).await?,
            _ => out.write(self.payload.as_ref()).await?,
        }
        out.finish().await
    }
}

/// The media type of mpgameserver's `Serializable` bodies, kept for
#[cfg_attr(
    feature = "postcard",
    doc = "postcard ones: what [`SerializableResponse`] sends and what clients"
)]
#[cfg_attr(
    not(feature = "postcard"),
    doc = "postcard ones: what `SerializableResponse` (feature `postcard`) sends and what clients"
)]
#[cfg_attr(feature = "postcard", doc = "send to [`super::Incoming::message`].")]
#[cfg_attr(not(feature = "postcard"), doc = "send to `Incoming::message`.")]
pub const SERIALIZABLE: &str = "application/x-serializable";

/// `obj` in postcard, a compact binary serde format (the Rust counterpart
/// of mpgameserver's `Serializable.dumpb()`), with
/// `Content-Type: application/x-serializable` and status 200 unless set.
/// Encoded straight into the response buffer; with `alloc`, a value
/// larger than the buffer goes through a vector instead.
///
/// ```
/// # use ferrodot::prelude::*;
/// # use ferrodot::mpg::{Incoming, SerializableResponse};
/// #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
/// struct Move { x: i16, y: i16 }
/// struct Game;
/// impl Game {
///     async fn step(&self, mut req: Incoming<'_>) -> Result<SerializableResponse<'static, Move>, ferrodot::mpg::ErrorResponse> {
///         let m: Move = req.message().await?;
///         Ok(SerializableResponse::new(Move { x: m.x + 1, y: m.y }).status(Status::CREATED))
///     }
/// }
/// ferrodot::mpg_resource! { impl Game { POST "/step" => step } }
/// let app = App::new((), Game);
/// let client = ferrodot::testing::TestClient::new(&app);
/// let r = client.post("/step", postcard::to_allocvec(&Move { x: 1, y: 2 }).unwrap());
/// assert_eq!(r.header("content-type"), Some("application/x-serializable"));
/// assert_eq!(postcard::from_bytes::<Move>(&r.body).unwrap(), Move { x: 2, y: 2 });
/// ```
#[cfg(feature = "postcard")]
pub struct SerializableResponse<'a, T> {
    obj: T,
    status: Status,
    extra: Extra<'a>,
}

#[cfg(feature = "postcard")]
impl<'a, T: serde::Serialize> SerializableResponse<'a, T> {
    /// `obj` with status 200.
    pub fn new(obj: T) -> Self {
        SerializableResponse {
            obj,
            status: Status::OK,
            extra: &[],
        }
    }

    /// Answer with `status` instead of 200.
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

#[cfg(feature = "postcard")]
impl<T: serde::Serialize> IntoResponse for SerializableResponse<'_, T> {
    async fn into_response(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        out.start(self.status);
        out.header("Content-Type", SERIALIZABLE);
        write_headers(out, self.extra);
        match postcard::to_slice(&self.obj, out.body_space()) {
            Ok(written) => {
                let n = written.len();
                out.commit_body(n);
            }
            #[cfg(feature = "alloc")]
            Err(postcard::Error::SerializeBufferFull) => {
                // Larger than the buffer: a heap copy, written in pieces.
                let bytes = postcard::to_allocvec(&self.obj)
                    .map_err(|_| WriteError::Invalid("postcard serialisation failed"))?;
                out.write(&bytes).await?;
            }
            #[cfg(not(feature = "alloc"))]
            Err(postcard::Error::SerializeBufferFull) => {
                return Err(WriteError::Invalid(
                    "serializable response larger than the response buffer",
                ))
            }
            Err(_) => return Err(WriteError::Invalid("postcard serialisation failed")),
        }
        out.finish().await
    }
}

/// An error response, status 400 unless set (mpgameserver's
/// `ErrorResponse(obj, status_code=400, headers=None)`):
///
/// - [`ErrorResponse::new`]`(message)`: `{"error": "<message>"}`. `M` is
///   any text (`&str`, `String`); a [`Rejection`] or a
///   [`BodyRejection`] converts into one, so `?` works on the body
///   readers of [`super::Incoming`];
/// - [`ErrorResponse::json`]`(obj)`: any serialisable `obj` as the JSON
///   body, as mpgameserver sends its `obj`.
///
/// Both end with a newline and are rendered into the response buffer (no
/// heap needed).
///
/// ```
/// # use ferrodot::prelude::*;
/// # use ferrodot::mpg::{ErrorResponse, Incoming, JsonBody};
/// #[derive(serde::Serialize)]
/// struct Problem { field: &'static str, code: u32 }
/// struct Form;
/// impl Form {
///     async fn check(&self, _req: Incoming<'_>) -> ErrorResponse<'static, JsonBody<Problem>> {
///         ErrorResponse::json(Problem { field: "name", code: 7 }).status(Status(422))
///     }
/// }
/// ferrodot::mpg_resource! { impl Form { GET "/check" => check } }
/// let app = App::new((), Form);
/// let r = ferrodot::testing::TestClient::new(&app).get("/check");
/// assert_eq!((r.status.0, r.text().as_str()), (422, "{\"field\":\"name\",\"code\":7}\n"));
/// ```
pub struct ErrorResponse<'a, M = &'static str> {
    message: M,
    status: Status,
    extra: Extra<'a>,
    /// The connection buffer's free space, for a body that did not fit it.
    buffer_free: Option<usize>,
}

/// The body of an [`ErrorResponse::json`]: any serialisable value.
#[cfg(feature = "json")]
pub struct JsonBody<T>(pub T);

impl<'a, M> ErrorResponse<'a, M> {
    /// Answer with `status` instead of 400.
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

impl<M: AsRef<str>> ErrorResponse<'_, M> {
    /// `{"error": "<message>"}`.
    pub fn new(message: M) -> Self {
        ErrorResponse {
            message,
            status: Status::BAD_REQUEST,
            extra: &[],
            buffer_free: None,
        }
    }
}

#[cfg(feature = "json")]
impl<T: serde::Serialize> ErrorResponse<'_, JsonBody<T>> {
    /// `obj` as the JSON body (compact, like [`JsonResponse`]).
    pub fn json(obj: T) -> Self {
        ErrorResponse {
            message: JsonBody(obj),
            status: Status::BAD_REQUEST,
            extra: &[],
            buffer_free: None,
        }
    }
}

impl<M: From<&'static str>> From<Rejection> for ErrorResponse<'_, M> {
    fn from(r: Rejection) -> Self {
        let message = if r.reason.is_empty() {
            r.status.reason()
        } else {
            r.reason
        };
        ErrorResponse {
            message: M::from(message),
            status: r.status,
            extra: &[],
            buffer_free: None,
        }
    }
}

impl<M: From<&'static str>> From<BodyRejection> for ErrorResponse<'_, M> {
    fn from(r: BodyRejection) -> Self {
        ErrorResponse {
            buffer_free: r.buffer_free,
            ..ErrorResponse::from(r.rejection)
        }
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
        if let Some(free) = self.buffer_free {
            body.push(b": ");
            body.push_u64(free as u64);
            body.push(b" bytes free after the request head");
        }
        body.push(b"\"}\n");
        if body.overflowed() {
            return Err(WriteError::Invalid("error message larger than the response buffer"));
        }
        let n = body.len();
        out.commit_body(n);
        out.finish().await
    }
}

#[cfg(feature = "json")]
impl<T: serde::Serialize> IntoResponse for ErrorResponse<'_, JsonBody<T>> {
    async fn into_response(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        write_json(out, self.status, self.extra, self.message.0).await
    }
}
