//! The request as an mpgameserver route method sees it.

use crate::http::parse::Rejection;
use crate::http::query::Encoded;
use crate::http::{Request, Status};
use crate::server::{BodyError, BodyReader, RequestBody};

/// One request: the head (through `Deref` to [`Request`]: `header()`,
/// `query()`, `client_addr()`, …), the path captures (mpgameserver's
/// `request.matches`) and the body, read once.
///
/// Two methods shadow [`Request`]'s to match mpgameserver's attributes:
/// [`Incoming::path`] is the percent-decoded path (the raw one is
/// [`Incoming::raw_path`]), and there is no `param` here: path captures are
/// [`Incoming::matches`], query values [`Incoming::params`] (every value)
/// or `query(k)` (the first).
pub struct Incoming<'r> {
    request: &'r Request<'r>,
    body: Option<BodyReader<'r>>,
    keep: &'r BodyKeep,
}

/// Where an [`Incoming`] keeps a body that did not fit the connection
/// buffer (with `alloc`), so that values parsed from it can borrow it for
/// the whole request. Without `alloc` it holds nothing. `mpg_resource!`
/// makes one per request.
#[derive(Default)]
pub struct BodyKeep {
    #[cfg(feature = "alloc")]
    vec: core::cell::OnceCell<alloc::vec::Vec<u8>>,
}

impl BodyKeep {
    /// An empty keeper.
    pub const fn new() -> Self {
        BodyKeep {
            #[cfg(feature = "alloc")]
            vec: core::cell::OnceCell::new(),
        }
    }
}

/// Why the body could not be had: the [`Rejection`] (its status and
/// reason) and, for a body larger than the connection buffer on a target
/// without a heap, that buffer's free space, which the 413 states.
///
/// Converts into [`super::ErrorResponse`] (keeping the number) and into
/// [`Rejection`] (without it), so `?` works in either kind of handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyRejection {
    /// The status and reason to answer with.
    pub rejection: Rejection,
    /// Bytes free in the connection buffer after the request head, when
    /// that is what the body did not fit.
    pub buffer_free: Option<usize>,
}

/// The reason of a 413 for a body larger than the connection buffer; the
/// response adds ": N bytes free after the request head".
pub const BUFFER_TOO_SMALL: &str =
    "request body larger than the connection buffer, where it is parsed in place (no heap on this target)";

impl From<Rejection> for BodyRejection {
    fn from(rejection: Rejection) -> Self {
        BodyRejection {
            rejection,
            buffer_free: None,
        }
    }
}

impl From<BodyRejection> for Rejection {
    fn from(r: BodyRejection) -> Self {
        r.rejection
    }
}

impl crate::app::respond::IntoResponse for BodyRejection {
    async fn into_response(self, out: &mut crate::server::ResponseWriter<'_>) -> Result<(), crate::server::WriteError> {
        super::ErrorResponse::<&'static str>::from(self)
            .into_response(out)
            .await
    }
}

const READ_TWICE: Rejection = Rejection::new(Status::INTERNAL_SERVER_ERROR, "request body read twice");

impl<'r> Incoming<'r> {
    /// The request `request` with its body; `keep` holds a body read into
    /// owned memory for as long as the request lives.
    pub fn new<'b: 'r>(request: &'r Request<'r>, body: &'r RequestBody<'b>, keep: &'r BodyKeep) -> Self {
        Incoming {
            request,
            body: body.reader().ok(),
            keep,
        }
    }

    /// The request head.
    pub fn request(&self) -> &'r Request<'r> {
        self.request
    }

