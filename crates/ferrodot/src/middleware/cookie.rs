//! Cookies (RFC 6265): read the `Cookie` headers in place, write
//! `Set-Cookie` straight into the response head (feature `cookie`).
//!
//! ```
//! use ferrodot::middleware::cookie::{Cookies, SameSite, SetCookie, WithCookie};
//! use ferrodot::prelude::*;
//! use ferrodot::testing::TestClient;
//!
//! async fn hello(cookies: Cookies<'_>) -> String {
//!     format!("theme: {}", cookies.get("theme").unwrap_or("light"))
//! }
//! async fn dark() -> WithCookie<'static, &'static str, Redirect<'static>> {
//!     let cookie = SetCookie::new("theme", "dark").path("/").max_age(86400).same_site(SameSite::Lax);
//!     WithCookie(cookie, Redirect(Status::SEE_OTHER, "/"))
//! }
//! ferrodot::routes! { Site<()> { GET "/" => hello, POST "/dark" => dark } }
//!
//! let app = App::new((), Site);
//! let client = TestClient::new(&app);
//! let set = client.post("/dark", "");
//! assert_eq!(set.header("set-cookie"), Some("theme=dark; Path=/; Max-Age=86400; SameSite=Lax"));
//! let page = client.request(Method::Get, "/").header("Cookie", "lang=en; theme=dark").send();
//! assert_eq!(page.text(), "theme: dark");
//! ```
//!
//! Reading needs no memory: [`Cookies`] scans the `Cookie` lines of the
//! request head each time it is asked (a device has a handful of
//! cookies). Several `Cookie` headers are read in order; quoted values
//! lose their quotes; pairs that are not `token=value` are skipped, as
//! RFC 6265 §5.4 tells user agents' peers to be lenient.
//!
//! Writing refuses what could change the meaning of the header: a name
//! that is not a token, a value outside RFC 6265's `cookie-octet`s (no
//! `;`, `,`, space, `"`, `\` or control characters — the injections
//! Microdot 2.6.1 and 2.6.2 closed), a `Path` with `;` or control
//! characters, a `Domain` that is not a host name. Such a cookie makes
//! the response a `500`, never a second attribute or a split header.

use crate::app::respond::{Content, IntoResponse, Redirect};
use crate::app::FromRequest;
use crate::http::fields::Fields;
use crate::http::parse::Rejection;
use crate::http::response::BufWriter;
use crate::http::{Request, Status};
use crate::server::{RequestBody, ResponseWriter, WriteError};

/// The request's cookies, read in place. As an extractor it never fails.
#[derive(Clone, Copy, Debug)]
pub struct Cookies<'r> {
    fields: Fields<'r>,
}

impl<'r> Cookies<'r> {
    /// The cookies in `req`'s `Cookie` headers.
    pub fn of(req: &Request<'r>) -> Self {
        Cookies { fields: req.fields() }
    }

    /// The value of the first cookie called `name`.
    pub fn get(&self, name: &str) -> Option<&'r str> {
        self.find(|n, _| n == name)
    }

    /// The value of the first cookie called `name` that `accept` takes
    /// (a signed session among stale ones of the same name).
    pub fn find(&self, mut accept: impl FnMut(&str, &'r str) -> bool) -> Option<&'r str> {
        // Plain loops: an iterator chain here costs a kilobyte of flash.
        for line in self.fields.all("cookie") {
            for (name, value) in pairs(line) {
                if accept(name, value) {
                    return Some(value);
                }
            }
        }
        None
    }

    /// Every cookie as `(name, value)`, in the order sent.
    pub fn iter(&self) -> impl Iterator<Item = (&'r str, &'r str)> + 'r {
        let fields = self.fields;
        fields.all("cookie").flat_map(pairs)
    }
}

impl<'r, S> FromRequest<'r, S> for Cookies<'r> {
    async fn from_request<'b: 'r>(req: &'r Request<'r>, _: &'r S, _: &'r RequestBody<'b>) -> Result<Self, Rejection> {
        Ok(Cookies::of(req))
    }
}

/// The `name=value` pairs of one `Cookie` header value.
pub fn pairs(line: &[u8]) -> impl Iterator<Item = (&str, &str)> {
    line.split(|&b| b == b';').filter_map(pair)
}

