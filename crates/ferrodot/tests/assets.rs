//! Serving an asset table through the real engine (in-process `TestClient`):
//! 200/304/206/416/406/404/405, HEAD, Vary, ETag per copy, index.html, caching.

use ferrodot::assets::{self, Asset, Assets, CachePolicy, Variant};
use ferrodot::prelude::*;
use ferrodot::testing::{TestClient, TestResponse};

const PAGE: &[u8] = b"<!DOCTYPE html><h1>index</h1>";
const CSS: &[u8] = b"body { color: #333; margin: 0 auto; max-width: 40em; }";
// The bytes of the gzip copies do not matter to the server: it never inflates them.
const CSS_GZ: &[u8] = b"\x1f\x8b\x08css-gzip-copy";

static ASSETS: Assets = Assets::new(&[
    Asset {
        path: "app.0123abcd.js",
        mime: "text/javascript; charset=utf-8",
        fingerprinted: true,
        identity: Some(Variant {
            bytes: b"console.log(1)",
            etag: "\"js\"",
        }),
        gzip: None,
        modified: None,
    },
    Asset {
        path: "big.svg",
        mime: "image/svg+xml",
        fingerprinted: false,
        identity: None,
        gzip: Some(Variant {
            bytes: b"\x1f\x8b\x08svg",
            etag: "\"svg-gz\"",
        }),
        modified: None,
    },
    Asset {
        path: "docs/index.html",
        mime: "text/html; charset=utf-8",
        fingerprinted: false,
        identity: Some(Variant {
            bytes: b"docs",
            etag: "\"docs\"",
        }),
        gzip: None,
        modified: None,
    },
    Asset {
        path: "index.html",
        mime: "text/html; charset=utf-8",
        fingerprinted: false,
        identity: Some(Variant {
            bytes: PAGE,
            etag: "\"page\"",
        }),
        gzip: None,
        modified: None,
    },
    Asset {
        path: "site.css",
        mime: "text/css; charset=utf-8",
        fingerprinted: false,
        identity: Some(Variant {
            bytes: CSS,
            etag: "\"css\"",
        }),
        gzip: Some(Variant {
            bytes: CSS_GZ,
            etag: "\"css-gz\"",
        }),
        // Sun, 06 Nov 1994 08:49:37 GMT
        modified: Some(784_111_777),
    },
]);

async fn hello() -> &'static str {
    "api"
}

ferrodot::routes! { Api<()> { GET "/api" => hello } }

type Site = (Api, (assets::Mount, assets::Mount));

static APP: App<(), Site> = App::new(
    (),
    (
        Api,
        (
            assets::file("/", &ASSETS, "index.html"),
            assets::serve("/static/:path*", &ASSETS),
        ),
    ),
);

fn get(path: &str, headers: &[(&str, &str)]) -> TestResponse {
    let client = TestClient::new(&APP);
    let mut req = client.request(Method::Get, path);
    for (name, value) in headers {
        req = req.header(name, value);
    }
    req.send()
}

#[test]
fn identity_by_default_with_validators() {
    let r = get("/static/site.css", &[]);
    assert_eq!(r.status, Status::OK);
    assert_eq!(r.body, CSS);
    assert_eq!(r.header("content-type"), Some("text/css; charset=utf-8"));
    assert_eq!(r.header("etag"), Some("\"css\""));
    assert_eq!(r.header("vary"), Some("Accept-Encoding"));
    assert_eq!(r.header("accept-ranges"), Some("bytes"));
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    assert_eq!(r.header("content-encoding"), None);
    assert_eq!(r.header("content-length"), Some(CSS.len().to_string().as_str()));
}

#[test]
fn gzip_when_accepted() {
    let r = get("/static/site.css", &[("Accept-Encoding", "gzip, deflate, br")]);
    assert_eq!(r.status, Status::OK);
    assert_eq!(r.body, CSS_GZ);
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(r.header("etag"), Some("\"css-gz\""));
    assert_eq!(r.header("vary"), Some("Accept-Encoding"));
    let r = get("/static/site.css", &[("Accept-Encoding", "gzip;q=0, identity")]);
    assert_eq!(r.body, CSS);
    // No gzip copy: no Vary either, the response never depends on the header.
    let r = get("/static/index.html", &[("Accept-Encoding", "gzip")]);
    assert_eq!((r.header("vary"), r.header("content-encoding")), (None, None));
}

