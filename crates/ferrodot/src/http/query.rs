//! Percent-encoded text and query strings, decoded on demand.
//!
//! ```
//! use ferrodot::http::query::{Encoded, QueryPairs};
//!
//! let mut pairs = QueryPairs::new("name=Ada+Lovelace&city=K%C3%B6ln&flag");
//! let (key, value) = pairs.next().unwrap();
//! assert_eq!((key.raw(), value.raw()), ("name", "Ada+Lovelace"));
//! let mut buf = [0u8; 32];
//! assert_eq!(value.decode_into(&mut buf), Some("Ada Lovelace"));
//! assert!(pairs.next().unwrap().1.eq_decoded("Köln"));
//! assert_eq!(pairs.next().map(|(k, v)| (k.raw(), v.raw())), Some(("flag", "")));
//! // In a path, `+` stays a plus.
//! assert!(Encoded::path("a+b%20c").eq_decoded("a+b c"));
//! ```
//!
//! Nothing is decoded until asked: a request view keeps the raw slices and
//! a caller decodes into a buffer of its own (or a `String` with `alloc`).

use core::fmt;

/// A percent-encoded slice of a request target (a path segment, a query
/// key or value). `form` marks query text, where `+` also means a space.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Encoded<'a> {
    raw: &'a str,
    form: bool,
}

impl<'a> Encoded<'a> {
    /// Path text: `%XX` is decoded, `+` is kept.
    pub const fn path(raw: &'a str) -> Self {
        Encoded { raw, form: false }
    }

    /// Query text: `%XX` is decoded and `+` becomes a space.
    pub const fn query(raw: &'a str) -> Self {
        Encoded { raw, form: true }
    }

    /// The text exactly as it came on the wire.
    pub const fn raw(&self) -> &'a str {
        self.raw
    }

    /// The decoded bytes, one at a time. A `%` not followed by two hex
    /// digits stays as it is (lenient, like browsers and Microdot).
    pub fn bytes(&self) -> DecodedBytes<'a> {
        DecodedBytes {
            rest: self.raw.as_bytes(),
            form: self.form,
        }
    }

    /// Decode into `buf`; `None` if it does not fit or is not UTF-8.
    pub fn decode_into<'b>(&self, buf: &'b mut [u8]) -> Option<&'b str> {
        if !self.needs_decoding() {
            let src = self.raw.as_bytes();
            let dst = buf.get_mut(..src.len())?;
            dst.copy_from_slice(src);
            return core::str::from_utf8(dst).ok();
        }
        let mut bytes = self.bytes();
        // Zip takes a slot first, so a byte is never lost when `buf` is full.
        let n = buf.iter_mut().zip(bytes.by_ref()).map(|(slot, b)| *slot = b).count();
        if bytes.next().is_some() {
            return None;
        }
        core::str::from_utf8(buf.get(..n)?).ok()
    }

    /// True when decoding would change the text.
    pub fn needs_decoding(&self) -> bool {
        self.raw.bytes().any(|b| b == b'%' || (self.form && b == b'+'))
    }

    /// Compare the decoded text with `s` without a buffer.
    pub fn eq_decoded(&self, s: &str) -> bool {
        self.bytes().eq(s.bytes())
    }

    /// Decode and parse with `FromStr` (decoding needs at most 64 bytes of
    /// stack; longer values are parsed only when they need no decoding).
    pub fn parse<T: core::str::FromStr>(&self) -> Option<T> {
        if !self.needs_decoding() {
            return self.raw.parse().ok();
        }
        let mut buf = [0u8; 64];
        self.decode_into(&mut buf)?.parse().ok()
    }

    /// The decoded text as an owned string (invalid UTF-8 is replaced).
    #[cfg(feature = "alloc")]
    pub fn to_string_lossy(&self) -> alloc::string::String {
        let bytes: alloc::vec::Vec<u8> = self.bytes().collect();
        alloc::string::String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl fmt::Debug for Encoded<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.raw, f)
    }
}

