//! Serving an asset table: conditional requests, ranges, encodings, HEAD.
//!
//! The decision ([`plan`]) is a pure function of the asset and four request headers,
//! unit-tested without a network; [`Served`] writes what it decided.

#[cfg(feature = "last-modified")]
use super::conditional::last_modified;
use super::conditional::{content_range, not_modified, range_still_valid};
pub use super::conditional::{none_match_hits, Conditions};
use super::negotiate::{negotiate, Encoding};
use super::range::{ranges, RangeOutcome, BYTES};
use super::table::{Asset, Assets, Variant};
use crate::app::respond::IntoResponse;
use crate::app::Dispatch;
use crate::http::parse::Rejection;
use crate::http::{Request, Status};
use crate::route::Route;
use crate::server::{RequestBody, ResponseWriter, WriteError};

/// `Cache-Control` values: one for fingerprinted names, one for the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CachePolicy {
    /// For names without a content hash: by default `no-cache` (store, but revalidate
    /// with the ETag every time: a 304 costs a few bytes, and a new firmware's page
    /// shows at once).
    pub default: &'static str,
    /// For fingerprinted names (`app.3f9a1c2e.js`): their content never changes, so
    /// by default `public, max-age=31536000, immutable`.
    pub fingerprinted: &'static str,
}

impl CachePolicy {
    /// `no-cache` for plain names, a year and `immutable` for fingerprinted
    /// ones.
    pub const DEFAULT: CachePolicy = CachePolicy {
        default: "no-cache",
        fingerprinted: "public, max-age=31536000, immutable",
    };

    fn for_asset(&self, asset: &Asset) -> &'static str {
        if asset.fingerprinted {
            self.fingerprinted
        } else {
            self.default
        }
    }
}

/// What to answer for one asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// 406: only a gzip copy exists and the client refuses gzip (this build has
    /// no inflater to make an identity copy from it).
    NotAcceptable,
    /// 304: the client's `If-None-Match` names the copy it would get (or, without
    /// one, its `If-Modified-Since` is no earlier than the asset's date).
    NotModified(Variant, Encoding),
    /// 200 with the whole copy.
    Full(Variant, Encoding),
    /// 206 with identity bytes `start..=end`.
    Partial {
        /// The first byte sent.
        start: u64,
        /// The last byte sent (inclusive, as in `Content-Range`).
        end: u64,
    },
    /// 416 with `Content-Range: bytes */len`.
    Unsatisfiable,
}

/// Decide the answer for a GET or HEAD of `asset` (RFC 9110 §13.2.2's order:
/// `If-None-Match`, else `If-Modified-Since`, before `Range`).
///
/// - The copy is chosen first ([`negotiate`]): conditions apply to the representation
///   the client would receive, whose ETag differs between identity and gzip.
/// - `Range` applies to the identity copy only; with gzip chosen it is ignored (200).
///   An `If-Range` that is neither the identity's strong ETag nor the asset's exact
///   date also means the whole copy. Several disjoint ranges are answered with the whole copy
///   (200), not `multipart/byteranges`; overlapping or adjacent ones are merged
///   ([`parse_range`](super::parse_range)).
/// - `If-Modified-Since` counts only without `If-None-Match` and for an asset with a
///   date ([`Asset::modified`]), with feature `last-modified` (on with `std`); an
///   invalid date is ignored.
pub fn plan(asset: &Asset, c: Conditions<'_>) -> Plan {
    let Some(d) = decide(asset, &c) else {
        return Plan::NotAcceptable;
    };
    match d.range {
        _ if d.not_modified => Plan::NotModified(d.variant, d.encoding),
        RangeOutcome::Full => Plan::Full(d.variant, d.encoding),
        RangeOutcome::Partial { start, end } => Plan::Partial {
            start: start as u64,
            end: end as u64,
        },
        RangeOutcome::Unsatisfiable => Plan::Unsatisfiable,
    }
}

/// [`plan`]'s decision as [`Served`] reads it: the copy chosen, whether the
/// client has it, and which bytes of it to send (in `usize`: it is in memory).
struct Decision {
    variant: Variant,
    encoding: Encoding,
    not_modified: bool,
    range: RangeOutcome<usize>,
}

