//! Header fields of a head the parser already validated, read in place.
//!
//! ```
//! use ferrodot::http::fields::Fields;
//!
//! let block = b"Content-Type: text/plain\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\n\r\n";
//! let fields = Fields::new(block);
//! assert_eq!(fields.first_str("content-type"), Some("text/plain"));
//! assert_eq!(fields.all("Set-Cookie").count(), 2);
//! ```
//!
//! Requests and responses both keep their head as bytes instead of a
//! table of headers: each lookup scans the lines again, so a connection's
//! RAM stays the buffer itself.

/// The header lines of a validated head (from the first field line to
/// the blank line).
#[derive(Clone, Copy, Debug)]
pub struct Fields<'a> {
    block: &'a [u8],
}

impl<'a> Fields<'a> {
    /// Field lines as httparse accepted them: `name: value`, CRLF or LF.
    pub const fn new(block: &'a [u8]) -> Self {
        Fields { block }
    }

    /// Every field as `(name, value)`, in order, repeats included.
    pub fn iter(&self) -> Headers<'a> {
        Headers { rest: self.block }
    }

    /// Every value of field `name` (case-insensitive), trimmed, in order.
    pub fn all<'n>(&self, name: &'n str) -> impl Iterator<Item = &'a [u8]> + 'n
    where
        'a: 'n,
    {
        // Compare the name where it must be (a validated field name runs
        // up to its colon) before looking at anything else.
        let name = name.as_bytes();
        HeaderLines { rest: self.block }.filter_map(move |line| {
            let value = line.get(name.len()..)?.strip_prefix(b":")?;
            line.get(..name.len())?
                .eq_ignore_ascii_case(name)
                .then(|| value.trim_ascii())
        })
    }

    /// The first value of field `name` as bytes.
    pub fn first(&self, name: &str) -> Option<&'a [u8]> {
        self.all(name).next()
    }

    /// The first value of field `name` as text; `None` when absent or not
    /// valid UTF-8.
    pub fn first_str(&self, name: &str) -> Option<&'a str> {
        self.first(name).and_then(|v| core::str::from_utf8(v).ok())
    }

    /// True when a comma-separated field (`Connection`, `Transfer-Encoding`)
    /// lists `token`, in any of its lines, case-insensitively.
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        self.all(name).any(|value| {
            value
                .split(|&b| b == b',')
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
        })
    }
}

/// The header lines of a validated head, without their line endings.
#[derive(Clone)]
struct HeaderLines<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for HeaderLines<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        let end = self.rest.iter().position(|&b| b == b'\n').unwrap_or(self.rest.len());
        let (line, rest) = self.rest.split_at(end);
        self.rest = rest.get(1..).unwrap_or(&[]);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        // The blank line ends the head.
        (!line.is_empty()).then_some(line)
    }
}

/// Iterator over a validated head's header lines.
#[derive(Clone)]
pub struct Headers<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Headers<'a> {
    type Item = (&'a str, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let mut lines = HeaderLines { rest: self.rest };
        loop {
            let line = lines.next();
            self.rest = lines.rest;
            let line = line?;
            let Some(colon) = line.iter().position(|&b| b == b':') else {
                continue;
            };
            let (name, value) = line.split_at(colon);
            let Ok(name) = core::str::from_utf8(name) else { continue };
            let value = value.get(1..).unwrap_or(&[]).trim_ascii();
            return Some((name, value));
        }
    }
}

/// `s` split at its first `sep`: what precedes it, and what follows (`None`
/// when there is no `sep`). The byte walker of header lists (`Range`,
/// `Accept-Encoding`, `If-None-Match`) and of CORS origin patterns: one
/// small loop instead of a `split` iterator or a char search in each.
#[inline(never)]
pub(crate) fn cut(s: &[u8], sep: u8) -> (&[u8], Option<&[u8]>) {
    match s.iter().position(|&b| b == sep).and_then(|i| s.split_at_checked(i)) {
        Some((head, tail)) => (head, tail.get(1..)),
        None => (s, None),
    }
}
