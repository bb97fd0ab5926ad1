//! HTTP authentication (feature `auth`): Basic (RFC 7617) and Bearer
//! (RFC 6750) credentials checked by the app's own verifier, and the
//! session of a login form, as a layer around the routes they protect.
//!
//! ```
//! use ferrodot::app::layer::Layered;
//! use ferrodot::middleware::auth::{ct_eq, Auth, Verdict};
//! use ferrodot::prelude::*;
//! use ferrodot::testing::TestClient;
//!
//! struct Device { password: &'static str }
//!
//! fn admin(dev: &Device, user: &str, password: &str) -> Verdict {
//!     match (user, ct_eq(password.as_bytes(), dev.password.as_bytes())) {
//!         ("admin", true) => Verdict::Allow,
//!         (_, true) => Verdict::Deny, // a known password, but not the admin
//!         _ => Verdict::Reject,
//!     }
//! }
//! static ADMIN: Auth<Device> = Auth::new("device").basic(admin);
//!
//! async fn reboot() -> &'static str { "rebooting" }
//! ferrodot::routes! { AdminRoutes<Device> { POST "/reboot" => reboot } }
//!
//! let app = App::new(Device { password: "pw" }, Layered::new(&ADMIN, AdminRoutes));
//! let client = TestClient::new(&app);
//! let anonymous = client.post("/reboot", "");
//! assert_eq!(anonymous.status, Status::UNAUTHORIZED);
//! assert_eq!(anonymous.header("www-authenticate"), Some(r#"Basic realm="device", charset="UTF-8""#));
//! let with = |auth| client.request(Method::Post, "/reboot").header("Authorization", auth).send().status;
//! assert_eq!(with("Basic YWRtaW46cHc="), Status::OK); // admin:pw
//! assert_eq!(with("Basic Z3Vlc3Q6cHc="), Status::FORBIDDEN); // guest:pw
//! assert_eq!(with("Basic YWRtaW46bm8="), Status::UNAUTHORIZED); // admin:no
//! assert_eq!(with("Basic !!!"), Status::BAD_REQUEST);
//! ```
//!
//! The verifier is a plain `fn` of the app state, so the layer is a
//! `static` and the secret can still come from the state (a password set
//! at boot). Compare secrets with [`ct_eq`], whose time does not depend
//! on where they differ. Answers: `401` with a `WWW-Authenticate`
//! challenge for each accepted scheme when there are no credentials or
//! they are wrong (with `error="invalid_token"` for a rejected Bearer
//! token). A page's own `fetch` (`Sec-Fetch-Mode` other than `navigate`)
//! on routes that also take a login session gets a `Cookie` challenge
//! instead of Basic, which the browser would answer with a password
//! dialog; so does every 401 of a session-only layer. `403` when the verifier knows the user but refuses them, `400`
//! for credentials that cannot be read (bad base64, no colon, not UTF-8,
//! longer than [`MAX_CREDENTIALS`]).
//!
//! A login form is Microdot's `login` in three pieces: a handler checks
//! the form and answers `303` with a signed session cookie
//! ([`crate::middleware::session`]), [`Auth::session`] accepts that
//! session on the protected routes, and logout sends the cookie's
//! removal. [`Auth::login_page`] sends browsers that navigate to a
//! protected page without credentials to the form instead of a `401`.

use crate::app::layer::Layer;
use crate::base64::{self, Alphabet, Padding};
use crate::http::parse::Rejection;
use crate::http::{Request, Status};
use crate::server::HeadExtras;

pub use super::ct::ct_eq;

/// Longest decoded Basic credentials (`user:password`).
pub const MAX_CREDENTIALS: usize = 192;

/// What an `Authorization` header carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentials<'a> {
    /// `Basic` (RFC 7617): base64 of `user:password`, decoded.
    Basic {
        /// The user-id, before the first `:`.
        user: &'a str,
        /// The password, after the first `:` (it may contain `:`).
        password: &'a str,
    },
    /// `Bearer` (RFC 6750): the token, as sent.
    Bearer(&'a str),
    /// A scheme this module does not read (Digest, …).
    Other,
}