/// `None`: 406, no acceptable copy.
fn decide(asset: &Asset, c: &Conditions<'_>) -> Option<Decision> {
    let encoding = negotiate(c.accept_encoding, asset.identity.is_some(), asset.gzip.is_some())?;
    let variant = match encoding {
        Encoding::Identity => asset.identity,
        Encoding::Gzip => asset.gzip,
    }?;
    let not_modified = not_modified(c, variant.etag, asset.modified);
    let range = c
        .range
        .filter(|_| !not_modified && encoding == Encoding::Identity)
        .filter(|_| range_still_valid(c, variant.etag, asset.modified))
        .map_or(RangeOutcome::Full, |r| ranges(r, variant.bytes.len()));
    Some(Decision {
        variant,
        encoding,
        not_modified,
        range,
    })
}

/// A response for one asset (or 404 for `None`), in a handler of your own:
///
/// ```
/// use ferrodot::assets::{Asset, Assets, Served, Variant};
/// use ferrodot::prelude::*;
///
/// static WEB: Assets = Assets::new(&[Asset {
///     path: "index.html",
///     mime: "text/html; charset=utf-8",
///     fingerprinted: false,
///     identity: Some(Variant { bytes: b"<h1>hi</h1>", etag: "\"1\"" }),
///     gzip: None,
///     modified: None,
/// }]);
/// async fn home<'r>(req: &'r Request<'r>) -> Served<'r> {
///     Served::new(WEB.get("index.html"), req)
/// }
/// ferrodot::routes! { Site<()> { GET "/" => home } }
/// let app = App::new((), Site);
/// let resp = ferrodot::testing::TestClient::new(&app).get("/");
/// assert_eq!(resp.text(), "<h1>hi</h1>");
/// assert_eq!(resp.header("etag"), Some("\"1\""));
/// ```
pub struct Served<'r> {
    asset: Option<&'static Asset>,
    conditions: Conditions<'r>,
    cache: CachePolicy,
}

impl<'r> Served<'r> {
    /// `asset` answered for `req` with [`CachePolicy::DEFAULT`].
    pub fn new(asset: Option<&'static Asset>, req: &Request<'r>) -> Self {
        Served {
            asset,
            conditions: Conditions::of(req),
            cache: CachePolicy::DEFAULT,
        }
    }

    /// Use other `Cache-Control` values.
    pub fn cache(mut self, cache: CachePolicy) -> Self {
        self.cache = cache;
        self
    }
}

impl IntoResponse for Served<'_> {
    async fn into_response(self, out: &mut ResponseWriter<'_>) -> Result<(), WriteError> {
        // One body write and one error write: each `.await` is a state of the
        // connection's future, so the head is written by a plain function.
        match self.head(out) {
            Ok(body) => out.body_static(body).await,
            // `start` + `error_body` rather than `error`: the router links those
            // two anyway, and `error` would be one more future.
            Err(rejection) => {
                out.start(rejection.status);
                out.error_body(rejection).await
            }
        }
    }
}

impl Served<'_> {
    /// Start the answer and write its headers; the body to send, or the refusal.
    fn head(self, out: &mut ResponseWriter<'_>) -> Result<&'static [u8], Rejection> {
        let Some(asset) = self.asset else {
            return Err(Rejection::new(Status::NOT_FOUND, "no such file"));
        };
        let Some(Decision {
            variant,
            encoding,
            not_modified,
            range,
        }) = decide(asset, &self.conditions)
        else {
            return Err(Rejection::new(Status::NOT_ACCEPTABLE, "stored gzip-compressed only"));
        };
        let gzip = encoding == Encoding::Gzip;
        // For 206 and 416 (identity chosen: `variant` is the identity copy),
        // the `Content-Range`.
        let (status, body, content) = match range {
            _ if not_modified => (Status::NOT_MODIFIED, variant.bytes, None),
            RangeOutcome::Full => (Status::OK, variant.bytes, None),
            RangeOutcome::Partial { start, end } => (
                Status::PARTIAL_CONTENT,
                variant.bytes.get(start..=end).unwrap_or(&[]),
                Some(Some((start as u64, end as u64))),
            ),
            RangeOutcome::Unsatisfiable => (Status::RANGE_NOT_SATISFIABLE, &[][..], Some(None)),
        };
        out.start(status);
        if !not_modified {
            out.content_type(asset.mime);
        }
        out.header("ETag", variant.etag);
        if asset.gzip.is_some() {
            out.header("Vary", "Accept-Encoding");
        }
        out.header("Cache-Control", self.cache.for_asset(asset));
        #[cfg(feature = "last-modified")]
        if let Some(modified) = asset.modified {
            last_modified(out, modified);
        }
        if let Some(identity) = asset.identity {
            out.header("Accept-Ranges", BYTES);
            if let Some(range) = content {
                content_range(out, range, identity.bytes.len() as u64);
            }
        }
        if gzip {
            out.header("Content-Encoding", "gzip");
        }
        // Declared, so a copy larger than the buffer keeps `Content-Length`
        // framing; for HEAD and 304 the writer sends none of these bytes.
        out.content_length(body.len() as u64);
        Ok(body)
    }
}