#[test]
fn if_none_match_gives_304_for_the_chosen_copy() {
    let r = get("/static/site.css", &[("If-None-Match", "\"css\"")]);
    assert_eq!(r.status, Status::NOT_MODIFIED);
    assert!(r.body.is_empty());
    assert_eq!(r.header("etag"), Some("\"css\""));
    assert_eq!(r.header("vary"), Some("Accept-Encoding"));
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    for inm in ["W/\"css-gz\"", "\"other\", \"css-gz\"", "*"] {
        let r = get(
            "/static/site.css",
            &[("Accept-Encoding", "gzip"), ("If-None-Match", inm)],
        );
        assert_eq!(r.status, Status::NOT_MODIFIED, "{inm}");
        assert_eq!(r.header("content-encoding"), Some("gzip"));
    }
    // The identity's tag does not validate the gzip copy, and a stale tag gets 200.
    let r = get(
        "/static/site.css",
        &[("Accept-Encoding", "gzip"), ("If-None-Match", "\"css\"")],
    );
    assert_eq!((r.status, r.body.as_slice()), (Status::OK, CSS_GZ));
    let r = get("/static/site.css", &[("If-None-Match", "\"stale\"")]);
    assert_eq!(r.status, Status::OK);
}

#[test]
fn if_modified_since_where_the_table_has_a_date() {
    let date = "Sun, 06 Nov 1994 08:49:37 GMT";
    assert_eq!(get("/static/site.css", &[]).header("last-modified"), Some(date));
    // No date in the table: no Last-Modified, and If-Modified-Since changes nothing.
    let r = get("/static/index.html", &[("If-Modified-Since", date)]);
    assert_eq!((r.status, r.header("last-modified")), (Status::OK, None));
    // Unchanged since (the same date, a later one, the obsolete RFC 850 form): 304.
    for since in [date, "Mon, 07 Nov 1994 00:00:00 GMT", "Sunday, 06-Nov-94 08:49:37 GMT"] {
        let r = get("/static/site.css", &[("If-Modified-Since", since)]);
        assert_eq!(r.status, Status::NOT_MODIFIED, "{since}");
        assert!(r.body.is_empty());
        assert_eq!(r.header("last-modified"), Some(date));
    }
    // Changed since, or a date that is no date: the file.
    for since in ["Sat, 05 Nov 1994 08:49:37 GMT", "yesterday"] {
        let r = get("/static/site.css", &[("If-Modified-Since", since)]);
        assert_eq!((r.status, r.body.as_slice()), (Status::OK, CSS), "{since}");
    }
    // If-None-Match wins over it (RFC 9110 §13.2.2): a stale tag gets 200.
    let r = get(
        "/static/site.css",
        &[("If-None-Match", "\"stale\""), ("If-Modified-Since", date)],
    );
    assert_eq!(r.status, Status::OK);
    // If-Range with the exact date keeps the range; another date gets everything.
    let r = get("/static/site.css", &[("Range", "bytes=0-1"), ("If-Range", date)]);
    assert_eq!(r.status, Status::PARTIAL_CONTENT);
    let r = get(
        "/static/site.css",
        &[("Range", "bytes=0-1"), ("If-Range", "Sat, 05 Nov 1994 08:49:37 GMT")],
    );
    assert_eq!(r.status, Status::OK);
}

#[test]
fn ranges() {
    let r = get("/static/site.css", &[("Range", "bytes=0-3")]);
    assert_eq!(r.status, Status::PARTIAL_CONTENT);
    assert_eq!(r.body, &CSS[..4]);
    let total = CSS.len();
    assert_eq!(r.header("content-range"), Some(format!("bytes 0-3/{total}").as_str()));
    assert_eq!(r.header("content-length"), Some("4"));
    let r = get("/static/site.css", &[("Range", "bytes=-5")]);
    assert_eq!(r.body, &CSS[total - 5..]);
    let r = get("/static/site.css", &[("Range", "bytes=9999-")]);
    assert_eq!(r.status, Status::RANGE_NOT_SATISFIABLE);
    assert_eq!(r.header("content-range"), Some(format!("bytes */{total}").as_str()));
    // Disjoint ranges: the whole file.
    let r = get("/static/site.css", &[("Range", "bytes=0-1,5-6")]);
    assert_eq!((r.status, r.body.as_slice()), (Status::OK, CSS));
    // Range is for the identity copy: with gzip chosen it is ignored.
    let r = get(
        "/static/site.css",
        &[("Range", "bytes=0-1"), ("Accept-Encoding", "gzip")],
    );
    assert_eq!((r.status, r.body.as_slice()), (Status::OK, CSS_GZ));
    // If-Range with the current tag keeps the range, a stale one gets everything.
    let r = get("/static/site.css", &[("Range", "bytes=0-1"), ("If-Range", "\"css\"")]);
    assert_eq!(r.status, Status::PARTIAL_CONTENT);
    let r = get("/static/site.css", &[("Range", "bytes=0-1"), ("If-Range", "\"old\"")]);
    assert_eq!(r.status, Status::OK);
}