    /// The path, percent-decoded (mpgameserver's `request.path`): borrowed
    /// when nothing needed decoding; invalid UTF-8 is replaced. The form
    /// sent is [`Incoming::raw_path`].
    #[cfg(feature = "alloc")]
    pub fn path(&self) -> alloc::borrow::Cow<'r, str> {
        let path = self.request.path_decoded();
        if path.needs_decoding() {
            alloc::borrow::Cow::Owned(path.to_string_lossy())
        } else {
            alloc::borrow::Cow::Borrowed(path.raw())
        }
    }

    /// The path, decoded on demand without a heap: `.decode_into(buf)`,
    /// `.eq_decoded("/a b")`, `.bytes()`. The form sent is
    /// [`Incoming::raw_path`].
    #[cfg(not(feature = "alloc"))]
    pub fn path(&self) -> Encoded<'r> {
        self.request.path_decoded()
    }

    /// The path exactly as sent, still percent-encoded, without query or
    /// fragment ([`Request::path`], which [`Incoming::path`] shadows).
    pub fn raw_path(&self) -> &'r str {
        self.request.path()
    }

    /// Path capture `name` of the route (`/user/:username`), still
    /// percent-encoded: `.raw()`, `.decode_into(buf)`, `.parse()`.
    pub fn matches(&self, name: &str) -> Option<Encoded<'r>> {
        self.request.param(name)
    }

    /// Every value of query parameter `key`, in order (mpgameserver's
    /// `params[key]`, a list): `?tag=a&tag=b` gives `a`, then `b`. The
    /// first alone is `params(key).next()` or `query(key)`.
    pub fn params<'k>(&self, key: &'k str) -> impl Iterator<Item = Encoded<'r>> + 'k
    where
        'r: 'k,
    {
        self.request.query_all(key)
    }

    /// The body as a stream, for bodies larger than any buffer.
    pub fn stream(&mut self) -> Result<BodyReader<'r>, Rejection> {
        self.body.take().ok_or(READ_TWICE)
    }

    /// The whole body, up to the route's `max_content_length`. In place in
    /// the connection buffer when it fits there; otherwise, with `alloc`,
    /// in a vector kept for the request. Without `alloc` a body larger than
    /// the buffer's free space is 413 saying how large that space is.
    pub async fn bytes(&mut self) -> Result<&'r [u8], BodyRejection> {
        let reader = self.stream()?;
        let free = reader.collect_capacity();
        #[cfg(feature = "alloc")]
        if !matches!(reader.remaining_len(), Some(n) if n <= free as u64) {
            // Too large for the buffer, or chunked (size unknown): the heap.
            let vec = crate::app::extract::read_to_vec(reader).await?;
            self.keep.vec.set(vec).map_err(|_| READ_TWICE)?;
            return Ok(self.keep.vec.get().map(alloc::vec::Vec::as_slice).unwrap_or(&[]));
        }
        #[cfg(not(feature = "alloc"))]
        let _ = self.keep;
        let limit = reader.limit();
        match reader.collect().await {
            Ok(bytes) => Ok(bytes),
            // Under the route's limit, so the buffer is what it did not fit.
            Err(BodyError::TooLarge) if (free as u64) < limit => Err(BodyRejection {
                rejection: Rejection::new(Status::PAYLOAD_TOO_LARGE, BUFFER_TOO_SMALL),
                buffer_free: Some(free),
            }),
            Err(e) => Err(e.rejection().into()),
        }
    }

    /// The body as UTF-8 text (400 if it is not); sized as [`Incoming::bytes`].
    pub async fn text(&mut self) -> Result<&'r str, BodyRejection> {
        let bytes = self.bytes().await?;
        core::str::from_utf8(bytes).map_err(|_| Rejection::new(Status::BAD_REQUEST, "body is not UTF-8").into())
    }

    /// The body as JSON, whatever its `Content-Type` (mpgameserver's
    /// `request.json()`); 400 if it does not parse. Any size up to the
    /// route's `max_content_length` with `alloc`, the connection buffer's
    /// free space without (see [`Incoming::bytes`]). Strings may borrow
    /// from the body either way (`&'r str` fields), since the body stays
    /// for the whole request.
    #[cfg(feature = "json")]
    pub async fn json<T: serde::Deserialize<'r>>(&mut self) -> Result<T, BodyRejection> {
        let bytes = self.bytes().await?;
        parse_json(bytes).ok_or(Rejection::new(Status::BAD_REQUEST, "invalid JSON body").into())
    }

    /// The body as a postcard-encoded value (mpgameserver's
    /// `request.message()`, which reads a `Serializable`), whatever its
    /// `Content-Type` (clients send `application/x-serializable`); 400 if
    /// it does not decode. Sized as [`Incoming::bytes`].
    #[cfg(feature = "postcard")]
    pub async fn message<T: serde::Deserialize<'r>>(&mut self) -> Result<T, BodyRejection> {
        let bytes = self.bytes().await?;
        postcard::from_bytes(bytes)
            .map_err(|_| Rejection::new(Status::BAD_REQUEST, "invalid x-serializable body").into())
    }

    /// The whole body in a vector of its own, up to the route's
    /// `max_content_length`.
    #[cfg(feature = "alloc")]
    pub async fn body_vec(&mut self) -> Result<alloc::vec::Vec<u8>, Rejection> {
        crate::app::extract::read_to_vec(self.stream()?).await
    }

    /// The body as JSON into an owned value: [`Incoming::json`] for types
    /// that borrow nothing.
    #[cfg(all(feature = "json", feature = "std"))]
    pub async fn json_owned<T: serde::de::DeserializeOwned>(&mut self) -> Result<T, BodyRejection> {
        self.json().await
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
