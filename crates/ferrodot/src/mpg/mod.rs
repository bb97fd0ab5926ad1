//! mpgameserver-style `Resource`s: a group of related routes declared on
//! one type, whose methods answer them, registered on an app's router.
//!
//! ```
//! use core::cell::Cell;
//! use ferrodot::prelude::*;
//! use ferrodot::mpg::{ErrorResponse, Incoming, JsonResponse};
//!
//! #[derive(Default)]
//! struct Counter { n: Cell<u32> }
//!
//! impl Counter {
//!     async fn get(&self, _req: Incoming<'_>) -> JsonResponse<'static, u32> {
//!         JsonResponse::new(self.n.get())
//!     }
//!     async fn add(&self, mut req: Incoming<'_>) -> Result<JsonResponse<'static, u32>, ErrorResponse> {
//!         let by: u32 = req.json().await?;
//!         self.n.set(self.n.get().checked_add(by).ok_or(ErrorResponse::new("overflow"))?);
//!         Ok(JsonResponse::new(self.n.get()).status(Status::CREATED))
//!     }
//! }
//!
//! ferrodot::mpg_resource! {
//!     impl Counter {
//!         GET "/count" .param("format") => get,
//!         POST "/count" .max_content_length(32) .header("Authorization") => add,
//!     }
//! }
//!
//! // Several resources on one router: a tuple, no heap.
//! let app = App::new((), (Counter::default(), ferrodot::mpg::NoRoutes));
//! # let client = ferrodot::testing::TestClient::new(&app);
//! # assert_eq!(client.request(Method::Post, "/count").json(&5).send().text(), "5\n");
//! ```
//!
//! Each route method takes `&self` and one [`Incoming`] request and
#![cfg_attr(
    feature = "postcard",
    doc = "returns any response: [`JsonResponse`], [`SerializableResponse`],"
)]
#![cfg_attr(
    not(feature = "postcard"),
    doc = "returns any response: [`JsonResponse`], `SerializableResponse` (feature `postcard`),"
)]
//! [`ErrorResponse`], a `Result` of them, or anything else ferrodot
//! responds with. The request, as mpgameserver's `Request` has it:
//!
//! - `path()`: the percent-decoded path (`raw_path()`: as sent);
//! - `matches(name)`: a path capture; `params(key)`: every value of a
//!   query parameter, in order (`query(key)`: the first); `header(name)`,
//!   `headers_all(name)`, `client_addr()`, `fragment()`;
//! - the body, read once: `json()`, `message()` (postcard, below),
//!   `text()`, `bytes()`, or `stream()` for any size.
//!
//! `json()`, `message()`, `text()` and `bytes()` take a body up to the
//! route's `max_content_length`: in place in the connection buffer when it
//! fits there, else (with `alloc`) in memory kept for the request, so
//! parsed values may borrow strings from it either way. Without `alloc`
//! the connection buffer is the bound: a larger body is 413, and the
//! message says how many bytes were free and why ([`BUFFER_TOO_SMALL`]).
//!
//! mpgameserver's `Serializable` bodies are postcard here (feature
//! `postcard`, in the defaults; no heap needed): `message::<T>()` decodes
#![cfg_attr(feature = "postcard", doc = "one, [`SerializableResponse`] sends one, both as")]
#![cfg_attr(not(feature = "postcard"), doc = "one, `SerializableResponse` sends one, both as")]
//! `application/x-serializable` ([`SERIALIZABLE`]).
//!
//! `WEBSOCKET` routes take mpgameserver's callback
//! (`fn(&self, &mut Reply, CallbackOpcode, &[u8])`, see
//! [`crate::ws::callback`]): `Open`, each message, `Close` with an empty
//! payload (the code is `reply.close_code()`); `reply.request()` is the
//! upgrade request (path, captures, headers); the callback may send
//! several messages per event, each up to the connection's response
//! buffer (an error return above it).
//!
//! PUT and POST routes refuse a body without a declared length (411) and
//! one larger than their `max_content_length` (413): 5 MiB by default with
//! `std` ([`DEFAULT_MAX_CONTENT_LENGTH`]), set per route with
//! `.max_content_length(n)`. `.header(name)` and `.param(name)` only
//! document a route: they are kept in its [`RouteDoc`].
//!
//! Where this differs from mpgameserver, on purpose: a path that exists
//! for another method is 405 with `Allow` (mpgameserver: 404); HEAD and
//! OPTIONS are answered; a trailing slash is significant and `/p/:x+`
//! does not match `/px` (see [`crate::route::pattern`]); a chunked body
//! counts as a declared length; `path()` is percent-decoded, as
//! mpgameserver documents it (its code leaves it raw); `Serializable` is
//! postcard, not mpgameserver's own encoding; WebSocket pings are answered
//! for you, a close is answered with 1000, not 200, and the callback
//! sends binary as well as text; without a heap, bodies are bounded by the
//! connection buffer; there is no rate limiter in this face (see
//! `middleware::ratelimit`); `compress=True` (`Response::compress`, feature `compress`) gzips
//! only for clients that accept gzip;
//! `JsonResponse` writes compact JSON (no space after `,` and `:`), which
//! also works without a heap; a handler error is the `ErrorResponse` it
//! returns, not always 500 "route failed to return a response".

