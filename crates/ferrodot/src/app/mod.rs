//! The application layer: an [`App`] is a route table, the handlers
//! behind it, shared state, hooks and configuration.
//!
//! ```
//! use ferrodot::prelude::*;
//!
//! async fn hello(Path(name): Path<&str>) -> String { format!("hello {name}") }
//! ferrodot::routes! { pub Hello<()> { GET "/hello/:name" => hello } }
//! static APP: App<(), Hello> = App::new((), Hello);
//! let listing: Vec<String> = APP.route_list().map(|r| r.to_string()).collect();
//! assert_eq!(listing, ["GET /hello/:name"]);
//! ```

#[cfg(feature = "alloc")]
pub mod dynamic;
pub mod extract;
pub mod handler;
pub mod layer;
pub mod respond;

use crate::http::parse::Rejection;
use crate::http::{Request, Status};
use crate::route::pattern::{check_custom_types, CustomTypes};
use crate::route::{PatternError, Route};
use crate::server::{Config, HeadExtras, RequestBody, ResponseWriter, WriteError};

pub use extract::FromRequest;
pub use handler::Handler;
pub use respond::{Content, IntoResponse};

/// A route table and the handlers behind it. The `routes!` macro writes
#[cfg_attr(
    feature = "alloc",
    doc = "one; with `alloc`, [`dynamic::Router`] is one filled at run time."
)]
#[cfg_attr(
    not(feature = "alloc"),
    doc = "one; with `alloc`, `dynamic::Router` is one filled at run time."
)]
#[allow(async_fn_in_trait)]
pub trait Dispatch<S> {
    /// Whether any group in here has a [`layer::Layer`]: a constant, so an
    /// app without layers never looks for them.
    const LAYERED: bool = false;

    /// How many routes there are.
    fn route_count(&self) -> usize;

    /// Route `index`, in match order.
    fn route(&self, index: usize) -> Option<&Route<'_>>;

    /// Every route, in match order.
    fn routes(&self) -> RouteIter<'_, S, Self>
    where
        Self: Sized,
    {
        RouteIter {
            dispatch: self,
            next: 0,
            _state: core::marker::PhantomData,
        }
    }

    /// Run the handler of route `index` and write its response.
    async fn call(
        &self,
        index: usize,
        req: &Request<'_>,
        state: &S,
        body: &RequestBody<'_>,
        out: &mut ResponseWriter<'_>,
    ) -> Result<(), WriteError>;

    /// Let the layers around route `index` add headers to a response for
    /// a request whose path it matched (see [`layer::Layered`]).
    fn head(&self, _index: usize, _req: &Request<'_>, _state: &S, _status: Status, _head: &mut HeadExtras<'_, '_>) {}
}

/// Iterator over the routes of a [`Dispatch`].
pub struct RouteIter<'a, S, D> {
    dispatch: &'a D,
    next: usize,
    _state: core::marker::PhantomData<fn(&S)>,
}

// By hand: a derive would ask `D: Clone`, but only the reference is copied.
impl<S, D> Clone for RouteIter<'_, S, D> {
    fn clone(&self) -> Self {
        RouteIter {
            dispatch: self.dispatch,
            next: self.next,
            _state: core::marker::PhantomData,
        }
    }
}

impl<'a, S, D: Dispatch<S>> Iterator for RouteIter<'a, S, D> {
    type Item = &'a Route<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        let route = self.dispatch.route(self.next)?;
        // A route exists at `next`, so `next + 1` is at most the route count.
        self.next = self.next.saturating_add(1);
        Some(route)
    }
}

/// Two route groups served as one: `a`'s routes first, then `b`'s
/// (Microdot's `mount`, mpgameserver's `registerRoutes`), with no heap.
impl<S, A: Dispatch<S>, B: Dispatch<S>> Dispatch<S> for (A, B) {
    const LAYERED: bool = A::LAYERED || B::LAYERED;

    fn route_count(&self) -> usize {
        self.0.route_count().saturating_add(self.1.route_count())
    }

    fn route(&self, index: usize) -> Option<&Route<'_>> {
        match index.checked_sub(self.0.route_count()) {
            None => self.0.route(index),
            Some(i) => self.1.route(i),
        }
    }

    async fn call(
        &self,
        index: usize,
        req: &Request<'_>,
        state: &S,
        body: &RequestBody<'_>,
        out: &mut ResponseWriter<'_>,
    ) -> Result<(), WriteError> {
        match index.checked_sub(self.0.route_count()) {
            None => self.0.call(index, req, state, body, out).await,
            Some(i) => self.1.call(i, req, state, body, out).await,
        }
    }

    fn head(&self, index: usize, req: &Request<'_>, state: &S, status: Status, head: &mut HeadExtras<'_, '_>) {
        match index.checked_sub(self.0.route_count()) {
            None if A::LAYERED => self.0.head(index, req, state, status, head),
            Some(i) if B::LAYERED => self.1.head(i, req, state, status, head),
            _ => {}
        }
    }
}

