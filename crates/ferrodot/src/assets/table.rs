//! The asset table: what `ferrodot-assets-build` generates, plain `static` data.

use crate::http::query::Encoded;
use core::cmp::Ordering;

/// One stored representation of a file: its bytes and their strong ETag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    /// The bytes as stored in flash (gzip-compressed for a gzip variant).
    pub bytes: &'static [u8],
    /// The entity tag, quotes included: `"0123456789abcdef"`.
    pub etag: &'static str,
}

/// One file: its path in the table, its media type and the copies kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asset {
    /// Path relative to the mount, `/`-separated, no leading slash (`css/site.css`).
    pub path: &'static str,
    /// The `Content-Type` it is served with.
    pub mime: &'static str,
    /// The name carries a content hash (`app.3f9a1c2e.js`): cacheable forever.
    pub fingerprinted: bool,
    /// The bytes as they are; `None` when the build kept only the gzip copy.
    pub identity: Option<Variant>,
    /// The gzip copy, when it was clearly smaller.
    pub gzip: Option<Variant>,
    /// When the file last changed, in Unix seconds: sent as `Last-Modified` and
    /// compared with `If-Modified-Since` (feature `last-modified`, on with `std`).
    /// `None`: no date, the ETag alone validates.
    pub modified: Option<u64>,
}

/// A table of assets sorted by path (the build's output), searched by bisection.
#[derive(Debug, Clone, Copy)]
pub struct Assets {
    files: &'static [Asset],
}

impl Assets {
    /// A table over `files`, which must be sorted by path bytes and free of
    /// duplicates: a table that is not fails to compile when this runs in a `static`.
    #[allow(clippy::panic, clippy::indexing_slicing, clippy::arithmetic_side_effects)] // const: i + 1 < len
    pub const fn new(files: &'static [Asset]) -> Self {
        let mut i = 0;
        while i + 1 < files.len() {
            if !less(files[i].path.as_bytes(), files[i + 1].path.as_bytes()) {
                panic!("asset table not sorted by path, or a path is listed twice");
            }
            i += 1;
        }
        Assets { files }
    }

    /// Every file, in path order.
    pub fn files(&self) -> &'static [Asset] {
        self.files
    }

    /// The file at `path` (as stored: no leading slash).
    pub fn get(&self, path: &str) -> Option<&'static Asset> {
        let files = self.files;
        let i = files
            .binary_search_by(|a| a.path.as_bytes().cmp(path.as_bytes()))
            .ok()?;
        files.get(i)
    }

    /// [`Assets::get`] for a `const` mount ([`file`](super::file)): a linear
    /// scan, done once at compile time.
    #[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)] // const: i < len
    pub(super) const fn get_const(&self, path: &str) -> Option<&'static Asset> {
        let files = self.files;
        let mut i = 0;
        while i < files.len() {
            let name = files[i].path.as_bytes();
            if !less(name, path.as_bytes()) && !less(path.as_bytes(), name) {
                return Some(&files[i]);
            }
            i += 1;
        }
        None
    }

    /// The file a request path names, percent-decoded (`a%20b.txt`); an empty path or
    /// one ending in `/` names that folder's `index.html`.
    pub fn find(&self, path: Encoded<'_>) -> Option<&'static Asset> {
        let folder = matches!(path.raw().as_bytes().last(), None | Some(b'/'));
        // Bisection by hand: `binary_search_by` links a second call of `compare`.
        let (mut low, mut high) = (0, self.files.len());
        while low < high {
            // `low < high <= len`: no overflow, and `mid < high`.
            let mid = low.wrapping_add(high.wrapping_sub(low) >> 1);
            let file = self.files.get(mid)?;
            match compare(file.path, path, folder) {
                Ordering::Less => low = mid.wrapping_add(1),
                Ordering::Greater => high = mid,
                Ordering::Equal => return Some(file),
            }
        }
        None
    }
}

/// `stored` against the decoded `path`, followed by `index.html` for a folder:
/// a plain loop with one call of the decoder, smaller than comparing a chained
/// iterator.
// Inlined in the bisection: out of line it costs more flash.
#[inline(always)]
fn compare(stored: &str, path: Encoded<'_>, folder: bool) -> Ordering {
    let mut wanted = path.bytes();
    let mut index = if folder { &b"index.html"[..] } else { &[] }.iter();
    let mut stored = stored.as_bytes().iter();
    loop {
        let want = wanted.next().or_else(|| index.next().copied());
        match (stored.next(), want) {
            (Some(have), Some(want)) if *have == want => {}
            (Some(have), Some(want)) => return have.cmp(&want),
            (Some(_), None) => return Ordering::Greater,
            (None, Some(_)) => return Ordering::Less,
            (None, None) => return Ordering::Equal,
        }
    }
}

/// `a < b`, bytewise (`Ord` is not `const`).
#[allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)] // i < both lengths
const fn less(a: &[u8], b: &[u8]) -> bool {
    let mut i = 0;
    while i < a.len() && i < b.len() {
        if a[i] != b[i] {
            return a[i] < b[i];
        }
        i += 1;
    }
    a.len() < b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn file(path: &'static str) -> Asset {
        Asset {
            path,
            mime: "text/plain",
            fingerprinted: false,
            identity: Some(Variant {
                bytes: b"x",
                etag: "\"1\"",
            }),
            gzip: None,
            modified: None,
        }
    }

    static TABLE: Assets = Assets::new(&[
        file("a b.txt"),
        file("css/site.css"),
        file("docs/index.html"),
        file("index.html"),
    ]);

    #[test]
    fn lookups() {
        assert_eq!(TABLE.get("index.html").map(|a| a.path), Some("index.html"));
        assert!(TABLE.get("nope").is_none());
        let find = |p: &'static str| TABLE.find(Encoded::path(p)).map(|a| a.path);
        assert_eq!(find(""), Some("index.html"));
        assert_eq!(find("docs/"), Some("docs/index.html"));
        assert_eq!(find("docs"), None);
        assert_eq!(find("a%20b.txt"), Some("a b.txt"));
        assert_eq!(find("css/site.css"), Some("css/site.css"));
        assert_eq!(find("css%2Fsite.css"), Some("css/site.css"));
        assert_eq!(find("../index.html"), None);
        assert_eq!(find("css/"), None);
    }

    #[test]
    fn const_order_check() {
        assert!(less(b"a", b"b"));
        assert!(less(b"a", b"ab"));
        assert!(!less(b"ab", b"ab"));
        assert!(!less(b"b", b"a"));
    }
}
