//! CORS (feature `cors`): which other origins' pages may call a route
//! group, answered in the response headers, preflights included.
//!
//! ```
//! use ferrodot::app::layer::Layered;
//! use ferrodot::middleware::cors::Cors;
//! use ferrodot::prelude::*;
//! use ferrodot::testing::TestClient;
//!
//! async fn config() -> &'static str { "{}" }
//! ferrodot::routes! { Api<()> { PUT "/config" => config } }
//!
//! static CORS: Cors = Cors::new(&["https://panel.example", "https://*.dev.example"])
//!     .headers(&["content-type", "authorization"])
//!     .credentials()
//!     .max_age(600);
//! static APP: App<(), Layered<&Cors, Api>> = App::new((), Layered::new(&CORS, Api));
//!
//! let client = TestClient::new(&APP);
//! // The preflight is answered without a route of its own.
//! let preflight = client
//!     .request(Method::Options, "/config")
//!     .header("Origin", "https://a.dev.example")
//!     .header("Access-Control-Request-Method", "PUT")
//!     .header("Access-Control-Request-Headers", "content-type")
//!     .send();
//! assert_eq!(preflight.status, Status::OK);
//! assert_eq!(preflight.header("access-control-allow-origin"), Some("https://a.dev.example"));
//! assert_eq!(preflight.header("access-control-allow-headers"), Some("content-type"));
//! assert_eq!(preflight.header("access-control-allow-credentials"), Some("true"));
//! // Another origin gets no CORS headers: its browser keeps the answer from it.
//! let other = client.request(Method::Put, "/config").header("Origin", "https://evil.example").send();
//! assert_eq!(other.header("access-control-allow-origin"), None);
//! assert_eq!(other.header("vary"), Some("Origin"));
//! ```
//!
//! An allowed origin is echoed in `Access-Control-Allow-Origin` (so
//! credentials can be allowed, and every answer carries `Vary: Origin`
//! for caches); a disallowed one gets no CORS header at all. Origins are
//! exact (`https://panel.example`, compared case-insensitively), `*`
//! (any), or a subdomain wildcard (`https://*.example.com` matches
//! `https://a.b.example.com`, not `https://example.com`).
//!
//! Preflights (`OPTIONS` with `Access-Control-Request-Method`) need no
//! route: the engine answers `OPTIONS` for any path a route serves, and
//! the layer adds the `Access-Control-Allow-*` headers to that answer
//! when the origin, the method and every requested header are allowed.
//! The requested headers are echoed only after each is checked: at most
//! [`MAX_REQUEST_HEADERS`] names in [`MAX_REQUEST_HEADERS_LEN`] bytes, so
//! a preflight asking for a hundred headers is not granted and cannot
//! grow the response head.

use crate::app::layer::Layer;
use crate::http::{Method, Request, Status};
use crate::server::HeadExtras;

/// Most header names a preflight may ask for.
pub const MAX_REQUEST_HEADERS: usize = 32;
/// Longest `Access-Control-Request-Headers` value granted.
pub const MAX_REQUEST_HEADERS_LEN: usize = 512;

/// CORS settings: `Cors::new(&["https://panel.example"]).credentials()`.
#[derive(Debug, Clone, Copy)]
pub struct Cors<'a> {
    origins: &'a [&'a str],
    methods: &'a str,
    headers: &'a [&'a str],
    expose: &'a str,
    credentials: bool,
    max_age: u32,
}