/// A route group that serves an asset table: one `GET` route (HEAD included;
/// other methods get 405 from the router). Combine it with other groups as a tuple:
/// `(ApiRoutes, assets::serve("/static/:path*", &ASSETS))`.
#[derive(Debug, Clone, Copy)]
pub struct Mount {
    route: Route<'static>,
    assets: &'static Assets,
    /// `Some(asset)`: the route serves this one file (see [`file`]), looked up
    /// when the mount is built, so no request searches the table for it.
    file: Option<Option<&'static Asset>>,
    cache: CachePolicy,
    /// `Some(dir)`: files come from this directory instead (see [`dir`]).
    #[cfg(feature = "std")]
    root: Option<&'static str>,
}

/// Serve `assets` under `pattern`, whose last segment is a `*` capture holding the
/// file's path: `"/static/:path*"`, or `"/:path*"` for a whole site. `…/` and the
/// mount itself serve `index.html`.
///
/// As a catch-all, `"/:path*"` goes last in a tuple of groups; it makes every path
/// known to the router, so another method on an unknown path is 405 rather than 404.
#[allow(clippy::panic)] // a compile error in a const app
pub const fn serve(pattern: &'static str, assets: &'static Assets) -> Mount {
    if !matches!(pattern.as_bytes().last(), Some(b'*')) {
        panic!("assets::serve: the pattern must end with a `*` capture, like \"/static/:path*\"");
    }
    Mount {
        route: Route::new(crate::http::Method::Get, pattern),
        assets,
        file: None,
        cache: CachePolicy::DEFAULT,
        #[cfg(feature = "std")]
        root: None,
    }
}

/// Serve one file of `assets` at `path`: `assets::file("/", &ASSETS, "index.html")`.
/// A name that is not in the table answers 404.
pub const fn file(path: &'static str, assets: &'static Assets, name: &'static str) -> Mount {
    Mount {
        route: Route::new(crate::http::Method::Get, path),
        assets,
        file: Some(assets.get_const(name)),
        cache: CachePolicy::DEFAULT,
        #[cfg(feature = "std")]
        root: None,
    }
}

/// Serve the files of the directory `root` under `pattern`, whose last segment is a
/// `*` capture holding the file's path (`"/files/:path*"`): see [`super::files`].
#[cfg(feature = "std")]
pub const fn dir(pattern: &'static str, root: &'static str) -> Mount {
    static NONE: Assets = Assets::new(&[]);
    Mount {
        root: Some(root),
        ..serve(pattern, &NONE)
    }
}

impl Mount {
    /// Use other `Cache-Control` values.
    pub const fn cache(mut self, cache: CachePolicy) -> Self {
        self.cache = cache;
        self
    }

    fn asset(&self, req: &Request<'_>) -> Option<&'static Asset> {
        match self.file {
            Some(asset) => asset,
            None => self.assets.find(captured_path(req)),
        }
    }
}

/// The mount's last capture: the file's path below the mount (`""` for the mount itself).
fn captured_path<'r>(req: &Request<'r>) -> crate::http::query::Encoded<'r> {
    let last = req.param_count().checked_sub(1);
    last.and_then(|i| req.param_at(i))
        .unwrap_or(crate::http::query::Encoded::path(""))
}

impl<S> Dispatch<S> for Mount {
    fn route_count(&self) -> usize {
        1
    }

