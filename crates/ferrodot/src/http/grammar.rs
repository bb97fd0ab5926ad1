//! The request head's grammar (RFC 9112 §2–5), checked byte by byte.
//!
//! [`request_line`] reads `method SP request-target SP HTTP-version`
//! after any empty lines, [`field_lines`] the header lines up to the blank
//! line. Both accept exactly what `httparse` accepts in its default,
//! strict configuration (single spaces, no whitespace before a colon, no
//! obs-fold, CRLF or bare LF), and answer "need more bytes" exactly where
//! it does: httparse is their oracle in the tests and the
//! `parse_diff_httparse` fuzz target.
//!
//! Written here rather than taken from httparse because a device pays for
//! httparse's three 256-byte tables and its table of header slots; this
//! is one pass of small loops and keeps no table at all. The rules that
//! give the fields meaning (framing, Host, persistence) are in
//! [`parse`](super::parse).

/// Why a head does not follow the grammar. Each maps to one reason in the
/// 400 answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Malformed {
    /// A byte the method or request target cannot hold, or a missing one.
    Token,
    /// Not `HTTP/1.0` or `HTTP/1.1`.
    Version,
    /// A CR not followed by LF, or junk after the version.
    NewLine,
    /// A header name with a byte outside `tchar`, or no colon after it.
    HeaderName,
    /// A control byte in a header value.
    HeaderValue,
    /// More header lines than allowed.
    TooManyFields,
}

/// Where reading stopped: the head is not complete yet, or it is malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// Read more bytes and start again.
    Partial,
    /// Refuse the request.
    Malformed(Malformed),
}

impl From<Malformed> for Stop {
    fn from(m: Malformed) -> Self {
        Stop::Malformed(m)
    }
}

/// The request line, borrowing the buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestLine<'a> {
    /// Where the line starts (after any empty lines).
    pub start: usize,
    /// Its length without the line ending.
    pub len: usize,
    /// Where the header lines start.
    pub end: usize,
    /// A `tchar` token; which methods are served is decided later.
    pub method: &'a [u8],
    pub target: &'a str,
    /// `0` for HTTP/1.0, `1` for HTTP/1.1 and later 1.x.
    pub minor: u8,
}

/// RFC 9110 §5.6.2 `tchar`: what a method and a header name are made of.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(b, b'!' | b'#'..=b'\'' | b'*' | b'+' | b'-' | b'.' | b'^'..=b'`' | b'|' | b'~')
}

/// A request target's bytes: visible ASCII and anything above it (checked
/// as UTF-8 afterwards), as httparse allows.
fn is_target_byte(b: u8) -> bool {
    b > b' ' && b != 0x7f
}

/// A header value's bytes: HTAB, SP, visible ASCII, obs-text (also the
/// rule for the values a response writes, `response::is_field_bytes`).
pub(super) fn is_value_byte(b: u8) -> bool {
    b == b'\t' || (b >= b' ' && b != 0x7f)
}

/// A reading position in the buffer. Every step is bounded by the buffer:
/// running out is [`Stop::Partial`].
struct Cursor<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn next(&mut self) -> Result<u8, Stop> {
        let b = *self.buf.get(self.at).ok_or(Stop::Partial)?;
        // `at` indexes a byte that exists, so one more fits in a usize.
        self.at = self.at.wrapping_add(1);
        Ok(b)
    }

    /// Skips the bytes that match, returning where the run started.
    fn skip_while(&mut self, keep: fn(u8) -> bool) -> usize {
        let from = self.at;
        let run = self
            .buf
            .get(from..)
            .unwrap_or(&[])
            .iter()
            .take_while(|&&b| keep(b))
            .count();
        // `run` bytes exist after `from`.
        self.at = from.wrapping_add(run);
        from
    }

    fn since(&self, from: usize) -> &'a [u8] {
        self.buf.get(from..self.at).unwrap_or(&[])
    }

    /// After a CR: the LF that must follow it.
    fn lf(&mut self, otherwise: Malformed) -> Result<(), Stop> {
        match self.next()? {
            b'\n' => Ok(()),
            _ => Err(otherwise.into()),
        }
    }

    /// A line ending, CRLF or bare LF.
    fn line_end(&mut self, otherwise: Malformed) -> Result<(), Stop> {
        match self.next()? {
            b'\r' => self.lf(otherwise),
            b'\n' => Ok(()),
            _ => Err(otherwise.into()),
        }
    }
}