impl<'a> Cors<'a> {
    /// Allow `origins` the usual methods and `Content-Type`; no
    /// credentials, no exposed headers, no preflight cache.
    pub const fn new(origins: &'a [&'a str]) -> Self {
        Cors {
            origins,
            methods: "GET, HEAD, POST, PUT, PATCH, DELETE",
            headers: &["content-type"],
            expose: "",
            credentials: false,
            max_age: 0,
        }
    }

    /// The methods allowed, as `Access-Control-Allow-Methods` says them:
    /// `"GET, PUT"`.
    pub const fn methods(mut self, methods: &'a str) -> Self {
        self.methods = methods;
        self
    }

    /// Request headers a page may send (case-insensitive); `&["*"]`
    /// allows any.
    pub const fn headers(mut self, headers: &'a [&'a str]) -> Self {
        self.headers = headers;
        self
    }

    /// Response headers a page may read besides the safelisted ones:
    /// `"ETag, X-Frames"`.
    pub const fn expose(mut self, headers: &'a str) -> Self {
        self.expose = headers;
        self
    }

    /// Let pages send cookies and `Authorization` (`fetch(…, {credentials: "include"})`).
    pub const fn credentials(mut self) -> Self {
        self.credentials = true;
        self
    }

    /// How long browsers may cache a preflight, in seconds.
    pub const fn max_age(mut self, seconds: u32) -> Self {
        self.max_age = seconds;
        self
    }

    /// Whether `origin` is on the allow-list.
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.origins.iter().any(|pattern| origin_matches(pattern, origin))
    }

    fn allows_method(&self, method: &str) -> bool {
        !each_item(self.methods.as_bytes(), |m| m != method.as_bytes())
    }

    /// Every name in an `Access-Control-Request-Headers` value is allowed
    /// (and there are not too many).
    fn allows_headers(&self, requested: &str) -> bool {
        if requested.len() > MAX_REQUEST_HEADERS_LEN {
            return false;
        }
        let any = self.headers.contains(&"*");
        let mut count = 0usize;
        each_item(requested.as_bytes(), |name| {
            count = count.saturating_add(1);
            count <= MAX_REQUEST_HEADERS
                && core::str::from_utf8(name).is_ok_and(crate::http::response::is_token)
                && (any || self.headers.iter().any(|h| h.as_bytes().eq_ignore_ascii_case(name)))
        })
    }

    /// Add the CORS headers `req` earns to a response head.
    pub fn add_headers(&self, req: &Request<'_>, head: &mut HeadExtras<'_, '_>) {
        // The answer depends on Origin whatever it is: say so to caches.
        head.header("Vary", "Origin");
        let Some(origin) = req.header("origin") else {
            return;
        };
        if !self.allows_origin(origin) {
            return;
        }
        let requested_method = match req.method() {
            Method::Options => req.header("access-control-request-method"),
            _ => None,
        };
        let requested_headers = req.header("access-control-request-headers").unwrap_or("").trim_ascii();
        if let Some(method) = requested_method {
            if !(self.allows_method(method) && self.allows_headers(requested_headers)) {
                return;
            }
        }
        head.header("Access-Control-Allow-Origin", origin);
        if self.credentials {
            head.header("Access-Control-Allow-Credentials", "true");
        }
        if requested_method.is_none() {
            if !self.expose.is_empty() {
                head.header("Access-Control-Expose-Headers", self.expose);
            }
            return;
        }
        head.header("Access-Control-Allow-Methods", self.methods);
        if !requested_headers.is_empty() {
            head.header("Access-Control-Allow-Headers", requested_headers);
        }
        if self.max_age > 0 {
            head.header_with(
                "Access-Control-Max-Age",
                super::shared_writer(&mut |w| {
                    w.push_u64(u64::from(self.max_age));
                    true
                }),
            );
        }
    }
}

/// `f` on each item of a comma-separated list, trimmed, empty ones
/// skipped, until it says `false`; whether it never did. Bytes, not
/// `str::split`: the char searcher costs flash.
fn each_item(list: &[u8], mut f: impl FnMut(&[u8]) -> bool) -> bool {
    list.split(|&b| b == b',')
        .map(<[u8]>::trim_ascii)
        .all(|item| item.is_empty() || f(item))
}