    fn route(&self, index: usize) -> Option<&Route<'_>> {
        (index == 0).then_some(&self.route)
    }

    async fn call(
        &self,
        _index: usize,
        req: &Request<'_>,
        _state: &S,
        _body: &RequestBody<'_>,
        out: &mut ResponseWriter<'_>,
    ) -> Result<(), WriteError> {
        #[cfg(feature = "std")]
        if let Some(root) = self.root {
            let name = captured_path(req).to_string_lossy();
            return super::files::send_from(std::path::Path::new(root), &name, req)
                .into_response(out)
                .await;
        }
        // `Served::into_response`'s two writes, here rather than awaiting its
        // future: one state machine less inside the connection's (~160 B).
        let served = Served::new(self.asset(req), req).cache(self.cache);
        match served.head(out) {
            // Without `std`, `body_static` is `body`: its two writes are awaited
            // here, for one state machine less again.
            #[cfg(not(feature = "std"))]
            Ok(body) => {
                out.write(body).await?;
                out.finish().await
            }
            #[cfg(feature = "std")]
            Ok(body) => out.body_static(body).await,
            Err(rejection) => {
                out.start(rejection.status);
                out.error_body(rejection).await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDENTITY: Variant = Variant {
        bytes: b"0123456789",
        etag: "\"id\"",
    };
    const GZIP: Variant = Variant {
        bytes: b"gz",
        etag: "\"gz\"",
    };
    const BOTH: Asset = Asset {
        path: "a.txt",
        mime: "text/plain",
        fingerprinted: false,
        identity: Some(IDENTITY),
        gzip: Some(GZIP),
        modified: None,
    };

    fn with(ae: &'static str, inm: Option<&'static str>, range: Option<&'static str>) -> Conditions<'static> {
        Conditions {
            accept_encoding: Some(ae.as_bytes()),
            if_none_match: inm.map(str::as_bytes),
            range: range.map(str::as_bytes),
            if_range: None,
            if_modified_since: None,
        }
    }

    #[test]
    fn if_none_match_lists() {
        let tag = "\"abc\"";
        for hit in [
            "\"abc\"",
            "*",
            " * ",
            "W/\"abc\"",
            "\"x\", \"abc\"",
            "\"x\",W/\"abc\"",
            ",, \"abc\"",
        ] {
            assert!(none_match_hits(hit.as_bytes(), tag), "{hit}");
        }
        for miss in [
            "\"abcd\"",
            "abc",
            "\"ab",
            "",
            "W/",
            "\"x\" junk \"abc\"",
            "\"a,bc\"",
            "w/\"abc\"",
        ] {
            assert!(!none_match_hits(miss.as_bytes(), tag), "{miss}");
        }
        assert!(none_match_hits(b"\"a,bc\"", "\"a,bc\""));
    }

    #[test]
    fn conditional_per_representation() {
        assert_eq!(
            plan(&BOTH, with("gzip", Some("\"gz\""), None)),
            Plan::NotModified(GZIP, Encoding::Gzip)
        );
        // The identity's tag does not validate the gzip copy.
        assert_eq!(
            plan(&BOTH, with("gzip", Some("\"id\""), None)),
            Plan::Full(GZIP, Encoding::Gzip)
        );
        assert_eq!(
            plan(&BOTH, with("identity", Some("\"id\""), None)),
            Plan::NotModified(IDENTITY, Encoding::Identity)
        );
    }

    #[test]
    fn ranges_on_identity_only() {
        assert_eq!(
            plan(&BOTH, with("identity", None, Some("bytes=2-4"))),
            Plan::Partial { start: 2, end: 4 }
        );
        assert_eq!(
            plan(&BOTH, with("gzip", None, Some("bytes=2-4"))),
            Plan::Full(GZIP, Encoding::Gzip)
        );
        assert_eq!(plan(&BOTH, with("", None, Some("bytes=10-"))), Plan::Unsatisfiable);
        assert_eq!(
            plan(&BOTH, with("", None, Some("bytes=0-1,5-6"))),
            Plan::Full(IDENTITY, Encoding::Identity)
        );
        // 304 wins over Range.
        assert_eq!(
            plan(&BOTH, with("", Some("*"), Some("bytes=0-1"))),
            Plan::NotModified(IDENTITY, Encoding::Identity)
        );
        let mut c = with("", None, Some("bytes=0-1"));
        c.if_range = Some(b"\"id\"");
        assert_eq!(plan(&BOTH, c), Plan::Partial { start: 0, end: 1 });
        c.if_range = Some(b"\"old\"");
        assert_eq!(plan(&BOTH, c), Plan::Full(IDENTITY, Encoding::Identity));
        c.if_range = Some(b"Tue, 01 Dec 2026 00:00:00 GMT");
        assert_eq!(plan(&BOTH, c), Plan::Full(IDENTITY, Encoding::Identity));
    }

    #[test]
    fn gzip_only_and_refusals() {
        let gz_only = Asset { identity: None, ..BOTH };
        assert_eq!(plan(&gz_only, with("identity", None, None)), Plan::NotAcceptable);
        assert_eq!(
            plan(&gz_only, with("gzip", None, Some("bytes=0-0"))),
            Plan::Full(GZIP, Encoding::Gzip)
        );
        assert_eq!(plan(&BOTH, with("identity;q=0", None, None)), Plan::NotAcceptable);
        let none = Conditions::default();
        assert_eq!(plan(&BOTH, none), Plan::Full(IDENTITY, Encoding::Identity));
    }
}
