//! Response heads parsed in place (httparse), and the rules that decide
//! how the body is framed and whether the connection can be reused.

use core::mem::MaybeUninit;

use super::Error;
use crate::http::fields::{Fields, Headers};
use crate::http::parse::parse_length;
use crate::http::{Method, Status, Version};

/// How much of a response head the client takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseLimits {
    /// Most bytes of status line and header fields.
    pub max_head: usize,
    /// Most header fields.
    pub max_headers: usize,
}

impl ResponseLimits {
    /// 4 KiB of head, 32 fields: more than real servers send, and small
    /// enough for a device's buffer.
    pub const DEFAULT: ResponseLimits = ResponseLimits {
        max_head: 4096,
        max_headers: 32,
    };
}

impl Default for ResponseLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Header slots on the stack while parsing (the limit may ask for fewer).
const HEADER_SLOTS: usize = 64;

/// A parsed response head, borrowing the bytes it was read from.
#[derive(Debug, Clone, Copy)]
pub struct ResponseHead<'a> {
    version: Version,
    status: Status,
    reason: &'a str,
    fields: Fields<'a>,
    len: usize,
}

impl<'a> ResponseHead<'a> {
    /// Try to parse a response head at the start of `buf`.
    ///
    /// `Ok(None)`: incomplete, read more. `Ok(Some(head))`: the head is
    /// the first [`len`](Self::len) bytes.
    pub fn parse(buf: &'a [u8], limits: &ResponseLimits) -> Result<Option<Self>, Error> {
        let mut slots = [const { MaybeUninit::<httparse::Header<'a>>::uninit() }; HEADER_SLOTS];
        let table = slots.get_mut(..limits.max_headers.min(HEADER_SLOTS)).unwrap_or(&mut []);
        let mut raw = httparse::Response::new(&mut []);
        let len = match httparse::ParserConfig::default().parse_response_with_uninit_headers(&mut raw, buf, table) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) if buf.len() >= limits.max_head => return Err(Error::HeadTooLarge),
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(httparse::Error::TooManyHeaders) => return Err(Error::TooManyHeaders),
            Err(httparse::Error::Version) => return Err(Error::BadResponse("not an HTTP/1.x status line")),
            Err(httparse::Error::Status) => return Err(Error::BadResponse("invalid status code")),
            Err(httparse::Error::HeaderName) => return Err(Error::BadResponse("invalid header name")),
            Err(httparse::Error::HeaderValue) => return Err(Error::BadResponse("invalid header value")),
            Err(_) => return Err(Error::BadResponse("malformed response head")),
        };
        if len > limits.max_head {
            return Err(Error::HeadTooLarge);
        }
        let (Some(minor), Some(code)) = (raw.version, raw.code) else {
            return Err(Error::BadResponse("malformed status line"));
        };
        let head = buf.get(..len).unwrap_or(&[]);
        // The fields start after the status line (httparse skipped any
        // empty lines before it).
        let line_start = head.iter().position(|&b| b != b'\r' && b != b'\n').unwrap_or(len);
        let fields_at = head
            .get(line_start..)
            .and_then(|line| line.iter().position(|&b| b == b'\n'))
            .map_or(len, |end| line_start.saturating_add(end).saturating_add(1));
        Ok(Some(ResponseHead {
            version: if minor == 0 { Version::Http10 } else { Version::Http11 },
            status: Status(code),
            reason: raw.reason.unwrap_or(""),
            fields: Fields::new(head.get(fields_at..).unwrap_or(&[])),
            len,
        }))
    }

    /// The protocol version the server answered with.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The status code.
    pub fn status(&self) -> Status {
        self.status
    }

    /// The reason phrase as sent (may be empty).
    pub fn reason(&self) -> &'a str {
        self.reason
    }

    /// The head's length in bytes, the blank line included.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Never true for a parsed head (it has at least a status line).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The first value of field `name` (case-insensitive) as text.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.fields.first_str(name)
    }

    /// Every value of field `name`, in order (`Set-Cookie`, …).
    pub fn headers_all<'n>(&self, name: &'n str) -> impl Iterator<Item = &'a [u8]> + 'n
    where
        'a: 'n,
    {
        self.fields.all(name)
    }

    /// Every field as `(name, value)`, in order, repeats included.
    pub fn headers(&self) -> Headers<'a> {
        self.fields.iter()
    }

    /// The fields, for lookups of several kinds.
    pub fn fields(&self) -> Fields<'a> {
        self.fields
    }

    /// `1xx`: an interim response; the final one follows.
    pub fn is_interim(&self) -> bool {
        (100..200).contains(&self.status.0)
    }

    /// How the body that follows is framed (RFC 9112 §6.3), for a response
    /// to `method`. Conflicting or invalid lengths, and `Transfer-Encoding`
    /// beside `Content-Length` or in HTTP/1.0 (both ways to smuggle a
    /// second response), are errors.
    pub fn framing(&self, method: Method) -> Result<BodyFraming, Error> {
        if method == Method::Head || self.is_interim() || self.status.0 == 204 || self.status.0 == 304 {
            return Ok(BodyFraming::Empty);
        }
        let mut length: Option<u64> = None;
        for value in self.fields.all("content-length") {
            for item in value.split(|&b| b == b',') {
                let n = parse_length(item.trim_ascii()).ok_or(Error::BadBody("invalid Content-Length"))?;
                if length.is_some_and(|prev| prev != n) {
                    return Err(Error::BadBody("conflicting Content-Length values"));
                }
                length = Some(n);
            }
        }
        let mut codings = self
            .fields
            .all("transfer-encoding")
            .flat_map(|v| v.split(|&b| b == b','))
            .map(<[u8]>::trim_ascii)
            .filter(|c| !c.is_empty())
            .peekable();
        if codings.peek().is_some() {
            if self.version == Version::Http10 {
                return Err(Error::BadBody("Transfer-Encoding in an HTTP/1.0 response"));
            }
            if length.is_some() {
                return Err(Error::BadBody("both Content-Length and Transfer-Encoding"));
            }
            let mut chunked = 0u32;
            let mut last_chunked = false;
            for coding in codings {
                last_chunked = coding.eq_ignore_ascii_case(b"chunked");
                chunked = chunked.saturating_add(u32::from(last_chunked));
            }
            return Ok(match (chunked, last_chunked) {
                (1, true) => BodyFraming::Chunked,
                (0, _) => BodyFraming::UntilClose,
                _ => return Err(Error::BadBody("chunked applied twice or not last")),
            });
        }
        Ok(match length {
            Some(0) => BodyFraming::Empty,
            Some(n) => BodyFraming::Length(n),
            None => BodyFraming::UntilClose,
        })
    }

    /// Whether the server lets the connection carry another request
    /// (HTTP/1.1 unless `Connection: close`; HTTP/1.0 only with
    /// `Connection: keep-alive`). A close-delimited body ends it anyway.
    pub fn keeps_alive(&self) -> bool {
        let close = self.fields.has_token("connection", "close");
        match self.version {
            Version::Http11 => !close,
            Version::Http10 => !close && self.fields.has_token("connection", "keep-alive"),
        }
    }
}