impl<S> Layer<S> for Cors<'_> {
    fn head(&self, req: &Request<'_>, _: &S, _: Status, head: &mut HeadExtras<'_, '_>) {
        self.add_headers(req, head);
    }
}

/// `pattern` is `*`, an exact origin, or `scheme://*.domain[:port]`.
#[inline(never)]
pub fn origin_matches(pattern: &str, origin: &str) -> bool {
    let (pattern, origin) = (pattern.as_bytes(), origin.as_bytes());
    if pattern == b"*" {
        return true;
    }
    let (prefix, Some(suffix)) = crate::http::fields::cut(pattern, b'*') else {
        return pattern.eq_ignore_ascii_case(origin);
    };
    // Only `*.` right after the scheme is a wildcard, and it stands for
    // one label or more.
    let Some((start, rest)) = origin.split_at_checked(prefix.len()) else {
        return false;
    };
    let Some((middle, end)) = rest.split_at_checked(rest.len().wrapping_sub(suffix.len())) else {
        return false;
    };
    prefix.ends_with(b"://")
        && suffix.first() == Some(&b'.')
        && start.eq_ignore_ascii_case(prefix)
        && end.eq_ignore_ascii_case(suffix)
        && middle.first().is_some_and(|&b| b != b'.')
        && middle
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_patterns() {
        assert!(origin_matches("https://a.example", "https://a.example"));
        assert!(origin_matches("https://a.example", "HTTPS://A.EXAMPLE"));
        assert!(!origin_matches("https://a.example", "https://a.example:8443"));
        assert!(!origin_matches("https://a.example", "http://a.example"));
        assert!(!origin_matches("https://a.example", "https://a.example.evil"));
        assert!(origin_matches("*", "https://anything"));
        assert!(origin_matches("https://*.example.com", "https://a.example.com"));
        assert!(origin_matches("https://*.example.com", "https://a.b.example.com"));
        assert!(!origin_matches("https://*.example.com", "https://example.com"));
        assert!(!origin_matches("https://*.example.com", "https://.example.com"));
        assert!(!origin_matches(
            "https://*.example.com",
            "https://evil.com/.example.com"
        ));
        assert!(!origin_matches(
            "https://*.example.com",
            "https://evil.com:1.example.com"
        ));
        assert!(!origin_matches("https://*.example.com", "http://a.example.com"));
        assert!(!origin_matches("https://*.example.com", "https://a.example.com.evil"));
        assert!(origin_matches("http://*.local:8080", "http://cam.local:8080"));
        assert!(!origin_matches("http://*.local:8080", "http://cam.local:9090"));
        // A `*` anywhere else is not a wildcard.
        assert!(!origin_matches("https://a*.example.com", "https://ab.example.com"));
        assert!(!origin_matches("https://*.example.com", ""));
        assert!(!origin_matches("", "https://a"));
    }

    #[test]
    fn requested_headers() {
        let cors = Cors::new(&["*"]).headers(&["Content-Type", "x-token"]);
        assert!(cors.allows_headers(""));
        assert!(cors.allows_headers("content-type"));
        assert!(cors.allows_headers("content-type, X-Token"));
        assert!(!cors.allows_headers("content-type, x-other"));
        assert!(!cors.allows_headers("bad name"));
        let any = Cors::new(&["*"]).headers(&["*"]);
        let hundred: std::vec::Vec<std::string::String> = (0..100).map(|i| std::format!("x-h{i}")).collect();
        assert!(!any.allows_headers(&hundred.join(",")));
        assert!(any.allows_headers(&hundred[..MAX_REQUEST_HEADERS].join(",")));
        assert!(!any.allows_headers(&"x".repeat(MAX_REQUEST_HEADERS_LEN + 1)));
    }

    #[test]
    fn methods() {
        let cors = Cors::new(&["*"]).methods("GET, PUT");
        assert!(cors.allows_method("PUT"));
        assert!(!cors.allows_method("DELETE"));
        assert!(!cors.allows_method("put"));
    }
}
