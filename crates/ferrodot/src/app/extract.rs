//! Extractors: what a handler can ask for in its arguments.
//!
//! ```
//! use core::sync::atomic::{AtomicU32, Ordering};
//! use ferrodot::prelude::*;
//! use ferrodot::testing::TestClient;
//!
//! struct Notes { taken: AtomicU32 }
//!
//! // Path capture, shared state, the peer's address and the body as text.
//! async fn note(
//!     Path(shelf): Path<u32>,
//!     State(notes): State<&Notes>,
//!     ClientAddr(peer): ClientAddr,
//!     Text(body): Text<'_>,
//! ) -> String {
//!     let n = notes.taken.fetch_add(1, Ordering::Relaxed) + 1;
//!     let ip = peer.map(|a| a.ip().to_string()).unwrap_or_default();
//!     format!("note {n} on shelf {shelf} from {ip}: {body}")
//! }
//! ferrodot::routes! { NoteRoutes<Notes> { POST "/shelf/:id" => note } }
//!
//! let app = App::new(Notes { taken: AtomicU32::new(0) }, NoteRoutes);
//! let client = TestClient::new(&app).client_addr("192.0.2.7:4000".parse().unwrap());
//! assert_eq!(client.post("/shelf/3", "milk").text(), "note 1 on shelf 3 from 192.0.2.7: milk");
//! // Each extractor rejects on its own terms (see the table below).
//! assert_eq!(client.post("/shelf/x", "milk").status, Status::NOT_FOUND);
//! assert_eq!(client.post("/shelf/3", [0xff]).status, Status::BAD_REQUEST);
//! ```
//!
//! What each extractor answers when it cannot build its value (the
//! handler is then not called):
//!
//! | extractor | rejection |
//! |---|---|
//! | `&Request`, [`State`], [`ClientAddr`], [`Query`], `Headers` | never rejects |
//! | [`Path`] | 404 when a capture does not parse (as an unmatched route) |
//! | [`Bytes`], `Vec<u8>` (`alloc`), `BodyReader` | 413 body over the route's limit, 400 malformed framing or early end, 408 body too slow, 500 body already taken by another extractor (`BodyReader` reports the read errors when read) |
//! | [`Text`] | as [`Bytes`], and 400 when the body is not UTF-8 |
//! | [`Form`] | 415 without `application/x-www-form-urlencoded`, then as [`Text`] |
//! | `Json` (`json`) | 415 without `application/json`, then as [`Bytes`], and 400 for invalid JSON |
//! | `Option<T>` | never rejects: `None` where `T` would |

use crate::http::parse::Rejection;
use crate::http::query::{Encoded, QueryPairs};
use crate::http::request::Headers;
use crate::http::{Request, Status};
use crate::server::{BodyError, BodyReader, RequestBody};

/// Something built from the request for a handler argument.
#[allow(async_fn_in_trait)]
pub trait FromRequest<'r, S>: Sized {
    /// Extracts the value, or answers with a [`Rejection`] instead of calling
    /// the handler.
    async fn from_request<'b: 'r>(
        req: &'r Request<'r>,
        state: &'r S,
        body: &'r RequestBody<'b>,
    ) -> Result<Self, Rejection>;
}

/// The whole request view.
impl<'r, S> FromRequest<'r, S> for &'r Request<'r> {
    async fn from_request<'b: 'r>(req: &'r Request<'r>, _: &'r S, _: &'r RequestBody<'b>) -> Result<Self, Rejection> {
        Ok(req)
    }
}

/// The app's shared state: `State(cam): State<&Camera>`.
pub struct State<T>(pub T);

impl<'r, S> FromRequest<'r, S> for State<&'r S> {
    async fn from_request<'b: 'r>(_: &'r Request<'r>, state: &'r S, _: &'r RequestBody<'b>) -> Result<Self, Rejection> {
        Ok(State(state))
    }
}

/// The peer's address, when known.
pub struct ClientAddr(pub Option<core::net::SocketAddr>);

impl<'r, S> FromRequest<'r, S> for ClientAddr {
    async fn from_request<'b: 'r>(req: &'r Request<'r>, _: &'r S, _: &'r RequestBody<'b>) -> Result<Self, Rejection> {
        Ok(ClientAddr(req.client_addr()))
    }
}

/// One path capture value, parsed. Implement it for your own types to
/// get a custom parser (failure answers 404, as an unmatched route would).
pub trait FromParam<'r>: Sized {
    /// Parses one capture from its raw, percent-encoded text; `None` answers
    /// 404.
    fn from_param(raw: Encoded<'r>) -> Option<Self>;
}

/// The raw (percent-encoded) text.
impl<'r> FromParam<'r> for &'r str {
    fn from_param(raw: Encoded<'r>) -> Option<Self> {
        Some(raw.raw())
    }
}

impl<'r> FromParam<'r> for Encoded<'r> {
    fn from_param(raw: Encoded<'r>) -> Option<Self> {
        Some(raw)
    }
}

