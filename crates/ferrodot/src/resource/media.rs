//! Media types, method masks and content negotiation of the resource store.

use crate::http::Method;

/// The six media types a resource can have (Pycom's `HTTP_Server.TEXT`,
/// `XML`, `PLAIN`, `JSON`, `OCTET` and `APP_XML`, in that order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum MediaType {
    /// `text/html` (Pycom's `TEXT`, its default).
    Html = 0,
    /// `text/xml` (Pycom's `XML`).
    Xml = 1,
    /// `text/plain` (Pycom's `PLAIN`).
    Plain = 2,
    /// `application/json` (Pycom's `JSON`).
    Json = 3,
    /// `application/octet-stream` (Pycom's `OCTET`).
    Octet = 4,
    /// `application/xml` (Pycom's `APP_XML`).
    AppXml = 5,
}

impl MediaType {
    /// Every media type, by code.
    pub const ALL: [MediaType; 6] = [
        MediaType::Html,
        MediaType::Xml,
        MediaType::Plain,
        MediaType::Json,
        MediaType::Octet,
        MediaType::AppXml,
    ];

    /// The media type as sent in `Content-Type`.
    pub const fn as_str(self) -> &'static str {
        match self {
            MediaType::Html => "text/html",
            MediaType::Xml => "text/xml",
            MediaType::Plain => "text/plain",
            MediaType::Json => "application/json",
            MediaType::Octet => "application/octet-stream",
            MediaType::AppXml => "application/xml",
        }
    }

    /// Pycom's numeric code (0–5).
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// The media type of Pycom's numeric code (0–5); `None` for any other.
    pub const fn from_code(code: u8) -> Option<MediaType> {
        match code {
            0 => Some(MediaType::Html),
            1 => Some(MediaType::Xml),
            2 => Some(MediaType::Plain),
            3 => Some(MediaType::Json),
            4 => Some(MediaType::Octet),
            5 => Some(MediaType::AppXml),
            _ => None,
        }
    }

    /// The media type of a `Content-Type` value: case-insensitive, with
    /// parameters (`; charset=utf-8`) ignored. `None` for any other type.
    pub fn from_content_type(value: &str) -> Option<MediaType> {
        let essence = value.split(';').next().unwrap_or("").trim_ascii();
        MediaType::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(essence))
    }
}

/// Which of GET, PUT, POST and DELETE a resource answers: Pycom's
/// `GET | PUT | POST | DELETE` bit mask (1, 2, 4, 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Methods(pub u8);

impl Methods {
    /// No method.
    pub const NONE: Methods = Methods(0);
    /// `GET` (Pycom's 1): read the value.
    pub const GET: Methods = Methods(1);
    /// `PUT` (Pycom's 2): replace the value and its media type.
    pub const PUT: Methods = Methods(2);
    /// `POST` (Pycom's 4): create a sub-resource holding the body.
    pub const POST: Methods = Methods(4);
    /// `DELETE` (Pycom's 8): remove the resource.
    pub const DELETE: Methods = Methods(8);
    /// All four methods.
    pub const ALL: Methods = Methods(15);

    /// The methods in either set (bits above the four dropped).
    pub const fn union(self, other: Methods) -> Methods {
        Methods((self.0 | other.0) & 15)
    }

    /// Whether every method of `other` is in the set; `false` for an empty
    /// `other`.
    pub const fn contains(self, other: Methods) -> bool {
        other.0 != 0 && self.0 & other.0 == other.0
    }

    /// Whether no method is in the set.
    pub const fn is_empty(self) -> bool {
        self.0 & 15 == 0
    }

    /// The bit of a request method (`HEAD` counts as `GET`); `NONE` for
    /// methods the store never handles itself (`OPTIONS`, `PATCH`).
    pub const fn of(method: Method) -> Methods {
        match method {
            Method::Get | Method::Head => Methods::GET,
            Method::Put => Methods::PUT,
            Method::Post => Methods::POST,
            Method::Delete => Methods::DELETE,
            Method::Options | Method::Patch => Methods::NONE,
        }
    }

    /// The `Allow` header value: the registered methods, `HEAD` with
    /// `GET`, and always `OPTIONS`.
    pub const fn allow_header(self) -> &'static str {
        // One string per mask: no formatting, no buffer.
        match self.0 & 15 {
            1 => "GET, HEAD, OPTIONS",
            2 => "PUT, OPTIONS",
            3 => "GET, HEAD, PUT, OPTIONS",
            4 => "POST, OPTIONS",
            5 => "GET, HEAD, POST, OPTIONS",
            6 => "POST, PUT, OPTIONS",
            7 => "GET, HEAD, POST, PUT, OPTIONS",
            8 => "DELETE, OPTIONS",
            9 => "GET, HEAD, DELETE, OPTIONS",
            10 => "PUT, DELETE, OPTIONS",
            11 => "GET, HEAD, PUT, DELETE, OPTIONS",
            12 => "POST, DELETE, OPTIONS",
            13 => "GET, HEAD, POST, DELETE, OPTIONS",
            14 => "POST, PUT, DELETE, OPTIONS",
            15 => "GET, HEAD, POST, PUT, DELETE, OPTIONS",
            _ => "OPTIONS",
        }
    }
}

impl core::ops::BitOr for Methods {
    type Output = Methods;

    fn bitor(self, other: Methods) -> Methods {
        self.union(other)
    }
}