/// Why an `Authorization` header could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthError {
    /// Not base64, or base64 of more than [`MAX_CREDENTIALS`] bytes.
    BadBase64,
    /// Basic credentials without the `:` between user and password.
    NoColon,
    /// The decoded credentials are not UTF-8.
    NotUtf8,
    /// A Bearer token with characters outside RFC 6750's `b64token`.
    BadToken,
}

impl AuthError {
    /// The `400` this error is answered with.
    pub const fn rejection(self) -> Rejection {
        Rejection::new(
            Status::BAD_REQUEST,
            match self {
                AuthError::BadBase64 => "Authorization: Basic credentials are not valid base64",
                AuthError::NoColon => "Authorization: Basic credentials have no ':' between user and password",
                AuthError::NotUtf8 => "Authorization: credentials are not UTF-8",
                AuthError::BadToken => "Authorization: Bearer token has invalid characters",
            },
        )
    }
}

/// Read an `Authorization` value; Basic credentials are decoded into `buf`.
pub fn parse_authorization<'a>(
    value: &'a [u8],
    buf: &'a mut [u8; MAX_CREDENTIALS],
) -> Result<Credentials<'a>, AuthError> {
    let value = value.trim_ascii();
    let split = value.iter().position(|&b| b == b' ').unwrap_or(value.len());
    let (scheme, rest) = value.split_at(split);
    let rest = rest.trim_ascii_start();
    if scheme.eq_ignore_ascii_case(b"basic") {
        // RFC 7617 says base64 with padding; be lenient about the padding only.
        let n = base64::decode(rest, buf, Alphabet::Standard, Padding::Optional).ok_or(AuthError::BadBase64)?;
        let decoded = buf.get(..n).ok_or(AuthError::BadBase64)?;
        let text = core::str::from_utf8(decoded).map_err(|_| AuthError::NotUtf8)?;
        // Byte search: `:` is ASCII, so both halves stay UTF-8.
        let colon = decoded.iter().position(|&b| b == b':').ok_or(AuthError::NoColon)?;
        let (user, password) = (text.get(..colon), text.get(colon.saturating_add(1)..));
        let (Some(user), Some(password)) = (user, password) else {
            return Err(AuthError::NoColon);
        };
        Ok(Credentials::Basic { user, password })
    } else if scheme.eq_ignore_ascii_case(b"bearer") {
        let token = core::str::from_utf8(rest).map_err(|_| AuthError::NotUtf8)?;
        if !is_b64token(token) {
            return Err(AuthError::BadToken);
        }
        Ok(Credentials::Bearer(token))
    } else {
        Ok(Credentials::Other)
    }
}

/// RFC 6750 `b64token`: `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn is_b64token(token: &str) -> bool {
    let bytes = token.as_bytes();
    let body = bytes
        .len()
        .saturating_sub(bytes.iter().rev().take_while(|&&b| b == b'=').count());
    let body = bytes.get(..body).unwrap_or(&[]);
    !body.is_empty()
        && body
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/'))
}

/// A verifier's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Authenticated and allowed: the handler runs.
    Allow,
    /// Authenticated, but not allowed here: `403`.
    Deny,
    /// Unknown user or wrong secret: `401`.
    Reject,
}

/// The authentication layer: which schemes, and how to verify each.
pub struct Auth<S> {
    realm: &'static str,
    basic: Option<fn(&S, &str, &str) -> Verdict>,
    bearer: Option<fn(&S, &str) -> Verdict>,
    session: Option<fn(&S, &Request<'_>) -> Verdict>,
    login_page: Option<&'static str>,
}

impl<S> Auth<S> {
    /// No scheme yet: add [`Auth::basic`], [`Auth::bearer`] or
    /// [`Auth::session`]. `realm` names the protected space in challenges
    /// (no `"` or `\`).
    pub const fn new(realm: &'static str) -> Self {
        Auth {
            realm,
            basic: None,
            bearer: None,
            session: None,
            login_page: None,
        }
    }

    /// Accept `Authorization: Basic`; `verify(state, user, password)`.
    pub const fn basic(mut self, verify: fn(&S, &str, &str) -> Verdict) -> Self {
        self.basic = Some(verify);
        self
    }