#[cfg(feature = "alloc")]
impl<'r> FromParam<'r> for alloc::string::String {
    fn from_param(raw: Encoded<'r>) -> Option<Self> {
        Some(raw.to_string_lossy())
    }
}

macro_rules! from_param_by_parse {
    ($($t:ty),*) => {$(
        impl<'r> FromParam<'r> for $t {
            fn from_param(raw: Encoded<'r>) -> Option<Self> {
                raw.parse()
            }
        }
    )*};
}
from_param_by_parse!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize, f32, f64, bool);

/// Path captures, by position: `Path(id): Path<u32>` for one capture,
/// `Path((user, n)): Path<(&str, u32)>` for several.
pub struct Path<T>(pub T);

/// Path captures as a tuple, in pattern order.
pub trait FromParams<'r>: Sized {
    /// The captures in pattern order; `None` when one does not parse.
    fn from_params(req: &Request<'r>) -> Option<Self>;
}

fn param<'r, T: FromParam<'r>>(req: &Request<'r>, i: usize) -> Option<T> {
    T::from_param(req.param_at(i)?)
}

macro_rules! from_params_tuple {
    ($($t:ident $i:tt),*) => {
        impl<'r, $($t: FromParam<'r>),*> FromParams<'r> for ($($t,)*) {
            fn from_params(req: &Request<'r>) -> Option<Self> {
                Some(($(param::<$t>(req, $i)?,)*))
            }
        }
    };
}
from_params_tuple!(A 0);
from_params_tuple!(A 0, B 1);
from_params_tuple!(A 0, B 1, C 2);
from_params_tuple!(A 0, B 1, C 2, D 3);

macro_rules! path_single {
    ($($t:ty),*) => {$(
        impl<'r, S> FromRequest<'r, S> for Path<$t> {
            async fn from_request<'b: 'r>(req: &'r Request<'r>, _: &'r S, _: &'r RequestBody<'b>) -> Result<Self, Rejection> {
                param::<$t>(req, 0).map(Path).ok_or(Rejection::new(Status::NOT_FOUND, "invalid path parameter"))
            }
        }
    )*};
}
path_single!(
    u8,
    u16,
    u32,
    u64,
    usize,
    i8,
    i16,
    i32,
    i64,
    isize,
    f32,
    f64,
    bool,
    &'r str,
    Encoded<'r>
);
#[cfg(feature = "alloc")]
path_single!(alloc::string::String);

macro_rules! path_tuple {
    ($($t:ident),*) => {
        impl<'r, S, $($t: FromParam<'r>),*> FromRequest<'r, S> for Path<($($t,)*)> {
            async fn from_request<'b: 'r>(req: &'r Request<'r>, _: &'r S, _: &'r RequestBody<'b>) -> Result<Self, Rejection> {
                <($($t,)*)>::from_params(req).map(Path).ok_or(Rejection::new(Status::NOT_FOUND, "invalid path parameter"))
            }
        }
    };
}
path_tuple!(A, B);
path_tuple!(A, B, C);
path_tuple!(A, B, C, D);

/// The query string: `query.get("x")`, `query.parse::<u32>("n")`.
#[derive(Clone)]
pub struct Query<'r>(pub QueryPairs<'r>);

impl<'r> Query<'r> {
    /// The first value of `key`, still percent-encoded; `None` when absent.
    pub fn get(&self, key: &str) -> Option<Encoded<'r>> {
        self.0.clone().find(|(k, _)| k.eq_decoded(key)).map(|(_, v)| v)
    }

    /// The first value of `key` decoded and parsed as `T`; `None` when absent
    /// or unparsable.
    pub fn parse<T: core::str::FromStr>(&self, key: &str) -> Option<T> {
        self.get(key)?.parse()
    }

    /// Every value of `key` (`?tag=a&tag=b`), in order.
    pub fn all<'k>(&self, key: &'k str) -> impl Iterator<Item = Encoded<'r>> + 'k
    where
        'r: 'k,
    {
        self.0.clone().filter(move |(k, _)| k.eq_decoded(key)).map(|(_, v)| v)
    }

    /// All `key=value` pairs, in order.
    pub fn pairs(&self) -> QueryPairs<'r> {
        self.0.clone()
    }
}

impl<'r, S> FromRequest<'r, S> for Query<'r> {
    async fn from_request<'b: 'r>(req: &'r Request<'r>, _: &'r S, _: &'r RequestBody<'b>) -> Result<Self, Rejection> {
        Ok(Query(req.query_pairs()))
    }
}

/// All request headers.
impl<'r, S> FromRequest<'r, S> for Headers<'r> {
    async fn from_request<'b: 'r>(req: &'r Request<'r>, _: &'r S, _: &'r RequestBody<'b>) -> Result<Self, Rejection> {
        Ok(req.headers())
    }
}