/// Runs before routing: `Some(rejection)` answers instead of the route
/// (an IP allow-list, an auth check).
pub type BeforeRequest<S> = fn(&Request<'_>, &S) -> Option<Rejection>;
/// Sees every response head and may add headers.
pub type AfterRequest<S> = fn(&Request<'_>, &S, Status, &mut HeadExtras<'_, '_>);
/// Told about requests refused before they could be parsed or served
/// (400, 408, 414, 431, 501, 505, …): they reach no other hook.
pub type OnRefuse = fn(Option<core::net::SocketAddr>, Rejection);
/// Renders error responses (404, 405, 413, 500, …) instead of the
/// built-in text or JSON body. Write the body into the page; `None`
/// falls back to the built-in body.
pub type ErrorPage = fn(&Request<'_>, Rejection, &mut ErrorBody<'_>) -> Option<()>;

/// A custom error page being written (see [`App::error_page`]).
pub struct ErrorBody<'a> {
    pub(crate) content_type: &'static str,
    pub(crate) body: crate::http::response::BufWriter<'a>,
}

impl ErrorBody<'_> {
    /// Sets the page's `Content-Type` (`text/plain; charset=utf-8` unless set).
    pub fn content_type(&mut self, content_type: &'static str) {
        self.content_type = content_type;
    }
}

impl core::fmt::Write for ErrorBody<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.body.write_str(s)
    }
}

/// An application: state `S` and routes `R`.
pub struct App<S, R> {
    /// The shared state handlers get through [`State`](crate::State).
    pub state: S,
    /// The routes: a group declared with [`routes!`](crate::routes), a tuple
    /// of groups, or a run-time router.
    pub routes: R,
    /// Limits, timeouts and error style for every connection.
    pub config: Config,
    pub(crate) before: Option<BeforeRequest<S>>,
    pub(crate) after: Option<AfterRequest<S>>,
    pub(crate) error_page: Option<ErrorPage>,
    pub(crate) on_refuse: Option<OnRefuse>,
    pub(crate) custom_types: CustomTypes,
}

impl<S, R: Dispatch<S>> App<S, R> {
    /// An app with default configuration; `const`, so it can be a `static`.
    pub const fn new(state: S, routes: R) -> Self {
        App {
            state,
            routes,
            config: Config::DEFAULT,
            before: None,
            after: None,
            error_page: None,
            on_refuse: None,
            custom_types: None,
        }
    }

    /// Replaces the default configuration (limits, timeouts, error style).
    pub const fn with_config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Runs `hook` before routing every parsed request; see [`BeforeRequest`].
    pub const fn before_request(mut self, hook: BeforeRequest<S>) -> Self {
        self.before = Some(hook);
        self
    }

    /// Runs `hook` on every response head; see [`AfterRequest`].
    pub const fn after_request(mut self, hook: AfterRequest<S>) -> Self {
        self.after = Some(hook);
        self
    }

    /// Calls `hook` for requests refused before they could be served; see
    /// [`OnRefuse`].
    pub const fn on_refuse(mut self, hook: OnRefuse) -> Self {
        self.on_refuse = Some(hook);
        self
    }

    /// Renders error responses with `page` instead of the built-in bodies; see
    /// [`ErrorPage`].
    pub const fn error_page(mut self, page: ErrorPage) -> Self {
        self.error_page = Some(page);
        self
    }

    /// Define custom capture types (`<hex:id>`): the hook answers
    /// `Some(accepted)` for the types it knows, `None` for others.
    pub const fn custom_types(mut self, hook: fn(&str, crate::http::query::Encoded<'_>) -> Option<bool>) -> Self {
        self.custom_types = Some(hook);
        self
    }

    /// Check what cannot be checked at compile time (custom capture
    /// types); servers call this before accepting connections.
    pub fn validate(&self) -> Result<(), PatternError> {
        for route in self.routes.routes() {
            check_custom_types(route.pattern.as_str(), self.custom_types)?;
        }
        Ok(())
    }

    /// The route table as `(methods, pattern)` lines, for listings like
    /// MicroServer's `GET /` and mpgameserver's `routes()`.
    pub fn route_list(&self) -> RouteIter<'_, S, R> {
        self.routes.routes()
    }
}
