//! Request heads, written into a caller's buffer: no heap, no `core::fmt`.

use super::Error;
use crate::http::parse::valid_host;
use crate::http::response::{is_field_value, is_token, BufWriter};
use crate::http::Method;

/// How the request body goes on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyLength {
    /// No body (`Content-Length: 0` for POST, PUT and PATCH).
    None,
    /// `Content-Length: n`, then exactly `n` bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`: the body in chunks of any size, for
    /// bodies whose length is not known up front.
    Chunked,
}

/// One request head: method, `Host`, target with an encoded query, the
/// caller's fields and the framing of the body.
#[derive(Debug, Clone, Copy)]
pub struct RequestHead<'a> {
    /// The request method.
    pub method: Method,
    /// The `Host` value: `host` or `host:port`.
    pub host: &'a str,
    /// The path, starting with `/`; it may carry a raw query after `?`.
    /// Bytes that may not appear in a target (space, `"`, non-ASCII, …)
    /// are percent-encoded; a `#fragment` is never sent.
    pub path: &'a str,
    /// Query pairs, percent-encoded and appended after the path's own.
    pub query: &'a [(&'a str, &'a str)],
    /// Extra fields. `Host`, `Content-Length` and `Transfer-Encoding` come
    /// from the other parts and may not be given here.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body's framing.
    pub body: BodyLength,
    /// Send `Expect: 100-continue` and wait for the server's go-ahead
    /// before the body (large uploads a server may refuse early).
    pub expect_continue: bool,
    /// Ask the server to close after the response (`Connection: close`).
    pub close: bool,
}

impl<'a> RequestHead<'a> {
    /// `method path` on `host`, no query, fields or body.
    pub const fn new(method: Method, host: &'a str, path: &'a str) -> Self {
        RequestHead {
            method,
            host,
            path,
            query: &[],
            headers: &[],
            body: BodyLength::None,
            expect_continue: false,
            close: false,
        }
    }

    /// Query pairs to encode after the path.
    pub const fn query(mut self, pairs: &'a [(&'a str, &'a str)]) -> Self {
        self.query = pairs;
        self
    }

    /// Extra header fields.
    pub const fn headers(mut self, headers: &'a [(&'a str, &'a str)]) -> Self {
        self.headers = headers;
        self
    }

    /// The body's framing.
    pub const fn body(mut self, body: BodyLength) -> Self {
        self.body = body;
        self
    }

    /// Send `Expect: 100-continue` before the body.
    pub const fn expect_continue(mut self) -> Self {
        self.expect_continue = true;
        self
    }

    /// Send `Connection: close`.
    pub const fn close(mut self) -> Self {
        self.close = true;
        self
    }

    /// Write the head into `out`; returns its length.
    pub fn write(&self, out: &mut [u8]) -> Result<usize, Error> {
        self.check()?;
        let mut w = BufWriter::new(out);
        w.push_str(self.method.as_str());
        w.push(b" ");
        let has_query = push_path(&mut w, self.path);
        for (i, (key, value)) in self.query.iter().enumerate() {
            w.push(if i == 0 && !has_query { b"?" } else { b"&" });
            push_component(&mut w, key);
            w.push(b"=");
            push_component(&mut w, value);
        }
        w.push(b" HTTP/1.1\r\nHost: ");
        w.push_str(self.host);
        w.push(b"\r\n");
        for (name, value) in self.headers {
            w.push_str(name);
            w.push(b": ");
            w.push_str(value);
            w.push(b"\r\n");
        }
        match self.body {
            BodyLength::Length(n) => {
                w.push(b"Content-Length: ");
                w.push_u64(n);
                w.push(b"\r\n");
            }
            BodyLength::Chunked => w.push(b"Transfer-Encoding: chunked\r\n"),
            // RFC 9110 §8.6: a method that defines a body says its length.
            BodyLength::None if matches!(self.method, Method::Post | Method::Put | Method::Patch) => {
                w.push(b"Content-Length: 0\r\n")
            }
            BodyLength::None => {}
        }
        if self.expect_continue && self.body != BodyLength::None {
            w.push(b"Expect: 100-continue\r\n");
        }
        if self.close {
            w.push(b"Connection: close\r\n");
        }
        w.push(b"\r\n");
        if w.overflowed() {
            return Err(Error::BufferTooSmall);
        }
        Ok(w.len())
    }

    /// Everything that would let a caller's value break the framing or
    /// inject a field is refused before a byte is written.
    fn check(&self) -> Result<(), Error> {
        if !self.path.starts_with('/') {
            return Err(Error::Request("the path must start with /"));
        }
        if self.host.is_empty() || !valid_host(self.host.as_bytes()) {
            return Err(Error::Request("invalid host"));
        }
        for (name, value) in self.headers {
            if !is_token(name) {
                return Err(Error::Request("invalid header name"));
            }
            if !is_field_value(value) {
                return Err(Error::Request("header value with CR, LF or a control character"));
            }
            if ["host", "content-length", "transfer-encoding"]
                .iter()
                .any(|n| name.eq_ignore_ascii_case(n))
            {
                return Err(Error::Request(
                    "Host, Content-Length and Transfer-Encoding are set by the client",
                ));
            }
        }
        Ok(())
    }
}