/// The body as a stream, for bodies larger than any buffer (uploads).
impl<'r, S> FromRequest<'r, S> for BodyReader<'r> {
    async fn from_request<'b: 'r>(_: &'r Request<'r>, _: &'r S, body: &'r RequestBody<'b>) -> Result<Self, Rejection> {
        body.reader().map_err(BodyError::rejection)
    }
}

/// The whole body, collected into the connection buffer.
pub struct Bytes<'r>(pub &'r [u8]);

impl<'r, S> FromRequest<'r, S> for Bytes<'r> {
    async fn from_request<'b: 'r>(_: &'r Request<'r>, _: &'r S, body: &'r RequestBody<'b>) -> Result<Self, Rejection> {
        body.collect().await.map(Bytes).map_err(BodyError::rejection)
    }
}

/// The whole body as UTF-8 text (400 if it is not).
pub struct Text<'r>(pub &'r str);

impl<'r, S> FromRequest<'r, S> for Text<'r> {
    async fn from_request<'b: 'r>(_: &'r Request<'r>, _: &'r S, body: &'r RequestBody<'b>) -> Result<Self, Rejection> {
        let bytes = body.collect().await.map_err(BodyError::rejection)?;
        core::str::from_utf8(bytes)
            .map(Text)
            .map_err(|_| Rejection::new(Status::BAD_REQUEST, "body is not UTF-8"))
    }
}

/// An `application/x-www-form-urlencoded` body, decoded on demand like a
/// query string: `form.get("name")`, `form.parse::<u32>("age")`.
pub struct Form<'r>(pub Query<'r>);

impl<'r> core::ops::Deref for Form<'r> {
    type Target = Query<'r>;

    fn deref(&self) -> &Query<'r> {
        &self.0
    }
}

impl<'r, S> FromRequest<'r, S> for Form<'r> {
    async fn from_request<'b: 'r>(
        req: &'r Request<'r>,
        _: &'r S,
        body: &'r RequestBody<'b>,
    ) -> Result<Self, Rejection> {
        if !req.mime_is("application/x-www-form-urlencoded") {
            return Err(Rejection::new(
                Status::UNSUPPORTED_MEDIA_TYPE,
                "expected a urlencoded form",
            ));
        }
        let bytes = body.collect().await.map_err(BodyError::rejection)?;
        let text = core::str::from_utf8(bytes).map_err(|_| Rejection::new(Status::BAD_REQUEST, "form is not UTF-8"))?;
        Ok(Form(Query(QueryPairs::new(text))))
    }
}

/// The body as an owned byte vector.
#[cfg(feature = "alloc")]
impl<'r, S> FromRequest<'r, S> for alloc::vec::Vec<u8> {
    async fn from_request<'b: 'r>(_: &'r Request<'r>, _: &'r S, body: &'r RequestBody<'b>) -> Result<Self, Rejection> {
        read_to_vec(body.reader().map_err(BodyError::rejection)?).await
    }
}

/// The rest of a body in a vector, however large (up to the route's limit).
#[cfg(feature = "alloc")]
pub(crate) async fn read_to_vec(mut reader: crate::server::BodyReader<'_>) -> Result<alloc::vec::Vec<u8>, Rejection> {
    let mut out = alloc::vec::Vec::new();
    let mut chunk = [0u8; 512];
    loop {
        let n = reader.read(&mut chunk).await.map_err(BodyError::rejection)?;
        if n == 0 {
            return Ok(out);
        }
        out.extend_from_slice(chunk.get(..n).unwrap_or(&[]));
    }
}

/// A JSON body (`Content-Type: application/json`), deserialised with
/// `serde-json-core`; strings may borrow from the buffer.
#[cfg(feature = "json")]
pub struct Json<T>(pub T);

#[cfg(feature = "json")]
impl<'r, S, T: serde::Deserialize<'r>> FromRequest<'r, S> for Json<T> {
    async fn from_request<'b: 'r>(
        req: &'r Request<'r>,
        _: &'r S,
        body: &'r RequestBody<'b>,
    ) -> Result<Self, Rejection> {
        if !req.mime_is("application/json") {
            return Err(Rejection::new(
                Status::UNSUPPORTED_MEDIA_TYPE,
                "expected Content-Type: application/json",
            ));
        }
        let bytes = body.collect().await.map_err(BodyError::rejection)?;
        match serde_json_core::from_slice::<T>(bytes) {
            Ok((value, _)) => Ok(Json(value)),
            Err(_) => Err(Rejection::new(Status::BAD_REQUEST, "invalid JSON body")),
        }
    }
}

/// `Option<T>`: `None` instead of rejecting.
impl<'r, S, T: FromRequest<'r, S>> FromRequest<'r, S> for Option<T> {
    async fn from_request<'b: 'r>(
        req: &'r Request<'r>,
        state: &'r S,
        body: &'r RequestBody<'b>,
    ) -> Result<Self, Rejection> {
        Ok(T::from_request(req, state, body).await.ok())
    }
}
