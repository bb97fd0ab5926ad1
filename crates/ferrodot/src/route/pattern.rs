//! Route patterns: checked once (at compile time for `const` tables),
//! then interpreted segment by segment against request paths.
//!
//! ```
//! use ferrodot::http::request::Captures;
//! use ferrodot::route::pattern::{capture_names, Pattern, PatternError};
//!
//! // Checked at compile time in a `const`: a bad pattern fails the build.
//! const FILES: Pattern<'static> = Pattern::new("/users/<int:id>/files/:path*");
//! assert_eq!(capture_names(FILES.as_str()).collect::<Vec<_>>(), ["id", "path"]);
//! let mut caps = Captures::default();
//! assert!(FILES.matches("/users/7/files/a/b.txt", None, &mut caps));
//! assert!(!FILES.matches("/users/seven/files/a", None, &mut caps));
//! // At run time the same checks are an error value.
//! assert_eq!(Pattern::try_new("users"), Err(PatternError::NoLeadingSlash));
//! assert_eq!(Pattern::try_new("/a/:x+/:y*"), Err(PatternError::TwoVariableLength));
//! ```
//!
//! Syntax — mpgameserver's wildcards and Microdot's typed captures:
//!
//! | segment | matches |
//! |---|---|
//! | `abc` | exactly `abc` (compared after percent-decoding the path) |
//! | `:x` or `<x>` or `<string:x>` | one non-empty segment |
//! | `<int:x>` | one segment that is an `i64` (`-12`, `0`, `42`) |
//! | `<name:x>` | one segment accepted by the app's custom type hook |
//! | `:x?` | zero or one segment (`/p`, `/p/`, `/p/a`) |
//! | `:x+` or `<path:x>` | one or more segments, the first non-empty |
//! | `:x*` | zero or more segments |
//!
//! At most one variable-length capture (`?`, `+`, `*`, `path`) per
//! pattern, anywhere in it, so matching never backtracks. A trailing slash
//! is significant (`/a` is not `/a/`), as in Microdot and RFC 3986; unlike
//! mpgameserver, `/p/:x+` does not match `/px` or `/p/`.

use crate::http::query::Encoded;
use crate::http::request::{Captures, MAX_CAPTURES};

/// Why a pattern was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternError {
    /// The pattern does not start with `/`.
    NoLeadingSlash,
    /// A capture without a name (`:` or `<>` alone).
    EmptyName,
    /// A capture name with a character other than letters, digits and `_`.
    BadName,
    /// A `<type:name>` capture with a type other than `string`, `int`, `path`
    /// or a custom type name.
    UnknownType,
    /// A `<` capture not closed by `>` at the end of its segment.
    UnclosedAngle,
    /// More than one variable-length capture (`?`, `+`, `*` or `<path:..>`):
    /// matching would be ambiguous.
    TwoVariableLength,
    /// More than [`MAX_CAPTURES`] captures.
    TooManyCaptures,
    /// A custom capture type the app does not define (see
    /// [`App::custom_types`](crate::App::custom_types)).
    UnknownCustomType,
}

impl PatternError {
    /// A one-line explanation, also the compile-time panic message of
    /// [`Pattern::new`].
    pub const fn message(self) -> &'static str {
        match self {
            PatternError::NoLeadingSlash => "route pattern must start with '/'",
            PatternError::EmptyName => "route capture has no name (':' or '<>' alone)",
            PatternError::BadName => "route capture names use only letters, digits and '_'",
            PatternError::UnknownType => "route capture type must be string, int, path or a custom type name",
            PatternError::UnclosedAngle => "route capture '<' is not closed by '>' at the end of the segment",
            PatternError::TwoVariableLength => "a route pattern may have only one of '?', '+', '*' or <path:..>",
            PatternError::TooManyCaptures => "a route pattern may have at most 8 captures",
            PatternError::UnknownCustomType => "route pattern uses a custom capture type the app does not define",
        }
    }
}

impl core::fmt::Display for PatternError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.message())
    }
}

/// A checked route pattern. Building one in a `const` turns a bad
/// pattern into a compile error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pattern<'p> {
    text: &'p str,
    /// No captures and no escapes: matched by comparing bytes.
    literal: bool,
}

impl<'p> Pattern<'p> {
    /// Check `pattern`; panics (at compile time, in a `const`) if invalid.
    #[allow(clippy::panic)] // a compile error for a bad pattern in a const table
    pub const fn new(pattern: &'p str) -> Self {
        match validate(pattern) {
            Ok(()) => Pattern {
                text: pattern,
                literal: is_literal(pattern),
            },
            Err(e) => panic!("{}", e.message()),
        }
    }