/// Iterator over the decoded bytes of an [`Encoded`].
pub struct DecodedBytes<'a> {
    rest: &'a [u8],
    form: bool,
}

impl Iterator for DecodedBytes<'_> {
    type Item = u8;

    fn next(&mut self) -> Option<u8> {
        let (&first, rest) = self.rest.split_first()?;
        self.rest = rest;
        match first {
            b'+' if self.form => Some(b' '),
            b'%' => {
                if let [h, l, tail @ ..] = self.rest {
                    if let (Some(h), Some(l)) = (super::hex_digit_value(*h), super::hex_digit_value(*l)) {
                        self.rest = tail;
                        return Some(h << 4 | l);
                    }
                }
                Some(b'%')
            }
            other => Some(other),
        }
    }
}

/// The `key=value` pairs of a query string, in order, repeated keys kept.
/// A key without `=` has an empty value.
#[derive(Clone)]
pub struct QueryPairs<'a> {
    rest: &'a str,
}

impl<'a> QueryPairs<'a> {
    /// The pairs of `query`, the text after `?` (without the `?`).
    pub fn new(query: &'a str) -> Self {
        QueryPairs { rest: query }
    }
}

impl<'a> Iterator for QueryPairs<'a> {
    type Item = (Encoded<'a>, Encoded<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.rest.is_empty() {
                return None;
            }
            let (pair, rest) = self.rest.split_once('&').unwrap_or((self.rest, ""));
            self.rest = rest;
            if pair.is_empty() {
                continue; // `a=1&&b=2`: skip empty pairs
            }
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            return Some((Encoded::query(k), Encoded::query(v)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;

    fn dec(e: Encoded<'_>) -> ([u8; 64], usize) {
        let mut buf = [0u8; 64];
        let n = e.decode_into(&mut buf).map(|s| s.len()).unwrap_or(usize::MAX);
        (buf, n)
    }

    #[test]
    fn percent_and_plus() {
        let mut buf = [0u8; 32];
        assert_eq!(Encoded::query("a+b%20c").decode_into(&mut buf), Some("a b c"));
        assert_eq!(Encoded::path("a+b%20c").decode_into(&mut buf), Some("a+b c"));
        assert_eq!(Encoded::path("%e2%80%a2").decode_into(&mut buf), Some("\u{2022}"));
        // malformed escapes are kept literally
        assert_eq!(Encoded::path("100%").decode_into(&mut buf), Some("100%"));
        assert_eq!(Encoded::path("%zz%4").decode_into(&mut buf), Some("%zz%4"));
        // invalid UTF-8 after decoding
        assert_eq!(Encoded::path("%ff").decode_into(&mut buf), None);
        // does not fit
        assert_eq!(Encoded::path("abcdef").decode_into(&mut buf[..3]), None);
        assert_eq!(dec(Encoded::path("")).1, 0);
    }

    #[test]
    fn query_pairs() {
        let pairs: [(&str, &str); 5] = [("a", "1"), ("b", ""), ("a", "2"), ("c", "x=y"), ("d+e", "f")];
        let got: std::vec::Vec<_> = QueryPairs::new("a=1&b&&a=2&c=x=y&d+e=f").collect();
        assert_eq!(got.len(), pairs.len());
        for ((k, v), (ek, ev)) in got.iter().zip(pairs) {
            assert_eq!(k.raw(), ek);
            assert_eq!(v.raw(), ev);
        }
        assert!(QueryPairs::new("").next().is_none());
        let (k, v) = QueryPairs::new("d+e=f%21")
            .next()
            .unwrap_or((Encoded::path(""), Encoded::path("")));
        assert!(k.eq_decoded("d e"));
        assert!(v.eq_decoded("f!"));
        assert_eq!(v.parse::<u32>(), None);
        assert_eq!(Encoded::query("%34%32").parse::<u32>(), Some(42));
    }
}