/// The path up to a `#`, with bytes a target may not carry encoded;
/// returns whether it already has a query.
fn push_path(w: &mut BufWriter<'_>, path: &str) -> bool {
    let mut query = false;
    for &b in path.as_bytes() {
        match b {
            b'#' => break,
            b'?' => query = true,
            _ => {}
        }
        // RFC 3986 pchar, `/`, `?` and `%` (the caller's own escapes).
        let plain = b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?%".contains(&b);
        push_byte(w, b, plain);
    }
    query
}

/// A query key or value: everything but RFC 3986's unreserved set encoded.
fn push_component(w: &mut BufWriter<'_>, text: &str) {
    for &b in text.as_bytes() {
        push_byte(w, b, b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    }
}

fn push_byte(w: &mut BufWriter<'_>, b: u8, plain: bool) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    if plain {
        w.push(&[b]);
    } else {
        let hi = HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0');
        let lo = HEX.get(usize::from(b & 15)).copied().unwrap_or(b'0');
        w.push(&[b'%', hi, lo]);
    }
}

/// The size line of a chunk of `len` bytes (`1a\r\n`), for
/// [`BodyLength::Chunked`] bodies; returns the bytes to send.
pub fn chunk_size_line(len: usize, out: &mut [u8; 18]) -> &[u8] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut n = len as u64;
    let mut at: usize = 16;
    while at > 0 {
        at = at.saturating_sub(1);
        let digit = HEX
            .get(usize::from(u8::try_from(n & 15).unwrap_or(0)))
            .copied()
            .unwrap_or(b'0');
        if let Some(slot) = out.get_mut(at) {
            *slot = digit;
        }
        n >>= 4;
        if n == 0 {
            break;
        }
    }
    if let Some(end) = out.get_mut(16..) {
        end.copy_from_slice(b"\r\n");
    }
    out.get(at..).unwrap_or(&[])
}

/// The last chunk and an empty trailer section: the end of a chunked body.
pub const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

#[cfg(test)]
mod tests {
    use super::*;

    fn written(head: RequestHead<'_>) -> std::string::String {
        let mut buf = [0u8; 512];
        let n = head.write(&mut buf).unwrap();
        std::string::String::from_utf8(buf[..n].to_vec()).unwrap()
    }

    #[test]
    fn get_with_an_encoded_query() {
        let head =
            RequestHead::new(Method::Get, "example.test:8080", "/a b/ü?x=1#frag").query(&[("q", "a&b c"), ("k", "é")]);
        assert_eq!(
            written(head),
            "GET /a%20b/%C3%BC?x=1&q=a%26b%20c&k=%C3%A9 HTTP/1.1\r\nHost: example.test:8080\r\n\r\n"
        );
    }

    #[test]
    fn post_says_its_length_and_framing() {
        let empty = RequestHead::new(Method::Post, "h", "/p");
        assert_eq!(
            written(empty),
            "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"
        );
        let chunked = RequestHead::new(Method::Put, "h", "/p")
            .body(BodyLength::Chunked)
            .expect_continue()
            .close();
        assert_eq!(
            written(chunked),
            "PUT /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"
        );
        let sized = RequestHead::new(Method::Post, "h", "/p")
            .body(BodyLength::Length(12))
            .headers(&[("Content-Type", "application/json")]);
        assert_eq!(
            written(sized),
            "POST /p HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n"
        );
    }

    #[test]
    fn injection_and_framing_fields_are_refused() {
        let mut buf = [0u8; 256];
        for headers in [
            &[("X-A", "1\r\nX-Injected: 2")][..],
            &[("Bad Name", "1")],
            &[("Content-Length", "5")],
            &[("transfer-encoding", "chunked")],
            &[("Host", "other")],
        ] {
            let head = RequestHead::new(Method::Get, "h", "/").headers(headers);
            assert!(matches!(head.write(&mut buf), Err(Error::Request(_))), "{headers:?}");
        }
        assert!(matches!(
            RequestHead::new(Method::Get, "h", "x").write(&mut buf),
            Err(Error::Request(_))
        ));
        assert!(matches!(
            RequestHead::new(Method::Get, "a b", "/").write(&mut buf),
            Err(Error::Request(_))
        ));
        assert!(matches!(
            RequestHead::new(Method::Get, "h\r\nX: y", "/").write(&mut buf),
            Err(Error::Request(_))
        ));
    }

    #[test]
    fn a_small_buffer_is_an_error_not_a_truncated_head() {
        let mut buf = [0u8; 20];
        assert_eq!(
            RequestHead::new(Method::Get, "example.test", "/long/path").write(&mut buf),
            Err(Error::BufferTooSmall)
        );
    }

    #[test]
    fn chunk_size_lines() {
        let mut out = [0u8; 18];
        assert_eq!(chunk_size_line(0, &mut out), b"0\r\n");
        assert_eq!(chunk_size_line(26, &mut out), b"1a\r\n");
        assert_eq!(chunk_size_line(65536, &mut out), b"10000\r\n");
    }
}
