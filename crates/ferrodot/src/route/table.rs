//! Route tables: plain data, searched in registration order.
//!
//! ```
//! use ferrodot::http::Method;
//! use ferrodot::route::Route;
//!
//! // Routes are `const` data: a firmware upload taking PUT or POST, up to
//! // 512 KiB, with a declared length (411 without one).
//! const UPLOAD: Route<'static> = Route::new(Method::Put, "/firmware")
//!     .and(Method::Post)
//!     .max_body(512 * 1024)
//!     .require_length();
//! assert!(UPLOAD.methods.contains(Method::Post) && UPLOAD.require_length);
//! assert_eq!(UPLOAD.max_body, Some(512 * 1024));
//! // `routes!` builds its tables from the method's name.
//! assert_eq!(Route::from_name("GET", "/").methods, Route::new(Method::Get, "/").methods);
//! ```

use super::pattern::{CustomTypes, Pattern};
use crate::http::method::MethodSet;
use crate::http::request::Captures;
use crate::http::Method;

/// One route: which methods, which paths, and its own body rules.
///
/// Every field is plain data, so a table of routes is a `static`.
#[derive(Debug, Clone, Copy)]
pub struct Route<'p> {
    /// The methods the route answers (`GET` also answers `HEAD`).
    pub methods: MethodSet,
    /// The path pattern the route matches.
    pub pattern: Pattern<'p>,
    /// Largest body this route accepts (overrides the app's limit).
    pub max_body: Option<u64>,
    /// Refuse PUT/POST/PATCH without `Content-Length` or chunked framing (411).
    pub require_length: bool,
}

impl<'p> Route<'p> {
    /// A route for `method` on `pattern`; a bad pattern fails to compile
    /// when this is evaluated in a `const`.
    pub const fn new(method: Method, pattern: &'p str) -> Self {
        Route {
            methods: MethodSet::EMPTY.with(method),
            pattern: Pattern::new(pattern),
            max_body: None,
            require_length: false,
        }
    }

    /// A route that answers every method on `pattern`, for a handler that
    /// does its own method dispatch (the resource store, MicroServer).
    #[allow(clippy::arithmetic_side_effects)] // i < Method::ALL.len()
    pub const fn any(pattern: &'p str) -> Self {
        let mut methods = MethodSet::EMPTY;
        let mut i = 0;
        while i < Method::ALL.len() {
            #[allow(clippy::indexing_slicing)] // i < len
            let m = Method::ALL[i];
            methods = methods.with(m);
            i += 1;
        }
        Route {
            methods,
            pattern: Pattern::new(pattern),
            max_body: None,
            require_length: false,
        }
    }

    /// Like [`Route::new`] for a method written as text (`"GET"`), as the
    /// `routes!` macro does. Unknown methods fail to compile.
    #[allow(clippy::panic)] // a compile error in a const table
    pub const fn from_name(method: &str, pattern: &'p str) -> Self {
        let m = match method.as_bytes() {
            b"GET" => Method::Get,
            b"HEAD" => Method::Head,
            b"POST" => Method::Post,
            b"PUT" => Method::Put,
            b"DELETE" => Method::Delete,
            b"PATCH" => Method::Patch,
            b"OPTIONS" => Method::Options,
            _ => panic!("unknown route method: use GET, HEAD, POST, PUT, DELETE, PATCH or OPTIONS"),
        };
        Route::new(m, pattern)
    }

    /// Also accept `method` on this route.
    pub const fn and(mut self, method: Method) -> Self {
        self.methods = self.methods.with(method);
        self
    }

    /// Set this route's body limit in bytes (413 above it).
    pub const fn max_body(mut self, bytes: u64) -> Self {
        self.max_body = Some(bytes);
        self
    }

    /// Answer 411 when a body method comes without a declared length.
    pub const fn require_length(mut self) -> Self {
        self.require_length = true;
        self
    }
}

/// `GET, HEAD /status`: the methods and the pattern, for route listings.
impl core::fmt::Display for Route<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for (i, m) in self.methods.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(m.as_str())?;
        }
        write!(f, " {}", self.pattern.as_str())
    }
}

/// The outcome of routing one request.
#[derive(Debug)]
pub enum Lookup<'a> {
    /// Route `index` of the table matched.
    Found(RouteMatch<'a>),
    /// The path is known but not for this method: the methods that are.
    /// `OPTIONS` lands here too when no route handles it explicitly.
    MethodNotAllowed(MethodSet),
    /// No route matches the path: `404`.
    NotFound,
}

#[derive(Debug)]
/// A matched route: which one, and the values of its captures.
pub struct RouteMatch<'a> {
    /// The route's position in the table.
    pub index: usize,
    /// The values of the pattern's captures, by name and position.
    pub captures: Captures<'a>,
}

/// Find the first route whose pattern and method match. `HEAD` is served
/// by a `GET` route unless a `HEAD` route comes first.
pub fn lookup<'a>(
    routes: impl IntoIterator<Item = &'a Route<'a>>,
    method: Method,
    path: &'a str,
    custom: CustomTypes,
) -> Lookup<'a> {
    let mut allowed = MethodSet::EMPTY;
    let mut captures = Captures::default();
    for (index, route) in routes.into_iter().enumerate() {
        if !route.pattern.matches(path, custom, &mut captures) {
            continue;
        }
        let serves = route.methods.contains(method) || (method == Method::Head && route.methods.contains(Method::Get));
        if serves {
            return Lookup::Found(RouteMatch { index, captures });
        }
        allowed = allowed.union(route.methods);
    }
    if allowed.is_empty() {
        return Lookup::NotFound;
    }
    if allowed.contains(Method::Get) {
        allowed = allowed.with(Method::Head);
    }
    Lookup::MethodNotAllowed(allowed.with(Method::Options))
}
