//! picoserve 0.20: one route, `GET /` answers `hello`.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use picoserve::routing::get;

async fn hello() -> &'static str {
    "hello"
}

#[entry]
fn main() -> ! {
    let app = picoserve::Router::new().route("/", get(hello));
    footprint_peers::serve_picoserve(&app)
}