    /// Check `pattern` at run time.
    pub const fn try_new(pattern: &'p str) -> Result<Self, PatternError> {
        match validate(pattern) {
            Ok(()) => Ok(Pattern {
                text: pattern,
                literal: is_literal(pattern),
            }),
            Err(e) => Err(e),
        }
    }

    /// The pattern as written.
    pub const fn as_str(&self) -> &'p str {
        self.text
    }

    /// Match `path` (raw, percent-encoded); fill `caps` on success.
    /// `custom` decides custom capture types: `(type, value) -> accepted`.
    pub fn matches<'a>(&self, path: &'a str, custom: CustomTypes, caps: &mut Captures<'a>) -> bool
    where
        'p: 'a,
    {
        if self.literal && !path.as_bytes().contains(&b'%') {
            // Nothing to decode on either side: equal bytes or no match.
            if path != self.text {
                return false;
            }
            *caps = Captures {
                pattern: self.text,
                position: capture_position,
                ..Captures::default()
            };
            return true;
        }
        match_path(self.text, path, custom, caps)
    }
}

/// The app's hook for custom capture types: `Some(accepted)` for types it
/// knows, `None` for unknown ones.
pub type CustomTypes = Option<fn(&str, Encoded<'_>) -> Option<bool>>;

/// What a capture accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind<'p> {
    /// One non-empty segment (`:x`, `<x>`, `<string:x>`).
    One,
    /// One segment that is an `i64` (`<int:x>`).
    Int,
    /// One segment the app's custom type hook accepts (`<name:x>`).
    Custom(&'p str),
    /// Zero or one segment (`:x?`).
    Optional,
    /// One or more segments (`:x+`, `<path:x>`).
    OneOrMore,
    /// Zero or more segments (`:x*`).
    ZeroOrMore,
}

impl Kind<'_> {
    const fn is_variable(&self) -> bool {
        matches!(self, Kind::Optional | Kind::OneOrMore | Kind::ZeroOrMore)
    }
}

/// One `/`-separated piece of a pattern, as [`segments`] yields them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment<'p> {
    /// Text matched as it is (after percent-decoding the path).
    Literal(&'p str),
    /// A named capture.
    Capture {
        /// The name handlers look the value up by.
        name: &'p str,
        /// How many segments it matches, and which.
        kind: Kind<'p>,
    },
}

/// `b[i]`, or 0 past the end; const-usable, so the validator needs no
/// indexing that could panic.
#[allow(clippy::indexing_slicing)] // guarded by the bounds check
const fn byte_at(b: &[u8], i: usize) -> u8 {
    if i < b.len() {
        b[i]
    } else {
        0
    }
}

const fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Check one segment `bytes[start..end]`; returns (is_capture, is_variable).
// Index arithmetic inside the pattern (`start < end <= b.len()`, every
// `+ 1` or `- 1` stays within it); const fn, so no iterators.
#[allow(clippy::arithmetic_side_effects)]
const fn check_segment(b: &[u8], start: usize, end: usize) -> Result<(bool, bool), PatternError> {
    if start >= end {
        return Ok((false, false));
    }
    if byte_at(b, start) == b':' {
        let mut name_end = end;
        let mut variable = false;
        if matches!(byte_at(b, end - 1), b'?' | b'+' | b'*') {
            name_end = end - 1;
            variable = true;
        }
        if name_end <= start + 1 {
            return Err(PatternError::EmptyName);
        }
        let mut i = start + 1;
        while i < name_end {
            if !is_name_byte(byte_at(b, i)) {
                return Err(PatternError::BadName);
            }
            i += 1;
        }
        return Ok((true, variable));
    }
    if byte_at(b, start) == b'<' {
        if byte_at(b, end - 1) != b'>' || end - start < 2 {
            return Err(PatternError::UnclosedAngle);
        }
        let mut colon = 0;
        let mut i = start + 1;
        while i < end - 1 {
            if byte_at(b, i) == b':' && colon == 0 {
                colon = i;
            } else if !is_name_byte(byte_at(b, i)) {
                return Err(PatternError::BadName);
            }
            i += 1;
        }
        let name_start = if colon == 0 { start + 1 } else { colon + 1 };
        if name_start >= end - 1 {
            return Err(PatternError::EmptyName);
        }
        if colon == 0 {
            return Ok((true, false));
        }
        if colon == start + 1 {
            return Err(PatternError::UnknownType);
        }
        // `path` is the only variable-length typed capture.
        let ty_len = colon - (start + 1);
        let is_path = ty_len == 4
            && byte_at(b, start + 1) == b'p'
            && byte_at(b, start + 2) == b'a'
            && byte_at(b, start + 3) == b't'
            && byte_at(b, start + 4) == b'h';
        return Ok((true, is_path));
    }
    let mut i = start;
    while i < end {
        if byte_at(b, i) == b'<' || byte_at(b, i) == b'>' {
            return Err(PatternError::UnclosedAngle);
        }
        i += 1;
    }
    Ok((false, false))
}