    /// Accept `Authorization: Bearer`; `verify(state, token)`.
    pub const fn bearer(mut self, verify: fn(&S, &str) -> Verdict) -> Self {
        self.bearer = Some(verify);
        self
    }

    /// Accept a request without `Authorization` that `verify` allows
    /// (typically: its signed session says who logged in).
    pub const fn session(mut self, verify: fn(&S, &Request<'_>) -> Verdict) -> Self {
        self.session = Some(verify);
        self
    }

    /// Send a browser's page request (`GET` accepting `text/html`) without
    /// credentials to `location` with a `303` instead of a `401`.
    pub const fn login_page(mut self, location: &'static str) -> Self {
        self.login_page = Some(location);
        self
    }

    /// The verdict on `req`, as the layer answers it.
    #[inline(never)]
    pub fn verify(&self, req: &Request<'_>, state: &S) -> Result<(), Rejection> {
        let verdict = match req.header_bytes("authorization") {
            Some(value) => {
                let mut buf = [0u8; MAX_CREDENTIALS];
                match parse_authorization(value, &mut buf).map_err(AuthError::rejection)? {
                    Credentials::Basic { user, password } => self.basic.map(|f| f(state, user, password)),
                    Credentials::Bearer(token) => self.bearer.map(|f| f(state, token)),
                    Credentials::Other => None,
                }
            }
            None => match self.session.map(|f| f(state, req)) {
                Some(Verdict::Reject) | None => return Err(self.missing(req)),
                verdict => verdict,
            },
        };
        match verdict {
            Some(Verdict::Allow) => Ok(()),
            Some(Verdict::Deny) => Err(Rejection::new(Status::FORBIDDEN, "not allowed for this user")),
            Some(Verdict::Reject) => Err(Rejection::new(Status::UNAUTHORIZED, "wrong credentials")),
            None => Err(Rejection::new(
                Status::UNAUTHORIZED,
                "authentication scheme not accepted here",
            )),
        }
    }

    fn missing(&self, req: &Request<'_>) -> Rejection {
        let page_request = req.method() == crate::http::Method::Get
            && req
                .header_bytes("accept")
                .is_some_and(|a| a.windows(9).any(|w| w == b"text/html"));
        match self.login_page {
            Some(location) if page_request => {
                Rejection::new(Status::SEE_OTHER, "log in first").with_header("Location", location)
            }
            _ => Rejection::new(Status::UNAUTHORIZED, "authentication required"),
        }
    }
}

impl<S> Layer<S> for Auth<S> {
    fn check(&self, req: &Request<'_>, state: &S) -> Result<(), Rejection> {
        self.verify(req, state)
    }