fn pair(piece: &[u8]) -> Option<(&str, &str)> {
    let eq = piece.iter().position(|&b| b == b'=')?;
    let (name, value) = piece.split_at(eq);
    let name = core::str::from_utf8(name.trim_ascii()).ok()?;
    let value = value.get(1..)?.trim_ascii();
    let value = match value {
        [b'"', inner @ .., b'"'] => inner,
        _ => value,
    };
    if !crate::http::response::is_token(name) || value.iter().any(|&b| b < 0x20 || b == 0x7f) {
        return None;
    }
    Some((name, core::str::from_utf8(value).ok()?))
}

/// RFC 6265 `cookie-octet`: visible ASCII except `"`, `,`, `;` and `\`.
pub fn is_cookie_octet(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x2b | 0x2d..=0x3a | 0x3c..=0x5b | 0x5d..=0x7e)
}

/// A valid cookie value: `cookie-octet`s only (may be empty).
pub fn is_cookie_value(value: &str) -> bool {
    value.bytes().all(is_cookie_octet)
}

/// A `Path` or other attribute value: no control characters, no `;`.
fn is_attribute_value(value: &str) -> bool {
    value.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b';')
}

/// A `Domain`: a host name (letters, digits, `-`, `.`), not empty.
fn is_domain(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// What goes after `name=` in a `Set-Cookie` header. `&str` is checked
/// to be `cookie-octet`s; signed sessions write their token.
pub trait CookieValue {
    /// Write the value; `false` if it cannot be sent.
    fn write_value(&self, w: &mut BufWriter<'_>) -> bool;
}

impl CookieValue for &str {
    fn write_value(&self, w: &mut BufWriter<'_>) -> bool {
        w.push_str(self);
        is_cookie_value(self)
    }
}

#[cfg(feature = "alloc")]
impl CookieValue for alloc::string::String {
    fn write_value(&self, w: &mut BufWriter<'_>) -> bool {
        self.as_str().write_value(w)
    }
}

/// `SameSite` (RFC 6265bis): whether cross-site requests carry the cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    /// Only sent on requests from the cookie's own site.
    Strict,
    /// Also sent on cross-site top-level navigations with a safe method
    /// (following a link), not on cross-site subrequests or `POST`s.
    Lax,
    /// Sent cross-site too; browsers require `Secure` with it, so it is
    /// added.
    None,
}

/// A `Set-Cookie` header: `SetCookie::new("sid", "x").path("/").http_only()`.
#[derive(Debug, Clone, Copy)]
pub struct SetCookie<'a, V = &'a str> {
    /// The cookie's name (an RFC 6265 token).
    pub name: &'a str,
    /// The cookie's value; one that is not a valid cookie value makes writing
    /// the header fail.
    pub value: V,
    /// `Path`: the URL path prefix the cookie is sent for.
    pub path: Option<&'a str>,
    /// `Domain`: also sent to this domain's subdomains; `None` keeps it to the
    /// exact host.
    pub domain: Option<&'a str>,
    /// `Max-Age`, in seconds; `0` deletes the cookie.
    pub max_age: Option<u64>,
    /// Unix seconds, written as an HTTP date.
    pub expires: Option<u64>,
    /// `Secure`: sent over HTTPS only.
    pub secure: bool,
    /// `HttpOnly`: hidden from page scripts (`document.cookie`).
    pub http_only: bool,
    /// `SameSite`; `None` sends no attribute and leaves it to the browser.
    pub same_site: Option<SameSite>,
}

impl<'a, V> SetCookie<'a, V> {
    /// A session cookie (no `Max-Age` or `Expires`) with no other attribute;
    /// without [`path`](Self::path) the browser scopes it to the directory of
    /// the request's path (RFC 6265 §5.1.4).
    pub const fn new(name: &'a str, value: V) -> Self {
        SetCookie {
            name,
            value,
            path: None,
            domain: None,
            max_age: None,
            expires: None,
            secure: false,
            http_only: false,
            same_site: None,
        }
    }

    /// Sets `Path`.
    pub const fn path(mut self, path: &'a str) -> Self {
        self.path = Some(path);
        self
    }

    /// Sets `Domain`.
    pub const fn domain(mut self, domain: &'a str) -> Self {
        self.domain = Some(domain);
        self
    }

    /// Seconds until it expires; `0` deletes it.
    pub const fn max_age(mut self, seconds: u64) -> Self {
        self.max_age = Some(seconds);
        self
    }

    /// When it expires, in Unix seconds (for clients without `Max-Age`).
    pub const fn expires(mut self, unix_seconds: u64) -> Self {
        self.expires = Some(unix_seconds);
        self
    }

    /// Sets `Secure`: the browser sends it back over HTTPS only.
    pub const fn secure(mut self) -> Self {
        self.secure = true;
        self
    }

    /// Sets `HttpOnly`: page scripts cannot read it.
    pub const fn http_only(mut self) -> Self {
        self.http_only = true;
        self
    }

    /// Sets `SameSite`; [`SameSite::None`] adds `Secure` too.
    pub const fn same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = Some(same_site);
        self
    }
}