#[cfg(all(feature = "tokio", feature = "client", feature = "json"))]
pub mod client;
#[cfg(feature = "std")]
mod path;
mod request;
mod respond;

#[cfg(feature = "std")]
pub use path::{path_join_safe, UnsafePath};
pub use request::{BodyKeep, BodyRejection, Incoming, BUFFER_TOO_SMALL};
#[cfg(feature = "postcard")]
pub use respond::SerializableResponse;
pub use respond::{ErrorResponse, Response, SERIALIZABLE};
#[cfg(feature = "json")]
pub use respond::{JsonBody, JsonResponse};

use crate::app::respond::IntoResponse;
use crate::app::Dispatch;
use crate::http::{Method, Request};
use crate::route::Route;
use crate::server::{RequestBody, ResponseWriter, WriteError};

/// The largest PUT or POST body a route takes unless it says otherwise:
/// mpgameserver's 5 MiB on a host, the engine's 16 KiB without `std`.
#[cfg(feature = "std")]
pub const DEFAULT_MAX_CONTENT_LENGTH: u64 = 5 * 1024 * 1024;
#[cfg(not(feature = "std"))]
/// The largest PUT or POST body a route takes unless it says otherwise: the
/// engine's 16 KiB without `std`.
pub const DEFAULT_MAX_CONTENT_LENGTH: u64 = 16 * 1024;

/// Most `.header()` or `.param()` notes on one route.
pub const MAX_NOTES: usize = 8;

/// What a route documents about itself (mpgameserver's `@header` and
/// `@param` decorators), for route listings and API documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteDoc {
    /// A `WEBSOCKET` route (served as GET with an upgrade).
    pub websocket: bool,
    headers: [&'static str; MAX_NOTES],
    header_count: usize,
    params: [&'static str; MAX_NOTES],
    param_count: usize,
}

impl RouteDoc {
    /// No notes: not a WebSocket route, no headers, no parameters.
    pub const EMPTY: RouteDoc = RouteDoc {
        websocket: false,
        headers: [""; MAX_NOTES],
        header_count: 0,
        params: [""; MAX_NOTES],
        param_count: 0,
    };

    /// Request headers the route expects.
    pub fn headers(&self) -> &[&'static str] {
        self.headers.get(..self.header_count).unwrap_or(&[])
    }

    /// Query parameters the route expects.
    pub fn params(&self) -> &[&'static str] {
        self.params.get(..self.param_count).unwrap_or(&[])
    }
}

/// One entry of a resource's route table: the route the engine matches
/// and what it documents.
#[derive(Debug, Clone, Copy)]
pub struct RouteSpec {
    /// The route the engine matches.
    pub route: Route<'static>,
    /// What the route documents about itself.
    pub doc: RouteDoc,
}

impl RouteSpec {
    /// A route for `method` (`GET`, `PUT`, `POST`, `DELETE`, any other
    /// method ferrodot routes, or `WEBSOCKET`) on `pattern`. PUT and POST
    /// require a length and take at most [`DEFAULT_MAX_CONTENT_LENGTH`].
    /// In a `const`, a bad method or pattern is a compile error.
    pub const fn new(method: &str, pattern: &'static str) -> Self {
        let websocket = matches!(method.as_bytes(), b"WEBSOCKET");
        let mut route = if websocket {
            Route::new(Method::Get, pattern)
        } else {
            Route::from_name(method, pattern)
        };
        if route.methods.contains(Method::Put) || route.methods.contains(Method::Post) {
            route = route.max_body(DEFAULT_MAX_CONTENT_LENGTH).require_length();
        }
        RouteSpec {
            route,
            doc: RouteDoc {
                websocket,
                ..RouteDoc::EMPTY
            },
        }
    }

    /// The largest body this route takes (413 above it).
    pub const fn max_content_length(mut self, bytes: u64) -> Self {
        self.route.max_body = Some(bytes);
        self
    }

    /// Document a request header the route expects.
    #[allow(clippy::panic, clippy::indexing_slicing, clippy::arithmetic_side_effects)] // a compile error in a const table; count < MAX_NOTES
    pub const fn header(mut self, name: &'static str) -> Self {
        if self.doc.header_count >= MAX_NOTES {
            panic!("at most 8 .header() notes per route");
        }
        self.doc.headers[self.doc.header_count] = name;
        self.doc.header_count += 1;
        self
    }

    /// Document a query parameter the route expects.
    #[allow(clippy::panic, clippy::indexing_slicing, clippy::arithmetic_side_effects)] // a compile error in a const table; count < MAX_NOTES
    pub const fn param(mut self, name: &'static str) -> Self {
        if self.doc.param_count >= MAX_NOTES {
            panic!("at most 8 .param() notes per route");
        }
        self.doc.params[self.doc.param_count] = name;
        self.doc.param_count += 1;
        self
    }
}

/// Route tables that carry documentation: every `mpg_resource!` type,
/// and tuples of them.
pub trait RouteDocs {
    /// How many routes (and so documentation entries) there are.
    fn doc_count(&self) -> usize;
    /// The documentation of route `index`, in match order.
    fn route_doc(&self, index: usize) -> Option<&RouteDoc>;
}

impl<A: RouteDocs, B: RouteDocs> RouteDocs for (A, B) {
    fn doc_count(&self) -> usize {
        self.0.doc_count().saturating_add(self.1.doc_count())
    }

    fn route_doc(&self, index: usize) -> Option<&RouteDoc> {
        match index.checked_sub(self.0.doc_count()) {
            None => self.0.route_doc(index),
            Some(i) => self.1.route_doc(i),
        }
    }
}

/// An empty route group: the end of a tuple of resources, or a router
/// with nothing registered yet.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRoutes;

impl<S> Dispatch<S> for NoRoutes {
    fn route_count(&self) -> usize {
        0
    }

    fn route(&self, _index: usize) -> Option<&Route<'_>> {
        None
    }

    async fn call(
        &self,
        _index: usize,
        _req: &Request<'_>,
        _state: &S,
        _body: &RequestBody<'_>,
        _out: &mut ResponseWriter<'_>,
    ) -> Result<(), WriteError> {
        Ok(())
    }
}

