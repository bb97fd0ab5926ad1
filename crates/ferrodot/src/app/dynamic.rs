//! Routes added at run time (feature `alloc`): Microdot's `app.get(...)`,
//! MicroServer's `add_route`.
//!
//! ```
//! use ferrodot::app::dynamic::{Req, Router};
//! use ferrodot::prelude::*;
//! use ferrodot::testing::TestClient;
//!
//! let mut router = Router::new();
//! router.get("/hello/:name", |req: &Req<'_, ()>| format!("hello {}", req.param("name").unwrap().raw()))?;
//! router.post("/echo", |req: &Req<'_, ()>| req.text().map(String::from))?.max_body(64);
//! let app = App::new((), router);
//!
//! let client = TestClient::new(&app);
//! assert_eq!(client.get("/hello/ada").body, b"hello ada");
//! assert_eq!(client.post("/echo", "hi").body, b"hi");
//! assert_eq!(client.post("/echo", [b'x'; 65]).status, Status::PAYLOAD_TOO_LARGE);
//! # Ok::<(), ferrodot::route::PatternError>(())
//! ```
//!
//! Handlers here are plain closures of a [`Req`] (request, state, body)
//! returning any response; the body is collected before the call. Static
//! tables from `routes!` remain the no-heap, async-handler way.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::future::Future;
use core::ops::Deref;
use core::pin::Pin;

use super::respond::IntoResponse;
use super::Dispatch;
use crate::http::method::MethodSet;
use crate::http::parse::Rejection;
use crate::http::{Method, Request, Status};
use crate::route::{Pattern, PatternError, Route};
use crate::server::{BodyError, RequestBody, ResponseWriter, WriteError};

/// What a run-time handler sees.
pub struct Req<'a, S> {
    /// The parsed request head (also reachable through `Deref`).
    pub request: &'a Request<'a>,
    /// The app's state.
    pub state: &'a S,
    /// The whole request body, read before the handler runs.
    pub body: &'a [u8],
}

impl<'a, S> Deref for Req<'a, S> {
    type Target = Request<'a>;

    fn deref(&self) -> &Request<'a> {
        self.request
    }
}

impl<S> Req<'_, S> {
    /// The body as JSON (any media type is accepted; 400 if it does not parse).
    #[cfg(feature = "json")]
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, Rejection> {
        serde_json_core::from_slice::<T>(self.body)
            .map(|(v, _)| v)
            .map_err(|_| Rejection::new(Status::BAD_REQUEST, "invalid JSON body"))
    }

    /// The body as text (400 if it is not UTF-8).
    pub fn text(&self) -> Result<&str, Rejection> {
        core::str::from_utf8(self.body).map_err(|_| Rejection::new(Status::BAD_REQUEST, "body is not UTF-8"))
    }
}

type BoxedResponse<'a> = Pin<Box<dyn Future<Output = Result<(), WriteError>> + 'a>>;

trait ErasedHandler<S> {
    fn call<'a>(&'a self, req: Req<'a, S>, out: &'a mut ResponseWriter<'_>) -> BoxedResponse<'a>;
}

