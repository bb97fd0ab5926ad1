//! Layers: a check before the handlers of a route group and headers on
//! its responses, added around the group in one line.
//!
//! ```
//! use ferrodot::app::layer::{Layer, Layered};
//! use ferrodot::prelude::*;
//! use ferrodot::server::HeadExtras;
//! use ferrodot::testing::TestClient;
//!
//! /// Refuses requests without `X-Key: 42`, and labels every answer.
//! struct NeedsKey;
//!
//! impl<S> Layer<S> for NeedsKey {
//!     fn check(&self, req: &Request<'_>, _: &S) -> Result<(), Rejection> {
//!         match req.header("x-key") {
//!             Some("42") => Ok(()),
//!             _ => Err(Rejection::new(Status::FORBIDDEN, "wrong key")),
//!         }
//!     }
//!     fn head(&self, _: &Request<'_>, _: &S, _: Status, head: &mut HeadExtras<'_, '_>) {
//!         head.header("X-Guarded", "yes");
//!     }
//! }
//!
//! async fn open() -> &'static str { "open" }
//! async fn secret() -> &'static str { "secret" }
//! ferrodot::routes! { Public<()> { GET "/" => open } }
//! ferrodot::routes! { Private<()> { GET "/secret" => secret } }
//!
//! static APP: App<(), (Public, Layered<NeedsKey, Private>)> =
//!     App::new((), (Public, Layered::new(NeedsKey, Private)));
//! let client = TestClient::new(&APP);
//! assert_eq!(client.get("/").header("x-guarded"), None);
//! assert_eq!(client.get("/secret").status, Status::FORBIDDEN);
//! let ok = client.request(Method::Get, "/secret").header("X-Key", "42").send();
//! assert_eq!((ok.status, ok.text()), (Status::OK, "secret".to_string()));
//! assert_eq!(ok.header("x-guarded"), Some("yes"));
//! ```
//!
//! Why a wrapper around a group rather than a hook of the app or an
//! attribute of each route: the route table stays plain data, a group
//! without layers compiles to exactly what it did before (the engine asks
//! [`Dispatch::LAYERED`], a constant, before it looks for layers), and a
//! layer is one more type in the `App`'s route tuple — readable next to
//! the `routes!` table it guards. Layers stack as tuples (`(Cors, Auth)`:
//! checks run left to right) and groups nest (`Layered<Csrf, (A, Layered<Auth, B>)>`).
//!
//! [`Layer::head`] also sees the answers the engine gives by itself for a
//! path of the group: the automatic `OPTIONS` (a CORS preflight) and 405.

use crate::app::Dispatch;
use crate::http::parse::Rejection;
use crate::http::{Request, Status};
use crate::route::Route;
use crate::server::{HeadExtras, RequestBody, ResponseWriter, WriteError};

/// What a layer does around the routes it wraps. Both methods are
/// synchronous: nothing they look at stays in the connection's future.
pub trait Layer<S> {
    /// Before the handler of a route of the group: `Err` answers instead,
    /// and the handler never runs.
    fn check(&self, _req: &Request<'_>, _state: &S) -> Result<(), Rejection> {
        Ok(())
    }

    /// Every response head for a request whose path matched a route of the
    /// group, refusals included; may add headers.
    fn head(&self, _req: &Request<'_>, _state: &S, _status: Status, _head: &mut HeadExtras<'_, '_>) {}
}

/// Two layers: `A` checks first; both add headers.
impl<S, A: Layer<S>, B: Layer<S>> Layer<S> for (A, B) {
    fn check(&self, req: &Request<'_>, state: &S) -> Result<(), Rejection> {
        self.0.check(req, state)?;
        self.1.check(req, state)
    }

    fn head(&self, req: &Request<'_>, state: &S, status: Status, head: &mut HeadExtras<'_, '_>) {
        self.0.head(req, state, status, head);
        self.1.head(req, state, status, head);
    }
}

/// Three layers, left to right.
impl<S, A: Layer<S>, B: Layer<S>, C: Layer<S>> Layer<S> for (A, B, C) {
    fn check(&self, req: &Request<'_>, state: &S) -> Result<(), Rejection> {
        self.0.check(req, state)?;
        self.1.check(req, state)?;
        self.2.check(req, state)
    }

    fn head(&self, req: &Request<'_>, state: &S, status: Status, head: &mut HeadExtras<'_, '_>) {
        self.0.head(req, state, status, head);
        self.1.head(req, state, status, head);
        self.2.head(req, state, status, head);
    }
}

/// A layer kept elsewhere (a `static`).
impl<S, L: Layer<S> + ?Sized> Layer<S> for &L {
    fn check(&self, req: &Request<'_>, state: &S) -> Result<(), Rejection> {
        (**self).check(req, state)
    }

    fn head(&self, req: &Request<'_>, state: &S, status: Status, head: &mut HeadExtras<'_, '_>) {
        (**self).head(req, state, status, head);
    }
}

/// A layer that lives in the app's state, for settings known only at run
/// time (a password from the command line, a key made at boot):
/// `InState(|cam: &Camera| &cam.cors)`.
pub struct InState<S, L: 'static>(pub fn(&S) -> &L);

impl<S, L: Layer<S>> Layer<S> for InState<S, L> {
    fn check(&self, req: &Request<'_>, state: &S) -> Result<(), Rejection> {
        (self.0)(state).check(req, state)
    }

    fn head(&self, req: &Request<'_>, state: &S, status: Status, head: &mut HeadExtras<'_, '_>) {
        (self.0)(state).head(req, state, status, head);
    }
}

/// A route group with a layer around it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Layered<L, R> {
    /// What runs around every request of the group.
    pub layer: L,
    /// The route group the layer wraps.
    pub routes: R,
}

impl<L, R> Layered<L, R> {
    /// `const`, so a layered app can be a `static`.
    pub const fn new(layer: L, routes: R) -> Self {
        Layered { layer, routes }
    }
}

impl<S, L: Layer<S>, R: Dispatch<S>> Dispatch<S> for Layered<L, R> {
    const LAYERED: bool = true;

    fn route_count(&self) -> usize {
        self.routes.route_count()
    }

    fn route(&self, index: usize) -> Option<&Route<'_>> {
        self.routes.route(index)
    }

    async fn call(
        &self,
        index: usize,
        req: &Request<'_>,
        state: &S,
        body: &RequestBody<'_>,
        out: &mut ResponseWriter<'_>,
    ) -> Result<(), WriteError> {
        match self.layer.check(req, state) {
            Ok(()) => self.routes.call(index, req, state, body, out).await,
            Err(rejection) => out.error(rejection).await,
        }
    }

    fn head(&self, index: usize, req: &Request<'_>, state: &S, status: Status, head: &mut HeadExtras<'_, '_>) {
        self.layer.head(req, state, status, head);
        self.routes.head(index, req, state, status, head);
    }
}