/// The request line at the start of `buf`, after any empty lines
/// (RFC 9112 §2.2).
pub(crate) fn request_line(buf: &[u8]) -> Result<RequestLine<'_>, Stop> {
    let mut c = Cursor { buf, at: 0 };
    let start = loop {
        let at = c.at;
        match c.next()? {
            b'\r' => c.lf(Malformed::NewLine)?,
            b'\n' => {}
            _ => break at,
        }
    };
    c.at = start;

    if !is_tchar(c.next()?) {
        return Err(Malformed::Token.into());
    }
    c.skip_while(is_tchar);
    let method = c.since(start);
    if c.next()? != b' ' {
        return Err(Malformed::Token.into());
    }

    let target_at = c.skip_while(is_target_byte);
    let target = c.since(target_at);
    if c.next()? != b' ' || target.is_empty() {
        return Err(Malformed::Token.into());
    }
    let target = core::str::from_utf8(target).map_err(|_| Malformed::Token)?;

    let version_at = c.at;
    let minor = version(buf.get(version_at..).unwrap_or(&[]))?;
    c.at = version_at.wrapping_add(8);
    let len = c.at.wrapping_sub(start);
    c.line_end(Malformed::NewLine)?;

    Ok(RequestLine {
        start,
        len,
        end: c.at,
        method,
        target,
        minor,
    })
}

/// `HTTP/1.0` or `HTTP/1.1` at the start of `rest`; a prefix of them is
/// [`Stop::Partial`] (the minor digit can still arrive), anything else is
/// malformed. A later minor version (`HTTP/1.2` … `HTTP/1.9`) reads as 1.1:
/// RFC 9110 §2.5 has a recipient process it as the highest minor version
/// it implements (httparse, the oracle, refuses it; its tests rewrite the
/// digit first). `HTTP/2.0` and above are for [`parse`](super::parse) to
/// answer 505.
fn version(rest: &[u8]) -> Result<u8, Stop> {
    match rest.get(..8) {
        Some([b'H', b'T', b'T', b'P', b'/', b'1', b'.', b'0']) => Ok(0),
        Some([b'H', b'T', b'T', b'P', b'/', b'1', b'.', b'1'..=b'9']) => Ok(1),
        Some(_) => Err(Malformed::Version.into()),
        None if b"HTTP/1.".starts_with(rest.get(..rest.len().min(7)).unwrap_or(rest)) => Err(Stop::Partial),
        None => Err(Malformed::Version.into()),
    }
}