impl<S, F, R> ErasedHandler<S> for F
where
    F: Fn(&Req<'_, S>) -> R,
    R: IntoResponse + 'static,
{
    fn call<'a>(&'a self, req: Req<'a, S>, out: &'a mut ResponseWriter<'_>) -> BoxedResponse<'a> {
        let response = self(&req);
        Box::pin(response.into_response(out))
    }
}

/// A route table filled at run time.
pub struct Router<S> {
    routes: Vec<Route<'static>>,
    handlers: Vec<Box<dyn ErasedHandler<S>>>,
}

impl<S> Default for Router<S> {
    fn default() -> Self {
        Router {
            routes: Vec::new(),
            handlers: Vec::new(),
        }
    }
}

impl<S: 'static> Router<S> {
    /// An empty router.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a route. Patterns are checked now: a bad one is an error.
    ///
    /// The pattern text is leaked so routes stay plain `'static` data like
    /// compiled tables: a router lives as long as the program.
    pub fn route<F, R>(&mut self, method: Method, pattern: &str, handler: F) -> Result<&mut Self, PatternError>
    where
        F: Fn(&Req<'_, S>) -> R + 'static,
        R: IntoResponse + 'static,
    {
        let text: &'static str = Box::leak(String::from(pattern).into_boxed_str());
        let pattern = Pattern::try_new(text)?;
        self.routes.push(Route {
            methods: MethodSet::EMPTY.with(method),
            pattern,
            max_body: None,
            require_length: false,
        });
        self.handlers.push(Box::new(handler));
        Ok(self)
    }

    /// Adds a `GET` route (which also answers `HEAD`); see
    /// [`route`](Self::route).
    pub fn get<F, R>(&mut self, pattern: &str, handler: F) -> Result<&mut Self, PatternError>
    where
        F: Fn(&Req<'_, S>) -> R + 'static,
        R: IntoResponse + 'static,
    {
        self.route(Method::Get, pattern, handler)
    }

    /// Adds a `POST` route; see [`route`](Self::route).
    pub fn post<F, R>(&mut self, pattern: &str, handler: F) -> Result<&mut Self, PatternError>
    where
        F: Fn(&Req<'_, S>) -> R + 'static,
        R: IntoResponse + 'static,
    {
        self.route(Method::Post, pattern, handler)
    }

    /// Adds a `PUT` route; see [`route`](Self::route).
    pub fn put<F, R>(&mut self, pattern: &str, handler: F) -> Result<&mut Self, PatternError>
    where
        F: Fn(&Req<'_, S>) -> R + 'static,
        R: IntoResponse + 'static,
    {
        self.route(Method::Put, pattern, handler)
    }

    /// Adds a `DELETE` route; see [`route`](Self::route).
    pub fn delete<F, R>(&mut self, pattern: &str, handler: F) -> Result<&mut Self, PatternError>
    where
        F: Fn(&Req<'_, S>) -> R + 'static,
        R: IntoResponse + 'static,
    {
        self.route(Method::Delete, pattern, handler)
    }

    /// Set the body limit of the route added last (413 above it).
    pub fn max_body(&mut self, bytes: u64) -> &mut Self {
        if let Some(route) = self.routes.last_mut() {
            route.max_body = Some(bytes);
        }
        self
    }

    /// Move every route of `other` under `prefix` (Microdot's `mount`).
    pub fn mount(&mut self, prefix: &str, other: Router<S>) -> Result<&mut Self, PatternError> {
        for (route, handler) in other.routes.into_iter().zip(other.handlers) {
            let mut text = String::from(prefix);
            text.push_str(route.pattern.as_str());
            let text: &'static str = Box::leak(text.into_boxed_str());
            self.routes.push(Route {
                pattern: Pattern::try_new(text)?,
                ..route
            });
            self.handlers.push(handler);
        }
        Ok(self)
    }
}

impl<S> Dispatch<S> for Router<S> {
    fn route_count(&self) -> usize {
        self.routes.len()
    }

    fn route(&self, index: usize) -> Option<&Route<'_>> {
        self.routes.get(index)
    }

    async fn call(
        &self,
        index: usize,
        req: &Request<'_>,
        state: &S,
        body: &RequestBody<'_>,
        out: &mut ResponseWriter<'_>,
    ) -> Result<(), WriteError> {
        let Some(handler) = self.handlers.get(index) else {
            return Ok(());
        };
        let body = match body.collect().await {
            Ok(bytes) => bytes,
            Err(e) => return out.error(BodyError::rejection(e)).await,
        };
        handler
            .call(
                Req {
                    request: req,
                    state,
                    body,
                },
                out,
            )
            .await
    }
}