/// How a response body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    /// No body: `HEAD`, `1xx`, `204`, `304`, or `Content-Length: 0`.
    Empty,
    /// Exactly this many bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`, trailers allowed.
    Chunked,
    /// Everything until the server closes the connection.
    UntilClose,
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nContent-Length: 5\r\n\r\nhello";

    #[test]
    fn a_head_split_at_every_byte_parses_once_complete() {
        let head_len = OK.len() - 5;
        for split in 0..OK.len() {
            let got = ResponseHead::parse(&OK[..split], &ResponseLimits::DEFAULT).unwrap();
            assert_eq!(got.is_some(), split >= head_len, "split at {split}");
        }
        let head = ResponseHead::parse(OK, &ResponseLimits::DEFAULT).unwrap().unwrap();
        assert_eq!((head.status(), head.reason(), head.len()), (Status::OK, "OK", head_len));
        assert_eq!(head.header("content-type"), Some("text/plain"));
        assert_eq!(
            head.headers_all("SET-COOKIE").collect::<std::vec::Vec<_>>(),
            [&b"a=1"[..], b"b=2"]
        );
        assert_eq!(head.headers().count(), 4);
        assert_eq!(head.framing(Method::Get), Ok(BodyFraming::Length(5)));
        assert_eq!(head.framing(Method::Head), Ok(BodyFraming::Empty));
        assert!(head.keeps_alive());
    }

    fn head(text: &'static str) -> ResponseHead<'static> {
        ResponseHead::parse(text.as_bytes(), &ResponseLimits::DEFAULT)
            .unwrap()
            .unwrap()
    }

    #[test]
    fn framing_rules() {
        let cases: &[(&str, Result<BodyFraming, Error>)] = &[
            (
                "HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n",
                Ok(BodyFraming::Empty),
            ),
            ("HTTP/1.1 304 Not Modified\r\n\r\n", Ok(BodyFraming::Empty)),
            ("HTTP/1.1 100 Continue\r\n\r\n", Ok(BodyFraming::Empty)),
            (
                "HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\n",
                Ok(BodyFraming::Length(3)),
            ),
            (
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                Ok(BodyFraming::Chunked),
            ),
            (
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
                Ok(BodyFraming::UntilClose),
            ),
            ("HTTP/1.0 200 OK\r\n\r\n", Ok(BodyFraming::UntilClose)),
            (
                "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
                Err(Error::BadBody("conflicting Content-Length values")),
            ),
            (
                "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
                Err(Error::BadBody("invalid Content-Length")),
            ),
            (
                "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
                Err(Error::BadBody("invalid Content-Length")),
            ),
            (
                "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
                Err(Error::BadBody("both Content-Length and Transfer-Encoding")),
            ),
            (
                "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                Err(Error::BadBody("Transfer-Encoding in an HTTP/1.0 response")),
            ),
            (
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
                Err(Error::BadBody("chunked applied twice or not last")),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(head(text).framing(Method::Get), *want, "{text:?}");
        }
    }

    #[test]
    fn persistence() {
        assert!(!head("HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\n\r\n").keeps_alive());
        assert!(!head("HTTP/1.0 200 OK\r\n\r\n").keeps_alive());
        assert!(head("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n\r\n").keeps_alive());
    }

    #[test]
    fn limits_and_garbage() {
        let small = ResponseLimits {
            max_head: 64,
            max_headers: 2,
        };
        let endless = [b'X'; 100];
        assert_eq!(
            ResponseHead::parse(
                b"HTTP/1.1 200 OK\r\nX-A: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                &small
            )
            .err(),
            Some(Error::HeadTooLarge)
        );
        assert_eq!(
            ResponseHead::parse(b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", &small).err(),
            Some(Error::TooManyHeaders)
        );
        assert!(matches!(
            ResponseHead::parse(&endless, &small),
            Err(Error::BadResponse(_))
        ));
        assert!(matches!(
            ResponseHead::parse(b"SSH-2.0-OpenSSH\r\n", &small),
            Err(Error::BadResponse(_))
        ));
        assert!(matches!(
            ResponseHead::parse(b"HTTP/1.1 2000 OK\r\n\r\n", &small),
            Err(Error::BadResponse(_))
        ));
        assert!(matches!(
            ResponseHead::parse(b"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", &small),
            Err(Error::BadResponse(_))
        ));
    }
}