/// The header lines from `from` to the blank line, each handed to `field`
/// as `(name, value)` with the value's surrounding whitespace removed;
/// returns the length of the whole head. More than `max_fields` lines is
/// [`Malformed::TooManyFields`].
pub(crate) fn field_lines<'a>(
    buf: &'a [u8],
    from: usize,
    max_fields: usize,
    mut field: impl FnMut(&'a [u8], &'a [u8]),
) -> Result<usize, Stop> {
    let mut c = Cursor { buf, at: from };
    let mut count = 0usize;
    loop {
        let name_at = c.at;
        match c.next()? {
            b'\r' => {
                c.lf(Malformed::NewLine)?;
                return Ok(c.at);
            }
            b'\n' => return Ok(c.at),
            b if !is_tchar(b) => return Err(Malformed::HeaderName.into()),
            _ => {}
        }
        c.skip_while(is_tchar);
        let name = c.since(name_at);
        if c.next()? != b':' {
            return Err(Malformed::HeaderName.into());
        }
        c.skip_while(|b| b == b' ' || b == b'\t');
        let value_at = c.skip_while(is_value_byte);
        let value = c.since(value_at).trim_ascii_end();
        c.line_end(Malformed::HeaderValue)?;
        if count == max_fields {
            return Err(Malformed::TooManyFields.into());
        }
        count = count.saturating_add(1);
        field(name, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::{String, ToString};
    use std::vec;
    use std::vec::Vec;

    /// Header lines as owned `(name, value)` pairs.
    type Owned = Vec<(Vec<u8>, Vec<u8>)>;
    /// A whole head: its length, fields, method, target and minor version.
    type Head = (usize, Owned, String, String, u8);

    fn fields(head: &[u8], max: usize) -> Result<(usize, Owned), Stop> {
        let line = request_line(head)?;
        let mut seen = Vec::new();
        let len = field_lines(head, line.end, max, |n, v| seen.push((n.to_vec(), v.to_vec())))?;
        Ok((len, seen))
    }

    #[test]
    fn reads_a_request_line_after_empty_lines() {
        let line = request_line(b"\r\n\nGET /a?b HTTP/1.0\r\nHost: x\r\n\r\n").unwrap();
        assert_eq!((line.start, line.len, line.end), (3, 17, 22));
        assert_eq!((line.method, line.target, line.minor), (&b"GET"[..], "/a?b", 0));
    }

    #[test]
    fn values_lose_their_surrounding_whitespace_only() {
        let (len, seen) = fields(b"GET / HTTP/1.1\nA:  x \t y\t \nB:\r\n\n", 4).unwrap();
        assert_eq!(len, 32);
        assert_eq!(
            seen,
            vec![(b"A".to_vec(), b"x \t y".to_vec()), (b"B".to_vec(), Vec::new())]
        );
    }

    #[test]
    fn every_prefix_of_a_valid_head_is_partial() {
        let head = b"\r\nPOST /p%20q HTTP/1.1\r\nHost: h\r\nX-Y: a b\r\n\r\n";
        for end in 0..head.len() {
            assert_eq!(fields(&head[..end], 8).unwrap_err(), Stop::Partial, "{end}");
        }
        assert_eq!(fields(head, 8).unwrap().0, head.len());
    }

    #[test]
    fn malformed_heads_say_where() {
        use Malformed::*;
        let cases: &[(&[u8], Malformed)] = &[
            (b"\rX", NewLine),
            (b"G(T / HTTP/1.1\r\n", Token),
            (b" GET / HTTP/1.1\r\n", Token),
            (b"GET  / HTTP/1.1\r\n", Token),
            (b"GET /\x7f HTTP/1.1\r\n", Token),
            (b"GET /\xff HTTP/1.1\r\n", Token),
            (b"GET / HTTP/2.0\r\n", Version),
            (b"GET / HTTP/1.a\r\n", Version),
            (b"GET / HTTX", Version),
            (b"GET / HTTP/1.1 \r\n", NewLine),
            (b"GET / HTTP/1.1\rX", NewLine),
            (b"GET / HTTP/1.1\r\nA B: c\r\n\r\n", HeaderName),
            (b"GET / HTTP/1.1\r\n A: c\r\n\r\n", HeaderName),
            (b"GET / HTTP/1.1\r\nA : c\r\n\r\n", HeaderName),
            (b"GET / HTTP/1.1\r\nA: c\x01\r\n\r\n", HeaderValue),
            (b"GET / HTTP/1.1\r\nA: c\rd\r\n\r\n", HeaderValue),
            (b"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", TooManyFields),
            (b"GET / HTTP/1.1\r\n\rX", NewLine),
        ];
        for (head, want) in cases {
            assert_eq!(
                fields(head, 2).unwrap_err(),
                Stop::Malformed(*want),
                "{:?}",
                String::from_utf8_lossy(head)
            );
        }
    }

    #[test]
    fn a_later_minor_version_reads_as_1_1() {
        assert_eq!(request_line(b"GET / HTTP/1.2\r\n").unwrap().minor, 1);
        assert_eq!(request_line(b"GET / HTTP/1.9\r\n").unwrap().minor, 1);
        assert_eq!(
            later_minor_as_1_1(b"\nGET /HTTP/1.2 HTTP/1.7\r\n"),
            b"\nGET /HTTP/1.2 HTTP/1.1\r\n"
        );
    }

    #[test]
    fn a_utf8_target_is_kept_whole() {
        let line = request_line("GET /caf\u{e9} HTTP/1.1\r\n".as_bytes()).unwrap();
        assert_eq!(line.target, "/caf\u{e9}");
    }

    /// `head` with a later minor version in its request line read as 1.1,
    /// for httparse, which knows only 1.0 and 1.1: the digit after the
    /// second space of the line (as the grammar reads it).
    fn later_minor_as_1_1(head: &[u8]) -> Vec<u8> {
        let mut head = head.to_vec();
        let start = head.iter().take_while(|&&b| b == b'\r' || b == b'\n').count();
        let line = head[start..].iter().take_while(|&&b| b != b'\r' && b != b'\n');
        let second_space = line
            .enumerate()
            .filter(|&(_, &b)| b == b' ')
            .nth(1)
            .map(|(i, _)| start + i);
        if let Some(at) = second_space.map(|i| i + 1) {
            if head[at..].starts_with(b"HTTP/1.") && matches!(head.get(at + 7), Some(b'2'..=b'9')) {
                head[at + 7] = b'1';
            }
        }
        head
    }

    /// What httparse says of `head`, in this module's terms.
    fn oracle(head: &[u8], max: usize) -> Result<Head, Stop> {
        let head = &later_minor_as_1_1(head)[..];
        let mut slots = vec![httparse::EMPTY_HEADER; max];
        let mut req = httparse::Request::new(&mut slots);
        let kind = match req.parse(head) {
            Ok(httparse::Status::Complete(n)) => {
                let fields = req
                    .headers
                    .iter()
                    .map(|h| (h.name.as_bytes().to_vec(), h.value.to_vec()))
                    .collect();
                let (m, t, v) = (
                    req.method.unwrap_or("?"),
                    req.path.unwrap_or("?"),
                    req.version.unwrap_or(9),
                );
                return Ok((n, fields, m.to_string(), t.to_string(), v));
            }
            Ok(httparse::Status::Partial) => return Err(Stop::Partial),
            Err(httparse::Error::Token) => Malformed::Token,
            Err(httparse::Error::Version) => Malformed::Version,
            Err(httparse::Error::NewLine) => Malformed::NewLine,
            Err(httparse::Error::HeaderName) => Malformed::HeaderName,
            Err(httparse::Error::HeaderValue) => Malformed::HeaderValue,
            Err(httparse::Error::TooManyHeaders) => Malformed::TooManyFields,
            Err(e) => panic!("a request error httparse should not give: {e:?}"),
        };
        Err(Stop::Malformed(kind))
    }

    fn ours(head: &[u8], max: usize) -> Result<Head, Stop> {
        let line = request_line(head)?;
        let (len, seen) = fields(head, max)?;
        Ok((
            len,
            seen,
            String::from_utf8_lossy(line.method).into_owned(),
            line.target.to_string(),
            line.minor,
        ))
    }

    /// Pieces that heads and their faults are made of.
    const PIECES: &[&[u8]] = &[
        b"GET",
        b"POST",
        b" ",
        b"  ",
        b"/",
        b"/a?b=c#d",
        b"*",
        b"HTTP/1.1",
        b"HTTP/1.0",
        b"HTTP/1.",
        b"HTTP/2.0",
        b"HTTX",
        b"\r\n",
        b"\n",
        b"\r",
        b"\r\n\r\n",
        b":",
        b": ",
        b"Host",
        b"x",
        b"\t",
        b"\x00",
        b"\x01",
        b"\x7f",
        b"\xff",
        b"\xc3\xa9",
        b"\xc3",
        b"(",
        b"\"",
        b"Content-Length: 5",
        b"GET / HTTP/1.1\r\n",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]

        #[test]
        fn agrees_with_httparse(picks in proptest::collection::vec(0..PIECES.len(), 0..24), max in 0usize..4) {
            let head: Vec<u8> = picks.iter().flat_map(|&i| PIECES[i].iter().copied()).collect();
            proptest::prop_assert_eq!(ours(&head, max), oracle(&head, max), "{:?}", String::from_utf8_lossy(&head));
        }

        #[test]
        fn agrees_with_httparse_after_a_valid_start(tail in proptest::collection::vec(0..PIECES.len(), 0..16)) {
            let mut head = b"GET /p HTTP/1.1\r\nHost: h\r\n".to_vec();
            head.extend(tail.iter().flat_map(|&i| PIECES[i].iter().copied()));
            for end in 0..=head.len() {
                let part = &head[..end];
                proptest::prop_assert_eq!(ours(part, 4), oracle(part, 4), "{:?}", String::from_utf8_lossy(part));
            }
        }
    }
}