    fn head(&self, req: &Request<'_>, _: &S, status: Status, head: &mut HeadExtras<'_, '_>) {
        if status != Status::UNAUTHORIZED {
            return;
        }
        // A page's own `fetch` answers a 401 itself: a Basic challenge would
        // make the browser stop it with a password dialog instead (headless,
        // it waits for ever), so when the page can log in through the form
        // it is told that instead. Navigations and other clients get Basic.
        let script = req.header("sec-fetch-mode").is_some_and(|m| m != "navigate");
        let basic = self.basic.is_some() && !(script && self.session.is_some());
        if basic {
            challenge(head, "Basic", self.realm, [", charset=\"UTF-8\"", "", ""]);
        }
        if self.bearer.is_some() {
            let presented = req
                .header_bytes("authorization")
                .is_some_and(|v| v.len() > 7 && v.get(..7).is_some_and(|s| s.eq_ignore_ascii_case(b"bearer ")));
            let error = if presented { ", error=\"invalid_token\"" } else { "" };
            challenge(head, "Bearer", self.realm, [error, "", ""]);
        }
        // A 401 always carries a challenge (RFC 9110 §11.6.1): for the
        // session of a login form, the `Cookie` scheme (no browser asks for
        // a password on it).
        if !basic && self.bearer.is_none() {
            let form = match self.login_page {
                Some(form) => [", form-action=\"", form, "\""],
                None => ["", "", ""],
            };
            challenge(head, "Cookie", self.realm, form);
        }
    }
}

/// One `WWW-Authenticate`: `scheme realm="realm"` and `params` as they
/// are. A `"` or `\` in the realm or the login page's path (the caller's
/// strings) turns the response into a 500. One call site of the header
/// writer for the three schemes, not one copy each.
#[inline(never)]
fn challenge(head: &mut HeadExtras<'_, '_>, scheme: &str, realm: &str, params: [&str; 3]) {
    let quotable = |s: &str| !s.bytes().any(|b| b == b'"' || b == b'\\');
    // The middle one is the only one that can be the login page's path.
    let ok = quotable(realm) && params.get(1).is_none_or(|p| quotable(p));
    head.header_with(
        "WWW-Authenticate",
        super::shared_writer(&mut |w| {
            w.push_str(scheme);
            w.push(b" realm=\"");
            w.push_str(realm);
            w.push(b"\"");
            for p in params {
                w.push_str(p);
            }
            ok
        }),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    fn parse(value: &str) -> Result<(std::string::String, std::string::String), AuthError> {
        let mut buf = [0u8; MAX_CREDENTIALS];
        match parse_authorization(value.as_bytes(), &mut buf)? {
            Credentials::Basic { user, password } => Ok((user.into(), password.into())),
            Credentials::Bearer(t) => Ok(("bearer".into(), t.into())),
            Credentials::Other => Ok(("other".into(), "".into())),
        }
    }

    fn ok(user: &str, password: &str) -> Result<(std::string::String, std::string::String), AuthError> {
        Ok((user.into(), password.into()))
    }

    #[test]
    fn rfc7617_example() {
        // RFC 7617 §2: user "Aladdin", password "open sesame".
        assert_eq!(
            parse("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
            ok("Aladdin", "open sesame")
        );
        assert_eq!(
            parse("basic   QWxhZGRpbjpvcGVuIHNlc2FtZQ"),
            ok("Aladdin", "open sesame")
        );
        // RFC 7617 §2.1: UTF-8 user "test", password "123£".
        assert_eq!(parse("Basic dGVzdDoxMjPCow=="), ok("test", "123£"));
        // The password may hold colons; the user may not.
        assert_eq!(parse("Basic YTpiOmM="), ok("a", "b:c"));
        assert_eq!(parse("Basic Og=="), ok("", ""));
    }

    #[test]
    fn rfc6750_bearer() {
        assert_eq!(parse("Bearer mF_9.B5f-4.1JqM"), ok("bearer", "mF_9.B5f-4.1JqM"));
        assert_eq!(parse("BEARER abc=="), ok("bearer", "abc=="));
        assert_eq!(parse("Bearer"), Err(AuthError::BadToken));
        assert_eq!(parse("Bearer a b"), Err(AuthError::BadToken));
        assert_eq!(parse("Bearer =abc"), Err(AuthError::BadToken));
        assert_eq!(parse("Bearer a\"b"), Err(AuthError::BadToken));
    }

    #[test]
    fn bad_basic_credentials() {
        assert_eq!(parse("Basic !!!!"), Err(AuthError::BadBase64));
        assert_eq!(parse("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=== "), Err(AuthError::BadBase64));
        assert_eq!(parse("Basic"), Err(AuthError::NoColon));
        assert_eq!(parse("Basic bm9jb2xvbg=="), Err(AuthError::NoColon)); // "nocolon"
        assert_eq!(parse("Basic //79:"), Err(AuthError::BadBase64));
        assert_eq!(parse("Basic /w=="), Err(AuthError::NotUtf8)); // 0xff
        let long = "A".repeat(4 * (MAX_CREDENTIALS / 3) + 4);
        assert_eq!(parse(&format!("Basic {long}")), Err(AuthError::BadBase64));
        assert_eq!(parse("Digest username=\"x\""), ok("other", ""));
        assert_eq!(parse(""), ok("other", ""));
    }

    #[test]
    fn constant_time_equality() {
        assert!(ct_eq(b"secret", b"secret"));
        assert!(ct_eq(b"", b""));
        assert!(!ct_eq(b"secret", b"secreT"));
        assert!(!ct_eq(b"secret", b"secret!"));
        assert!(!ct_eq(b"secret", b""));
        assert!(!ct_eq(b"\0", b""));
    }
}
