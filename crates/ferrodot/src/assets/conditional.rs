//! What a conditional or partial GET asks (RFC 9110 §13, §14), shared by the
//! asset table (`serve`) and the directory server (`files`, `std`):
//! the request's validator headers, their evaluation, and the `Last-Modified`
//! and `Content-Range` headers.

use super::range::BYTES_AND_SPACE;
#[cfg(feature = "last-modified")]
use crate::http::date;
use crate::http::fields::cut;
use crate::http::response::BufWriter;
use crate::http::Request;
use crate::server::ResponseWriter;

/// The request headers [`super::plan`] and the directory server (`files`, `std`) read, as raw bytes (`None` when absent).
#[derive(Debug, Clone, Copy, Default)]
pub struct Conditions<'a> {
    /// `Accept-Encoding`: whether the gzip copy may be sent.
    pub accept_encoding: Option<&'a [u8]>,
    /// `If-None-Match`: the ETags the client has cached (304 when one matches).
    pub if_none_match: Option<&'a [u8]>,
    /// `Range`: the bytes the client asks for (RFC 9110 §14.2).
    pub range: Option<&'a [u8]>,
    /// `If-Range`: honour `Range` only while the ETag (or date) is still this one.
    pub if_range: Option<&'a [u8]>,
    /// `If-Modified-Since`: 304 when the file has not changed since (read only
    /// without `If-None-Match`, RFC 9110 §13.2.2). Looked up only with the
    /// feature `last-modified`, the only one that can use it.
    pub if_modified_since: Option<&'a [u8]>,
}

// `range` is the tail of `if-range`: one string in flash.
const IF_RANGE: &str = "if-range";
const RANGE: &str = IF_RANGE.split_at(3).1;

impl<'a> Conditions<'a> {
    /// The headers of `req`.
    pub fn of(req: &Request<'a>) -> Self {
        Conditions {
            // Spelt as in `Vary: Accept-Encoding` (the lookup ignores case), so the
            // two share one string in flash.
            accept_encoding: req.header_bytes("Accept-Encoding"),
            if_none_match: req.header_bytes("if-none-match"),
            range: req.header_bytes(RANGE),
            if_range: req.header_bytes(IF_RANGE),
            #[cfg(feature = "last-modified")]
            if_modified_since: req.header_bytes("if-modified-since"),
            #[cfg(not(feature = "last-modified"))]
            if_modified_since: None,
        }
    }
}

/// Whether an `If-None-Match` value names `etag` by the weak comparison (RFC 9110
/// §13.1.2): `*`, or a list of entity tags where `W/"x"` matches `"x"`. A malformed
/// list stops at the first bad element (what came before still counts).
pub fn none_match_hits(value: &[u8], etag: &str) -> bool {
    let value = value.trim_ascii();
    if value == b"*" {
        return true;
    }
    // Our tag between its quotes (`W/` dropped): what a listed tag must enclose.
    let ours = match etag.as_bytes() {
        [b'W', b'/', rest @ ..] | rest => rest,
    };
    let ours = match ours {
        [b'"', inner @ .., b'"'] => inner,
        // Not a quoted tag: nothing the client sends can name it.
        _ => return false,
    };
    // Between the tags: separators, and an optional `W/` just before a quote.
    let mut rest = value;
    loop {
        let (between, Some(quoted)) = cut(rest, b'"') else {
            return false; // the end of the list
        };
        let separators = match between {
            [separators @ .., b'W', b'/'] | separators => separators,
        };
        if !separators.iter().all(|&b| b == b',' || b.is_ascii_whitespace()) {
            return false; // a malformed element
        }
        let (tag, Some(after)) = cut(quoted, b'"') else {
            return false;
        };
        if tag == ours {
            return true;
        }
        rest = after;
    }
}

/// Whether the client's copy is still current (RFC 9110 §13.2.2): its
/// `If-None-Match` names `etag`, or, without one, its `If-Modified-Since` is
/// no earlier than `modified`. An invalid date counts as absent.
pub(super) fn not_modified(c: &Conditions<'_>, etag: &str, modified: Option<u64>) -> bool {
    match (c.if_none_match, c.if_modified_since, modified) {
        (Some(inm), _, _) => none_match_hits(inm, etag),
        #[cfg(feature = "last-modified")]
        (None, Some(ims), Some(modified)) => date::parse(ims).is_some_and(|since| modified <= since),
        _ => false,
    }
}

/// Whether `If-Range` (when sent) still names this representation: its strong
/// ETag, or its exact `Last-Modified` date.
pub(super) fn range_still_valid(c: &Conditions<'_>, etag: &str, modified: Option<u64>) -> bool {
    c.if_range.is_none_or(|tag| {
        let tag = tag.trim_ascii();
        #[cfg(feature = "last-modified")]
        if modified.is_some() && date::parse(tag) == modified {
            return true;
        }
        #[cfg(not(feature = "last-modified"))]
        let _ = modified;
        tag == etag.as_bytes()
    })
}

/// `Last-Modified: <IMF-fixdate>`.
#[cfg(feature = "last-modified")]
pub(super) fn last_modified(out: &mut ResponseWriter<'_>, modified: u64) {
    out.header_with("Last-Modified", |w| {
        date::write(w, modified);
        true
    });
}

/// `Content-Range: bytes start-end/total`, or `bytes */total` for a 416.
pub(super) fn content_range(out: &mut ResponseWriter<'_>, range: Option<(u64, u64)>, total: u64) {
    // Formatted on the stack and sent as bytes with `header`'s own writer: a
    // `header_with` closure would be one more copy of it.
    // At most `bytes ` + 3 × 20 digits + `-` + `/`.
    let mut buf = [0u8; 68];
    let mut w = BufWriter::new(&mut buf);
    w.push(BYTES_AND_SPACE.as_bytes());
    match range {
        Some((start, end)) => {
            w.push_u64(start);
            w.push(b"-");
            w.push_u64(end);
        }
        None => w.push(b"*"),
    }
    w.push(b"/");
    w.push_u64(total);
    out.header_raw("Content-Range", w.written());
}
