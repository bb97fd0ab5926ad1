//! `hello` plus a second route group with a `GET /static/:path*` wildcard route
//! that answers fixed bytes: what `assets` costs without the asset server
//! (the wildcard matcher, a second group), so `assets − static_route` is the
//! asset server's own flash.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use ferrodot::{App, Typed};

async fn hello() -> &'static str {
    "hello"
}

async fn file() -> Typed<&'static [u8]> {
    Typed("text/plain", b"asset body")
}

ferrodot::routes! {
    Routes<()> {
        GET "/" => hello,
    }
}

ferrodot::routes! {
    Static<()> {
        GET "/static/:path*" => file,
    }
}

static APP: App<(), (Routes, Static)> = App::new((), (Routes, Static));

/// The same requests as `assets` (the validators are ignored here).
#[link_section = ".canned_request"]
static REQUEST: [u8; 247] = *b"GET / HTTP/1.1\r\nHost: dev\r\n\r\n\
GET /static/a.txt HTTP/1.1\r\nHost: dev\r\nAccept-Encoding: gzip\r\n\r\n\
GET /static/a.txt HTTP/1.1\r\nHost: dev\r\nIf-None-Match: \"0123456789abcdef\"\r\n\r\n\
GET /static/a.txt HTTP/1.1\r\nHost: dev\r\nRange: bytes=0-4\r\nConnection: close\r\n\r\n";

#[entry]
fn main() -> ! {
    footprint::serve_request(&APP, &REQUEST)
}
