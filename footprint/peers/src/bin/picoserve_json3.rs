//! picoserve 0.20: footprint's json3 — hello, `GET /api/led/:id` answering
//! JSON and `POST /api/led/:id` taking a JSON body, answering 204.
#![no_std]
#![no_main]

use core::hint::black_box;

use cortex_m_rt::entry;
// One type, both ways: picoserve's extractor and its response.
use picoserve::extract::Json;
use picoserve::response::{NoContent, StatusCode};
use picoserve::routing::{get, parse_path_segment};
use serde::{Deserialize, Serialize};

#[derive(Serialize)]
struct Led {
    id: u32,
    on: bool,
}

#[derive(Deserialize)]
struct SetLed {
    on: bool,
}

async fn hello() -> &'static str {
    "hello"
}

async fn get_led(id: u32) -> Json<Led> {
    Json(Led {
        id,
        on: black_box(id) % 2 == 1,
    })
}

/// `(status, NoContent)`: a bare `StatusCode` would answer with a body
/// ("Error 204").
async fn set_led(id: u32, Json(led): Json<SetLed>) -> (StatusCode, NoContent) {
    black_box((id, led.on));
    (StatusCode::NO_CONTENT, NoContent)
}

#[entry]
fn main() -> ! {
    let app = picoserve::Router::new()
        .route("/", get(hello))
        .route(("/api/led", parse_path_segment::<u32>()), get(get_led).post(set_led));
    footprint_peers::serve_picoserve(&app)
}