/// True when a valid pattern has no capture and no `%` escape.
#[allow(clippy::arithmetic_side_effects)] // i < b.len()
const fn is_literal(pattern: &str) -> bool {
    let b = pattern.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if matches!(byte_at(b, i), b':' | b'<' | b'%') {
            return false;
        }
        i += 1;
    }
    true
}

/// Check a pattern's syntax (usable in `const`).
// `i <= b.len()` and the counters are at most `b.len()`; const fn, so no
// iterators.
#[allow(clippy::arithmetic_side_effects)]
pub const fn validate(pattern: &str) -> Result<(), PatternError> {
    let b = pattern.as_bytes();
    if b.is_empty() || byte_at(b, 0) != b'/' {
        return Err(PatternError::NoLeadingSlash);
    }
    let mut captures = 0;
    let mut variable = 0;
    let mut start = 1;
    let mut i = 1;
    while i <= b.len() {
        if i == b.len() || byte_at(b, i) == b'/' {
            match check_segment(b, start, i) {
                Ok((is_capture, is_variable)) => {
                    if is_capture {
                        captures += 1;
                    }
                    if is_variable {
                        variable += 1;
                    }
                }
                Err(e) => return Err(e),
            }
            start = i + 1;
        }
        i += 1;
    }
    if variable > 1 {
        return Err(PatternError::TwoVariableLength);
    }
    if captures > MAX_CAPTURES {
        return Err(PatternError::TooManyCaptures);
    }
    Ok(())
}

/// Check that every custom type the pattern uses is known to `custom`.
pub fn check_custom_types(pattern: &str, custom: CustomTypes) -> Result<(), PatternError> {
    for seg in segments(pattern) {
        if let Segment::Capture {
            kind: Kind::Custom(ty), ..
        } = seg
        {
            let known = custom.and_then(|f| f(ty, Encoded::path(""))).is_some();
            if !known {
                return Err(PatternError::UnknownCustomType);
            }
        }
    }
    Ok(())
}

fn parse_segment(seg: &str) -> Segment<'_> {
    if let Some(rest) = seg.strip_prefix(':') {
        let (name, kind) = if let Some(name) = rest.strip_suffix('?') {
            (name, Kind::Optional)
        } else if let Some(name) = rest.strip_suffix('+') {
            (name, Kind::OneOrMore)
        } else if let Some(name) = rest.strip_suffix('*') {
            (name, Kind::ZeroOrMore)
        } else {
            (rest, Kind::One)
        };
        return Segment::Capture { name, kind };
    }
    if let Some(inner) = seg.strip_prefix('<').and_then(|s| s.strip_suffix('>')) {
        // A byte search, not `split_once(':')`: core's char searcher is
        // code in every image for this one use.
        let colon = inner.bytes().position(|b| b == b':');
        return match colon.and_then(|at| Some((inner.get(..at)?, inner.get(at..)?.get(1..)?))) {
            None => Segment::Capture {
                name: inner,
                kind: Kind::One,
            },
            Some((ty, name)) => {
                let kind = match ty {
                    "string" => Kind::One,
                    "int" => Kind::Int,
                    "path" => Kind::OneOrMore,
                    other => Kind::Custom(other),
                };
                Segment::Capture { name, kind }
            }
        };
    }
    Segment::Literal(seg)
}

/// The segments of a checked pattern, in order, for tools that describe
/// routes (the OpenAPI document): `/led/<int:id>` → `led`, `id` (an `Int`).
pub fn segments(pattern: &str) -> impl Iterator<Item = Segment<'_>> + Clone {
    SlashSplit {
        rest: Some(pattern.get(1..).unwrap_or("")),
    }
    .map(parse_segment)
}

/// `split('/')` by a plain byte scan: segments are short, and a memchr
/// set-up per segment costs more than the scan.
#[derive(Clone)]
struct SlashSplit<'a> {
    rest: Option<&'a str>,
}

impl<'a> Iterator for SlashSplit<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest?;
        match rest.bytes().position(|b| b == b'/') {
            Some(i) => {
                self.rest = rest.get(i..).and_then(|r| r.get(1..));
                rest.get(..i)
            }
            None => {
                self.rest = None;
                Some(rest)
            }
        }
    }
}