impl RouteDocs for NoRoutes {
    fn doc_count(&self) -> usize {
        0
    }

    fn route_doc(&self, _index: usize) -> Option<&RouteDoc> {
        None
    }
}

/// Every route of `routes` with its documentation, in match order
/// (mpgameserver's `HTTPServer.routes()`): print it at start-up, or turn
/// it into an API document.
pub fn route_table<S, R: Dispatch<S> + RouteDocs>(routes: &R) -> impl Iterator<Item = (&Route<'_>, RouteDoc)> {
    (0..routes.route_count()).filter_map(move |i| {
        Some((
            routes.route(i)?,
            routes.route_doc(i).copied().unwrap_or(RouteDoc::EMPTY),
        ))
    })
}

/// The OpenAPI 3.1 document of a resource's routes (see [`crate::openapi`]),
/// with each route's `.header()` and `.param()` notes as header and query
/// parameters, and `WEBSOCKET` routes described as upgrades.
///
/// ```
/// use ferrodot::mpg::{self, Incoming};
/// use ferrodot::openapi::Info;
///
/// struct Users;
/// impl Users {
///     async fn get_user(&self, _req: Incoming<'_>) -> &'static str { "{}" }
/// }
/// ferrodot::mpg_resource! { impl Users { GET "/user/:name" .header("Authorization") .param("fields") => get_user } }
///
/// let doc: serde_json::Value = serde_json::from_str(&mpg::openapi_document::<(), _>(&Info::new("users", "1"), &Users)).unwrap();
/// let params = &doc["paths"]["/user/{name}"]["get"]["parameters"];
/// assert_eq!((params[1]["name"].as_str(), params[1]["in"].as_str()), (Some("Authorization"), Some("header")));
/// assert_eq!((params[2]["name"].as_str(), params[2]["in"].as_str()), (Some("fields"), Some("query")));
/// ```
#[cfg(all(feature = "openapi", feature = "alloc"))]
pub fn openapi_document<S, R: Dispatch<S> + RouteDocs>(
    info: &crate::openapi::Info<'_>,
    routes: &R,
) -> alloc::string::String {
    use crate::openapi::{Note, Param};
    use alloc::vec::Vec;
    let table: Vec<(&Route<'_>, RouteDoc)> = route_table::<S, R>(routes).collect();
    let params: Vec<Vec<Param<'static>>> = table
        .iter()
        .map(|(_, doc)| {
            let headers = doc.headers().iter().map(|h| Param::header(h, "Noted with .header()"));
            headers
                .chain(doc.params().iter().map(|p| Param::query(p, "Noted with .param()")))
                .collect()
        })
        .collect();
    let notes: Vec<Note<'_>> = table
        .iter()
        .zip(&params)
        .flat_map(|((route, doc), params)| {
            let websocket = doc.websocket;
            route.methods.iter().map(move |method| {
                let note = Note::new(method, route.pattern.as_str(), "").params(params);
                if websocket {
                    note.description("A WebSocket (a `WEBSOCKET` route): upgrade with `GET` and `Upgrade: websocket`.")
                } else {
                    note
                }
            })
        })
        .collect();
    crate::openapi::document(info, table.iter().map(|(route, _)| *route), &notes)
}

#[doc(hidden)]
pub async fn __respond<R: IntoResponse>(response: R, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
    response.into_response(out).await
}

#[doc(hidden)]
#[cfg(feature = "ws")]
pub async fn __websocket<F>(
    req: &Request<'_>,
    body: &RequestBody<'_>,
    out: &mut ResponseWriter<'_>,
    callback: F,
) -> Result<(), WriteError>
where
    F: FnMut(&mut crate::ws::callback::Reply<'_>, crate::ws::callback::CallbackOpcode, &[u8]),
{
    use crate::app::extract::FromRequest;
    let upgrade = <crate::ws::WebSocketUpgrade<'_> as FromRequest<'_, ()>>::from_request(req, &(), body).await;
    let mut upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => return out.error(rejection).await,
    };
    let Ok(mut ws) = upgrade.accept(&[], crate::ws::WsConfig::DEFAULT).await else {
        return Ok(());
    };
    // No HTTP response follows the 101: the response buffer holds what
    // the callback sends back.
    crate::ws::callback::run_callback(&mut ws, req, out.upgraded_buffer(), callback).await;
    Ok(())
}

/// Declare the routes of an mpgameserver-style resource type: its route
/// table (`Type::ROUTES`), its dispatch (so the type can be an app's
/// routes, alone or in a tuple with others) and its documentation.
///
/// ```
/// # use ferrodot::prelude::*;
/// # use ferrodot::mpg::Incoming;
/// struct Users;
/// impl Users {
///     async fn get_user(&self, req: Incoming<'_>) -> String {
///         format!("user {}", req.matches("username").map(|n| n.raw()).unwrap_or(""))
///     }
///     async fn create_user(&self, _req: Incoming<'_>) -> Status { Status::CREATED }
/// }
/// ferrodot::mpg_resource! {
///     impl Users {
///         GET "/user/:username" .header("Authorization") => get_user,
///         POST "/user/:username" .max_content_length(1024) => create_user,
///     }
/// }
/// assert_eq!(Users::ROUTES[1].route.max_body, Some(1024));
/// assert_eq!(Users::ROUTES[0].doc.headers(), ["Authorization"]);
/// ```
#[macro_export]
macro_rules! mpg_resource {
    (
        impl $ty:ty {
            $( $method:ident $pattern:literal $( . $opt:ident ( $($arg:expr),* ) )* => $handler:ident ),* $(,)?
        }
    ) => {
        impl $ty {
            /// The route table with each route's notes, in match order.
            pub const ROUTES: &'static [$crate::mpg::RouteSpec] = &[
                $( $crate::mpg::RouteSpec::new(stringify!($method), $pattern) $( . $opt ( $($arg),* ) )* ),*
            ];
        }

        impl<S> $crate::__private::Dispatch<S> for $ty {
            fn route_count(&self) -> usize {
                Self::ROUTES.len()
            }

            fn route(&self, index: usize) -> Option<&$crate::__private::Route<'_>> {
                Self::ROUTES.get(index).map(|spec| &spec.route)
            }

            async fn call(
                &self,
                index: usize,
                req: &$crate::__private::Request<'_>,
                _state: &S,
                body: &$crate::__private::RequestBody<'_>,
                out: &mut $crate::__private::ResponseWriter<'_>,
            ) -> Result<(), $crate::__private::WriteError> {
                let mut arm = 0usize;
                $(
                    if index == arm {
                        return $crate::mpg_resource!(@call $method self $handler req body out);
                    }
                    arm += 1;
                )*
                let _ = arm;
                Ok(())
            }
        }

        impl $crate::mpg::RouteDocs for $ty {
            fn doc_count(&self) -> usize {
                Self::ROUTES.len()
            }

            fn route_doc(&self, index: usize) -> Option<&$crate::mpg::RouteDoc> {
                Self::ROUTES.get(index).map(|spec| &spec.doc)
            }
        }
    };
    (@call WEBSOCKET $self:ident $handler:ident $req:ident $body:ident $out:ident) => {
        $crate::mpg::__websocket($req, $body, $out, |reply, opcode, payload| $self.$handler(reply, opcode, payload)).await
    };
    (@call $method:ident $self:ident $handler:ident $req:ident $body:ident $out:ident) => {
        {
            // Holds a body too large for the connection buffer for as long
            // as the response may borrow from it.
            let keep = $crate::mpg::BodyKeep::new();
            $crate::mpg::__respond($self.$handler($crate::mpg::Incoming::new($req, $body, &keep)).await, $out).await
        }
    };
}