#[test]
fn head_has_headers_and_length_but_no_body() {
    let client = TestClient::new(&APP);
    let r = client.head("/static/site.css");
    assert_eq!(r.status, Status::OK);
    assert!(r.body.is_empty());
    assert_eq!(r.header("content-length"), Some(CSS.len().to_string().as_str()));
    assert_eq!(r.header("etag"), Some("\"css\""));
    let r = client
        .request(Method::Head, "/static/site.css")
        .header("Range", "bytes=2-3")
        .send();
    assert_eq!(r.status, Status::PARTIAL_CONTENT);
    assert_eq!(r.header("content-length"), Some("2"));
    assert!(r.body.is_empty());
}

#[test]
fn gzip_only_copy_and_406() {
    let r = get("/static/big.svg", &[("Accept-Encoding", "gzip")]);
    assert_eq!(r.status, Status::OK);
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(r.header("accept-ranges"), None);
    let r = get("/static/big.svg", &[("Accept-Encoding", "identity")]);
    assert_eq!(r.status, Status::NOT_ACCEPTABLE);
    let r = get("/static/site.css", &[("Accept-Encoding", "identity;q=0")]);
    assert_eq!(r.status, Status::NOT_ACCEPTABLE);
}

#[test]
fn folders_unknown_paths_and_methods() {
    assert_eq!(get("/", &[]).body, PAGE);
    assert_eq!(get("/static/", &[]).body, PAGE);
    assert_eq!(get("/static", &[]).body, PAGE);
    assert_eq!(get("/static/docs/", &[]).body, b"docs");
    assert_eq!(get("/static/index%2ehtml", &[]).body, PAGE);
    for missing in [
        "/static/nope.css",
        "/static/docs",
        "/static/../index.html",
        "/static/site.css/",
        "/nope",
    ] {
        assert_eq!(get(missing, &[]).status, Status::NOT_FOUND, "{missing}");
    }
    assert_eq!(get("/api", &[]).text(), "api");
    let client = TestClient::new(&APP);
    let r = client.post("/static/site.css", "x");
    assert_eq!(r.status, Status::METHOD_NOT_ALLOWED);
    assert_eq!(r.header("allow"), Some("GET, HEAD, OPTIONS"));
    assert_eq!(client.delete("/").status, Status::METHOD_NOT_ALLOWED);
}

#[test]
fn fingerprinted_names_are_immutable_and_policy_is_configurable() {
    let r = get("/static/app.0123abcd.js", &[]);
    assert_eq!(r.header("cache-control"), Some("public, max-age=31536000, immutable"));
    static CUSTOM: App<(), assets::Mount> = App::new(
        (),
        assets::serve("/:path*", &ASSETS).cache(CachePolicy {
            default: "max-age=60",
            fingerprinted: "max-age=600",
        }),
    );
    let client = TestClient::new(&CUSTOM);
    assert_eq!(client.get("/site.css").header("cache-control"), Some("max-age=60"));
    assert_eq!(
        client.get("/app.0123abcd.js").header("cache-control"),
        Some("max-age=600")
    );
    assert_eq!(client.get("/").body, PAGE);
}

#[test]
fn larger_than_the_buffer_streams_whole() {
    static BIG: [u8; 10_000] = {
        let mut b = [b'x'; 10_000];
        b[9_999] = b'!';
        b
    };
    static TABLE: Assets = Assets::new(&[Asset {
        path: "big.bin",
        mime: "application/octet-stream",
        fingerprinted: false,
        identity: Some(Variant {
            bytes: &BIG,
            etag: "\"big\"",
        }),
        gzip: None,
        modified: None,
    }]);
    static BIGAPP: App<(), assets::Mount> = App::new((), assets::serve("/:path*", &TABLE));
    let client = TestClient::new(&BIGAPP).buffers(1024, 1024);
    let r = client.get("/big.bin");
    assert_eq!(r.status, Status::OK);
    assert_eq!(r.body.len(), BIG.len());
    assert_eq!(r.body.last(), Some(&b'!'));
    // Its length is known: Content-Length framing, not chunked.
    assert_eq!(r.header("content-length"), Some("10000"));
    assert_eq!(r.header("transfer-encoding"), None);
    let r = client.head("/big.bin");
    assert_eq!((r.header("content-length"), r.body.len()), (Some("10000"), 0));
    let r = client
        .request(Method::Get, "/big.bin")
        .header("Range", "bytes=9990-")
        .send();
    assert_eq!((r.status, r.body.len()), (Status::PARTIAL_CONTENT, 10));
}