/// Whether a response of media type `media` is acceptable to a client
/// that sent these `Accept` header values (RFC 9110 §12.5.1).
///
/// No `Accept` header (or only empty ones) accepts anything. Otherwise the
/// most specific range that matches decides — `type/subtype` over
/// `type/*` over `*/*` — and the type is acceptable when that range's
/// `q` is above 0. A type no range matches is not acceptable. Parameters
/// other than `q` are ignored (the store's types carry none).
pub fn acceptable<'a>(accept: impl Iterator<Item = &'a [u8]>, media: MediaType) -> bool {
    let (kind, sub) = media.as_str().split_once('/').unwrap_or((media.as_str(), ""));
    let mut any_range = false;
    // (specificity, q in thousandths) of the best match so far.
    let mut best: Option<(u8, u16)> = None;
    for value in accept {
        let Ok(value) = core::str::from_utf8(value) else {
            continue;
        };
        for range in value.split(',') {
            let mut parts = range.split(';');
            let essence = parts.next().unwrap_or("").trim_ascii();
            if essence.is_empty() {
                continue;
            }
            any_range = true;
            let Some((t, s)) = essence.split_once('/') else {
                continue;
            };
            let (t, s) = (t.trim_ascii(), s.trim_ascii());
            let specificity = if t == "*" && s == "*" {
                1
            } else if t.eq_ignore_ascii_case(kind) && s == "*" {
                2
            } else if t.eq_ignore_ascii_case(kind) && s.eq_ignore_ascii_case(sub) {
                3
            } else {
                continue;
            };
            let q = parts
                .filter_map(|p| p.split_once('='))
                .find(|(k, _)| k.trim_ascii().eq_ignore_ascii_case("q"))
                .map(|(_, v)| parse_q(v.trim_ascii()))
                .unwrap_or(1000);
            if best.is_none_or(|(spec, _)| specificity > spec) {
                best = Some((specificity, q));
            }
        }
    }
    match best {
        Some((_, q)) => q > 0,
        None => !any_range,
    }
}

/// A `q` value in thousandths (`0`, `0.5`, `1.000`); malformed values
/// count as 1, as most servers treat them.
fn parse_q(v: &str) -> u16 {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return 1000;
    }
    // At most three digits (checked above): "5" is 500, "05" is 50.
    let digits = frac.bytes().chain(core::iter::repeat(b'0')).take(3);
    let thousandths = digits.fold(0u16, |n, b| {
        n.saturating_mul(10).saturating_add(u16::from(b.saturating_sub(b'0')))
    });
    if int == "0" {
        thousandths
    } else {
        1000
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(accept: &str, media: MediaType) -> bool {
        acceptable([accept.as_bytes()].into_iter(), media)
    }

    #[test]
    fn negotiation() {
        assert!(acceptable(core::iter::empty(), MediaType::Json));
        assert!(ok("", MediaType::Json));
        assert!(ok("*/*", MediaType::Json));
        assert!(ok("application/*", MediaType::Json));
        assert!(!ok("text/*", MediaType::Json));
        assert!(ok("text/html, application/json;q=0.5", MediaType::Json));
        assert!(!ok("application/json;q=0", MediaType::Json));
        assert!(!ok("*/*;q=0.8, application/json;q=0", MediaType::Json));
        assert!(ok("application/json;q=0.001, */*;q=0", MediaType::Json));
        assert!(!ok("text/*;q=0.0, */*", MediaType::Plain));
        assert!(ok("TEXT/PLAIN; charset=utf-8", MediaType::Plain));
        assert!(!ok("text/plain", MediaType::Html));
        assert!(ok("application/json; q=1.0", MediaType::Json));
        assert!(ok("application/json; q=bogus", MediaType::Json));
        assert!(!ok("garbage", MediaType::Json));
    }

    #[test]
    fn q_values_and_several_accept_lines() {
        assert!(!ok("application/json; q=0.000", MediaType::Json));
        assert!(ok("application/json; Q=0.001", MediaType::Json));
        assert!(ok("application/json;q=1", MediaType::Json));
        assert!(!ok("application/json ; q = 0", MediaType::Json));
        assert!(!ok(" application/json ;q=0 , text/plain", MediaType::Json));
        assert!(ok("application/json;charset=utf-8;q=0.5", MediaType::Json));
        // Each header line adds ranges; the most specific one decides.
        let lines: [&[u8]; 2] = [b"text/plain", b"application/json;q=0, */*"];
        assert!(!acceptable(lines.into_iter(), MediaType::Json));
        assert!(acceptable(lines.into_iter(), MediaType::Octet));
        assert!(acceptable(lines.into_iter(), MediaType::Plain));
        let empty: [&[u8]; 2] = [b"", b" , "];
        assert!(
            acceptable(empty.into_iter(), MediaType::Xml),
            "no ranges at all accept anything"
        );
        assert!(!acceptable(
            [&b"\xff\xfe"[..], b"text/xml"].into_iter(),
            MediaType::Json
        ));
    }

    #[test]
    fn content_types() {
        assert_eq!(
            MediaType::from_content_type("Application/JSON; charset=utf-8"),
            Some(MediaType::Json)
        );
        assert_eq!(MediaType::from_content_type("text/html"), Some(MediaType::Html));
        assert_eq!(MediaType::from_content_type("image/png"), None);
        for m in MediaType::ALL {
            assert_eq!(MediaType::from_code(m.code()), Some(m));
            assert_eq!(MediaType::from_content_type(m.as_str()), Some(m));
        }
    }

    #[test]
    fn allow_lists() {
        assert_eq!(Methods::GET.allow_header(), "GET, HEAD, OPTIONS");
        assert_eq!((Methods::PUT | Methods::DELETE).allow_header(), "PUT, DELETE, OPTIONS");
        assert_eq!(Methods::ALL.allow_header(), "GET, HEAD, POST, PUT, DELETE, OPTIONS");
        assert!(Methods::ALL.contains(Methods::POST));
        assert!(!Methods::GET.contains(Methods::NONE));
    }
}