impl<'a> SetCookie<'a> {
    /// A header that deletes cookie `name` (empty value, `Max-Age=0`, an
    /// `Expires` in 1970); give it the `Path` and `Domain` it was set with.
    pub const fn removal(name: &'a str) -> Self {
        SetCookie::new(name, "").max_age(0).expires(0)
    }
}

impl<V: CookieValue> SetCookie<'_, V> {
    /// Write the header value; `false` (and a useless `w`) if any part of
    /// it is invalid.
    pub fn write(&self, w: &mut BufWriter<'_>) -> bool {
        if !crate::http::response::is_token(self.name) {
            return false;
        }
        w.push_str(self.name);
        w.push(b"=");
        if !self.value.write_value(w) {
            return false;
        }
        if let Some(path) = self.path {
            if !is_attribute_value(path) {
                return false;
            }
            w.push(b"; Path=");
            w.push_str(path);
        }
        if let Some(domain) = self.domain {
            if !is_domain(domain) {
                return false;
            }
            w.push(b"; Domain=");
            w.push_str(domain);
        }
        if let Some(age) = self.max_age {
            w.push(b"; Max-Age=");
            w.push_u64(age);
        }
        if let Some(at) = self.expires {
            w.push(b"; Expires=");
            write_http_date(w, at);
        }
        if self.secure || self.same_site == Some(SameSite::None) {
            w.push(b"; Secure");
        }
        if self.http_only {
            w.push(b"; HttpOnly");
        }
        match self.same_site {
            Some(SameSite::Strict) => w.push(b"; SameSite=Strict"),
            Some(SameSite::Lax) => w.push(b"; SameSite=Lax"),
            Some(SameSite::None) => w.push(b"; SameSite=None"),
            None => {}
        }
        !w.overflowed()
    }

    /// Add this cookie to a started response.
    #[inline(never)]
    pub fn add_to(&self, out: &mut ResponseWriter<'_>) {
        out.header_with("Set-Cookie", super::shared_writer(&mut |w| self.write(w)));
    }
}

/// A response that also sets a cookie: `WithCookie(cookie, Redirect(Status::SEE_OTHER, "/"))`,
/// `WithCookie(cookie, (Status::OK, "body"))` or `WithCookie(cookie, Status::NO_CONTENT)`.
pub struct WithCookie<'a, V, R>(pub SetCookie<'a, V>, pub R);

impl<V: CookieValue> IntoResponse for WithCookie<'_, V, Redirect<'_>> {
    async fn into_response(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        let WithCookie(cookie, Redirect(status, location)) = self;
        out.start(status);
        out.header("Location", location);
        cookie.add_to(out);
        out.finish().await
    }
}

impl<V: CookieValue> IntoResponse for WithCookie<'_, V, Status> {
    async fn into_response(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        out.start(self.1);
        self.0.add_to(out);
        out.finish().await
    }
}

