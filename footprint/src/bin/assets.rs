//! `hello` plus the asset server: `GET /static/*` over a table of one tiny
//! file with an identity and a gzip copy. Its flash over `hello` is the
//! asset server's own code (lookup, negotiation, If-None-Match, Range,
//! Content-Range); the table itself is a few dozen bytes.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use ferrodot::assets::{self, Asset, Assets, Variant};
use ferrodot::App;

async fn hello() -> &'static str {
    "hello"
}

ferrodot::routes! {
    Routes<()> {
        GET "/" => hello,
    }
}

static ASSETS: Assets = Assets::new(&[Asset {
    path: "a.txt",
    mime: "text/plain",
    fingerprinted: false,
    identity: Some(Variant {
        bytes: b"asset body",
        etag: "\"0123456789abcdef\"",
    }),
    gzip: Some(Variant {
        bytes: b"\x1f\x8b\x08gz",
        etag: "\"fedcba9876543210\"",
    }),
    modified: None,
}]);

static APP: App<(), (Routes, assets::Mount)> = App::new((), (Routes, assets::serve("/static/:path*", &ASSETS)));

/// hello's request, then the asset with gzip, revalidated (304), and a range (206).
#[link_section = ".canned_request"]
static REQUEST: [u8; 247] = *b"GET / HTTP/1.1\r\nHost: dev\r\n\r\n\
GET /static/a.txt HTTP/1.1\r\nHost: dev\r\nAccept-Encoding: gzip\r\n\r\n\
GET /static/a.txt HTTP/1.1\r\nHost: dev\r\nIf-None-Match: \"0123456789abcdef\"\r\n\r\n\
GET /static/a.txt HTTP/1.1\r\nHost: dev\r\nRange: bytes=0-4\r\nConnection: close\r\n\r\n";

#[entry]
fn main() -> ! {
    footprint::serve_request(&APP, &REQUEST)
}