/// How many segments `split('/')` would give (`text` starts with `/`).
fn segment_count(text: &str) -> usize {
    text.bytes().filter(|&b| b == b'/').count()
}

/// The capture names of a pattern, in order.
pub fn capture_names(pattern: &str) -> impl Iterator<Item = &str> {
    segments(pattern).filter_map(|s| match s {
        Segment::Capture { name, .. } => Some(name),
        Segment::Literal(_) => None,
    })
}

/// Where capture `name` is among `pattern`'s captures.
fn capture_position(pattern: &str, name: &str) -> Option<usize> {
    capture_names(pattern).position(|n| n == name)
}

/// Byte spans of the path's segments (`/a/b` → `a`, `b`; `/` → one empty).
// `at` is an offset into `path` plus a segment and its `/`, so at most
// `path.len() + 1`.
#[allow(clippy::arithmetic_side_effects)]
fn path_segments(path: &str) -> impl Iterator<Item = (usize, usize)> + Clone + '_ {
    let mut at = 1;
    SlashSplit {
        rest: Some(path.get(1..).unwrap_or("")),
    }
    .map(move |s| {
        let span = (at, at + s.len());
        at += s.len() + 1;
        span
    })
}

fn is_int(v: &str) -> bool {
    let digits = v.strip_prefix('-').unwrap_or(v);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && v.parse::<i64>().is_ok()
}

fn match_one(seg: Segment<'_>, text: &str, custom: CustomTypes) -> bool {
    match seg {
        Segment::Literal(lit) => Encoded::path(text).eq_decoded(lit),
        Segment::Capture { kind, .. } => match kind {
            Kind::One => !text.is_empty(),
            Kind::Int => is_int(text),
            Kind::Custom(ty) => !text.is_empty() && custom.and_then(|f| f(ty, Encoded::path(text))).unwrap_or(false),
            // variable-length kinds are matched by `match_path`
            Kind::Optional | Kind::OneOrMore | Kind::ZeroOrMore => false,
        },
    }
}

fn match_path<'a>(pattern: &'a str, path: &'a str, custom: CustomTypes, caps: &mut Captures<'a>) -> bool {
    if !path.starts_with('/') {
        return false;
    }
    let pat_len = segment_count(pattern);
    let path_len = segment_count(path);
    // Only `?`, `+`, `*` and `<path:..>` make a capture variable.
    let var_at = if pattern.bytes().any(|b| matches!(b, b'?' | b'+' | b'*' | b'<')) {
        segments(pattern).position(|s| matches!(s, Segment::Capture { kind, .. } if kind.is_variable()))
    } else {
        None
    };
    // How many path segments the variable capture takes.
    let (var_at, var_len) = match var_at {
        None if pat_len != path_len => return false,
        None => (usize::MAX, 0),
        Some(at) => match path_len.saturating_add(1).checked_sub(pat_len) {
            Some(n) => (at, n),
            None => return false,
        },
    };
    *caps = Captures {
        pattern,
        position: capture_position,
        ..Captures::default()
    };
    let mut path_iter = path_segments(path);
    for (i, seg) in segments(pattern).enumerate() {
        let span = if i == var_at {
            let Segment::Capture { kind, .. } = seg else {
                return false;
            };
            let first = path_iter.clone().next();
            let taken = (0..var_len).filter_map(|_| path_iter.next()).last();
            let ok = match kind {
                Kind::Optional => var_len <= 1,
                Kind::OneOrMore => var_len >= 1 && first.is_some_and(|(s, e)| e > s),
                _ => true,
            };
            if !ok {
                return false;
            }
            match (first, taken) {
                (Some((start, _)), Some((_, end))) => Some((start, end)),
                _ => None, // matched zero segments
            }
        } else {
            let Some((start, end)) = path_iter.next() else {
                return false;
            };
            if !match_one(seg, path.get(start..end).unwrap_or(""), custom) {
                return false;
            }
            Some((start, end))
        };
        if let Segment::Capture { .. } = seg {
            let n = usize::from(caps.len);
            let (Some(slot), Ok(n8)) = (caps.spans.get_mut(n), u8::try_from(n + 1)) else {
                return false;
            };
            match span {
                Some((s, e)) => match (u16::try_from(s), u16::try_from(e)) {
                    (Ok(s), Ok(e)) => *slot = (s, e),
                    _ => return false,
                },
                None => caps.absent |= 1 << n,
            }
            caps.len = n8;
        }
    }
    true
}
