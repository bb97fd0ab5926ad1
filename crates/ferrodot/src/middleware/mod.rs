//! Middleware: cookies, signed sessions, HTTP authentication and login,
//! CORS, CSRF protection and rate limiting — each a module the core does
//! not import, each behind its own feature (`cookie`, `session`, `auth`,
//! `cors`, `csrf`, `ratelimit`; `middleware` turns on all of them).
//!
//! ```
//! # #[cfg(all(feature = "cors", feature = "csrf"))] {
//! use ferrodot::app::layer::Layered;
//! use ferrodot::middleware::cors::Cors;
//! use ferrodot::middleware::csrf::Csrf;
//! use ferrodot::prelude::*;
//! use ferrodot::testing::TestClient;
//!
//! async fn status() -> &'static str { "ok" }
//! async fn set() -> Status { Status::NO_CONTENT }
//! ferrodot::routes! { Api<()> { GET "/status" => status, PUT "/config" => set } }
//!
//! static CORS: Cors = Cors::new(&["https://panel.example"]);
//! // CORS on the API; CSRF accepts the origins CORS allows.
//! static APP: App<(), Layered<(&Cors, Csrf), Api>> =
//!     App::new((), Layered::new((&CORS, Csrf::new().allow(&CORS)), Api));
//!
//! let client = TestClient::new(&APP);
//! let from = |origin| client.request(Method::Put, "/config").header("Origin", origin).send();
//! assert_eq!(from("https://panel.example").status, Status::NO_CONTENT);
//! assert_eq!(from("https://evil.example").status, Status::FORBIDDEN);
//! # }
//! ```
//!
//! How they plug in: each is a [`Layer`](crate::app::layer::Layer) put
//! around a route group with [`Layered`](crate::app::layer::Layered) — one
//! line in the app's type, next to the `routes!` table it guards — or an
//! extractor/responder a handler names ([`cookie::Cookies`],
//! `session::Session`). A layer runs a synchronous check before the
//! group's handlers and adds headers to the group's responses, including
//! the automatic `OPTIONS` answer, which is how CORS preflights are
//! answered for every CORS route without a route of their own. Nothing
//! here is in the engine: an app that uses none of it compiles to what it
//! did without it, and each layer's settings are `const`, so an app with
//! them is still a `static` (settings known only at run time live in the
//! app's state, reached through [`InState`](crate::app::layer::InState)).

#[cfg(feature = "auth")]
pub mod auth;
#[cfg(feature = "cookie")]
pub mod cookie;
#[cfg(feature = "cors")]
pub mod cors;
#[cfg(feature = "csrf")]
pub mod csrf;
#[cfg(feature = "session")]
mod hmac_sha256;
#[cfg(feature = "ratelimit")]
pub mod ratelimit;
#[cfg(feature = "session")]
pub mod session;

/// `f` as the one closure type the middleware's header values are
/// written with: the engine's generic header writer is then instantiated
/// once for all of them, not inlined once per closure.
#[cfg(any(feature = "auth", feature = "cookie", feature = "cors", feature = "ratelimit"))]
fn shared_writer<'f>(
    f: &'f mut dyn FnMut(&mut crate::http::response::BufWriter<'_>) -> bool,
) -> impl FnOnce(&mut crate::http::response::BufWriter<'_>) -> bool + 'f {
    move |w| f(w)
}

// Shared by auth (credentials) and sessions (MACs); public as `auth::ct_eq`.
#[cfg(any(feature = "auth", feature = "session"))]
mod ct {
    /// Equal bytes, in a time that depends only on the lengths.
    pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
        let mut diff = u8::from(a.len() != b.len());
        for i in 0..a.len().max(b.len()) {
            let x = a.get(i).copied().unwrap_or(0);
            let y = b.get(i).copied().unwrap_or(0);
            // `black_box`: keep the compiler from ending the loop early.
            diff |= core::hint::black_box(x ^ y);
        }
        core::hint::black_box(diff) == 0
    }
}
