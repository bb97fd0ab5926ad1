//! `http://` and `https://` URLs, split without a heap.

use super::Error;

/// The scheme of a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Plain HTTP, port 80 by default.
    Http,
    /// HTTP over TLS, port 443 by default.
    Https,
}

impl Scheme {
    /// The port a URL without one means.
    pub const fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

/// A URL split into what a request needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Url<'a> {
    /// `http` or `https`.
    pub scheme: Scheme,
    /// The host, without the brackets of an IPv6 literal.
    pub host: &'a str,
    /// The port, the scheme's default when the URL has none.
    pub port: u16,
    /// `host[:port]` as written in the URL: the `Host` value.
    pub authority: &'a str,
    /// The path and query (`/` when the URL has neither); no fragment.
    pub path: &'a str,
}

impl<'a> Url<'a> {
    /// Split `url`; an error names what is wrong with it.
    ///
    /// ```
    /// use ferrodot::client::{Scheme, Url};
    /// let url = Url::parse("https://[::1]:8443/a?b=1#top")?;
    /// assert_eq!((url.scheme, url.host, url.port, url.authority, url.path), (Scheme::Https, "::1", 8443, "[::1]:8443", "/a?b=1"));
    /// # Ok::<(), ferrodot::client::Error>(())
    /// ```
    pub fn parse(url: &'a str) -> Result<Self, Error> {
        let colon = url.find("://").ok_or(Error::Url("expected http:// or https://"))?;
        let scheme = match url.get(..colon) {
            Some(s) if s.eq_ignore_ascii_case("http") => Scheme::Http,
            Some(s) if s.eq_ignore_ascii_case("https") => Scheme::Https,
            _ => return Err(Error::Url("only http:// and https:// URLs are supported")),
        };
        let rest = url.get(colon.saturating_add(3)..).unwrap_or("");
        let rest = rest.split('#').next().unwrap_or("");
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(end);
        if authority.contains('@') {
            return Err(Error::Url("credentials in the URL are not supported"));
        }
        let (host, port) = match authority.strip_prefix('[') {
            Some(v6) => {
                let close = v6.find(']').ok_or(Error::Url("unclosed [ in the host"))?;
                let after = v6.get(close.saturating_add(1)..).unwrap_or("");
                (v6.get(..close).unwrap_or(""), after.strip_prefix(':'))
            }
            None => match authority.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            },
        };
        if host.is_empty() || !host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._:%".contains(&b)) {
            return Err(Error::Url("invalid host"));
        }
        let port = match port {
            None => scheme.default_port(),
            Some(digits) => digits
                .parse()
                .ok()
                .filter(|&p| p != 0)
                .ok_or(Error::Url("invalid port"))?,
        };
        let path = if path.is_empty() { "/" } else { path };
        if path.starts_with('?') {
            // `http://h?x=1`: the query of the root path. The target must
            // start with a slash, which the URL leaves out here.
            return Err(Error::Url("write the path before the query: http://host/?x=1"));
        }
        Ok(Url {
            scheme,
            host,
            port,
            authority,
            path,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u = Url::parse("http://127.0.0.1:8080/status?x=1").unwrap();
        assert_eq!(
            (u.scheme, u.host, u.port, u.authority, u.path),
            (Scheme::Http, "127.0.0.1", 8080, "127.0.0.1:8080", "/status?x=1")
        );
        let u = Url::parse("HTTPS://example.test").unwrap();
        assert_eq!((u.port, u.path, u.authority), (443, "/", "example.test"));
        for bad in [
            "ftp://h/",
            "h/x",
            "http://",
            "http://h:0/",
            "http://h:99999/",
            "http://u:p@h/",
            "http://[::1/",
            "http://a b/",
            "http://h?x",
        ] {
            assert!(Url::parse(bad).is_err(), "{bad}");
        }
    }
}
