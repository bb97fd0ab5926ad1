//! Static assets from flash: a table built at compile time, served with gzip,
//! ETags, `304`, `Range` and `HEAD`, `no_std` and heap-free.
//!
//! ```
//! use ferrodot::assets::{self, negotiate, parse_range, Asset, Assets, Encoding, RangeOutcome, Variant};
//! use ferrodot::prelude::*;
//!
//! // What `ferrodot-assets-build` generates from a folder (here by hand):
//! static ASSETS: Assets = Assets::new(&[Asset {
//!     path: "index.html",
//!     mime: "text/html; charset=utf-8",
//!     fingerprinted: false,
//!     identity: Some(Variant { bytes: b"<h1>camera</h1>", etag: "\"5d41402abc4b2a76\"" }),
//!     gzip: None,
//!     modified: None,
//! }]);
//! static APP: App<(), assets::Mount> = App::new((), assets::serve("/static/:path*", &ASSETS));
//!
//! let client = ferrodot::testing::TestClient::new(&APP);
//! assert_eq!(client.get("/static/").text(), "<h1>camera</h1>");
//! let again = client.request(Method::Get, "/static/index.html").header("If-None-Match", "\"5d41402abc4b2a76\"").send();
//! assert_eq!(again.status, Status::NOT_MODIFIED);
//!
//! // The request-side rules are plain functions: a browser that takes gzip gets the
//! // precompressed copy, and `Range` applies to the identity copy of a 100-byte file.
//! assert_eq!(negotiate(Some(b"gzip, deflate, br"), true, true), Some(Encoding::Gzip));
//! assert_eq!(parse_range(b"bytes=-10", 100), RangeOutcome::Partial { start: 90, end: 99 });
//! ```
//!
//! - The table ([`Assets`] of [`Asset`]s) is `static` data: `ferrodot-assets-build`
//!   writes it from a folder in a `build.rs` (gzip at the best level once, at build
//!   time; a strong ETag per copy; MIME types from the extensions), sorted by path.
//! - [`serve`] mounts a table as a route group, [`file`](fn@file) one file at a fixed path,
//!   and [`Served`] answers with one asset from a handler of your own.
//! - What is answered is decided by [`plan`], a pure function of the asset and the
//!   request's `Accept-Encoding`, `If-None-Match`, `Range` and `If-Range`:
//!   `gzip` when accepted (with `Vary: Accept-Encoding`), `304` when `If-None-Match`
//!   names the copy the client would get (weak comparison, `*`, lists), `206` with
//!   `Content-Range` for one range of the identity copy, `416` with
//!   `Content-Range: bytes */len` when no range fits, the whole copy (`200`) for
//!   several disjoint ranges, and `406` when only a gzip copy was kept and the
//!   client refuses gzip (ferrodot has no inflater on the device).
//! - `Cache-Control` is `no-cache` (revalidate with the ETag) by default and
//!   `public, max-age=31536000, immutable` for fingerprinted names
//!   (`app.3f9a1c2e.js`); [`CachePolicy`] changes both.
//!
//! [`negotiate`] picks a representation from `Accept-Encoding` (RFC 9110 §12.5.3) and
//! [`parse_range`] reads `Range: bytes=` (RFC 9110 §14). Both are pure functions over the
//! header bytes, so they are unit-tested and fuzzed without a network.

mod conditional;
#[cfg(feature = "std")]
pub mod files;
mod mime;
mod negotiate;
mod range;
mod serve;
mod table;

#[cfg(feature = "std")]
pub use files::{send_file, send_from, SendFile};
pub use mime::mime_for;
pub use negotiate::{negotiate, Encoding};
pub use range::{parse_range, RangeOutcome};
#[cfg(feature = "std")]
pub use serve::dir;
pub use serve::{file, none_match_hits, plan, serve, CachePolicy, Conditions, Mount, Plan, Served};
pub use table::{Asset, Assets, Variant};