impl<V: CookieValue, C: Content> IntoResponse for WithCookie<'_, V, (Status, C)> {
    async fn into_response(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        let WithCookie(cookie, (status, body)) = self;
        out.start(status);
        cookie.add_to(out);
        out.content_type(body.content_type());
        body.write_body(out).await?;
        out.finish().await
    }
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110 §5.6.7) for Unix seconds: the
/// `Expires` attribute's format, [`crate::http::date::write`].
pub use crate::http::date::write as write_http_date;

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn render<V: CookieValue>(c: &SetCookie<'_, V>) -> Option<std::string::String> {
        let mut buf = [0u8; 256];
        let mut w = BufWriter::new(&mut buf);
        c.write(&mut w)
            .then(|| std::string::String::from_utf8(w.written().to_vec()).unwrap())
    }

    fn all(line: &str) -> Vec<(&str, &str)> {
        pairs(line.as_bytes()).collect()
    }

    #[test]
    fn rfc6265_examples_parse() {
        // RFC 6265 §3.1: the user agent returns `SID=31d4d96e407aad42; lang=en-US`.
        assert_eq!(
            all("SID=31d4d96e407aad42; lang=en-US"),
            [("SID", "31d4d96e407aad42"), ("lang", "en-US")]
        );
        assert_eq!(all("SID=31d4d96e407aad42"), [("SID", "31d4d96e407aad42")]);
    }

    #[test]
    fn quoted_values_lose_their_quotes() {
        assert_eq!(all("a=\"quoted value\"; b=\"\""), [("a", "quoted value"), ("b", "")]);
        // A lone quote is kept as it is.
        assert_eq!(all("a=\"x"), [("a", "\"x")]);
    }

    #[test]
    fn lenient_about_spacing_and_skips_junk() {
        assert_eq!(
            all("  a = 1 ;;b=2;   ; noequals; =novalue; c=3"),
            [("a", "1"), ("b", "2"), ("c", "3")]
        );
        assert_eq!(all("bad name=1; ok=2"), [("ok", "2")]);
        assert_eq!(all("ctl=a\x01b; ok=2"), [("ok", "2")]);
        assert_eq!(all("a=b=c"), [("a", "b=c")]);
        assert_eq!(all(""), []);
    }

    #[test]
    fn builds_every_attribute() {
        let c = SetCookie::new("sid", "abc")
            .path("/")
            .domain("example.com")
            .max_age(3600)
            .expires(784_111_777)
            .secure()
            .http_only()
            .same_site(SameSite::Strict);
        assert_eq!(
            render(&c).as_deref(),
            Some(
                "sid=abc; Path=/; Domain=example.com; Max-Age=3600; Expires=Sun, 06 Nov 1994 08:49:37 GMT; \
                 Secure; HttpOnly; SameSite=Strict"
            )
        );
        assert_eq!(
            render(&SetCookie::new("a", "b").same_site(SameSite::None)).as_deref(),
            Some("a=b; Secure; SameSite=None")
        );
        assert_eq!(
            render(&SetCookie::removal("sid").path("/")).as_deref(),
            Some("sid=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT")
        );
    }

    #[test]
    fn http_dates() {
        let date = |s| {
            let mut buf = [0u8; 64];
            let mut w = BufWriter::new(&mut buf);
            write_http_date(&mut w, s);
            std::string::String::from_utf8(w.written().to_vec()).unwrap()
        };
        assert_eq!(date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(date(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(date(1_700_000_000), "Tue, 14 Nov 2023 22:13:20 GMT");
        assert_eq!(date(u64::MAX), "Fri, 31 Dec 9999 23:59:59 GMT");
    }

    #[test]
    fn refuses_injection() {
        // Microdot 2.6.1/2.6.2: a `;` or a control character must not add
        // attributes or headers.
        for value in [
            "a;b",
            "a; HttpOnly",
            "a\r\nX-Evil: 1",
            "a\nb",
            "a b",
            "a,b",
            "a\"b",
            "a\\b",
            "a\x00b",
            "\x7f",
        ] {
            assert_eq!(render(&SetCookie::new("n", value)), None, "{value:?}");
        }
        for name in ["", "a b", "a;b", "a=b", "a\r\nb", "a\"", "(a)"] {
            assert_eq!(render(&SetCookie::new(name, "v")), None, "{name:?}");
        }
        assert_eq!(render(&SetCookie::new("n", "v").path("/; Domain=evil.com")), None);
        assert_eq!(render(&SetCookie::new("n", "v").path("/\r\n")), None);
        assert_eq!(render(&SetCookie::new("n", "v").domain("evil.com; Secure")), None);
        assert_eq!(render(&SetCookie::new("n", "v").domain("")), None);
        assert!(render(&SetCookie::new("n", "!#$%&'()*+-./:<=>?@[]^_`{|}~")).is_some());
    }

    #[test]
    fn too_long_for_the_buffer_is_refused() {
        let long = "x".repeat(300);
        assert_eq!(render(&SetCookie::new("n", long.as_str())), None);
    }
}
