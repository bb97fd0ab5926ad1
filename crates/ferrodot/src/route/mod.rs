//! Routing: route patterns compiled at build time, matched by one small
//! interpreter, and route tables that are plain data.
//!
//! ```
//! use ferrodot::http::Method;
//! use ferrodot::route::table::lookup;
//! use ferrodot::route::{Lookup, Route};
//!
//! static ROUTES: [Route<'static>; 2] = [
//!     Route::new(Method::Get, "/users/<int:id>"),
//!     Route::new(Method::Post, "/users"),
//! ];
//! assert!(matches!(lookup(&ROUTES, Method::Get, "/users/42", None), Lookup::Found(m) if m.index == 0));
//! // Typed captures are part of matching: `x` is not an `int`.
//! assert!(matches!(lookup(&ROUTES, Method::Get, "/users/x", None), Lookup::NotFound));
//! // The path exists for another method only: 405, with `Allow: POST`.
//! assert!(matches!(lookup(&ROUTES, Method::Delete, "/users", None), Lookup::MethodNotAllowed(_)));
//! ```

pub mod pattern;
pub mod table;

pub use pattern::{Pattern, PatternError};
pub use table::{Lookup, Route, RouteMatch};
