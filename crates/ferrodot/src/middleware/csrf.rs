//! CSRF protection (feature `csrf`): a request that would change
//! something (`POST`, `PUT`, `PATCH`, `DELETE`) from another site's page
//! is refused with `403`, as Microdot 2.5 does, by what the browser says
//! about where it comes from.
//!
//! ```
//! use ferrodot::app::layer::Layered;
//! use ferrodot::middleware::csrf::Csrf;
//! use ferrodot::prelude::*;
//! use ferrodot::testing::TestClient;
//!
//! async fn trigger() -> Status { Status::NO_CONTENT }
//! ferrodot::routes! { Api<()> { POST "/trigger" => trigger } }
//! static APP: App<(), Layered<Csrf, Api>> = App::new((), Layered::new(Csrf::new(), Api));
//!
//! let client = TestClient::new(&APP);
//! let post = |name, value| client.request(Method::Post, "/trigger").header(name, value).send().status;
//! assert_eq!(post("Sec-Fetch-Site", "same-origin"), Status::NO_CONTENT);
//! assert_eq!(post("Sec-Fetch-Site", "cross-site"), Status::FORBIDDEN);
//! assert_eq!(post("Origin", "https://evil.example"), Status::FORBIDDEN);
//! // No browser headers at all (curl, a script): not a forged request.
//! assert_eq!(client.post("/trigger", "").status, Status::NO_CONTENT);
//! ```
//!
//! Modern browsers send `Sec-Fetch-Site` with every request: `same-origin`
//! and `none` (typed in, a bookmark) pass; `same-site` passes only with
//! [`Csrf::same_site`]; `cross-site` passes only from an origin the CORS
//! allow-list ([`Csrf::allow`]) names. Without it, `Origin` decides: the
//! request's own `Host`, or an allowed origin, passes. A request with
//! neither header comes from no browser page and passes: cookies are what
//! a forged request abuses, and only browsers send them on their own.
//! Safe methods (`GET`, `HEAD`, `OPTIONS`) are never refused: they must
//! not change anything.

use super::cors::Cors;
use crate::app::layer::Layer;
use crate::http::parse::Rejection;
use crate::http::{Method, Request, Status};

/// The `403` a forged request gets.
pub const CROSS_SITE: Rejection = Rejection::new(Status::FORBIDDEN, "cross-site request refused");

/// CSRF settings.
#[derive(Debug, Clone, Copy, Default)]
pub struct Csrf<'a> {
    cors: Option<&'a Cors<'a>>,
    same_site: bool,
}

impl<'a> Csrf<'a> {
    /// Unsafe requests pass from the same origin (or from no browser page)
    /// only: no cross-site origin allowed, `Sec-Fetch-Site: same-site`
    /// refused.
    pub const fn new() -> Self {
        Csrf {
            cors: None,
            same_site: false,
        }
    }

    /// Accept cross-site requests from the origins `cors` allows.
    pub const fn allow(mut self, cors: &'a Cors<'a>) -> Self {
        self.cors = Some(cors);
        self
    }

    /// Accept requests from sibling subdomains (`Sec-Fetch-Site: same-site`).
    pub const fn same_site(mut self) -> Self {
        self.same_site = true;
        self
    }

    /// `Err(CROSS_SITE)` for an unsafe request from a page it must not come from.
    pub fn verify(&self, req: &Request<'_>) -> Result<(), Rejection> {
        if matches!(req.method(), Method::Get | Method::Head | Method::Options) {
            return Ok(());
        }
        let origin = req.header("origin");
        let allowed_origin = || origin.is_some_and(|o| self.cors.is_some_and(|c| c.allows_origin(o)));
        let passes = match req.header_bytes("sec-fetch-site") {
            Some(b"same-origin") | Some(b"none") => true,
            Some(b"same-site") => self.same_site || allowed_origin(),
            Some(_) => allowed_origin(),
            None => match origin {
                None => true,
                Some(o) => same_host(o, req.header("host")) || allowed_origin(),
            },
        };
        if passes {
            Ok(())
        } else {
            Err(CROSS_SITE)
        }
    }
}

impl<S> Layer<S> for Csrf<'_> {
    fn check(&self, req: &Request<'_>, _: &S) -> Result<(), Rejection> {
        self.verify(req)
    }
}

/// `Origin: http://cam.local:8080` names `Host: cam.local:8080`.
fn same_host(origin: &str, host: Option<&str>) -> bool {
    let Some(host) = host else { return false };
    let authority = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .unwrap_or("");
    !authority.is_empty() && authority.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_names_host() {
        assert!(same_host("http://cam.local:8080", Some("cam.local:8080")));
        assert!(same_host("https://CAM.local", Some("cam.local")));
        assert!(!same_host("http://cam.local:8080", Some("cam.local")));
        assert!(!same_host("http://evil", Some("cam.local")));
        assert!(!same_host("null", Some("null")));
        assert!(!same_host("http://", Some("")));
        assert!(!same_host("http://cam", None));
    }
}
